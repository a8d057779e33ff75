"""The dropout paper's figures on bundled digits, computed as grids of runs: no Qt, no drawing.

Srivastava et al. (2014) show four things that a learner should be able to reproduce on a laptop:
test and train error against the dropout rate (their figure 9), test error against the training-set
size with and without dropout (figure 10), Monte-Carlo averaging against weight scaling (figure 11),
and max-norm letting a network train at a learning rate where it otherwise fails. Each figure's
base settings are a bundled preset (FIGURES), so the window can open the same setup and the
preset's test checks the claim; its grid (rates, sizes, passes, limits) is here. The settings were
found by measuring over seeds; docs/figures.md says what was tried and what each effect measured.

The runs are the sweeps' tasks (sweep_grid.py), trained on the sweeps' cluster (sweep_cluster.py)
or here with no client. The Monte-Carlo figure needs the trained network itself, not only its final
evaluation, so its tasks run `mc_task` instead of the sweep's task, on the same cluster.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from dropviz.model.config import Config
from dropviz.model.errors import ConfigError
from dropviz.model.presets import PRESETS_FOLDER, load_preset
from dropviz.model.sweeps import DIVERGED, SweepPoint, rate_text
from dropviz.model.trainer import NetworkPool, Trainer
from dropviz.session.lockstep import Lockstep
from dropviz.session.loop import TrainingLoop
from dropviz.session.run import Run
from dropviz.session.sweep_cluster import Sweep
from dropviz.session.sweep_grid import Axis, SweepGrid, SweepTask, cell
from dropviz.session.sweep_tasks import task_dataset

if TYPE_CHECKING:  # distributed takes a second to import: only when a cluster runs
    from distributed import Client

ProgressFn = Callable[[int, int], None]

# The preset holding each figure's base settings, and what the figure's CSV holds.
FIGURES = {
    "fig9": "09_fig9_dropout_rate",
    "fig10": "10_fig10_training_size",
    "fig11": "11_fig11_monte_carlo",
    "maxnorm": "12_max_norm",
}
COLUMNS = {
    "fig9": ("rate", "scaling", "seed", "train_error", "test_error", "status"),
    "fig10": ("train_size", "rate", "seed", "test_error", "train_error", "status"),
    "fig11": ("k", "seed", "mc_test_error", "weight_scaling_test_error"),
    "maxnorm": ("max_norm", "seed", "test_error", "diverged", "train_error"),
}
RATES = (0.0, 0.2, 0.4, 0.5, 0.6, 0.8, 0.9)
SCALINGS = ("weight_scaling", "inverted")
SIZES = (50, 100, 200, 400, 800)
SIZE_RATES = (0.0, 0.5)
KS = (1, 2, 5, 10, 20, 50, 100)
MAX_NORMS = (None, 3.0)


@dataclass(frozen=True)
class Series:
    """One line of a figure: the mean over seeds at each x, and its standard deviation."""

    label: str
    x: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    dashed: bool = False
    colour: int = 0  # lines of one colour belong together (fig9: a scaling's test and train error)


@dataclass(frozen=True)
class FigureResult:
    """A figure's rows (one per run or point, as CSV cells) and the lines to draw from them."""

    name: str
    title: str
    x_label: str
    y_label: str
    rows: tuple[dict[str, str], ...]
    series: tuple[Series, ...]
    log_x: bool = False
    x_ticks: tuple[tuple[float, str], ...] = ()  # named positions, where x is a category

    @property
    def columns(self) -> tuple[str, ...]:
        return COLUMNS[self.name]

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, self.columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows)
        return buffer.getvalue()

    def table(self) -> str:
        """Each line's points as `x: mean ± std`, for the terminal and a course's notes."""
        lines, names = [self.title], dict(self.x_ticks)
        for series in self.series:
            points = ", ".join(f"{names.get(x, f'{x:g}')}: {m:.4f} ± {s:.4f}"
                               for x, m, s in zip(series.x, series.mean, series.std, strict=True))
            lines.append(f"  {series.label}: {points}")
        return "\n".join(lines)


def base_config(name: str) -> Config:
    """The figure's base settings: its preset's config."""
    if name not in FIGURES:
        raise ConfigError(f"--figure {name!r} is not a figure; expected one of {', '.join(FIGURES)}")
    return load_preset(PRESETS_FOLDER / f"{FIGURES[name]}.json").config


