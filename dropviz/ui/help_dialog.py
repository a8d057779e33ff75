"""The keyboard shortcut list (F1): read from the window's actions, so it never goes stale.

Every action with a shortcut is listed, whichever file made it, with its tooltip as the
explanation. The dialog is not modal: it may stay open beside the window during a lecture.
"""

from __future__ import annotations

from PyQt5.QtCore import Qt
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import (
    QAction,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


def shortcut_rows(window: QWidget) -> list[tuple[str, str, str]]:
    """(keys, action, what it does) for every action of the window with a shortcut, by name."""
    rows = set()
    for action in window.findChildren(QAction):
        keys = " or ".join(key.toString(QKeySequence.NativeText) for key in action.shortcuts())
        if keys:
            name = action.text().replace("&", "").rstrip(".")
            tip = action.toolTip().replace("&", "")
            rows.add((keys, name, tip if tip.rstrip(".") != name else ""))
    return sorted(rows, key=lambda row: row[1].lower())


class ShortcutsDialog(QDialog):
    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setWindowTitle("Keyboard shortcuts")
        self.rows = shortcut_rows(window)
        self.table = QTableWidget(len(self.rows), 3)
        self.table.setHorizontalHeaderLabels(["Keys", "Action", "What it does"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.setWordWrap(True)
        for row, texts in enumerate(self.rows):
            for column, text in enumerate(texts):
                self.table.setItem(row, column, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.Stretch)
        self.table.resizeRowsToContents()
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(820, 520)
        self.setAttribute(Qt.WA_DeleteOnClose)
