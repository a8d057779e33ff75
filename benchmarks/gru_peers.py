"""What a user would write instead of dropviz's GRU: the same network by hand in numpy, and in PyTorch.

All of them train what dropviz trains for `model=gru` with one recurrent layer: each row is
`steps` time steps of equal width; a GRU in PyTorch's gate order (r, z, n),

    r = sig(x Wx_r + bx_r + c Wh_r + bh_r),  z = sig(x Wx_z + bx_z + c Wh_z + bh_z),
    n = tanh(x Wx_n + bx_n + r * (c Wh_n + bh_n)),  h' = (1 - z) * n + z * h,

where c = h * recurrent mask / keep is the carried state thinned by a new mask at every step (the
update z * h keeps the whole state, as dropviz's layer does); the last step's state, thinned by
the hidden mask, goes through a dense softmax layer; mean cross-entropy; Adam. Every step draws
and returns the three masks dropviz returns, each (batch, time, units): input, recurrent, hidden.
Parameters carry dropviz's names (Wx1, Wh1, bx1, bh1, W2, b2), so all can start from its weights.
"""

from __future__ import annotations

import numpy as np

try:
    import torch
except ImportError:  # the PyTorch peers are optional: the table says when they were skipped
    torch = None

F32 = np.float32
NAMES = ("Wx1", "Wh1", "bx1", "bh1", "W2", "b2")
ADAM_BETA1, ADAM_BETA2, ADAM_EPSILON = 0.9, 0.999, 1e-8  # dropviz's (model/graph/optimizers.py)


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-a))