def compute(name: str, config: Config, seeds: int, client: Client | None = None,
            grid: Sequence | None = None, progress: ProgressFn | None = None,
            pool: NetworkPool | None = None) -> FigureResult:
    """The figure `name` from `config` over `seeds` seeds (config.seed first).

    `grid` replaces the figure's values (rates, sizes, passes K or max-norm limits); with no client
    the runs train here, one after another, with networks from `pool`. `progress(done, total)`
    counts training steps (runs for fig11).
    """
    base_config(name)
    work = _Work(config, seeds, client, progress, pool)
    if name == "fig9":
        return _fig9(work, tuple(grid or RATES))
    if name == "fig10":
        return _fig10(work, tuple(grid or SIZES))
    if name == "fig11":
        return _fig11(work, tuple(grid or KS))
    return _maxnorm(work, tuple(grid if grid is not None else MAX_NORMS))


@dataclass(frozen=True)
class _Work:
    """What every figure's runs share: the base config, seeds, and where and how they train."""

    config: Config
    seeds: int
    client: Client | None
    progress: ProgressFn | None
    pool: NetworkPool | None

    def points(self, *axes: Axis) -> tuple[SweepPoint, ...]:
        """The grid's points in grid order, seeds innermost, trained by the sweep machinery."""
        return Sweep(SweepGrid(self.config, axes, self.seeds)).run(
            self.client, progress=self.progress, pool=self.pool).points


def _axis(key: str, values: Sequence) -> Axis:
    return Axis(key, tuple(cell(value) for value in values))


def _label(point: SweepPoint, column: str) -> str:
    return dict(point.labels)[column]


def _error(value: float) -> str:
    return repr(float(value))


def _series(label: str, points: list[SweepPoint], x_of: Callable[[SweepPoint], float],
            metric: str, dashed: bool = False, colour: int = 0) -> Series:
    """Mean and standard deviation (ddof 1) over the seeds of each x, diverged runs included:
    a run that fails is the setting's result, not noise to leave out."""
    xs = sorted({x_of(point) for point in points})
    values = [[getattr(p, metric) for p in points if x_of(p) == x] for x in xs]
    return Series(label, np.array(xs, dtype=float), np.array([np.mean(v) for v in values]),
                  np.array([np.std(v, ddof=1) if len(v) > 1 else 0.0 for v in values]), dashed,
                  colour)


def _fig9(work: _Work, rates: tuple) -> FigureResult:
    points = work.points(_axis("dropout.hidden", rates), _axis("scaling", SCALINGS))
    rows = tuple({"rate": rate_text(p.rate), "scaling": _label(p, "scaling"), "seed": str(p.seed),
                  "train_error": _error(p.train_error), "test_error": _error(p.test_error),
                  "status": p.status} for p in points)
    series = []
    for colour, scaling in enumerate(SCALINGS):
        mine = [p for p in points if _label(p, "scaling") == scaling]
        for metric, dashed in (("test_error", False), ("train_error", True)):
            series.append(_series(f"{metric.replace('_', ' ')}, {scaling.replace('_', ' ')}",
                                  mine, lambda p: p.rate, metric, dashed, colour))
    return FigureResult("fig9", "Error against the dropout rate (Srivastava et al. fig. 9)",
                        "hidden dropout rate p", "classification error", rows, tuple(series))


def _fig10(work: _Work, sizes: tuple) -> FigureResult:
    """Without dropout and at the config's hidden rate (0.5 if it has none)."""
    rate = work.config.dropout.hidden_rates(len(work.config.hidden_layers))[0]
    rates = (0.0, float(rate)) if rate > 0 else SIZE_RATES
    points = work.points(_axis("size", sizes), _axis("dropout.hidden", rates))
    rows = tuple({"train_size": str(p.train_size), "rate": rate_text(p.rate), "seed": str(p.seed),
                  "train_error": _error(p.train_error), "test_error": _error(p.test_error),
                  "status": p.status} for p in points)
    series = tuple(_series(f"test error, p = {rate:g}", [p for p in points if p.rate == rate],
                           lambda p: p.train_size, "test_error", rate == 0, colour)
                   for colour, rate in enumerate(rates))
    return FigureResult("fig10", "Test error against the training-set size (Srivastava et al. "
                        "fig. 10)", "training examples", "test error", rows, series, log_x=True)


