"""Measure how the dropviz window holds up and write the figures to docs/robustness-window.md.

    .venv/bin/python scripts/window_soak.py           # full: 3-minute soak, 200,000 steps, ~15 min
    .venv/bin/python scripts/window_soak.py --quick   # a few minutes: the same checks, smaller

Four parts, each a check as well as a figure, so the script exits 1 if any of them fails; each
window part runs in a fresh process, so the memory it reports is its own:
- a soak: the random user actions of tests/ui/test_soak.py for minutes instead of seconds, with
  its checkpoints (the run shown is the run the controls describe, replayed headlessly);
- a long run: the window, offscreen, playing at its top speed, its memory read every N steps;
- closing the window in the middle of a compile, training, a sweep and an export;
- the program itself (main.py's entry point) sent SIGTERM or SIGINT at those same moments.
It writes a section of its own, not a part of docs/robustness.md, because
scripts/robustness_report.py rewrites that file whole.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "ui")]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PyQt5.QtCore import QSettings  # noqa: E402
from PyQt5.QtTest import QTest  # noqa: E402
from PyQt5.QtWidgets import QApplication  # noqa: E402

SCRIPT = Path(__file__).resolve()
DOC = ROOT / "docs" / "robustness-window.md"
# The long run's network, the same as the headless long run of scripts/robustness_report.py.
LONG_SETTINGS = ["hidden_layers=[32,32]", "dataset.n_samples=200", "dropout.input=0.1",
                 "dropout.hidden=0.5", "batch_size=32"]
# Steps per screen update in each half of the long run: the top speed trains fastest and draws
# about 2 snapshots a second; at 20 the window draws about 20 a second, so the curve history
# fills and is decimated.
LONG_SPEEDS = (1000, 20)
MAX_GROWTH_MB = 30.0
WARM_UP_SECONDS = 60.0  # memory may grow while caches fill; after this it must stay flat
CLOSE_SECONDS = 1.5
EXIT_SECONDS = 5.0


@dataclass(frozen=True)
class Mode:
    soak_seconds: float
    long_steps: int
    sample_every: int
    long_seconds: float  # the long run stops here, whatever its step, and says so


FULL = Mode(soak_seconds=180, long_steps=200_000, sample_every=10_000, long_seconds=600)
QUICK = Mode(soak_seconds=30, long_steps=20_000, sample_every=2_000, long_seconds=120)


def rss_mb() -> float:
    """Resident memory as the kernel counts it (what a user sees in top)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status; this script needs Linux")


def emit(**values: object) -> None:
    print(json.dumps(values), flush=True)


def run_child(*args: str, timeout: float = 3600) -> list[dict]:
    """Run this script in a fresh process and read the JSON lines it prints."""
    result = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                            timeout=timeout, cwd=ROOT)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


_apps: list[object] = []  # an application (or collector) nobody holds would be deleted at once


def window_app(folder: Path) -> None:
    """An offscreen application whose settings stay in `folder`, never in the user's."""
    if QApplication.instance() is None:
        from dropviz.ui.garbage import GuiGarbageCollector

        _apps.append(QApplication(["dropviz-soak"]))
        _apps.append(GuiGarbageCollector())
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(folder / "settings"))


def open_window(config: object, pool: object) -> object:
    """A shown window at step 0 of its run, as the tests' make_window makes it."""
    import test_soak

    from dropviz.ui.main_window import MainWindow

    window = MainWindow(config, pool=pool)
    window.resize(1400, 900)
    window.show()
    window.activateWindow()
    test_soak.wait_until(lambda: window.last_snapshot is not None, 300_000, "the first snapshot")
    return window


# --- the soak ----------------------------------------------------------------------------------

