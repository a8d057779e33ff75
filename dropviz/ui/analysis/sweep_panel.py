"""The paper's figures on small data: many fresh runs of the current settings, one setting varied.

Rate sweep: final train and test error against the hidden dropout rate, the U-shaped curve, with
error bars over seeds. Size sweep: test error against the number of training examples, with and
without dropout. Both are grids of independent runs (session/sweep_grid.py) trained on the
window's local Dask cluster, one worker process per core (session/sweep_cluster.py), so they use
every core while the window stays responsive; each run is drawn as it arrives, and Cancel keeps
the runs that finished. The cluster starts at the first sweep (seconds, and a compile of the
network's shape in each worker) and stays for the next ones. Sparsity: histograms of the hidden
activations of networks trained with and without dropout, on a job thread with the worker's
compiled networks (see background_job), so a sparsity run of the current shape compiles nothing.
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PyQt5.QtWidgets import QComboBox, QLineEdit, QWidget

from dropviz.model.config import Config, DropoutConfig
from dropviz.model.errors import ConfigError
from dropviz.session.snapshot import RunInfo
from dropviz.session.sweep_grid import Axis, SweepGrid, cell
from dropviz.ui.analysis.job_panel import JobPanel, parse_numbers, result_plot
from dropviz.ui.panels.widgets import release_focus_on_enter, spin_box
from dropviz.ui.style import CLASS_COLOURS, TEST_COLOUR, TRAIN_COLOUR
from dropviz.ui.worker.background_job import JobRequest

if TYPE_CHECKING:
    from dropviz.model.sweeps import (
        CancelledFn,
        ProgressFn,
        SparsityResult,
        SweepPoint,
        SweepResult,
        SweepSummary,
    )
    from dropviz.model.trainer import NetworkPool, Trainer

DEFAULT_RATES = "0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8"
SIZE_FRACTIONS = (0.125, 0.25, 0.5, 1.0)  # of the training split, for the automatic sizes
MIN_SIZE = 4
TEXT_WIDTH = 380  # pixels: room for the nine default rates
RATE_COLOURS = ("#555555", *CLASS_COLOURS[1:])  # the first rate, usually 0, in grey


def rate_colour(index: int) -> str:
    return RATE_COLOURS[index % len(RATE_COLOURS)]


def _text_box(text: str, tooltip: str) -> QLineEdit:
    box = QLineEdit(text)
    box.setToolTip(tooltip)
    box.setMinimumWidth(TEXT_WIDTH)
    release_focus_on_enter(box)
    return box


def parse_rates(text: str) -> list[float]:
    """Hidden rates from a text box, each checked as the Config checks it, before any training."""
    rates = parse_numbers(text, "hidden rates")
    for rate in rates:
        DropoutConfig(hidden=rate)
    return rates


def _error_bars(colour: str) -> pg.ErrorBarItem:
    return pg.ErrorBarItem(pen=pg.mkPen(colour, width=1.5), beam=0.015)


def summary_arrays(summary: list[SweepSummary], key: str) -> tuple[np.ndarray, ...]:
    """x (rate or size, by `key`), then mean and std of train and test error, sorted by x."""
    rows = sorted(summary, key=lambda s: getattr(s, key))
    return (np.array([getattr(s, key) for s in rows], dtype=float),
            np.array([s.mean["train_error"] for s in rows]),
            np.array([s.std["train_error"] for s in rows]),
            np.array([s.mean["test_error"] for s in rows]),
            np.array([s.std["test_error"] for s in rows]))


class SweepPanel(JobPanel):
    """A sweep of the current settings: the steps each fresh run trains for, and seeds."""

    def __init__(self, config: Callable[[], Config], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._config = config
        self._steps_set = False
        self.steps = spin_box(1, 10_000_000, "Training steps of every run of the sweep.")
        self.steps.setSingleStep(100)
        self.settings.addRow("Steps per run", self.steps)

    def set_run(self, info: RunInfo) -> None:
        """The first run's steps become the default; after that the user's choice stays."""
        if not self._steps_set:
            self._steps_set = True
            self.steps.setValue(info.config.steps)

    def sweep_config(self) -> Config:
        return replace(self._config(), steps=self.steps.value())


class GridSweepPanel(SweepPanel):
    """A sweep of a grid on the window's Dask cluster, drawn run by run as the rows arrive."""

    def __init__(self, config: Callable[[], Config], parent: QWidget | None = None) -> None:
        super().__init__(config, parent)
        self._arrived: queue.SimpleQueue[SweepPoint] = queue.SimpleQueue()
        self._order: dict[str, int] = {}  # the grid's order of the running sweep's points
        self._points: dict[str, SweepPoint] = {}
        self._kind = ""

    def grid(self) -> SweepGrid:
        """The sweep of the current settings; ConfigError for one that cannot be used."""
        raise NotImplementedError

    def request(self) -> JobRequest:
        grid = self.grid()
        tasks = grid.tasks()  # every setting checked here, before the job starts
        arrived: queue.SimpleQueue[SweepPoint] = queue.SimpleQueue()
        self._arrived, self._points, self._kind = arrived, {}, grid.kind
        self._order = {task.point: task.index for task in tasks}

        def work(trainer: Trainer | None, pool: NetworkPool, progress: ProgressFn,
                 cancelled: CancelledFn) -> SweepResult:
            from dropviz.session.sweep_cluster import Sweep, shared_client

            return Sweep(grid).run(shared_client(), on_point=arrived.put, progress=progress,
                                   cancelled=cancelled)

        return JobRequest(self.kind, self.title, work, needs_trainer=False)

    def partial_result(self) -> SweepResult:
        """The runs that arrived so far, in the grid's order."""
        from dropviz.model.sweeps import SweepResult

        while not self._arrived.empty():
            point = self._arrived.get()
            self._points[point.point] = point
        ordered = sorted(self._points.values(), key=lambda point: self._order[point.point])
        return SweepResult(self._kind, tuple(ordered))

    def job_progress(self, done: int, total: int) -> None:
        super().job_progress(done, total)
        before = len(self._points)
        partial = self.partial_result()
        if len(partial.points) > before:
            self.draw(partial)
            self.status.setText(f"{len(partial.points)} of {total} runs so far; training is "
                                "paused meanwhile.")
            self.sigDrawn.emit()

    def job_stopped(self, message: str) -> None:
        super().job_stopped(message)
        partial = self.partial_result()
        if partial.points:
            self.result = partial
            self.draw(partial)
            self.export_button.setEnabled(True)
            self.status.setText(message or f"Cancelled: the {len(partial.points)} runs that "
                                f"finished are drawn and kept for export.")
            self.sigDrawn.emit()

    def csv_texts(self, result: SweepResult) -> dict[str, str]:
        return {"": result.to_csv()}

    def views(self) -> dict[str, pg.GraphicsView]:
        return {"error": self.plot}


