"""The paper's figures on small data: the points of a sweep, their summaries and their CSV.

A sweep trains a fresh network for every point (its settings and seed) for the config's steps, so
every point answers "what would a run with this setting have ended at". Here are the plain results
(points, summaries, CSV, sparsity histograms), the training subsets of a size sweep, and the
counting and cancelling that long work shares; no PyTensor, so the window imports them freely. The
training is the session's: grids of tasks (session/sweep_grid.py, sweep_cluster.py) on a Dask
cluster or, for the Python API, in this process (session/sweeps.py). Runs of one shape borrow the
same compiled network from a `NetworkPool`, so they compile at most once per process.

Long work reports `progress(done, total)` and polls `cancelled()` between two calls of training
(at least as often as it reports progress); a cancelled job raises `Cancelled` rather than
returning a partial result that could be mistaken for a whole one. (A grid sweep hands over each
point as it arrives instead, each one whole, so a cancel keeps them.)
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from dropviz.model.config import Config
from dropviz.model.data.dataset import Dataset
from dropviz.model.errors import ConfigError
from dropviz.model.results import Evaluation

ProgressFn = Callable[[int, int], None]
CancelledFn = Callable[[], bool]

DEFAULT_RATES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
METRICS = ("train_loss", "test_loss", "train_error", "test_error")
POINT_COLUMNS = ("rate", "seed", "train_size", "steps", *METRICS)
SUBSAMPLE_STREAM = 4  # keeps the subset order apart from the data, weight and mask streams
REPORTS_PER_JOB = 200  # a progress bar needs no more updates than this, however long the job


class Cancelled(Exception):
    """The caller's `cancelled()` returned True; the work stopped between two units of it.

    Not a DropvizError: a cancel is the user's wish, not a failure to show them.
    """


class Ticker:
    """Counts units of work, reports them now and then, and stops the work when asked.

    Reports are spaced to about REPORTS_PER_JOB per job, so a worker thread can forward each one
    as a signal without flooding the window; the last unit is always reported.
    """

    def __init__(self, total: int, progress: ProgressFn | None = None,
                 cancelled: CancelledFn | None = None) -> None:
        self.total = total
        self.done = 0
        self.spacing = max(1, total // REPORTS_PER_JOB)  # units per report
        self._progress = progress
        self._cancelled = cancelled

    def check(self) -> None:
        """Raise `Cancelled` if the caller wants the work to stop."""
        if self._cancelled is not None and self._cancelled():
            raise Cancelled

    def advance(self, count: int = 1) -> None:
        """`count` more units done; reported if that passes a report's spacing or ends the job."""
        before, self.done = self.done, self.done + count
        if self._progress is not None and (self.done // self.spacing > before // self.spacing
                                           or self.done == self.total):
            self._progress(self.done, self.total)


OK = "ok"
DIVERGED = "diverged"
FAILED = "failed"  # followed by ": " and the reason
TRAILING_COLUMNS = ("status", "seconds", "point")


@dataclass(frozen=True)
class SweepPoint:
    """The final evaluation of one run; errors are 1 - accuracy, measured at test time.

    `rate` is the hidden rate (one per hidden layer when the config gives several); `labels` are
    the swept settings that have no column of their own here, as (column, text). `status` is OK,
    DIVERGED (its losses are not finite) or FAILED: with the reason, and NaN metrics.
    """

    rate: float | tuple[float, ...]
    seed: int
    train_size: int
    steps: int
    train_loss: float
    test_loss: float
    train_error: float
    test_error: float
    labels: tuple[tuple[str, str], ...] = ()
    status: str = OK
    seconds: float = 0.0  # the task's own time: data, network, training and evaluation
    point: str = ""  # see session/sweep_grid.py: point_id

    @classmethod
    def from_evaluation(cls, rate: float | tuple[float, ...], seed: int, train_size: int,
                        evaluation: Evaluation, **extra: object) -> SweepPoint:
        return cls(rate, seed, train_size, evaluation.step, evaluation.train_loss,
                   evaluation.test_loss, 1.0 - evaluation.train_acc, 1.0 - evaluation.test_acc,
                   **extra)

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def setting(self) -> tuple:
        """What tells this point's setting from another's: every column but the seed's."""
        return (self.labels, self.rate, self.train_size, self.steps)

    def metrics_equal(self, other: SweepPoint) -> bool:
        """Same setting, seed and results; the time taken may differ."""
        return replace(self, seconds=0.0) == replace(other, seconds=0.0)


@dataclass(frozen=True)
class SweepSummary:
    """All seeds of one setting: mean and standard deviation of each metric, for error bars.

    Only runs that finished well count (`runs`); `failed` counts the others. The standard
    deviation is the sample one (ddof=1) over seeds, and 0.0 for a single seed; with no run that
    finished well, both are NaN.
    """

    rate: float | tuple[float, ...]
    train_size: int
    runs: int
    mean: dict[str, float]
    std: dict[str, float]
    labels: tuple[tuple[str, str], ...] = ()
    failed: int = 0
    steps: int = 0


