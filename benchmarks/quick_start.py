"""Quick start (issue 16): seconds to the first step after a change, on a warm install and a fresh one.

Every measure runs in a child process with its own PyTensor compile folder (numba's cache is inside
it) and its own dataset cache, so "never compiled" and "fresh machine" are true:

- warm-up: `python -m dropviz.warm` into an empty folder, timed; copies of that folder serve below.
- fresh: seconds from a new interpreter's start to the app default network's first step evaluated
  (`Trainer(Config(), pool)`, `step()`, `evaluate()`) with the window's pool, which quick-starts
  once the warm-up has marked the cache (`NetworkPool(quick_start=quick_start_helps)`): on a copy of
  the warmed folder, and on an empty one (where it takes the old path); and with a quick start
  forced on an empty folder (`NetworkPool(quick_start=True)`), which is why it waits for the mark.
- coverage: on a copy of the warmed folder, each combination's quick twin alone (built, trained a
  step, predict, Monte-Carlo pass, hidden states): new C modules compiled and seconds.
- warm install: on another copy, ONE process as the window's after a setting changed. It first
  pays its one-time costs (a quick network of the default settings), then per combination: the
  dataset loaded, `Trainer(config, pool)` with the window's pool (a recurrent net's hidden states,
  as the window's build does), `step()`, `evaluate()`: seconds from the request; the quick twin's
  steps/s for a second; seconds until the fast network took over; then steps/s of `step()`, the
  multi-step call's compile as the window asks for it (in a child process unless numba has it:
  seconds, and CPU seconds of the process itself, which held the interpreter lock for most of it),
  and `run_steps(64)`. The old path (`NetworkPool()`) on a third copy.
- speed: after the takeover, the same config's quick-start network against a plain one
  (DropoutNetwork), steps/s interleaved as in training.py.

    .venv/bin/python benchmarks/quick_start.py [--quick]

Prints Markdown and, as its last line, JSON. About 25 minutes on the 2-core machine (--quick: the
first five combinations, no old path for the recurrent ones).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measure import Sample, interleaved, load_average, rate

ROOT = Path(__file__).resolve().parent.parent

# Combinations the warm-up never compiles (it builds tiny twins only, and numba the default alone).
COMBINATIONS: dict[str, list[str]] = {
    "3 layers, tanh, momentum": ["hidden_layers=[64,64,64]", "activation=tanh", "optimizer=momentum"],
    "1 layer, sigmoid, adam": ["hidden_layers=[32]", "activation=sigmoid"],
    "6 layers, relu, sgd, blobs": ["dataset.name=blobs", "hidden_layers=[32,32,32,32,32,32]",
                                   "optimizer=sgd"],
    "gaussian dropout, batch norm before": ["dropout.kind=gaussian", "batch_norm=before_dropout",
                                            "hidden_layers=[64,64]"],
    "GRU 64, digits_rows": ["model=gru", "dataset.name=digits_rows", "hidden_layers=[64]",
                            "dropout.recurrent=0.5"],
    "dropconnect, batch norm after, tanh, sgd, digits": [
        "dataset.name=digits", "dropout.kind=dropconnect", "batch_norm=after_dropout",
        "hidden_layers=[48,48]", "activation=tanh", "optimizer=sgd"],
    "RNN 2 x 32, gaussian, tied, waves": ["model=rnn", "dataset.name=waves", "hidden_layers=[32,32]",
                                          "dropout.kind=gaussian", "dropout.time_mask=tied"],
    "GRU 16 on moons (1 time step)": ["model=gru", "hidden_layers=[16]", "optimizer=momentum"],
}
# More networks for the coverage check only: edge sizes and other datasets.
MORE_COVERAGE: dict[str, list[str]] = {
    "MLP 1 then 8 units, dropconnect, sigmoid, momentum, breast_cancer": [
        "dataset.name=breast_cancer", "hidden_layers=[1,8]", "activation=sigmoid",
        "optimizer=momentum", "dropout.kind=dropconnect"],
    "MLP 8 layers, tanh, adam, batch norm after, spiral": [
        "dataset.name=spiral", "hidden_layers=[24,24,24,24,24,24,24,24]", "activation=tanh",
        "batch_norm=after_dropout"],
    "RNN 20 on digits_rows, gaussian, momentum": [
        "model=rnn", "dataset.name=digits_rows", "hidden_layers=[20]", "dropout.kind=gaussian",
        "optimizer=momentum"],
    "GRU 2 x 24 on waves, sgd, tied": ["model=gru", "dataset.name=waves", "hidden_layers=[24,24]",
                                       "optimizer=sgd", "dropout.time_mask=tied"],
    "RNN 32 on xor (1 time step), gaussian, adam": ["model=rnn", "dataset.name=xor",
                                                    "hidden_layers=[32]", "dropout.kind=gaussian"],
}
SPEED_CONFIGS = {"app default (256x256, adam)": [], "3 layers, tanh, momentum":
                 COMBINATIONS["3 layers, tanh, momentum"]}
QUICK_SECONDS = 1.0  # how long the quick twin's rate is measured
STEPS_PER_CALL = 64


# --- children ---------------------------------------------------------------------------------

def _config(overrides: list[str]):
    from dropviz.model.config import Config

    return Config().with_overrides(overrides)


def _modules() -> int:
    import pytensor

    folder = Path(pytensor.config.compiledir)
    return sum((entry / "key.pkl").exists() for entry in folder.iterdir()) if folder.exists() else 0


def _first_step(trainer) -> None:
    """What the window does before the first step is drawn."""
    if trainer.config.recurrent:
        trainer.hidden_states(trainer.dataset.X_test[:1])
    trainer.step()
    trainer.evaluate()


def _pool(kind: str):
    """The window's pool, one that always quick-starts, or the old path's."""
    from dropviz.model.graph.compile_aside import quick_start_helps
    from dropviz.model.trainer import NetworkPool

    return NetworkPool(quick_start={"window": quick_start_helps, "forced": True, "old": False}[kind])


def child_fresh(kind: str) -> dict:
    """Seconds since the parent started this interpreter to the default network's first step."""
    started = float(os.environ["BENCH_T0"])
    from dropviz.model.trainer import Trainer

    pool = _pool(kind)
    trainer = Trainer(_config([]), pool)
    _first_step(trainer)
    result = {"first_step": time.time() - started}
    if hasattr(trainer.network, "fast_ready"):
        trainer.network.fast_ready.wait()
        result["fast"] = time.time() - started
        result["failure"] = repr(trainer.network.failure) if trainer.network.failure else ""
    return result


