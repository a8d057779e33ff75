"""Pinned runs: the curves of a run kept as a faint overlay, so several rates share one chart.

Pinning copies the curves of the snapshot shown (numpy arrays the GUI thread already has), so it
costs the worker nothing and survives resets and new runs. The window state keeps the list, which
the export reads; the Pinned runs menu (panels/pins_menu.py) edits it, and every plot against
steps draws it through a `PinOverlay`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PyQt5.QtCore import Qt

from dropviz.model.config import Config
from dropviz.model.files import write_text_atomic
from dropviz.session.compare import run_label

# Apart from the run's blue and orange, faint enough to sit behind the live curves.
PIN_COLOURS = ("#2ca25f", "#8c6bb1", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22")
PIN_ALPHA = 150
PIN_WIDTH = 1.8


@dataclass(frozen=True, eq=False)
class PinnedRun:
    """A run's curves as they were when pinned: `columns` holds train/test loss and accuracy."""

    label: str  # "p=0.5 inverted (pinned)"
    config: Config
    steps: np.ndarray
    columns: dict[str, np.ndarray]
    colour: str

    @property
    def gap(self) -> np.ndarray:
        return self.columns["test_loss"] - self.columns["train_loss"]


PINNED_CSV = "pinned_runs.csv"
PINNED_JSON = "pinned_runs.json"
PINNED_COLUMNS = ("train_loss", "test_loss", "train_acc", "test_acc")


def pinned_csv(pins: list[PinnedRun]) -> str:
    """Every pinned curve point, one row each, labelled, so the overlays can be redrawn anywhere."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["label", "step", *PINNED_COLUMNS, "gap"])
    for pin in pins:
        for index, step in enumerate(pin.steps):
            values = [pin.columns[name][index] for name in PINNED_COLUMNS]
            writer.writerow([pin.label, f"{step:g}", *(f"{v:.9g}" for v in values),
                             f"{pin.gap[index]:.9g}"])
    return buffer.getvalue()


def pinned_json(pins: list[PinnedRun]) -> str:
    """The settings each pinned run was trained with, by label."""
    return json.dumps([{"label": pin.label, "config": pin.config.to_dict()} for pin in pins],
                      indent=2) + "\n"


def write_pinned(folder: Path, pins: list[PinnedRun]) -> list[Path]:
    """Write the pinned runs next to an exported run, whole or not at all; none pinned, none written."""
    if not pins:
        return []
    paths = [folder / PINNED_CSV, folder / PINNED_JSON]
    write_text_atomic(paths[0], pinned_csv(pins))
    write_text_atomic(paths[1], pinned_json(pins))
    return paths


# A view says which lines a pin has: (x, y, style), the first one carrying the legend entry.
PinLines = Callable[[PinnedRun], list[tuple[np.ndarray, np.ndarray, Qt.PenStyle]]]


class PinOverlay:
    """The pinned curves of one plot, with a legend that shows only while there are pins."""

    def __init__(self, plot: pg.PlotItem, lines: PinLines) -> None:
        self._plot = plot
        self._lines = lines
        self._items: list[pg.PlotDataItem] = []
        self.legend = pg.LegendItem(offset=(-10, 10), labelTextSize="9pt",
                                    brush=pg.mkBrush(255, 255, 255, 150))
        self.legend.setParentItem(plot.getViewBox())
        self.legend.hide()

    def set_pins(self, pins: list[PinnedRun]) -> None:
        for item in self._items:
            self._plot.removeItem(item)
        self._items = []
        self.legend.clear()
        for pin in pins:
            colour = pg.mkColor(pin.colour)
            colour.setAlpha(PIN_ALPHA)
            for index, (x, y, style) in enumerate(self._lines(pin)):
                item = pg.PlotDataItem(x, y, pen=pg.mkPen(colour, width=PIN_WIDTH, style=style))
                item.setZValue(-1)  # behind the live curves
                self._plot.addItem(item)
                self._items.append(item)
                if index == 0:
                    self.legend.addItem(item, pin.label)
        self.legend.setVisible(bool(pins))

    def curves(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """What is drawn, in order: for tests and for checking against the pinned arrays."""
        return [item.getOriginalDataset() for item in self._items]

    def labels(self) -> list[str]:
        return [label.text for _, label in self.legend.items]


def pin_of(config: Config, steps: np.ndarray, columns: dict[str, np.ndarray],
           taken: list[PinnedRun]) -> PinnedRun:
    """A new pin, labelled by its dropout settings; a label in use gets a number."""
    base = f"{run_label(config)} (pinned)"
    labels = {pin.label for pin in taken}
    label, number = base, 2
    while label in labels:
        label, number = f"{base} #{number}", number + 1
    colour = PIN_COLOURS[len(taken) % len(PIN_COLOURS)]
    return PinnedRun(label, config, steps.copy(),
                     {name: values.copy() for name, values in columns.items()}, colour)
