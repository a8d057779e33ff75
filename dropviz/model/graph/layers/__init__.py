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
from dropviz.model.graph.layers.unit_dropout import UnitDropout
from dropviz.model.graph.layers.weight_dropout import WeightDropout
from dropviz.model.results import NetworkLayout

__all__ = ["BatchNorm", "Dense", "GaussianDropout", "Layer", "Pass", "UnitDropout", "WeightDropout",
           "build_layers", "layout_of"]

DROPOUT_LAYERS = {"bernoulli": UnitDropout, "gaussian": GaussianDropout,
                  "dropconnect": WeightDropout}


def build_layers(arch: Architecture) -> list[Layer]:
    """Dropout of the architecture's kind on the input and on every hidden layer, each followed by
    a dense layer; with batch norm, each hidden dense layer's activation comes after its
    normalisation, and its dropout before (`after_dropout`) or after (`before_dropout`) both."""
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


def layout_of(arch: Architecture) -> NetworkLayout:
    """The layout without building a graph: what a file can be checked against before loading."""
    return NetworkLayout(arch.n_inputs, tuple(layer.info() for layer in build_layers(arch)))