def child_coverage(names: list[str]) -> dict:
    """Each combination's quick twin alone: new C modules and seconds, in one process."""
    import numpy as np

    from dropviz.model.data.datasets import load_dataset
    from dropviz.model.graph.network import DropoutNetwork
    from dropviz.model.trainer import architecture_for

    results = {}
    for name in names:
        config = _config({**COMBINATIONS, **MORE_COVERAGE}[name])
        data = load_dataset(config.dataset, config.seed)
        arch = architecture_for(config, data)
        before, began = _modules(), time.perf_counter()
        network = DropoutNetwork(arch, data.X_train, data.y_train, quick=True)
        network.train_step(np.arange(4, dtype=np.int32))
        network.predict(data.X_test)
        network.mc_predict(data.X_test, 1)
        network.hidden_states(data.X_test[:1])
        results[name] = {"seconds": time.perf_counter() - began, "new_modules": _modules() - before}
    return results


def child_install(names: list[str], old: bool) -> dict:
    """One process as the window's after a setting changed, for each combination in turn."""
    from dropviz.model.data.datasets import load_dataset
    from dropviz.model.trainer import Trainer

    began = time.perf_counter()
    pool = _pool("old" if old else "window")
    _first_step(Trainer(_config([]), pool))
    results = {"one_time": time.perf_counter() - began}
    for name in names:
        config = _config(COMBINATIONS[name])
        before, began = _modules(), time.perf_counter()
        data = load_dataset(config.dataset, config.seed)
        loaded = time.perf_counter() - began
        trainer = Trainer(config, pool, data)
        _first_step(trainer)
        row = {"data": loaded, "first_step": time.perf_counter() - began,
               "new_modules": _modules() - before}
        if hasattr(trainer.network, "fast_ready"):  # the window's pool quick-started it
            row.update(_after_first_step(trainer, began))
        results[name] = row
        trainer.close()
    return results


