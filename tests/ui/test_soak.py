"""Random user actions on a training window, and closing the window at any moment.

Every other window test drives one feature from a quiet window. Users do not: they press Space
while a network compiles, drag a slider during an export, close the window in the middle of a
sweep. The soak draws a seeded sequence of such actions, checks every snapshot as it arrives, and
at checkpoints pauses and checks that what trains is what the controls show, down to replaying
the run headlessly. The closing tests close at the moments that hold work in flight.
scripts/window_soak.py runs the same driver for minutes and measures memory.
"""

from __future__ import annotations

import csv
import json
import math
import os
import random
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import numpy as np
import pytest
from PyQt5.QtCore import QMetaObject, QObject, Qt, pyqtSlot
from PyQt5.QtTest import QTest
from PyQt5.QtWidgets import QApplication
from ui_helpers import TIMEOUT

from dropviz.model.config import Config
from dropviz.model.trainer import NetworkPool, Trainer
from dropviz.session.snapshot import RunInfo, Snapshot
from dropviz.ui.main_window import MainWindow
from dropviz.ui.panels.compare_controls import BaselineDialog
from dropviz.ui.views.plot_export import write_plots

ROOT = Path(__file__).resolve().parents[2]
SOAK_SEED = 7
SOAK_ACTIONS = 180
CHECK_EVERY = 45  # actions between two consistency checkpoints
MAX_GAP_MS = 120  # the longest pause between two actions
# The graph-changing choices are few, so the soak compiles a handful of networks, not dozens.
LAYERS = ("16, 16", "8, 8", "16")
DATASETS = ("moons", "circles", "xor", "spiral")
LEARNING_RATES = (0.001, 0.003, 0.01, 0.03, 0.1)
L2_VALUES = (0.0, 0.0001, 0.001, 0.01)
MIN_DRAWS = 100  # mask draws needed before a dropped fraction is compared with its rate
Z_LIMIT = 5.0  # standard deviations a dropped fraction may be from its rate
REPLAY_MAX_STEPS = 3000  # a run this long is replayed headlessly at a checkpoint
REPLAY_RTOL = 1e-4  # last-bit differences of BLAS on one or two threads, amplified by training
SETTLE_MS = 60_000
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


# --- the soak ----------------------------------------------------------------------------------

