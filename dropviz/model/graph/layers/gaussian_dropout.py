"""Gaussian dropout: each unit multiplied by keep + sqrt(keep (1 - keep)) z, z ~ N(0, 1), per step.

The factor has the Bernoulli keep-mask's mean and variance, so rates, scaling modes, the mask
shape and the test-time pass are those of `UnitDropout`; only the noise differs. It is a float
(batch, units) array, not a mask: a factor near 0 is a nearly dropped unit.
"""

from __future__ import annotations

import pytensor.tensor as pt

from dropviz.model.graph.layers.base import Pass
from dropviz.model.graph.layers.unit_dropout import UnitDropout


class GaussianDropout(UnitDropout):
    kind = "gaussian_dropout"

    def forward(self, h: pt.TensorVariable, run: Pass) -> pt.TensorVariable:
        controls = run.dropout
        if not run.training:
            return h * controls.test_scale[self.slot]
        factor = run.gaussian_factor(self.name, run.noise_shape(self.units, self.sequence),
                                     controls.keep[self.slot])
        return h * factor * controls.train_scale[self.slot]