def csv_columns(label_columns: Sequence[str]) -> tuple[str, ...]:
    """The columns of sweep.csv: the swept settings without a column of their own, then the rest."""
    return (*label_columns, *POINT_COLUMNS, *TRAILING_COLUMNS)


def rate_text(rate: float | tuple[float, ...]) -> str:
    """As the rate column shows it: 0.5, or [0.5,0.2] with a rate per hidden layer."""
    if isinstance(rate, tuple):
        return "[" + ",".join(f"{r:.12g}" for r in rate) + "]"
    return f"{rate:.12g}"


def csv_cells(point: SweepPoint) -> list[str]:
    """One row of sweep.csv; floats as Python writes them, so they read back exactly."""
    return [*(text for _, text in point.labels), rate_text(point.rate), str(point.seed),
            str(point.train_size), str(point.steps), *(repr(float(getattr(point, name)))
                                                       for name in METRICS),
            point.status, f"{point.seconds:.3f}", point.point]


@dataclass(frozen=True)
class SweepResult:
    """Every run of a sweep, in the grid's order: settings outermost, seeds innermost."""

    kind: str  # "dropout", "size" or "grid"
    points: tuple[SweepPoint, ...]

    def summary(self) -> list[SweepSummary]:
        groups: dict[tuple, list[SweepPoint]] = {}
        for point in self.points:
            groups.setdefault(point.setting, []).append(point)
        return [_summarise(points) for points in groups.values()]

    def to_csv(self) -> str:
        """One row per run, so a spreadsheet can redo any average or error bar."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        labels = [column for column, _ in self.points[0].labels] if self.points else []
        writer.writerow(csv_columns(labels))
        for point in self.points:
            writer.writerow(csv_cells(point))
        return buffer.getvalue()


def _summarise(points: list[SweepPoint]) -> SweepSummary:
    good = [point for point in points if point.ok]
    mean, std = {}, {}
    for name in METRICS:
        values = np.array([getattr(p, name) for p in good])
        mean[name] = float(values.mean()) if len(values) else math.nan
        std[name] = float(values.std(ddof=1)) if len(values) > 1 else 0.0 if len(values) else math.nan
    first = points[0]
    return SweepSummary(first.rate, first.train_size, len(good), mean, std, first.labels,
                        len(points) - len(good), first.steps)


def with_hidden_rate(config: Config, rate: float) -> Config:
    """The config with every hidden layer dropping at `rate`; the input rate stays as it was."""
    return replace(config, dropout=replace(config.dropout, hidden=float(rate)))


def subsample(dataset: Dataset, size: int, seed: int) -> Dataset:
    """The first `size` training rows in a seeded order; the test split stays whole.

    Subsets of one seed are nested (a larger one holds every smaller one) and all are scored on the
    same test rows, so the size sweep varies only what the network learns from. Standardisation keeps
    the full training set's statistics.
    """
    available = len(dataset.y_train)
    if isinstance(size, bool) or not isinstance(size, int | np.integer) or not 1 <= size <= available:
        raise ConfigError(f"training-set size {size!r} is not allowed; expected an integer from 1 to "
                          f"{available} (the training split); raise dataset.n_samples or "
                          "dataset.train_fraction for larger sizes")
    order = np.random.default_rng(np.random.SeedSequence([seed, SUBSAMPLE_STREAM])).permutation(available)
    rows = np.sort(order[:size])
    return replace(dataset, X_train=dataset.X_train[rows], y_train=dataset.y_train[rows])


@dataclass(frozen=True)
class SparsityResult:
    """Hidden activations on the test set of networks trained at different hidden dropout rates.

    `near_zero[r, l]` is the fraction of activations of layer l with |a| <= threshold in the run at
    rates[r]; `counts[r, l]` is its histogram over `edges[l]`, which all rates share so the
    histograms of one layer can be drawn on one axis.
    """

    rates: tuple[float, ...]
    layers: tuple[str, ...]
    threshold: float
    near_zero: np.ndarray  # (rates, layers)
    edges: np.ndarray      # (layers, bins + 1)
    counts: np.ndarray     # (rates, layers, bins)

    def to_csv(self) -> str:
        """One row per histogram bin, with the run's near-zero fraction of that layer alongside."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(("rate", "layer", "near_zero_fraction", "bin_low", "bin_high", "count"))
        for r, rate in enumerate(self.rates):
            for i, layer in enumerate(self.layers):
                edges = self.edges[i]
                for b, count in enumerate(self.counts[r, i]):
                    writer.writerow([f"{rate:g}", layer, f"{self.near_zero[r, i]:.9g}",
                                     f"{edges[b]:.9g}", f"{edges[b + 1]:.9g}", int(count)])
        return buffer.getvalue()
