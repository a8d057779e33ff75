"""What a user would write instead of dropviz: the same MLP with dropout in numpy and in PyTorch.

Both train exactly the network dropviz trains in the benchmark: ReLU hidden layers with inverted
dropout after each, one sigmoid output unit with binary cross-entropy, plain SGD, float32, and
both return the loss and every keep-mask of every step, as dropviz does. They are written to be
fast in their own idiom (buffers reused in numpy, eager autograd in PyTorch), so that beating them
means something.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

try:
    import torch
except ImportError:  # the PyTorch peer is optional: the table says when it was skipped
    torch = None

F32 = np.float32


def he_weights(widths: tuple[int, ...], rng: np.random.Generator) -> list[np.ndarray]:
    return [rng.normal(0.0, np.sqrt(2.0 / fan_in), (fan_in, fan_out)).astype(F32)
            for fan_in, fan_out in pairwise(widths)]


class NumpyMLP:
    """Forward and backward by hand, with every per-step array allocated once for the batch size."""

    def __init__(self, widths: tuple[int, ...], X: np.ndarray, y: np.ndarray, keep: float,
                 learning_rate: float, batch_size: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.X = np.ascontiguousarray(X, dtype=F32)
        self.y = np.asarray(y, dtype=F32)
        self.weights = he_weights(widths, rng)
        self.biases = [np.zeros(width, F32) for width in widths[1:]]
        self.keep, self.scale, self.learning_rate = F32(keep), F32(1 / keep), F32(learning_rate)
        self.rng = np.random.default_rng(seed + 1)
        hidden = widths[1:-1]
        self._activations = [np.empty((batch_size, width), F32) for width in hidden]
        self._uniforms = [np.empty((batch_size, width), F32) for width in hidden]
        self._dropped = [np.empty((batch_size, width), F32) for width in hidden]
        self._weight_grads = [np.empty_like(weight) for weight in self.weights]
        self._logits = np.empty((batch_size, 1), F32)

    def step(self, batch: np.ndarray) -> tuple[float, list[np.ndarray]]:
        x, target = self.X[batch], self.y[batch][:, None]
        layer_inputs, masks = [x], []
        for weight, bias, act, uniform, dropped in zip(self.weights[:-1], self.biases[:-1],
                                                      self._activations, self._uniforms,
                                                      self._dropped, strict=True):
            np.matmul(layer_inputs[-1], weight, out=act)
            act += bias
            np.maximum(act, 0, out=act)
            self.rng.random(dtype=F32, out=uniform)
            mask = uniform < self.keep
            np.multiply(act, mask, out=dropped)
            dropped *= self.scale
            masks.append(mask)
            layer_inputs.append(dropped)
        logits = np.matmul(layer_inputs[-1], self.weights[-1], out=self._logits)
        logits += self.biases[-1]
        loss = float(np.mean(np.logaddexp(F32(0), logits) - target * logits))
        delta = (F32(1) / (F32(1) + np.exp(-logits)) - target) / F32(len(batch))
        for layer in range(len(self.weights) - 1, -1, -1):
            weight_grad = np.matmul(layer_inputs[layer].T, delta, out=self._weight_grads[layer])
            bias_grad = delta.sum(axis=0)
            if layer > 0:
                back = delta @ self.weights[layer].T
                back *= masks[layer - 1]
                back *= self.scale
                back *= self._activations[layer - 1] > 0
            weight_grad *= self.learning_rate
            self.weights[layer] -= weight_grad
            self.biases[layer] -= self.learning_rate * bias_grad
            if layer > 0:
                delta = back
        return loss, masks


class TorchMLP:
    """Eager PyTorch as its tutorials write it, except that the masks are drawn where we can see them.

    `nn.Dropout` keeps its masks to itself, so they are drawn with `torch.rand_like(h) < keep`.
    """

    def __init__(self, widths: tuple[int, ...], X: np.ndarray, y: np.ndarray, keep: float,
                 learning_rate: float, seed: int) -> None:
        torch.manual_seed(seed)
        self.X = torch.from_numpy(np.ascontiguousarray(X, dtype=F32))
        self.y = torch.from_numpy(np.asarray(y, dtype=F32))
        self.layers = [torch.nn.Linear(fan_in, fan_out)
                       for fan_in, fan_out in pairwise(widths)]
        self.keep, self.scale = keep, 1 / keep
        self.optimizer = torch.optim.SGD([p for layer in self.layers for p in layer.parameters()],
                                         lr=learning_rate)
        self.loss = torch.nn.BCEWithLogitsLoss()

    def step(self, batch: np.ndarray) -> tuple[float, list[np.ndarray]]:
        index = torch.from_numpy(batch).long()
        h, masks = self.X[index], []
        for layer in self.layers[:-1]:
            h = torch.relu(layer(h))
            mask = torch.rand_like(h) < self.keep
            h = h * mask * self.scale
            masks.append(mask)
        loss = self.loss(self.layers[-1](h)[:, 0], self.y[index])
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return loss.item(), [mask.numpy() for mask in masks]
