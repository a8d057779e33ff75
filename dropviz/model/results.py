"""Plain results of training: what a step, an evaluation and a decision map produced.

Nothing here imports PyTensor, so the GUI thread, the files and the session layer use these types
freely, without waiting a second for PyTensor to load or guarding their imports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class StepResult:
    step: int
    epoch: float
    loss: float
    masks: dict[str, np.ndarray]  # layer name -> bool (batch, units), True = kept


@dataclass(frozen=True)
class Evaluation:
    step: int
    epoch: float
    train_loss: float
    test_loss: float
    train_acc: float
    test_acc: float

    @property
    def gap(self) -> float:
        """Test loss minus train loss: how much the network has overfitted."""
        return self.test_loss - self.train_loss

    def is_finite(self) -> bool:
        return bool(np.isfinite([self.train_loss, self.test_loss]).all())


@dataclass(frozen=True)
class DecisionGrid:
    xs: np.ndarray     # (resolution,) first feature values, standardised
    ys: np.ndarray     # (resolution,) second feature values
    probs: np.ndarray  # (resolution, resolution, classes): probs[j, i] is at (xs[i], ys[j])


class BatchMaskRecorder:
    """The keep-masks of the last steps, for masks.npz: bounded however long the run."""

    def __init__(self, capacity: int = 100) -> None:
        self.capacity = capacity
        self._steps: list[dict[str, np.ndarray]] = []

    def add(self, result: StepResult) -> None:
        self._steps.append(result.masks)
        del self._steps[:-self.capacity]

    def arrays(self) -> dict[str, np.ndarray]:
        """Layer name -> (steps, batch, units), over the last steps that share one batch size."""
        if not self._steps:
            return {}
        shape = {name: mask.shape for name, mask in self._steps[-1].items()}
        tail = []
        for masks in reversed(self._steps):
            if any(mask.shape != shape[name] for name, mask in masks.items()):
                break
            tail.append(masks)
        tail.reverse()
        return {name: np.stack([masks[name] for masks in tail]) for name in shape}



@dataclass(frozen=True)
class ParamInfo:
    """`trained`: moved by the optimizer (batch norm's running statistics are not); `exported`:
    written to weights.npz and model.onnx (batch norm is folded into the dense weights before it)."""

    name: str  # "W1", "b1", ...: the key in weights.npz, experiment files and snapshots
    shape: tuple[int, ...]
    trained: bool = True
    exported: bool = True


# The noise axes of a recurrent layer's mask over its carried state, and of dropout on sequences.
SEQUENCE_NOISE = ("batch", "time", "units")
RECURRENT_KINDS = ("rnn", "gru")


@dataclass(frozen=True)
class LayerInfo:
    """One layer as views, files and checks see it: named, with its parameters and noise named too.

    `noise` lists the axes of what the layer draws at each training step, e.g. ("batch", "units") for
    a unit dropout mask, whose name is the layer's; empty for a layer that draws nothing.
    """

    kind: str  # a registered layer kind: "dense", "dropout", "gaussian_dropout", "dropconnect"
    name: str
    units: int  # units coming out of the layer
    params: tuple[ParamInfo, ...] = ()
    activation: str | None = None  # dense layers: what follows the product (the output's too)
    noise: tuple[str, ...] = ()


@dataclass(frozen=True)
class NetworkLayout:
    """A network's layers in order, input to output: the description every consumer reads by name."""

    n_inputs: int
    layers: tuple[LayerInfo, ...]

    def of_kind(self, kind: str) -> tuple[LayerInfo, ...]:
        return tuple(layer for layer in self.layers if layer.kind == kind)

    @property
    def noise_names(self) -> tuple[str, ...]:
        """Names of the layers that draw noise, in order: the keys of a step's masks."""
        return tuple(layer.name for layer in self.layers if layer.noise)

    @property
    def widths(self) -> tuple[int, ...]:
        """Units of every layer of units: the input, then each dense layer's output."""
        return (self.n_inputs, *(layer.units for layer in self.of_kind("dense")))

    def noise_units(self) -> dict[str, int]:
        """Units of each layer that draws a mask, by name: the shape of the mask raster."""
        return {layer.name: layer.units for layer in self.layers if layer.noise}

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        return {param.name: param.shape for layer in self.layers for param in layer.params}

    def exported_shapes(self) -> dict[str, tuple[int, ...]]:
        """The arrays of the inference-ready weights: what the exports hold."""
        return {param.name: param.shape for layer in self.layers for param in layer.params
                if param.exported}

    def stages(self) -> list[tuple[str | None, LayerInfo]]:
        """Each dense layer with the noise layer applied to its input, if any, in order.

        The picture of an MLP: units, maybe thinned by a mask, then a product into the next units.
        """
        stages, pending = [], None
        for layer in self.layers:
            if layer.kind == "dense":
                stages.append((pending, layer))
                pending = None
            elif layer.noise:
                pending = layer.name
        return stages