class NumpyGRU:
    """Forward, backpropagation through time and Adam by hand; float32 to race, float64 to check.

    `keeps` are the keep probabilities of the (input, recurrent, hidden) masks; the scaling is
    inverted (kept units times 1 / keep in training). Softmax output only (three classes or more).
    """

    def __init__(self, weights: dict[str, np.ndarray], steps: int, keeps: tuple[float, float, float],
                 learning_rate: float, seed: int, dtype: type = F32) -> None:
        self.dtype = dtype
        self.params = {name: np.array(weights[name], dtype=dtype) for name in NAMES}
        self.steps = steps
        self.units = self.params["Wh1"].shape[0]
        self.keeps = tuple(dtype(keep) for keep in keeps)
        self.learning_rate = learning_rate
        self.rng = np.random.default_rng(seed)
        self.moments = {name: (np.zeros_like(p), np.zeros_like(p)) for name, p in self.params.items()}
        self.count = 0

    def draw_masks(self, batch_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Keep-masks (True = kept) for the inputs, the carried state and the outputs."""
        width = self.params["Wx1"].shape[0]
        shapes = ((batch_size, self.steps, width), *((batch_size, self.steps, self.units),) * 2)
        return tuple(self.rng.random(shape, dtype=self.dtype) < keep  # type: ignore[return-value]
                     for shape, keep in zip(shapes, self.keeps, strict=True))

    def loss_and_grads(self, x: np.ndarray, labels: np.ndarray,
                       masks: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[float, dict]:
        """Mean cross-entropy of rows `x` (batch, steps * width) and its gradient by parameter."""
        p, dt, units, steps = self.params, self.dtype, self.units, self.steps
        batch = len(x)
        factors = [np.ascontiguousarray(mask.transpose(1, 0, 2)) * (1 / keep)
                   for mask, keep in zip(masks, self.keeps, strict=True)]  # (time, batch, units)
        xs = x.reshape(batch, steps, -1).transpose(1, 0, 2) * factors[0]
        inputs = (xs.reshape(steps * batch, -1) @ p["Wx1"] + p["bx1"]).reshape(steps, batch, -1)
        h = np.zeros((steps + 1, batch, units), dt)
        carried, recurrent = np.empty_like(h[1:]), np.empty((steps, batch, 3 * units), dt)
        gates, new = np.empty((steps, batch, 2 * units), dt), np.empty_like(h[1:])
        for t in range(steps):
            np.multiply(h[t], factors[1][t], out=carried[t])
            np.matmul(carried[t], p["Wh1"], out=recurrent[t])
            recurrent[t] += p["bh1"]
            gates[t] = _sigmoid(inputs[t, :, :2 * units] + recurrent[t, :, :2 * units])
            reset, update = gates[t, :, :units], gates[t, :, units:]
            new[t] = np.tanh(inputs[t, :, 2 * units:] + reset * recurrent[t, :, 2 * units:])
            h[t + 1] = (1 - update) * new[t] + update * h[t]
        out = h[steps] * factors[2][steps - 1]
        logits = out @ p["W2"] + p["b2"]
        logits -= logits.max(axis=1, keepdims=True)
        log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        rows = np.arange(batch)
        loss = float(-log_probs[rows, labels].mean())
        d_logits = np.exp(log_probs)
        d_logits[rows, labels] -= 1
        d_logits /= dt(batch)
        grads = {"W2": out.T @ d_logits, "b2": d_logits.sum(axis=0)}
        d_h = (d_logits @ p["W2"].T) * factors[2][steps - 1]
        d_inputs = np.empty_like(inputs)
        d_recurrent = np.empty_like(recurrent)
        grads["Wh1"], grads["bh1"] = np.zeros_like(p["Wh1"]), np.zeros_like(p["bh1"])
        for t in range(steps - 1, -1, -1):
            reset, update = gates[t, :, :units], gates[t, :, units:]
            d_new = d_h * (1 - update) * (1 - new[t] ** 2)
            d_update = d_h * (h[t] - new[t]) * update * (1 - update)
            d_reset = d_new * recurrent[t, :, 2 * units:] * reset * (1 - reset)
            d_inputs[t] = np.concatenate([d_reset, d_update, d_new], axis=1)
            d_recurrent[t, :, :2 * units] = d_inputs[t, :, :2 * units]
            d_recurrent[t, :, 2 * units:] = d_new * reset
            grads["Wh1"] += carried[t].T @ d_recurrent[t]
            d_h = d_h * update + (d_recurrent[t] @ p["Wh1"].T) * factors[1][t]
        grads["bh1"] = d_recurrent.sum(axis=(0, 1))
        grads["Wx1"] = xs.reshape(steps * batch, -1).T @ d_inputs.reshape(steps * batch, -1)
        grads["bx1"] = d_inputs.sum(axis=(0, 1))
        return loss, grads

    def adam(self, grads: dict[str, np.ndarray]) -> None:
        """dropviz's Adam: the bias corrections folded into the step size, epsilon outside them."""
        self.count += 1
        t = self.count
        size = self.learning_rate * np.sqrt(1 - ADAM_BETA2**t) / (1 - ADAM_BETA1**t)
        for name, grad in grads.items():
            first, second = self.moments[name]
            first *= ADAM_BETA1
            first += (1 - ADAM_BETA1) * grad
            second *= ADAM_BETA2
            second += (1 - ADAM_BETA2) * grad * grad
            self.params[name] -= self.dtype(size) * first / (np.sqrt(second) + ADAM_EPSILON)

    def step(self, x: np.ndarray, labels: np.ndarray) -> tuple[float, tuple[np.ndarray, ...]]:
        """One training step on a minibatch: the loss before the update, and the step's masks."""
        masks = self.draw_masks(len(x))
        loss, grads = self.loss_and_grads(x, labels, masks)
        self.adam(grads)
        return loss, masks


class TorchGRU:
    """PyTorch on the CPU, two ways, starting from dropviz's weights.

    `cell="ops"` writes the cell above in torch operations over a Python loop of the time steps,
    with all three masks, autograd and `torch.optim.Adam`: the same network as dropviz's. With
    `cell="nn.GRU"` the loop is PyTorch's own fused operator, which has no place for a mask on the
    carried state: the input and hidden masks apply, the recurrent mask is neither drawn nor used
    (`nn.GRU`'s own `dropout` argument acts only between stacked layers).
    """

    def __init__(self, weights: dict[str, np.ndarray], steps: int, keeps: tuple[float, float, float],
                 learning_rate: float, seed: int, cell: str) -> None:
        torch.manual_seed(seed)
        self.steps, self.keeps, self.cell = steps, keeps, cell
        width, gates = weights["Wx1"].shape
        self.units = gates // 3
        self.output = torch.nn.Linear(self.units, weights["W2"].shape[1])
        self.output.weight.data = torch.from_numpy(np.array(weights["W2"].T, dtype=F32))
        self.output.bias.data = torch.from_numpy(np.array(weights["b2"], dtype=F32))
        if cell == "nn.GRU":
            self.gru = torch.nn.GRU(width, self.units, batch_first=True)
            for ours, theirs in (("Wx1", "weight_ih_l0"), ("Wh1", "weight_hh_l0")):
                getattr(self.gru, theirs).data = torch.from_numpy(np.array(weights[ours].T, F32))
            self.gru.bias_ih_l0.data = torch.from_numpy(np.array(weights["bx1"], F32))
            self.gru.bias_hh_l0.data = torch.from_numpy(np.array(weights["bh1"], F32))
            params = [*self.gru.parameters(), *self.output.parameters()]
        else:
            self.cell_params = [torch.tensor(np.array(weights[name], F32), requires_grad=True)
                                for name in NAMES[:4]]
            params = [*self.cell_params, *self.output.parameters()]
        self.optimizer = torch.optim.Adam(params, lr=learning_rate, betas=(ADAM_BETA1, ADAM_BETA2),
                                          eps=ADAM_EPSILON)

    def _ops_states(self, xs, recurrent_mask):
        w_x, w_h, b_x, b_h = self.cell_params
        units, batch = self.units, xs.shape[0]
        inputs = xs @ w_x + b_x
        h = xs.new_zeros((batch, units))
        scale = 1 / self.keeps[1]
        for t in range(self.steps):
            recurrent = (h * recurrent_mask[:, t] * scale) @ w_h + b_h
            i_t = inputs[:, t]
            reset, update = torch.sigmoid(i_t[:, :2 * units] + recurrent[:, :2 * units]).split(units, 1)
            new = torch.tanh(i_t[:, 2 * units:] + reset * recurrent[:, 2 * units:])
            h = (1 - update) * new + update * h
        return h

    def step(self, x: np.ndarray, labels: np.ndarray) -> tuple[float, list[np.ndarray]]:
        batch = len(x)
        xs = torch.from_numpy(x).reshape(batch, self.steps, -1)
        masks = [torch.rand(xs.shape) < self.keeps[0]]
        xs = xs * masks[0] * (1 / self.keeps[0])
        if self.cell == "nn.GRU":
            last = self.gru(xs)[0][:, -1]
        else:
            masks.append(torch.rand((batch, self.steps, self.units)) < self.keeps[1])
            last = self._ops_states(xs, masks[-1])
        masks.append(torch.rand((batch, self.steps, self.units)) < self.keeps[2])
        logits = self.output(last * masks[-1][:, -1] * (1 / self.keeps[2]))
        loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(labels).long())
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return loss.item(), [mask.numpy() for mask in masks]