class Soak:
    """Random actions on one window, with checkpoints that pause and compare.

    `pool` must be the window's pool: a checkpoint replays the run on one of its networks.
    """

    def __init__(self, window: MainWindow, pool: NetworkPool, seed: int, folder: Path) -> None:
        self.window = window
        self.pool = pool
        self.rng = random.Random(seed)
        self.folder = folder
        self.log = WindowLog(window)
        self.done: Counter[str] = Counter()
        self.checks: Counter[str] = Counter()
        self.exports: list[Path] = []
        self.saved: list[Path] = []
        files = window.files
        files.ask_export_folder = self._next_export_folder
        files.ask_save_path = self._next_save_path
        files.ask_open_path = self._saved_path
        files.confirm_replace = lambda folder, names: True
        sweep = window.analysis.rate_sweep
        sweep.rates.setText("0, 0.5")
        sweep.steps.setValue(30)
        window.analysis.mc.k_max.setValue(5)
        window.analysis.mc.map_samples.setValue(3)
        controls = window.controls
        self.actions: list[tuple[str, int, Callable[[], None]]] = [
            ("play/pause (Space)", 14, lambda: press(window, Qt.Key_Space)),
            ("step (S or Right)", 10,
             lambda: press(window, self.rng.choice((Qt.Key_S, Qt.Key_Right)))),
            ("reset (R)", 3, lambda: press(window, Qt.Key_R)),
            ("input rate", 5, lambda: self._rate(controls.dropout.input_rate)),
            ("hidden rate", 6, lambda: self._rate(controls.dropout.hidden_rate)),
            ("scaling", 4, lambda: self._combo(controls.dropout.scaling)),
            ("mask", 4, lambda: self._combo(controls.dropout.mask)),
            ("learning rate", 4, lambda: controls.network.learning_rate.setValue(
                self.rng.choice(LEARNING_RATES))),
            ("batch size", 4, lambda: controls.network.batch_size.setValue(
                self.rng.randint(1, 64))),
            ("L2", 3, lambda: controls.network.l2.setValue(self.rng.choice(L2_VALUES))),
            ("speed", 5, lambda: window.transport.speed.setValue(
                self.rng.randrange(window.transport.speed.maximum() + 1))),
            ("hidden layers", 2, self._layers),
            ("activation", 1, lambda: self._combo(controls.network.activation)),
            ("optimizer", 1, lambda: self._combo(controls.network.optimizer)),
            ("dataset", 3, self._dataset),
            ("samples", 1, lambda: controls.dataset.samples.setValue(self.rng.randint(100, 300))),
            ("noise", 1, lambda: controls.dataset.noise.setValue(
                round(self.rng.uniform(0.05, 0.5), 2))),
            ("regenerate", 2, controls.dataset.regenerate.click),
            ("compare (C)", 3, lambda: press(window, Qt.Key_C)),
            ("pin (P)", 2, lambda: press(window, Qt.Key_P)),
            ("export run (Ctrl+E)", 2, lambda: press(window, Qt.Key_E, Qt.ControlModifier)),
            ("save experiment as (Ctrl+Shift+S)", 1,
             lambda: press(window, Qt.Key_S, Qt.ControlModifier | Qt.ShiftModifier)),
            ("open experiment (Ctrl+O)", 1, lambda: press(window, Qt.Key_O, Qt.ControlModifier)),
            ("lecture mode (F11)", 1, lambda: press(window, Qt.Key_F11)),
            ("control panel (Ctrl+L)", 1, lambda: press(window, Qt.Key_L, Qt.ControlModifier)),
            ("analysis or training tab (Ctrl+M, Ctrl+T)", 1,
             lambda: press(window, self.rng.choice((Qt.Key_M, Qt.Key_T)), Qt.ControlModifier)),
            ("preset", 1, self._preset),
            ("baseline settings", 1, self._baseline),
            ("rate sweep", 1, sweep.run_button.click),
            ("Monte-Carlo", 1, window.analysis.mc.run_button.click),
            ("cancel a job", 1, lambda: (sweep.cancel_button.click(),
                                         window.analysis.mc.cancel_button.click())),
            ("resize", 3, lambda: window.resize(self.rng.randint(900, 1800),
                                                self.rng.randint(600, 1100))),
            ("let it run", 4, lambda: QTest.qWait(self.rng.randint(100, 600))),
        ]

    def _next_export_folder(self) -> Path:
        folder = self.folder / f"export{len(self.exports)}"
        self.exports.append(folder)
        return folder

    def _next_save_path(self) -> Path:
        path = self.folder / f"saved{len(self.saved)}.dropviz"
        self.saved.append(path)
        return path

    def _saved_path(self) -> Path | None:
        written = [path for path in self.saved if path.exists()]
        return self.rng.choice(written) if written else None

    def _preset(self) -> None:
        """A preset of the 2-D sets: one shape for all, so one compile."""
        presets = [preset for preset in self.window.presets_menu.presets()
                   if preset.config.dataset.name in DATASETS]
        self.window.presets_menu.choose(self.rng.choice(presets).key)

    def _baseline(self) -> None:
        """Compare with a baseline of other rates, as the Baseline settings dialog's OK does."""
        main = self.window.controls.config
        dialog = BaselineDialog(main, self.window)
        dialog.hidden_rate.set_value(self.rng.choice((0.0, 0.2, 0.5)))
        self.window.compare.use(dialog.spec(main))
        dialog.deleteLater()

    def _rate(self, control: object) -> None:
        if self.rng.random() < 0.5:
            control.slider.setValue(self.rng.randint(0, control.slider.maximum()))
        else:
            control.spin.setValue(round(self.rng.uniform(0.0, 0.9), 2))

    def _combo(self, box: object) -> None:
        choose(box, self.rng.randrange(box.count()))

    def _layers(self) -> None:
        box = self.window.controls.network.layers
        box.setText(self.rng.choice(LAYERS))
        box.editingFinished.emit()

    def _dataset(self) -> None:
        box = self.window.controls.dataset.dataset
        choose(box, box.findData(self.rng.choice(DATASETS)))

    def act(self) -> str:
        names, weights, calls = zip(*self.actions, strict=True)
        index = self.rng.choices(range(len(names)), weights=weights)[0]
        calls[index]()
        self.done[names[index]] += 1
        QTest.qWait(self.rng.randint(0, MAX_GAP_MS))
        return names[index]

    def run(self, actions: int, seconds: float = math.inf) -> None:
        """`actions` actions, or as many as fit in `seconds`, with a checkpoint every CHECK_EVERY."""
        deadline = time.monotonic() + seconds
        for number in range(1, actions + 1):
            self.act()
            if number % CHECK_EVERY == 0:
                self.checkpoint()
            if time.monotonic() > deadline:
                break
        self.checkpoint()

    # --- checkpoints ----------------------------------------------------------------------------

    def settle(self) -> Snapshot:
        """Wait until every request has been taken in, pause, and take one step.

        `worker_idle` may be true while a change is still queued to the worker; the barrier
        after the pause proves the worker has handled everything sent before it. A change that
        started a run meanwhile means: wait again.
        """
        window, handle = self.window, self.window.handle
        for _ in range(10):
            wait_until(lambda: worker_idle(window), SETTLE_MS, "the worker to be idle")
            handle.sigPause.emit()
            worker_barrier(window)
            if not worker_idle(window):
                continue
            runs, step = self.log.runs, window.last_snapshot.step
            handle.sigStep.emit()
            worker_barrier(window)
            snapshot = window.last_snapshot
            if self.log.runs == runs and snapshot.step == step + 1 and not snapshot.playing:
                return snapshot
        raise AssertionError("the worker never caught up with the requests")

    def checkpoint(self) -> None:
        """What trains is what the controls show; the soak fails at the first difference."""
        snapshot = self.settle()
        window, controls = self.window, self.window.controls
        self.checks["checkpoints"] += 1
        shown = controls.dropout.apply(controls.network.apply(controls.dataset.apply(
            controls.config)))
        assert shown == controls.config, "the widgets show other settings than the panel's"
        assert snapshot.config == controls.config, (
            f"training with {snapshot.config}\nwhile the controls show {controls.config}")
        assert window.handle.worker.playback.pace.speed == window.transport.steps_per_update()
        assert window.compare.toggle_action.isChecked() == (snapshot.baseline_config is not None)
        self._check_masks(snapshot)
        if snapshot.step <= REPLAY_MAX_STEPS and not opened(self.log.info):
            self._replay(snapshot)
        assert not self.log.problems, "\n".join(self.log.problems)
        assert not self.log.errors(), "\n".join(self.log.errors())
        statuses = [panel.status.text() for panel in window.analysis.panels.values()]
        assert not any("Unexpected error" in text for text in statuses), statuses

    def _check_masks(self, snapshot: Snapshot) -> None:
        """The last step's dropped share of each layer is within Z_LIMIT sigmas of its rate."""
        config, info = snapshot.config, self.log.info
        rates = dict(zip(config.dropout_layer_names, config.dropout_rates, strict=True))
        for name, mask in snapshot.masks.items():
            assert mask.shape[0] == min(config.batch_size, len(info.y_train)), name
            if config.mask == "per_batch":
                assert (mask == mask[0]).all(), f"{name}: a per-batch mask differs between rows"
                mask = mask[:1]
            p, n = rates[name], mask.size
            dropped = 1.0 - float(mask.mean())
            if p == 0.0:
                assert dropped == 0.0, f"{name}: {dropped:.3f} dropped at rate 0"
            if n < MIN_DRAWS:
                continue
            sigma = math.sqrt(p * (1 - p) / n)
            assert abs(dropped - p) <= Z_LIMIT * sigma + 1 / n, (
                f"{name}: {dropped:.3f} of {n} dropped at rate {p}")
            self.checks["layers with a plausible dropped share"] += 1

    def _replay(self, snapshot: Snapshot) -> None:
        """The run again, headless, from the settings it started with and the live changes at
        the steps they arrived: the same masks bit for bit, the same weights and evaluation.

        Weights and losses may differ in the last bits: a product of the worker's that runs while
        a build or job thread sets the process-wide BLAS thread count can run on two threads,
        which rounds differently (see REPLAY_RTOL). A wrong setting for even one step moves them
        by far more.
        """
        trainer = Trainer(self.log.info.config, self.pool)
        try:
            changes = iter(self.log.changes)
            change = next(changes, None)
            result = None
            while True:
                while change is not None and change[0] == trainer.step_count:
                    trainer.update(change[1])
                    change = next(changes, None)
                if trainer.step_count == snapshot.step:
                    break
                result = trainer.step()
            assert trainer.config == snapshot.config
            for name, mask in snapshot.masks.items():
                np.testing.assert_array_equal(result.masks[name], mask, err_msg=name)
            weights = trainer.network.weights()
            with np.errstate(all="ignore"):
                evaluation = trainer.evaluate()
        finally:
            trainer.close()
        shown = snapshot.evaluation
        if list(weights) == list(snapshot.weights) \
                and all(np.array_equal(weights[name], snapshot.weights[name]) for name in weights) \
                and (evaluation == shown or not (evaluation.is_finite() or shown.is_finite())):
            self.checks["runs replayed bit for bit"] += 1
        else:
            for name, mine in weights.items():
                np.testing.assert_allclose(mine, snapshot.weights[name], rtol=REPLAY_RTOL,
                                           atol=REPLAY_RTOL, err_msg=f"weights {name}")
            info = self.log.info
            np.testing.assert_allclose([evaluation.train_loss, evaluation.test_loss],
                                       [shown.train_loss, shown.test_loss], rtol=REPLAY_RTOL)
            assert abs(evaluation.train_acc - shown.train_acc) <= 1 / len(info.y_train) + 1e-12
            assert abs(evaluation.test_acc - shown.test_acc) <= 1 / len(info.y_test) + 1e-12
        self.checks["runs replayed headlessly"] += 1


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


