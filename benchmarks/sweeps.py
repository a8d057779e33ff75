"""Sweeps on Dask: points per second with two worker processes against one, the cost of a task
beyond its training, and a whole grid from the command line.

One local cluster of two workers serves the first measures, warmed up first (each worker compiles
the network once), and so does this process, so no compile is timed there. Each round trains the
same tasks three ways, in a rotating order: "1 worker" sends them all to one worker, "2 workers"
lets the scheduler use both, "here" trains them in this process with no Dask at all. Each
round's ratios are reported, since the load of a shared machine moves the rates more than the
ratios. The grid is `python main.py --headless --sweep ...` from start to exit: cluster start,
compiles and all, as a user waits for it. Prints Markdown, and JSON as its last line.

    .venv/bin/python benchmarks/sweeps.py [--quick] [--hidden 512,512] [--steps 3000] [--no-grid]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measure import Sample, load_average

from dropviz.model.config import Config
from dropviz.model.graph.backend import limit_blas_threads
from dropviz.model.trainer import NetworkPool
from dropviz.process import keep_freed_memory
from dropviz.session.sweep_cluster import start_local_cluster
from dropviz.session.sweep_grid import SweepGrid
from dropviz.session.sweep_tasks import run_on_worker, run_task

ROOT = Path(__file__).resolve().parent.parent
GRID_RATES = "0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9"
MODES = ("1 worker", "2 workers", "here")


def _config(hidden: str, steps: int) -> Config:
    return Config().with_overrides(["dataset.name=digits", f"hidden_layers=[{hidden}]",
                                    f"steps={steps}"])


def _timed(client, tasks, worker: str | None) -> tuple[float, list[float]]:
    """Wall seconds for all tasks, and each task's own seconds (as its worker measured them)."""
    started = time.perf_counter()
    futures = [client.submit(run_on_worker, task, pure=False,
                             workers=[worker] if worker else None) for task in tasks]
    points = client.gather(futures)
    return time.perf_counter() - started, [point.seconds for point in points]


def rounds(config: Config, tasks_per_round: int, count: int) -> dict[str, list[float]]:
    """Seconds per point of each mode, round by round, and the tasks' own seconds on 1 worker."""
    from distributed import Client

    tasks = SweepGrid.from_specs(config, [f"dropout={GRID_RATES}"], seeds=5).tasks()
    warm = SweepGrid.from_specs(config.with_overrides(["steps=2"]), ["dropout=0.5"]).tasks()[0]
    pool = NetworkPool()
    limit_blas_threads(1)  # as in a worker
    run_task(warm, pool)  # compiles here, untimed
    found: dict[str, list[float]] = {mode: [] for mode in (*MODES, "own")}
    with start_local_cluster(2) as cluster, Client(cluster, set_as_default=False) as client:
        client.run(run_on_worker, warm)  # every worker compiles, untimed
        first = sorted(client.scheduler_info()["workers"])[0]
        for round_ in range(count):
            batch = tasks[round_ * tasks_per_round:][:tasks_per_round]
            for mode in MODES[round_ % 3:] + MODES[:round_ % 3]:
                if mode == "here":
                    started = time.perf_counter()
                    for task in batch:
                        run_task(task, pool)
                    found[mode].append((time.perf_counter() - started) / len(batch))
                    continue
                wall, seconds = _timed(client, batch, first if mode == "1 worker" else None)
                found[mode].append(wall / len(batch))
                if mode == "1 worker":
                    found["own"].append(statistics.mean(seconds))
    return found


def whole_grid(hidden: str, steps: int, seeds: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "main.py", "--headless", "--dataset", "digits", "--set",
                   f"hidden_layers=[{hidden}]", "--steps", str(steps), "--sweep",
                   f"dropout={GRID_RATES}", "--seeds", str(seeds), "--out", folder]
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        wall = time.perf_counter() - started
        rows = (Path(folder) / "sweep.csv").read_text().splitlines()[1:]
    task_seconds = [float(row.split(",")[-2]) for row in rows]
    return {"wall": wall, "runs": len(rows), "task_seconds": task_seconds}


def _listed(sample: Sample, digits: int) -> str:
    return f"{sample.text(digits)} ({', '.join(f'{v:.{digits}f}' for v in sample.values)})"


def main() -> int:
    keep_freed_memory()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter tasks, fewer rounds")
    parser.add_argument("--hidden", default="512,512", help="hidden widths (default 512,512)")
    parser.add_argument("--steps", type=int, help="steps per task (default 3000; quick 600)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the three modes")
    parser.add_argument("--no-grid", action="store_true", help="skip the whole 10 x 5 grid")
    args = parser.parse_args()
    steps = args.steps or (600 if args.quick else 3000)
    loads = [load_average()]
    found = rounds(_config(args.hidden, steps), 2, args.rounds)
    loads.append(load_average())
    seeds = 2 if args.quick else 5
    grid = None if args.no_grid else whole_grid(args.hidden, steps, seeds)
    loads.append(load_average())

    one, two, here = (found[mode] for mode in MODES)
    speedup = Sample(tuple(a / b for a, b in zip(one, two, strict=True)))
    overhead = Sample(tuple(a / b for a, b in zip(one, here, strict=True)))
    lines = [f"## Sweeps on Dask (digits {args.hidden.replace(',', '-')}, {steps} steps a task)", "",
             "| measure | value |", "| --- | ---: |",
             f"| points/s, 1 worker | {Sample(tuple(1 / s for s in one)).text(3)} |",
             f"| points/s, 2 workers | {Sample(tuple(1 / s for s in two)).text(3)} |",
             f"| 2 workers ÷ 1, per round | {_listed(speedup, 2)} |",
             f"| seconds a task: 1 worker's wall, the task's own, in this process (medians) | "
             f"{statistics.median(one):.2f}, {statistics.median(found['own']):.2f}, "
             f"{statistics.median(here):.2f} |",
             f"| 1 worker's wall ÷ in this process, per round: all overhead | "
             f"{_listed(overhead, 3)} |"]
    if grid is not None:
        lines += [f"| `--sweep dropout={GRID_RATES} --seeds {seeds}`: {grid['runs']} runs, start "
                  f"to exit | {grid['wall']:.0f} s |",
                  f"| its runs' own seconds, summed over both workers | "
                  f"{sum(grid['task_seconds']):.0f} s |"]
    lines += ["", f"Load average (1, 5, 15 min) before, after the rounds, at the end: "
                  f"{'; '.join(loads)}."]
    print("\n".join(lines))
    print(json.dumps({"lines": lines, "rounds": found, "grid": grid}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
