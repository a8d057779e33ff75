"""Dropout as graph pieces whose rate, scaling and mask shape are shared values, not constants.

Keeping them shared is what lets a slider act between two training steps without recompiling:
the graph reads the keep probability and the two scale factors of each layer at run time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytensor.tensor as pt

from dropviz.model.graph.backend import FLOAT, pytensor
from dropviz.model.graph.uniform_draw import draw_uniform


def scale_factors(rate: float, scaling: str) -> tuple[float, float]:
    """(train factor, test factor) that compensate for dropped units in a scaling mode.

    weight_scaling: train h*m, test h*(1-p). inverted: train h*m/(1-p), test h. none: h*m, h.
    """
    keep = 1.0 - rate
    if scaling == "weight_scaling":
        return 1.0, keep
    if scaling == "inverted":
        return 1.0 / keep, 1.0
    return 1.0, 1.0


@dataclass
class DropoutControls:
    """Shared values read by every dropout layer; `set` changes them between two calls."""

    keep: pytensor.compile.SharedVariable
    train_scale: pytensor.compile.SharedVariable
    test_scale: pytensor.compile.SharedVariable
    per_batch: pytensor.compile.SharedVariable
    tied: pytensor.compile.SharedVariable  # recurrent models: one mask for every time step

    @classmethod
    def create(cls, n_layers: int) -> DropoutControls:
        ones = np.ones(n_layers, dtype=FLOAT)
        return cls(
            keep=pytensor.shared(ones.copy(), name="keep"),
            train_scale=pytensor.shared(ones.copy(), name="train_scale"),
            test_scale=pytensor.shared(ones.copy(), name="test_scale"),
            per_batch=pytensor.shared(np.int8(0), name="per_batch"),
            tied=pytensor.shared(np.int8(0), name="tied"),
        )

    def set(self, rates: tuple[float, ...], scaling: str, mask: str,
            time_mask: str = "per_step") -> None:
        factors = [scale_factors(rate, scaling) for rate in rates]
        self.keep.set_value(np.array([1.0 - r for r in rates], dtype=FLOAT))
        self.train_scale.set_value(np.array([f[0] for f in factors], dtype=FLOAT))
        self.test_scale.set_value(np.array([f[1] for f in factors], dtype=FLOAT))
        self.per_batch.set_value(np.int8(mask == "per_batch"))
        self.tied.set_value(np.int8(time_mask == "tied"))


def draw_mask(rng, shape: tuple, keep: pt.TensorVariable, per_batch: pt.TensorVariable,
              tied: pt.TensorVariable | None = None):
    """A boolean keep-mask of `shape`, and the rng to chain the next draw on.

    One uniform block is drawn either way; per batch, its first row is shared by all rows, so the
    two shapes cost the same and switching between them needs no new graph. A sequence's shape is
    (batch, time, units), and `tied` then says whether its first step's mask serves every step.
    """
    next_rng, uniform = draw_uniform(rng, shape)
    chosen = pt.switch(per_batch, uniform[0][None], uniform)
    if tied is not None:
        chosen = over_time(chosen, tied, shape[1])
    return next_rng, chosen < keep


def over_time(noise: pt.TensorVariable, tied: pt.TensorVariable, steps: int) -> pt.TensorVariable:
    """Noise drawn as (batch, time, units), with every step's taken from the first when tied.

    Drawing the whole block either way keeps one graph for both, as for per-batch masks; the
    repeat is an index, so the tied noise has the same shape as the per-step noise.
    """
    index = pt.switch(tied, np.zeros(steps, dtype=np.int64), np.arange(steps))
    return noise[:, index, :]


def draw_weight_mask(rng, rows: pt.TensorVariable, weight: pt.TensorVariable,
                     keep: pt.TensorVariable, per_batch: pt.TensorVariable):
    """A boolean keep-mask over the weights for each of `rows` rows, (rows, fan_in, fan_out), and the
    next rng; per batch, the first example's mask is shared by all, as for unit masks."""
    next_rng, uniform = draw_uniform(rng, (rows, weight.shape[0], weight.shape[1]))
    chosen = pt.switch(per_batch, uniform[0][None, :, :], uniform)
    return next_rng, chosen < keep


def draw_gaussian(rng, shape: tuple, keep: pt.TensorVariable, per_batch: pt.TensorVariable,
                  tied: pt.TensorVariable | None = None):
    """A float factor of `shape`, keep + sqrt(keep (1 - keep)) z with z ~ N(0, 1), and the next rng.

    Its mean and variance are the Bernoulli keep-mask's, so the scaling modes' train and test
    factors keep their meaning (Srivastava et al. 2014, sec. 10: with the inverted factor 1/keep
    it is N(1, p/(1-p))). Per batch and tied over time, as for masks.
    """
    next_rng, normal = pt.random.normal(0.0, 1.0, size=shape, rng=rng, dtype="float32",
                                        return_next_rng=True)
    chosen = pt.switch(per_batch, normal[0][None], normal)
    if tied is not None:
        chosen = over_time(chosen, tied, shape[1])
    return next_rng, keep + pt.sqrt(keep * (1 - keep)) * chosen


def apply_mask(h: pt.TensorVariable, mask: pt.TensorVariable, scale: pt.TensorVariable,
               apply: str) -> pt.TensorVariable:
    """Zero the dropped units and scale the kept ones, by product or by switch."""
    if apply == "switch":
        return pt.switch(mask, h * scale, pt.zeros_like(h))
    return h * pt.cast(mask, "float32") * scale
