"""Which units a network picture draws when a layer has more than fit."""

from __future__ import annotations

import numpy as np


def shown_units(units: int, limit: int) -> np.ndarray:
    """Evenly spread indices, first and last included, so the subset is fair to the layer."""
    if units <= limit:
        return np.arange(units)
    return np.unique(np.linspace(0, units - 1, limit).round().astype(int))
