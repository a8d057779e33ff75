"""Measure how dropviz's model layer holds up and write the figures to docs/robustness.md.

    .venv/bin/python scripts/robustness_report.py           # full: 200,000-step soak, ~10 minutes
    .venv/bin/python scripts/robustness_report.py --quick   # CI-sized: the same checks, smaller

Six parts, each a check as well as a figure, so the script exits 1 if any of them fails:
- a headless soak: the CLI's training loop in a subprocess, its memory sampled every N steps;
- the fuzz strategies of tests/model/test_fuzz_*.py run with many more examples;
- writers of experiments and runs killed with SIGKILL in the middle of a write;
- CSV files at and past the loader's limits, each loaded in a fresh process to measure its memory;
- issue 19's hostile cases against the CLI, one process each (hostile_cases.py);
- the window offered hostile files for a while (window_hostile_soak.py), its GUI thread timed.
The full mode writes docs/robustness.md; --quick only prints, unless --out names a file.
`--hostile` runs the last two parts alone and prints them.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "model"), str(ROOT / "scripts")]

import hostile_cases  # noqa: E402
import numpy as np  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from dropviz.model.config import Config  # noqa: E402
from dropviz.model.data import csv_loader  # noqa: E402
from dropviz.model.errors import DropvizError  # noqa: E402
from dropviz.model.experiment import load_experiment, save_experiment  # noqa: E402
from dropviz.model.export import METRIC_COLUMNS, load_inference_model, write_run  # noqa: E402
from dropviz.model.file_names import EXPERIMENT_FILE, RUN_FILES  # noqa: E402
from dropviz.model.files import read_npz, write_text_atomic  # noqa: E402
from dropviz.model.results import BatchMaskRecorder  # noqa: E402
from dropviz.model.trainer import NetworkPool, Trainer  # noqa: E402
from dropviz.session.lockstep import Lockstep  # noqa: E402
from dropviz.session.loop import TrainingLoop  # noqa: E402
from dropviz.session.run import Run  # noqa: E402

SCRIPT = Path(__file__).resolve()
DOC = ROOT / "docs" / "robustness.md"
# The soak's network: small enough for 200,000 steps in minutes, with dropout on every layer.
SOAK_SETTINGS = ["hidden_layers=[32,32]", "dataset.n_samples=200", "dropout.input=0.1",
                 "dropout.hidden=0.5", "batch_size=32"]
EVAL_EVERY = 100  # the CLI's default
WARM_UP_STEPS = 10_000
MAX_GROWTH_MB = 30.0
# A writer saves an experiment with this much curve history, so a write lasts long enough to be
# caught in the middle.
KILL_EXTRA_VALUES = 4 * 2**20
KILL_SETTINGS = ["hidden_layers=[16,8]", "dataset.n_samples=120", "batch_size=10"]


# The numerical faults are shown on the tests' small network, and the largest rate on the app's own.
FAULT_SETTINGS = ["hidden_layers=[16,16]", "dataset.n_samples=120"]
DIVERGING = ["optimizer=sgd", "learning_rate=100"]
DIVERGENCE_SEEDS = 10
DIVERGENCE_STEPS = 200
MAX_RATE = float(np.nextafter(1.0, 0.0))


@dataclass(frozen=True)
class Mode:
    soak_steps: int
    sample_every: int
    fuzz_examples: int
    kill_trials: int
    fault_steps: int
    window_seconds: float = 60.0


FULL = Mode(soak_steps=200_000, sample_every=10_000, fuzz_examples=1500, kill_trials=12,
            fault_steps=20_000, window_seconds=120.0)
QUICK = Mode(soak_steps=20_000, sample_every=5_000, fuzz_examples=60, kill_trials=2,
             fault_steps=1_000, window_seconds=30.0)


def rss_mb(field: str = "VmRSS") -> float:
    """Resident memory as the kernel counts it (what a user sees in top), or its peak (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status; this script needs Linux")


def reset_peak_rss() -> None:
    """Start VmHWM again from the current RSS, so a peak belongs to what follows, not to imports."""
    Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(*args: str, timeout: float = 3600) -> list[dict]:
    """Run this script in a fresh process and read the JSON lines it prints."""
    result = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                            timeout=timeout, cwd=ROOT)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


