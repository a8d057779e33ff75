"""A network that trains about a second after it is asked for, and then as fast as ever.

numba compiles a whole graph at once, so a combination of depth, activation, optimizer and layer
kinds not seen before took 10-50 s to its first step (issue 16); a learner who changed a setting
waited that long. A quick twin (`DropoutNetwork(quick=True)`: PyTensor's C backend, no rewrites,
every operation's code cached, see backend.py) is ready in about a second and trains meanwhile, at
a fraction of the speed, while the fast network compiles in a child process (see
compile_aside.py) and is then built from the compile cache on a thread.

Nothing is lost by the switch, not even bits. Both networks draw the same masks from the same
random streams, but round float32 sums differently, so the quick twin's weights drift from the
fast network's in the last bits (7e-7 relative after 300 steps of a tanh net). So every call that
changed the quick twin's state is logged and, once the fast network is built, replayed on it from
its first state; when it has caught up it takes over under the lock. From then on the run is the
one the fast network alone would have trained, bit for bit; only what was read from the quick twin
before (the losses and evaluations of its steps) carries its rounding.
"""

from __future__ import annotations

import atexit
import copy
import threading
import time
from collections.abc import Callable

import numpy as np

from dropviz.model.graph.architecture import Architecture
from dropviz.model.graph.compile_aside import compile_in_child, end_children
from dropviz.model.graph.network import DropoutNetwork
from dropviz.model.results import NetworkLayout

# Steps of backlog replayed holding the lock (the worker waits for them): 256 single steps of a
# small network take about 0.1 s. A longer backlog is replayed while the quick twin goes on.
CATCH_UP_STEPS = 256

# One fast network compiles at a time: a run's baseline has the same architecture, and its twin
# then loads the first one's compiled code from numba's cache instead of compiling it again beside.
_fast_builds = threading.Lock()

# The threads building or replaying a fast network in this process, and the flag that stops them.
# numba's functions run without the interpreter lock, and one still running while the interpreter
# finalized crashed it once (SIGSEGV on closing the window in the signal soak test).
_in_process: set[threading.Thread] = set()
_closing = threading.Event()


@atexit.register
def _stop_in_process() -> None:
    """Stop the fast builds at their next step and wait for them (a build takes 1-5 s); their
    compile children first, which the builds would otherwise wait for (10-50 s)."""
    _closing.set()
    end_children()
    for thread in list(_in_process):
        thread.join(timeout=30)


def _check_open() -> None:
    if _closing.is_set():
        raise RuntimeError("the program is closing")


ThreadStarter = Callable[[Callable[[], None], str], None]


def _daemon(target: Callable[[], None], name: str) -> None:
    threading.Thread(target=target, name=name, daemon=True).start()


def _entry_steps(entry: tuple[str, tuple, dict]) -> int:
    name, args, _ = entry
    return len(args[0]) if name == "train_steps" else 1