# --- tests -------------------------------------------------------------------------------------

def run_and_close(soak: Soak, actions: int, seconds: float = math.inf) -> None:
    """The soak, ended by a checkpoint in a state every check applies to (a fresh run, masks of
    whole batches); then the window closes."""
    window = soak.window
    soak.run(actions, seconds)
    press(window, Qt.Key_R)
    choose(window.controls.dropout.mask, window.controls.dropout.mask.findData("per_example"))
    window.controls.network.batch_size.setValue(64)
    soak.checkpoint()
    close_and_check(window)


def test_random_actions_keep_the_window_consistent(make_window, pool, tmp_path):
    with Caught() as caught:
        soak = Soak(make_window(), pool, SOAK_SEED, tmp_path)
        run_and_close(soak, SOAK_ACTIONS)
    assert not caught.errors, "\n".join(caught.errors)
    assert sum(soak.done.values()) == SOAK_ACTIONS
    assert soak.checks["checkpoints"] == SOAK_ACTIONS // CHECK_EVERY + 2
    assert soak.checks["runs replayed headlessly"] >= 1
    assert soak.checks["layers with a plausible dropped share"] >= 1
    assert soak.log.runs > 1 and soak.log.snapshots > 100
    assert not folder_problems(tmp_path), folder_problems(tmp_path)


