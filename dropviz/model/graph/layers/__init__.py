"""The layer kinds, and the layers an architecture is made of, in order.

A new kind is a module here and a place in `build_layers`; nothing else lists kinds.
"""

from __future__ import annotations

from itertools import pairwise

from dropviz.model.graph.architecture import Architecture
from dropviz.model.graph.layers.base import Layer, Pass
from dropviz.model.graph.layers.batch_norm import BatchNorm
from dropviz.model.graph.layers.dense import Dense
from dropviz.model.graph.layers.gaussian_dropout import GaussianDropout
from dropviz.model.graph.layers.recurrent import Recurrent
from dropviz.model.graph.layers.sequence import LastStep, TimeSteps
from dropviz.model.graph.layers.unit_dropout import UnitDropout
from dropviz.model.graph.layers.weight_dropout import WeightDropout
from dropviz.model.results import NetworkLayout

__all__ = ["BatchNorm", "Dense", "GaussianDropout", "LastStep", "Layer", "Pass", "Recurrent",
           "TimeSteps", "UnitDropout", "WeightDropout", "build_layers", "layout_of"]

DROPOUT_LAYERS = {"bernoulli": UnitDropout, "gaussian": GaussianDropout,
                  "dropconnect": WeightDropout}


def build_layers(arch: Architecture) -> list[Layer]:
    """Dropout of the architecture's kind on the input and on every hidden layer, each followed by
    a dense layer; with batch norm, each hidden dense layer's activation comes after its
    normalisation, and its dropout before (`after_dropout`) or after (`before_dropout`) both."""
    if arch.recurrent:
        return _recurrent_layers(arch)
    dropout = DROPOUT_LAYERS[arch.dropout_kind]
    widths = arch.widths
    names = ("input", *(f"hidden{i + 1}" for i in range(len(arch.hidden_layers))))
    layers: list[Layer] = [dropout(names[0], widths[0], 0)]
    last = len(widths) - 2
    for index, (fan_in, fan_out) in enumerate(pairwise(widths)):
        output = index == last
        act = None if output or arch.batch_norm != "none" else arch.activation
        layers.append(Dense(index + 1, fan_in, fan_out, act, arch.activation,
                            arch.output_activation if output else arch.activation, hidden=not output))
        if output:
            break
        mask = dropout(names[index + 1], fan_out, index + 1)
        if arch.batch_norm == "none":
            layers.append(mask)
            continue
        norm = BatchNorm(index + 1, fan_out, arch.activation)
        # DropConnect's mask is on the next layer's weights, so that layer's normalisation comes
        # after it either way: for it the two places are one network.
        between = arch.batch_norm == "after_dropout" and arch.dropout_kind != "dropconnect"
        layers += [mask, norm] if between else [norm, mask]
    return layers


def _recurrent_layers(arch: Architecture) -> list[Layer]:
    """Time steps, dropout on each step's inputs, then per recurrent layer its cell (which drops the
    carried state) and dropout on its outputs; the output layer reads the last step's state."""
    dropout = DROPOUT_LAYERS[arch.dropout_kind]
    gaussian = arch.dropout_kind == "gaussian"
    layers: list[Layer] = [TimeSteps(arch.time_steps, arch.step_width),
                           dropout("input", arch.step_width, 0, sequence=True)]
    fan_in = arch.step_width
    for index, units in enumerate(arch.hidden_layers):
        layers.append(Recurrent(index + 1, fan_in, units, arch.model, 2 * index + 1,
                                gaussian=gaussian))
        layers.append(dropout(f"hidden{index + 1}", units, 2 * index + 2, sequence=True))
        fan_in = units
    output = len(arch.hidden_layers) + 1
    layers += [LastStep(fan_in),
               Dense(output, fan_in, arch.widths[-1], None, "tanh", arch.output_activation,
                     hidden=False)]
    return layers


def layout_of(arch: Architecture) -> NetworkLayout:
    """The layout without building a graph: what a file can be checked against before loading."""
    return NetworkLayout(arch.n_inputs, tuple(layer.info() for layer in build_layers(arch)))
