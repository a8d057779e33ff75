"""Recurrent models (issue 14): a GRU's training throughput against its peers, and its start-up.

Every contender trains the same GRU on digits_rows (8 time steps of 8 pixels, 10 classes): one
recurrent layer, dropout 0.5 on the carried state and on the outputs with a new mask at every time
step, inverted scaling, Adam, batch 32, minibatches from dropviz's own sampler, all starting from
dropviz's initial weights and returning every step's masks (gru_peers.py). BLAS runs on one thread
for all of them (threadpoolctl for numpy's and SciPy's OpenBLAS, `torch.set_num_threads(1)`), so
the comparison is of the code, not of how each splits a batch-32 product over a busy machine's two
cores. Rates are interleaved as in training.py; ratios are taken within each repetition.

Before timing, dropviz's first step is checked against the numpy reference in float64 from the
same weights and with dropviz's own masks: the loss, and every weight after the Adam update.

Start-up runs a fresh interpreter per measure, as startup.py does: an empty PyTensor cache and a
width never compiled (cold), then a second new width on that cache (warm), then the same width
again. Prints Markdown, and JSON as its last line.

    .venv/bin/python benchmarks/recurrent.py [--quick] [--widths 64,256] [--no-startup]
    .venv/bin/python benchmarks/recurrent.py --startup WIDTH   (one start-up measure, as JSON)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import gru_peers
import numpy as np
from measure import PAUSE_SECONDS, Sample, load_average

ROOT = Path(__file__).resolve().parent.parent
KEEPS = (1.0, 0.5, 0.5)  # input, recurrent, hidden
LEARNING_RATE = 0.01
BATCH_SIZE = 32
STEPS_PER_CALL = 32  # K of run_steps: about a window tick's worth of GRU-64 steps
STARTUP_WIDTHS = (48, 80)  # widths no other benchmark or test compiles: cold, then warm


def config(width: int):
    from dropviz.model.config import Config

    return Config().with_overrides([
        "model=gru", "dataset.name=digits_rows", f"hidden_layers=[{width}]", "dropout.input=0.0",
        "dropout.hidden=0.5", "dropout.recurrent=0.5", "dropout.time_mask=per_step",
        "scaling=inverted", "mask=per_example", "optimizer=adam",
        f"learning_rate={LEARNING_RATE}", f"batch_size={BATCH_SIZE}", "seed=0"])


def agreement(trainer) -> tuple[float, float]:
    """dropviz's first step against the float64 reference with the same weights and masks: the
    largest relative error of the loss, and of any weight after the update (over its largest
    entry)."""
    network, data = trainer.network, trainer.dataset
    before = network.weights()
    batch = trainer.sampler.next(BATCH_SIZE)
    loss, masks = network.train_step(batch)
    reference = gru_peers.NumpyGRU(before, network.arch.time_steps, KEEPS, LEARNING_RATE, 0, dtype=np.float64)
    x = data.X_train[batch].astype(np.float64)
    named = dict(zip(trainer.layer_names, masks, strict=True))
    ours, grads = reference.loss_and_grads(
        x, data.y_train[batch], (named["input"], named["recurrent1"], named["hidden1"]))
    reference.adam(grads)
    after = network.weights()
    weight_error = max(float(np.abs(after[name] - reference.params[name]).max()
                             / np.abs(reference.params[name]).max()) for name in gru_peers.NAMES)
    return abs(loss - ours) / ours, weight_error


def _rates(run: Callable[[], int], seconds: float) -> tuple[float, float]:
    """Steps per second of wall time and per second of this process's CPU time, over `seconds`.

    With BLAS on one thread every contender computes on one core, so its CPU time is what it would
    take alone on an idle machine; other jobs on a shared machine stretch wall time far more.
    """
    run()
    wall, cpu, done = time.perf_counter(), time.process_time(), 0
    while time.perf_counter() - wall < seconds:
        done += run()
    return done / (time.perf_counter() - wall), done / (time.process_time() - cpu)


def interleaved_rates(contenders: dict[str, Callable[[], int]], repetitions: int,
                      seconds: float) -> dict[str, tuple[Sample, Sample]]:
    """(wall, CPU) rates of each contender, in turn within each repetition, order rotated; a first
    round, not counted, warms them all (as measure.interleaved, with the CPU clock beside)."""
    names = list(contenders)
    values: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    for name in names:
        _rates(contenders[name], seconds / 2)
    for repetition in range(repetitions):
        shift = repetition % len(names)
        for name in names[shift:] + names[:shift]:
            time.sleep(PAUSE_SECONDS)
            values[name].append(_rates(contenders[name], seconds))
    return {name: (Sample(tuple(w for w, _ in v)), Sample(tuple(c for _, c in v)))
            for name, v in values.items()}


def _steps_of(peer, data, sampler) -> Callable[[], int]:
    def run() -> int:
        batch = sampler.next(BATCH_SIZE)
        peer.step(data.X_train[batch], data.y_train[batch])
        return 1
    return run


def throughput(width: int, repetitions: int,
               seconds: float) -> tuple[dict[str, tuple[Sample, Sample]], tuple[float, float]]:
    """Steps per second of each contender at one width, and dropviz's agreement with the reference."""
    from dropviz.model.trainer import BatchSampler, Trainer

    trainer = Trainer(config(width))
    data, k = trainer.dataset, STEPS_PER_CALL
    checked = agreement(trainer)
    trainer.run_steps(1)  # compiles the multi-step call before any timing

    def one_step() -> int:
        trainer.step()
        return 1

    contenders: dict[str, Callable[[], int]] = {
        f"dropviz Trainer.run_steps({k})": lambda: len(trainer.run_steps(k)),
        "dropviz Trainer.step()": one_step,
    }
    weights = trainer.network.weights()
    steps = trainer.network.arch.time_steps
    numpy_gru = gru_peers.NumpyGRU(weights, steps, KEEPS, LEARNING_RATE, seed=1)
    contenders["numpy, hand-written"] = _steps_of(
        numpy_gru, data, BatchSampler(len(data.y_train), np.random.default_rng(1)))
    if gru_peers.torch is not None:
        for cell, label in (("ops", "GRU cell in torch ops, all masks"),
                            ("nn.GRU", "nn.GRU, no recurrent mask")):
            peer = gru_peers.TorchGRU(weights, steps, KEEPS, LEARNING_RATE, 2, cell)
            contenders[f"PyTorch {gru_peers.torch.__version__} {label}"] = _steps_of(
                peer, data, BatchSampler(len(data.y_train), np.random.default_rng(2)))
    try:
        return interleaved_rates(contenders, repetitions, seconds), checked
    finally:
        trainer.close()


