"""The window while it trains, offscreen: training speed while drawing, and how long the GUI stalls.

Run as a child process (`python benchmarks/window.py SECONDS [ROUNDS]`) so that Qt starts fresh;
prints JSON. The app's default run is trained in the window at the fastest speed setting (as many
steps per frame as the slider allows) for SECONDS, then paused while a headless Trainer of the same
settings trains in the same process for SECONDS, ROUNDS times in turn: this machine's speed drifts
by 10% and more within a minute, and alternating short phases lets each window phase be divided by
the headless phase beside it. During the window phases a 5 ms timer in the GUI thread measures the
event loop's latency: how late each of its ticks fired, i.e. how long the window would have ignored
a key or a click. BENCH_T0 (the parent's clock at start) gives the times to the window shown, ready
and first steps drawn. The rounds start once the worker's multi-step call is compiled (it compiles
on a thread in the first seconds) and the window has trained for one more second.
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PyQt5.QtCore import QElapsedTimer, Qt, QTimer
from PyQt5.QtWidgets import QApplication

from dropviz.model.config import Config
from dropviz.ui.garbage import GuiGarbageCollector
from dropviz.ui.main_window import MainWindow
from dropviz.ui.worker.worker import SPEEDS

TICK_MS = 5
HEADLESS_CHUNK = 256  # steps per run_steps call headless: more than the window's 50 ms ticks


def headless_rate(trainer, seconds: float, k: int | None) -> float:
    """Steps per second of a Trainer alone: one step per call, or k per call."""
    start, done = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        if k is None:
            trainer.step()
            done += 1
        else:
            done += len(trainer.run_steps(k))
    return done / (time.perf_counter() - start)


def process_until(app: QApplication, done) -> None:
    while not done():
        app.processEvents()
        time.sleep(0.001)


class LatencyProbe:
    """How late a 5 ms timer fires in the GUI thread, while it is started."""

    def __init__(self) -> None:
        self.lateness: list[float] = []
        self._clock = QElapsedTimer()
        self._ticker = QTimer()
        self._ticker.setTimerType(Qt.PreciseTimer)
        self._ticker.setInterval(TICK_MS)
        self._ticker.timeout.connect(self._tick)

    def _tick(self) -> None:
        if self._clock.isValid():
            self.lateness.append(max(self._clock.nsecsElapsed() / 1e6 - TICK_MS, 0.0))
        self._clock.restart()

    def start(self) -> None:
        self._clock.invalidate()
        self._ticker.start()

    def stop(self) -> None:
        self._ticker.stop()


def window_run(config: Config, seconds: float, rounds: int, started: float) -> dict:
    app = QApplication.instance() or QApplication(sys.argv)
    collector = GuiGarbageCollector()  # as the app does
    window = MainWindow(config)
    collector.busy = window.is_busy
    window.resize(1600, 1000)
    window.show()
    app.processEvents()
    times = {"shown_seconds": time.time() - started}
    snapshots: list[tuple[float, int]] = []

    def on_snapshot(snapshot) -> None:
        if snapshot.step == 0 and "ready_seconds" not in times:
            times["ready_seconds"] = time.time() - started
            window.handle.sigPlay.emit()  # at the default speed, as a user presses Space
        if snapshot.step > 0 and "first_step_seconds" not in times:
            times["first_step_seconds"] = time.time() - started
            window.handle.sigSpeed.emit(SPEEDS[-1])
        if snapshot.playing:
            snapshots.append((time.perf_counter(), snapshot.step))

    window.handle.sigSnapshot.connect(on_snapshot)
    process_until(app, lambda: "first_step_seconds" in times)
    worker = window.handle.worker
    process_until(app, lambda: worker.playback.pair is not None
                  and worker.playback.pair.multi_step_ready)
    warm_until = time.perf_counter() + 1.0
    process_until(app, lambda: time.perf_counter() > warm_until)
    window.handle.sigPause.emit()
    process_until(app, lambda: not window.transport.is_playing())

    from dropviz.model.trainer import Trainer  # only now: the app imports it on its build thread

    headless = Trainer(config)
    headless.run_steps(HEADLESS_CHUNK)
    probe = LatencyProbe()
    window_rates, headless_rates = [], []
    for _ in range(rounds):
        snapshots.clear()
        window.handle.sigPlay.emit()
        process_until(app, lambda: len(snapshots) >= 1)
        probe.start()
        QTimer.singleShot(round(seconds * 1000), app.quit)
        app.exec_()
        probe.stop()
        window.handle.sigPause.emit()
        (t0, step0), (t1, step1) = snapshots[0], snapshots[-1]
        window_rates.append((step1 - step0) / (t1 - t0))
        process_until(app, lambda: not window.transport.is_playing())
        headless_rates.append(headless_rate(headless, seconds, HEADLESS_CHUNK))
    single = headless_rate(headless, seconds, None)
    headless.close()
    window.close()
    collector.stop()
    late = np.array(probe.lateness)
    return {**times, "window_steps_per_second": window_rates,
            "headless_run_steps_steps_per_second": headless_rates,
            "headless_step_steps_per_second": single,
            "latency_p50_ms": float(np.percentile(late, 50)),
            "latency_p99_ms": float(np.percentile(late, 99)),
            "latency_max_ms": float(late.max())}


def main() -> None:
    started = float(os.environ["BENCH_T0"])
    seconds = float(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    print(json.dumps(window_run(Config(), seconds, rounds, started)))


if __name__ == "__main__":
    main()