def soak_child(seconds: float, seed: int) -> None:
    import test_soak
    from ui_helpers import SMALL

    from dropviz.model.trainer import NetworkPool

    with tempfile.TemporaryDirectory() as temporary:
        window_app(Path(temporary))
        folder = Path(temporary) / "files"  # the soak's exports and saves; settings stay apart
        folder.mkdir()
        pool = NetworkPool()
        failure = ""
        with test_soak.Caught() as caught:
            window = open_window(SMALL, pool)
            start_rss = rss_mb()
            soak = test_soak.Soak(window, pool, seed, folder)
            started = time.perf_counter()
            try:
                test_soak.run_and_close(soak, 10**9, seconds)
            except AssertionError as error:
                failure = str(error)[:3000]
                window.close()
            elapsed = time.perf_counter() - started
        exported = sum(text.startswith("Exported the run") for _, text in soak.log.banners)
        emit(actions=dict(soak.done.most_common()), checks=dict(soak.checks), runs=soak.log.runs,
             snapshots=soak.log.snapshots, exports=exported, export_asked=len(soak.exports),
             saved=len(soak.saved), file_problems=test_soak.folder_problems(folder),
             errors=caught.errors[:5],
             banners=sorted({text[:90] for kind, text in soak.log.banners if kind == "error"}),
             networks=sum(len(free) for free in pool._free.values()), shapes=len(pool._free),
             failure=failure, seconds=elapsed, start_rss_mb=start_rss, end_rss_mb=rss_mb())


def soak(mode: Mode, seed: int) -> tuple[list[str], bool]:
    from test_soak import CHECK_EVERY, MAX_GAP_MS, REPLAY_RTOL, Z_LIMIT

    result = run_child("--soak-child", str(mode.soak_seconds), str(seed))[0]
    actions = result["actions"]
    ok = not (result["failure"] or result["errors"] or result["file_problems"])
    checks = result["checks"]
    rows = "\n".join(f"| {name} | {count:,} |" for name, count in actions.items())
    text = [
        f"Seeded random user actions (seed {seed}) on a window training the small config of the "
        f"window tests, for {result['seconds']:.0f} s, each followed by a random pause of up to "
        f"{MAX_GAP_MS} ms; every {CHECK_EVERY} actions, and at the end, a checkpoint waits for "
        "the worker to take in every request, pauses, takes one step and compares.",
        "",
        "| action | times |",
        "| --- | ---: |",
        rows,
        f"| **total** | **{sum(actions.values()):,}** |",
        "",
        f"- {result['runs']:,} runs started and {result['snapshots']:,} snapshots received, each "
        "checked as it arrived (the step never goes back within a run, a new run starts at step "
        "0, the config is of the run started, the masks are of its layers)",
        f"- {checks.get('checkpoints', 0)} checkpoints: the snapshot's config equals the "
        "controls' (and the widgets read back give the same config), the speed and the compare "
        f"toggle agree with the worker; {checks.get('runs replayed headlessly', 0)} runs replayed "
        "headlessly from their start and live changes gave the same masks bit for bit, and the "
        f"same weights and evaluation: {checks.get('runs replayed bit for bit', 0)} of them bit "
        f"for bit, the others within {REPLAY_RTOL:g} (see the last point); "
        f"{checks.get('layers with a plausible dropped share', 0)} layers had enough mask draws "
        f"to compare their dropped share with the rate shown (within {Z_LIMIT:g} sigma)",
        f"- files: {result['export_asked']} exports asked for, {result['exports']} written whole "
        f"(plots included), {result['saved']} experiments saved; files in the folder that did "
        f"not open whole, or `.part` files: {len(result['file_problems'])}",
        "- error banners: " + ("; ".join(result["banners"]) or "none")
        + " (the only ones allowed: an export, a save or an open refused while a new run is "
        "being built)",
        f"- exceptions anywhere (GUI, worker, daemon threads): {len(result['errors'])}; "
        f"memory {result['start_rss_mb']:.0f} MB at the start, {result['end_rss_mb']:.0f} MB at "
        f"the end, most of the difference the {result['networks']} compiled networks of "
        f"{result['shapes']} shapes the pool keeps for reuse: **{'ok' if ok else 'FAILED'}**",
        "- a replay that differs in the last bits: OpenBLAS's thread count is one for the whole "
        "process, and `call_with_blas_threads` (dropviz/model/backend.py) sets it without a lock, "
        "so a product of the worker's that runs while a build or job thread sets it can run on "
        "two threads, which rounds differently; training is then not reproducible to the bit",
    ]
    if result["failure"]:
        text.append(f"- failure: `{result['failure'].splitlines()[0]}`")
    return text, ok


