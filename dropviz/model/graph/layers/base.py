"""What every layer kind provides, so a network, its files and its views need no list of kinds.

A layer builds its part of the graph from named parameters, draws its noise through the pass it is
given (nothing at test time), and folds its test-time behaviour into the exported weights. Adding a
kind is one module under layers/ and one line in `LAYER_KINDS`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np
import pytensor.tensor as pt

from dropviz.model.graph.dropout_controls import (
    DropoutControls,
    draw_gaussian,
    draw_mask,
    draw_weight_mask,
)
from dropviz.model.results import LayerInfo


@dataclass
class Pass:
    """One symbolic pass through the layers: their parameters by name and the shared controls.

    A training pass carries the rng that every noise draw chains on and collects each noisy layer's
    draw under the layer's name; a test-time pass has no rng and draws nothing. `weight_drop` is a
    DropConnect layer's (name, slot), left for the dense layer after it to draw its weight mask;
    `buffers` holds the new values of parameters a training pass moves without the optimizer
    (batch norm's running statistics), by name. A Monte-Carlo pass draws noise but normalises by
    the running statistics (`batch_statistics` False), as a test-time pass does.

    Noise and state shapes are built from `rows`, the input's row count, and the static `steps` and
    widths, never from h.shape: PyTensor folds a shape given to a random draw or to `zeros` by
    cloning every node it depends on (`infer_static_shape`), and from deep in a 2-layer RNN that
    took 1.35 of the 3.8 s its quick twin took to build. A `quick` pass is a quick twin's: its loops
    compile as it does (see backend.scan_mode).
    """

    params: dict[str, pt.TensorVariable]
    dropout: DropoutControls
    apply: str
    rows: pt.TensorVariable
    steps: int = 1
    quick: bool = False
    rng: object | None = None
    noise: dict[str, pt.TensorVariable] = field(default_factory=dict)
    weight_drop: tuple[str, int] | None = None
    batch_statistics: bool = True
    buffers: dict[str, pt.TensorVariable] = field(default_factory=dict)

    @property
    def training(self) -> bool:
        return self.rng is not None

    def noise_shape(self, units: int, sequence: bool = False) -> tuple:
        """(rows, units), or (rows, steps, units) for a sequence."""
        return (self.rows, self.steps, units) if sequence else (self.rows, units)

    def _tied(self, shape: tuple) -> pt.TensorVariable | None:
        """A sequence (batch, time, units) has masks that may be tied over time; a matrix has not."""
        return self.dropout.tied if len(shape) == 3 else None

    def keep_mask(self, name: str, shape: tuple, keep: pt.TensorVariable) -> pt.TensorVariable:
        """A boolean keep-mask of `shape` (see `noise_shape`), recorded as the noise of `name`."""
        self.rng, mask = draw_mask(self.rng, shape, keep, self.dropout.per_batch, self._tied(shape))
        self.noise[name] = mask
        return mask

    def gaussian_factor(self, name: str, shape: tuple, keep: pt.TensorVariable) -> pt.TensorVariable:
        """A float factor of `shape`, of the keep-mask's mean and variance, recorded as noise."""
        self.rng, factor = draw_gaussian(self.rng, shape, keep, self.dropout.per_batch,
                                         self._tied(shape))
        self.noise[name] = factor
        return factor

    def weight_mask(self, name: str, weight: pt.TensorVariable,
                    keep: pt.TensorVariable) -> pt.TensorVariable:
        """A boolean keep-mask over `weight` for each row, (rows, fan_in, fan_out); the noise
        recorded under `name` is each input unit's fraction of outgoing weights kept."""
        self.rng, mask = draw_weight_mask(self.rng, self.rows, weight, keep, self.dropout.per_batch)
        self.noise[name] = pt.mean(pt.cast(mask, "float32"), axis=2)
        return mask


class Layer(ABC):
    """One layer of a network; `units` is the width of what comes out of it."""

    kind: str = ""

    def __init__(self, name: str, units: int) -> None:
        self.name = name
        self.units = units

    @abstractmethod
    def forward(self, h: pt.TensorVariable, run: Pass) -> pt.TensorVariable:
        """This layer's output for input h, in a training or a test-time pass."""

    def initial_values(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Fresh values of the layer's parameters, drawn from `rng` in a fixed order."""
        return {}

    def penalty(self, params: dict[str, pt.TensorVariable]) -> list[pt.TensorVariable]:
        """Terms the L2 setting weighs: a layer that has weights lists their squared sum."""
        return []

    def l1_penalty(self, params: dict[str, pt.TensorVariable]) -> list[pt.TensorVariable]:
        """Terms the L1 setting weighs: a layer that has weights lists their absolute sum."""
        return []

    def constrain(self, params: dict[str, pt.TensorVariable], max_norm: pt.TensorVariable) -> None:
        """Replace, in `params`, updated values that break the max-norm limit by ones that keep it.

        A layer without incoming weights has nothing to keep within the limit.
        """
        return

    def fold(self, arrays: dict[str, np.ndarray], scale: np.floating,
             dropout: DropoutControls) -> np.floating:
        """Fold the test-time factor `scale` of the units coming in into `arrays`; the factor left over.

        Exported weights are inference-ready: a plain forward pass must give the app's predictions.
        """
        return scale

    @abstractmethod
    def info(self) -> LayerInfo:
        """The layer as views, files and checks read it."""