def _after_first_step(trainer, began: float) -> dict:
    network = trainer.network
    quick_rate = rate(lambda: (trainer.step(), 1)[1], QUICK_SECONDS)
    row = {"quick_rate": quick_rate, "fast_during_quick_rate": network.is_fast}
    network.fast_ready.wait()
    row["fast"] = time.perf_counter() - began
    row["failure"] = repr(network.failure) if network.failure else ""
    row["fast_rate"] = rate(lambda: (trainer.step(), 1)[1], QUICK_SECONDS)
    from dropviz.model.graph.compile_aside import prepare_train_steps

    compiling, cpu = time.perf_counter(), time.process_time()
    prepare_train_steps(network)
    row["multi_compile"] = time.perf_counter() - compiling
    row["multi_compile_cpu"] = time.process_time() - cpu
    row["multi_rate"] = rate(lambda: len(trainer.run_steps(STEPS_PER_CALL)), QUICK_SECONDS)
    return row


def child_speed(names: list[str], repetitions: int) -> dict:
    """Steps/s of a quick-start network after its takeover against a plain one, interleaved."""
    from dropviz.model.trainer import NetworkPool, Trainer

    results = {}
    for name in names:
        config = _config(SPEED_CONFIGS[name])
        taken_over = Trainer(config, NetworkPool(quick_start=True))
        taken_over.network.fast_ready.wait()
        plain = Trainer(config, NetworkPool())
        for trainer in (taken_over, plain):
            trainer.network.prepare_train_steps()
        contenders = {}
        for label, trainer in (("quick start, taken over", taken_over), ("plain", plain)):
            contenders[f"{label}: step()"] = lambda t=trainer: (t.step(), 1)[1]
            contenders[f"{label}: run_steps({STEPS_PER_CALL})"] = (
                lambda t=trainer: len(t.run_steps(STEPS_PER_CALL)))
        samples = interleaved(contenders, repetitions, 0.4)
        results[name] = {label: list(sample.values) for label, sample in samples.items()}
    return results


# --- the parent ---------------------------------------------------------------------------------

def _run(folder: Path, args: list[str]) -> str:
    """`python args` with its own compile and dataset caches in `folder`; its output."""
    env = {**os.environ, "PYTENSOR_FLAGS": f"base_compiledir={folder / 'pytensor'}",
           "XDG_CACHE_HOME": str(folder / "cache"), "BENCH_T0": repr(time.time())}
    env.pop("DROPVIZ_MODE", None)
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {done.stderr.strip()[-2000:]}")
    return done.stdout


def _child(folder: Path, args: list[str]) -> dict:
    """A child of this script; its last line of output is JSON."""
    return json.loads(_run(folder, ["benchmarks/quick_start.py", "--child", *args])
                      .strip().splitlines()[-1])


def _copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    return target


def _cell(row: dict, key: str, digits: int = 1) -> str:
    return f"{row[key]:,.{digits}f}" if key in row else "—"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="five combinations, fewer old paths")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--names", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    names = [name for name in args.names.split("|") if name]
    if args.child:
        children = {"fresh-window": lambda: child_fresh("window"),
                    "fresh-forced": lambda: child_fresh("forced"),
                    "coverage": lambda: child_coverage(names),
                    "install": lambda: child_install(names, old=False),
                    "install-old": lambda: child_install(names, old=True),
                    "speed": lambda: child_speed(names, 5)}
        print(json.dumps(children[args.child]()))
        return 0
    chosen = list(COMBINATIONS)[:5] if args.quick else list(COMBINATIONS)
    old_names = [name for name in chosen
                 if not (args.quick and ("GRU" in name or "RNN" in name))]
    loads = {"start": load_average()}
    with tempfile.TemporaryDirectory(prefix="dropviz-quick-start-") as temporary:
        base = Path(temporary)
        warmed = base / "warmed"
        began = time.perf_counter()
        warm_lines = _run(warmed, ["-m", "dropviz.warm"]).strip().splitlines()
        warm = {"seconds": time.perf_counter() - began, "items": len(warm_lines) - 1}
        loads["after the warm-up"] = load_average()
        fresh = {"warmed": _child(_copy(warmed, base / "fresh-warmed"), ["fresh-window"]),
                 "empty": _child(base / "fresh-empty", ["fresh-window"]),
                 "forced": _child(base / "fresh-forced", ["fresh-forced"])}
        loads["after fresh"] = load_average()
        coverage = _child(_copy(warmed, base / "coverage"),
                          ["coverage", "--names", "|".join([*COMBINATIONS, *MORE_COVERAGE])])
        install_folder = _copy(warmed, base / "install")
        install = _child(install_folder, ["install", "--names", "|".join(chosen)])
        loads["after the warm install"] = load_average()
        old = _child(_copy(warmed, base / "install-old"),
                     ["install-old", "--names", "|".join(old_names)])
        loads["after the old path"] = load_average()
        speed = _child(install_folder, ["speed", "--names", "|".join(SPEED_CONFIGS)])
        loads["end"] = load_average()
    lines = [*_fresh_table(warm, fresh), "", *_install_table(coverage, install, old), "",
             *_speed_table(speed), "",
             "Load average (1, 5, 15 min): " + "; ".join(f"{when} {value}"
                                                         for when, value in loads.items()) + "."]
    print("\n".join(lines))
    print(json.dumps({"lines": lines}))
    return 0


