"""Play, pause, step and reset, from the keyboard, checked on the window and on the snapshots."""

from __future__ import annotations

import math
import threading
import time
from itertools import pairwise

import numpy as np
from PyQt5.QtCore import Qt
from ui_helpers import (
    START_TIMEOUT,
    TIMEOUT,
    Recorder,
    play_until,
    press,
    wait_paused,
    wait_step,
)

from dropviz.model.graph.network import DropoutNetwork
from dropviz.model.trainer import NetworkPool, Trainer
from dropviz.session.snapshot import RECENT_STEPS
from dropviz.ui.worker.worker import GRID_SECONDS_AT_FULL_PACE, SPEEDS


def test_space_plays_and_pauses(make_window, qtbot):
    window = make_window()
    assert window.last_snapshot.step == 0
    assert not window.transport.is_playing()
    assert "step 0 " in window.status.text()

    press(qtbot, window, Qt.Key_Space)
    qtbot.waitUntil(window.transport.is_playing, timeout=5000)
    playing = wait_step(qtbot, window, 30)
    assert playing.playing
    assert "steps/s" in window.status.text()

    press(qtbot, window, Qt.Key_Space)
    paused = wait_paused(qtbot, window)
    qtbot.wait(400)
    assert window.last_snapshot.step == paused.step, "no step may run while paused"
    assert f"step {paused.step} " in window.status.text()
    assert "paused" in window.status.text()
    steps, train_loss = window.loss_view.curve_data("train_loss")
    assert steps[0] == 0 and steps[-1] == paused.step
    assert np.isclose(train_loss[-1], paused.evaluation.train_loss)
    assert str(paused.step) in window.windowTitle()


def test_step_runs_exactly_one_step(make_window, qtbot):
    window = make_window()
    recorder = Recorder(window)
    for key, expected in ((Qt.Key_S, 1), (Qt.Key_Right, 2), (Qt.Key_S, 3)):
        press(qtbot, window, key)
        qtbot.waitUntil(lambda expected=expected: window.last_snapshot.step == expected,
                        timeout=10_000)
        assert f"step {expected} " in window.status.text()
    qtbot.wait(300)
    assert [s.step for s in recorder.snapshots] == [1, 2, 3], "one snapshot per step, no more"
    snapshot = recorder.last
    assert not snapshot.playing
    assert snapshot.masks["hidden1"].shape == (32, 16)
    assert list(snapshot.recent_steps) == [1, 2, 3]
    assert snapshot.grid is not None, "a single step refreshes the decision map too"


def test_step_while_playing_pauses_first(make_window, qtbot):
    window = make_window()
    press(qtbot, window, Qt.Key_Space)
    wait_step(qtbot, window, 10)
    press(qtbot, window, Qt.Key_S)
    stopped = wait_paused(qtbot, window)
    qtbot.wait(300)
    assert window.last_snapshot.step == stopped.step
    press(qtbot, window, Qt.Key_S)
    qtbot.waitUntil(lambda: window.last_snapshot.step == stopped.step + 1, timeout=10_000)


def test_reset_goes_back_to_step_zero(make_window, qtbot):
    window = make_window()
    play_until(qtbot, window, 40)
    first_run_loss = window.loss_view.curve_data("train_loss")[1].copy()

    press(qtbot, window, Qt.Key_R)
    qtbot.waitUntil(lambda: window.last_snapshot.step == 0, timeout=10_000)
    assert "step 0 " in window.status.text()
    steps, losses = window.loss_view.curve_data("train_loss")
    assert list(steps) == [0], "the curves start again"
    assert losses[0] == first_run_loss[0], "same seed: the same initial network"
    assert not window.transport.is_playing()


def test_typing_in_a_box_does_not_trigger_shortcuts(make_window, qtbot):
    window = make_window()
    box = window.controls.network.layers
    box.setFocus()
    qtbot.waitUntil(box.hasFocus, timeout=5000)
    for key in (Qt.Key_Space, Qt.Key_R, Qt.Key_S):
        qtbot.keyClick(box, key)
    qtbot.wait(300)
    assert window.last_snapshot.step == 0
    assert not window.transport.is_playing()


