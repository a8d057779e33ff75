"""One task of a sweep, trained wherever the engine sends it: here, or in a Dask worker process.

A task trains a fresh network for its config's steps in chunks of CHUNK_STEPS steps (one compiled
call each, bit for bit the course of single steps, see session/loop.py), evaluates it at the end
and returns one `SweepPoint`. It never raises: a run that diverges trains on to its last step (its
NaN costs no more than numbers) and is reported as DIVERGED; anything else that goes wrong is a
FAILED point with its reason, so one bad point never ends a sweep of hundreds.

A worker process keeps one `NetworkPool` between tasks (`run_on_worker`), so after its first task
of an architecture (a compile: seconds with PyTensor's cache warm, up to a minute cold) a task
costs its training only. Its BLAS runs on one thread: the cluster already gives every core a
process, and a second BLAS thread per process would only make them fight over cores.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable

import numpy as np

from dropviz.model.config import CSV_DATASET, Config, DatasetConfig
from dropviz.model.data.datasets import Dataset, load_dataset
from dropviz.model.memory import steps_fitting
from dropviz.model.sweeps import DIVERGED, FAILED, OK, SweepPoint, subsample
from dropviz.model.trainer import NetworkPool, Trainer
from dropviz.session.lockstep import Lockstep
from dropviz.session.loop import CHUNK_STEPS, TrainingLoop
from dropviz.session.run import Run
from dropviz.session.sweep_grid import SweepTask

DATASETS_KEPT = 16  # per worker process: a sweep's seeds times the datasets it sweeps
REPORT_SECONDS = 0.25  # between two reports of a run's steps from a worker

_process: dict[str, NetworkPool | None] = {"pool": None}
# A worker with several threads runs tasks side by side: the pool's lists and PyTensor's floatX
# flag (set while a network compiles) are shared by them, so lending, compiling and giving back
# take turns; training itself runs in parallel.
_lock = threading.Lock()


@functools.lru_cache(maxsize=DATASETS_KEPT)
def _built_in_dataset(config: DatasetConfig, seed: int) -> Dataset:
    return load_dataset(config, seed)


def task_dataset(task: SweepTask) -> Dataset:
    """The task's data: its training subset when the size is swept.

    Built-in datasets are kept in memory for the tasks that follow (a few milliseconds each from
    the disk cache otherwise); a CSV file is read afresh, since it may change between sweeps.
    """
    config = task.config
    loader = load_dataset if config.dataset.name == CSV_DATASET else _built_in_dataset
    dataset = loader(config.dataset, config.seed)
    return dataset if task.train_size is None else subsample(dataset, task.train_size, config.seed)


def _pool() -> NetworkPool:
    """This process's pool; the first call also sets the process up for training (once)."""
    with _lock:
        if _process["pool"] is None:
            from dropviz.model.graph.backend import limit_blas_threads
            from dropviz.process import keep_freed_memory

            limit_blas_threads(1)
            keep_freed_memory()
            _process["pool"] = NetworkPool()
        return _process["pool"]


def run_on_worker(task: SweepTask, topic: str | None = None) -> SweepPoint:
    """The task in a worker process, with the process's pool (what the engine submits).

    With a `topic`, the steps trained so far go to the client as Dask events of that topic,
    (task index, steps), at most one every REPORT_SECONDS: a run of a minute shows its progress.
    """
    if topic is None:
        return run_task(task, _pool())
    from distributed import get_worker

    worker, last = get_worker(), [0.0]

    def trained(steps: int) -> None:
        now = time.monotonic()
        if now - last[0] >= REPORT_SECONDS:
            last[0] = now
            worker.log_event(topic, (task.index, steps))

    return run_task(task, _pool(), trained)


def run_task(task: SweepTask, pool: NetworkPool,
             trained: Callable[[int], None] | None = None) -> SweepPoint:
    """Train and evaluate the task's run with networks from `pool`; never raises.

    `trained(steps)` hears the steps trained so far after each chunk.
    """
    started = time.perf_counter()
    config = task.config
    try:
        data = task_dataset(task)
        with _lock:
            trainer = Trainer(config, pool, data)
        run = Run(trainer)
        # as many steps per call as their masks fit (the same course of training either way)
        chunk = steps_fitting(config, data.n_features, data.n_classes, len(data.y_train),
                              len(data.y_test), CHUNK_STEPS)
        try:
            with np.errstate(all="ignore"):  # a diverging run overflows; its status says so
                TrainingLoop(Lockstep(run), max_chunk=chunk).run(config.steps, after_chunk=(
                    None if trained is None else lambda results: trained(run.step)))
            evaluation = run.evaluate()
        finally:
            with _lock:
                run.close()
    except Exception as error:  # any failure becomes the point's row, and the sweep goes on
        return failed_point(task, f"{type(error).__name__}: {error}", time.perf_counter() - started)
    status = OK if run.divergence is None and evaluation.is_finite() else DIVERGED
    return SweepPoint.from_evaluation(
        hidden_rate(config), config.seed, len(data.y_train), evaluation, labels=task.labels,
        status=status, seconds=time.perf_counter() - started, point=task.point)


def hidden_rate(config: Config) -> float | tuple[float, ...]:
    """The hidden rate as a point gives it: a float (or one per layer), however it was written."""
    hidden = config.dropout.hidden
    return tuple(float(rate) for rate in hidden) if isinstance(hidden, tuple) else float(hidden)


def failed_point(task: SweepTask, reason: str, seconds: float = 0.0) -> SweepPoint:
    """The row of a task that did not finish: its settings, NaN metrics and the reason."""
    reason = " ".join(reason.split())  # one line in the CSV
    nan = float("nan")
    return SweepPoint(hidden_rate(task.config), task.config.seed, task.train_size or 0,
                      task.config.steps, nan, nan, nan, nan, task.labels,
                      f"{FAILED}: {reason}", seconds, task.point)