def _fresh_table(warm: dict, fresh: dict) -> list[str]:
    return ["### Fresh machine: empty caches", "",
            "Seconds from a new interpreter's start to the app default network's first step "
            "evaluated, and to its fast network taking over.", "",
            "| case | first step (s) | fast network took over (s) |", "| --- | ---: | ---: |",
            f"| window's pool after `python -m dropviz.warm` ({warm['items']} items, "
            f"{warm['seconds']:.0f} s cold): a quick start | {_cell(fresh['warmed'], 'first_step')} "
            f"| {_cell(fresh['warmed'], 'fast')} |",
            f"| window's pool, no warm-up: the old path | {_cell(fresh['empty'], 'first_step')} | "
            f"{_cell(fresh['empty'], 'fast')} |",
            f"| quick start forced, no warm-up | {_cell(fresh['forced'], 'first_step')} | "
            f"{_cell(fresh['forced'], 'fast')} |"]


def _install_table(coverage: dict, install: dict, old: dict) -> list[str]:
    lines = ["### Warm install: combinations never compiled", "",
             f"One process, its one-time costs paid first ({install['one_time']:.1f} s: a network "
             "of the default settings, from the cache). Seconds from the request; a quick twin's "
             "columns are empty where the window's pool did not quick-start; the twin alone is the "
             "coverage check (its C modules compiled on a copy of the warmed folder).", "",
             "| combination | twin alone: new C modules, s | data (s) | first step evaluated (s) "
             "| quick twin steps/s | fast took over (s) | step() steps/s after | multi-step "
             "compiled: s, CPU s in process | run_steps(64) steps/s | old path: first step (s) |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, check in coverage.items():
        row, before = install.get(name, {}), old.get(name, {})
        failure = f" (failed: {row['failure']})" if row.get("failure") else ""
        lines.append(
            f"| {name} | {check['new_modules']}, {check['seconds']:.1f} | {_cell(row, 'data')} | "
            f"{_cell(row, 'first_step')} | {_cell(row, 'quick_rate', 0)} | "
            f"{_cell(row, 'fast')}{failure} | {_cell(row, 'fast_rate', 0)} | "
            f"{_cell(row, 'multi_compile')}, {_cell(row, 'multi_compile_cpu')} | "
            f"{_cell(row, 'multi_rate', 0)} | "
            f"{_cell(before, 'first_step')} |")
    return lines


def _speed_table(speed: dict) -> list[str]:
    lines = ["### Speed after the takeover", "",
             "Steps/s, median ±half-range of 5 interleaved repetitions of 0.4 s; the ratio is "
             "taken within each repetition.", "",
             "| network | call | quick start, taken over | plain DropoutNetwork | ratio |",
             "| --- | --- | ---: | ---: | ---: |"]
    for name, rates in speed.items():
        for call in ("step()", f"run_steps({STEPS_PER_CALL})"):
            ours = rates[f"quick start, taken over: {call}"]
            plain = rates[f"plain: {call}"]
            ratios = Sample(tuple(a / b for a, b in zip(ours, plain, strict=True)))
            lines.append(f"| {name} | {call} | {Sample(tuple(ours)).text()} | "
                         f"{Sample(tuple(plain)).text()} | {ratios.median:.2f} "
                         f"({min(ratios.values):.2f}-{max(ratios.values):.2f}) |")
    return lines


if __name__ == "__main__":
    sys.exit(main())
