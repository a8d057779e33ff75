"""The hostile cases of issue 19, run against the CLI as a user would: one subprocess each.

Each case makes its files, runs `python -m dropviz ...` in a fresh process (under a memory cap, so a
read that never ends cannot take the machine, and a timeout, so one that blocks cannot stall the
report), and checks what a user must see: for bad input one line on stderr and exit 2, before any
training; for Ctrl+C one line and exit 130 with no temporary file left; for a run into a folder
another run holds, neither run's files mixed with the other's. A case that fails is reported as
failing. Used by robustness_report.py; `--hostile` there runs this section alone.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from hostile_runs import (
    MEMORY_CAP,
    ROOT,
    SMALL,
    TIMEOUT,
    Case,
    Outcome,
    a_fifo,
    big_csv,
    decimal_commas,
    dropviz,
    history_of,
    limit_memory,
    ragged,
    refused,
    resume_refused,
    saved_run,
    set_array,
    set_meta,
    settings_file,
    stray_quote,
    with_file,
)

# --- cases with processes of their own ----------------------------------------------------------

def interrupted(delay: float, what: str) -> Callable[[Path], tuple]:
    """Ctrl+C as a terminal sends it (SIGINT to the process group) `delay` seconds in."""
    def run(folder: Path) -> tuple[Outcome, bool, str]:
        out = folder / f"interrupted-{delay:g}"
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "dropviz", "train", *SMALL, "--steps", "5000000", "--out",
             str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
            preexec_fn=limit_memory)
        time.sleep(delay)
        os.killpg(process.pid, signal.SIGINT)
        try:
            stdout, stderr = process.communicate(timeout=60)
            status = process.returncode
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
            status = None
        outcome = Outcome(status, stdout, stderr, time.perf_counter() - started)
        parts = list(out.rglob("*.part")) if out.exists() else []
        ok = status == 130 and outcome.one_line and not parts
        note = f" ({len(parts)} .part left)" if parts else ""
        return outcome, ok, f"{what}: exit 130, one line, no .part file{note}"
    return run


def two_runs_one_folder(folder: Path) -> tuple[Outcome, bool, str]:
    """A long run into a folder, and a short one into the same folder while the first trains."""
    out = folder / "shared"
    first = subprocess.Popen([sys.executable, "-m", "dropviz", "train", *SMALL, "--steps", "30000",
                              "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, cwd=ROOT, preexec_fn=limit_memory)
    time.sleep(8)
    second = dropviz("train", *SMALL, "--steps", "20", "--out", str(out))
    first.communicate(timeout=600)
    config = json.loads((out / "config.json").read_text()) if (out / "config.json").exists() else {}
    ok = (second.status == 2 and second.one_line and first.returncode == 0
          and config.get("steps") == 30000)
    return second, ok, ("the second run refused with one line while the first holds the folder; "
                        f"the first exits 0 and its config is what the folder holds (first exited "
                        f"{first.returncode}, folder's steps {config.get('steps')})")


def resume_beside_another_run(folder: Path) -> tuple[Outcome, bool, str]:
    """`resume DIR/other.dropviz` where DIR holds another run: that run's files must survive."""
    target = folder / "other-run"
    source = saved_run(folder)
    target.mkdir()
    for path in source.iterdir():
        if path.is_file():
            (target / path.name).write_bytes(path.read_bytes())
    identity = json.loads((target / "run.json").read_text())
    identity["run_id"] = "another run"
    (target / "run.json").write_text(json.dumps(identity))
    (target / "other.dropviz").write_bytes((source / "experiment.dropviz").read_bytes())
    before = {path.name: path.read_bytes() for path in target.iterdir() if path.name != "other.dropviz"}
    outcome = dropviz("resume", str(target / "other.dropviz"), "--steps", "5")
    after = {path.name: path.read_bytes() for path in target.iterdir() if path.name in before}
    ok = (outcome.status == 2 and outcome.one_line) or (outcome.status == 0 and after == before)
    return outcome, ok, "refused in one line, or the other run's files left as they were"


def window_file_resumed(folder: Path) -> tuple[Outcome, bool, str]:
    """An experiment saved as the window saves it (curves, markers, raster), resumed by the CLI."""
    from dropviz.model.config import Config
    from dropviz.model.trainer import Trainer
    from dropviz.session.run import Run
    from dropviz.session.run_record import window_extra, write_experiment

    config = Config().with_overrides([arg for arg in SMALL if arg != "--set"])
    run = Run(Trainer(config))
    run.train(20)
    run.record.published(run.evaluate())
    extra = window_extra(run.record, run.raster, run.last, 7, [(10.0, "a marker")])
    out = folder / "window-run"
    write_experiment(out / "experiment.dropviz", run.trainer, run.record, extra)
    run.close()
    outcome = dropviz("resume", str(out), "--steps", "10")
    with np.load(out / "experiment.dropviz", allow_pickle=False) as archive:
        kept = sorted(key for key in archive.files if key.startswith("extra__"))
    wanted = sorted(f"extra__{key}" for key in extra)
    ok = outcome.status == 0 and kept == wanted
    return outcome, ok, (f"exit 0 and the {len(wanted)} window arrays kept (kept {len(kept)})")


