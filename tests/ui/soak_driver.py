"""The soak: seeded random user actions on one window, with checkpoints that pause and compare.

tests/ui/test_soak.py runs it for about 200 actions; scripts/window_soak.py runs it for minutes and
measures memory.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PyQt5.QtCore import Qt
from PyQt5.QtTest import QTest
from soak_checks import (
    WindowLog,
    choose,
    close_and_check,
    opened,
    press,
    wait_until,
    worker_barrier,
    worker_idle,
)

from dropviz.model.trainer import NetworkPool, Trainer
from dropviz.session.snapshot import Snapshot
from dropviz.ui.main_window import MainWindow
from dropviz.ui.panels.compare_controls import BaselineDialog

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