def _maxnorm(work: _Work, limits: tuple) -> FigureResult:
    points = work.points(_axis("max_norm", limits))

    def limit(point: SweepPoint) -> str:
        text = _label(point, "max_norm")
        return "" if text == "null" else text

    rows = tuple({"max_norm": limit(p), "seed": str(p.seed), "train_error": _error(p.train_error),
                  "test_error": _error(p.test_error), "diverged": str(int(p.status == DIVERGED))}
                 for p in points)
    limits_seen = list(dict.fromkeys(limit(p) for p in points))
    series = tuple(_series(f"max-norm c = {text}" if text else "no max-norm",
                           [p for p in points if limit(p) == text],
                           lambda p: float(limits_seen.index(limit(p))), "test_error",
                           not text, colour)
                   for colour, text in enumerate(limits_seen))
    ticks = tuple((float(i), f"c = {text}" if text else "none")
                  for i, text in enumerate(limits_seen))
    return FigureResult("maxnorm", f"Max-norm at learning rate {work.config.learning_rate:g}",
                        "max-norm limit", "test error", rows, series, x_ticks=ticks)


# --- Monte-Carlo passes: a task of its own ------------------------------------------------------

_worker: dict[str, NetworkPool] = {}


def _worker_pool() -> NetworkPool:
    """This process's pool, set up for training as the sweep's workers are (BLAS on one thread)."""
    if "pool" not in _worker:
        from dropviz.model.graph.backend import limit_blas_threads
        from dropviz.process import keep_freed_memory

        limit_blas_threads(1)
        keep_freed_memory()
        _worker["pool"] = NetworkPool()
    return _worker["pool"]


def mc_task(task: SweepTask, ks: tuple[int, ...], pool: NetworkPool | None = None
            ) -> tuple[int, np.ndarray, float]:
    """Train the task's run and return (seed, Monte-Carlo test error at each K, the test-time
    network's test error)."""
    from dropviz.model.monte_carlo import mc_curve

    data = task_dataset(task)
    trainer = Trainer(task.config, pool or _worker_pool(), data)
    run = Run(trainer)
    try:
        with np.errstate(all="ignore"):
            TrainingLoop(Lockstep(run)).run(task.config.steps)
        curve = mc_curve(trainer, data.X_test, data.y_test, ks)
    finally:
        run.close()
    return task.seed, curve.error, curve.deterministic_error


def _fig11(work: _Work, ks: tuple) -> FigureResult:
    """One task per seed: train, then the Monte-Carlo curve of its test set."""
    tasks = SweepGrid(work.config, (_axis("steps", (work.config.steps,)),), work.seeds).tasks()
    progress = work.progress or (lambda done, total: None)
    if work.client is None:
        pool = work.pool or NetworkPool()
        outcomes = []
        for task in tasks:
            outcomes.append(mc_task(task, ks, pool))
            progress(len(outcomes), len(tasks))
    else:
        from distributed import as_completed

        futures = [work.client.submit(mc_task, task, ks, pure=False) for task in tasks]
        for done, _ in enumerate(as_completed(futures, loop=work.client.loop), start=1):
            progress(done, len(tasks))
        outcomes = work.client.gather(futures)
    rows = tuple({"k": str(k), "seed": str(seed), "mc_test_error": _error(errors[i]),
                  "weight_scaling_test_error": _error(deterministic)}
                 for seed, errors, deterministic in outcomes for i, k in enumerate(ks))
    mc = np.array([errors for _, errors, _ in outcomes])
    line = np.array([deterministic for _, _, deterministic in outcomes])
    ddof = 1 if len(outcomes) > 1 else 0
    series = (Series("Monte-Carlo average of K passes", np.array(ks, dtype=float), mc.mean(axis=0),
                     mc.std(axis=0, ddof=ddof)),
              Series("weight scaling (one pass)", np.array(ks, dtype=float),
                     np.full(len(ks), line.mean()), np.full(len(ks), line.std(ddof=ddof)), True, 1))
    return FigureResult("fig11", "Monte-Carlo dropout against weight scaling (Srivastava et al. "
                        "fig. 11)", "passes K", "test error", rows, series, log_x=True)