def test_speed_sets_the_steps_per_screen_update(make_window, qtbot):
    window = make_window()
    window.transport.speed.setValue(SPEEDS.index(5))
    assert "5 steps per update" in window.transport.speed_label.text()
    recorder = Recorder(window)
    press(qtbot, window, Qt.Key_Space)
    qtbot.waitUntil(lambda: len([s for s in recorder.snapshots if s.playing]) >= 6, timeout=20_000)
    press(qtbot, window, Qt.Key_Space)
    slow = wait_paused(qtbot, window)
    playing = [s.step for s in recorder.snapshots if s.playing]
    assert all(step % 5 == 0 for step in playing)
    assert all(b > a for a, b in pairwise(playing))

    window.transport.speed.setValue(window.transport.speed.maximum())
    play_until(qtbot, window, slow.step + 100)


def test_enter_in_a_box_hands_the_keys_back(make_window, qtbot):
    window = make_window()
    spin = window.controls.dropout.hidden_rate.spin
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus, timeout=5000)
    spin.selectAll()
    qtbot.keyClicks(spin, "0.2")
    qtbot.keyClick(spin, Qt.Key_Return)
    qtbot.waitUntil(lambda: window.last_snapshot.config.dropout.hidden == 0.2, timeout=10_000)
    assert not spin.hasFocus()
    press(qtbot, window, Qt.Key_Space)
    qtbot.waitUntil(window.transport.is_playing, timeout=5000)


def _count_training_calls(monkeypatch) -> list[tuple[int, int]]:
    """(batch size, steps) of every training call any Trainer makes from now on."""
    calls: list[tuple[int, int]] = []
    run_steps, step = Trainer.run_steps, Trainer.step

    def counted_run_steps(trainer: Trainer, k: int):
        calls.append((trainer.config.batch_size, k))
        return run_steps(trainer, k)

    def counted_step(trainer: Trainer):
        calls.append((trainer.config.batch_size, 1))
        return step(trainer)

    monkeypatch.setattr(Trainer, "run_steps", counted_run_steps)
    monkeypatch.setattr(Trainer, "step", counted_step)
    return calls


def _chunks(calls: list[tuple[int, int]], batch_size: int) -> int:
    return sum(k > 1 for size, k in calls if size == batch_size)


def test_at_top_speed_steps_share_compiled_calls_and_the_raster_keeps_every_step(
        make_window, qtbot, monkeypatch):
    calls = _count_training_calls(monkeypatch)
    window = make_window()
    window.transport.speed.setValue(window.transport.speed.maximum())
    press(qtbot, window, Qt.Key_Space)
    # The multi-step call is compiled on a thread meanwhile; then a chunk holds many steps.
    qtbot.waitUntil(lambda: _chunks(calls, 32) >= 3, timeout=START_TIMEOUT)
    wait_step(qtbot, window, RECENT_STEPS)  # a frame of the top speed is many chunks
    press(qtbot, window, Qt.Key_Space)
    paused = wait_paused(qtbot, window)
    np.testing.assert_array_equal(paused.recent_steps,
                                  np.arange(paused.step - RECENT_STEPS + 1, paused.step + 1))
    for name, raster in paused.recent_masks.items():
        np.testing.assert_array_equal(raster[:, -1], paused.masks[name][0])


def test_a_live_change_measures_the_pace_again_with_a_single_step(make_window, qtbot, monkeypatch):
    """A much larger batch makes each step slower: a chunk sized at the old pace would hold the
    worker (and a pause) for many ticks."""
    calls = _count_training_calls(monkeypatch)
    window = make_window()
    window.transport.speed.setValue(window.transport.speed.maximum())
    press(qtbot, window, Qt.Key_Space)
    qtbot.waitUntil(lambda: _chunks(calls, 32) >= 3, timeout=START_TIMEOUT)
    window.controls.network.batch_size.setValue(50)
    qtbot.waitUntil(lambda: _chunks(calls, 50) >= 2, timeout=TIMEOUT)
    press(qtbot, window, Qt.Key_Space)
    wait_paused(qtbot, window)
    assert next(k for size, k in calls if size == 50) == 1


