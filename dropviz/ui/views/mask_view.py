"""Which units dropout switched off: per layer, a units x steps raster scrolling with training.

Dark is dropped, light is kept; the newest column is the current step. Noise that is not a 0/1
mask (Gaussian dropout, DropConnect's share of weights kept) is shaded on one scale relative to
its expected value 1-p (noise_colours.py). The raster follows the
first example of each batch (see `Snapshot`). With per-example masks every example has its own
mask, so a second, small image shows the whole current batch: rows are examples, columns units.

A recurrent model draws its masks for every time step, (batch, time, units). Its raster follows the
first time step, and the second image is the first sequence's mask as units x time steps, shown
whatever the mask shape: masks tied over time are horizontal stripes (a unit dropped at one step
is dropped at all), masks drawn per step are noise.

Before the first step there are no masks, but the class should already see the layers: each
raster and batch image is laid out at its final size on a grey ground (NOT_YET_COLOUR), and the
step axis runs from 1 to RECENT_STEPS until the raster fills, then scrolls.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PyQt5.QtWidgets import QWidget

from dropviz.model.results import SEQUENCE_NOISE
from dropviz.session.snapshot import RECENT_STEPS, RunInfo, Snapshot
from dropviz.ui.style import DROPPED_COLOUR, KEPT_COLOUR, NOT_YET_COLOUR, plain_axes, set_title
from dropviz.ui.views.noise_colours import LEVELS, NOISE_LUT, float_noise_layers, relative_noise

MASK_TITLE_SIZE = "10pt"
LUT = np.array([DROPPED_COLOUR, KEPT_COLOUR], dtype=np.uint8)  # 0 dropped, 1 kept


def _image_item() -> pg.ImageItem:
    item = pg.ImageItem(axisOrder="row-major")
    item.setLookupTable(LUT)
    item.setLevels((0, 1))
    return item


def _quiet_plot(plot: pg.PlotItem) -> None:
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    plot.getViewBox().invertY(True)
    plot.getViewBox().setBackgroundColor(NOT_YET_COLOUR)
    plain_axes(plot)


def _edge_ticks(axis: pg.AxisItem, count: int) -> None:
    """Ticks at the two ends only: "0" and the count of units or examples. Every tick between
    crowded a raster a few rows tall (a 2-unit input layer read "0 0.5 1.0 1.5 2.0")."""
    axis.setTicks([[(0, "0"), (count, str(count))], []])


def step_window(step: int) -> tuple[float, float]:
    """The steps the raster spans: the last RECENT_STEPS, or the first ones until there are."""
    last = max(step, RECENT_STEPS)
    return last - RECENT_STEPS + 0.5, last + 0.5


@dataclass
class _Row:
    units: int
    float_noise: bool
    raster_plot: pg.PlotItem
    raster: pg.ImageItem
    batch_plot: pg.PlotItem
    batch: pg.ImageItem
    sequence: bool = False  # the second image is the first sequence's units x time steps
    title: str = ""
    batch_rows: int = 0
    window: tuple[float, float] = (0.0, 0.0)  # the steps shown

    def set_title(self, text: str) -> None:
        """Only on a change: a new title re-lays out the whole view, too slow for every frame."""
        if text != self.title:
            self.title = text
            set_title(self.raster_plot, text)


class MaskView(pg.GraphicsLayoutWidget):
    """A row per layer that draws a mask, in the network's order."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: dict[str, _Row] = {}
        self._per_example = True

    def _image(self, row: _Row, item: pg.ImageItem, values: np.ndarray, rate: float) -> None:
        """A 0/1 mask as it always was; float noise relative to 1-p on the noise scale."""
        if row.float_noise:
            item.setLookupTable(NOISE_LUT)
            item.setImage(relative_noise(values, rate), autoLevels=False, levels=LEVELS)
        else:
            item.setLookupTable(LUT)
            item.setImage(values.astype(np.uint8), autoLevels=False, levels=(0, 1))

    # --- the view protocol (view.py) ----------------------------------------------------------

    def run_started(self, info: RunInfo) -> None:
        self.clear()
        self._rows = {}
        grid = self.ci.layout
        widths = info.layout.noise_units()
        batch_rows = min(info.config.batch_size, len(info.y_train))
        names = tuple(widths)
        floats = float_noise_layers(info.layout)
        sequences = {layer.name for layer in info.layout.layers if layer.noise == SEQUENCE_NOISE}
        time_steps = info.config.dataset.steps_per_row
        for index, (name, units) in enumerate(widths.items()):
            sequence = name in sequences
            raster_plot = self.addPlot(row=index, col=0)
            _quiet_plot(raster_plot)
            _edge_ticks(raster_plot.getAxis("left"), units)  # they say how many units
            set_title(raster_plot, f"<b>{name}</b>", size=MASK_TITLE_SIZE)
            raster_plot.setRange(xRange=step_window(0), yRange=(0, units), padding=0)
            raster = _image_item()
            raster_plot.addItem(raster)
            batch_plot = self.addPlot(row=index, col=1)
            _quiet_plot(batch_plot)
            batch = _image_item()
            batch_plot.addItem(batch)
            if sequence:
                set_title(batch_plot, "first sequence", size=MASK_TITLE_SIZE)
                batch_plot.setRange(xRange=(0, time_steps), yRange=(0, units), padding=0)
                _edge_ticks(batch_plot.getAxis("bottom"), time_steps)
                _edge_ticks(batch_plot.getAxis("left"), units)
            else:
                set_title(batch_plot, "batch", size=MASK_TITLE_SIZE)
                batch_plot.setRange(xRange=(0, units), yRange=(0, batch_rows), padding=0)
                _edge_ticks(batch_plot.getAxis("bottom"), units)
                _edge_ticks(batch_plot.getAxis("left"), batch_rows)
            if index == len(names) - 1:
                raster_plot.setLabel("bottom", "step")
                if sequence:
                    batch_plot.setLabel("bottom", "time step")
            else:
                raster_plot.showAxis("bottom", False)
                batch_plot.showAxis("bottom", False)
            self._rows[name] = _Row(units, name in floats, raster_plot, raster, batch_plot, batch,
                                    sequence)
            grid.setRowStretchFactor(index, 1 + min(units, 64) // 16)
        grid.setColumnStretchFactor(0, 3)
        grid.setColumnStretchFactor(1, 1)
        self._show_batch(self._per_example)

    def draw(self, snapshot: Snapshot) -> None:
        """Arrays are used as given (the worker sent copies); the masks are empty at step 0."""
        config = snapshot.config
        rates = dict(zip(config.dropout_layer_names, config.dropout_rates, strict=True))
        per_example = config.mask == "per_example"
        step, recent_steps = snapshot.step, snapshot.recent_steps
        recent, batch = snapshot.recent_masks, snapshot.masks
        if per_example != self._per_example:
            self._show_batch(per_example)
        for name, row in self._rows.items():
            rate = rates.get(name, 0.0)
            raster = recent[name]
            if raster.shape[1]:
                self._image(row, row.raster, raster, rate)
                row.raster.setRect(float(recent_steps[0]) - 0.5, 0.0, raster.shape[1], row.units)
            else:
                row.raster.clear()
            shade = ", shade = noise ÷ (1-p)" if row.float_noise else ""
            row.set_title(f"<b>{name}</b>: p = {rate:.2f}{shade}")
            if name in batch and row.sequence:
                # units x time steps: one pixel a cell, as the plot's range is laid out
                self._image(row, row.batch, batch[name][0].T, rate)
            elif name in batch:
                kept = batch[name]
                self._image(row, row.batch, kept, rate)
                if kept.shape[0] != row.batch_rows:
                    row.batch_rows = kept.shape[0]
                    row.batch.setRect(0.0, 0.0, row.units, kept.shape[0])
                    row.batch_plot.setRange(xRange=(0, row.units), yRange=(0, kept.shape[0]),
                                            padding=0)
                    _edge_ticks(row.batch_plot.getAxis("left"), kept.shape[0])
            else:
                row.batch.clear()
        window = step_window(step)
        for row in self._rows.values():  # each its own: linked plots align their pixels, and a
            if row.window != window:  # row with wider tick labels showed fewer steps
                row.window = window
                row.raster_plot.setXRange(*window, padding=0)

    def set_compare(self, label: str) -> None:
        """Only the run's masks are shown: a second raster per layer would not fit."""

    def plot_widget(self) -> pg.GraphicsView:
        return self

    def has_plot(self) -> bool:
        return True

    # ---------------------------------------------------------------------------------------------

    def _show_batch(self, visible: bool) -> None:
        """The batch images follow the mask shape; a sequence's image is always there."""
        self._per_example = visible
        shown = False
        for row in self._rows.values():
            row.batch_plot.setVisible(visible or row.sequence)
            shown = shown or visible or row.sequence
        self.ci.layout.setColumnMaximumWidth(1, 10_000 if shown else 0)

    def raster(self, name: str) -> np.ndarray:
        """The image shown for a layer, (units, steps): 1 = kept, 0 = dropped; for float noise,
        the noise divided by 1-p."""
        return self._rows[name].raster.image

    def batch_image(self, name: str) -> np.ndarray:
        return self._rows[name].batch.image

    def sequence_image(self, name: str) -> np.ndarray:
        """A recurrent layer's image of the first sequence, (units, time steps): 1 = kept."""
        return self._rows[name].batch.image

    def batch_visible(self) -> bool:
        return self._per_example
