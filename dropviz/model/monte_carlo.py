"""Monte-Carlo dropout: averaging many stochastic passes versus one weight-scaled pass.

The classic comparison (Srivastava et al. 2014, figure 11) plots the test error of the average of K
dropout passes against K, with the deterministic test-time network as a line: a few passes are worse,
and around fifty match it. Here every pass is drawn once and the curve is made of running means, so
the point at K=100 costs 100 passes in all, not the sum of every K.

The passes use the network's own Monte-Carlo rng stream, so computing a curve or a map never changes
the course of training. Work reports `progress(done, total)` in passes and polls `cancelled()`
between two passes, raising `sweeps.Cancelled` when asked to stop.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from dropviz.model.errors import ConfigError
from dropviz.model.sweeps import CancelledFn, ProgressFn, Ticker
from dropviz.model.trainer import Trainer

DEFAULT_KS = (1, 2, 5, 10, 20, 50, 100)
# Passes return float32 probabilities, so a pass that is sure and wrong gives p = 0 exactly; the
# Monte-Carlo loss counts such a prediction as p = 1e-7, a loss of about 16 for that example.
MIN_PROBABILITY = 1e-7


@dataclass(frozen=True)
class McCurve:
    """Error (1 - accuracy) and loss of the mean of the first K passes, for each K in `ks`.

    `deterministic_*` are those of the test-time network (no dropout, the scaling mode's factor),
    computed as `Trainer.evaluate()` does: the horizontal line of the plot.
    """

    ks: np.ndarray      # (n,) ints, increasing
    error: np.ndarray   # (n,)
    loss: np.ndarray    # (n,)
    deterministic_error: float
    deterministic_loss: float


@dataclass(frozen=True)
class UncertaintyMap:
    """How much the dropout passes disagree over the plane of `Trainer.decision_grid`.

    std[j, i] is at (xs[i], ys[j]): the standard deviation over the passes of the probability of the
    class the mean of the passes predicts there.
    """

    xs: np.ndarray   # (resolution,)
    ys: np.ndarray   # (resolution,)
    std: np.ndarray  # (resolution, resolution)


def _checked_ks(ks: Sequence[int]) -> list[int]:
    values = list(ks)
    ok = bool(values) and all(isinstance(k, int) and not isinstance(k, bool) and k >= 1 for k in values)
    if not ok or values != sorted(set(values)):
        raise ConfigError(f"sample counts {values!r} are not allowed; expected increasing integers from 1")
    return values


def _passes(trainer: Trainer, X: np.ndarray, count: int, ticker: Ticker) -> Iterator[np.ndarray]:
    """Class probabilities of `count` stochastic passes, one at a time."""
    for _ in range(count):
        ticker.check()
        probs = trainer.mc_predict(X, 1)[0].astype(np.float64)
        ticker.advance()
        yield probs


def _error_and_loss(probs: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Error rate of the most probable class and mean -log p(true class), p clipped from below."""
    error = float(np.mean(probs.argmax(axis=1) != y))
    chosen = np.maximum(probs[np.arange(len(y)), y], MIN_PROBABILITY)
    return error, float(-np.mean(np.log(chosen)))


def mc_curve(trainer: Trainer, X: np.ndarray, y: np.ndarray, ks: Sequence[int] = DEFAULT_KS,
             progress: ProgressFn | None = None, cancelled: CancelledFn | None = None) -> McCurve:
    """Monte-Carlo error and loss for each K of `ks`, from max(ks) passes drawn once."""
    ks = _checked_ks(ks)
    y = np.asarray(y)
    ticker = Ticker(ks[-1], progress, cancelled)
    wanted = set(ks)
    total = np.zeros((len(y), trainer.dataset.n_classes))
    errors, losses = [], []
    for k, probs in enumerate(_passes(trainer, X, ks[-1], ticker), start=1):
        total += probs
        if k in wanted:
            error, loss = _error_and_loss(total / k, y)
            errors.append(error)
            losses.append(loss)
    det_loss, det_accuracy = trainer.loss_and_accuracy(X, y)
    return McCurve(np.array(ks), np.array(errors), np.array(losses), 1.0 - det_accuracy, det_loss)


def uncertainty_map(trainer: Trainer, samples: int = 50, resolution: int = 100,
                    progress: ProgressFn | None = None,
                    cancelled: CancelledFn | None = None) -> UncertaintyMap:
    """The spread of `samples` dropout passes over the decision map's plane (2-D data only).

    All rates 0 gives a map of zeros: every pass is then the test-time network.
    """
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 2:
        raise ConfigError(f"samples: {samples!r} is not allowed; a spread needs an integer from 2")
    xs, ys, plane = trainer.plane(resolution)  # the plane exactly as the decision map draws it
    total = np.zeros((len(plane), trainer.dataset.n_classes))
    total_sq = np.zeros_like(total)
    for probs in _passes(trainer, plane, samples, Ticker(samples, progress, cancelled)):
        total += probs
        total_sq += probs**2
    mean = total / samples
    chosen = mean.argmax(axis=1)
    rows = np.arange(len(plane))
    variance = np.maximum(total_sq[rows, chosen] / samples - mean[rows, chosen] ** 2, 0.0)
    return UncertaintyMap(xs, ys, np.sqrt(variance).reshape(resolution, resolution))
