"""Sweeps trained in this process: the Python API's rate and size sweeps, and activation sparsity.

The points, their summaries and CSV are plain results (model/sweeps.py); the grids run as tasks
(sweep_grid.py, sweep_cluster.py). The API's sweeps run that grid here, one run after another, and
the sparsity runs train one network per rate in the session's loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from dropviz.model.config import Config
from dropviz.model.data.datasets import Dataset, load_dataset
from dropviz.model.errors import ConfigError
from dropviz.model.inference import hidden_activations
from dropviz.model.results import StepResult
from dropviz.model.sweeps import (
    DEFAULT_RATES,
    CancelledFn,
    ProgressFn,
    SparsityResult,
    SweepResult,
    Ticker,
    with_hidden_rate,
)
from dropviz.model.trainer import NetworkPool, Trainer
from dropviz.session.lockstep import Lockstep
from dropviz.session.loop import CHUNK_STEPS, TrainingLoop
from dropviz.session.run import Run
from dropviz.session.sweep_cluster import Sweep
from dropviz.session.sweep_grid import Axis, SweepGrid, cell


def _nonempty(name: str, values: Sequence) -> list:
    if len(values) == 0:
        raise ConfigError(f"{name}: the list is empty; give at least one value")
    return list(values)


@contextmanager
def trained(config: Config, pool: NetworkPool, dataset: Dataset, ticker: Ticker,
            on_step: Callable[[StepResult], None] | None = None) -> Iterator[Trainer]:
    """A trainer run for config.steps steps, closed again when the block ends (or is cancelled).

    It trains in the session's loop, in chunks of one progress report's worth of steps (see
    Ticker), so progress is reported and a cancel seen as often as with single steps, and the
    course of training is theirs bit for bit. `on_step` sees every step's result, for checks that
    look at the course of training.
    """
    trainer = Trainer(config, pool, dataset)
    try:
        def after_chunk(results: list[StepResult]) -> None:
            if on_step is not None:
                for result in results:
                    on_step(result)
            ticker.advance(len(results))

        loop = TrainingLoop(Lockstep(Run(trainer)), max_chunk=min(ticker.spacing, CHUNK_STEPS))
        loop.run(config.steps, before_chunk=ticker.check, after_chunk=after_chunk)
        yield trainer
    finally:
        trainer.close()


def rate_sweep(config: Config, rates: Sequence[float] = DEFAULT_RATES, seeds: int = 1,
               pool: NetworkPool | None = None, progress: ProgressFn | None = None,
               cancelled: CancelledFn | None = None) -> SweepResult:
    """Final train and test loss and error against the hidden dropout rate, trained here.

    The grid of one axis that `--sweep dropout=...` makes, run in this process one run after
    another (no cluster); every rate trains on the same data from the same initial weights for a
    given seed, so the difference between two points is the rate's doing.
    """
    return _here(config, {"dropout.hidden": rates}, seeds, pool, progress, cancelled)


def size_sweep(config: Config, sizes: Sequence[int], rates: Sequence[float] = (0.0, 0.5),
               seeds: int = 1, pool: NetworkPool | None = None, progress: ProgressFn | None = None,
               cancelled: CancelledFn | None = None) -> SweepResult:
    """Final errors against the number of training examples at each hidden rate, trained here.

    Each size trains on a subsample of the config's training split (see `subsample`) for the same
    number of steps, so sizes must not exceed that split.
    """
    return _here(config, {"dropout.hidden": rates, "size": sizes}, seeds, pool, progress,
                 cancelled)


def _here(config: Config, axes: dict[str, Sequence], seeds: int, pool: NetworkPool | None,
          progress: ProgressFn | None, cancelled: CancelledFn | None) -> SweepResult:
    """A grid run in this process; `progress` counts runs."""
    grid = SweepGrid(config, tuple(Axis(key, tuple(cell(value) for value in _nonempty(key, values)))
                                   for key, values in axes.items()), seeds)
    return Sweep(grid).run(None, progress=progress, cancelled=cancelled, pool=pool)


def activation_sparsity(config: Config, rates: Sequence[float] = (0.0, 0.5), bins: int = 30,
                        threshold: float = 1e-3, pool: NetworkPool | None = None,
                        progress: ProgressFn | None = None,
                        cancelled: CancelledFn | None = None) -> SparsityResult:
    """Train one network per hidden rate (same seed and data) and describe its hidden activations.

    The threshold is absolute: for relu most near-zero activations are exact zeros, so its value
    hardly matters there; for tanh and sigmoid it says what counts as "off".
    """
    rates = _nonempty("rates", rates)
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise ConfigError(f"bins: {bins!r} is not allowed; expected an integer from 1")
    if config.recurrent:
        raise ConfigError(f"model: activation sparsity is measured for feed-forward networks, "
                          f"not {config.model}; the hidden state view shows a recurrent layer's")
    configs = [with_hidden_rate(config, rate) for rate in rates]
    dataset = load_dataset(config.dataset, config.seed)
    pool = pool or NetworkPool()
    ticker = Ticker(len(rates) * config.steps, progress, cancelled)
    runs = []
    for rate_config in configs:
        with trained(rate_config, pool, dataset, ticker) as trainer:
            outputs = hidden_activations(trainer.layout, trainer.inference_weights(), dataset.X_test)
            runs.append(list(outputs.values()))
    n_layers = len(config.hidden_layers)
    near_zero = np.array([[np.mean(np.abs(h) <= threshold) for h in run] for run in runs])
    edges = np.array([_shared_edges([run[i] for run in runs], bins) for i in range(n_layers)])
    counts = np.array([[np.histogram(h, edges[i])[0] for i, h in enumerate(run)] for run in runs])
    layers = tuple(f"hidden{i + 1}" for i in range(n_layers))
    return SparsityResult(tuple(float(r) for r in rates), layers, threshold, near_zero, edges, counts)


def _shared_edges(arrays: list[np.ndarray], bins: int) -> np.ndarray:
    """Equal-width bins over the range of all the arrays, so every value falls in one bin."""
    low = min(float(a.min()) for a in arrays)
    high = max(float(a.max()) for a in arrays)
    return np.linspace(low, high if high > low else low + 1.0, bins + 1)