def out_before_training(make: Callable[[Path], str], says_not: str = "File exists") -> Callable:
    """--out that cannot be written: refused before a long training, not after it."""
    def run(folder: Path) -> tuple[Outcome, bool, str]:
        outcome = dropviz("train", *SMALL, "--steps", "2000000", "--out", make(folder), timeout=90)
        ok = outcome.status == 2 and outcome.one_line and says_not not in outcome.stderr \
            and outcome.seconds < 60
        return outcome, ok, f"exit 2 in one line before training (under 60 s), not '{says_not}'"
    return run


def a_file(folder: Path) -> str:
    path = folder / "a-file"
    path.write_text("not a folder\n")
    return str(path)


def printed(make: Callable[[Path], Path], says: str) -> Callable[[Path], tuple]:
    """A CSV that loads: the CLI trains on it and prints the loader's report."""
    def run(folder: Path) -> tuple[Outcome, bool, str]:
        outcome = dropviz("train", "--csv", str(make(folder)), "--steps", "5")
        ok = outcome.status == 0 and says in outcome.stdout + outcome.stderr
        return outcome, ok, f"exit 0, and the report printed says '{says}'"
    return run


def commas_are_numbers(folder: Path) -> tuple[Outcome, bool, str]:
    from dropviz.model.data.csv_loader import load_csv

    started = time.perf_counter()
    table = load_csv(decimal_commas(folder))
    shown = f"numeric features: {', '.join(table.report.columns_used)}"
    outcome = Outcome(0, "", shown + "\n", time.perf_counter() - started)
    ok = table.report.columns_used == ("x", "y") and table.X.max() == 10.25
    return outcome, ok, "x and y read as numbers (3,5 as 3.5), not categories"


def diverging_sweep(folder: Path) -> tuple[Outcome, bool, str]:
    outcome = dropviz("sweep", "learning_rate=50,100", *SMALL, "--set", "optimizer=sgd", "--steps",
                      "60", "--out", str(folder / "sweep"))
    table = (folder / "sweep" / "sweep.csv").read_text() if (folder / "sweep" / "sweep.csv").exists() \
        else ""
    ok = (outcome.status == 1 and "Warning" not in outcome.stderr and "diverged" in table
          and "Traceback" not in outcome.stderr)
    return outcome, ok, "exit 1, stderr free of numpy warnings, sweep.csv marks the rows diverged"


