"""A recurrent layer over time steps: a tanh RNN cell or a GRU, in PyTorch's gate order and layout.

Parameters are Wx<k> (inputs, G*units), Wh<k> (units, G*units), bx<k> and bh<k> (G*units), G = 1
for the RNN and 3 (r, z, n) for the GRU, so the export is a transpose:

    RNN: h' = tanh(x Wx + bx + h Wh + bh)
    GRU: r = sig(x Wx_r + bx_r + h Wh_r + bh_r),  z = sig(x Wx_z + bx_z + h Wh_z + bh_z),
         n = tanh(x Wx_n + bx_n + r * (h Wh_n + bh_n)),  h' = (1 - z) * n + z * h

The layer's noise, named as the layer ("recurrent1"), is the mask over the state carried from one
step to the next: in a training pass h in the products with Wh is h * mask * train factor (the
GRU's z * h keeps the whole state, as in Gal and Ghahramani 2016), and at test time h * test factor,
which the export folds into Wh. The mask is drawn for every step before the loop, (batch, time,
units), so the scan over time draws nothing and the rng chains as in the MLP.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt

from dropviz.model.graph.backend import FLOAT, pytensor, scan_mode
from dropviz.model.graph.dropout_controls import DropoutControls, apply_mask
from dropviz.model.graph.layers.base import Layer, Pass
from dropviz.model.results import SEQUENCE_NOISE, LayerInfo, ParamInfo

GATES = {"rnn": 1, "gru": 3}


class Recurrent(Layer):
    """`cell` is "rnn" or "gru"; `slot` is the recurrent mask's place in the dropout controls;
    `gaussian` draws Gaussian factors instead of keep-masks, as the network's dropout kind says."""

    def __init__(self, index: int, fan_in: int, units: int, cell: str, slot: int, *,
                 gaussian: bool = False) -> None:
        super().__init__(f"recurrent{index}", units)
        self.kind = cell
        self.fan_in = fan_in
        self.gates = GATES[cell]
        self.slot = slot
        self.gaussian = gaussian
        self.names = (f"Wx{index}", f"Wh{index}", f"bx{index}", f"bh{index}")

    def forward(self, h: pt.TensorVariable, run: Pass) -> pt.TensorVariable:
        """h (batch, time, inputs) -> the state at every step, (batch, time, units)."""
        w_x, w_h, b_x, b_h = (run.params[name] for name in self.names)
        batch, steps = run.rows, run.steps
        inputs = pt.dot(h.reshape((batch * steps, self.fan_in)), w_x) + b_x
        inputs = inputs.reshape((batch, steps, self.gates * self.units)).dimshuffle(1, 0, 2)
        start = pt.zeros((batch, self.units), dtype="float32")
        controls = run.dropout
        if not run.training:
            states = self._loop([inputs], start, w_h * controls.test_scale[self.slot], b_h,
                                lambda state: state, run.quick)
        else:
            noise = self._draw(run, run.noise_shape(self.units, sequence=True))
            scale = controls.train_scale[self.slot]
            if self.gaussian:
                thin = lambda state, factor: state * factor * scale  # noqa: E731
            else:
                thin = lambda state, mask: apply_mask(state, mask, scale, run.apply)  # noqa: E731
            states = self._loop([inputs, noise.dimshuffle(1, 0, 2)], start, w_h, b_h, thin,
                                run.quick)
        return states.dimshuffle(1, 0, 2)

    def _draw(self, run: Pass, shape: tuple) -> pt.TensorVariable:
        keep = run.dropout.keep[self.slot]
        if self.gaussian:
            return run.gaussian_factor(self.name, shape, keep)
        return run.keep_mask(self.name, shape, keep)

    def _loop(self, sequences: list, start: pt.TensorVariable, w_h: pt.TensorVariable,
              b_h: pt.TensorVariable, thin, quick: bool) -> pt.TensorVariable:
        """The state after each step, (time, batch, units): a scan whose body is one cell update."""
        def step(*values):
            inputs, noise, state = values[0], values[1:-3], values[-3]
            carried = thin(state, *noise)
            return self._cell(inputs, carried, state, values[-2], values[-1])

        return pytensor.scan(step, sequences=sequences, outputs_info=[start],
                             non_sequences=[w_h, b_h], return_updates=False,
                             name=f"{self.name}_time", mode=scan_mode(quick))

    def _cell(self, inputs, carried, state, w_h, b_h):
        recurrent = pt.dot(carried, w_h) + b_h
        if self.gates == 1:
            return pt.tanh(inputs + recurrent)
        units = self.units
        reset = pt.sigmoid(inputs[:, :units] + recurrent[:, :units])
        update = pt.sigmoid(inputs[:, units:2 * units] + recurrent[:, units:2 * units])
        new = pt.tanh(inputs[:, 2 * units:] + reset * recurrent[:, 2 * units:])
        return (1 - update) * new + update * state

    def initial_values(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Uniform on +-1/sqrt(units), PyTorch's default for nn.RNN and nn.GRU."""
        limit = 1.0 / np.sqrt(self.units)
        return {name: rng.uniform(-limit, limit, size=shape).astype(FLOAT)
                for name, shape in zip(self.names, self._shapes(), strict=True)}

    def _shapes(self) -> tuple[tuple[int, ...], ...]:
        width = self.gates * self.units
        return (self.fan_in, width), (self.units, width), (width,), (width,)

    def penalty(self, params: dict[str, pt.TensorVariable]) -> list[pt.TensorVariable]:
        return [pt.sum(pt.sqr(params[name])) for name in self.names[:2]]

    def l1_penalty(self, params: dict[str, pt.TensorVariable]) -> list[pt.TensorVariable]:
        return [pt.sum(pt.abs(params[name])) for name in self.names[:2]]

    def constrain(self, params: dict[str, pt.TensorVariable], max_norm: pt.TensorVariable) -> None:
        """Each gate unit's incoming weights, from the inputs and from the state, kept to the limit
        together (a column of Wx over a column of Wh), as a dense layer keeps a column of W."""
        w_x, w_h = (params[name] for name in self.names[:2])
        norms = pt.sqrt(pt.sum(pt.sqr(w_x), axis=0) + pt.sum(pt.sqr(w_h), axis=0))
        factor = pt.minimum(1.0, max_norm / norms)  # exactly 1 within the limit or with none
        params[self.names[0]] = w_x * factor
        params[self.names[1]] = w_h * factor

    def fold(self, arrays: dict[str, np.ndarray], scale: np.floating,
             dropout: DropoutControls) -> np.floating:
        """The inputs' test factor goes into Wx, the carried state's into Wh (not the biases)."""
        arrays[self.names[0]] = arrays[self.names[0]] * scale
        arrays[self.names[1]] = arrays[self.names[1]] * dropout.test_scale.get_value()[self.slot]
        return FLOAT(1.0)

    def info(self) -> LayerInfo:
        params = tuple(ParamInfo(name, shape)
                       for name, shape in zip(self.names, self._shapes(), strict=True))
        return LayerInfo(self.kind, self.name, self.units, params, "tanh",
                         noise=SEQUENCE_NOISE)