# --- soak --------------------------------------------------------------------------------------

def soak_child(steps: int, every: int) -> None:
    """The CLI's train loop in chunks, as --resume runs it, printing memory after every chunk."""
    print(json.dumps({"imported_rss_mb": rss_mb()}), flush=True)
    run = Run(Trainer(Config().with_overrides(SOAK_SETTINGS)))
    loop = TrainingLoop(Lockstep(run), EVAL_EVERY)
    history = run.record.evaluations
    started = time.perf_counter()
    print(json.dumps({"step": 0, "rss_mb": rss_mb(), "seconds": 0.0}), flush=True)
    while run.step < steps:
        loop.run(every)
        print(json.dumps({"step": run.step, "rss_mb": rss_mb(),
                          "seconds": time.perf_counter() - started, "history": len(history),
                          "masks": len(run.record.batch_masks.arrays()["hidden1"])}), flush=True)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        write_run(out, run.trainer, history, run.record.batch_masks.arrays())
        save_experiment(out / EXPERIMENT_FILE, run.trainer, history)
        sizes = {path.name: path.stat().st_size for path in out.iterdir()}
    history_bytes = sum(sys.getsizeof(e) + sys.getsizeof(vars(e))
                        + sum(sys.getsizeof(value) for value in vars(e).values()) for e in history)
    print(json.dumps({"final_rss_mb": rss_mb(), "peak_rss_mb": peak_rss_mb(), "files": sizes,
                      "history_bytes": history_bytes}), flush=True)


def soak(mode: Mode) -> tuple[list[str], bool]:
    lines = run_child("--soak-child", str(mode.soak_steps), str(mode.sample_every))
    imported, samples, final = lines[0], lines[1:-1], lines[-1]
    warm = next(s for s in samples if s["step"] >= min(WARM_UP_STEPS, mode.soak_steps))
    growth = max(s["rss_mb"] for s in samples if s["step"] >= warm["step"]) - warm["rss_mb"]
    last = samples[-1]
    evaluations = last["history"]
    ok = growth < MAX_GROWTH_MB and last["masks"] <= BatchMaskRecorder().capacity
    rows = "\n".join(f"| {s['step']:,} | {s['seconds']:.0f} | {s['rss_mb']:.1f} |" for s in samples)
    text = [
        f"A headless run of {mode.soak_steps:,} steps ({', '.join(SOAK_SETTINGS)}, evaluating "
        f"every {EVAL_EVERY} steps) through the CLI's own training loop, in a fresh process, "
        f"with its resident memory (VmRSS) read every {mode.sample_every:,} steps: "
        f"{mode.soak_steps:,} training steps, {evaluations:,} evaluations and "
        f"{mode.soak_steps:,} mask recordings, then one export and one experiment file.",
        "",
        "| step | seconds | RSS (MB) |",
        "| ---: | ---: | ---: |",
        rows,
        "",
        f"- memory once imported {imported['imported_rss_mb']:.1f} MB, with the network "
        f"compiled {samples[0]['rss_mb']:.1f} MB, after "
        f"{warm['step']:,} steps {warm['rss_mb']:.1f} MB, at the end {last['rss_mb']:.1f} MB; "
        f"largest growth after step {warm['step']:,}: {growth:+.1f} MB "
        f"(the check allows {MAX_GROWTH_MB:.0f} MB): **{'bounded' if ok else 'GROWING'}**",
        f"- masks kept: the last {last['masks']} steps (a ring buffer, BatchMaskRecorder); evaluations "
        f"kept: all {evaluations:,}, one per {EVAL_EVERY} steps, {final['history_bytes'] / 2**20:.1f}"
        " MB of Python objects: the one thing kept that grows with the run (it is what "
        "metrics.csv holds)",
        "- files written at the end: " + ", ".join(f"{name} {size / 1024:,.0f} KB"
                                                  for name, size in sorted(final["files"].items())),
    ]
    return text, ok


