"""A recurrent network unrolled over its last few time steps, thinned by the step's masks.

Time runs to the right. In each time step's block the inputs x_t sit at the bottom, each recurrent
layer's state above them, and the output reads the last step's top state. Every column shows the
first example's masks at that time step (the masks are (batch, time, units)):

- an input unit dropped at t is greyed and crossed, and so are its links into the state;
- a state unit whose output is dropped at t (the layer's `hidden` mask) is greyed and crossed, and
  so are its links up to the next layer or to the output;
- a link from the state at t-1 to the state at t is greyed when the carried-state mask at t (the
  layer's `recurrent` mask) dropped its unit: that is the connection dropout on the state cuts.

Greyed links stay drawn, thin, so the picture keeps its shape; the others are coloured by the sign
of their weight and thicker the larger it is, as in the feed-forward picture. A GRU's links show
its candidate gate's weights (n in r, z, n). Wide layers show an evenly chosen subset of units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg

from dropviz.model.results import RECURRENT_KINDS, NetworkLayout
from dropviz.ui.style import NEGATIVE_WEIGHT, POSITIVE_WEIGHT
from dropviz.ui.views.unit_subset import shown_units

SHOWN_STEPS = 4  # the last time steps drawn: enough to see masks change or stay over time
MAX_UNITS = 8  # units per column: more would blur at the size of a block
BLOCK = 1.6  # the distance between two time steps
INPUT_OFFSET = 0.55  # the inputs sit left of their state, so their links fan out, not overlap
BAND_GAP = 1.4
LINK_WIDTHS = (0.5, 1.0, 1.8, 3.0)
LINK_ALPHAS = (45, 90, 150, 220)
GREYED = (170, 170, 170, 70)
NODE_SIZE = 11


@dataclass(frozen=True)
class _Column:
    """One layer's units at one time step; `mask` greys the nodes (None: never greyed)."""

    band: int  # 0 inputs, k the k-th recurrent layer, last the output
    step: int  # the time step, 0-based; the output's is the last
    x: float
    ys: np.ndarray
    units: np.ndarray  # the indices shown
    mask: str | None


@dataclass(frozen=True)
class _Links:
    """Links between two columns through weight `weight` (columns `gate` of it), greyed per unit of
    the source by mask `cut` at time step `cut_step` (None: by the source column's own nodes)."""

    source: int
    target: int
    weight: str
    gate: slice
    cut: str | None = None
    cut_step: int = 0