def _close_while_compiling(window: MainWindow) -> None:
    box = window.controls.network.layers
    box.setText("7, 5")  # a shape no other test compiles
    box.editingFinished.emit()
    wait_until(lambda: window.banner.text().startswith("Compiling"), TIMEOUT, "the compile")
    assert window.run_info.config.hidden_layers != (7, 5)


def _close_while_training(window: MainWindow) -> None:
    window.transport.speed.setValue(window.transport.speed.maximum())
    press(window, Qt.Key_Space)
    wait_until(lambda: window.last_snapshot.step >= 500, TIMEOUT, "training")


def _close_during_a_sweep(window: MainWindow) -> None:
    panel = window.analysis.rate_sweep
    panel.rates.setText("0, 0.5")
    panel.steps.setValue(50_000)  # most of a minute of work, with progress every second
    panel.run_button.click()
    # The window's sweeps start a local Dask cluster first: worker processes that import dropviz
    # and load its compiled networks, which on a busy machine takes longer than a run's start.
    wait_until(lambda: panel.progress.value() > 0, 4 * TIMEOUT, "the sweep's progress")


def _close_during_an_export(window: MainWindow) -> None:
    press(window, Qt.Key_Space)
    wait_until(lambda: window.last_snapshot.step >= 20, TIMEOUT, "training")
    press(window, Qt.Key_E, Qt.ControlModifier)


