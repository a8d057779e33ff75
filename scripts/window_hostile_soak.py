"""The window opening hostile files for a while: each refused with a message, the window responsive.

    .venv/bin/python scripts/window_hostile_soak.py [--seconds 60]

Issue 19 found File > Open CSV on a FIFO freezing the GUI thread until SIGKILL. Here an offscreen
window is offered, in a random order and for `--seconds`, the files the CLI's hostile cases use
(FIFOs, a device, a folder, CSV files that lose rows, forged experiments, a description of 3
million evaluations), through the same entry points as its dialogs and drops (open_csv,
FileActions.open_path, a drop on the window). A timer on the GUI thread measures the longest gap
between its ticks, and after every few files the run must still take a step. Prints one JSON line;
robustness_report.py turns it into a section of docs/robustness.md. Linux only (FIFOs, /dev/zero).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts"), str(ROOT / "tests" / "ui")]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PyQt5.QtCore import QElapsedTimer, QTimer  # noqa: E402
from window_soak import open_window, window_app  # noqa: E402

TICK_MS = 10
ANSWER_SECONDS = 20.0  # a build refusing a bad CSV runs on the worker; the GUI must stay free
MAX_GAP_MS = 2000.0  # frozen for this long, a window is not responsive; the FIFO froze it for good


def hostile_files(folder: Path, pool: object, config: object) -> list[tuple[str, Path]]:
    """(kind, path): kind "csv" goes through Open CSV, "experiment" through Open experiment."""
    from dropviz.model.experiment import save_experiment
    from dropviz.model.trainer import Trainer

    for name in ("pipe.csv", "pipe.dropviz"):
        os.mkfifo(folder / name)
    (folder / "a-folder.csv").mkdir()
    rows = [f"{i % 7}.5,{(i * 3) % 11}.25,{'ab'[i % 2]}" for i in range(200)]
    quoted = list(rows)
    quoted[50] = quoted[50].rsplit(",", 1)[0] + ',"' + quoted[50].rsplit(",", 1)[1]
    ragged = list(rows)
    ragged[30] += ",extra"
    for name, body in (("quote.csv", quoted), ("ragged.csv", ragged)):
        (folder / name).write_text("x,y,label\n" + "\n".join(body) + "\n")
    (folder / "binary.csv").write_bytes(bytes(range(256)) * 64)
    (folder / "empty.csv").write_text("")
    trainer = Trainer(config, pool)
    for _ in range(5):
        trainer.step()
    good = folder / "good.dropviz"
    save_experiment(good, trainer, [trainer.evaluate()])
    trainer.close()
    with np.load(good, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    meta = json.loads(arrays["meta"].tobytes())
    changes = {
        "step-true": lambda m, a: m.__setitem__("step", True),
        "step-huge": lambda m, a: m.__setitem__("step", 10**30),
        "history-nan": lambda m, a: m.__setitem__("history", [[0, 0.0, float("nan"), 0, 0, 0]]),
        "history-3m": lambda m, a: m.__setitem__("history", [[0, 0.0, 0.5, 0.5, 0.5, 0.5]]
                                                 * 3_000_001),
        "adam": lambda m, a: a.__setitem__("opt__W1_m", np.full_like(a["opt__W1_m"], 1e30)),
    }
    forged = []
    for name, change in changes.items():
        changed_meta, changed = json.loads(json.dumps(meta)), dict(arrays)
        change(changed_meta, changed)
        changed["meta"] = np.frombuffer(json.dumps(changed_meta).encode(), dtype=np.uint8)
        buffer = io.BytesIO()
        np.savez(buffer, **changed)
        (folder / f"{name}.dropviz").write_bytes(buffer.getvalue())
        forged.append(("experiment", folder / f"{name}.dropviz"))
    csvs = ["pipe.csv", "a-folder.csv", "quote.csv", "ragged.csv", "binary.csv", "empty.csv"]
    return [*(("csv", folder / name) for name in csvs), ("csv", Path("/dev/zero")),
            ("experiment", folder / "pipe.dropviz"), ("experiment", Path("/dev/zero")), *forged]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    import test_soak
    from PyQt5.QtWidgets import QApplication
    from ui_helpers import SMALL

    from dropviz.model.trainer import NetworkPool

    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        window_app(folder)
        pool = NetworkPool()
        files = hostile_files(folder, pool, SMALL)
        with test_soak.Caught() as caught:
            window = open_window(SMALL, pool)
            gaps, clock = [0.0], QElapsedTimer()
            clock.start()

            def tick() -> None:
                gaps.append(clock.restart())

            timer = QTimer()
            timer.timeout.connect(tick)
            timer.start(TICK_MS)
            result = soak(window, files, args.seconds, random.Random(args.seed), QApplication, gaps)
            result["valid_file_gap_ms"] = open_valid(window, folder / "good.dropviz", QApplication,
                                                     gaps)
            timer.stop()
            window.close()
        result.update(max_gap_ms=max(gaps[1:] or [0.0]), errors=caught.errors[:5])
    print(json.dumps(result), flush=True)
    ok = (not result["errors"] and result["max_gap_ms"] < MAX_GAP_MS and not result["unanswered"]
          and result["steps"] > 0)
    return 0 if ok else 1


def open_valid(window, path: Path, app, gaps: list[float]) -> float:
    """The longest GUI gap while a valid experiment (saved at step 5) opens, for comparison."""
    window.handle.sigStep.emit()  # off step 5, so that reaching it means the file opened
    first_gap, asked = len(gaps), time.perf_counter()
    window.files.open_path(path)
    while window.last_snapshot.step != 5 and time.perf_counter() - asked < ANSWER_SECONDS:
        app.processEvents()
        time.sleep(0.005)
    return max(gaps[first_gap:], default=0.0) if window.last_snapshot.step == 5 else -1.0


def soak(window, files, seconds: float, rng: random.Random, app, gaps: list[float]) -> dict:
    """Open files until `seconds` pass; every third one, a step must still run. `gaps` fills with
    the GUI timer's gaps, so each file's longest gap is known."""
    started = time.perf_counter()
    opened, unanswered, messages, steps, slowest = 0, [], {}, 0, {}
    while time.perf_counter() - started < seconds:
        kind, path = rng.choice(files)
        first_gap = len(gaps)
        window.banner.clear()
        asked = time.perf_counter()
        if kind == "csv":
            window.open_csv(str(path), label="label")
        else:
            window.files.open_path(path)
        while window.banner.kind() != "error" and time.perf_counter() - asked < ANSWER_SECONDS:
            app.processEvents()
            time.sleep(0.005)
        opened += 1
        slowest[path.name] = max(slowest.get(path.name, 0.0), *gaps[first_gap:], 0.0)
        if window.banner.kind() == "error":
            messages.setdefault(path.name, window.banner.text()[:110])
        else:
            unanswered.append(path.name)
        if opened % 3 == 0:
            target = window.last_snapshot.step + 1
            window.handle.sigStep.emit()
            waited = time.perf_counter()
            while window.last_snapshot.step < target and time.perf_counter() - waited < 30:
                app.processEvents()
                time.sleep(0.005)
            steps += window.last_snapshot.step >= target
    return {"seconds": time.perf_counter() - started, "opened": opened, "steps": steps,
            "unanswered": sorted(set(unanswered)), "messages": messages, "slowest_ms": slowest}


if __name__ == "__main__":
    sys.exit(main())
