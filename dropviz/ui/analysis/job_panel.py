"""What every analysis panel shares: settings, Run and Cancel, a progress bar, export.

A panel turns its settings into a `JobRequest`, which the worker runs on a job thread; progress,
the result or the reason it stopped come back by kind (see `analysis.AnalysisDock`). The result
is drawn with pyqtgraph and can be exported: the numbers as CSV and every plot as PNG and SVG,
each written under a temporary name and renamed, so no file is ever half-written.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyqtgraph as pg
from PyQt5.QtCore import pyqtSignal
from PyQt5.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dropviz.model.errors import ConfigError, DropvizError
from dropviz.model.files import write_text_atomic
from dropviz.ui.style import plain_axes, set_title
from dropviz.ui.views.plot_export import write_view
from dropviz.ui.worker.background_job import JobRequest


def parse_numbers(text: str, what: str, integer: bool = False) -> list:
    """"0, 0.1 0.2" -> [0.0, 0.1, 0.2]; a word that is no number raises ConfigError naming it."""
    parts = [part for part in re.split(r"[,;\s]+", text.strip()) if part]
    if not parts:
        raise ConfigError(f"{what}: write at least one number, separated by commas")
    try:
        return [int(part) if integer else float(part) for part in parts]
    except ValueError:
        kind = "whole numbers" if integer else "numbers"
        raise ConfigError(f"{what}: {text.strip()!r} are not {kind} separated by "
                          "commas") from None


def result_plot(title: str, note: str, x_label: str, y_label: str) -> pg.PlotWidget:
    """A plot styled like the main views, for a result."""
    widget = pg.PlotWidget()
    plot = widget.getPlotItem()
    set_title(plot, title, note)
    plot.setLabel("bottom", x_label)
    plot.setLabel("left", y_label)
    plot.showGrid(x=True, y=True, alpha=0.2)
    plot.setMenuEnabled(False)
    plain_axes(plot)
    return widget


class JobPanel(QWidget):
    """A panel that runs one kind of job; subclasses fill in the settings and the plots."""

    sigRun = pyqtSignal(object)  # JobRequest
    sigCancel = pyqtSignal()
    sigDrawn = pyqtSignal()  # a result was drawn: new plot items exist

    kind = ""
    title = ""
    file_stem = ""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result: object | None = None
        self.settings = QFormLayout()
        self.settings.setFieldGrowthPolicy(QFormLayout.FieldsStayAtSizeHint)
        self.run_button = QPushButton("Run")
        self.cancel_button = QPushButton("Cancel")
        self.export_button = QPushButton("Export...")
        self.export_button.setToolTip("Save the numbers as CSV and the plots as PNG and SVG.")
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.run_button.clicked.connect(self._run)
        self.cancel_button.clicked.connect(self.sigCancel)
        self.export_button.clicked.connect(self._ask_export)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.progress, 1)
        buttons.addWidget(self.export_button)
        self.plots = QHBoxLayout()
        layout = QVBoxLayout(self)
        layout.addLayout(self.settings)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addLayout(self.plots, 1)
        self._running(False)
        self.export_button.setEnabled(False)

    # --- for subclasses ---------------------------------------------------------------------

    def request(self) -> JobRequest:
        """The job for the current settings; ConfigError for a setting that cannot be used."""
        raise NotImplementedError

    def draw(self, result: object) -> str:
        """Draw a result; returns one sentence about it for the status line."""
        raise NotImplementedError

    def csv_texts(self, result: object) -> dict[str, str]:
        """The numbers as CSV files by a short name ("" for the main file) used in file names."""
        raise NotImplementedError

    def views(self) -> dict[str, pg.GraphicsView]:
        """The plots to export, by a short name used in the file names."""
        raise NotImplementedError

    # --- from the worker, by kind -----------------------------------------------------------

    def job_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)

    def job_result(self, result: object) -> None:
        self._running(False)
        self.progress.setValue(self.progress.maximum())
        self.result = result
        self.status.setText(self.draw(result))
        self.export_button.setEnabled(True)
        self.sigDrawn.emit()

    def job_stopped(self, message: str) -> None:
        self._running(False)
        self.progress.setRange(0, 1)  # out of its busy state
        self.progress.setValue(0)
        self.status.setText(message or "Cancelled: nothing was drawn.")

    # --- here -------------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            request = self.request()
        except DropvizError as error:
            self.status.setText(str(error))
            return
        self._running(True)
        self.progress.setRange(0, 0)  # busy until the first progress report
        self.status.setText(f"Running {self.title}; training is paused meanwhile.")
        self.sigRun.emit(request)

    def _running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    def is_running(self) -> bool:
        return self.cancel_button.isEnabled()

    def _ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, f"Export {self.title}",
                                              f"{self.file_stem}.csv", "CSV files (*.csv)")
        if path:
            try:
                written = self.export_to(path)
            except DropvizError as error:
                self.status.setText(f"Export failed: {error}")
                return
            self.status.setText(f"Exported {len(written)} files next to {Path(path).name}.")

    def export_to(self, path: str | Path) -> list[Path]:
        """`stem.csv` (and `stem-name.csv`), and `stem-plot.png` and `.svg` for each plot."""
        path = Path(path).with_suffix(".csv")
        written = []
        for name, text in self.csv_texts(self.result).items():
            target = path.with_name(f"{path.stem}-{name}.csv") if name else path
            write_text_atomic(target, text)
            written.append(target)
        for name, view in self.views().items():
            for kind in ("png", "svg"):
                written.append(write_view(view, path.with_name(f"{path.stem}-{name}.{kind}")))
        return written
