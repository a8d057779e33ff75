"""Sweeps from the command line: `--sweep dropout=0,0.1,0.5` or `--sweep size=20,40,60`.

The headless front end of `model/sweeps.py`: it reads the sweep from one argument, prints a table a
course can paste into its notes, and writes every run to `sweep.csv` for plotting elsewhere. An
extension of the command line (see dropviz/cli/__init__.py): `add_arguments` and `run`. The sweeps
load PyTensor, so they are imported inside the functions that run them, not when `--help` builds
the parser.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dropviz.cli.options import UsageError
from dropviz.cli.settings import config_from_args
from dropviz.model.config import Config
from dropviz.model.errors import ConfigError

if TYPE_CHECKING:
    from dropviz.model.sweeps import ProgressFn, SweepResult, SweepSummary
    from dropviz.model.trainer import NetworkPool

SWEEP_KINDS = ("dropout", "size")
SWEEP_FILE = "sweep.csv"
EXAMPLES = "dropout, dropout=0,0.2,0.5 or size=20,40,60"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sweep", metavar="SPEC",
                        help=f"train a fresh network per setting: {EXAMPLES}; prints a table and "
                             f"writes {SWEEP_FILE} to --out")
    parser.add_argument("--seeds", type=int, default=1, metavar="N",
                        help="seeds per sweep setting, for error bars (default 1)")


def run(args: argparse.Namespace) -> int | None:
    """Run the sweep that --sweep asks for; None without --sweep."""
    if not args.sweep:
        return None
    if args.resume:
        raise UsageError("--sweep trains fresh networks; it does not go with --resume")
    if args.seeds < 1:
        raise UsageError(f"--seeds: {args.seeds} is not allowed; expected at least 1")
    config = config_from_args(args)
    out = Path(args.out) if args.out else None
    if out and (out / SWEEP_FILE).exists() and not args.force:
        raise UsageError(f"{out} already holds {SWEEP_FILE}; pass --force to replace it")
    from tqdm import tqdm

    with tqdm(disable=not sys.stderr.isatty(), unit="step", leave=False, file=sys.stderr) as bar:
        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        table = run_sweep(config, args.sweep, args.seeds, out, progress=progress)
    print(table)
    if out:
        print(f"wrote {out / SWEEP_FILE}")
    return 0


def parse_sweep(spec: str) -> tuple[str, tuple[float, ...] | tuple[int, ...]]:
    """The kind of sweep and its values; `dropout` alone means the rates 0 to 0.8 by 0.1."""
    from dropviz.model.sweeps import DEFAULT_RATES

    kind, sep, raw = spec.strip().partition("=")
    kind = kind.strip()
    if kind not in SWEEP_KINDS:
        raise ConfigError(f"--sweep {spec!r}: unknown sweep {kind!r}; expected {EXAMPLES}")
    if not sep:
        if kind == "dropout":
            return kind, DEFAULT_RATES
        raise ConfigError(f"--sweep {spec!r}: give the training-set sizes, e.g. size=20,40,60")
    items = [item.strip() for item in raw.split(",")]
    if not all(items):
        raise ConfigError(f"--sweep {spec!r}: expected a comma-separated list of values, e.g. {EXAMPLES}")
    return kind, tuple(_rate(spec, item) if kind == "dropout" else _size(spec, item) for item in items)


def _rate(spec: str, text: str) -> float:
    try:
        rate = float(text)
    except ValueError:
        rate = math.nan
    if not 0.0 <= rate < 1.0:
        raise ConfigError(f"--sweep {spec!r}: {text!r} is not a dropout rate; "
                          "expected numbers from 0, below 1")
    return rate


def _size(spec: str, text: str) -> int:
    if not text.isdecimal() or int(text) < 1:
        raise ConfigError(f"--sweep {spec!r}: {text!r} is not a training-set size; "
                          "expected whole numbers from 1")
    return int(text)


def run_sweep(config: Config, spec: str, seeds: int = 1, out: Path | None = None,
              progress: ProgressFn | None = None, pool: NetworkPool | None = None) -> str:
    """Run the sweep `spec` describes, write out/sweep.csv when `out` is given, return the table."""
    from dropviz.model.files import write_text_atomic
    from dropviz.model.sweeps import rate_sweep, size_sweep

    kind, values = parse_sweep(spec)
    sweep = rate_sweep if kind == "dropout" else size_sweep
    result = sweep(config, values, seeds=seeds, pool=pool, progress=progress)
    if out is not None:
        write_text_atomic(Path(out) / SWEEP_FILE, result.to_csv())
    return format_table(result, config.steps, seeds)


def format_table(result: SweepResult, steps: int, seeds: int) -> str:
    """Mean (± standard deviation over seeds) of each metric, one line per setting."""
    header = ("rate", "train size", "train error", "test error", "train loss", "test loss")
    rows = [_row(summary, seeds) for summary in result.summary()]
    widths = [max(len(line[i]) for line in (header, *rows)) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
             for line in (header, *rows)]
    runs = "1 seed" if seeds == 1 else f"{seeds} seeds (mean ± standard deviation)"
    title = f"{result.kind} sweep: {steps} steps per run, {runs}"
    return "\n".join([title, *lines])


def _row(summary: SweepSummary, seeds: int) -> Sequence[str]:
    def cell(name: str) -> str:
        mean = f"{summary.mean[name]:.4f}"
        return mean if seeds == 1 else f"{mean} ± {summary.std[name]:.4f}"

    return (f"{summary.rate:g}", str(summary.train_size),
            *(cell(name) for name in ("train_error", "test_error", "train_loss", "test_loss")))
