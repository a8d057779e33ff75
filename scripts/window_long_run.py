"""The window's long run, for scripts/window_soak.py: playing at its top speed, its memory read
every N steps, then one export of everything.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from child_runs import rss_mb
from PyQt5.QtTest import QTest
from window_processes import Mode, emit, open_window, run_child, window_app

# The long run's network, the same as the headless long run of scripts/robustness_report.py.
LONG_SETTINGS = ["hidden_layers=[32,32]", "dataset.n_samples=200", "dropout.input=0.1",
                 "dropout.hidden=0.5", "batch_size=32"]
# Steps per screen update in each half of the long run: the top speed trains fastest and draws
# about 2 snapshots a second; at 20 the window draws about 20 a second, so the curve history
# fills and is decimated.
LONG_SPEEDS = (1000, 20)
MAX_GROWTH_MB = 30.0
WARM_UP_SECONDS = 60.0  # memory may grow while caches fill; after this it must stay flat


def sizes(window: object) -> dict[str, int]:
    """What the window and its worker keep that could grow with the run."""
    run = window.handle.worker.playback.pair.run
    snapshot = window.last_snapshot
    baseline = snapshot.baseline_curves if snapshot is not None else None
    return {"curve_points": len(snapshot.curves[0]) if snapshot is not None else 0,
            "curve_stride": run.record.curves.stride,
            "baseline_points": len(baseline[0]) if baseline is not None else 0,
            "evaluations": len(run.record.evaluations),
            "record_curve_points": len(run.record.curves),
            "raster_steps": run.raster.length,
            "batch_mask_steps": len(run.record.batch_masks._steps),
            "markers": len(window.loss_view.markers.items())}


def long_child(steps: int, every: int, seconds: float) -> None:
    from PyQt5.QtCore import Qt
    from soak_checks import close_and_check, folder_problems, press, wait_until

    from dropviz.model.config import Config
    from dropviz.model.trainer import NetworkPool
    from dropviz.ui.worker.worker import SPEEDS

    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        window_app(folder)
        emit(imported_rss_mb=rss_mb())
        window = open_window(Config().with_overrides(LONG_SETTINGS), NetworkPool())
        window.files.ask_export_folder = lambda: folder / "export"
        snapshots = [0]
        window.handle.sigSnapshot.connect(lambda _: snapshots.__setitem__(0, snapshots[0] + 1))
        started = time.perf_counter()
        emit(step=0, seconds=0.0, rss_mb=rss_mb(), speed=0, snapshots=0, **sizes(window))
        press(window, Qt.Key_Space)
        due = every
        for phase, speed in enumerate(LONG_SPEEDS, start=1):
            window.transport.speed.setValue(SPEEDS.index(speed))
            target = steps * phase // len(LONG_SPEEDS)
            deadline = started + seconds * phase / len(LONG_SPEEDS)
            while window.last_snapshot.step < target and time.perf_counter() < deadline:
                QTest.qWait(20)
                if window.last_snapshot.step >= due:
                    emit(step=window.last_snapshot.step, seconds=time.perf_counter() - started,
                         rss_mb=rss_mb(), speed=speed, snapshots=snapshots[0], **sizes(window))
                    due += every
        window.handle.sigPause.emit()
        wait_until(lambda: not window.last_snapshot.playing, 30_000, "the pause")
        step = window.last_snapshot.step
        elapsed = time.perf_counter() - started
        exporting = time.perf_counter()
        press(window, Qt.Key_E, Qt.ControlModifier)
        wait_until(lambda: not window.files.progress.isVisible()
                   and window.banner.text().startswith(("Exported", "The model")),
                   120_000, "the export")
        export_seconds = time.perf_counter() - exporting
        files = {path.name: path.stat().st_size for path in (folder / "export").iterdir()}
        problems = folder_problems(folder / "export")
        end_sizes = sizes(window)
        close_seconds = close_and_check(window)
        emit(final_step=step, seconds=elapsed, final_rss_mb=rss_mb(), files=files,
             snapshots=snapshots[0],
             file_problems=problems, export_seconds=export_seconds, close_seconds=close_seconds,
             banner=window.banner.text()[:200], **end_sizes)


def long_run(mode: Mode) -> tuple[list[str], bool]:
    lines = run_child("--long-child", str(mode.long_steps), str(mode.sample_every),
                      str(mode.long_seconds))
    imported, samples, final = lines[0], lines[1:-1], lines[-1]
    warm = next((s for s in samples if s["seconds"] >= WARM_UP_SECONDS), samples[-1])
    growth = max(s["rss_mb"] for s in samples if s["step"] >= warm["step"]) - warm["rss_mb"]
    reached = final["final_step"] >= mode.long_steps
    ok = (growth < MAX_GROWTH_MB and not final["file_problems"]
          and final["banner"].startswith("Exported")
          and final["curve_points"] <= 2000 and final["raster_steps"] <= 100
          and final["batch_mask_steps"] <= 100)
    rows = "\n".join(f"| {s['step']:,} | {s['seconds']:.0f} | {s['speed'] or ''} | "
                     f"{s['rss_mb']:.1f} | {s['curve_points']:,} (x{s['curve_stride']}) | "
                     f"{s['evaluations']:,} |" for s in samples)
    phases = []
    begin = samples[0]
    for speed in LONG_SPEEDS:
        own = [sample for sample in samples if sample["speed"] == speed]
        if own:
            end = own[-1]
            seconds = end["seconds"] - begin["seconds"]
            phases.append(f"{end['step'] - begin['step']:,} steps at {speed} per update in "
                          f"{seconds:.0f} s ({(end['step'] - begin['step']) / seconds:,.0f} "
                          f"steps/s, {(end['snapshots'] - begin['snapshots']) / seconds:.1f} "
                          "snapshots drawn a second)")
            begin = end
    text = [
        f"The window, offscreen, with {', '.join(LONG_SETTINGS)}, in a fresh process, playing "
        f"{mode.long_steps:,} steps: the first half at the top speed of "
        f"{LONG_SPEEDS[0]} steps per screen update, the second at {LONG_SPEEDS[1]}, where the "
        "window draws ten times as many snapshots, so the curve history fills and is decimated. "
        f"Its resident memory (VmRSS) was read every {mode.sample_every:,} steps: "
        + "; ".join(phases)
        + ("" if reached else f"; stopped by the time limit of {mode.long_seconds:.0f} s at step "
           f"{final['final_step']:,}") + f". {final['snapshots']:,} snapshots in all (each with "
        "its evaluation, masks, weights and decision map), then one Export run of everything.",
        "",
        "| step | seconds | speed | RSS (MB) | curve points kept (each the mean of) | "
        "evaluations kept |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
        rows,
        "",
        f"- memory once imported {imported['imported_rss_mb']:.1f} MB, with the window up "
        f"{samples[0]['rss_mb']:.1f} MB, after the first minute (step {warm['step']:,}) "
        f"{warm['rss_mb']:.1f} MB, at the end {final['final_rss_mb']:.1f} MB; largest growth "
        f"after the first minute {growth:+.1f} MB (the check allows {MAX_GROWTH_MB:.0f} MB): "
        f"**{'bounded' if growth < MAX_GROWTH_MB else 'GROWING'}**",
        f"- kept at the end: the window's curves {final['curve_points']:,} points (capacity 2,000; "
        f"each now the mean of {final['curve_stride']} snapshots), the worker's copy of them "
        f"{final['record_curve_points']:,}, the mask raster the last {final['raster_steps']} "
        f"steps, the whole batch's masks the last {final['batch_mask_steps']} steps, evaluations "
        f"{final['evaluations']:,} (one per snapshot, thinned by half past 20,000), markers "
        f"{final['markers']}",
        f"- the export took {final['export_seconds']:.1f} s, "
        + ", ".join(f"{name} {size / 1024:,.0f} KB" for name, size in sorted(final["files"].items()))
        + f"; files that did not open whole: {len(final['file_problems'])}; closing took "
        f"{final['close_seconds']:.2f} s",
    ]
    return text, ok
