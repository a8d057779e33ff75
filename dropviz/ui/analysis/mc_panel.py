"""Monte-Carlo dropout for the network as it is now: averaging K dropout passes against K.

The classic comparison: the test error of the mean of K stochastic passes falls with K and, at
around fifty passes, meets the deterministic network whose weights are scaled instead (the
horizontal line). For 2-D data a map shows where the passes disagree: the standard deviation of
their predictions over the same plane as the decision map. The job uses the current trainer, on
the network's own Monte-Carlo random stream, so it never changes the course of training.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import QRectF, Qt
from PyQt5.QtWidgets import QWidget

from dropviz.session.compare import run_label
from dropviz.session.snapshot import RunInfo
from dropviz.ui.analysis.job_panel import JobPanel, result_plot
from dropviz.ui.panels.widgets import spin_box
from dropviz.ui.style import MARKER_COLOUR, TEST_COLOUR, TRAIN_COLOUR
from dropviz.ui.worker.background_job import JobRequest, JobWork

if TYPE_CHECKING:
    from dropviz.model.monte_carlo import McCurve, UncertaintyMap
    from dropviz.model.sweeps import CancelledFn, ProgressFn
    from dropviz.model.trainer import NetworkPool, Trainer

MAX_SPREAD = 0.5  # the largest standard deviation a probability can have: the map's top colour
K_TICKS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)  # plain numbers on the log axis


@dataclass(frozen=True)
class McResult:
    curve: McCurve
    uncertainty: UncertaintyMap | None  # None unless the data is 2-D
    step: int  # the training step of the network analysed
    run: str  # its dropout settings in words


def mc_work(k_max: int, map_samples: int) -> JobWork:
    """The job: a curve over K = 1..k_max from k_max passes, then the map from its own passes."""

    def work(trainer: Trainer, pool: NetworkPool, progress: ProgressFn,
             cancelled: CancelledFn) -> McResult:
        from dropviz.model.monte_carlo import mc_curve, uncertainty_map

        data = trainer.dataset
        total = k_max + (map_samples if data.is_2d else 0)
        curve = mc_curve(trainer, data.X_test, data.y_test, ks=list(range(1, k_max + 1)),
                         progress=lambda done, _: progress(done, total), cancelled=cancelled)
        spread = None
        if data.is_2d:
            spread = uncertainty_map(trainer, map_samples,
                                     progress=lambda done, _: progress(k_max + done, total),
                                     cancelled=cancelled)
        return McResult(curve, spread, trainer.step_count, run_label(trainer.config))

    return work


def curve_csv(curve: McCurve) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("k", "test_error", "test_loss", "deterministic_error",
                     "deterministic_loss"))
    for k, error, loss in zip(curve.ks, curve.error, curve.loss, strict=True):
        writer.writerow([int(k), f"{error:.9g}", f"{loss:.9g}",
                         f"{curve.deterministic_error:.9g}", f"{curve.deterministic_loss:.9g}"])
    return buffer.getvalue()


def map_csv(spread: UncertaintyMap) -> str:
    """One row per point of the plane: x1, x2 and the spread of the passes there."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("x1", "x2", "std"))
    for j, y in enumerate(spread.ys):
        for i, x in enumerate(spread.xs):
            writer.writerow([f"{x:.6g}", f"{y:.6g}", f"{spread.std[j, i]:.6g}"])
    return buffer.getvalue()


def _deterministic_line() -> pg.InfiniteLine:
    """Labelled at its left end, above the line, where the curve of few passes is higher."""
    return pg.InfiniteLine(angle=0, pen=pg.mkPen(MARKER_COLOUR, width=2, style=Qt.DashLine),
                           label="", labelOpts={"position": 0.04, "color": "#444",
                                                "anchors": [(0, 1), (0, 1)],
                                                "fill": (255, 255, 255, 200)})


