"""Ctrl+C and SIGTERM on the command line: stop, tidy up, say so in one line, exit 128 + signal.

Python's own Ctrl+C is a KeyboardInterrupt raised wherever the main thread happens to be: in the
middle of a PyTensor rewrite it ends in a 70-line traceback, and inside numba's compiler it comes
out as a SystemError (once reported as a divergence, exit 1). Here the signal still stops the work
at once (a compile may take a minute; no one should wait for it), as an `Interrupted`, a
KeyboardInterrupt, so that every `finally` and `with` on the way tidies up (an output folder's
hidden files, a sweep's cluster); but the command line's `main` decides by the signal received,
not by the exception that reached it, so whatever the interrupted code turned it into ends the
same way: "dropviz: interrupted" and exit 130 (SIGTERM: "dropviz: terminated", 143, as shells
report them). The writes that must not be cut short hold the signals back meanwhile (see
session/out_folder.py). A second signal while tidying up is noted but raises nothing, so the
tidying finishes.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType

STOPPING = {"SIGINT": "interrupted", "SIGTERM": "terminated"}


class Interrupted(KeyboardInterrupt):
    """The process received SIGINT or SIGTERM (`signum`)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        return 128 + self.signum

    @property
    def message(self) -> str:
        return STOPPING.get(signal.Signals(self.signum).name, "stopped")


class Signals:
    """The signals received while installed (see `stop_on_signals`)."""

    def __init__(self) -> None:
        self.received: list[int] = []

    @property
    def stop(self) -> Interrupted | None:
        """The first signal received, as the exception it raised; None if none came."""
        return Interrupted(self.received[0]) if self.received else None

    def handle(self, signum: int, _frame: FrameType | None) -> None:
        self.received.append(signum)
        if len(self.received) == 1:
            # Code cut short may report errors it cannot raise ("Exception ignored in ..."):
            # after an interrupt they are noise.
            sys.unraisablehook = lambda _unraisable: None
            raise Interrupted(signum)


_active: list[Signals] = []  # those installed now, innermost last


def check_interrupted() -> None:
    """Raise the interrupt again, at a safe point (between chunks of training, before writing):
    a library whose bare `except:` caught it (some optional imports do) must not swallow it."""
    for signals in _active:
        stop = signals.stop
        if stop is not None:
            raise stop


@contextlib.contextmanager
def stop_on_signals() -> Iterator[Signals]:
    """SIGINT and SIGTERM raise `Interrupted` in the main thread while the block runs; elsewhere
    (a thread of a notebook, say) nothing is installed and nothing is received."""
    signals = Signals()
    if threading.current_thread() is not threading.main_thread():
        yield signals
        return
    wanted = [getattr(signal, name) for name in STOPPING if hasattr(signal, name)]
    previous = {signum: signal.getsignal(signum) for signum in wanted}
    hook = sys.unraisablehook
    for signum in wanted:
        if previous[signum] != signal.SIG_IGN:  # e.g. a job started in the background with `&`
            signal.signal(signum, signals.handle)
    _active.append(signals)
    try:
        yield signals
    finally:
        _active.remove(signals)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        sys.unraisablehook = hook