def _texts(values: list) -> tuple[str, ...]:
    return tuple(cell(value) for value in values)


class RateSweepPanel(GridSweepPanel):
    kind = "rate_sweep"
    title = "the dropout-rate sweep"
    file_stem = "rate_sweep"

    def __init__(self, config: Callable[[], Config], parent: QWidget | None = None) -> None:
        super().__init__(config, parent)
        self.rates = _text_box(DEFAULT_RATES, "Hidden dropout rates to train with, separated "
                               "by commas.")
        self.seeds = spin_box(1, 50, "Runs per rate, each from its own seed (data, weights and "
                              "masks): more than one draws error bars of one standard deviation.")
        self.settings.insertRow(0, "Hidden rates p", self.rates)
        self.settings.insertRow(1, "Seeds per rate", self.seeds)
        self.plot = result_plot("Final error against the dropout rate",
                                "fresh network per rate, same data and initial weights",
                                "hidden dropout rate p", "error (1 - accuracy)")
        plot = self.plot.getPlotItem()
        plot.addLegend(offset=(-10, 10))
        self.train_curve = plot.plot(pen=pg.mkPen(TRAIN_COLOUR, width=2.5), symbol="o",
                                     symbolBrush=TRAIN_COLOUR, symbolSize=7, name="train")
        self.test_curve = plot.plot(pen=pg.mkPen(TEST_COLOUR, width=2.5), symbol="o",
                                    symbolBrush=TEST_COLOUR, symbolSize=7, name="test")
        self.train_bars, self.test_bars = _error_bars(TRAIN_COLOUR), _error_bars(TEST_COLOUR)
        for bars in (self.train_bars, self.test_bars):
            plot.addItem(bars)
        self.plots.addWidget(self.plot)

    def grid(self) -> SweepGrid:
        rates = parse_rates(self.rates.text())
        return SweepGrid(self.sweep_config(), (Axis("dropout.hidden", _texts(rates)),),
                         self.seeds.value())

    def draw(self, result: SweepResult) -> str:
        rates, train, train_std, test, test_std = summary_arrays(result.summary(), "rate")
        self.train_curve.setData(rates, train)
        self.test_curve.setData(rates, test)
        seeds = max(s.runs for s in result.summary())
        for bars, values, std in ((self.train_bars, train, train_std),
                                  (self.test_bars, test, test_std)):
            bars.setData(x=rates, y=values, height=2 * std)
            bars.setVisible(seeds > 1)
        trained = f"{len(result.points)} networks trained for {result.points[0].steps} steps"
        if not np.isfinite(test).any():
            return f"No run finished well; {trained}: the CSV's status column says why."
        best = int(np.nanargmin(test))
        return f"Lowest test error {test[best]:.1%} at p = {rates[best]:g}; {trained}."


