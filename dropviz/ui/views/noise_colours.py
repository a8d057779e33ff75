"""Colours for noise that is not a 0/1 mask: Gaussian dropout's factors and DropConnect's share of
each unit's weights kept.

Both are shown relative to their expected value 1-p, so one scale serves every rate: the dropped
colour at 0, the kept colour at 1-p (an average unit), and a strong blue at twice that (a unit the
noise amplified). A Bernoulli mask drawn on this scale would look as it always has: 0 dark, 1-p
light (its kept units, divided by 1-p, are at 1).
"""

from __future__ import annotations

import numpy as np

from dropviz.model.results import RECURRENT_KINDS, NetworkLayout
from dropviz.ui.style import DROPPED_COLOUR, KEPT_COLOUR

AMPLIFIED_COLOUR = (33, 102, 172)
LEVELS = (0.0, 2.0)  # noise / (1-p): 0 dropped, 1 as expected, 2 doubled
MASK_KINDS = ("dropout",)  # 0/1 keep-masks; every other noise kind draws floats


def _ramp(start: tuple[int, int, int], end: tuple[int, int, int], count: int) -> np.ndarray:
    weights = np.linspace(0.0, 1.0, count)[:, None]
    return np.asarray(start, float) * (1 - weights) + np.asarray(end, float) * weights


NOISE_LUT = np.vstack([_ramp(DROPPED_COLOUR, KEPT_COLOUR, 128),
                       _ramp(KEPT_COLOUR, AMPLIFIED_COLOUR, 128)]).round().astype(np.uint8)


def float_noise_layers(layout: NetworkLayout) -> dict[str, str]:
    """The noise layers that draw floats, by name, with their kind. A recurrent layer's mask over
    its carried state is of the network's dropout kind, which its input layer's kind tells."""
    gaussian = bool(layout.of_kind("gaussian_dropout"))
    return {layer.name: "gaussian_dropout" if layer.kind in RECURRENT_KINDS else layer.kind
            for layer in layout.layers if layer.noise and (
                gaussian if layer.kind in RECURRENT_KINDS else layer.kind not in MASK_KINDS)}


def relative_noise(values: np.ndarray, rate: float) -> np.ndarray:
    """Noise divided by its expected value 1-p, as float32 (1 is an average unit)."""
    return (np.asarray(values, np.float32) / np.float32(1.0 - rate)).astype(np.float32)


def noise_colours(relative: np.ndarray) -> np.ndarray:
    """(n, 3) colours of relative noise values, on NOISE_LUT's scale."""
    position = np.clip(relative / LEVELS[1], 0.0, 1.0) * (len(NOISE_LUT) - 1)
    return NOISE_LUT[np.nan_to_num(position).round().astype(int)]


def noise_caption(kind: str) -> str:
    """What the shade means, for a view's note."""
    if kind == "dropconnect":
        return "shade: share of each unit's outgoing weights kept (DropConnect), ÷ (1-p)"
    return "shade: each unit's Gaussian noise factor ÷ (1-p); blue = amplified"