def test_a_slow_paint_does_not_make_slow_training_look_fast_enough_to_compile_for(
        make_window, qtbot, monkeypatch):
    """The GUI thread holding the interpreter lock (as a first paint does) makes the worker wait
    between steps; that wait is not training, so it must not start the multi-step compile."""
    prepared: list[DropoutNetwork] = []

    def record(network: DropoutNetwork) -> None:
        prepared.append(network)

    monkeypatch.setattr(DropoutNetwork, "prepare_train_steps", record)
    window = make_window(network_pool=NetworkPool())
    window.transport.speed.setValue(SPEEDS.index(10))

    def paint_slowly(snapshot) -> None:
        until = time.perf_counter() + 0.1
        while time.perf_counter() < until:  # Python, so it holds the lock, as drawing does
            pass

    window.handle.sigSnapshot.connect(paint_slowly)
    press(qtbot, window, Qt.Key_Space)
    wait_step(qtbot, window, 100)
    press(qtbot, window, Qt.Key_Space)
    wait_paused(qtbot, window)
    assert prepared == []


def test_the_multi_step_call_is_compiled_only_once_training_sets_the_pace(
        make_window, qtbot, monkeypatch):
    """Compiling it costs seconds and memory: a run trained slowly never needs it."""
    prepared: list[tuple[DropoutNetwork, str]] = []  # also each train_steps call's check
    prepare = DropoutNetwork.prepare_train_steps

    def recorded(network: DropoutNetwork) -> None:
        prepared.append((network, threading.current_thread().name))
        prepare(network)

    monkeypatch.setattr(DropoutNetwork, "prepare_train_steps", recorded)
    calls = _count_training_calls(monkeypatch)
    window = make_window(network_pool=NetworkPool())  # a network of its own, not yet prepared
    window.transport.speed.setValue(SPEEDS.index(1))
    press(qtbot, window, Qt.Key_Space)
    wait_step(qtbot, window, 20)
    assert prepared == [] and _chunks(calls, 32) == 0
    window.transport.speed.setValue(window.transport.speed.maximum())
    qtbot.waitUntil(lambda: _chunks(calls, 32) >= 2, timeout=START_TIMEOUT)
    press(qtbot, window, Qt.Key_Space)
    wait_paused(qtbot, window)
    assert len({network for network, _ in prepared}) == 1
    assert prepared[0][1] == "dropviz-prepare", "compiled beside the worker, not in its loop"


def _map_refreshes(qtbot, window, seconds: float) -> tuple[int, float, float]:
    """Distinct decision maps among the snapshots sent while playing for `seconds`, their span, and
    the median time from one new map to the next."""
    seen: list[tuple[float, object]] = []
    window.handle.sigSnapshot.connect(
        lambda snapshot: snapshot.playing and seen.append((time.monotonic(), snapshot.grid)))
    qtbot.wait(round(seconds * 1000))
    span = seen[-1][0] - seen[0][0]
    changes = [at for (_, before), (at, grid) in pairwise(seen) if grid is not before]
    gaps = sorted(b - a for a, b in pairwise(changes))
    return len({id(grid) for _, grid in seen}), span, gaps[len(gaps) // 2] if gaps else math.inf


def test_the_map_is_refreshed_less_often_only_when_training_sets_the_pace(
        make_window, qtbot, monkeypatch):
    """At the top speeds the map's time is training's; at the default speed it is free. The
    multi-step call is kept from compiling, so that 200 single steps a frame set the pace."""
    monkeypatch.setattr(DropoutNetwork, "prepare_train_steps", lambda network: None)
    window = make_window(network_pool=NetworkPool())
    press(qtbot, window, Qt.Key_Space)
    wait_step(qtbot, window, 10)
    maps, span, gap = _map_refreshes(qtbot, window, 2.0)
    # A busy machine sends fewer snapshots, so count maps against time between them, not per second.
    assert maps >= 3 and gap < GRID_SECONDS_AT_FULL_PACE / 2, \
        f"{maps} maps in {span:.1f} s at the default speed, {gap:.2f} s apart"
    window.transport.speed.setValue(SPEEDS.index(200))
    qtbot.wait(500)
    maps, span, _ = _map_refreshes(qtbot, window, 3.0)
    assert maps <= span / GRID_SECONDS_AT_FULL_PACE + 2, f"{maps} maps in {span:.1f} s at full pace"
    press(qtbot, window, Qt.Key_Space)
    wait_paused(qtbot, window)