# --- the long run ------------------------------------------------------------------------------

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
    import test_soak

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
        test_soak.press(window, test_soak.Qt.Key_Space)
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
        test_soak.wait_until(lambda: not window.last_snapshot.playing, 30_000, "the pause")
        step = window.last_snapshot.step
        elapsed = time.perf_counter() - started
        exporting = time.perf_counter()
        test_soak.press(window, test_soak.Qt.Key_E, test_soak.Qt.ControlModifier)
        test_soak.wait_until(lambda: not window.files.progress.isVisible()
                             and window.banner.text().startswith(("Exported", "The model")),
                             120_000, "the export")
        export_seconds = time.perf_counter() - exporting
        files = {path.name: path.stat().st_size for path in (folder / "export").iterdir()}
        problems = test_soak.folder_problems(folder / "export")
        end_sizes = sizes(window)
        close_seconds = test_soak.close_and_check(window)
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


# --- closing -----------------------------------------------------------------------------------

def close_child() -> None:
    """Each moment of tests/ui/test_soak.py, on fresh windows sharing one pool."""
    import test_soak
    from ui_helpers import SMALL

    from dropviz.model.trainer import NetworkPool

    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        window_app(folder)
        pool = NetworkPool()
        moments: list[tuple[str, Callable]] = [
            ("a first compile", test_soak._close_while_compiling),
            ("training at top speed", test_soak._close_while_training),
            ("a rate sweep", test_soak._close_during_a_sweep),
            ("right after Export run", test_soak._close_during_an_export)]
        for name, moment in moments:
            export = folder / name.replace(" ", "-")
            with test_soak.Caught() as caught:
                window = open_window(SMALL, pool)
                window.files.ask_export_folder = lambda export=export: export
                moment(window)
                failure = ""
                try:
                    seconds = test_soak.close_and_check(window)
                except AssertionError as error:
                    failure, seconds = str(error), float("nan")
                stopping = time.perf_counter()
                test_soak.wait_until(lambda: not any(
                    t.name.startswith(("dropviz-rate", "dropviz-mc"))
                    for t in threading.enumerate()), 10_000, "the job to stop")
                job_seconds = time.perf_counter() - stopping
                QTest.qWait(500)
            files = sorted(path.name for path in export.glob("*"))
            emit(moment=name, seconds=seconds, failure=failure, job_seconds=job_seconds,
                 files=files, file_problems=test_soak.folder_problems(export),
                 errors=caught.errors[:3])


def program_cases(mode: Mode) -> list[dict]:
    """main.py's program at each moment, sent SIGTERM and SIGINT; a first compile from an empty
    compile cache, so that the signal surely arrives while it compiles."""
    from test_soak import APP_MOMENTS, run_app_until_signal

    cases = []
    for moment in APP_MOMENTS:
        for number in (signal.SIGTERM, signal.SIGINT):
            with tempfile.TemporaryDirectory() as temporary:
                home = Path(temporary)
                env = ({"PYTENSOR_FLAGS": f"base_compiledir={home / 'cache'}"}
                       if moment == "compiling" else {})
                ended = run_app_until_signal(number, moment, home, env)
                ended["settings"] = (home / "dropviz" / "dropviz.ini").is_file()
                from test_soak import folder_problems

                ended["file_problems"] = folder_problems(home / "export")
            cases.append({"moment": moment, "signal": signal.Signals(number).name, **ended})
    return cases


