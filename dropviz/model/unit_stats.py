"""Per-unit figures of a trained network that the regularizer pictures draw: the norms of each
hidden unit's incoming weights (what max-norm limits) and batch norm's variance shift.

Plain numpy over the network's weights by name, so the session can put them in a snapshot
without a compiled function of their own (a new compile is tens of seconds; these take
milliseconds for the networks the window trains).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from dropviz.model.inference import batch_norm_inputs

if TYPE_CHECKING:
    from dropviz.model.trainer import Trainer


def unit_norms(trainer: Trainer) -> dict[str, np.ndarray]:
    """Each hidden dense layer's incoming weight norms, one per unit (the columns of W<k>)."""
    weights = trainer.network.weights()
    return {layer.name: np.sqrt(np.sum(weights[layer.params[0].name].astype(np.float64) ** 2, axis=0))
            for layer in trainer.layout.of_kind("dense")[:-1]}


def variance_shift(trainer: Trainer) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """For each batch-norm layer: the running variance it learnt in training and the variance of
    what it receives at test time on the test set, per unit (Li et al. 2019). Empty without
    batch norm."""
    layout = trainer.layout
    if not layout.of_kind("batch_norm"):
        return {}
    weights = trainer.network.weights()
    scales = tuple(float(s) for s in trainer.network.dropout.test_scale.get_value())
    inputs = batch_norm_inputs(layout, weights, scales, trainer.dataset.X_test)
    return {layer.name: (weights[layer.params[3].name].astype(np.float64), inputs[layer.name].var(axis=0))
            for layer in layout.of_kind("batch_norm")}
