"""Closing the window, and the whole program, at any moment, for scripts/window_soak.py.

The window's part runs each moment of tests/ui/closing_moments.py on fresh windows sharing one
pool; the program's part sends main.py's program SIGTERM and SIGINT at the same moments.
"""

from __future__ import annotations

import signal
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from PyQt5.QtTest import QTest
from window_processes import Mode, emit, open_window, run_child, window_app

CLOSE_SECONDS = 1.5
EXIT_SECONDS = 5.0


def close_child() -> None:
    """Each moment of tests/ui/closing_moments.py, on fresh windows sharing one pool."""
    from closing_moments import (
        _close_during_a_sweep,
        _close_during_an_export,
        _close_while_compiling,
        _close_while_training,
    )
    from soak_checks import Caught, close_and_check, folder_problems, wait_until
    from ui_helpers import SMALL

    from dropviz.model.trainer import NetworkPool

    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        window_app(folder)
        pool = NetworkPool()
        moments: list[tuple[str, Callable]] = [
            ("a first compile", _close_while_compiling),
            ("training at top speed", _close_while_training),
            ("a rate sweep", _close_during_a_sweep),
            ("right after Export run", _close_during_an_export)]
        for name, moment in moments:
            export = folder / name.replace(" ", "-")
            with Caught() as caught:
                window = open_window(SMALL, pool)
                window.files.ask_export_folder = lambda export=export: export
                moment(window)
                failure = ""
                try:
                    seconds = close_and_check(window)
                except AssertionError as error:
                    failure, seconds = str(error), float("nan")
                stopping = time.perf_counter()
                wait_until(lambda: not any(
                    t.name.startswith(("dropviz-rate", "dropviz-mc"))
                    for t in threading.enumerate()), 10_000, "the job to stop")
                job_seconds = time.perf_counter() - stopping
                QTest.qWait(500)
            files = sorted(path.name for path in export.glob("*"))
            emit(moment=name, seconds=seconds, failure=failure, job_seconds=job_seconds,
                 files=files, file_problems=folder_problems(export),
                 errors=caught.errors[:3])


def program_cases(mode: Mode) -> list[dict]:
    """main.py's program at each moment, sent SIGTERM and SIGINT; a first compile from an empty
    compile cache, so that the signal surely arrives while it compiles."""
    from closing_moments import APP_MOMENTS, run_app_until_signal

    cases = []
    for moment in APP_MOMENTS:
        for number in (signal.SIGTERM, signal.SIGINT):
            with tempfile.TemporaryDirectory() as temporary:
                home = Path(temporary)
                env = ({"PYTENSOR_FLAGS": f"base_compiledir={home / 'cache'}"}
                       if moment == "compiling" else {})
                ended = run_app_until_signal(number, moment, home, env)
                ended["settings"] = (home / "dropviz" / "dropviz.ini").is_file()
                from soak_checks import folder_problems

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
