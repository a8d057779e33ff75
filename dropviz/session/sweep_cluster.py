"""Where a sweep's tasks run: Dask distributed, on local worker processes or on a cluster.

A sweep is hundreds of independent runs of a second or so each, so it is spread over processes,
one per core with BLAS on one thread each (see sweep_tasks.py), rather than threads: PyTensor's
calls hold the interpreter for their Python parts, and one process per core needs no care about
what PyTensor shares within a process. Dask distributed does the spreading, the retries when a
worker dies and the reaching of other machines (`--scheduler`), so dropviz keeps no pool of its
own. Each worker process keeps its compiled networks between tasks; the tasks carry only their
config (about a kilobyte), and each worker builds or reads the data from its cache.

A `Sweep` is what the command line, the window and the Python API share: it expands the grid,
keeps the points sweep.csv holds already, sends the rest, and hands each point over as soon as it
arrives. With no client the tasks run here, one after another, on the caller's pool: the serial
result every parallel one must equal, point for point.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import logging
import os
import queue
import signal
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from dropviz.model.errors import ConfigError
from dropviz.model.sweeps import Cancelled, CancelledFn, SweepPoint, SweepResult
from dropviz.model.trainer import NetworkPool
from dropviz.session.sweep_csv import SweepCsv
from dropviz.session.sweep_grid import SweepGrid, SweepTask
from dropviz.session.sweep_tasks import failed_point, run_on_worker, run_task

if TYPE_CHECKING:  # distributed takes a second to import: only when a sweep runs
    from distributed import Client, Future, LocalCluster

PointFn = Callable[[SweepPoint], None]
ProgressFn = Callable[[int, int], None]
StepsFn = Callable[[int, int], None]  # (task index, steps trained so far)

POLL_SECONDS = 0.2  # how soon a cancel is seen while every worker is busy
CONNECT_SECONDS = 20  # to reach a scheduler given with --scheduler

_shared: dict[str, object] = {}
_shared_lock = threading.Lock()


def default_workers() -> int:
    """One worker process per core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def start_local_cluster(workers: int) -> LocalCluster:
    """`workers` worker processes of one thread each on this machine, quiet unless in trouble.

    Its web server takes any free port: on the usual one, a second cluster (another sweep, another
    user) would warn that the port is taken. The workers ignore Ctrl+C, which a terminal sends to
    every process of the command: the command itself stops them, rather than each printing its
    KeyboardInterrupt (started from the main thread only, where Python lets signals be changed).
    """
    from distributed import LocalCluster

    if workers < 1:
        raise ConfigError(f"--workers: {workers} is not allowed; expected at least 1")
    with _workers_ignore_ctrl_c():
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                            dashboard_address=":0", silence_logs=logging.ERROR)


@contextlib.contextmanager
def _workers_ignore_ctrl_c() -> Iterator[None]:
    """SIGINT ignored while processes start: they inherit that, and Python keeps it so."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def sweep_client(workers: int | None = None, scheduler: str | None = None) -> Iterator[Client]:
    """A client of the cluster whose scheduler is at `scheduler`, or of a new local cluster of
    `workers` processes (default: one per core), closed again when the block ends."""
    from distributed import Client

    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_SECONDS, set_as_default=False)
        except (OSError, TimeoutError) as error:
            raise ConfigError(f"--scheduler {scheduler}: cannot reach a Dask scheduler there "
                              f"({error})") from None
        with client:
            yield client
        return
    cluster = start_local_cluster(workers or default_workers())
    client = Client(cluster, set_as_default=False)
    try:
        yield client
    finally:
        stop_local_cluster(client, cluster)


def stop_local_cluster(client: Client, cluster: LocalCluster) -> None:
    """Close a local cluster at once: its worker processes are killed first.

    Dask's own close asks each worker to stop and waits for it up to 4 s, which it took even for
    idle workers that had trained (measured here: 4.2 s for two), and for a worker still training a
    cancelled run; a sweep's workers hold nothing that is still needed, and exiting the window or
    the command line should not wait for them.
    """
    pids: dict = {}
    with contextlib.suppress(Exception):  # workers already gone: nothing to kill
        pids = client.run(os.getpid)
    client.close()
    for pid in pids.values():
        with contextlib.suppress(OSError):
            os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))
    cluster.close()


def shared_client() -> Client:
    """The window's local cluster, one worker per core, started at its first sweep and kept for
    the next ones (their networks stay compiled), closed when the program exits."""
    from distributed import Client

    with _shared_lock:
        if "client" not in _shared:
            cluster = start_local_cluster(default_workers())
            _shared["cluster"] = cluster
            _shared["client"] = Client(cluster, set_as_default=False)
            atexit.register(close_shared_client)
        return _shared["client"]  # type: ignore[return-value]


def close_shared_client() -> None:
    """Stop the window's cluster and its worker processes, if it was started."""
    with _shared_lock:
        client, cluster = _shared.pop("client", None), _shared.pop("cluster", None)
    if client is not None:
        stop_local_cluster(client, cluster)
        _stop_resource_tracker()


def _stop_resource_tracker() -> None:
    """End the helper process that multiprocessing started with the workers, and wait for it.

    Left alone it ends just after this process, and lingers as a zombie until the system reaps it:
    a process of the window's session still there after the window closed.
    """
    from multiprocessing import resource_tracker

    with contextlib.suppress(AttributeError, OSError, ChildProcessError):
        resource_tracker._resource_tracker._stop()  # private: hence the guard


