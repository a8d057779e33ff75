"""Batch normalization (Ioffe and Szegedy 2015) of a dense layer's output, then its activation.

In training each unit is normalised by the batch's own mean and variance, then scaled by gamma<k>
and shifted by beta<k>, which the optimizer trains; running averages of the batch statistics,
bn_mean<k> and bn_var<k>, are what the test-time pass normalises with. They are parameters of the
network that the optimizer leaves alone: the training step moves them, files save them, and the
export folds the whole test-time normalisation into the dense layer before it, so model.json's
plain pass (h = act(h @ W + b)) still gives the app's predictions.

Where the dropout mask goes decides what the running variance learns (Li et al. 2019): placed
before the normalisation (dense -> dropout -> BN), the batch variance includes the mask's noise,
which is gone at test time: a "variance shift" that `Trainer.variance_shift` measures per unit.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt

from dropviz.model.graph.backend import FLOAT
from dropviz.model.graph.dropout_controls import DropoutControls
from dropviz.model.graph.layers.base import Layer, Pass
from dropviz.model.graph.layers.dense import ACTIVATION_FUNCTIONS
from dropviz.model.inference import BATCH_NORM_EPSILON as EPSILON
from dropviz.model.results import LayerInfo, ParamInfo

MOMENTUM = 0.9  # running = MOMENTUM * running + (1 - MOMENTUM) * batch, PyTorch's default


class BatchNorm(Layer):
    """Normalises the output of dense layer `index` (named W<index>, b<index>) and applies `activation`."""

    kind = "batch_norm"

    def __init__(self, index: int, units: int, activation: str) -> None:
        super().__init__(f"batch_norm{index}", units)
        self.dense_weight, self.dense_bias = f"W{index}", f"b{index}"
        self.gamma, self.beta = f"gamma{index}", f"beta{index}"
        self.mean, self.var = f"bn_mean{index}", f"bn_var{index}"
        self.activation = activation

    def forward(self, h: pt.TensorVariable, run: Pass) -> pt.TensorVariable:
        params = run.params
        if run.training and run.batch_statistics:
            mean = pt.mean(h, axis=0)
            var = pt.mean(pt.sqr(h - mean), axis=0)
            rows = pt.cast(h.shape[0], "float32")
            unbiased = var * rows / pt.maximum(rows - 1, 1)
            run.buffers[self.mean] = MOMENTUM * params[self.mean] + (1 - MOMENTUM) * mean
            run.buffers[self.var] = MOMENTUM * params[self.var] + (1 - MOMENTUM) * unbiased
        else:
            mean, var = params[self.mean], params[self.var]
        normal = (h - mean) / pt.sqrt(var + EPSILON)
        return ACTIVATION_FUNCTIONS[self.activation](normal * params[self.gamma] + params[self.beta])

    def initial_values(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        ones, zeros = np.ones(self.units, dtype=FLOAT), np.zeros(self.units, dtype=FLOAT)
        return {self.gamma: ones, self.beta: zeros.copy(), self.mean: zeros, self.var: ones.copy()}

    def fold(self, arrays: dict[str, np.ndarray], scale: np.floating,
             dropout: DropoutControls) -> np.floating:
        """gamma (scale z - mean) / sqrt(var + eps) + beta with z = h W + b is h W' + b'.

        `scale` is the test-time factor of a dropout mask between the dense layer and this one.
        The normalisation's own arrays leave `arrays`: the export holds W' and b' only.
        """
        factor = (arrays.pop(self.gamma).astype(np.float64)
                  / np.sqrt(arrays.pop(self.var).astype(np.float64) + EPSILON))
        mean, beta = arrays.pop(self.mean).astype(np.float64), arrays.pop(self.beta)
        weight = arrays[self.dense_weight].astype(np.float64) * (float(scale) * factor)
        bias = (arrays[self.dense_bias].astype(np.float64) * float(scale) - mean) * factor + beta
        arrays[self.dense_weight], arrays[self.dense_bias] = weight.astype(FLOAT), bias.astype(FLOAT)
        return FLOAT(1.0)

    def info(self) -> LayerInfo:
        shape = (self.units,)
        params = (ParamInfo(self.gamma, shape, exported=False),
                  ParamInfo(self.beta, shape, exported=False),
                  ParamInfo(self.mean, shape, trained=False, exported=False),
                  ParamInfo(self.var, shape, trained=False, exported=False))
        return LayerInfo(self.kind, self.name, self.units, params, self.activation)
