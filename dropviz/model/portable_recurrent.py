"""A recurrent model in the forms other frameworks load: PyTorch's nn.RNN / nn.GRU state and ONNX's
RNN / GRU operators, built from the inference-ready weights (test-time factors folded in).

dropviz keeps a cell's weights as Wx (inputs, G*units) and Wh (units, G*units), gates r, z, n in
PyTorch's order; PyTorch keeps their transposes, and ONNX's GRU wants the gates as z, r, n. Its
`linear_before_reset=1` is PyTorch's reset gate, r * (h Wh_n + bh_n), which dropviz computes too.
"""

from __future__ import annotations

import numpy as np

from dropviz.model.onnx_graph import OnnxGraph
from dropviz.model.results import RECURRENT_KINDS, LayerInfo, NetworkLayout

ONNX_GATES = (1, 0, 2)  # ONNX's GRU gate blocks z, r, n, as positions in dropviz's r, z, n
OUTPUT_WEIGHT, OUTPUT_BIAS = "linear.weight", "linear.bias"
EQUATIONS = {
    "rnn": ["h_t = tanh(x_t @ weight_ih.T + bias_ih + h_{t-1} @ weight_hh.T + bias_hh)"],
    "gru": ["r = sigmoid(x_t @ W_ir.T + b_ir + h_{t-1} @ W_hr.T + b_hr)",
            "z = sigmoid(x_t @ W_iz.T + b_iz + h_{t-1} @ W_hz.T + b_hz)",
            "n = tanh(x_t @ W_in.T + b_in + r * (h_{t-1} @ W_hn.T + b_hn))",
            "h_t = (1 - z) * n + z * h_{t-1}",
            "W_ir, W_iz, W_in are the row blocks of weight_ih in that order (each hidden_size rows); "
            "likewise W_h* of weight_hh and the biases"],
}


def recurrent_layers(layout: NetworkLayout) -> tuple[LayerInfo, ...]:
    return tuple(layer for layer in layout.layers if layer.kind in RECURRENT_KINDS)


def torch_state(layout: NetworkLayout, weights: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """weights.npz of a recurrent model: nn.RNN / nn.GRU state_dict entries (layer k's as
    weight_ih_l<k>, ...) and the output layer as nn.Linear's, (classes, units)."""
    state = {}
    for k, layer in enumerate(recurrent_layers(layout)):
        w_x, w_h, b_x, b_h = (weights[param.name] for param in layer.params)
        state.update({f"weight_ih_l{k}": w_x.T, f"weight_hh_l{k}": w_h.T,
                      f"bias_ih_l{k}": b_x, f"bias_hh_l{k}": b_h})
    weight, bias = (weights[param.name] for param in layout.of_kind("dense")[-1].params)
    state.update({OUTPUT_WEIGHT: weight.T, OUTPUT_BIAS: bias})
    return {name: np.ascontiguousarray(array, dtype=np.float32) for name, array in state.items()}


def torch_description(layout: NetworkLayout, steps: int) -> dict:
    """How PyTorch runs the exported model: its modules and what each state_dict loads."""
    cells = recurrent_layers(layout)
    kind, width = cells[0].kind.upper(), cells[0].units
    step_width = layout.n_inputs // steps
    output = layout.of_kind("dense")[-1]
    if len({cell.units for cell in cells}) == 1:
        module = (f"torch.nn.{kind}({step_width}, {width}, num_layers={len(cells)}, "
                  "batch_first=True)")
        loads = f"every {', '.join(f'*_l{k}' for k in range(len(cells)))} entry of weights.npz"
    else:
        module = "; ".join(
            f"torch.nn.{kind}({fan_in}, {cell.units}, batch_first=True)"
            for fan_in, cell in zip((step_width, *(c.units for c in cells)), cells, strict=False))
        loads = "layer k's module loads weight_ih_l<k>, ... of weights.npz as its *_l0 entries"
    return {
        "recurrent": module,
        "recurrent_state_dict": loads,
        "output": f"torch.nn.Linear({output.params[0].shape[0]}, {output.units}) on the last "
                  f"time step's output, loading {OUTPUT_WEIGHT} and {OUTPUT_BIAS}, then "
                  f"{output.activation}",
        "input": f"float32 (sequences, {steps}, {step_width}): standardised rows, reshaped",
    }


def time_steps_onnx(graph: OnnxGraph, layer: LayerInfo, h: str) -> str:
    """Rows (N, steps * width) to ONNX's time-major sequences (steps, N, width)."""
    shape = graph.indices(f"{layer.name}_shape", [0, -1, layer.units])
    h = graph.node("Reshape", [h, shape], f"{layer.name}_batch_major")
    return graph.node("Transpose", [h], f"{layer.name}_sequences", perm=[1, 0, 2])


def _gates(array: np.ndarray, units: int, kind: str) -> np.ndarray:
    """Gate blocks along the first axis in ONNX's order (the RNN has one block)."""
    if kind == "rnn":
        return array
    return np.concatenate([array[g * units:(g + 1) * units] for g in ONNX_GATES])


def recurrent_onnx(graph: OnnxGraph, layer: LayerInfo, h: str) -> str:
    """ONNX's RNN or GRU over (steps, N, inputs): every step's state, (steps, N, units)."""
    w_x, w_h, b_x, b_h = (graph.weights[param.name] for param in layer.params)
    units, kind = layer.units, layer.kind
    weight = graph.constant(f"{layer.name}_W", _gates(w_x.T, units, kind)[None])
    recurrence = graph.constant(f"{layer.name}_R", _gates(w_h.T, units, kind)[None])
    bias = graph.constant(f"{layer.name}_B", np.concatenate([_gates(b_x, units, kind),
                                                             _gates(b_h, units, kind)])[None])
    extra = {"linear_before_reset": 1} if kind == "gru" else {}
    states = graph.node(kind.upper(), [h, weight, recurrence, bias], f"{layer.name}_all",
                        hidden_size=units, **extra)
    axis = graph.indices(f"{layer.name}_direction_axis", [1])
    return graph.node("Squeeze", [states, axis], f"{layer.name}_states")


def last_step_onnx(graph: OnnxGraph, layer: LayerInfo, h: str) -> str:
    last = graph.indices(f"{layer.name}_index", -1)
    return graph.node("Gather", [h, last], f"{layer.name}_state", axis=0)
