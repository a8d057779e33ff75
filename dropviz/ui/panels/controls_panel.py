"""The left panel: every control of the experiment, grouped, editing the window state's Config.

The panel keeps no Config of its own. Each edit reads the widgets into a new Config made from the
state's, and the state sends it on if it differs; a value the Config refuses shows as a message and
the widgets go back. Whatever the state is set to (a change the worker refused, an opened
experiment, a preset) the widgets show.
"""

from __future__ import annotations

from dataclasses import replace

from PyQt5.QtCore import QEvent, Qt, pyqtSignal
from PyQt5.QtWidgets import QLabel, QScrollArea, QStyle, QVBoxLayout, QWidget

from dropviz.model.config import CSV_DATASET, Config, DatasetConfig
from dropviz.model.errors import DropvizError
from dropviz.ui.panels.dataset_panel import DatasetPanel
from dropviz.ui.panels.dropout_panel import DropoutPanel
from dropviz.ui.panels.network_panel import NetworkPanel
from dropviz.ui.panels.regularizer_panel import RegularizerPanel
from dropviz.ui.panels.widgets import RESTARTS
from dropviz.ui.window_state import WindowState

PANEL_WIDTH = 330
SPARE_WIDTH = 60  # how much wider than its controls need the panel may be dragged


class ControlsPanel(QScrollArea):
    sigOpenCsv = pyqtSignal()
    sigError = pyqtSignal(str)

    def __init__(self, state: WindowState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.dataset = DatasetPanel()
        self.network = NetworkPanel()
        self.dropout = DropoutPanel()
        self.regularizers = RegularizerPanel()
        note = QLabel(f"{RESTARTS.strip()} changing this needs a new network: the run starts "
                      "again from step 0. Everything else acts live, between two steps.")
        note.setWordWrap(True)
        note.setStyleSheet("color: #555; font-size: 9pt;")
        inner = QWidget()
        layout = QVBoxLayout(inner)
        for widget in (self.dropout, self.network, self.regularizers, self.dataset, note):
            layout.addWidget(widget)
        layout.addStretch(1)
        self.setWidget(inner)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self._fit_width()
        self._state = state
        self.show_config(state.config)
        state.sigConfig.connect(self.show_config)
        for panel in self._panels:
            panel.sigEdited.connect(self._edited)
        self.dataset.sigRegenerate.connect(self._regenerate)
        self.dataset.sigOpenCsv.connect(self._open_csv)

    def needed_width(self) -> int:
        """As wide as the controls need with the font in use, and the vertical scroll bar."""
        bar = self.style().pixelMetric(QStyle.PM_ScrollBarExtent, None, self)
        inner = self.widget().minimumSizeHint().width()
        return max(PANEL_WIDTH, inner + bar + 2 * self.frameWidth() + 2)

    def _fit_width(self) -> None:
        """A panel narrower than its controls cut their values off behind a second scroll bar
        (lecture mode's larger font needs about half as much again): the panel is as wide as
        they need, at any font."""
        width = self.needed_width()
        self.setMinimumWidth(width)
        self.setMaximumWidth(width + SPARE_WIDTH)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.FontChange:
            self._fit_width()

    @property
    def _panels(self) -> tuple:
        """Every group of controls, in the order their edits are read into a Config."""
        return (self.dataset, self.network, self.regularizers, self.dropout)

    @property
    def config(self) -> Config:
        """The state's: what the widgets show."""
        return self._state.config

    def show_config(self, config: Config) -> None:
        """The widgets show `config` without sending it: the state's, whenever it is set."""
        for panel in self._panels:
            panel.show_config(config)

    def _edited(self) -> None:
        try:
            config = self.config
            for panel in self._panels:
                config = panel.apply(config)
        except DropvizError as error:
            self.sigError.emit(str(error))
            self.show_config(self.config)
            return
        self._state.edit(config)

    def _regenerate(self) -> None:
        self._state.edit(replace(self.config, seed=(self.config.seed + 1) % 2**32))

    def _open_csv(self) -> None:
        self.dataset.show_config(self.config)  # the combo shows the data in use meanwhile
        self.sigOpenCsv.emit()

    def use_csv(self, path: str, label: str, drop_bad_rows: bool = False) -> None:
        """Train on a CSV file with the chosen label column."""
        try:
            data = self.config.dataset
            dataset = DatasetConfig(name=CSV_DATASET, n_samples=data.n_samples, noise=data.noise,
                                    train_fraction=data.train_fraction,
                                    csv_path=path, label_column=label, drop_bad_rows=drop_bad_rows)
        except DropvizError as error:
            self.sigError.emit(str(error))
            return
        self.dataset.use_csv(path, label)
        self._state.edit(replace(self.config, dataset=dataset))

    def set_report(self, text: str) -> None:
        self.dataset.set_report(text)
