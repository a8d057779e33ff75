"""The benchmark's hand-written GRU (benchmarks/gru_peers.py) computes what it claims.

Its forward pass against the documented equations written out row by row, its backpropagation
through time against central finite differences in float64 with fixed masks, its Adam step
against the first-step closed form, and, where PyTorch is installed, both PyTorch peers' losses
against it from the same weights. Its agreement with dropviz's own GRU step is checked by the
benchmark itself (it needs a compiled network).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import gru_peers

STEPS, WIDTH, UNITS, CLASSES, BATCH = 4, 3, 5, 3, 6
KEEPS = (0.8, 0.6, 0.5)


def _weights(rng: np.random.Generator) -> dict[str, np.ndarray]:
    shapes = {"Wx1": (WIDTH, 3 * UNITS), "Wh1": (UNITS, 3 * UNITS), "bx1": (3 * UNITS,),
              "bh1": (3 * UNITS,), "W2": (UNITS, CLASSES), "b2": (CLASSES,)}
    return {name: rng.normal(0.0, 0.7, shape) for name, shape in shapes.items()}


@pytest.fixture
def case() -> tuple:
    rng = np.random.default_rng(7)
    gru = gru_peers.NumpyGRU(_weights(rng), STEPS, KEEPS, 0.01, seed=3, dtype=np.float64)
    x = rng.normal(size=(BATCH, STEPS * WIDTH))
    labels = rng.integers(0, CLASSES, BATCH)
    masks = gru.draw_masks(BATCH)
    return gru, x, labels, masks


def _sig(a: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-a))


def _loss_row_by_row(p: dict, x: np.ndarray, labels: np.ndarray, masks: tuple) -> float:
    """The module docstring's equations, one row and one gate block at a time."""
    keep_in, keep_rec, keep_hid = KEEPS
    losses = []
    for row in range(len(x)):
        h = np.zeros(UNITS)
        for t in range(STEPS):
            x_t = x[row, t * WIDTH:(t + 1) * WIDTH] * masks[0][row, t] / keep_in
            c = h * masks[1][row, t] / keep_rec
            gate = [slice(g * UNITS, (g + 1) * UNITS) for g in range(3)]
            r = _sig(x_t @ p["Wx1"][:, gate[0]] + p["bx1"][gate[0]] + c @ p["Wh1"][:, gate[0]]
                     + p["bh1"][gate[0]])
            z = _sig(x_t @ p["Wx1"][:, gate[1]] + p["bx1"][gate[1]] + c @ p["Wh1"][:, gate[1]]
                     + p["bh1"][gate[1]])
            n = np.tanh(x_t @ p["Wx1"][:, gate[2]] + p["bx1"][gate[2]]
                        + r * (c @ p["Wh1"][:, gate[2]] + p["bh1"][gate[2]]))
            h = (1 - z) * n + z * h
        logits = (h * masks[2][row, -1] / keep_hid) @ p["W2"] + p["b2"]
        losses.append(np.log(np.exp(logits).sum()) - logits[labels[row]])
    return float(np.mean(losses))


def test_forward_is_the_documented_gru(case: tuple) -> None:
    gru, x, labels, masks = case
    assert any(not mask.all() for mask in masks)  # the case drops units in every kind of mask
    loss, _ = gru.loss_and_grads(x, labels, masks)
    assert loss == pytest.approx(_loss_row_by_row(gru.params, x, labels, masks), rel=1e-12)


def test_gradients_match_finite_differences(case: tuple) -> None:
    gru, x, labels, masks = case
    _, grads = gru.loss_and_grads(x, labels, masks)
    epsilon = 1e-6
    for name, param in gru.params.items():
        numeric = np.empty_like(param)
        for index in np.ndindex(param.shape):
            saved = param[index]
            param[index] = saved + epsilon
            above = gru.loss_and_grads(x, labels, masks)[0]
            param[index] = saved - epsilon
            below = gru.loss_and_grads(x, labels, masks)[0]
            param[index] = saved
            numeric[index] = (above - below) / (2 * epsilon)
        assert np.abs(numeric).max() > 1e-3, name  # every parameter matters in this case
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-5, atol=1e-8, err_msg=name)


def test_first_adam_step_moves_each_weight_by_the_learning_rate(case: tuple) -> None:
    """At step 1 the bias-corrected moments are g and g * g: Adam moves a weight by
    -lr * g / (|g| + eps / sqrt(1 - beta2)), about -lr * sign(g)."""
    gru, x, labels, masks = case
    before = {name: param.copy() for name, param in gru.params.items()}
    _, grads = gru.loss_and_grads(x, labels, masks)
    gru.adam(grads)
    for name, grad in grads.items():
        moved = gru.params[name] - before[name]
        expected = -0.01 * grad / (np.abs(grad) + gru_peers.ADAM_EPSILON / np.sqrt(0.001))
        np.testing.assert_allclose(moved, expected, rtol=1e-9, atol=1e-15, err_msg=name)


def test_step_returns_masks_of_the_keep_rates() -> None:
    rng = np.random.default_rng(0)
    gru = gru_peers.NumpyGRU(_weights(rng), STEPS, KEEPS, 0.01, seed=1)
    x = rng.normal(size=(400, STEPS * WIDTH)).astype(np.float32)
    loss, masks = gru.step(x, rng.integers(0, CLASSES, 400))
    assert np.isfinite(loss) and gru.params["Wh1"].dtype == np.float32
    assert [mask.shape for mask in masks] == [(400, STEPS, WIDTH), *[(400, STEPS, UNITS)] * 2]
    for mask, keep in zip(masks, KEEPS, strict=True):
        assert mask.mean() == pytest.approx(keep, abs=0.03)


@pytest.mark.parametrize("cell", ["ops", "nn.GRU"])
def test_pytorch_peers_compute_the_same_network(cell: str) -> None:
    """With every unit kept, PyTorch's first loss from the same weights is the reference's."""
    pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    weights = {name: value.astype(np.float32) for name, value in _weights(rng).items()}
    x = rng.normal(size=(BATCH, STEPS * WIDTH)).astype(np.float32)
    labels = rng.integers(0, CLASSES, BATCH)
    reference = gru_peers.NumpyGRU(weights, STEPS, (1.0, 1.0, 1.0), 0.01, 0, dtype=np.float64)
    expected, _ = reference.loss_and_grads(x.astype(np.float64), labels, reference.draw_masks(BATCH))
    peer = gru_peers.TorchGRU(weights, STEPS, (1.0, 1.0, 1.0), 0.01, 0, cell)
    loss, masks = peer.step(x, labels)
    assert all(mask.all() for mask in masks)
    assert loss == pytest.approx(expected, rel=1e-5)
