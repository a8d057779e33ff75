"""`make bench`: how fast dropviz trains, evaluates, starts and draws, next to what a user would write.

Prints Markdown tables (and writes them with --markdown FILE). Every figure is a median over
interleaved repetitions with its spread; the machine and its load average go with them, because on
a shared 2-core machine the load moves every number. About three minutes; --quick takes one.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import measure
import training
from measure import Sample

from dropviz.process import keep_freed_memory

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ("training", "levers", "evaluation", "startup", "window", "recurrent")
OPTIONAL_SECTIONS = ("sweeps",)  # Dask sweeps of digits networks: many minutes more on a busy machine


def _child(args: list[str], extra_env: dict[str, str] | None = None) -> dict:
    """Run a benchmark script in a fresh interpreter; its last line of output is JSON."""
    env = {**os.environ, **(extra_env or {}), "BENCH_T0": repr(time.time())}
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def training_tables(repetitions: int, seconds: float, peak: Sample) -> list[str]:
    lines = ["## Training throughput", "",
             f"Steps per second with the loss and every mask returned; median ±half-range of "
             f"{repetitions} interleaved repetitions of {seconds:g} s. The ratio is dropviz's "
             "faster call (run_steps) divided by the row's rate, within each repetition: the "
             "median of those, and their range, which the machine's drift moves less than the "
             "rates.", "",
             "| shape | implementation | steps/s | dropviz ÷ this | GFLOP/s | of matmul peak |",
             "| --- | --- | ---: | ---: | ---: | ---: |"]
    for shape in training.SHAPES:
        results = training.throughput(shape, repetitions, seconds)
        best = max((name for name in results if name.startswith("dropviz")),
                   key=lambda name: results[name].median)
        for name, sample in results.items():
            gflops = sample.median * shape.flops_per_step / 1e9
            ratios = [ours / theirs for ours, theirs in
                      zip(results[best].values, sample.values, strict=True)]
            ratio = (f"{Sample(tuple(ratios)).median:.2f} ({min(ratios):.2f}-{max(ratios):.2f})"
                     if name != best else "1.00")
            lines.append(f"| {shape.name} | {name} | {sample.text()} | {ratio} | "
                         f"{gflops:.1f} | {100 * gflops / peak.median:.0f}% |")
        if "PyTorch" not in " ".join(results):
            lines.append(f"| {shape.name} | PyTorch | skipped: torch is not installed | | | |")
    return lines


def lever_tables(repetitions: int, seconds: float) -> list[str]:
    lines = ["## Levers inside dropviz", "",
             "DropoutNetwork alone, steps per second, interleaved: K is the number of steps in one "
             "compiled call (`train_steps`).", "",
             "| shape | variant | steps/s |", "| --- | --- | ---: |"]
    for shape in training.SHAPES:
        for name, sample in training.levers(shape, repetitions, seconds).items():
            lines.append(f"| {shape.name} | {name} | {sample.text()} |")
    return lines


def evaluation_tables(repetitions: int) -> list[str]:
    from dropviz.model.config import Config
    from dropviz.model.trainer import Trainer

    lines = ["## Evaluation", "",
             "Milliseconds per call: `evaluate()` (test-time loss and accuracy on the train and test "
             "sets, 1,000 points) and the 100x100 decision grid.", "",
             "| network | evaluate() ms | decision grid ms |", "| --- | ---: | ---: |"]
    default = Config().with_overrides(["dataset.n_samples=1000", "dataset.train_fraction=0.5"])
    networks = [(f"{s.name} ({s.hidden[0]}x{s.hidden[1]})", s.config()) for s in training.SHAPES]
    networks.append(("app default (256x256, adam)", default))
    for name, config in networks:
        trainer = Trainer(config)
        evaluate = measure.duration_ms(trainer.evaluate, repetitions)
        grid = measure.duration_ms(trainer.decision_grid, repetitions)
        lines.append(f"| {name} | {evaluate.text(1)} | {grid.text(1)} |")
        trainer.close()
    return lines


def startup_tables(repeats: int) -> list[str]:
    lines = ["## Compile and start-up", "",
             "Seconds from the start of a fresh interpreter, app default network. Cold: an empty "
             "PyTensor/numba cache (the Trainer's functions only; the scan of `run_steps` compiles "
             "on its first use or in `prepare_train_steps`); warm: the same cache again.", "",
             "| cache | imports | Trainer built (compiled) | first step | first run_steps (scan) |",
             "| --- | ---: | ---: | ---: | ---: |"]
    with tempfile.TemporaryDirectory() as folder:
        flags = {"PYTENSOR_FLAGS": f"base_compiledir={folder}"}
        cold = _child(["benchmarks/startup.py"], flags)
        _child(["benchmarks/startup.py", "--scan"], flags)
        warm = _child(["benchmarks/startup.py", "--scan"], flags)
    for cache, t in (("cold", cold), ("warm", warm)):
        scan = f"{t['first_run_steps']:.1f}" if "first_run_steps" in t else "not measured"
        lines.append(f"| {cache} | {t['imports']:.1f} | {t['trainer_built']:.1f} | "
                     f"{t['first_step']:.1f} | {scan} |")
    command = ["main.py", "--headless", "--steps", "1", "--eval-every", "1"]
    subprocess.run([sys.executable, *command], cwd=ROOT, capture_output=True, check=True)
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, *command], cwd=ROOT, capture_output=True, check=True)
        runs.append(time.perf_counter() - start)
    lines += ["", f"`python main.py --headless --steps 1` with the user's warm cache, start to exit "
                  f"(an upper bound on start to first step): {Sample(tuple(runs)).text(2)} s."]
    return lines


def window_tables(seconds: float, rounds: int) -> list[str]:
    w = _child(["benchmarks/window.py", str(seconds), str(rounds)])
    window, headless = w["window_steps_per_second"], w["headless_run_steps_steps_per_second"]
    ratios = Sample(tuple(a / b for a, b in zip(window, headless, strict=True)))
    return ["## Window (offscreen)", "",
            f"App default network at the fastest speed setting, {rounds} rounds of {seconds:g} s "
            "in the window, each followed by as long headless in the same process; ratios are "
            "of each round's pair.", "",
            "| measure | value |", "| --- | ---: |",
            f"| steps/s while drawing | {Sample(tuple(window)).text()} |",
            f"| headless Trainer.run_steps(256) steps/s | {Sample(tuple(headless)).text()} |",
            f"| drawing ÷ headless run_steps, per round | {ratios.text(2)} "
            f"({', '.join(f'{r:.2f}' for r in ratios.values)}) |",
            f"| headless Trainer.step() steps/s | {w['headless_step_steps_per_second']:,.0f} |",
            f"| GUI event-loop latency p50 / p99 / max (ms) | {w['latency_p50_ms']:.1f} / "
            f"{w['latency_p99_ms']:.1f} / {w['latency_max_ms']:.0f} |",
            f"| start to window shown (s) | {w['shown_seconds']:.1f} |",
            f"| start to step 0 drawn: network built, ready to play (s) | {w['ready_seconds']:.1f} |",
            f"| start to the first steps drawn, Play pressed at step 0 (s) | "
            f"{w['first_step_seconds']:.1f} |"]


def main(argv: list[str] | None = None) -> int:
    keep_freed_memory()  # as the app and the command line do
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer and shorter repetitions")
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help=f"comma-separated, from {', '.join(SECTIONS + OPTIONAL_SECTIONS)}")
    parser.add_argument("--markdown", metavar="FILE", help="also write the tables to FILE")
    parser.add_argument("--calm", type=float, metavar="LOAD",
                        help="first wait (up to 10 minutes) for the 1-minute load average to fall "
                             "below LOAD")
    args = parser.parse_args(argv)
    if args.calm is not None:
        measure.wait_for_load_below(args.calm, timeout=600)
    sections = args.sections.split(",")
    repetitions, seconds = (3, 0.25) if args.quick else (8, 0.35)
    load_before = measure.load_average()
    peak = measure.matmul_peak(9)
    lines = ["## Machine", "", "| | |", "| --- | --- |"]
    lines += [f"| {key} | {value} |" for key, value in measure.machine().items()]
    lines += [f"| numpy float32 matmul peak | {peak.text(1)} GFLOP/s |",
              f"| load average before (1, 5, 15 min) | {load_before} |"]
    output = [*lines, ""]
    print("\n".join(output), flush=True)
    for section, tables in (
            ("training", lambda: training_tables(repetitions, seconds, peak)),
            ("levers", lambda: lever_tables(3, seconds * 0.6)),
            ("evaluation", lambda: evaluation_tables(10 if args.quick else 30)),
            ("startup", lambda: startup_tables(2)),
            ("window", lambda: window_tables(3.0, 3 if args.quick else 6)),
            ("recurrent", lambda: _child(["benchmarks/recurrent.py",
                                          *(["--quick"] if args.quick else [])])["lines"]),
            ("sweeps", lambda: _child(["benchmarks/sweeps.py", *(["--quick"] if args.quick else [])])
             ["lines"])):
        if section in sections:
            block = [*tables(), ""]
            print("\n".join(block), flush=True)
            output += block
    output.append(f"Load average after (1, 5, 15 min): {measure.load_average()}.")
    print(output[-1])
    if args.markdown:
        Path(args.markdown).write_text("\n".join(output) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