@pytest.mark.parametrize("moment", [_close_while_compiling, _close_while_training,
                                    _close_during_a_sweep, _close_during_an_export],
                         ids=["compiling", "training", "sweep", "export"])
def test_closing_at_any_moment(make_window, tmp_path, moment):
    with Caught() as caught:
        window = make_window()
        window.files.ask_export_folder = lambda: tmp_path / "export"
        moment(window)
        close_and_check(window)
        # Whatever was under way finishes or stops by itself; a job checks for cancelling
        # between two steps.
        wait_until(lambda: not any(t.name.startswith(("dropviz-rate", "dropviz-mc"))
                                   for t in threading.enumerate()), 5000, "the job to stop")
        QTest.qWait(200)  # anything still queued for the closed window
    assert not caught.errors, "\n".join(caught.errors)
    assert not folder_problems(tmp_path / "export"), folder_problems(tmp_path / "export")


# --- the real program ----------------------------------------------------------------------------

# The program as `python main.py` starts it, with a probe that brings it to a moment (a QTimer
# polling the window, so nothing in the app changes) and prints the moment's name once there.
APP_CHILD = """
import sys
from pathlib import Path
from PyQt5.QtCore import QTimer
from PyQt5.QtWidgets import QApplication
from dropviz.app import main
from dropviz.ui.main_window import MainWindow

moment, folder = sys.argv[1], Path(sys.argv[2])
app = QApplication(sys.argv[:1])
told = []


def tell(what):
    told.append(what)
    print(what, flush=True)


def bring(window):
    if moment == "compiling":
        if window.banner.text().startswith("Compiling"):
            tell(moment)
    elif window.last_snapshot is None:
        return
    elif moment == "training":
        if not window.transport.is_playing():
            window.transport.play_action.trigger()
        elif window.last_snapshot.step >= 50:
            tell(moment)
    elif moment == "export":
        window.files.ask_export_folder = lambda: folder
        window.files.export_action.trigger()
        tell(moment)
    elif moment == "sweep":
        panel = window.analysis.rate_sweep
        if not panel.is_running():
            panel.steps.setValue(50000)
            panel.run_button.click()
        elif panel.progress.value() > 0:
            tell(moment)


def poll():
    windows = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow)]
    if windows and not told:
        bring(windows[0])


timer = QTimer()
timer.timeout.connect(poll)
timer.start(20)
sys.exit(main([]))
"""
APP_MOMENTS = ("compiling", "training", "sweep", "export")


def processes_in_group(group: int) -> list[str]:
    """The processes of a session, by name: a program's children stay in the group it started."""
    names = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == group:
                    names.append((entry / "comm").read_text().strip())
            except OSError:
                continue
    return names


def run_app_until_signal(number: int, moment: str, home: Path, env: dict[str, str] | None = None,
                         timeout: float = 300) -> dict:
    """Start the program in a session of its own, bring it to `moment`, send `number`.

    Returns the exit status, the seconds from the signal to the exit, stderr, the processes of
    the session left a second after the exit, and the files left in `home`/export.
    """
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(home), **(env or {}))
    folder = home / "export"
    child = subprocess.Popen([sys.executable, "-c", APP_CHILD, moment, str(folder)], cwd=ROOT,
                             env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True)
    watchdog = threading.Timer(timeout, child.kill)
    watchdog.start()
    try:
        line = child.stdout.readline().strip()
        watchdog.cancel()
        assert line == moment, f"the program never got to {moment}: {child.communicate()[1]}"
        started = time.monotonic()
        child.send_signal(number)
        _, err = child.communicate(timeout=10)
        seconds = time.monotonic() - started
        time.sleep(0.3)  # for a child the program left behind to show up in /proc
        return {"code": child.returncode, "seconds": seconds, "stderr": err,
                "left": processes_in_group(child.pid),
                "files": sorted(path.name for path in folder.glob("*"))}
    finally:
        watchdog.cancel()
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_program_closes_on_a_signal_while_training(tmp_path, number):
    """Found by this test: SIGINT (Ctrl+C) showed "Unexpected error: KeyboardInterrupt" and the
    window stayed; SIGTERM ended the process at once, without remembering the settings."""
    ended = run_app_until_signal(number, "training", tmp_path)
    assert ended["code"] == 0, ended["stderr"][-3000:]
    assert ended["seconds"] < 5
    assert "Traceback" not in ended["stderr"], ended["stderr"][-3000:]
    assert not ended["left"]
    settings = tmp_path / "dropviz" / "dropviz.ini"
    assert settings.is_file(), "closed as when the user closes the window: settings remembered"


