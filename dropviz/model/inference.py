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
    for layer in layout.of_kind("dense")[:-1]:  # batch norm is folded in: each is act(h W + b)
        weight, bias = (weights[param.name] for param in layer.params)
        h = NUMPY_ACTIVATIONS[layer.activation](h @ weight.astype(np.float64) + bias)
        outputs[layer.name] = h
    return outputs


BATCH_NORM_EPSILON = 1e-5  # added to the variance before its square root, as PyTorch does


def batch_norm_inputs(layout: NetworkLayout, weights: dict[str, np.ndarray],
                      test_scales: tuple[float, ...], X: np.ndarray) -> dict[str, np.ndarray]:
    """What each batch-norm layer receives in the test-time pass, by layer name, (rows, units).

    Read from the raw weights (`Trainer.network.weights()`), not the folded ones, with the test
    factor of each noise layer in `test_scales` (network order): the variance of these inputs,
    set against the running variance the layer learnt in training, is the variance shift.
    """
    normalised = {layer.name.removeprefix("batch_norm") for layer in layout.of_kind("batch_norm")}
    h = np.asarray(X, dtype=np.float64)
    slot, inputs = 0, {}
    for layer in layout.layers:
        if layer.kind == "dense":
            weight, bias = (weights[param.name] for param in layer.params)
            h = h @ weight.astype(np.float64) + bias
            index = layer.name.removeprefix("dense")
            if index not in normalised and layer is not layout.layers[-1]:
                h = NUMPY_ACTIVATIONS[layer.activation](h)
        elif layer.kind == "batch_norm":
            inputs[layer.name] = h
            gamma, beta, mean, var = (weights[param.name].astype(np.float64) for param in layer.params)
            h = NUMPY_ACTIVATIONS[layer.activation](
                gamma * (h - mean) / np.sqrt(var + BATCH_NORM_EPSILON) + beta)
        elif layer.noise:
            h = h * test_scales[slot]
            slot += 1
    return inputs
