"""DropConnect (Wan et al. 2013): a keep-mask over the weights leaving a layer, not over its units.

Dropping unit i of a layer is dropping every weight leaving it (a row of the next W); DropConnect
drops each weight W[i, j] on its own, a new mask per example (or one per batch) at every step.
So it sits where unit dropout sits, with the same rate, slot and scaling: at training it hands its
rate to the next dense layer, which draws the (batch, fan_in, fan_out) mask; at test time it scales
the layer's output by the test factor, which is the weight scaling E[W * m] = (1 - p) W (the
paper's Gaussian moment-matching inference is not offered: its sampling pass would be a second
test-time network, and weight scaling is what the other kinds compare against).

The noise recorded under the layer's name is (batch, units): for each unit, the fraction of its
outgoing weights kept in that step, so the mask raster and the network view read it as they read
Gaussian noise (1 all kept, 0 all dropped).
"""

from __future__ import annotations

import pytensor.tensor as pt

from dropviz.model.graph.layers.base import Pass
from dropviz.model.graph.layers.unit_dropout import UnitDropout


class WeightDropout(UnitDropout):
    kind = "dropconnect"

    def forward(self, h: pt.TensorVariable, run: Pass) -> pt.TensorVariable:
        if not run.training:
            return h * run.dropout.test_scale[self.slot]
        run.weight_drop = (self.name, self.slot)
        return h