def closing(mode: Mode) -> tuple[list[str], bool]:
    in_window = run_child("--close-child")
    programs = program_cases(mode)
    ok = True
    rows = []
    for case in in_window:
        good = (not case["failure"] and not case["errors"] and not case["file_problems"]
                and case["seconds"] < CLOSE_SECONDS)
        ok = ok and good
        files = f"{len(case['files'])} files, all whole" if case["files"] else "none"
        rows.append(f"| {case['moment']} | {case['seconds']:.3f} | {case['job_seconds']:.2f} | "
                    f"{files} | {'ok' if good else 'FAILED: ' + case['failure'][:80]} |")
    program_rows = []
    for case in programs:
        good = (case["code"] == 0 and case["seconds"] < EXIT_SECONDS and not case["left"]
                and not case["file_problems"] and case["settings"]
                and "Traceback" not in case["stderr"])
        ok = ok and good
        files = (f"{len(case['files'])} files, all whole" if case["files"] and
                 not case["file_problems"] else "; ".join(case["file_problems"]) or "none")
        program_rows.append(
            f"| {case['moment']} | {case['signal']} | {case['code']} | {case['seconds']:.2f} | "
            f"{len(case['left'])} | {files} | {'yes' if case['settings'] else 'no'} | "
            f"{'ok' if good else 'FAILED'} |")
    text = [
        "In the window (a fresh one for each moment, closed as the user closes it): the close "
        f"must return within {CLOSE_SECONDS} s with the worker's thread finished and no thread "
        "left that keeps Python alive; a job still running must stop by itself; every file in "
        "the export folder must open whole (JSON, .npz and .dropviz loaded with "
        "allow_pickle=False, PNG from signature to IEND, SVG parsed, CSV rows of one length) and "
        "no `.part` file may be left.",
        "",
        "| closed during | close (s) | job stopped after (s) | export folder | result |",
        "| --- | ---: | ---: | --- | --- |",
        *rows,
        "",
        "The program (`python main.py`'s entry point, offscreen, in a session of its own, with "
        "settings in a temporary folder), brought to each moment by a probe and sent a signal: "
        f"it must exit with status 0 within {EXIT_SECONDS:.0f} s, leave no process of its session "
        "running, no file half-written, and remember its settings as a closed window does. The "
        "compile case starts from an empty compile cache.",
        "",
        "| moment | signal | exit status | exit after (s) | processes left | export folder | "
        "settings saved | result |",
        "| --- | --- | ---: | ---: | ---: | --- | --- | --- |",
        *program_rows,
        "",
        "- a close right after Export run: the worker finishes writing the model's files and the "
        "experiment before it stops, so they are whole; the plots are drawn on the GUI thread "
        "once the worker's answer arrives, which the program, quitting with its window, never "
        "reads: such a folder has the model's files but no plots (the tests, whose event loop "
        "goes on, see the plots written too)",
        "- a build or job thread still compiling or training when the window closes is a daemon "
        "thread: it ends with the process, and no compiler process is started (NUMBA compiles "
        "in-process)",
    ]
    return text, ok


# --- the report ----------------------------------------------------------------------------------

def report(mode: Mode, seed: int) -> tuple[str, bool]:
    started = time.perf_counter()
    soak_text, soak_ok = soak(mode, seed)
    long_text, long_ok = long_run(mode)
    close_text, close_ok = closing(mode)
    lines = [
        "# Robustness of the window",
        "",
        "Produced by `scripts/window_soak.py" + (" --quick" if mode is QUICK else "")
        + f"` in {time.perf_counter() - started:,.0f} s on the offscreen platform; re-run it to "
        "refresh every figure. `tests/ui/test_soak.py` runs the same soak for about 200 actions, "
        "the same closing moments and the program's SIGTERM and SIGINT while training. The model "
        "side (a headless long run, fuzzed loaders, kills mid-write) is in "
        "[robustness.md](robustness.md).",
        "",
        "## Random user actions",
        "",
        *soak_text,
        "",
        "## A long run in the window",
        "",
        *long_text,
        "",
        "## Closing at any moment",
        "",
        *close_text,
        "",
    ]
    return "\n".join(lines), soak_ok and long_ok and close_ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a 30 s soak and 20,000 steps")
    parser.add_argument("--seed", type=int, default=1, help="of the soak's random actions")
    parser.add_argument("--out", type=Path, help=f"where to write the report (full mode: {DOC})")
    parser.add_argument("--soak-child", nargs=2, metavar=("SECONDS", "SEED"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--long-child", nargs=3, metavar=("STEPS", "EVERY", "SECONDS"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--close-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.soak_child:
        soak_child(float(args.soak_child[0]), int(args.soak_child[1]))
        return 0
    if args.long_child:
        long_child(int(args.long_child[0]), int(args.long_child[1]), float(args.long_child[2]))
        return 0
    if args.close_child:
        close_child()
        return 0
    from dropviz.model.files import write_text_atomic

    mode = QUICK if args.quick else FULL
    text, ok = report(mode, args.seed)
    print(text)
    out = args.out or (None if args.quick else DOC)
    if out:
        write_text_atomic(out, text)
    if not ok:
        print("window robustness checks FAILED; see above", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