class MonteCarloPanel(JobPanel):
    kind = "mc"
    title = "the Monte-Carlo analysis"
    file_stem = "monte_carlo"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.k_max = spin_box(2, 1000, "The curve shows the mean of the first K passes for "
                              "every K from 1 up to this.")
        self.k_max.setValue(100)
        self.map_samples = spin_box(2, 1000, "Passes whose spread the uncertainty map shows "
                                    "(2-D data only).")
        self.map_samples.setValue(50)
        self.settings.addRow("Passes K, up to", self.k_max)
        self.settings.addRow("Passes for the map", self.map_samples)
        note = "mean of K dropout passes against one scaled pass (dashed)"
        self.error_plot = result_plot("Test error of MC dropout", note, "passes K (log scale)",
                                      "test error")
        self.loss_plot = result_plot("Test loss of MC dropout", note, "passes K (log scale)",
                                     "cross-entropy")
        self.error_curve = self._curve(self.error_plot, TEST_COLOUR)
        self.loss_curve = self._curve(self.loss_plot, TRAIN_COLOUR)
        self.error_line, self.loss_line = _deterministic_line(), _deterministic_line()
        self.error_plot.addItem(self.error_line)
        self.loss_plot.addItem(self.loss_line)
        self.map_plot = result_plot("Uncertainty of MC dropout", "std over the passes of the "
                                    "predicted class's probability", "x1 (standardised)",
                                    "x2 (standardised)")
        self.map_plot.getPlotItem().setAspectLocked(True)
        self.map_image = pg.ImageItem(axisOrder="row-major")
        colours = pg.colormap.get("viridis")
        self.map_image.setColorMap(colours)
        self.map_plot.addItem(self.map_image)
        bar = pg.ColorBarItem(values=(0, MAX_SPREAD), colorMap=colours, interactive=False,
                              label="std")
        bar.setImageItem(self.map_image, insert_in=self.map_plot.getPlotItem())
        self.map_points = pg.ScatterPlotItem(size=6, pen=pg.mkPen("w", width=0.8),
                                             brush=pg.mkBrush(255, 255, 255, 120))
        self.map_plot.addItem(self.map_points)
        for plot in (self.error_plot, self.loss_plot, self.map_plot):
            self.plots.addWidget(plot)

    @staticmethod
    def _curve(widget: pg.PlotWidget, colour: str) -> pg.PlotDataItem:
        plot = widget.getPlotItem()
        plot.setLogMode(x=True)
        plot.getAxis("bottom").setTicks([[(np.log10(k), str(k)) for k in K_TICKS]])
        return plot.plot(pen=pg.mkPen(colour, width=2.5))

    def set_run(self, info: RunInfo) -> None:
        """The map needs 2-D data; its points are the training set of the run."""
        self.map_plot.setVisible(info.is_2d)
        self.map_samples.setEnabled(info.is_2d)
        self.map_image.clear()
        if info.is_2d:
            self.map_points.setData(*info.X_train.T)

    def request(self) -> JobRequest:
        return JobRequest(self.kind, self.title, mc_work(self.k_max.value(),
                                                         self.map_samples.value()),
                          needs_trainer=True)

    def draw(self, result: McResult) -> str:
        curve = result.curve
        for item, line, values, deterministic, text in (
                (self.error_curve, self.error_line, curve.error, curve.deterministic_error,
                 f"{curve.deterministic_error:.1%}"),
                (self.loss_curve, self.loss_line, curve.loss, curve.deterministic_loss,
                 f"{curve.deterministic_loss:.3f}")):
            item.setData(curve.ks, values)
            line.setValue(deterministic)
            line.label.setFormat(f"one scaled pass: {text}")
        spread = result.uncertainty
        if spread is not None:
            self.map_image.setImage(spread.std, autoLevels=False, levels=(0, MAX_SPREAD))
            dx = (spread.xs[-1] - spread.xs[0]) / (len(spread.xs) - 1)
            dy = (spread.ys[-1] - spread.ys[0]) / (len(spread.ys) - 1)
            self.map_image.setRect(QRectF(spread.xs[0] - dx / 2, spread.ys[0] - dy / 2,
                                          dx * len(spread.xs), dy * len(spread.ys)))
        last = int(curve.ks[-1])
        return (f"Step {result.step}, {result.run}: one dropout pass errs on "
                f"{curve.error[0]:.1%} of the test set, the mean of {last} passes on "
                f"{curve.error[-1]:.1%}, the deterministic network on "
                f"{curve.deterministic_error:.1%}.")

    def csv_texts(self, result: McResult) -> dict[str, str]:
        texts = {"": curve_csv(result.curve)}
        if result.uncertainty is not None:
            texts["uncertainty"] = map_csv(result.uncertainty)
        return texts

    def views(self) -> dict[str, pg.GraphicsView]:
        views = {"error": self.error_plot, "loss": self.loss_plot}
        if self.result is not None and self.result.uncertainty is not None:
            views["uncertainty"] = self.map_plot
        return views
