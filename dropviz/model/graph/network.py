"""The dropout MLP as one PyTensor graph of named layers, compiled once per architecture.

Everything that may change while a run goes on (the data of the same shape, the weights, the dropout
rates and scaling, the learning rate, L2, the rng) is a shared variable, so a slider, a reset or a
regenerated dataset never pays for a compile. Only the architecture below fixes the graph.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from itertools import pairwise

import numpy as np
import pytensor.tensor as pt

from dropviz.model.graph.architecture import Architecture
from dropviz.model.graph.backend import (
    FLOAT,
    call_with_blas_threads,
    compile_function,
    graph_scope,
    in_graph_scope,
    pytensor,
)
from dropviz.model.graph.dropout_controls import DropoutControls
from dropviz.model.graph.layers import Pass, build_layers
from dropviz.model.graph.optimizers import Optimizer
from dropviz.model.graph.outputs import cross_entropy, probabilities
from dropviz.model.results import RECURRENT_KINDS, NetworkLayout


class DropoutNetwork:
    """A compiled MLP with dropout on the input and on every hidden layer.

    `train_step(batch)` runs one minibatch update on the training data held in shared variables and
    returns the data loss of the batch and the keep-mask of every dropout layer (True = kept).
    """

    def __init__(self, arch: Architecture, X_train: np.ndarray, y_train: np.ndarray, *,
                 quick: bool = False) -> None:
        """A `quick` network compiles in about a second (no rewrites, see backend.py) and trains
        slower; it has no multi-step call (its `train_steps` calls `train_step` in a loop)."""
        self.arch = arch
        self.quick = quick
        self.layers = build_layers(arch)
        self.layout = NetworkLayout(arch.n_inputs, tuple(layer.info() for layer in self.layers))
        self.params = [pytensor.shared(np.zeros(param.shape, FLOAT), name=param.name)
                       for layer in self.layout.layers for param in layer.params]
        self.dropout = DropoutControls.create(len(self.layout.noise_names))
        self.learning_rate = pytensor.shared(FLOAT(0.01), name="learning_rate")
        self.l2 = pytensor.shared(FLOAT(0.0), name="l2")
        self.l1 = pytensor.shared(FLOAT(0.0), name="l1")
        self.max_norm = pytensor.shared(FLOAT(np.inf), name="max_norm")  # infinite: no limit
        self.train_rng = pt.random.shared_rng(seed=0, name="train_rng")
        self.mc_rng = pt.random.shared_rng(seed=1, name="mc_rng")
        self.X_train = pytensor.shared(np.asarray(X_train, dtype=FLOAT), name="X_train")
        self.y_train = pytensor.shared(np.asarray(y_train, dtype=np.int32), name="y_train")
        trained = {param.name for layer in self.layout.layers for param in layer.params if param.trained}
        self._trained = [index for index, param in enumerate(self.params) if param.name in trained]
        self.optimizer = Optimizer(arch.optimizer, [self.params[i] for i in self._trained],
                                   self.learning_rate)
        self._train = self._compile_train()
        self._predict = self._compile_predict()
        self._mc_pass = None
        self._states = None
        self._train_many = None
        self._preparing = threading.Lock()
        self._weights_per_row = sum(a * b for a, b in pairwise(arch.widths))
        if not quick:  # the C backend compiles when the function is made, not at its first call
            self._run_once(lambda: (self.train_step(np.zeros(1, dtype=np.int32)),
                                    self.predict(np.zeros((1, arch.n_inputs), dtype=FLOAT))))

    def _run_once(self, call: Callable[[], object]) -> None:
        """Call compiled functions once and undo what the call changed (weights, state, rng).

        numba compiles a function at its first call, not when PyTensor builds it: calling here
        moves that wait (tens of seconds on a first-ever run) to whoever builds the network, e.g.
        the window's build thread while it shows "Compiling...", instead of the first step.
        """
        weights, state, rngs = self.weights(), self.optimizer_state(), self.rng_states()
        call()
        self.set_weights(weights)
        self.set_optimizer_state(state)
        self.set_rng_states(rngs)

    def prepare_train_steps(self) -> None:
        """Compile `train_steps` as one call of many steps (once per network).

        Until then `train_steps` runs its steps one by one: the compile costs more than it saves
        unless many steps follow (see `train_steps`). The window's training loop runs this on
        another thread while it trains with `train_step`. That is safe: the compile reads no
        value, and the call that makes numba compile runs on a copy of the function whose
        weights, optimizer state and rng are copies, so the network's own state is never read or
        written while it trains.

        A quick twin (which would compile for seconds) and a recurrent network never compile it:
        a GRU's step is its scan over time, and in a call of many (C backend) it was no faster:
        6.80 ms a step against 6.44 ms alone (preset 13: 64 units, batches of 32), after 10 s of
        compiling.
        """
        if self._one_by_one:
            return
        with self._preparing, graph_scope():
            if self._train_many is None:
                function = self._compile_train_many()
                function.copy(swap=self._state_copies())(np.zeros((1, 1), dtype=np.int32))
                self._train_many = function

    @property
    def train_steps_ready(self) -> bool:
        """True once `train_steps` is as fast as it gets: compiled, or never compiled."""
        return self._one_by_one or self._train_many is not None

    @property
    def _one_by_one(self) -> bool:
        return self.quick or self.arch.recurrent

    def _state_copies(self) -> dict:
        """A fresh shared variable for each one a training step updates, of the same type."""
        updated = [*self.params, *self.optimizer.state]
        copies = {var: pytensor.shared(np.zeros_like(var.get_value(borrow=True)), name=var.name)
                  for var in updated}
        copies[self.train_rng] = pt.random.shared_rng(seed=0, name="train_rng_copy")
        return copies

    @property
    def preparing(self) -> str:
        """What the network does besides training, for the status bar: nothing (see quick_start.py)."""
        return ""

    @property
    def noise_names(self) -> tuple[str, ...]:
        """The layers that draw noise (today the dropout layers: input, hidden1, ...), in order."""
        return self.layout.noise_names

    def _pass(self, params: list, x: pt.TensorVariable, rng=None,
              batch_statistics: bool = True) -> Pass:
        named = dict(zip((param.name for param in self.params), params, strict=True))
        return Pass(named, self.dropout, self.arch.apply, x.shape[0], self.arch.time_steps,
                    self.quick, rng, batch_statistics=batch_statistics)

    def _forward(self, x, run: Pass):
        """Logits of the network; a pass with an rng is a training pass that draws noise."""
        h = x
        for layer in self.layers:
            h = layer.forward(h, run)
        return h

    def _training_step(self, batch, params: list, state: list, rng):
        """One minibatch update as a pure graph: (loss, masks, new params, new state, next rng).

        Written once and used twice: on the shared variables for `train_step`, and on the values a
        scan carries from one iteration to the next for `train_steps`.
        """
        x, y = self.X_train[batch], self.y_train[batch]
        run = self._pass(params, x, rng)
        logits = self._forward(x, run)
        data_loss = cross_entropy(logits, y, self.arch.n_classes, self.quick)
        penalty = sum(term for layer in self.layers for term in layer.penalty(run.params))
        l1_penalty = sum(term for layer in self.layers for term in layer.l1_penalty(run.params))
        trained = [params[index] for index in self._trained]
        grads = pytensor.grad(data_loss + self.l2 * penalty + self.l1 * l1_penalty, trained)
        new_trained, new_state = self.optimizer.step(trained, grads, state)
        names = list(run.params)
        updated = {**run.params, **run.buffers}
        updated.update({names[index]: value for index, value in zip(self._trained, new_trained,
                                                                      strict=True)})
        for layer in self.layers:
            layer.constrain(updated, self.max_norm)
        masks = [run.noise[name] for name in self.noise_names]
        return data_loss, masks, list(updated.values()), new_state, run.rng

    @in_graph_scope
    def _compile_train(self):
        batch = pt.ivector("batch")
        state = self.optimizer.state
        loss, masks, new_params, new_state, next_rng = self._training_step(
            batch, self.params, state, self.train_rng)
        updates = dict(zip([*self.params, *state], [*new_params, *new_state], strict=True))
        updates[self.train_rng] = next_rng
        return compile_function([batch], [loss, *masks], updates, loops=self.arch.recurrent,
                                quick=self.quick)

    @in_graph_scope
    def _compile_train_many(self):
        """K steps in one call: a scan over the rows of a (K, batch) matrix of example indices.

        Parameters, optimizer state and the rng are the loop's carried values, so each iteration
        sees the previous one's weights and draws from where it left off, exactly as K calls of
        `train_step` would; the shared variables take the last values when the call returns.
        """
        batches = pt.imatrix("batches")
        carried = [*self.params, *self.optimizer.state]
        n_params, n_masks = len(self.params), len(self.noise_names)

        def one_step(batch, *values):
            params, state, rng = values[:n_params], values[n_params:-1], values[-1]
            loss, masks, new_params, new_state, next_rng = self._training_step(
                batch, list(params), list(state), rng)
            return [loss, *masks, *new_params, *new_state, next_rng]

        outputs = pytensor.scan(one_step, sequences=[batches],
                                outputs_info=[None] * (1 + n_masks) + [*carried, self.train_rng],
                                return_updates=False, name="train_steps")
        losses, masks = outputs[0], outputs[1:1 + n_masks]
        finals = [output[-1] for output in outputs[1 + n_masks:-1]]
        updates = dict(zip(carried, finals, strict=True))
        updates[self.train_rng] = outputs[-1]
        return compile_function([batches], [losses, *masks], updates)

    @in_graph_scope
    def _compile_predict(self):
        x = pt.matrix("x", dtype="float32")
        logits = self._forward(x, self._pass(self.params, x))
        chances = probabilities(logits, self.arch.n_classes, self.quick)
        return compile_function([x], [chances, logits],
                                loops=self.arch.recurrent, quick=self.quick)

    @in_graph_scope
    def _compile_mc_pass(self):
        x = pt.matrix("x", dtype="float32")
        run = self._pass(self.params, x, self.mc_rng, batch_statistics=False)
        logits = self._forward(x, run)
        chances = probabilities(logits, self.arch.n_classes, self.quick)
        return compile_function([x], chances, {self.mc_rng: run.rng},
                                loops=self.arch.recurrent, quick=self.quick)

    @in_graph_scope
    def _compile_states(self):
        x = pt.matrix("x", dtype="float32")
        run, h, states = self._pass(self.params, x), x, []
        for layer in self.layers:
            h = layer.forward(h, run)
            if layer.kind in RECURRENT_KINDS:
                states.append(h)
        return compile_function([x], states, loops=True, quick=self.quick)

    def hidden_states(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """Each recurrent layer's test-time state at every time step, (rows, time, units), by layer
        name; empty for an MLP. Compiled on first use (about a second once the cells are cached)."""
        names = [layer.name for layer in self.layout.layers if layer.kind in RECURRENT_KINDS]
        if not names:
            return {}
        if self._states is None:
            self._states = self._compile_states()
        states = self._states(np.asarray(X, dtype=FLOAT))
        return dict(zip(names, states, strict=True))

    def reset(self, seed: int) -> None:
        """New initial weights and rng streams from the seed, zeroed optimizer state."""
        streams = np.random.SeedSequence([seed, 2]).spawn(3)
        init_rng = np.random.default_rng(streams[0])
        values: dict[str, np.ndarray] = {}
        for layer in self.layers:  # in order: each layer draws from where the one before left off
            values.update(layer.initial_values(init_rng))
        self.set_weights(values)
        self.optimizer.reset()
        self.train_rng.set_value(np.random.default_rng(streams[1]))
        self.mc_rng.set_value(np.random.default_rng(streams[2]))

    def set_data(self, X_train: np.ndarray, y_train: np.ndarray) -> None:
        """Swap in a training set of the same width (a regenerated dataset needs no compile)."""
        if X_train.shape[1] != self.arch.n_inputs:
            raise ValueError("the data has a different number of features than the network")
        self.X_train.set_value(np.asarray(X_train, dtype=FLOAT))
        self.y_train.set_value(np.asarray(y_train, dtype=np.int32))

    def set_live(self, rates: tuple[float, ...], scaling: str, mask: str, learning_rate: float,
                 l2: float, l1: float = 0.0, max_norm: float | None = None,
                 time_mask: str = "per_step") -> None:
        """Settings that act from the next call on, without a compile; max_norm None is no limit."""
        self.dropout.set(rates, scaling, mask, time_mask)
        self.learning_rate.set_value(FLOAT(learning_rate))
        self.l2.set_value(FLOAT(l2))
        self.l1.set_value(FLOAT(l1))
        self.max_norm.set_value(FLOAT(np.inf if max_norm is None else max_norm))

    def _flops(self, rows: int, products_per_row: int) -> float:
        """FLOP of the matrix products of `rows` rows through every layer, `products_per_row` times.

        Three for a training step (forward, input gradient, weight gradient), one for a prediction.
        """
        return 2.0 * products_per_row * rows * self._weights_per_row

    def train_step(self, batch: np.ndarray) -> tuple[float, list[np.ndarray]]:
        batch = np.asarray(batch, dtype=np.int32)
        loss, *masks = call_with_blas_threads(self._train, self._flops(len(batch), 3), 1, batch)
        return float(loss), masks

    def train_steps(self, batches: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """K training steps, for rows of example indices of shape (K, batch): the K losses and,
        per dropout layer, the K masks stacked as (K, batch, units).

        Once `prepare_train_steps` has compiled it, one call whose fixed cost is paid once, which
        is most of a small network's step: 0.06 ms a step of a 16-8 network against 0.87 ms one
        by one, 0.52 against 1.52 ms for the app's 256-256 one (warm process). Before that, one
        step at a time: compiling took 4-5 s with a warm cache and about 50 s on a cold one, which
        pays only after 4,500-8,000 steps (warm). The course of training is the same either way,
        bit for bit.
        """
        batches = np.asarray(batches, dtype=np.int32)
        if self._train_many is None:
            return self._train_steps_one_by_one(batches)
        losses, *masks = call_with_blas_threads(self._train_many, self._flops(batches.shape[1], 3),
                                                len(batches), batches)
        return losses, masks

    def _train_steps_one_by_one(self, batches: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """`train_steps` before the call of many steps is compiled (see `prepare_train_steps`)."""
        steps = [self.train_step(batch) for batch in batches]
        losses = np.array([loss for loss, _ in steps], dtype=FLOAT)
        masks = [np.stack(layer) for layer in zip(*(masks for _, masks in steps), strict=True)]
        return losses, masks

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Test-time class probabilities and logits: no dropout, the scaling mode's test factor."""
        X = np.asarray(X, dtype=FLOAT)
        probs, logits = call_with_blas_threads(self._predict, self._flops(len(X), 1), 1, X)
        return probs, logits

    def mc_predict(self, X: np.ndarray, samples: int) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation of class probabilities over stochastic training passes.

        Uses its own rng stream, so sampling never changes the course of training.
        """
        if self._mc_pass is None:
            self._mc_pass = self._compile_mc_pass()
        X = np.asarray(X, dtype=FLOAT)
        total = np.zeros((len(X), self.arch.n_classes), dtype=np.float64)
        total_sq = np.zeros_like(total)
        for _ in range(samples):
            probs = call_with_blas_threads(self._mc_pass, self._flops(len(X), 1), 1, X)
            total += probs
            total_sq += probs.astype(np.float64) ** 2
        mean = total / samples
        std = np.sqrt(np.maximum(total_sq / samples - mean**2, 0.0))
        return mean.astype(FLOAT), std.astype(FLOAT)

    def weights(self) -> dict[str, np.ndarray]:
        """Every parameter's value by name ("W1", "b1", ...), in the layers' order."""
        return {param.name: param.get_value() for param in self.params}

    def set_weights(self, arrays: dict[str, np.ndarray]) -> None:
        """Set every parameter by name; a name missing from `arrays` is an error, not a zero."""
        for param in self.params:
            param.set_value(np.asarray(arrays[param.name], dtype=FLOAT))

    def inference_weights(self) -> dict[str, np.ndarray]:
        """Weights with every test-time factor folded in: a plain forward pass gives our predictions."""
        arrays = self.weights()
        scale = FLOAT(1.0)
        for layer in self.layers:
            scale = layer.fold(arrays, scale, self.dropout)
        return arrays

    def optimizer_state(self) -> dict[str, np.ndarray]:
        return {variable.name: variable.get_value() for variable in self.optimizer.state}

    def set_optimizer_state(self, state: dict[str, np.ndarray]) -> None:
        for variable in self.optimizer.state:
            variable.set_value(np.asarray(state[variable.name], dtype=FLOAT))

    def rng_states(self) -> dict:
        """The bit generators' states, to save and restore the course of training exactly."""
        return {"train": self.train_rng.get_value().bit_generator.state,
                "mc": self.mc_rng.get_value().bit_generator.state}

    def set_rng_states(self, states: dict) -> None:
        for variable, key in ((self.train_rng, "train"), (self.mc_rng, "mc")):
            generator = np.random.default_rng()
            generator.bit_generator.state = states[key]
            variable.set_value(generator)