class SizeSweepPanel(GridSweepPanel):
    kind = "size_sweep"
    title = "the training-set size sweep"
    file_stem = "size_sweep"

    def __init__(self, config: Callable[[], Config], parent: QWidget | None = None) -> None:
        super().__init__(config, parent)
        self._train_size = 0
        self.sizes = _text_box("", "Numbers of training examples, separated by commas; empty: "
                               "an eighth, a quarter, half and all of the training split.")
        self.sizes.setPlaceholderText("automatic")
        self.rates = _text_box("0, 0.5", "Hidden dropout rates: one line each.")
        self.seeds = spin_box(1, 50, "Runs per point, each from its own seed; more than one "
                              "draws error bars.")
        self.settings.insertRow(0, "Training examples", self.sizes)
        self.settings.insertRow(1, "Hidden rates p", self.rates)
        self.settings.insertRow(2, "Seeds per point", self.seeds)
        self.plot = result_plot("Test error against training-set size",
                                "each size a subset of the same training split, same test set",
                                "training examples", "test error")
        self.legend = self.plot.getPlotItem().addLegend(offset=(-10, 10))
        self._items: list[pg.GraphicsObject] = []
        self.plots.addWidget(self.plot)

    def set_run(self, info: RunInfo) -> None:
        super().set_run(info)
        self._train_size = len(info.y_train)

    def automatic_sizes(self) -> list[int]:
        return sorted({max(MIN_SIZE, min(self._train_size, round(self._train_size * fraction)))
                       for fraction in SIZE_FRACTIONS})

    def grid(self) -> SweepGrid:
        text = self.sizes.text().strip()
        sizes = parse_numbers(text, "training examples", integer=True) if text \
            else self.automatic_sizes()
        rates = parse_rates(self.rates.text())
        axes = (Axis("dropout.hidden", _texts(rates)), Axis("size", _texts(sizes)))
        return SweepGrid(self.sweep_config(), axes, self.seeds.value())

    def draw(self, result: SweepResult) -> str:
        plot = self.plot.getPlotItem()
        for item in self._items:
            plot.removeItem(item)
        self._items = []
        summary = result.summary()
        rates = sorted({s.rate for s in summary})
        finals = []
        for index, rate in enumerate(rates):
            colour = rate_colour(index)
            sizes, _, _, test, test_std = summary_arrays([s for s in summary if s.rate == rate],
                                                         "train_size")
            curve = plot.plot(sizes, test, pen=pg.mkPen(colour, width=2.5), symbol="o",
                              symbolBrush=colour, symbolSize=7, name=f"p = {rate:g}")
            self._items.append(curve)
            if max(s.runs for s in summary) > 1:
                bars = _error_bars(colour)
                bars.setData(x=sizes, y=test, height=2 * test_std, beam=0.0)
                plot.addItem(bars)
                self._items.append(bars)
            finals.append(f"p = {rate:g}: {test[-1]:.1%}")
        largest = max(s.train_size for s in summary)
        return f"Test error with {largest} training examples: " + ", ".join(finals) + "."

    def curves(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The lines drawn, one per rate in increasing order."""
        return [item.getOriginalDataset() for item in self._items
                if isinstance(item, pg.PlotDataItem)]


class SparsityPanel(SweepPanel):
    kind = "sparsity"
    title = "the activation sparsity runs"
    file_stem = "sparsity"

    def __init__(self, config: Callable[[], Config], parent: QWidget | None = None) -> None:
        super().__init__(config, parent)
        self.rates = _text_box("0, 0.5", "Hidden dropout rates: one network and one histogram "
                               "each.")
        self.bins = spin_box(5, 200, "Bars of each histogram.")
        self.bins.setValue(30)
        self.layer = QComboBox()
        self.layer.setToolTip("The hidden layer whose activations are shown.")
        self.settings.insertRow(0, "Hidden rates p", self.rates)
        self.settings.insertRow(1, "Histogram bins", self.bins)
        self.settings.addRow("Layer shown", self.layer)
        self.plot = result_plot("Hidden activations on the test set",
                                "networks trained with and without dropout",
                                "activation", "share of activations")
        self.legend = self.plot.getPlotItem().addLegend(offset=(-10, 10))
        self._items: list[pg.PlotDataItem] = []
        self.plots.addWidget(self.plot)
        self.layer.currentIndexChanged.connect(self._show_layer)

    def request(self) -> JobRequest:
        rates = parse_rates(self.rates.text())
        bins = self.bins.value()
        config = self.sweep_config()
        if config.recurrent:
            raise ConfigError("Activation sparsity is drawn for feed-forward networks; a "
                              "recurrent net's activations are its states, which Hidden state "
                              "over time shows as it trains.")

        def work(trainer: Trainer | None, pool: NetworkPool, progress: ProgressFn,
                 cancelled: CancelledFn) -> SparsityResult:
            from dropviz.session.sweeps import activation_sparsity

            return activation_sparsity(config, rates, bins, pool=pool, progress=progress,
                                       cancelled=cancelled)

        return JobRequest(self.kind, self.title, work, needs_trainer=False)

    def draw(self, result: SparsityResult) -> str:
        self.layer.blockSignals(True)
        self.layer.clear()
        self.layer.addItems(list(result.layers))
        self.layer.blockSignals(False)
        self._show_layer()
        parts = [f"p = {rate:g}: {result.near_zero[r, 0]:.0%}"
                 for r, rate in enumerate(result.rates)]
        return (f"Activations of {result.layers[0]} that are (near) zero: " + ", ".join(parts)
                + ".")

    def _show_layer(self) -> None:
        """Histograms of the chosen layer, one per rate, as shares so the areas compare."""
        result = self.result
        plot = self.plot.getPlotItem()
        for item in self._items:
            plot.removeItem(item)
        self._items = []
        layer = self.layer.currentIndex()
        if result is None or layer < 0:
            return
        edges = result.edges[layer]
        for r, rate in enumerate(result.rates):
            counts = result.counts[r, layer]
            colour = pg.mkColor(rate_colour(r))
            fill = pg.mkColor(colour)
            fill.setAlpha(60)
            item = plot.plot(edges, counts / max(1, counts.sum()), stepMode="center",
                             fillLevel=0.0, brush=fill, pen=pg.mkPen(colour, width=2),
                             name=f"p = {rate:g}: {result.near_zero[r, layer]:.0%} near zero")
            self._items.append(item)
        self.sigDrawn.emit()

    def histograms(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(edges, shares) drawn for the layer shown, one per rate."""
        return [item.getOriginalDataset() for item in self._items]

    def csv_texts(self, result: SparsityResult) -> dict[str, str]:
        return {"": result.to_csv()}

    def views(self) -> dict[str, pg.GraphicsView]:
        return {"histogram": self.plot}
