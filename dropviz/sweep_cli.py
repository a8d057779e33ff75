"""Sweeps from the command line: `--sweep KEY=V1,V2,...` (repeatable) or `--sweep-file FILE`.

The headless front end of the session's sweeps (session/sweep_grid.py, sweep_cluster.py): the
grid's runs go to a local Dask cluster of one worker process per core (`--workers N`), or to an
existing cluster (`--scheduler ADDRESS`); `--workers 0` trains them here, one after another. Every
finished run is a row of `sweep.csv` at once, so a killed sweep loses only the runs under way, and
the same command again trains only the rest. At the end it prints a table a course can paste into
its notes. An extension of the command line (see dropviz/cli/__init__.py): `add_arguments` and
`run`; the sweeps load PyTensor and Dask, so they are imported only when a sweep runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from dropviz.cli.errors import UsageError
from dropviz.cli.settings import config_from_args

if TYPE_CHECKING:
    from dropviz.model.sweeps import SweepResult, SweepSummary
    from dropviz.session.sweep_cluster import Sweep

SWEEP_FILE = "sweep.csv"
EXIT_INTERRUPTED = 130  # as a shell reports a command ended by Ctrl+C
EXIT_NOT_ALL_OK = 1  # some runs diverged or failed: their rows are written, their metrics NaN
EXAMPLES = "dropout=0,0.2,0.5, size=20,40,60 or learning_rate=0.01,0.001"
METRIC_HEADERS = {"train_error": "train error", "test_error": "test error",
                  "train_loss": "train loss", "test_loss": "test loss"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sweep", action="append", metavar="KEY=V1,V2",
                        help=f"train a fresh network per setting, e.g. {EXAMPLES}; any --set key, "
                             "repeatable for a grid; `dropout` alone means 0 to 0.8 by 0.1. Prints "
                             f"a table and writes {SWEEP_FILE} to --out, a row per finished run; the "
                             "same command again trains only the runs missing there. Exits 1 "
                             "when a run diverged or failed (the table and the rows are written "
                             "all the same; the status column says which), 130 on Ctrl+C")
    parser.add_argument("--sweep-file", metavar="FILE",
                        help='a sweep as JSON: {"grid": {"dropout.hidden": [0, 0.5], '
                             '"learning_rate": [0.01, 0.001]}, "seeds": 3}')
    parser.add_argument("--seeds", type=int, metavar="N",
                        help="seeds per sweep setting, for error bars (default 1)")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="worker processes of the local Dask cluster that trains a sweep "
                             "(default: one per core; 0: no cluster, one run after another here)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="send a sweep's runs to the Dask cluster of this scheduler, e.g. "
                             "tcp://10.0.0.5:8786, instead of starting one here")


def _specs(args: argparse.Namespace) -> list[str]:
    """--sweep's specs, and the SPEC of the `sweep SPEC` command."""
    specs = list(args.sweep or [])
    if getattr(args, "command", None) == "sweep" and getattr(args, "target", None):
        specs.insert(0, args.target)
    return specs


def run(args: argparse.Namespace) -> int | None:
    """Run the sweep that --sweep or --sweep-file asks for; None without either."""
    specs = _specs(args)
    if not specs and not args.sweep_file:
        for option in ("seeds", "workers", "scheduler"):
            if getattr(args, option) is not None:
                raise UsageError(f"--{option} goes with --sweep or --sweep-file")
        return None
    if args.resume:
        raise UsageError("--sweep trains fresh networks; it does not go with --resume")
    if args.seeds is not None and args.seeds < 1:
        raise UsageError(f"--seeds: {args.seeds} is not allowed; expected at least 1")
    if args.workers is not None and args.workers < 0:
        raise UsageError(f"--workers: {args.workers} is not allowed; expected 0 or more")
    if args.workers is not None and args.scheduler:
        raise UsageError("--workers starts a cluster here; --scheduler uses one that runs already: "
                         "give one of them")
    from dropviz.session.out_folder import claimed

    with claimed(args.out) if args.out else nullcontext():  # no other run writes there meanwhile
        sweep = prepare(args, specs)
        if sweep.kept:
            print(f"dropviz: {sweep.kept} of {len(sweep.tasks)} runs are in {sweep.out.path} "
                  "already; training the rest", file=sys.stderr)
        try:
            result = _run(sweep, args)
        except KeyboardInterrupt as stop:
            kept = f"the finished runs are in {sweep.out.path}; the same command trains the rest" \
                if sweep.out is not None else "nothing was written (no --out)"
            print(f"dropviz: sweep {getattr(stop, 'message', 'interrupted')}; {kept}",
                  file=sys.stderr)
            return getattr(stop, "exit_status", EXIT_INTERRUPTED)
    print(format_table(result, sweep.grid.config.steps, sweep.grid.seeds))
    if sweep.out is not None:
        print(f"wrote {sweep.out.path}")
    return _ending(result)


