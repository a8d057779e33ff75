"""The small dialog that asks which column of a CSV file holds the class labels, and whether
rows the file gets wrong may be dropped (`dataset.drop_bad_rows`)."""

from __future__ import annotations

from pathlib import Path

from PyQt5.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)


class LabelDialog(QDialog):
    """Offers the file's columns; the last one is the usual place for the label."""

    def __init__(self, path: str, columns: list[str], drop_bad_rows: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Choose the label column")
        self.columns = QComboBox()
        self.columns.addItems(columns)
        self.columns.setCurrentIndex(len(columns) - 1)
        self.columns.setToolTip("The column with the class of each row; the other columns "
                                "become the network's input features.")
        self.drop_rows = QCheckBox("Drop rows whose quotes or number of fields are wrong")
        self.drop_rows.setChecked(drop_bad_rows)
        self.drop_rows.setToolTip("Off, such a file is refused with the line of its first bad row, "
                                  "so no data is lost without a word; on, those rows are left "
                                  "out and the data report counts them.")
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Which column of {Path(path).name} holds the class labels?"))
        layout.addWidget(self.columns)
        layout.addWidget(self.drop_rows)
        layout.addWidget(buttons)

    def label(self) -> str:
        return self.columns.currentText()

    def drop_bad_rows(self) -> bool:
        return self.drop_rows.isChecked()
