"""The plain numpy forward pass of exported, inference-ready weights, read by the layers' names.

What model.json tells users to run, and what the activation histograms use: no dropout and no
scaling, because every test-time factor is already folded into the weights (see `Layer.fold`).
"""

from __future__ import annotations

import numpy as np

from dropviz.model.results import NetworkLayout

NUMPY_ACTIVATIONS = {
    "relu": lambda h: np.maximum(h, 0.0),
    "tanh": np.tanh,
    "sigmoid": lambda h: 1.0 / (1.0 + np.exp(-h)),
}


def hidden_activations(layout: NetworkLayout, weights: dict[str, np.ndarray],
                       X: np.ndarray) -> dict[str, np.ndarray]:
    """Every hidden dense layer's output, by layer name, in float64.

    Computed from `Trainer.inference_weights()`, these are exactly the activations of the
    test-time network, whatever scaling mode trained it.
    """
    h = np.asarray(X, dtype=np.float64)
    outputs = {}
    for layer in layout.of_kind("dense")[:-1]:
        weight, bias = (weights[param.name] for param in layer.params)
        h = NUMPY_ACTIVATIONS[layer.activation](h @ weight.astype(np.float64) + bias)
        outputs[layer.name] = h
    return outputs
