"""Per-unit figures of a network that the regularizer pictures draw: the norms of each hidden
unit's incoming weights (what max-norm limits) and batch norm's variance shift.

Plain numpy over the weights by name, so a view can compute them from a snapshot without a
compiled function of their own (a new compile is tens of seconds; these take well under a
millisecond for the networks the window trains).
"""

from __future__ import annotations

import numpy as np

from dropviz.model.config import Config
from dropviz.model.inference import batch_norm_inputs
from dropviz.model.results import NetworkLayout


def test_time_scales(config: Config) -> tuple[float, ...]:
    """Each noise layer's test-time factor: 1-p under weight scaling, 1 otherwise."""
    return tuple(1.0 - rate if config.scaling == "weight_scaling" else 1.0
                 for rate in config.dropout_rates)


def unit_norms(layout: NetworkLayout, weights: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each hidden dense layer's incoming weight norms, one per unit (the columns of W<k>)."""
    return {layer.name: np.sqrt(np.sum(weights[layer.params[0].name].astype(np.float64) ** 2, axis=0))
            for layer in layout.of_kind("dense")[:-1]}


def variance_shift(layout: NetworkLayout, weights: dict[str, np.ndarray], config: Config,
                   X: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """For each batch-norm layer: the running variance it learnt in training and the variance of
    what it receives at test time on X, per unit (Li et al. 2019). Empty without batch norm."""
    norms = layout.of_kind("batch_norm")
    if not norms:
        return {}
    inputs = batch_norm_inputs(layout, weights, test_time_scales(config), X)
    return {layer.name: (weights[layer.params[3].name].astype(np.float64), inputs[layer.name].var(axis=0))
            for layer in norms}