CASES = [
    Case(1, "dataset.csv_path as a number", refused(
        "train", "--set", "dataset.name=csv", "--set", "dataset.csv_path=5",
        says="dataset.csv_path: 5 is not allowed")),
    Case(1, "dataset.csv_path as a list", refused(
        "train", "--set", "dataset.name=csv", "--set", "dataset.csv_path=[1]",
        says="dataset.csv_path: [1] is not allowed")),
    Case(1, "a 5001-digit integer after --set", refused(
        "train", "--set", "seed=" + "1" * 5001, says="more than 4,300 digits")),
    Case(1, "a --set value nested 5000 deep", refused(
        "train", "--set", "hidden_layers=" + "[" * 5000 + "]" * 5000, says="nested too deeply")),
    Case(1, "a non-text label_column in a settings file", with_file(
        settings_file('{"dataset": {"name": "csv", "csv_path": "x.csv", "label_column": 7}}'),
        "train", "--config", "{file}", says="dataset.label_column: 7 is not allowed")),
    Case(1, "a 5001-digit integer in a settings file", with_file(
        settings_file('{"seed": ' + "1" * 5001 + "}"), "train", "--config", "{file}",
        says="more than 4,300 digits")),
    Case(2, "--csv on a FIFO", with_file(a_fifo, "train", "--csv", "{file}", says="named pipe")),
    Case(2, "--config on a FIFO", with_file(a_fifo, "train", "--config", "{file}", says="named pipe")),
    Case(2, "--resume on a FIFO", with_file(a_fifo, "resume", "{file}", says="named pipe")),
    Case(2, "--csv /dev/zero", refused("train", "--csv", "/dev/zero", says="is a device")),
    Case(2, "--config /dev/zero", refused("train", "--config", "/dev/zero", says="is a device")),
    Case(2, "--resume /dev/zero", refused("resume", "/dev/zero", says="is a device")),
    Case(3, "Ctrl+C 1.5 s in (imports or compile)", interrupted(1.5, "during start-up")),
    Case(3, "Ctrl+C 15 s in (training)", interrupted(15.0, "during training")),
    Case(4, "a run into a folder another run is training into", two_runs_one_folder),
    Case(4, "resume DIR/other.dropviz where DIR holds another run", resume_beside_another_run),
    Case(5, "--out an existing file", out_before_training(a_file)),
    Case(5, "--out /dev/null", out_before_training(lambda folder: "/dev/null")),
    Case(5, "--out a path under a file", out_before_training(lambda f: a_file(f) + "/run")),
    Case(6, "a stray quote at line 52 of 200 rows", with_file(
        stray_quote, "train", "--csv", "{file}", says="line 52")),
    Case(6, "a ragged row at line 32", with_file(
        ragged, "train", "--csv", "{file}", says="line 32: 4 fields")),
    Case(6, "decimal commas in a semicolon file (the loader, in process)", commas_are_numbers),
    Case(6, "the loader's report printed by the CLI", printed(decimal_commas, "rows used")),
    Case(7, '--csv ""', refused("train", "--csv", "", says="--csv: the value is empty")),
    Case(7, '--out ""', refused("train", "--out", "", says="--out: the value is empty")),
    Case(7, 'an experiment\'s "step": true', resume_refused(set_meta("step", True), "step count")),
    Case(7, "an experiment's step 10**30", resume_refused(set_meta("step", 10**30), "step count")),
    Case(7, "a history of 3,000,001 rows", resume_refused(history_of(3_000_001), "its meta array is")),
    Case(7, "a history of 20,001 rows", resume_refused(history_of(20_001), "20,001 evaluations")),
    Case(7, "a negative epoch in the history", resume_refused(
        set_meta("history", [[0, -1.0, 0.5, 0.5, 0.5, 0.5]]), "epoch -1.0")),
    Case(7, "NaN in the history", resume_refused(
        set_meta("history", [[0, 0.0, float("nan"), 0.5, 0.5, 0.5]]), "finite numbers")),
    Case(7, "unsorted history rows", resume_refused(
        set_meta("history", [[20, 1.0, 0.5, 0.5, 0.5, 0.5], [10, 0.5, 0.5, 0.5, 0.5, 0.5]]),
        "is at step 10")),
    Case(7, "a corrupt Adam state (first moments 1e30)", resume_refused(
        set_array("opt__W1_m", lambda m: np.full_like(m, 1e30)), "optimizer state is damaged",
        not_says="learning_rate")),
    Case(7, "a negative Adam second moment", resume_refused(
        set_array("opt__W2_v", lambda v: -np.abs(v) - 1), "optimizer state is damaged",
        not_says="learning_rate")),
    Case(8, "a diverging sweep", diverging_sweep),
    Case(8, "--seeds 2 with seed=4294967295", refused(
        "sweep", "dropout=0,0.5", *SMALL, "--seeds", "2", "--set", "seed=4294967295",
        "--out", "{folder}/seeds", says="seed")),
    Case(9, "a window-saved experiment resumed by the CLI", window_file_resumed),
    Case(10, "hidden [4096]*8, batch 65536, 200,000-row CSV", with_file(
        big_csv, "train", "--csv", "{file}", "--set", "hidden_layers=[" + ",".join(["4096"] * 8)
        + "]", "--set", "batch_size=65536", "--steps", "5", says="memory", within=60)),
]


def section(folder: Path) -> tuple[list[str], bool]:
    """The table of every case; ok when all pass."""
    rows, passed = [], 0
    for case in CASES:
        work = folder / f"case-{CASES.index(case)}"
        work.mkdir(parents=True)
        try:
            outcome, ok, expected = case.run(work)
            status = "killed (timeout)" if outcome.status is None else str(outcome.status)
            shown, seconds = outcome.shown, f"{outcome.seconds:.1f}"
        except Exception as error:  # a case that cannot even be set up fails, and says why
            ok, expected, status, seconds = False, "the case to run", "-", "-"
            shown = f"{type(error).__name__}: {error}".replace("|", "/")[:150]
        passed += ok
        rows.append(f"| {case.kind} | {case.name} | {status} | {seconds} | {shown} | {expected} | "
                    f"{'ok' if ok else '**FAILED**'} |")
        print(rows[-1], flush=True)
    text = [
        f"{len(CASES)} cases of issue 19's ten classes (1 types and sizes, 2 reads that never end, "
        "3 Ctrl+C, 4 shared output folders, 5 --out checked before training, 6 data changed "
        "without a word, 7 empty or forged values, 8 sweeps, 9 the window's arrays, 10 memory), "
        f"each a `python -m dropviz` process capped at {MEMORY_CAP / 2**30:.0f} GB of address "
        f"space and {TIMEOUT:.0f} s: {passed} pass, {len(CASES) - passed} fail.",
        "",
        "| class | case | exit | seconds | stderr (first line; last of a traceback) | expected | "
        "result |",
        "| ---: | --- | ---: | ---: | --- | --- | --- |",
        *rows,
    ]
    return text, passed == len(CASES)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as temporary:
        lines, all_ok = section(Path(temporary))
    print("\n".join(lines))
    sys.exit(0 if all_ok else 1)
