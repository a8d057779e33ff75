"""The layer kinds, and the layers an architecture is made of, in order.

A new kind is a module here and a place in `build_layers`; nothing else lists kinds.
"""

from __future__ import annotations

from itertools import pairwise

from dropviz.model.graph.architecture import Architecture
from dropviz.model.graph.layers.base import Layer, Pass
from dropviz.model.graph.layers.dense import Dense
from dropviz.model.graph.layers.gaussian_dropout import GaussianDropout
from dropviz.model.graph.layers.unit_dropout import UnitDropout
from dropviz.model.graph.layers.weight_dropout import WeightDropout
from dropviz.model.results import NetworkLayout

__all__ = ["Dense", "GaussianDropout", "Layer", "Pass", "UnitDropout", "WeightDropout", "build_layers",
           "layout_of"]

DROPOUT_LAYERS = {"bernoulli": UnitDropout, "gaussian": GaussianDropout,
                  "dropconnect": WeightDropout}


def build_layers(arch: Architecture) -> list[Layer]:
    """Dropout of the architecture's kind on the input and on every hidden layer, each followed by
    a dense layer."""
    dropout = DROPOUT_LAYERS[arch.dropout_kind]
    widths = arch.widths
    names = ("input", *(f"hidden{i + 1}" for i in range(len(arch.hidden_layers))))
    layers: list[Layer] = []
    last = len(widths) - 2
    for index, (fan_in, fan_out) in enumerate(pairwise(widths)):
        layers.append(dropout(names[index], fan_in, index))
        output = index == last
        layers.append(Dense(index + 1, fan_in, fan_out, None if output else arch.activation,
                            arch.activation, arch.output_activation if output else arch.activation))
    return layers


def layout_of(arch: Architecture) -> NetworkLayout:
    """The layout without building a graph: what a file can be checked against before loading."""
    return NetworkLayout(arch.n_inputs, tuple(layer.info() for layer in build_layers(arch)))