class UnrolledNetwork:
    """Draws into a plot given by the network view; remove() takes every item out again."""

    def __init__(self, plot: pg.PlotItem, layout: NetworkLayout) -> None:
        self._plot = plot
        recurrent = [layer for layer in layout.layers if layer.kind in RECURRENT_KINDS]
        step_width = layout.layers[0].units
        self.time_steps = layout.n_inputs // step_width
        self.steps = list(range(max(0, self.time_steps - SHOWN_STEPS), self.time_steps))
        output = layout.of_kind("dense")[-1]
        widths = [step_width, *(layer.units for layer in recurrent), output.units]
        shown = [shown_units(width, MAX_UNITS) for width in widths]
        tops = np.cumsum([0.0, *(len(units) + BAND_GAP for units in shown)])
        self.columns: list[_Column] = []
        self.links: list[_Links] = []
        index: dict[tuple[int, int], int] = {}
        for place, step in enumerate(self.steps):
            for band in range(len(recurrent) + 1):
                x = place * BLOCK - (INPUT_OFFSET if band == 0 else 0.0)
                mask = "input" if band == 0 else f"hidden{band}"
                index[band, step] = len(self.columns)
                self.columns.append(self._column(band, step, x, shown[band], tops[band], mask))
        last = len(recurrent) + 1
        index[last, self.steps[-1]] = len(self.columns)
        self.columns.append(self._column(last, self.steps[-1], (len(self.steps) - 1) * BLOCK
                                         + BLOCK * 0.6, shown[last], tops[last - 1], None))
        for band, layer in enumerate(recurrent, start=1):
            gates = slice(-layer.units, None)  # the RNN's only block, the GRU's candidate
            wx, wh = layer.params[0].name, layer.params[1].name
            for step in self.steps:
                self.links.append(_Links(index[band - 1, step], index[band, step], wx, gates))
                if (band, step - 1) in index:
                    self.links.append(_Links(index[band, step - 1], index[band, step], wh, gates,
                                             layer.name, step))
        self.links.append(_Links(index[len(recurrent), self.steps[-1]], index[last, self.steps[-1]],
                                 output.params[0].name, slice(None)))
        self._kept = [np.ones(len(column.units), bool) for column in self.columns]
        self._link_kept: list[np.ndarray] = []
        self._curves = {key: pg.PlotCurveItem(pen=pg.mkPen((*colour, alpha), width=width))
                        for key, colour, alpha, width in self._pens()}
        self._nodes = pg.ScatterPlotItem(size=NODE_SIZE, pxMode=True)
        self._crosses = pg.ScatterPlotItem(size=NODE_SIZE * 0.6, symbol="x", pxMode=True,
                                           pen=None, brush=pg.mkBrush(150, 150, 150))
        self._captions = self._make_captions(recurrent, shown, widths)
        for item in (*self._curves.values(), self._nodes, self._crosses, *self._captions):
            plot.addItem(item)
        low, high = -2.4, max(column.ys[-1] for column in self.columns) + 0.8
        plot.setXRange(-INPUT_OFFSET - 0.3, (len(self.steps) - 1) * BLOCK + BLOCK * 0.6 + 0.3,
                       padding=0.02)
        plot.setYRange(low, high, padding=0)

    @staticmethod
    def _column(band: int, step: int, x: float, units: np.ndarray, bottom: float,
                mask: str | None) -> _Column:
        return _Column(band, step, x, bottom + np.arange(len(units), dtype=float), units, mask)

    @staticmethod
    def _pens() -> list[tuple[object, tuple[int, int, int], int, float]]:
        pens: list[tuple[object, tuple[int, int, int], int, float]] = [
            ("greyed", GREYED[:3], GREYED[3], 0.6)]
        for sign, colour in ((0, NEGATIVE_WEIGHT), (1, POSITIVE_WEIGHT)):
            for bucket, (width, alpha) in enumerate(zip(LINK_WIDTHS, LINK_ALPHAS, strict=True)):
                pens.append(((sign, bucket), colour, alpha, width))
        return pens

    def _make_captions(self, recurrent: list, shown: list[np.ndarray],
                       widths: list[int]) -> list[pg.TextItem]:
        """Only the time steps under the blocks: names beside the columns did not fit a narrow
        view, so `description` names the layers for the title."""
        names = ["input", *(layer.name for layer in recurrent), "output"]
        self.description = "bottom to top: " + ", ".join(
            name if len(units) == width else f"{name} ({len(units)} of {width} units)"
            for name, units, width in zip(names, shown, widths, strict=True))
        captions = []
        for place, step in enumerate(self.steps):
            caption = pg.TextItem(f"t{step + 1}", color="#333333", anchor=(0.5, 0))
            caption.setPos(place * BLOCK, -0.6)
            captions.append(caption)
        return captions

    def remove(self) -> None:
        for item in (*self._curves.values(), self._nodes, self._crosses, *self._captions):
            self._plot.removeItem(item)

    def set_state(self, weights: dict[str, np.ndarray] | None,
                  masks: dict[str, np.ndarray]) -> None:
        """The first example's masks at each shown time step; none (step 0) is the full net."""
        self._kept = [self._mask(masks, column.mask, column.step, column.units)
                      for column in self.columns]
        self._draw_links(weights, masks)
        self._draw_nodes()

    @staticmethod
    def _mask(masks: dict[str, np.ndarray], name: str | None, step: int,
              units: np.ndarray) -> np.ndarray:
        if name is None or name not in masks:
            return np.ones(len(units), bool)
        return masks[name][0, step, units] != 0

    def _draw_links(self, weights: dict[str, np.ndarray] | None,
                    masks: dict[str, np.ndarray]) -> None:
        parts: dict[object, list[np.ndarray]] = {key: [] for key in self._curves}
        self._link_kept = []
        for link in self.links if weights is not None else ():
            source, target = self.columns[link.source], self.columns[link.target]
            sub = weights[link.weight][:, link.gate][np.ix_(source.units, target.units)]
            finite = np.isfinite(sub)
            sub = np.where(finite, sub, 0.0)
            from_kept = (self._kept[link.source] if link.cut is None
                         else self._mask(masks, link.cut, link.cut_step, source.units))
            kept = np.broadcast_to(from_kept[:, None], sub.shape) & finite
            self._link_kept.append(kept)
            magnitude = np.abs(sub) / (np.abs(sub).max() or 1.0)
            buckets = np.minimum((magnitude * len(LINK_WIDTHS)).astype(int), len(LINK_WIDTHS) - 1)
            signs = (sub > 0).astype(int)
            y_from, y_to = np.meshgrid(source.ys, target.ys, indexing="ij")
            for key in parts:
                chosen = ~kept if key == "greyed" else kept & (signs == key[0]) & (buckets == key[1])
                count = int(chosen.sum())
                xs = np.tile([source.x, target.x], count)
                ys = np.column_stack([y_from[chosen], y_to[chosen]]).ravel()
                parts[key].append(np.column_stack([xs, ys]))
        for key, curve in self._curves.items():
            points = np.concatenate(parts[key]) if parts[key] else np.empty((0, 2))
            curve.setData(points[:, 0], points[:, 1], connect="pairs")

    def _draw_nodes(self) -> None:
        xs = np.concatenate([np.full(len(column.ys), column.x) for column in self.columns])
        ys = np.concatenate([column.ys for column in self.columns])
        kept = np.concatenate(self._kept)
        kept_brush, dropped_brush = pg.mkBrush("w"), pg.mkBrush(215, 215, 215)
        kept_pen, dropped_pen = pg.mkPen("#333333", width=1.4), pg.mkPen(185, 185, 185, width=1)
        self._nodes.setData(xs, ys, brush=[kept_brush if k else dropped_brush for k in kept],
                            pen=[kept_pen if k else dropped_pen for k in kept])
        self._crosses.setData(xs[~kept], ys[~kept])

    def kept_nodes(self, mask: str, step: int) -> np.ndarray:
        """Whether each shown unit of the column that `mask` thins at `step` is drawn as kept."""
        column = next(index for index, column in enumerate(self.columns)
                      if column.mask == mask and column.step == step)
        return self._kept[column]

    def carried_links(self, layer: str, step: int) -> np.ndarray:
        """Per link from the state at step-1 to the state at `step` (source x target units shown),
        whether it is drawn kept rather than greyed."""
        position = next(index for index, link in enumerate(self.links)
                        if link.cut == layer and link.cut_step == step)
        return self._link_kept[position]

    def shown(self, band: int) -> np.ndarray:
        """The unit indices shown in a band: 0 inputs, k the k-th recurrent layer."""
        return next(column.units for column in self.columns if column.band == band)
