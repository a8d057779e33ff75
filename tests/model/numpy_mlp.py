"""An independent numpy forward pass and loss, written from the formulas, to check the graph."""

import numpy as np

ACTIVATIONS = {
    "relu": lambda h: np.maximum(h, 0.0),
    "tanh": np.tanh,
    "sigmoid": lambda h: 1.0 / (1.0 + np.exp(-h)),
}


def logits(weights, x, activation, masks=None, scales=None):
    """Training pass when masks are given (h * mask * scale before each layer), else plain.

    `weights` maps names to arrays: W1, b1, W2, ... for layers 1, 2, ...
    """
    h = np.asarray(x, dtype=np.float64)
    n_layers = sum(name.startswith("W") for name in weights)
    for layer in range(n_layers):
        if masks is not None:
            h = h * masks[layer] * scales[layer]
        h = h @ np.asarray(weights[f"W{layer + 1}"], np.float64) + weights[f"b{layer + 1}"]
        if layer < n_layers - 1:
            h = ACTIVATIONS[activation](h)
    return h


def probabilities(z):
    if z.shape[1] == 1:
        positive = 1.0 / (1.0 + np.exp(-z[:, 0]))
        return np.column_stack([1.0 - positive, positive])
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def loss(z, y):
    """Mean cross-entropy, written as -log p(y) on the probabilities."""
    probs = probabilities(z)
    return float(-np.mean(np.log(probs[np.arange(len(y)), y])))
