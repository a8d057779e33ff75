"""The window while it trains, offscreen: training speed while drawing, and how long the GUI stalls.

Run as a child process (`python benchmarks/window.py SECONDS`) so that Qt starts fresh; prints JSON.
The app's default run is trained in the window at the fastest speed setting (as many steps per
frame as the slider allows), then headless in the same process: the window's rate divided by the
headless rate is what drawing leaves of training. Meanwhile a 5 ms timer in the GUI thread
measures the event loop's latency: how late each of its ticks fired, i.e. how long the window would
have ignored a key or a click. BENCH_T0 (the parent's clock at start) gives the time to the first
step in the window. Measuring starts once the worker's multi-step call is compiled (it compiles on
a thread in the first seconds) and the window has trained for one more second.
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
from dropviz.ui.worker import SPEEDS

TICK_MS = 5


def headless_rate(config: Config, seconds: float, k: int | None) -> float:
    """Steps per second of a Trainer alone: one step per call, or k per call."""
    from dropviz.model.trainer import Trainer  # not before the window: the app does not either

    trainer = Trainer(config)
    trainer.step() if k is None else trainer.run_steps(k)
    start, done = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        if k is None:
            trainer.step()
            done += 1
        else:
            done += len(trainer.run_steps(k))
    elapsed = time.perf_counter() - start
    trainer.close()
    return done / elapsed


def window_run(config: Config, seconds: float, started: float) -> dict[str, float]:
    app = QApplication.instance() or QApplication(sys.argv)
    collector = GuiGarbageCollector()  # as the app does
    window = MainWindow(config)
    collector.busy = window.transport.is_playing
    window.resize(1600, 1000)
    window.show()
    app.processEvents()
    shown = time.time() - started
    snapshots: list[tuple[float, int]] = []
    lateness: list[float] = []
    ready: list[float] = []
    first_step: list[float] = []
    clock = QElapsedTimer()
    ticker = QTimer()
    ticker.setTimerType(Qt.PreciseTimer)
    ticker.setInterval(TICK_MS)

    def on_tick() -> None:
        if clock.isValid():
            lateness.append(clock.nsecsElapsed() / 1e6 - TICK_MS)
        clock.restart()

    def on_snapshot(snapshot) -> None:
        if snapshot.step == 0 and not snapshots:
            ready.append(time.time() - started)
            window.handle.sigPlay.emit()  # at the default speed, as a user presses Space
        if snapshot.step > 0 and not first_step:
            first_step.append(time.time() - started)
            window.handle.sigSpeed.emit(SPEEDS[-1])
        snapshots.append((time.perf_counter(), snapshot.step))

    ticker.timeout.connect(on_tick)
    window.handle.sigSnapshot.connect(on_snapshot)
    while not first_step:
        app.processEvents()
        time.sleep(0.001)
    worker = window.handle.worker
    while worker._trainer is None or not worker._trainer.network.train_steps_ready:
        app.processEvents()  # the multi-step call compiles on a thread: measure after it
        time.sleep(0.001)
    warm_until = time.perf_counter() + 1.0
    while time.perf_counter() < warm_until:
        app.processEvents()
    measured_from = len(snapshots)
    ticker.start()
    QTimer.singleShot(round(seconds * 1000), app.quit)
    app.exec_()
    ticker.stop()
    window.close()
    collector.stop()
    (t0, step0), (t1, step1) = snapshots[measured_from], snapshots[-1]
    late = np.maximum(np.array(lateness[1:]), 0.0)
    return {"window_steps_per_second": (step1 - step0) / (t1 - t0),
            "frames_per_second": (len(snapshots) - measured_from - 1) / (t1 - t0),
            "latency_p50_ms": float(np.percentile(late, 50)),
            "latency_p99_ms": float(np.percentile(late, 99)),
            "latency_max_ms": float(late.max()),
            "shown_seconds": shown, "ready_seconds": ready[0],
            "first_step_seconds": first_step[0]}


def main() -> None:
    started = float(os.environ["BENCH_T0"])
    seconds = float(sys.argv[1])
    config = Config()
    window = window_run(config, seconds, started)
    single = [headless_rate(config, seconds / 2, None) for _ in range(2)]
    many = headless_rate(config, seconds / 2, 256)
    window["headless_step_steps_per_second"] = float(np.mean(single))
    window["headless_run_steps_steps_per_second"] = many
    print(json.dumps(window))


if __name__ == "__main__":
    main()
