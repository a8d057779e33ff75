"""Training as plain Python driving the compiled network: what the window, CLI and tests share.

The trainer knows nothing of Qt. It turns a `Config` into data and a network, runs single steps,
and evaluates; the worker thread, the headless CLI and the benchmarks all drive this one class.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from dropviz.model.config import Config
from dropviz.model.data.datasets import Dataset, load_dataset
from dropviz.model.errors import ConfigError
from dropviz.model.graph.architecture import Architecture
from dropviz.model.graph.compile_aside import compile_first, remember_fast
from dropviz.model.graph.network import DropoutNetwork
from dropviz.model.graph.quick_start import QuickStartNetwork, ThreadStarter
from dropviz.model.memory import check_memory
from dropviz.model.results import DecisionGrid, Evaluation, NetworkLayout, StepResult


class NetworkPool:
    """Compiled networks kept for reuse, so a reset or a new dataset of the same shape is instant.

    A network is lent to one trainer at a time, because its weights are shared variables. With
    `quick_start` (the window's pool) a new network trains on a quick twin while the fast one
    compiles (see quick_start.py); headless runs wait for the fast one, which is soon faster.
    `quick_start` may be a function of the architecture asked at each new network, e.g.
    `compile_aside.quick_start_helps`. Fast networks built here are remembered in the compile
    cache's index (see `remember_fast`). With `aside` (the window's analysis jobs, which want the
    fast network's numbers and speed but must not starve the window) one numba has not cached
    compiles in a child process first.
    """

    def __init__(self, quick_start: bool | Callable[[Architecture], bool] = False,
                 start_thread: ThreadStarter | None = None, aside: bool = False) -> None:
        self._free: dict[Architecture, list[DropoutNetwork | QuickStartNetwork]] = {}
        self.quick_start = quick_start
        self._start_thread = start_thread
        self._aside = aside

    def acquire(self, arch: Architecture, X_train: np.ndarray,
                y_train: np.ndarray) -> DropoutNetwork | QuickStartNetwork:
        free = self._free.get(arch)
        if free:
            network = free.pop()
            network.set_data(X_train, y_train)
            return network
        if self.quick_starts(arch):
            if self._start_thread is None:
                return QuickStartNetwork(arch, X_train, y_train)
            return QuickStartNetwork(arch, X_train, y_train, self._start_thread)
        if self._aside:
            compile_first(arch)
        network = DropoutNetwork(arch, X_train, y_train)
        remember_fast(arch)
        return network

    def quick_starts(self, arch: Architecture) -> bool:
        """Whether a network of `arch` not in the pool starts on a quick twin."""
        return self.quick_start(arch) if callable(self.quick_start) else self.quick_start

    def release(self, network: DropoutNetwork | QuickStartNetwork) -> None:
        """Take a network back; one given back twice is kept once, or two trainers would later
        share its weights."""
        free = self._free.setdefault(network.arch, [])
        if not any(kept is network for kept in free):
            free.append(network)


class BatchSampler:
    """Minibatches that visit every training example once per epoch, in a seeded order."""

    def __init__(self, n_examples: int, rng: np.random.Generator) -> None:
        self.n_examples = n_examples
        self.rng = rng
        self._order = np.empty(0, dtype=np.int32)
        self._position = 0
        self.examples_seen = 0

    def next(self, batch_size: int) -> np.ndarray:
        size = min(batch_size, self.n_examples)
        if self._position + size > len(self._order):
            self._order = self.rng.permutation(self.n_examples).astype(np.int32)
            self._position = 0
        batch = self._order[self._position:self._position + size]
        self._position += size
        self.examples_seen += size
        return batch

    @property
    def epoch(self) -> float:
        return self.examples_seen / self.n_examples

    def state(self) -> tuple[dict, np.ndarray]:
        """JSON-safe scalars and the current order, enough to continue the same sequence."""
        scalars = {"position": self._position, "examples_seen": self.examples_seen,
                   "rng": self.rng.bit_generator.state}
        return scalars, self._order.copy()

    def set_state(self, scalars: dict, order: np.ndarray) -> None:
        self.rng.bit_generator.state = scalars["rng"]
        self._order = np.asarray(order, dtype=np.int32)
        self._position = int(scalars["position"])
        self.examples_seen = int(scalars["examples_seen"])


def architecture_for(config: Config, dataset: Dataset) -> Architecture:
    """The graph a config needs for a dataset; a recurrent model's rows must split into its steps."""
    steps = config.dataset.steps_per_row if config.recurrent else 1
    if dataset.n_features % steps:
        raise ConfigError(f"dataset.time_steps: {dataset.n_features} features do not split into "
                          f"{steps} time steps of equal width")
    return Architecture(dataset.n_features, config.hidden_layers, dataset.n_classes,
                        config.activation, config.optimizer, dropout_kind=config.dropout.kind,
                        batch_norm=config.batch_norm, model=config.model, time_steps=steps)


def cross_entropy(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per-example cross-entropy from logits (one column for a sigmoid output), computed stably."""
    if logits.shape[1] == 1:
        z = logits[:, 0].astype(np.float64)
        return np.logaddexp(0.0, z) - labels * z
    z = logits.astype(np.float64)
    top = z.max(axis=1, keepdims=True)
    log_norm = top[:, 0] + np.log(np.exp(z - top).sum(axis=1))
    return log_norm - z[np.arange(len(z)), labels]


class Trainer:
    """One run: a dataset, a network lent by the pool, the step count and the minibatch order."""

    def __init__(self, config: Config, pool: NetworkPool | None = None,
                 dataset: Dataset | None = None) -> None:
        self.config = config
        self.pool = pool or NetworkPool()
        self.dataset = dataset if dataset is not None else load_dataset(config.dataset, config.seed)
        data = self.dataset
        check_memory(config, data.n_features, data.n_classes, len(data.y_train), len(data.y_test))
        self.network = self.pool.acquire(architecture_for(config, self.dataset),
                                         self.dataset.X_train, self.dataset.y_train)
        self.network.reset(config.seed)
        batch_seed = np.random.SeedSequence([config.seed, 3])
        self.sampler = BatchSampler(len(self.dataset.y_train), np.random.default_rng(batch_seed))
        self.step_count = 0
        self._apply_live(config)

    @property
    def layer_names(self) -> tuple[str, ...]:
        """The layers that draw masks, in order: the keys of every step's masks."""
        return self.network.noise_names

    @property
    def layout(self) -> NetworkLayout:
        return self.network.layout

    @property
    def effective_batch_size(self) -> int:
        """The batch size used: never more than the training set."""
        return min(self.config.batch_size, len(self.dataset.y_train))

    def _apply_live(self, config: Config) -> None:
        self.network.set_live(config.dropout_rates, config.scaling, config.mask,
                              config.learning_rate, config.l2, config.l1, config.max_norm,
                              config.dropout.time_mask)

    def update(self, config: Config) -> None:
        """Apply settings that act between two steps; the rest needs a new Trainer."""
        if self.config.needs_new_network(config):
            raise ConfigError("this change needs a new network; start a new run")
        self.config = config
        self._apply_live(config)

    def step(self) -> StepResult:
        batch = self.sampler.next(self.config.batch_size)
        loss, masks = self.network.train_step(batch)
        self.step_count += 1
        return StepResult(self.step_count, self.sampler.epoch, loss,
                          dict(zip(self.layer_names, masks, strict=True)))

    def run_steps(self, k: int) -> list[StepResult]:
        """k training steps in one compiled call, with the results of k calls of `step()`.

        The same minibatches in the same order, step numbers, epochs, losses, masks and final
        weights, bit for bit; but the fixed cost of a call is paid once instead of k times, which is
        most of a small network's step. Each result's masks are views into one (k, batch, units)
        array per layer, never written to again.
        """
        if k < 1:
            raise ValueError("run_steps needs at least one step")
        batches = np.empty((k, self.effective_batch_size), dtype=np.int32)
        epochs = []
        for row in batches:
            row[:] = self.sampler.next(self.config.batch_size)
            epochs.append(self.sampler.epoch)
        losses, masks = self.network.train_steps(batches)
        first, names = self.step_count + 1, self.layer_names
        self.step_count += k
        return [StepResult(first + i, epochs[i], float(losses[i]),
                           {name: layer[i] for name, layer in zip(names, masks, strict=True)})
                for i in range(k)]

    def evaluate(self) -> Evaluation:
        """Loss and accuracy on both splits with the test-time network (no dropout).

        A network with a non-finite weight has diverged even when its outputs look finite (a relu
        can hide an infinite unit), so its losses are reported as NaN rather than drawn as numbers.
        """
        data = self.dataset
        train_loss, train_acc = self.loss_and_accuracy(data.X_train, data.y_train)
        test_loss, test_acc = self.loss_and_accuracy(data.X_test, data.y_test)
        if not self.weights_are_finite():
            train_loss = test_loss = math.nan
        return Evaluation(self.step_count, self.sampler.epoch, train_loss, test_loss,
                          train_acc, test_acc)

    def weights_are_finite(self) -> bool:
        return all(np.isfinite(weight).all() for weight in self.network.weights().values())

    def loss_and_accuracy(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """Mean cross-entropy and accuracy of the test-time network on any labelled rows."""
        probs, logits = self.network.predict(X)
        loss = float(cross_entropy(logits, y).mean())
        accuracy = float((probs.argmax(axis=1) == y).mean())
        return loss, accuracy

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.network.predict(X)[0]

    def plane(self, resolution: int = 100, margin: float = 0.5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Axis values and the (resolution**2, 2) points of a grid around all points of 2-D data."""
        if not self.dataset.is_2d:
            raise ConfigError("a decision map needs a dataset with two features")
        points = np.vstack([self.dataset.X_train, self.dataset.X_test])
        low, high = points.min(axis=0) - margin, points.max(axis=0) + margin
        xs = np.linspace(low[0], high[0], resolution, dtype=np.float32)
        ys = np.linspace(low[1], high[1], resolution, dtype=np.float32)
        grid_x, grid_y = np.meshgrid(xs, ys)
        return xs, ys, np.column_stack([grid_x.ravel(), grid_y.ravel()])

    def decision_grid(self, resolution: int = 100, margin: float = 0.5) -> DecisionGrid:
        """Test-time probabilities over the plane around all the points of a 2-D dataset."""
        xs, ys, points = self.plane(resolution, margin)
        probs = self.predict_proba(points).reshape(resolution, resolution, -1)
        return DecisionGrid(xs, ys, probs)

    def hidden_states(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """A recurrent model's state at every time step for rows X, by layer (empty for an MLP)."""
        return self.network.hidden_states(X)

    def mc_predict(self, X: np.ndarray, samples: int) -> tuple[np.ndarray, np.ndarray]:
        return self.network.mc_predict(X, samples)

    def inference_weights(self) -> dict[str, np.ndarray]:
        """Weights by name with the test-time factors folded in: a plain forward pass gives ours."""
        return self.network.inference_weights()

    def close(self) -> None:
        """Give the network back to the pool for the next run of the same shape."""
        self.pool.release(self.network)
