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
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "model"), str(ROOT / "scripts")]

import hostile_cases  # noqa: E402
import numpy as np  # noqa: E402
from child_runs import rss_mb  # noqa: E402
from robustness_csv_limits import csv_child, csv_limits  # noqa: E402
from robustness_fuzz import fuzz_csv, fuzz_files, fuzz_settings  # noqa: E402
from robustness_kills import kills, write_loop  # noqa: E402
from robustness_processes import (  # noqa: E402
    FULL,
    QUICK,
    Mode,
    peak_rss_mb,
    run_child,
)

from dropviz.model.config import Config  # noqa: E402
from dropviz.model.data import csv_loader  # noqa: E402
from dropviz.model.experiment import save_experiment  # noqa: E402
from dropviz.model.export import write_run  # noqa: E402
from dropviz.model.file_names import EXPERIMENT_FILE  # noqa: E402
from dropviz.model.files import write_text_atomic  # noqa: E402
from dropviz.model.results import BatchMaskRecorder  # noqa: E402
from dropviz.model.trainer import NetworkPool, Trainer  # noqa: E402
from dropviz.session.lockstep import Lockstep  # noqa: E402
from dropviz.session.loop import TrainingLoop  # noqa: E402
from dropviz.session.run import Run  # noqa: E402

DOC = ROOT / "docs" / "robustness.md"
# The soak's network: small enough for 200,000 steps in minutes, with dropout on every layer.
SOAK_SETTINGS = ["hidden_layers=[32,32]", "dataset.n_samples=200", "dropout.input=0.1",
                 "dropout.hidden=0.5", "batch_size=32"]
EVAL_EVERY = 100  # the CLI's default
WARM_UP_STEPS = 10_000
MAX_GROWTH_MB = 30.0


# The numerical faults are shown on the tests' small network, and the largest rate on the app's own.
FAULT_SETTINGS = ["hidden_layers=[16,16]", "dataset.n_samples=120"]
DIVERGING = ["optimizer=sgd", "learning_rate=100"]
DIVERGENCE_SEEDS = 10
DIVERGENCE_STEPS = 200
MAX_RATE = float(np.nextafter(1.0, 0.0))


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
