"""Sweeps from the command line: `--sweep dropout=0,0.1,0.5` or `--sweep size=20,40,60`.

The headless front end of `model/sweeps.py`: it reads the sweep from one argument, prints a table a
course can paste into its notes, and writes every run to `sweep.csv` for plotting elsewhere.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from dropviz.model.config import Config
from dropviz.model.errors import ConfigError
from dropviz.model.files import write_text_atomic
from dropviz.model.sweeps import (
    DEFAULT_RATES,
    ProgressFn,
    SweepResult,
    SweepSummary,
    rate_sweep,
    size_sweep,
)
from dropviz.model.trainer import NetworkPool

SWEEP_KINDS = ("dropout", "size")
SWEEP_FILE = "sweep.csv"
EXAMPLES = "dropout, dropout=0,0.2,0.5 or size=20,40,60"


def parse_sweep(spec: str) -> tuple[str, tuple[float, ...] | tuple[int, ...]]:
    """The kind of sweep and its values; `dropout` alone means the rates 0 to 0.8 by 0.1."""
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