# --- fuzzing -----------------------------------------------------------------------------------

@dataclass
class Tally:
    cases: int = 0
    loaded: int = 0

    def count(self, loaded: bool) -> None:
        self.cases += 1
        self.loaded += bool(loaded)


def fuzz(name: str, examples: int, strategy: st.SearchStrategy,
         check: Callable[[object], bool]) -> tuple[str, Tally, bool]:
    """Run one strategy; any exception but the loaders' own errors is a failure."""
    tally = Tally()

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(value: object) -> None:
        tally.count(check(value))

    try:
        run()
    except Exception as error:  # a failing example: report it, as the test suite would
        print(f"FAILED {name}: {type(error).__name__}: {error}", file=sys.stderr)
        return name, tally, False
    return name, tally, True


def fuzz_csv(mode: Mode, folder: Path) -> list[tuple[str, Tally, bool]]:
    import test_fuzz_csv as t

    path = folder / "fuzz.csv"
    results = [
        fuzz("CSV: generated tables (headers, quoting, delimiters, NaN/inf, 1e308, classes)",
             mode.fuzz_examples, t.csv_files(), lambda data: t.load_or_refuse(path, data) is not None),
        fuzz("CSV: random bytes and CSV-like byte soup", mode.fuzz_examples,
             st.binary(max_size=2000) | t.csv_like_bytes,
             lambda data: t.load_or_refuse(path, data) is not None),
    ]
    data = t.RICH.encode("utf-8")
    tally = Tally()
    for end in range(len(data) + 1):
        tally.count(t.load_or_refuse(path, data[:end]) is not None)
    results.append(("CSV: every truncation of a valid file (BOM, quoted newlines, UTF-8)", tally,
                    True))
    return results


def fuzz_settings(mode: Mode) -> list[tuple[str, Tally, bool]]:
    """Settings as files and --set carry them: a Config or one ConfigError, nothing else."""
    import test_fuzz_config as t

    def from_file(case: tuple) -> bool:
        return t.read_or_refuse(Config.from_dict, t.settings_with(*case)) is not None

    def from_set(case: tuple) -> bool:
        return t.read_or_refuse(Config().with_overrides, [f"{case[0]}={case[1]}"]) is not None

    keys = st.sampled_from(t.KEYS)
    return [
        fuzz("settings: any value (5000-digit integers, nesting) at any key of a file",
             mode.fuzz_examples, st.tuples(keys, t.any_values), from_file),
        fuzz("settings: any text after --set KEY=", mode.fuzz_examples, st.tuples(keys, t.texts),
             from_set),
    ]


