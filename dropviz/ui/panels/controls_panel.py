"""The left panel: every control of the experiment, grouped, editing one Config.

The panel keeps the Config it last sent. Each edit reads the widgets into a new Config and sends
it if it differs; a value the Config refuses shows as a message and the widgets go back. When the
worker refuses a change (a file that fails to load), `show_config` puts the widgets back to the
settings still in force.
"""

from __future__ import annotations

from dataclasses import replace

from PyQt5.QtCore import pyqtSignal
from PyQt5.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from dropviz.model.config import CSV_DATASET, Config, DatasetConfig
from dropviz.model.errors import DropvizError
from dropviz.ui.panels.dataset_panel import DatasetPanel
from dropviz.ui.panels.dropout_panel import DropoutPanel
from dropviz.ui.panels.network_panel import NetworkPanel
from dropviz.ui.panels.widgets import RESTARTS

PANEL_WIDTH = 330


class ControlsPanel(QScrollArea):
    sigConfigChanged = pyqtSignal(object)  # a Config
    sigOpenCsv = pyqtSignal()
    sigError = pyqtSignal(str)

    def __init__(self, config: Config, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.dataset = DatasetPanel()
        self.network = NetworkPanel()
        self.dropout = DropoutPanel()
        note = QLabel(f"{RESTARTS.strip()} changing this needs a new network: the run starts "
                      "again from step 0. Everything else acts live, between two steps.")
        note.setWordWrap(True)
        note.setStyleSheet("color: #555; font-size: 9pt;")
        inner = QWidget()
        layout = QVBoxLayout(inner)
        for widget in (self.dropout, self.network, self.dataset, note):
            layout.addWidget(widget)
        layout.addStretch(1)
        self.setWidget(inner)
        self.setWidgetResizable(True)
        self.setMinimumWidth(PANEL_WIDTH)
        self.setMaximumWidth(PANEL_WIDTH + 60)
        self._config = config
        self.show_config(config)
        for panel in (self.dataset, self.network, self.dropout):
            panel.sigEdited.connect(self._edited)
        self.dataset.sigRegenerate.connect(self._regenerate)
        self.dataset.sigOpenCsv.connect(self._open_csv)

    @property
    def config(self) -> Config:
        return self._config

    def show_config(self, config: Config) -> None:
        """Show a config without sending it."""
        self._config = config
        for panel in (self.dataset, self.network, self.dropout):
            panel.show_config(config)

    def _edited(self) -> None:
        try:
            config = self.dropout.apply(self.network.apply(self.dataset.apply(self._config)))
        except DropvizError as error:
            self.sigError.emit(str(error))
            self.show_config(self._config)
            return
        self._send(config)

    def _send(self, config: Config) -> None:
        if config != self._config:
            self._config = config
            self.sigConfigChanged.emit(config)
        self.show_config(config)  # e.g. enables the noise box again for a generated set

    def _regenerate(self) -> None:
        self._send(replace(self._config, seed=(self._config.seed + 1) % 2**32))

    def _open_csv(self) -> None:
        self.dataset.show_config(self._config)  # the combo shows the data in use meanwhile
        self.sigOpenCsv.emit()

    def use_csv(self, path: str, label: str) -> None:
        """Train on a CSV file with the chosen label column."""
        try:
            dataset = DatasetConfig(name=CSV_DATASET, n_samples=self._config.dataset.n_samples,
                                    noise=self._config.dataset.noise,
                                    train_fraction=self._config.dataset.train_fraction,
                                    csv_path=path, label_column=label)
        except DropvizError as error:
            self.sigError.emit(str(error))
            return
        self.dataset.use_csv(path, label)
        self._send(replace(self._config, dataset=dataset))

    def set_report(self, text: str) -> None:
        self.dataset.set_report(text)