def _ending(result: SweepResult) -> int:
    """0 when every run finished well; else one line on what did not, and EXIT_NOT_ALL_OK."""
    from dropviz.model.sweeps import DIVERGED

    diverged = sum(point.status == DIVERGED for point in result.points)
    failed = sum(not point.ok for point in result.points) - diverged
    if not diverged and not failed:
        return 0
    parts = [f"{count} of {len(result.points)} runs {what}" for count, what in
             ((diverged, "diverged"), (failed, "failed (the same command tries them again)"))
             if count]
    print(f"dropviz: {'; '.join(parts)}; the means leave them out, and the status column of "
          f"{SWEEP_FILE} says why", file=sys.stderr)
    return EXIT_NOT_ALL_OK


def prepare(args: argparse.Namespace, specs: list[str]) -> Sweep:
    """The grid checked and sweep.csv read, before any cluster starts."""
    from dropviz.session.sweep_cluster import Sweep
    from dropviz.session.sweep_csv import SweepCsv
    from dropviz.session.sweep_grid import SweepGrid, parse_axis

    config = config_from_args(args)
    if args.sweep_file:
        grid = SweepGrid.from_file(config, args.sweep_file, args.seeds)
        grid = SweepGrid(config, (*grid.axes, *(parse_axis(spec) for spec in specs)), grid.seeds)
    else:
        grid = SweepGrid.from_specs(config, specs, args.seeds or 1)
    out = SweepCsv(Path(args.out) / SWEEP_FILE, grid.extra_columns) if args.out else None
    return Sweep(grid, out, args.force)


def _run(sweep: Sweep, args: argparse.Namespace) -> SweepResult:
    """Train the pending runs with a progress bar of steps and the estimated time left."""
    from tqdm import tqdm

    from dropviz.session.sweep_cluster import sweep_client

    if not sweep.pending:
        return sweep.result()
    if sys.stderr.isatty():
        where = args.scheduler or ("this process" if args.workers == 0 else "a local Dask cluster")
        print(f"dropviz: {len(sweep.pending)} runs on {where} (a network shape's first compile "
              "takes up to a minute)...", file=sys.stderr)
    bars: list[tqdm] = []

    def progress(done: int, total: int) -> None:
        if not bars:  # made at the first report, so the time left counts only new steps
            bars.append(tqdm(total=total, initial=done, unit="step", unit_scale=True, leave=False,
                             disable=not sys.stderr.isatty(), file=sys.stderr))
        bars[0].update(done - bars[0].n)

    local = args.workers == 0
    try:
        with nullcontext() if local else sweep_client(args.workers, args.scheduler) as client:
            return sweep.run(client, progress=progress)
    finally:
        for bar in bars:
            bar.close()


def format_table(result: SweepResult, steps: int, seeds: int) -> str:
    """Mean (± standard deviation over seeds) of each metric, one line per setting.

    Only runs that finished well count; a setting with none shows what became of its runs in
    place of numbers, and columns count the diverged and failed runs when there are any.
    """
    from dropviz.model.sweeps import DIVERGED, OK

    summary = result.summary()
    outcomes: dict[tuple, list[str]] = {}
    for point in result.points:
        outcomes.setdefault(point.setting, []).append(point.status)
    counts = [(sum(status == DIVERGED for status in outcome),
               sum(status not in (OK, DIVERGED) for status in outcome))
              for outcome in outcomes.values()]
    labels = [column for column, _ in summary[0].labels] if summary else []
    swept_steps = len({s.steps for s in summary}) > 1
    shown = [name for index, name in enumerate(("diverged", "failed"))
             if any(count[index] for count in counts)]
    header = (*labels, "rate", "train size", *(["steps"] if swept_steps else []),
              *METRIC_HEADERS.values(), *shown)
    rows = [_row(s, seeds, swept_steps, count, shown) for s, count in zip(summary, counts,
                                                                           strict=True)]
    widths = [max(len(line[i]) for line in (header, *rows)) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
             for line in (header, *rows)]
    runs = "1 seed" if seeds == 1 else f"{seeds} seeds (mean ± standard deviation)"
    per_run = "" if swept_steps else f"{steps} steps per run, "
    return "\n".join([f"{result.kind} sweep: {per_run}{runs}", *lines])


def _row(summary: SweepSummary, seeds: int, swept_steps: bool, counts: tuple[int, int],
         shown: list[str]) -> Sequence[str]:
    from dropviz.model.sweeps import rate_text

    def cell(name: str) -> str:
        if not summary.runs:
            return "diverged" if counts[0] and not counts[1] else "-"
        mean = f"{summary.mean[name]:.4f}"
        return mean if seeds == 1 else f"{mean} ± {summary.std[name]:.4f}"

    return (*(text for _, text in summary.labels), rate_text(summary.rate), str(summary.train_size),
            *([str(summary.steps)] if swept_steps else []), *(cell(name) for name in METRIC_HEADERS),
            *(str(count) for count, name in zip(counts, ("diverged", "failed"), strict=True)
              if name in shown))
