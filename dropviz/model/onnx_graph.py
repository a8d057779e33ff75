"""An ONNX graph being built: nodes and constant arrays, each named after the layer making it."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper


class OnnxGraph:
    """Nodes and constant arrays being collected; every value is named after the layer making it."""

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        self.weights = weights
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []

    def constant(self, name: str, array: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(np.asarray(array, dtype=np.float32), name))
        return name

    def node(self, op: str, inputs: list[str], output: str, **attributes: object) -> str:
        self.nodes.append(helper.make_node(op, inputs, [output], name=output, **attributes))
        return output

    def indices(self, name: str, values: list[int] | int) -> str:
        """An int64 constant: shapes, axes and indices, which ONNX operators take as int64."""
        self.initializers.append(numpy_helper.from_array(np.asarray(values, dtype=np.int64), name))
        return name
