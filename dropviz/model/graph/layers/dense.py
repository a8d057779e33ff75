"""A fully connected layer: act(h @ W + b), W shaped (fan_in, fan_out), named W<k> and b<k>.

The names are those of every file dropviz has written (weights.npz, experiment files), so they stay.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt

from dropviz.model.graph.backend import FLOAT
from dropviz.model.graph.dropout_controls import DropoutControls
from dropviz.model.graph.layers.base import Layer, Pass
from dropviz.model.results import LayerInfo, ParamInfo

ACTIVATION_FUNCTIONS = {"relu": lambda h: pt.maximum(h, 0), "tanh": pt.tanh, "sigmoid": pt.sigmoid}


class Dense(Layer):
    """`activation` follows the product; None for the output layer, whose logits feed the loss.

    `init` picks the initialisation, He for relu and Glorot otherwise, for the output layer too.
    `reports` is the activation a description gives (the output's sigmoid or softmax; a hidden
    layer's own when batch norm applies it). `hidden` layers are the ones max-norm limits.
    """

    kind = "dense"

    def __init__(self, index: int, fan_in: int, fan_out: int, activation: str | None, init: str,
                 reports: str, *, hidden: bool) -> None:
        super().__init__(f"dense{index}", fan_out)
        self.fan_in = fan_in
        self.weight, self.bias = f"W{index}", f"b{index}"
        self.activation = activation
        self.init = init
        self.reports = reports
        self.hidden = hidden

    def forward(self, h: pt.TensorVariable, run: Pass) -> pt.TensorVariable:
        weight = run.params[self.weight]
        if run.weight_drop is None:
            h = pt.dot(h, weight) + run.params[self.bias]
        else:
            h = self._dropconnect(h, weight, run) + run.params[self.bias]
        return ACTIVATION_FUNCTIONS[self.activation](h) if self.activation else h

    def _dropconnect(self, h: pt.TensorVariable, weight: pt.TensorVariable,
                     run: Pass) -> pt.TensorVariable:
        """h @ (W * m) for each row with its own mask m, times the scaling mode's train factor.

        Written as a sum of products over (batch, fan_in, fan_out) rather than a batched matrix
        product: elementwise code and a reduction are what the numba backend compiles natively.
        """
        name, slot = run.weight_drop
        run.weight_drop = None
        controls = run.dropout
        mask = run.weight_mask(name, weight, controls.keep[slot])
        if run.apply == "switch":
            thinned = pt.switch(mask, weight[None, :, :], pt.zeros_like(weight[None, :, :]))
        else:
            thinned = weight[None, :, :] * pt.cast(mask, "float32")
        return pt.sum(h[:, :, None] * thinned, axis=1) * controls.train_scale[slot]

    def initial_values(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        shape = (self.fan_in, self.units)
        if self.init == "relu":
            weight = rng.normal(0.0, np.sqrt(2.0 / self.fan_in), size=shape)
        else:
            limit = np.sqrt(6.0 / (self.fan_in + self.units))
            weight = rng.uniform(-limit, limit, size=shape)
        return {self.weight: weight.astype(FLOAT), self.bias: np.zeros(self.units, dtype=FLOAT)}

    def penalty(self, params: dict[str, pt.TensorVariable]) -> list[pt.TensorVariable]:
        return [pt.sum(pt.sqr(params[self.weight]))]

    def l1_penalty(self, params: dict[str, pt.TensorVariable]) -> list[pt.TensorVariable]:
        return [pt.sum(pt.abs(params[self.weight]))]

    def constrain(self, params: dict[str, pt.TensorVariable], max_norm: pt.TensorVariable) -> None:
        """Each hidden unit's incoming weights (a column of W) shrunk to norm max_norm if longer.

        Only columns over the limit change, so with no limit (max_norm infinite) every weight is
        left exactly as the optimizer made it. The output layer is not constrained (Srivastava et
        al. 2014 limit hidden units).
        """
        if not self.hidden:
            return
        weight = params[self.weight]
        norms = pt.sqrt(pt.sum(pt.sqr(weight), axis=0))
        params[self.weight] = pt.switch(norms > max_norm, weight * (max_norm / norms), weight)

    def fold(self, arrays: dict[str, np.ndarray], scale: np.floating,
             dropout: DropoutControls) -> np.floating:
        """Scaling a layer's input by s is the same as scaling its weight matrix by s."""
        arrays[self.weight] = arrays[self.weight] * scale
        return FLOAT(1.0)

    def info(self) -> LayerInfo:
        params = (ParamInfo(self.weight, (self.fan_in, self.units)), ParamInfo(self.bias, (self.units,)))
        return LayerInfo(self.kind, self.name, self.units, params, self.reports)
