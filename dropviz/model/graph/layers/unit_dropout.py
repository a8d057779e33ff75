"""Dropout of units: each unit of the input is kept with probability 1-p, a mask per step.

Its rate, scaling factors and mask shape are read from `DropoutControls`' shared values at run time,
so a slider acts between two steps without a compile. The mask it draws is (batch, units), named as
the layer: "input", "hidden1", ...
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt

from dropviz.model.graph.dropout_controls import DropoutControls, apply_mask
from dropviz.model.graph.layers.base import Layer, Pass
from dropviz.model.results import SEQUENCE_NOISE, LayerInfo


class UnitDropout(Layer):
    """`slot` is this layer's place in the controls' per-layer arrays of rates and factors; in a
    recurrent model the layer sees sequences (`sequence`), and its masks may be tied over time."""

    kind = "dropout"

    def __init__(self, name: str, units: int, slot: int, *, sequence: bool = False) -> None:
        super().__init__(name, units)
        self.slot = slot
        self.sequence = sequence

    def forward(self, h: pt.TensorVariable, run: Pass) -> pt.TensorVariable:
        controls = run.dropout
        if not run.training:
            return h * controls.test_scale[self.slot]
        mask = run.keep_mask(self.name, run.noise_shape(self.units, self.sequence),
                             controls.keep[self.slot])
        return apply_mask(h, mask, controls.train_scale[self.slot], run.apply)

    def fold(self, arrays: dict[str, np.ndarray], scale: np.floating,
             dropout: DropoutControls) -> np.floating:
        return scale * dropout.test_scale.get_value()[self.slot]

    def info(self) -> LayerInfo:
        axes = SEQUENCE_NOISE if self.sequence else ("batch", "units")
        return LayerInfo(self.kind, self.name, self.units, noise=axes)