class QuickStartNetwork:
    """The `DropoutNetwork` interface, on the quick twin until the fast network has caught up."""

    def __init__(self, arch: Architecture, X_train: np.ndarray, y_train: np.ndarray,
                 start_thread: ThreadStarter = _daemon) -> None:
        self.arch = arch
        self._lock = threading.RLock()
        self._quick = DropoutNetwork(arch, X_train, y_train, quick=True)
        self._active = self._quick
        self._log: list[tuple[str, tuple, dict]] | None = []
        self._started = time.monotonic()
        self._catching_up = False
        self.failure: BaseException | None = None  # why the fast network never took over
        self.fast_ready = threading.Event()  # set when it took over, or failed to
        data = (np.array(X_train), np.array(y_train))
        start_thread(lambda: self._prepare_fast(*data), "dropviz-fast-network")

    # --- the switch ---------------------------------------------------------------------------

    @property
    def is_fast(self) -> bool:
        return self._active is not self._quick

    @property
    def preparing(self) -> str:
        """What the network is doing besides training, for the status bar ("" when nothing)."""
        if self.is_fast:
            return ""
        if self.failure is not None:
            return f"quick start only (the fast network failed: {self.failure})"
        if self._catching_up:
            return "quick start: the fast network is catching up"
        seconds = time.monotonic() - self._started
        return f"quick start: the fast network is compiling ({seconds:.0f} s)"

    def _prepare_fast(self, X_train: np.ndarray, y_train: np.ndarray) -> None:
        _in_process.add(threading.current_thread())
        try:
            with _fast_builds:
                compile_in_child(self.arch)
                _check_open()
                fast = DropoutNetwork(self.arch, X_train, y_train)
            self._catching_up = True
            self._catch_up(fast)
        except Exception as error:  # the quick twin trains on; the status bar says why
            self.failure = error
        finally:
            _in_process.discard(threading.current_thread())
            self.fast_ready.set()

    def _catch_up(self, fast: DropoutNetwork) -> None:
        """Replay the log on `fast` while the quick twin goes on, then the rest holding the lock.

        Rounds go on without the lock while each at least halves the backlog; a twin training
        flat out, which competes with the replay for the interpreter lock, may not let it shrink,
        and then the worker waits once for the rest.
        """
        done, backlog = 0, None
        while True:
            with self._lock:
                pending = self._log[done:]
                steps = sum(map(_entry_steps, pending))
                if steps <= CATCH_UP_STEPS or (backlog is not None and steps > backlog // 2):
                    self._replay(fast, pending)
                    self._take_over(fast)
                    return
            self._replay(fast, pending)
            done, backlog = done + len(pending), steps

    @staticmethod
    def _replay(fast: DropoutNetwork, entries: list[tuple[str, tuple, dict]]) -> None:
        for name, args, kwargs in entries:  # train_steps runs row by row: nothing compiles
            _check_open()
            getattr(fast, name)(*args, **kwargs)

    def _take_over(self, fast: DropoutNetwork) -> None:
        """Under the lock, with the log replayed: the fast network goes on from here."""
        quick = self._quick.rng_states()
        if fast.rng_states()["train"] != quick["train"]:
            raise RuntimeError("the replayed steps drew other masks than the quick start's")
        # Monte-Carlo passes are not replayed: their draws advance the stream alike on both
        fast.set_rng_states(quick)
        self._active = fast
        self._log = None
        self._quick = None

    def _logged(self, name: str, *args: object, **kwargs: object) -> object:
        with self._lock:
            if self._log is not None:
                self._log.append((name, args, kwargs))
            return getattr(self._active, name)(*args, **kwargs)

    # --- what changes the network's state: logged while the quick twin trains ----------------

    def train_step(self, batch: np.ndarray) -> tuple[float, list[np.ndarray]]:
        return self._logged("train_step", np.array(batch, dtype=np.int32))

    def train_steps(self, batches: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        return self._logged("train_steps", np.array(batches, dtype=np.int32))

    def reset(self, seed: int) -> None:
        self._logged("reset", seed)

    def set_data(self, X_train: np.ndarray, y_train: np.ndarray) -> None:
        self._logged("set_data", np.array(X_train), np.array(y_train))

    def set_live(self, *args: object, **kwargs: object) -> None:
        """See `DropoutNetwork.set_live`; its arguments are numbers, strings and tuples."""
        self._logged("set_live", *args, **kwargs)

    def set_weights(self, arrays: dict[str, np.ndarray]) -> None:
        self._logged("set_weights", {name: np.array(value) for name, value in arrays.items()})

    def set_optimizer_state(self, state: dict[str, np.ndarray]) -> None:
        self._logged("set_optimizer_state", {name: np.array(value) for name, value in state.items()})

    def set_rng_states(self, states: dict) -> None:
        self._logged("set_rng_states", copy.deepcopy(states))

    # --- what only reads it: no lock, a read that meets the switch reads the quick twin ------

    def mc_predict(self, X: np.ndarray, samples: int) -> tuple[np.ndarray, np.ndarray]:
        """Its draws advance the Monte-Carlo stream, which the switch hands over: not meanwhile."""
        with self._lock:
            network = self._active
            if network is self._quick:
                return network.mc_predict(X, samples)
        return network.mc_predict(X, samples)

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._active.predict(X)

    def hidden_states(self, X: np.ndarray) -> dict[str, np.ndarray]:
        return self._active.hidden_states(X)

    def weights(self) -> dict[str, np.ndarray]:
        return self._active.weights()

    def inference_weights(self) -> dict[str, np.ndarray]:
        return self._active.inference_weights()

    def optimizer_state(self) -> dict[str, np.ndarray]:
        return self._active.optimizer_state()

    def rng_states(self) -> dict:
        return self._active.rng_states()

    def prepare_train_steps(self) -> None:
        """Safe beside training (see DropoutNetwork); nothing to do for the quick twin."""
        self._active.prepare_train_steps()

    @property
    def train_steps_ready(self) -> bool:
        return self._active.train_steps_ready

    @property
    def layout(self) -> NetworkLayout:
        return self._active.layout

    @property
    def noise_names(self) -> tuple[str, ...]:
        return self._active.noise_names
