"""Dataset controls: which data, how many points, how noisy, how it is split."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtWidgets import QFormLayout, QGroupBox, QLabel, QPushButton, QWidget

from dropviz.model.config import CSV_DATASET, Config
from dropviz.ui.panels.widgets import (
    RESTARTS,
    RESTARTS_TIP,
    choice_box,
    float_box,
    select_data,
    set_quietly,
    spin_box,
)

DATASET_CHOICES = [
    ("moons", "moons"), ("circles", "circles"), ("xor", "xor"), ("spiral", "spiral"),
    ("blobs (3 classes)", "blobs"), ("waves (16 time steps)", "waves"),
    ("digits (64 features)", "digits"), ("digits rows (8 steps of 8)", "digits_rows"),
    ("breast cancer (30 features)", "breast_cancer"),
]
OPEN_CSV = "open-csv"


class DatasetPanel(QGroupBox):
    sigEdited = pyqtSignal()
    sigOpenCsv = pyqtSignal()
    sigRegenerate = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Dataset", parent)
        self._csv: tuple[str, str | None] | None = None  # (path, label column) of a loaded CSV
        self.dataset = choice_box(
            DATASET_CHOICES,
            "The data to learn: the 2-D sets show the decision boundary; waves (which of three "
            "frequencies a noisy wave has) and digits rows are sequences for a recurrent model; "
            "digits and breast cancer are real data with many features, and Open CSV... loads "
            "your own file." + RESTARTS_TIP)
        self.dataset.insertSeparator(6)
        self.dataset.addItem("Open CSV...", OPEN_CSV)
        self.samples = spin_box(20, 20_000, "How many points to generate: with fewer points a "
                                "big network overfits sooner." + RESTARTS_TIP)
        self.samples.setSingleStep(50)
        self.noise = float_box(0.0, 5.0, 0.05, 2, "How far the generated points scatter: more "
                               "noise means more overlap, and more noise to overfit." + RESTARTS_TIP)
        self.train_fraction = float_box(0.05, 0.95, 0.05, 2, "The share of the points the "
                                        "network trains on; the rest is the test set it never "
                                        "sees." + RESTARTS_TIP)
        self.regenerate = QPushButton("Regenerate (new seed)")
        self.regenerate.setToolTip("Draw a new dataset and new initial weights from a new seed.")
        self.report = QLabel()
        self.report.setWordWrap(True)
        self.report.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.report.setStyleSheet("color: #555; font-size: 9pt;")
        form = QFormLayout(self)
        form.addRow("Data" + RESTARTS, self.dataset)
        form.addRow("Samples" + RESTARTS, self.samples)
        form.addRow("Noise" + RESTARTS, self.noise)
        form.addRow("Train fraction" + RESTARTS, self.train_fraction)
        form.addRow(self.regenerate)
        form.addRow(self.report)
        self.dataset.activated.connect(self._dataset_chosen)
        for box in (self.samples, self.noise, self.train_fraction):
            box.valueChanged.connect(self.sigEdited)
        self.regenerate.clicked.connect(self.sigRegenerate)

    def _dataset_chosen(self, index: int) -> None:
        if self.dataset.itemData(index) == OPEN_CSV:
            self.sigOpenCsv.emit()
        else:
            self.sigEdited.emit()

    def use_csv(self, path: str, label: str | None) -> None:
        """Add (or replace) the entry of a loaded file and select it."""
        self._csv = (path, label)
        index = self.dataset.findData(CSV_DATASET)
        if index < 0:
            index = self.dataset.count() - 1
            self.dataset.insertItem(index, "", CSV_DATASET)
        self.dataset.setItemText(index, f"{Path(path).name} (CSV)")
        self.dataset.setItemData(index, f"Your file {path}, label column {label}.", Qt.ToolTipRole)
        select_data(self.dataset, CSV_DATASET)

    def apply(self, config: Config) -> Config:
        name = self.dataset.currentData()
        if name == OPEN_CSV:
            return config
        path, label = self._csv if name == CSV_DATASET and self._csv else (None, None)
        dataset = replace(config.dataset, name=name, n_samples=self.samples.value(),
                          noise=round(self.noise.value(), 2),
                          train_fraction=round(self.train_fraction.value(), 2),
                          csv_path=path, label_column=label)
        return replace(config, dataset=dataset)

    def show_config(self, config: Config) -> None:
        data = config.dataset
        if data.name == CSV_DATASET:
            self.use_csv(data.csv_path, data.label_column)
        select_data(self.dataset, data.name)
        set_quietly(self.samples, data.n_samples)
        set_quietly(self.noise, data.noise)
        set_quietly(self.train_fraction, data.train_fraction)
        for box in (self.samples, self.noise):
            box.setEnabled(data.is_generated)

    def set_report(self, text: str) -> None:
        self.report.setText(text)
