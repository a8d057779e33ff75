"""What the soak and the closing tests check, and how they wait, for tests and scripts alike.

Exceptions raised anywhere in the process, every snapshot as it arrives, every file written, and a
close that ends the worker at once. The waits use no pytest-qt, so scripts/window_soak.py drives
the window the same way as tests/ui/test_soak.py.
"""

from __future__ import annotations

import csv
import json
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import numpy as np
from PyQt5.QtCore import QMetaObject, QObject, Qt, pyqtSlot
from PyQt5.QtTest import QTest
from PyQt5.QtWidgets import QApplication

from dropviz.model.config import Config
from dropviz.session.snapshot import RunInfo, Snapshot
from dropviz.ui.main_window import MainWindow

CLOSE_SECONDS = 1.5
# Error banners a user may legitimately see in the soak; anything else fails it.
EXPECTED_ERRORS = ("Export failed: There is no run to write yet",
                   "Saving failed: There is no run to write yet",
                   "A new run is being prepared: open the experiment once it has started")
PNG_START, PNG_END = b"\x89PNG\r\n\x1a\n", b"IEND\xaeB`\x82"


# --- what went wrong, wherever it happened -------------------------------------------------------

class Caught:
    """Exceptions raised anywhere in the process while active.

    PyQt hands an exception escaping a slot (of the GUI thread or the worker's) to sys.excepthook;
    a daemon thread's (a build, a job) goes to threading.excepthook. Without this, the first would
    abort the script and the second would only print.
    """

    def __init__(self) -> None:
        self.errors: list[str] = []

    def __enter__(self) -> Caught:
        self._hooks = sys.excepthook, threading.excepthook
        sys.excepthook = self._record
        threading.excepthook = lambda args: self._record(args.exc_type, args.exc_value,
                                                         args.exc_traceback)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.excepthook, threading.excepthook = self._hooks

    def _record(self, kind: type[BaseException], error: BaseException | None,
                trace: TracebackType | None) -> None:
        import traceback

        self.errors.append("".join(traceback.format_exception(kind, error, trace)))


class WindowLog(QObject):
    """Everything the window was told, each snapshot checked as it arrives.

    Connected in the GUI thread, so the worker's queued signals arrive here in the order it sent
    them: a run's start, then its snapshots and live changes.
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.problems: list[str] = []
        self.banners: list[tuple[str, str]] = []
        self.runs = 0
        self.snapshots = 0
        # A window that has shown its first run: no live change can have reached it unseen.
        self.info: RunInfo | None = window.run_info
        self.changes: list[tuple[int, Config]] = []  # live changes of the current run
        self._last_step = window.last_snapshot.step if window.last_snapshot else -1
        worker = window.handle.worker
        worker.sigRunStarted.connect(self.run_started)
        worker.sigLiveChange.connect(self.live_change)
        window.handle.sigSnapshot.connect(self.snapshot)
        show = window.banner.show_message

        def recorded(text: str, kind: str = "info", seconds: float | None = None) -> None:
            self.banners.append((kind, text))
            show(text, kind, seconds)

        window.banner.show_message = recorded  # a banner replaced before anyone reads it counts

    @pyqtSlot(object)
    def run_started(self, info: RunInfo) -> None:
        self.runs += 1
        self.info = info
        self.changes = []
        self._last_step = -1

    @pyqtSlot(int, object, object)
    def live_change(self, step: int, old: Config, new: Config) -> None:
        self.changes.append((step, new))

    @pyqtSlot(object)
    def snapshot(self, snapshot: Snapshot) -> None:
        self.snapshots += 1
        problems = snapshot_problems(snapshot, self.info, self._last_step)
        self.problems += [f"snapshot {self.snapshots} (step {snapshot.step}): {p}"
                          for p in problems]
        self._last_step = snapshot.step

    def errors(self) -> list[str]:
        """Error banners, and every banner naming an unexpected error (a bug, not a user's slip)."""
        return [text for kind, text in self.banners
                if "Unexpected error" in text
                or (kind == "error" and not text.startswith(EXPECTED_ERRORS))]


def opened(info: RunInfo) -> bool:
    """A run of an opened experiment goes on from the step it was saved at."""
    return info.reason.startswith("opened ")


def snapshot_problems(snapshot: Snapshot, info: RunInfo | None, last_step: int) -> list[str]:
    """What is wrong with a snapshot of the run `info` that follows one of `last_step`."""
    if info is None:
        return ["a snapshot before any run started"]
    problems = []
    if last_step < 0 and snapshot.step != 0 and not opened(info):
        problems.append("a new run's first snapshot is not of step 0")
    if snapshot.step < last_step:
        problems.append(f"the step went back from {last_step} within one run")
    if info.config.needs_new_network(snapshot.config):
        problems.append("its config is of another run than the one started")
    if snapshot.evaluation.step != snapshot.step:
        problems.append(f"its evaluation is of step {snapshot.evaluation.step}")
    if snapshot.masks:
        names = snapshot.config.dropout_layer_names
        if tuple(snapshot.masks) != names:
            problems.append(f"masks of {tuple(snapshot.masks)}, not {names}")
        widths = [mask.shape[1] for mask in snapshot.masks.values()]
        if widths != list(info.widths[: len(names)]):
            problems.append(f"mask widths {widths} for a network of {info.widths}")
    if snapshot.baseline_config is not None and \
            snapshot.config.needs_new_network(snapshot.baseline_config):
        problems.append("the baseline is not of the run's network, data and seed")
    return problems


# --- waiting without pytest-qt, so the script can drive the same way ---------------------------

def wait_until(condition: Callable[[], bool], timeout_ms: int, what: str) -> None:
    deadline = time.monotonic() + timeout_ms / 1000
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_ms} ms waiting for {what}")
        QTest.qWait(10)


