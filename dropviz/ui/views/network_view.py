"""The thinned network of the current step, as in the classic figure of dropout.

Units dropped for the first example of the batch are greyed and crossed out and lose all their
links, incoming and outgoing, since a dropped unit neither passes anything on nor learns at that
step. Noise that is not a 0/1 mask (Gaussian factors, DropConnect's share of a unit's weights
kept) shades each unit on the noise scale of noise_colours.py; only a unit at exactly 0 is
crossed out. Links are coloured by the sign of their weight and drawn thicker the larger it is. Wide
layers show an evenly chosen subset of units, or the picture would be a grey blur. A recurrent
network is drawn unrolled over its last time steps instead (unrolled_network.py).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt5.QtWidgets import QWidget

from dropviz.model.results import RECURRENT_KINDS, NetworkLayout
from dropviz.session.snapshot import RunInfo, Snapshot
from dropviz.ui.style import NEGATIVE_WEIGHT, POSITIVE_WEIGHT, set_title
from dropviz.ui.views.noise_colours import (
    float_noise_layers,
    noise_caption,
    noise_colours,
    relative_noise,
)
from dropviz.ui.views.unit_subset import shown_units as spread_units
from dropviz.ui.views.unrolled_network import UnrolledNetwork

MAX_SHOWN = 16
# Links fall into buckets by |weight| relative to the largest shown between the two layers.
LINK_WIDTHS = (0.6, 1.2, 2.2, 3.6)
LINK_ALPHAS = (45, 90, 150, 220)
NODE_SIZE = 16


def shown_units(units: int, limit: int = MAX_SHOWN) -> np.ndarray:
    """At most MAX_SHOWN of a layer's units, evenly spread."""
    return spread_units(units, limit)


def _layer_caption(name: str, units: int, shown: int) -> str:
    if shown < units:
        return f"{name}\n{shown} of {units}"
    return f"{name}\n{units} unit{'' if units == 1 else 's'}"