def throughput_table(widths: tuple[int, ...], repetitions: int, seconds: float) -> list[str]:
    lines = ["### Training throughput (GRU, digits_rows)", "",
             f"Steps per second of wall time and per second of the process's CPU time, BLAS on one "
             f"thread for all; median ±half-range of {repetitions} interleaved repetitions of "
             f"{seconds:g} s. The ratio is dropviz's faster call divided by the row's CPU rate "
             "within each repetition: median (range).", "",
             "| width | implementation | steps/s | steps per CPU-second | dropviz ÷ this |",
             "| --- | --- | ---: | ---: | ---: |"]
    checks = []
    for width in widths:
        results, (loss_error, weight_error) = throughput(width, repetitions, seconds)
        checks.append(f"width {width}: loss {loss_error:.1e}, weights {weight_error:.1e}")
        best = max((name for name in results if name.startswith("dropviz")),
                   key=lambda name: results[name][1].median)
        for name, (wall, cpu) in results.items():
            ratios = [a / b for a, b in zip(results[best][1].values, cpu.values, strict=True)]
            ratio = (f"{Sample(tuple(ratios)).median:.2f} ({min(ratios):.2f}-{max(ratios):.2f})"
                     if name != best else "1.00")
            lines.append(f"| {width} | {name} | {wall.text()} | {cpu.text()} | {ratio} |")
        if gru_peers.torch is None:
            lines.append(f"| {width} | PyTorch | skipped: torch is not installed | | |")
    lines += ["", "dropviz's first step against the float64 numpy reference from the same weights "
                  "with dropviz's masks, largest relative error: " + "; ".join(checks) + "."]
    return lines


def _startup_child(width: int, compiledir: str) -> dict:
    env = {**os.environ, "PYTENSOR_FLAGS": f"base_compiledir={compiledir}",
           "BENCH_T0": repr(time.time())}
    done = subprocess.run([sys.executable, __file__, "--startup", str(width)], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def startup_table() -> list[str]:
    cold_width, warm_width = STARTUP_WIDTHS
    with tempfile.TemporaryDirectory() as folder:
        runs = [("cold: empty cache", cold_width, _startup_child(cold_width, folder)),
                ("warm: a second new width", warm_width, _startup_child(warm_width, folder)),
                ("warm: the same width again", warm_width, _startup_child(warm_width, folder))]
    lines = ["### Start-up (GRU, digits_rows)", "",
             "Seconds from the start of a fresh interpreter, one GRU layer, batch 32, on a PyTensor "
             f"cache of its own. The multi-step call is run_steps({STEPS_PER_CALL}), compiled on its "
             "first use (the window compiles it on a thread while it trains single steps).", "",
             "| cache | width | imports | Trainer built (compiled) | first step | first run_steps |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for cache, width, t in runs:
        lines.append(f"| {cache} | {width} | {t['imports']:.1f} | {t['trainer_built']:.1f} | "
                     f"{t['first_step']:.1f} | {t['first_run_steps']:.1f} |")
    return lines


def startup(width: int) -> None:
    """One start-up measure in this fresh interpreter: seconds since BENCH_T0, printed as JSON."""
    started = float(os.environ["BENCH_T0"])
    times = {}
    from dropviz.model.trainer import Trainer

    times["imports"] = time.time() - started
    trainer = Trainer(config(width))
    times["trainer_built"] = time.time() - started
    trainer.step()
    times["first_step"] = time.time() - started
    trainer.run_steps(STEPS_PER_CALL)
    times["first_run_steps"] = time.time() - started
    print(json.dumps(times))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer and shorter repetitions")
    parser.add_argument("--widths", default="64,256", help="GRU widths (default 64,256)")
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up measures")
    parser.add_argument("--startup", type=int, metavar="WIDTH", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.startup is not None:
        startup(args.startup)
        return 0
    from dropviz.model.graph.backend import limit_blas_threads
    from dropviz.process import keep_freed_memory

    keep_freed_memory()  # as the app and the command line do
    limit_blas_threads(1)
    if gru_peers.torch is not None:
        gru_peers.torch.set_num_threads(1)
    loads = [load_average()]
    widths = tuple(int(width) for width in args.widths.split(","))
    repetitions, seconds = (3, 0.5) if args.quick else (8, 1.0)
    lines = ["## Recurrent models", "", *throughput_table(widths, repetitions, seconds), ""]
    loads.append(load_average())
    if not args.no_startup:
        lines += [*startup_table(), ""]
        loads.append(load_average())
    lines.append(f"Load average (1, 5, 15 min) before, after the throughput"
                 f"{', after the start-up' if not args.no_startup else ''}: {'; '.join(loads)}.")
    print("\n".join(lines))
    print(json.dumps({"lines": lines}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