def press(window: MainWindow, key: int, modifier: int = Qt.NoModifier) -> None:
    """A key as the user presses it, to whatever has the focus in the window."""
    QTest.keyClick(window.focusWidget() or window, key, modifier)


def worker_idle(window: MainWindow) -> bool:
    """No run or baseline being built, no change waiting for one, no job: read across threads,
    which is safe for plain attributes, and only a hint: see `Soak.settle`."""
    worker = window.handle.worker
    return (worker.playback.pair is not None and worker.runs.build is None
            and worker.baselines.build is None and worker.runs.pending is None
            and worker.jobs.job is None and not worker.jobs.deferred)


def worker_barrier(window: MainWindow) -> None:
    """Return once the worker has handled every request sent before, and the window every
    signal the worker sent meanwhile (and drawn its snapshots, a stage a turn): a blocking call
    of a slot that changes nothing here."""
    QMetaObject.invokeMethod(window.handle.worker, "snapshot_shown", Qt.BlockingQueuedConnection)
    QApplication.processEvents()
    while not window.drawing.is_idle():
        QApplication.processEvents()


def choose(box: object, index: int) -> None:
    """Pick a combo box item as a click does: `activated` is what the panels listen to."""
    box.setCurrentIndex(index)
    box.activated.emit(index)


# --- files -------------------------------------------------------------------------------------

def file_problem(path: Path) -> str | None:
    """None if the file opens whole as what its name says, else what is wrong."""
    data = path.read_bytes()
    try:
        if ".part" in path.name:
            return "a temporary file left behind"
        if path.suffix == ".json":
            json.loads(data)
        elif path.suffix in (".npz", ".dropviz"):
            with np.load(path, allow_pickle=False) as archive:
                for name in archive.files:
                    archive[name]
        elif path.suffix == ".png":
            if not (data.startswith(PNG_START) and data.endswith(PNG_END)):
                return "not a whole PNG"
        elif path.suffix == ".svg":
            ET.fromstring(data)
        elif path.suffix == ".onnx":
            import onnx  # only where an export wrote a model

            onnx.checker.check_model(onnx.load_from_string(data))
        elif path.suffix == ".csv":
            rows = list(csv.reader(data.decode("utf-8").splitlines()))
            if not rows or len({len(row) for row in rows}) != 1:
                return "rows of different lengths"
        else:
            return "not a file dropviz writes"
    except Exception as error:  # any failure to parse is the finding
        return f"{type(error).__name__}: {error}"
    return None


def folder_problems(folder: Path) -> list[str]:
    if not folder.exists():
        return []
    return [f"{path.name}: {problem}" for path in sorted(folder.rglob("*")) if path.is_file()
            if (problem := file_problem(path)) is not None]


def close_and_check(window: MainWindow) -> float:
    """Close; the worker's thread must end at once, and leave no thread that keeps Python alive."""
    started = time.monotonic()
    window.close()
    seconds = time.monotonic() - started
    assert seconds < CLOSE_SECONDS, f"closing took {seconds:.2f} s"
    assert window.handle.thread.isFinished()
    alive = [t.name for t in threading.enumerate()
             if not t.daemon and t is not threading.main_thread()]
    assert not alive, f"threads that keep the process alive: {alive}"
    return seconds
