"""Writers of experiments and runs killed with SIGKILL in the middle of a write, for
scripts/robustness_report.py (and one trial in tests/model/test_fuzz_files.py).

The writer loop runs as `robustness_report.py --write-loop FOLDER`, in a session of its own.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from robustness_processes import ROOT, SCRIPT, Mode

from dropviz.model.config import Config
from dropviz.model.errors import DropvizError
from dropviz.model.experiment import load_experiment, save_experiment
from dropviz.model.export import METRIC_COLUMNS, load_inference_model, write_run
from dropviz.model.file_names import EXPERIMENT_FILE, RUN_FILES
from dropviz.model.files import read_npz
from dropviz.model.results import BatchMaskRecorder
from dropviz.model.trainer import NetworkPool, Trainer

# A writer saves an experiment with this much curve history, so a write lasts long enough to be
# caught in the middle.
KILL_EXTRA_VALUES = 4 * 2**20
KILL_SETTINGS = ["hidden_layers=[16,8]", "dataset.n_samples=120", "batch_size=10"]


def write_loop(folder: Path) -> None:
    """Save an experiment and export a run over and over, as a window saving on every change
    would, until killed. "ready" is printed once every file has been written whole once."""
    trainer = Trainer(Config().with_overrides(KILL_SETTINGS))
    recorder, history = BatchMaskRecorder(), []
    extra = {"curve": np.random.default_rng(0).random(KILL_EXTRA_VALUES)}
    rounds = 0
    while True:
        for _ in range(5):
            recorder.add(trainer.step())
        history.append(trainer.evaluate())
        save_experiment(folder / EXPERIMENT_FILE, trainer, history, extra)
        write_run(folder / "run", trainer, history, recorder.arrays())
        if rounds == 0:
            print("ready", flush=True)
        rounds += 1


def processes_in_group(group: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == group:
                found.append(int(entry.name))
    return found


def check_written(folder: Path, pool: NetworkPool) -> list[str]:
    """Every file under its real name must open whole; anything else must be a .part file."""
    problems = []
    real = {path for path in folder.rglob("*") if path.is_file() and path.suffix != ".part"}
    expected = {folder / EXPERIMENT_FILE, *(folder / "run" / name for name in RUN_FILES)}
    problems += [f"unexpected file {path}" for path in real - expected]
    problems += [f"missing {path}" for path in expected - real]
    checks: list[tuple[str, Callable[[], object]]] = [
        ("experiment", lambda: load_experiment(folder / EXPERIMENT_FILE, pool).trainer.close()),
        ("weights", lambda: load_inference_model(folder / "run")),
        ("config.json", lambda: Config.load(folder / "run" / "config.json")),
        ("data.npz", lambda: read_npz(folder / "run" / "data.npz", "data")),
        ("masks.npz", lambda: read_npz(folder / "run" / "masks.npz", "masks")),
    ]
    for name, check in checks:
        try:
            check()
        except DropvizError as error:
            problems.append(f"{name}: {error}")
    with (folder / "run" / "metrics.csv").open(newline="") as stream:
        rows = list(csv.reader(stream))
    if tuple(rows[0]) != METRIC_COLUMNS or any(len(row) != len(METRIC_COLUMNS) for row in rows):
        problems.append("metrics.csv is not whole")
    return problems


def kill_trial(folder: Path, delay: float, pool: NetworkPool) -> dict:
    """Start a writer, wait `delay`, then kill it with SIGKILL the moment a write is under way."""
    child = subprocess.Popen([sys.executable, str(SCRIPT), "--write-loop", str(folder)],
                             stdout=subprocess.PIPE, text=True, cwd=ROOT, start_new_session=True)
    if child.stdout.readline().strip() != "ready":
        raise RuntimeError("the writer did not start")
    time.sleep(delay)
    deadline = time.monotonic() + 60
    while not any(folder.rglob("*.part")) and time.monotonic() < deadline:
        time.sleep(0.0005)
    os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    child.stdout.close()
    left_over = sorted(path.name for path in folder.rglob("*.part"))
    return {"left_over": left_over, "problems": check_written(folder, pool),
            "stray": processes_in_group(child.pid)}


def kills(mode: Mode, folder: Path) -> tuple[list[str], bool]:
    rng, pool = np.random.default_rng(0), NetworkPool()
    trials = []
    for trial in range(mode.kill_trials):
        trials.append(kill_trial(folder / f"trial{trial}", float(rng.uniform(0.0, 2.0)), pool))
    mid = sum(bool(t["left_over"]) for t in trials)
    problems = [p for t in trials for p in t["problems"]]
    strays = sum(len(t["stray"]) for t in trials)
    leftovers = sum(len(t["left_over"]) for t in trials)
    caught = sorted({name.split(".")[1] for t in trials for name in t["left_over"]})
    ok = not problems and not strays
    text = [
        f"A writer process saving an experiment ({KILL_EXTRA_VALUES * 8 // 2**20} MB of curve "
        "history) and exporting a run in a loop, killed with SIGKILL the moment a temporary file "
        f"appeared: {len(trials)} trials, {mid} killed mid-write (files being written when killed: "
        f"{', '.join(caught)}).",
        "",
        f"- files under their real names that did not open whole: {len(problems)}"
        + (" (" + "; ".join(problems[:3]) + ")" if problems else ""),
        f"- temporary `.part` files left behind: {leftovers} (the only leftovers; nothing removes "
        "them after a kill)",
        f"- processes left running: {strays}",
        "- each file is replaced whole, but a run folder is not replaced as one: a kill between two "
        "files leaves, say, a new config.json next to the previous weights.npz",
    ]
    return text, ok
