"""Making a Trainer on a daemon thread, so a compile never blocks the worker or closing the window.

Building a run loads the data and may compile the network, which takes seconds. The worker starts a
`RunBuild` and polls its queue; if the window closes meanwhile, the build finishes on its own,
hands its network to the pool and is forgotten: a daemon thread never keeps the process alive.
"""

from __future__ import annotations

import os
import queue
import threading
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING

from dropviz.model.config import Config
from dropviz.model.graph.architecture import Architecture

if TYPE_CHECKING:  # the training modules are imported by the build thread itself, see RunBuild
    from dropviz.model.graph.network import DropoutNetwork
    from dropviz.model.trainer import NetworkPool, Trainer


# The window's drawing needs a core: training beside it on every core makes OpenBLAS's busy-waiting
# threads stall both (see BENCHMARKS.md).
WINDOW_BLAS_THREADS = max(1, (os.cpu_count() or 1) - 1)


def compiling_message(arch: Architecture, quick_start: bool) -> str:
    """What the window says while a network new to this session is made: with a quick start
    (the window's own pool) it trains within about a second, else it compiles first."""
    shape = (f"hidden layers {', '.join(map(str, arch.hidden_layers))}, {arch.activation}, "
             f"{arch.optimizer}")
    if quick_start:
        return (f"Preparing a quick start... the network for this shape ({shape}) starts "
                "training in about a second, on a slower version of itself while the fast one "
                "compiles beside it; the status bar shows how far it is.")
    return (f"Compiling... the network for this shape ({shape}) is compiled once, which takes a "
            "few seconds. The window stays usable meanwhile.")


_being_prepared: weakref.WeakSet[DropoutNetwork] = weakref.WeakSet()
_build_threads: weakref.WeakSet[threading.Thread] = weakref.WeakSet()


def _start_daemon(target: Callable[[], object], name: str) -> None:
    thread = threading.Thread(target=target, name=name, daemon=True)
    _build_threads.add(thread)
    thread.start()


def window_pool() -> NetworkPool:
    """The window's own pool: a new network trains on a quick start at once (see
    model/graph/quick_start.py) once the quick twins' operations are in the compile cache (before,
    a quick start is slower than none), and its fast build's thread counts in `building_aside`.
    Call it on a build's thread: it imports PyTensor."""
    from dropviz.model.graph.compile_aside import quick_start_helps
    from dropviz.model.trainer import NetworkPool

    return NetworkPool(quick_start=quick_start_helps, start_thread=_start_daemon)


def building_aside() -> bool:
    """A run is being built or a network compiled on a thread of its own.

    Such a thread makes objects by the hundred thousand; see garbage.py for why that matters.
    """
    return any(thread.is_alive() for thread in list(_build_threads))


def prepare_train_steps_aside(trainer: Trainer) -> None:
    """Compile the trainer's multi-step call on a daemon thread while the worker goes on stepping.

    Until it is ready the worker trains one step a call; a network from the pool may have it
    already, and one being prepared is not prepared twice. A call numba has not cached compiles
    in a child process (see compile_aside.py).
    """
    network = trainer.network
    if network.train_steps_ready or network in _being_prepared:
        return
    _being_prepared.add(network)

    def prepare() -> None:
        from dropviz.model.graph.compile_aside import prepare_train_steps

        prepare_train_steps(network)

    _start_daemon(prepare, "dropviz-prepare")


def _trainers_in(message: tuple) -> list[Trainer]:
    """The trainers a build message hands over: ("ready", new) or ("failed", error, old)."""
    if message[0] == "ready":
        return [message[1]]
    if message[0] == "failed" and message[2] is not None:
        return [message[2]]
    return []


class DaemonTask(ABC):
    """Work on a daemon thread whose messages the worker polls from its queue.

    Messages hand trainers over: ("ready", trainer, ...) or ("failed", error, old trainer). Once
    cancelled, nobody will take them, so every trainer a message would hand over goes to the pool.
    Subclasses set their own fields, then call `start`.
    """

    def __init__(self) -> None:
        self._messages: queue.Queue[tuple] = queue.Queue()
        self._lock = threading.Lock()
        self._cancelled = False

    def start(self, name: str) -> None:
        _start_daemon(self._run, name)

    @abstractmethod
    def _run(self) -> None:
        """The work, on the daemon thread; it reports only through `_put`."""

    def next_message(self) -> tuple | None:
        try:
            return self._messages.get_nowait()
        except queue.Empty:
            return None

    def _put(self, message: tuple) -> None:
        with self._lock:
            if not self._cancelled:
                self._messages.put(message)
                return
        for trainer in _trainers_in(message):
            trainer.close()

    def cancel(self) -> None:
        """Nobody will take the result: give any network that is or will be made to the pool."""
        with self._lock:
            self._cancelled = True
        while (message := self.next_message()) is not None:
            for trainer in _trainers_in(message):
                trainer.close()


class RunBuild(DaemonTask):
    """One Trainer being made on a daemon thread, so a compile never blocks anyone.

    The old trainer is handed over too: its network goes back to the pool only once the new data
    has loaded, so a reset to the same shape reuses it, and a file that fails to load leaves the
    old run as it was. Messages go into a queue that the worker polls.
    """

    def __init__(self, config: Config, pool: NetworkPool | None, old: Trainer | None,
                 known: set[Architecture]) -> None:
        super().__init__()
        self.config = config
        self._pool = pool
        self._old = old
        self._known = known
        self.start("dropviz-build")

    def _run(self) -> None:
        try:
            # Imported here, off the GUI thread: PyTensor takes about a second to load (and
            # scikit-learn another, for a dataset not in the cache); the window is up meanwhile.
            from dropviz.model.data.datasets import load_dataset
            from dropviz.model.graph.backend import limit_blas_threads
            from dropviz.model.trainer import Trainer, architecture_for

            limit_blas_threads(WINDOW_BLAS_THREADS)

            dataset = load_dataset(self.config.dataset, self.config.seed)
        except Exception as error:  # every failure must reach the window
            self._put(("failed", error, self._old))
            return
        try:
            arch = architecture_for(self.config, dataset)
            pool = self._pool or window_pool()
            if arch not in self._known:
                self._put(("compiling", arch, pool.quick_starts(arch)))
            if self._old is not None:
                self._old.close()
            trainer = Trainer(self.config, pool, dataset)
            # A recurrent net's hidden states go with every snapshot: their function compiles
            # here (about a second), not on the worker at the first snapshot. An MLP has none.
            trainer.hidden_states(dataset.X_test[:1])
            self._known.add(arch)
        except Exception as error:
            self._put(("failed", error, None))
            return
        self._put(("ready", trainer))
