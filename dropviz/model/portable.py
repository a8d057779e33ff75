"""The exported network in forms other frameworks load: an ONNX graph and a PyTorch layout.

Both are built from `Trainer.inference_weights()`, where every test-time factor is already folded
into the weights, so neither needs dropout or scaling. Each layer kind maps to its ONNX nodes and
its PyTorch modules in one entry of `LAYER_EXPORTS`; a kind without an entry is refused with an
ExportError, because skipping a layer would write a file that loads and predicts wrongly.

No PyTensor here: only the layout (results.py) and the arrays, so this can be tested and used
without compiling a network.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, helper

from dropviz.model.errors import ExportError
from dropviz.model.onnx_graph import OnnxGraph
from dropviz.model.portable_recurrent import last_step_onnx, recurrent_onnx, time_steps_onnx
from dropviz.model.results import LayerInfo, NetworkLayout

# Opset 17 is ONNX 1.12 (2022), read by onnxruntime 1.13 and later and by the usual converters; the
# graph needs nothing newer, and a newer opset would only lock out older runtimes.
ONNX_OPSET = 17
ONNX_IR_VERSION = 8  # the IR version that goes with opset 17, for the same reason
ONNX_INPUT, ONNX_OUTPUT = "input", "probabilities"
ONNX_ACTIVATIONS = {"relu": "Relu", "tanh": "Tanh", "sigmoid": "Sigmoid", "softmax": "Softmax"}
TORCH_ACTIVATIONS = {"relu": "ReLU()", "tanh": "Tanh()", "sigmoid": "Sigmoid()",
                     "softmax": "Softmax(dim=1)"}


def _dense_onnx(graph: OnnxGraph, layer: LayerInfo, h: str) -> str:
    """Gemm is h @ W + b in one node, with W as dropviz stores it, (fan_in, fan_out)."""
    weight, bias = (graph.constant(param.name, graph.weights[param.name]) for param in layer.params)
    h = graph.node("Gemm", [h, weight, bias], f"{layer.name}_linear")
    op = ONNX_ACTIVATIONS.get(layer.activation or "")
    if op is None:
        raise ExportError(f"cannot export layer {layer.name}: no ONNX operator for its activation "
                          f"{layer.activation!r}")
    extra = {"axis": 1} if op == "Softmax" else {}
    return graph.node(op, [h], f"{layer.name}_{layer.activation}", **extra)


def _dense_torch(layer: LayerInfo) -> list[tuple[str, dict[str, str]]]:
    """torch.nn.Linear computes x @ weight.T + bias with weight (fan_out, fan_in): W transposed."""
    weight, bias = layer.params
    fan_in, fan_out = weight.shape
    activation = TORCH_ACTIVATIONS.get(layer.activation or "")
    if activation is None:
        raise ExportError(f"cannot export layer {layer.name}: no PyTorch module for its activation "
                          f"{layer.activation!r}")
    return [(f"Linear({fan_in}, {fan_out})", {"weight": f"{weight.name} transposed",
                                              "bias": bias.name}),
            (activation, {})]


def _folded_onnx(graph: OnnxGraph, layer: LayerInfo, h: str) -> str:
    return h


def _folded_torch(layer: LayerInfo) -> list[tuple[str, dict[str, str]]]:
    return []


@dataclass(frozen=True)
class LayerExport:
    """How one layer kind is written: its ONNX nodes, and its PyTorch modules with their state.

    Recurrent models are no torch.nn.Sequential (an RNN module returns its states and its last
    state), so their kinds have no module here: `torch_description` describes them whole.
    """

    onnx: Callable[[OnnxGraph, LayerInfo, str], str]
    torch: Callable[[LayerInfo], list[tuple[str, dict[str, str]]]] | None = None


# Unit, Gaussian and weight dropout are nothing at test time: their test-time factor is folded into the next
# dense layer's weights by `inference_weights`, which both formats are built from; batch norm is
# folded into the dense layer before it, whose activation then follows as the layout reports.
LAYER_EXPORTS = {
    "dense": LayerExport(_dense_onnx, _dense_torch),
    "dropout": LayerExport(_folded_onnx, _folded_torch),
    "gaussian_dropout": LayerExport(_folded_onnx, _folded_torch),
    "dropconnect": LayerExport(_folded_onnx, _folded_torch),
    "batch_norm": LayerExport(_folded_onnx, _folded_torch),
    "time_steps": LayerExport(time_steps_onnx),
    "rnn": LayerExport(recurrent_onnx),
    "gru": LayerExport(recurrent_onnx),
    "last_step": LayerExport(last_step_onnx),
}


def _export_of(layer: LayerInfo) -> LayerExport:
    export = LAYER_EXPORTS.get(layer.kind)
    if export is None:
        raise ExportError(f"cannot export layer {layer.name}: dropviz cannot write a layer of kind "
                          f"{layer.kind!r} to ONNX or PyTorch yet (it knows "
                          f"{', '.join(LAYER_EXPORTS)})")
    return export


def _check_weights(layout: NetworkLayout, weights: dict[str, np.ndarray]) -> None:
    for name, shape in layout.exported_shapes().items():
        array = weights.get(name)
        if array is None or array.shape != shape:
            found = "missing" if array is None else f"shaped {list(array.shape)}"
            raise ExportError(f"cannot export weight {name}: it is {found}, the network has "
                              f"{list(shape)}")


def onnx_model(layout: NetworkLayout, weights: dict[str, np.ndarray], mean: np.ndarray,
               scale: np.ndarray, classes: Sequence[str], features: Sequence[str]) -> onnx.ModelProto:
    """The network as an ONNX model taking raw feature rows and giving one probability per class.

    The standardisation is in the graph, so a user feeds rows as they are in their data. Two
    classes have one sigmoid unit, P(classes[1]); the output still has both columns, 1-p and p,
    as `Trainer.predict_proba` gives, so every model reads the same way.
    """
    _check_weights(layout, weights)
    graph = OnnxGraph(weights)
    h = graph.node("Sub", [ONNX_INPUT, graph.constant("mean", mean)], "centred")
    h = graph.node("Div", [h, graph.constant("scale", scale)], "standardised")
    for layer in layout.layers:
        h = _export_of(layer).onnx(graph, layer, h)
    if layout.widths[-1] == 1:
        complement = graph.node("Sub", [graph.constant("one", np.ones(1)), h], "complement")
        h = graph.node("Concat", [complement, h], "two_columns", axis=1)
    graph.nodes.append(helper.make_node("Identity", [h], [ONNX_OUTPUT], name=ONNX_OUTPUT))
    onnx_graph = helper.make_graph(
        graph.nodes, "dropviz",
        [helper.make_tensor_value_info(ONNX_INPUT, TensorProto.FLOAT, ["N", layout.n_inputs])],
        [helper.make_tensor_value_info(ONNX_OUTPUT, TensorProto.FLOAT, ["N", len(classes)])],
        graph.initializers)
    model = helper.make_model(onnx_graph, producer_name="dropviz", ir_version=ONNX_IR_VERSION,
                              opset_imports=[helper.make_opsetid("", ONNX_OPSET)],
                              doc_string=f"Raw rows of {', '.join(features)} in; one probability "
                                         f"per class out, in the order {', '.join(classes)}.")
    helper.set_model_props(model, {"classes": json.dumps(list(classes)),
                                   "features": json.dumps(list(features))})
    return model


def torch_layout(layout: NetworkLayout) -> dict:
    """The torch.nn.Sequential the network is, and where each state_dict entry comes from.

    Inputs are standardised first, as for the numpy recipe; the modules are numbered as Sequential
    numbers them, so "0.weight" is the first Linear's weight.
    """
    modules, state = [], {}
    for layer in layout.layers:
        torch = _export_of(layer).torch
        if torch is None:
            raise ExportError(f"layer {layer.name} is no torch.nn.Sequential module; a recurrent "
                              "model's PyTorch form is portable_recurrent.torch_description")
        for module, params in torch(layer):
            state.update({f"{len(modules)}.{key}": value for key, value in params.items()})
            modules.append(module)
    sequential = ", ".join(f"torch.nn.{module}" for module in modules)
    output = ("one column, P(classes[1]); the other class's is 1 minus it" if layout.widths[-1] == 1
              else "one probability per class, in the order of classes")
    return {
        "modules": modules,
        "sequential": f"torch.nn.Sequential({sequential})",
        "state_dict": state,
        "input": "float32 rows standardised as for the layers: x = (raw - mean) / scale",
        "output": output,
        "weights": "torch.nn.Linear keeps weight as (fan_out, fan_in) and computes x @ weight.T + "
                   "bias, so its weight is W transposed: torch.from_numpy(W.T.copy())",
    }