def run_tasks(tasks: Sequence[SweepTask], client: Client | None, on_point: PointFn,
              cancelled: CancelledFn | None = None, pool: NetworkPool | None = None,
              on_steps: StepsFn | None = None) -> None:
    """Run the tasks and call `on_point` here, on this thread, as each one's point arrives.

    With a client, in the order they finish; a task whose worker died (after Dask's retries) or
    that could not run is a FAILED point. `on_steps(index, steps)` hears now and then how far the
    task of that index has trained. Raises `Cancelled` when `cancelled()` turns true; the tasks
    not started yet are dropped from the cluster then.
    """
    if client is None:
        pool = pool or NetworkPool()
        for task in tasks:
            _check(cancelled)
            steps = None if on_steps is None else functools.partial(on_steps, task.index)
            on_point(run_task(task, pool, steps))
        return
    arrived: queue.Queue = queue.Queue()  # finished futures, and (index, steps) reports
    token = uuid.uuid4().hex[:8]
    topic = f"dropviz-steps-{token}"
    sent: dict[str, tuple[Future, SweepTask]] = {}
    if on_steps is not None:
        client.subscribe_topic(topic, lambda event: arrived.put(event[1]))
    try:
        for task in tasks:
            future = client.submit(run_on_worker, task, topic if on_steps else None,
                                   key=f"dropviz-{token}-{task.index}", pure=False)
            sent[future.key] = (future, task)
            future.add_done_callback(arrived.put)
        left = len(tasks)
        while left:
            item = _next(arrived, cancelled)
            if isinstance(item, tuple | list):
                on_steps(*item)
                continue
            left -= 1
            on_point(_outcome(item, sent[item.key][1]))
    finally:
        if on_steps is not None:
            with contextlib.suppress(Exception):  # a cluster already gone
                client.unsubscribe_topic(topic)
        _drop(client, [future for future, _ in sent.values()])


def _next(arrived: queue.Queue, cancelled: CancelledFn | None) -> Future | tuple:
    while True:
        _check(cancelled)
        try:
            return arrived.get(timeout=POLL_SECONDS)
        except queue.Empty:
            continue


def _check(cancelled: CancelledFn | None) -> None:
    if cancelled is not None and cancelled():
        raise Cancelled


def _outcome(future: Future, task: SweepTask) -> SweepPoint:
    if future.status == "finished":
        return future.result()
    if future.status == "cancelled":
        return failed_point(task, "the cluster dropped the task")
    error = future.exception()
    return failed_point(task, f"{type(error).__name__}: {error}")


def _drop(client: Client, futures: list[Future]) -> None:
    """Forget every task of the sweep on the cluster: the running ones finish on their own."""
    with contextlib.suppress(Exception):  # a cluster already gone has nothing left to drop
        client.cancel(futures)


class Sweep:
    """A grid's tasks and the points it has: those sweep.csv kept, then those that arrive.

    Made before any cluster starts, so that a bad setting or someone else's sweep.csv is refused
    at once: every setting is checked by expanding the grid, and `out` (if given) is read, and
    refused unless it holds rows of this sweep only or `force` is given (see SweepCsv.start).
    """

    def __init__(self, grid: SweepGrid, out: SweepCsv | None = None, force: bool = False) -> None:
        self.grid = grid
        self.tasks = grid.tasks()
        self.out = out
        self.points: dict[str, SweepPoint] = (
            out.start([task.point for task in self.tasks], force) if out is not None else {})
        self.kept = len(self.points)

    @property
    def pending(self) -> list[SweepTask]:
        return [task for task in self.tasks if task.point not in self.points]

    def result(self) -> SweepResult:
        """The points so far, in the grid's order."""
        return SweepResult(self.grid.kind, tuple(self.points[task.point] for task in self.tasks
                                                 if task.point in self.points))

    def run(self, client: Client | None, on_point: PointFn | None = None,
            progress: ProgressFn | None = None, cancelled: CancelledFn | None = None,
            pool: NetworkPool | None = None) -> SweepResult:
        """Train the pending points where `client` says (see run_tasks) and return them all.

        Every new point is appended to sweep.csv as it arrives, then handed to `on_point`;
        `progress(done, total)` counts training steps, those of kept points included, and those of
        runs under way as their workers report them. Once all are in, sweep.csv is rewritten in
        the grid's order.
        """
        total = sum(task.config.steps for task in self.tasks)
        steps = {task.point: task.config.steps for task in self.tasks}
        index_of = {task.point: task.index for task in self.tasks}
        finished = [sum(steps[point] for point in self.points)]
        under_way: dict[int, int] = {}  # steps of the runs in progress, by task index
        pending = {task.index for task in self.pending}

        def report() -> None:
            if progress is not None:
                progress(finished[0] + sum(under_way.values()), total)

        def trained(index: int, count: int) -> None:
            if index in pending:
                under_way[index] = count
                report()

        def arrived(point: SweepPoint) -> None:
            self.points[point.point] = point
            index = index_of[point.point]
            pending.discard(index)
            under_way.pop(index, None)
            finished[0] += steps[point.point]
            if self.out is not None:
                self.out.append(point)
            if on_point is not None:
                on_point(point)
            report()

        report()
        run_tasks(self.pending, client, arrived, cancelled, pool,
                  trained if progress is not None else None)
        result = self.result()
        if self.out is not None:
            self.out.finish(result.points)
        return result