def fuzz_files(mode: Mode, folder: Path) -> list[tuple[str, Tally, bool]]:
    import test_fuzz_files as t

    pool = NetworkPool()
    saved = t.save_samples(pool, folder)
    work = saved["work"]

    def array_changes(contents: dict) -> st.SearchStrategy:
        @st.composite
        def changed(draw: st.DrawFn) -> dict:
            result = dict(contents)
            key = draw(st.sampled_from(sorted(result)))
            if draw(st.booleans()):
                del result[key]
            else:
                result[key] = draw(t.arrays(result[key]))
            return result
        return changed()

    def json_changes(value: dict, paths: list) -> st.SearchStrategy:
        @st.composite
        def changed(draw: st.DrawFn) -> dict:
            path = draw(st.sampled_from(paths))
            return t.mutated(value, path, draw(t.json_values), draw(st.booleans()) and bool(path))
        return changed()

    def flipped(flips: list) -> bytes:
        data = bytearray(saved["bytes"])
        for where, value in flips:
            data[int(where * len(data))] = value
        return bytes(data)

    flips = st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)),
                     min_size=1, max_size=4)
    experiment, meta = work / "fuzz.dropviz", saved["meta"]
    n = mode.fuzz_examples
    results = [
        fuzz("experiment: random bytes", n, st.binary(max_size=4000),
             lambda data: t.open_or_refuse(experiment, data, pool)),
        fuzz("experiment: flipped bytes", n, flips,
             lambda value: t.open_or_refuse(experiment, flipped(value), pool)),
        fuzz("experiment: arrays of wrong dtype, shape or values, or missing", n,
             array_changes(saved["arrays"]),
             lambda contents: t.open_or_refuse(experiment, t.npz_bytes(contents), pool)),
        fuzz("experiment: any JSON value at any path of its description, or deleted", n,
             json_changes(meta, t.meta_paths(meta, architecture=True)),
             lambda changed: t.open_or_refuse(
                 experiment, t.npz_bytes({**saved["arrays"], "meta": t.meta_array(changed)}), pool)),
        fuzz("weights: random bytes as weights.npz", n, st.binary(max_size=3000),
             lambda data: t.read_or_refuse(work / "random", saved["model"], data)),
        fuzz("weights: arrays of wrong dtype, shape or values, or missing", n,
             array_changes(saved["weights"]),
             lambda contents: t.read_or_refuse(work / "arrays", saved["model"],
                                               t.npz_bytes(contents))),
        fuzz("weights: any JSON value at any path of model.json, or deleted", n,
             json_changes(saved["model"], t.paths_in(saved["model"])),
             lambda changed: t.read_or_refuse(work / "json", changed, saved["weights_bytes"])),
    ]
    for label, data, check in (
        ("experiment: truncated at every 1/300 of its length", saved["bytes"],
         lambda cut: t.open_or_refuse(experiment, cut, pool)),
        ("weights: truncated at every 1/300 of its length", saved["weights_bytes"],
         lambda cut: t.read_or_refuse(work / "cut", saved["model"], cut)),
    ):
        tally = Tally()
        for end in range(0, len(data), max(1, len(data) // 300)):
            tally.count(check(data[:end]))
        results.append((label, tally, tally.loaded == 0))
    return results


# --- killed mid-write ----------------------------------------------------------------------------

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


# --- CSV limits ----------------------------------------------------------------------------------

def csv_child(path: str) -> None:
    """Load one file in a fresh process, so its peak memory is this load's alone."""
    base = rss_mb()
    reset_peak_rss()
    started = time.perf_counter()
    try:
        table = csv_loader.load_csv(path)
        outcome = f"loaded {table.X.shape[0]:,} rows x {table.X.shape[1]} features"
    except DropvizError as error:
        outcome = f"refused: {error}"
    print(json.dumps({"outcome": outcome, "seconds": time.perf_counter() - started,
                      "base_mb": base, "peak_mb": rss_mb("VmHWM")}), flush=True)


def write_rows(path: Path, header: str, row: Callable[[int], str], count: int) -> None:
    with path.open("w") as stream:
        stream.write(header)
        stream.writelines(row(k) for k in range(count))


def csv_limits(folder: Path) -> tuple[list[str], bool]:
    limits = (csv_loader.MAX_CSV_BYTES, csv_loader.MAX_CSV_ROWS, csv_loader.MAX_CSV_CELLS,
              csv_loader.MAX_LINE_CHARS)
    cases: list[tuple[str, Path, Callable[[Path], None]]] = [
        ("200 MB file (sparse)", folder / "huge.csv",
         lambda p: (p.write_text("x,label\n1.5,a\n"), os.truncate(p, 200 * 2**20))),
        (f"{limits[1] + 1:,} rows of 2 columns", folder / "rows.csv",
         lambda p: write_rows(p, "x,label\n", lambda k: f"{k % 97 + 0.5},{'ab'[k % 2]}\n",
                              limits[1] + 1)),
        (f"{limits[2] // 10 + 10:,} rows of 10 columns", folder / "cells.csv",
         lambda p: write_rows(p, "a,b,c,d,e,f,g,h,i,label\n",
                              lambda k: f"{k % 97 + 0.5},{k % 89 + 0.25}," * 4
                                        + f"{k % 83 + 0.5},{'ab'[k % 2]}\n",
                              limits[2] // 10 + 10)),
        ("one line of 90 MB", folder / "line.csv",
         lambda p: p.write_text(",".join(["1.5"] * (90 * 2**20 // 4)) + "\n")),
        (f"{limits[2] // 6 - 10:,} rows of 6 columns (just under the limits)", folder / "under.csv",
         lambda p: write_rows(p, "a,b,c,d,e,label\n",
                              lambda k: f"{k % 97 + 0.5},{k % 89 + 0.25},{k % 83 + 0.5},"
                                        f"{k % 79 + 0.5},{k % 73 + 0.5},{'ab'[k % 2]}\n",
                              limits[2] // 6 - 10)),
        ("94 MB: 41,000 rows with a 2.4 KB text column", folder / "text.csv",
         lambda p: write_rows(p, "x,comment,label\n",
                              lambda k: f"{k % 13 + 0.5},{'note ' * 480},{'ab'[k % 2]}\n", 41_000)),
        ("64 KB of quotes before the data (slow for csv.Sniffer)", folder / "quotes.csv",
         lambda p: p.write_text(',"' * 32_768 + "\n1.5,a\n2.5,b\n")),
    ]
    rows = []
    ok = True
    for label, path, make in cases:
        make(path)
        size = path.stat().st_size
        result = run_child("--csv-child", str(path))[0]
        path.unlink()
        ok = ok and result["seconds"] < 30 and result["peak_mb"] < 1024
        outcome = result["outcome"].replace("|", "/")
        rows.append(f"| {label} | {size / 2**20:,.1f} | {result['seconds']:.2f} | "
                    f"{result['peak_mb'] - result['base_mb']:,.0f} | {outcome} |")
    text = [
        f"Limits: {limits[0] // 2**20} MB per file (checked before reading), {limits[1]:,} rows, "
        f"{limits[2]:,} cells and {limits[3]:,} characters per line (checked while parsing, so "
        "parsing stops at the first row past a limit). Each file loaded in a fresh process; memory "
        "is the peak RSS above the process's RSS before the load.",
        "",
        "| file | MB | seconds | peak memory (MB) | outcome |",
        "| --- | ---: | ---: | ---: | --- |",
        *rows,
    ]
    return text, ok


# --- numerical faults ----------------------------------------------------------------------------

def numerical(mode: Mode) -> tuple[list[str], bool]:
    """The defined behaviours of test_numerical_faults.py, measured over more seeds and steps."""
    pool = NetworkPool()
    base = Config().with_overrides(FAULT_SETTINGS)
    diverged = []
    for seed in range(DIVERGENCE_SEEDS):
        trainer = Trainer(base.with_overrides([*DIVERGING, f"seed={seed}"]), pool)
        steps = [trainer.step() for _ in range(DIVERGENCE_STEPS)]
        trainer.close()
        diverged += [next((r.step for r in steps if not math.isfinite(r.loss)), None)]
    first = [step for step in diverged if step is not None]
    rows, ok = [], True
    for scaling in ("inverted", "weight_scaling", "none"):
        trainer = Trainer(base.with_overrides(["dropout.input=0.99", "dropout.hidden=0.99",
                                               f"scaling={scaling}"]), pool)
        finite, dropped, rows_seen = 0, 0, 0
        for _ in range(mode.fault_steps):
            result = trainer.step()
            finite += math.isfinite(result.loss)
            mask = result.masks["hidden2"]
            dropped += int((~mask.any(axis=1)).sum())
            rows_seen += len(mask)
        ok = ok and finite == mode.fault_steps and trainer.evaluate().is_finite()
        trainer.close()
        rows.append(f"{scaling}: {finite:,} of {mode.fault_steps:,} losses finite, "
                    f"{dropped / rows_seen:.0%} of rows with every unit of hidden2 dropped")
    trainer = Trainer(Config().with_overrides([f"dropout.input={MAX_RATE!r}",
                                               f"dropout.hidden={MAX_RATE!r}"]), pool)
    draws, kept, finite = 0, 0, 0
    for _ in range(mode.fault_steps):
        result = trainer.step()
        finite += math.isfinite(result.loss)
        draws += sum(mask.size for mask in result.masks.values())
        kept += sum(int(mask.sum()) for mask in result.masks.values())
    trainer.close()
    ok = ok and finite == mode.fault_steps
    text = [
        f"- learning rate 100 with sgd ({', '.join(FAULT_SETTINGS)}), seeds 0-{DIVERGENCE_SEEDS - 1}:"
        f" {len(first)} of {DIVERGENCE_SEEDS} reach a non-finite loss, at steps "
        f"{', '.join(map(str, sorted(first)))}; the others stay finite, the loss stalled at a large "
        f"value, for all {DIVERGENCE_STEPS} steps. The CLI stops at the first non-finite loss with "
        "status 1 and writes nothing; a network with non-finite weights is neither saved nor "
        "exported (ExportError \"training diverged\").",
        "- dropout 0.99 on every layer, " + "; ".join(rows) + ".",
        f"- the largest rate Config allows ({MAX_RATE!r}) on every layer of the default network, "
        f"inverted scaling: {kept:,} of {draws:,} units kept in {mode.fault_steps:,} steps, "
        f"{finite:,} finite losses: every logit is the output bias.",
        "- a training set of one example cannot be made: each of at least two classes needs a "
        "row on both sides of the split, and a class with too few rows is refused with a "
        "DatasetError that says how many it needs; a batch larger than the training set uses "
        "the whole set.",
    ]
    return text, ok


# --- hostile input (issue 19) -------------------------------------------------------------------

def window_hostile(seconds: float) -> tuple[list[str], bool]:
    """window_hostile_soak.py in a fresh process: its GUI gaps and what each file was told."""
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "window_hostile_soak.py"),
                             "--seconds", str(seconds)], capture_output=True, text=True,
                            timeout=seconds + 900, cwd=ROOT)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return [f"- the window soak did not finish: {result.stderr[-300:]}"], False
    found = json.loads(lines[-1])
    rows = [f"| {name} | {found['slowest_ms'].get(name, 0):,.0f} | {text.replace('|', '/')} |"
            for name, text in sorted(found["messages"].items())]
    text = [
        f"An offscreen window offered {found['opened']} hostile files in {found['seconds']:.0f} s "
        "(a random order, through Open CSV, Open experiment), a step asked for after every third: "
        f"{found['steps']} steps ran; files left without a message: "
        f"{', '.join(found['unanswered']) or 'none'}; exceptions: {len(found['errors'])}. The GUI "
        f"thread's longest gap between 10 ms timer ticks: {found['max_gap_ms']:,.0f} ms (opening "
        f"a valid experiment, for comparison: {found['valid_file_gap_ms']:,.0f} ms); the check "
        f"allows {2000:,} ms.",
        "",
        "| file | longest GUI gap (ms) | the window's message |",
        "| --- | ---: | --- |",
        *rows,
    ]
    return text, result.returncode == 0


def hostile(mode: Mode, folder: Path) -> tuple[list[str], bool]:
    from dropviz.model import config, experiment_checks, files

    rules = (
        "Every input a user names is opened as a regular file only (dropviz/model/input_files.py: "
        "opened without blocking, then checked on the open descriptor, so a FIFO, a device or a "
        "folder is refused at once) and read with a limit that counts the bytes read: CSV "
        f"{csv_loader.MAX_CSV_BYTES // 2**20} MB, settings {config.MAX_SETTINGS_BYTES // 2**20} MB, "
        f"experiment archives {files.MAX_NPZ_BYTES // 2**30} GB. Settings from files, `--set` and "
        "setups are parsed in one place (config.parse_json): integers of more than 4,300 digits "
        f"and nesting deeper than {config.MAX_JSON_DEPTH} levels are refused, and every field's "
        "type is checked with its name in the message. An experiment's description is at most "
        f"{experiment_checks.MAX_META_BYTES // 2**20} MB and holds what a run produces: a whole "
        f"step count up to {experiment_checks.MAX_STEP:,}, at most "
        f"{experiment_checks.MAX_EVALUATIONS:,} evaluations with rising steps and finite values, "
        "and an optimizer state Adam or momentum can reach (else \"damaged\", never \"diverged\"). "
        "A CSV row whose quotes or number of fields go wrong is refused with its line number "
        "unless `dataset.drop_bad_rows` is true; decimal commas in files separated by semicolons "
        "or tabs are numbers."
    )
    cli_text, cli_ok = hostile_cases.section(folder)
    window_text, window_ok = window_hostile(mode.window_seconds)
    return [rules, "", *cli_text, "", "### The window opening hostile files", "", *window_text], \
        cli_ok and window_ok


# --- the report ----------------------------------------------------------------------------------

def report(mode: Mode) -> tuple[str, bool]:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        for name in ("csv", "files", "kills", "limits"):
            (folder / name).mkdir()
        soak_text, soak_ok = soak(mode)
        fault_text, fault_ok = numerical(mode)
        fuzzed = (fuzz_csv(mode, folder / "csv") + fuzz_settings(mode)
                  + fuzz_files(mode, folder / "files"))
        kill_text, kill_ok = kills(mode, folder / "kills")
        limit_text, limit_ok = csv_limits(folder / "limits")
        hostile_text, hostile_ok = hostile(mode, folder / "hostile")
    fuzz_ok = all(ok for _, _, ok in fuzzed)
    total = sum(tally.cases for _, tally, _ in fuzzed)
    fuzz_rows = [f"| {name} | {tally.cases:,} | {tally.loaded:,} | {tally.cases - tally.loaded:,} | "
                 f"{'ok' if ok else 'FAILED'} |" for name, tally, ok in fuzzed]
    lines = [
        "# Robustness",
        "",
        "Produced by `scripts/robustness_report.py"
        + (" --quick" if mode is QUICK else "") + f"` in {time.perf_counter() - started:,.0f} s; "
        "re-run it to refresh every figure. The tests in `tests/model/test_fuzz_*.py`, "
        "`test_numerical_faults.py` and `test_long_runs.py` check the same things at CI size. "
        "The window's figures (random user actions, a long run in the window, closing at any "
        "moment, signals) are in [robustness-window.md](robustness-window.md).",
        "",
        "## Long run",
        "",
        *soak_text,
        "",
        "## Numerical faults",
        "",
        *fault_text,
        "",
        "## Fuzzing the loaders",
        "",
        f"{total:,} cases. Each must end in a loaded result whose invariants hold (finite float32 "
        "features, labels in range, at least two classes, row counts that add up; finite weights "
        "that chain, a trainer that steps; a Config) or in a DatasetError or ExportError naming "
        "the file, or a one-line ConfigError. "
        "Any other exception fails the run.",
        "",
        "| cases | tried | loaded | refused with a message | result |",
        "| --- | ---: | ---: | ---: | --- |",
        *fuzz_rows,
        "",
        "## Killed in the middle of a write",
        "",
        *kill_text,
        "",
        "## Large CSV files",
        "",
        *limit_text,
        "",
        "## Hostile input",
        "",
        *hostile_text,
        "",
    ]
    return "\n".join(lines), (soak_ok and fault_ok and fuzz_ok and kill_ok and limit_ok
                              and hostile_ok)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="CI-sized: small soak, few examples")
    parser.add_argument("--out", type=Path, help=f"where to write the report (full mode: {DOC})")
    parser.add_argument("--soak-child", nargs=2, type=int, metavar=("STEPS", "EVERY"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--write-loop", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--csv-child", help=argparse.SUPPRESS)
    parser.add_argument("--hostile", action="store_true",
                        help="only issue 19's hostile cases and the window's hostile-file soak")
    args = parser.parse_args()
    if args.soak_child:
        soak_child(*args.soak_child)
        return 0
    if args.write_loop:
        write_loop(args.write_loop)
        return 0
    if args.csv_child:
        csv_child(args.csv_child)
        return 0
    mode = QUICK if args.quick else FULL
    if args.hostile:
        with tempfile.TemporaryDirectory() as temporary:
            lines, ok = hostile(mode, Path(temporary))
        print("\n".join(lines))
        return 0 if ok else 1
    text, ok = report(mode)
    print(text)
    out = args.out or (None if args.quick else DOC)
    if out:
        write_text_atomic(out, text)
    if not ok:
        print("robustness checks FAILED; see above", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