class NetworkView(pg.GraphicsLayoutWidget):
    """The run's network as a column of units per layer, thinned by the step's masks."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._plot = self.addPlot()
        self._plot.hideAxis("left")
        self._plot.hideAxis("bottom")
        self._plot.setMenuEnabled(False)
        self._plot.setMouseEnabled(x=False, y=False)
        self._plot.hideButtons()
        set_title(self._plot, "Thinned network")
        self._links: dict[tuple[int, int], pg.PlotCurveItem] = {}
        for sign, colour in ((0, NEGATIVE_WEIGHT), (1, POSITIVE_WEIGHT)):
            for bucket, (width, alpha) in enumerate(zip(LINK_WIDTHS, LINK_ALPHAS, strict=True)):
                curve = pg.PlotCurveItem(pen=pg.mkPen((*colour, alpha), width=width))
                self._plot.addItem(curve)
                self._links[sign, bucket] = curve
        self._nodes = pg.ScatterPlotItem(size=NODE_SIZE, pxMode=True)
        self._crosses = pg.ScatterPlotItem(size=NODE_SIZE * 0.6, symbol="x", pxMode=True,
                                           pen=None, brush=pg.mkBrush(150, 150, 150))
        self._plot.addItem(self._nodes)
        self._plot.addItem(self._crosses)
        self._captions: list[pg.TextItem] = []
        self._shown: list[np.ndarray] = []
        self._y: list[np.ndarray] = []
        self._masks: list[str | None] = []  # per layer of units, the mask that thins it
        self._weights: list[str] = []  # per pair of layers of units, the weight between them
        self._kept: list[np.ndarray] = []  # per layer of units, each shown unit's noise
        self._float_noise: dict[str, str] = {}
        self._relative: list[np.ndarray | None] = []  # float noise ÷ (1-p), None for masks
        self._truncated = False
        self.unrolled: UnrolledNetwork | None = None  # a recurrent network's picture

    # --- the view protocol (view.py) ----------------------------------------------------------

    def run_started(self, info: RunInfo) -> None:
        self.set_architecture(info.layout)

    def draw(self, snapshot: Snapshot) -> None:
        config = snapshot.config
        self.set_state(snapshot.weights, snapshot.masks,
                       dict(zip(config.dropout_layer_names, config.dropout_rates, strict=True)))

    def set_compare(self, label: str) -> None:
        """Only the run's network is drawn; while comparing 2-D data the window shows the
        baseline's map in this view's place."""

    def plot_widget(self) -> pg.GraphicsView:
        return self

    def has_plot(self) -> bool:
        return True

    # ---------------------------------------------------------------------------------------------

    def set_architecture(self, layout: NetworkLayout) -> None:
        """Columns of units, input to output, each thinned by the mask of the layer before its
        product; links drawn from each dense layer's weight, read by name."""
        for caption in self._captions:
            self._plot.removeItem(caption)
        self._captions = []
        if self.unrolled is not None:
            self.unrolled.remove()
            self.unrolled = None
        if any(layer.kind in RECURRENT_KINDS for layer in layout.layers):
            self._set_unrolled(layout)
            return
        stages = layout.stages()
        widths = layout.widths
        self._masks = [mask for mask, _ in stages]
        self._weights = [dense.params[0].name for _, dense in stages]
        names = [mask or ("input" if index == 0 else f"hidden{index}")
                 for index, mask in enumerate(self._masks)]
        self._shown = [shown_units(units) for units in widths]
        self._truncated = any(len(shown) < units for shown, units in zip(self._shown, widths,
                                                                          strict=True))
        self._y = [np.arange(len(shown)) - (len(shown) - 1) / 2 for shown in self._shown]
        low = min(y.min() for y in self._y)
        for layer, (units, shown) in enumerate(zip(widths, self._shown, strict=True)):
            name = names[layer] if layer < len(names) else "output"
            caption = pg.TextItem(_layer_caption(name, units, len(shown)), color="#333333",
                                  anchor=(0.5, 0))
            caption.setPos(layer, low - 0.8)
            self._plot.addItem(caption)
            self._captions.append(caption)
        self._float_noise = float_noise_layers(layout)
        kinds = set(self._float_noise.values())
        note = (noise_caption(kinds.pop()) + ", for the batch's first example" if kinds
                else "grey: dropped for the batch's first example")
        if self._truncated:
            note += f"<br>wide layers: showing {MAX_SHOWN} evenly spread units"
        set_title(self._plot, "Thinned network", note)
        self._plot.setXRange(-0.5, len(widths) - 0.5, padding=0.02)
        self._plot.setYRange(low - 2.2, -low + 0.8, padding=0)
        self.set_state(None, {})

    def _set_unrolled(self, layout: NetworkLayout) -> None:
        """The feed-forward picture empties; the unrolled one takes the plot."""
        self._shown = []
        for curve in self._links.values():
            curve.setData([], [])
        self._nodes.setData([], [])
        self._crosses.setData([], [])
        self.unrolled = UnrolledNetwork(self._plot, layout)
        unrolled = self.unrolled
        set_title(self._plot, "Unrolled network",
                  f"time steps {unrolled.steps[0] + 1}-{unrolled.time_steps} of "
                  f"{unrolled.time_steps}; {unrolled.description}<br>grey: dropped for the "
                  "batch's first sequence")
        self.unrolled.set_state(None, {})

    def set_state(self, weights: dict[str, np.ndarray] | None, masks: dict[str, np.ndarray],
                  rates: dict[str, float] | None = None) -> None:
        """Draw the weights with the first example's masks; no masks (step 0) is the full net."""
        if self.unrolled is not None:
            self.unrolled.set_state(weights, masks)
            return
        if not self._shown:
            return
        self._kept = [masks[name][0][shown] if name in masks else np.ones(len(shown), bool)
                      for name, shown in zip(self._masks, self._shown, strict=False)]
        self._kept.append(np.ones(len(self._shown[-1]), dtype=bool))
        self._relative = [relative_noise(kept, (rates or {}).get(name, 0.0))
                          if name in self._float_noise and name in masks else None
                          for name, kept in zip(self._masks, self._kept, strict=False)]
        self._relative.append(None)
        self._draw_links(weights)
        self._draw_nodes()

    def _draw_links(self, weights: dict[str, np.ndarray] | None) -> None:
        """One curve per (sign, width bucket), each drawing its links as separate segments."""
        parts: dict[tuple[int, int], list[tuple[np.ndarray, np.ndarray]]] = {
            key: [] for key in self._links}
        for layer in range(len(self._shown) - 1 if weights is not None else 0):
            sub = weights[self._weights[layer]][np.ix_(self._shown[layer], self._shown[layer + 1])]
            finite = np.isfinite(sub)  # a diverged network has links worth nothing to draw
            sub = np.where(finite, sub, 0.0)
            active = (self._kept[layer][:, None] != 0) & (self._kept[layer + 1][None, :] != 0) & finite
            magnitude = np.abs(sub) / (np.abs(sub).max() or 1.0)
            buckets = np.minimum((magnitude * len(LINK_WIDTHS)).astype(int), len(LINK_WIDTHS) - 1)
            signs = (sub > 0).astype(int)
            y_from, y_to = np.meshgrid(self._y[layer], self._y[layer + 1], indexing="ij")
            for (sign, bucket), segments in parts.items():
                chosen = active & (signs == sign) & (buckets == bucket)
                count = int(chosen.sum())
                xs = np.tile([layer, layer + 1], count).astype(float)
                ys = np.column_stack([y_from[chosen], y_to[chosen]]).ravel()
                segments.append((xs, ys))
        for key, curve in self._links.items():
            xs = np.concatenate([x for x, _ in parts[key]]) if parts[key] else np.empty(0)
            ys = np.concatenate([y for _, y in parts[key]]) if parts[key] else np.empty(0)
            curve.setData(xs, ys, connect="pairs")

    def _draw_nodes(self) -> None:
        xs = np.concatenate([np.full(len(y), layer, float) for layer, y in enumerate(self._y)])
        ys = np.concatenate(self._y)
        kept = np.concatenate(self._kept) != 0
        kept_brush, dropped_brush = pg.mkBrush("w"), pg.mkBrush(215, 215, 215)
        kept_pen, dropped_pen = pg.mkPen("#333333", width=1.6), pg.mkPen(185, 185, 185, width=1)
        brushes = []
        for layer_kept, relative in zip(self._kept, self._relative, strict=True):
            if relative is None:
                brushes += [kept_brush if k else dropped_brush for k in layer_kept]
            else:
                brushes += [pg.mkBrush(*colour) for colour in noise_colours(relative)]
        self._nodes.setData(xs, ys, brush=brushes,
                            pen=[kept_pen if k else dropped_pen for k in kept])
        self._crosses.setData(xs[~kept], ys[~kept])

    def kept_units(self) -> list[np.ndarray]:
        """Per layer, whether each shown unit is drawn as kept (any noise but exactly 0)."""
        return [kept != 0 for kept in self._kept]

    def link_count(self) -> int:
        """Links drawn: those between two kept units among the shown ones."""
        counts = (curve.getData()[0] for curve in self._links.values())
        return sum(0 if xs is None else len(xs) // 2 for xs in counts)
