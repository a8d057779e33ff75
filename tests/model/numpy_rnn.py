"""A recurrent model written from PyTorch's equations in plain numpy, float64, for the tests to
compare dropviz against: state in PyTorch's layout (weight_ih_l<k> (G*H, I), gates r, z, n)."""

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def cell_step(cell: str, x_part: np.ndarray, h_part: np.ndarray, h: np.ndarray) -> np.ndarray:
    """One update from the input's and the carried state's products (biases included)."""
    if cell == "rnn":
        return np.tanh(x_part + h_part)
    units = h.shape[1]
    r = sigmoid(x_part[:, :units] + h_part[:, :units])
    z = sigmoid(x_part[:, units:2 * units] + h_part[:, units:2 * units])
    n = np.tanh(x_part[:, 2 * units:] + r * h_part[:, 2 * units:])
    return (1 - z) * n + z * h


def layer_count(state: dict) -> int:
    return sum(name.startswith("weight_ih_l") for name in state)


def forward(state: dict, cell: str, x: np.ndarray, masks: dict | None = None,
            scales: dict | None = None) -> tuple[np.ndarray, dict]:
    """Logits for sequences x (N, T, F), and each layer's states (N, T, H) by recurrent<k>.

    With `masks` (input, recurrent<k>, hidden<k>: (N, T, units)) and their train `scales`, a
    training pass: the input and each layer's outputs are thinned, and so is the state carried
    into each step's product with weight_hh (not the GRU's z * h term).
    """
    def thin(h, name):
        return h if masks is None else h * masks[name] * scales[name]

    h_in = thin(np.asarray(x, np.float64), "input")
    states = {}
    for k in range(layer_count(state)):
        w_i, w_h, b_i, b_h = (state[f"{kind}_l{k}"].astype(np.float64)
                              for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
        h = np.zeros((len(x), w_h.shape[1]))
        outputs = []
        carry = f"recurrent{k + 1}"
        for t in range(x.shape[1]):
            carried = h if masks is None else h * masks[carry][:, t] * scales[carry]
            h = cell_step(cell, h_in[:, t] @ w_i.T + b_i, carried @ w_h.T + b_h, h)
            outputs.append(h)
        states[f"recurrent{k + 1}"] = np.stack(outputs, axis=1)
        h_in = thin(states[f"recurrent{k + 1}"], f"hidden{k + 1}")
    logits = h_in[:, -1] @ state["linear.weight"].T.astype(np.float64) + state["linear.bias"]
    return logits, states


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    z = logits - logits.max(axis=1, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(labels)), labels].mean())


def internal_to_torch(weights: dict) -> dict:
    """dropviz's own parameter names and layout (Wx<k> (I, G*H), ..., W<k> (H, C)) to PyTorch's,
    by transposing: what the tests use for weights taken from the network, not from an export."""
    state, k = {}, 1
    while f"Wx{k}" in weights:
        state.update({f"weight_ih_l{k - 1}": weights[f"Wx{k}"].T, f"weight_hh_l{k - 1}": weights[f"Wh{k}"].T,
                      f"bias_ih_l{k - 1}": weights[f"bx{k}"], f"bias_hh_l{k - 1}": weights[f"bh{k}"]})
        k += 1
    state.update({"linear.weight": weights[f"W{k}"].T, "linear.bias": weights[f"b{k}"]})
    return state