def test_export_while_comparing_writes_the_plots_shown(make_window, tmp_path):
    """Found by the soak: with a baseline, its map takes the thinned network's place, and the
    export of the plots failed on the hidden view ("a plot folded away to nothing")."""
    window = make_window()
    window.files.ask_export_folder = lambda: tmp_path
    press(window, Qt.Key_C)
    wait_until(lambda: window.compare.toggle_action.isChecked(), TIMEOUT, "the baseline")
    press(window, Qt.Key_E, Qt.ControlModifier)
    wait_until(lambda: window.banner.text().startswith(("Exported", "The model's")), TIMEOUT,
               "the export")
    assert window.banner.kind() == "info", window.banner.text()
    written = {path.name for path in tmp_path.iterdir()}
    assert {"loss.png", "decision.svg", "masks.png", "window.png"} <= written
    assert "network.png" not in written, "hidden behind the baseline's map"
    assert not folder_problems(tmp_path)


@pytest.mark.parametrize("behind_a_tab", [False, True], ids=["shown", "behind-an-analysis-tab"])
def test_export_right_after_a_comparison_ends_draws_the_network_again(make_window, tmp_path,
                                                                      behind_a_tab):
    """Found by the soak: a window resized while comparing folds the hidden network view to
    nothing; once the comparison ended, the plots failed with "a plot folded away to nothing" if
    the export's answer came before the splitter had laid the view out again, or for as long as
    an analysis tab hid the Training tab."""
    window = make_window()
    press(window, Qt.Key_C)
    wait_until(lambda: window.compare.toggle_action.isChecked(), TIMEOUT, "the baseline")
    window.resize(1200, 800)
    QTest.qWait(100)
    assert window.network_view.width() == 0
    if behind_a_tab:
        press(window, Qt.Key_M, Qt.ControlModifier)
        QTest.qWait(100)
    window._on_compare_changed("")  # the worker's word that the baseline left, and at once:
    written = write_plots(window.files.views, tmp_path)
    assert "network.png" in {path.name for path in written}
    assert not folder_problems(tmp_path)


def test_a_change_made_while_an_experiment_opens_does_not_replace_it(make_window, tmp_path):
    """Found by the soak: a setting changed while an experiment loaded was kept as a pending
    change of the run it replaced, so the old run trained again (with the change) while the
    controls showed the experiment's settings; the experiment was thrown away."""
    window = make_window()
    saved = tmp_path / "saved.dropviz"
    window.files.ask_save_path = lambda: saved
    window.files.save_as()
    wait_until(saved.exists, TIMEOUT, "the save")
    data = window.controls.dataset.dataset
    choose(data, data.findData("circles"))
    wait_until(lambda: window.last_snapshot.config.dataset.name == "circles", TIMEOUT, "circles")
    restored = []
    window.handle.worker.sigRestored.connect(restored.append)
    window.files.open_path(saved)
    window.controls.dataset.noise.setValue(0.1)  # while the file loads
    wait_until(lambda: restored, TIMEOUT, "the experiment")
    wait_until(lambda: worker_idle(window), TIMEOUT, "the worker")
    worker_barrier(window)
    assert window.last_snapshot.config == window.controls.config
    assert window.last_snapshot.config.dataset.name == "moons", "the experiment goes on"
    assert opened(window.run_info)
