"""The dropout paper's figures from the command line: `--figure NAME --out DIR`.

NAME is fig9 (error against the dropout rate), fig10 (against the training-set size), fig11
(Monte-Carlo passes against weight scaling) or maxnorm (a high learning rate with and without
max-norm); each writes NAME.csv (a row per run or point), NAME.png and NAME.svg into --out and
prints the mean ± standard deviation over seeds of each line. A figure starts from its preset's
settings (session/figures.py); `--set` changes them, `--set seed=S` is the first seed and `--seeds`
how many. Its runs are a sweep's tasks on a local Dask cluster (`--workers`, 0: here). An extension
of the command line (see dropviz/cli/__init__.py); it imports PyTensor, Dask and Qt only in `run`.

`--seeds` and `--workers` are the sweep's options (sweep_cli.py adds them), meaning the same here.
This extension must come before the sweep's in EXTENSIONS: it is then asked first, and takes a
command with --figure before the sweep's refuses --seeds without --sweep.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from dropviz.cli.errors import UsageError

if TYPE_CHECKING:
    from dropviz.model.config import Config
    from dropviz.session.figures import FigureResult

FIGURE_NAMES = ("fig9", "fig10", "fig11", "maxnorm")
DEFAULT_SEEDS = 5
SUFFIXES = ("csv", "png", "svg")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--figure", choices=FIGURE_NAMES, metavar="NAME",
                        help="reproduce a figure of the dropout paper on digits: fig9 (error "
                             "against the dropout rate), fig10 (against the training-set size), "
                             "fig11 (Monte-Carlo passes against weight scaling) or maxnorm; writes "
                             f"NAME.csv, NAME.png and NAME.svg to --out ({DEFAULT_SEEDS} seeds "
                             "unless --seeds; --workers as for a sweep)")


def run(args: argparse.Namespace) -> int | None:
    """Compute, write and summarise the figure --figure names; None without --figure."""
    if args.figure is None:
        return None
    _check(args)
    config = figure_config(args)
    out = Path(args.out)
    paths = [out / f"{args.figure}.{suffix}" for suffix in SUFFIXES]
    there = [path.name for path in paths if path.exists()]
    if there and not args.force:
        raise UsageError(f"{out} holds {', '.join(there)} already; give --force to replace them")
    try:  # before any training: a folder that cannot be made fails in a second, not in minutes
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"--out {out}: cannot make the folder ({error.strerror or error})") from None
    seeds = getattr(args, "seeds", None) or DEFAULT_SEEDS
    result = _compute(args, config, seeds)
    _write(result, out)
    print(result.table())
    print(f"wrote {', '.join(str(path) for path in paths)}")
    return 0


def _check(args: argparse.Namespace) -> None:
    if not args.out:
        raise UsageError("--figure writes NAME.csv, NAME.png and NAME.svg: give --out DIR")
    if getattr(args, "command", None) == "sweep":
        raise UsageError("--figure trains its own grid; it does not go with the sweep command")
    for option in ("sweep", "sweep_file", "resume", "preset", "config", "csv", "dataset"):
        if getattr(args, option, None):
            name = option.replace("_", "-")
            raise UsageError(f"--figure trains its own grid on its preset's settings; it does not "
                             f"go with --{name} (change a setting with --set)")
    seeds, workers = getattr(args, "seeds", None), getattr(args, "workers", None)
    if seeds is not None and seeds < 1:
        raise UsageError(f"--seeds: {seeds} is not allowed; expected at least 1")
    if workers is not None and workers < 0:
        raise UsageError(f"--workers: {workers} is not allowed; expected 0 or more")
    if getattr(args, "scheduler", None):
        raise UsageError("--figure trains on a local cluster (--workers); it does not go with "
                         "--scheduler")


def figure_config(args: argparse.Namespace) -> Config:
    """The figure's base settings, then each --set, then --steps."""
    from dropviz.session.figures import base_config

    config = base_config(args.figure).with_overrides(args.overrides)
    if args.steps is not None:
        config = config.with_overrides([f"steps={args.steps}"])
    return config


def _compute(args: argparse.Namespace, config: Config, seeds: int) -> FigureResult:
    """The figure's runs on a local cluster (or here with --workers 0), with a progress bar."""
    from contextlib import nullcontext

    from tqdm import tqdm

    from dropviz.session.figures import compute
    from dropviz.session.sweep_cluster import sweep_client

    if sys.stderr.isatty():
        print(f"dropviz: {args.figure} over {seeds} seeds (a network shape's first compile takes "
              "up to a minute)...", file=sys.stderr)
    with tqdm(disable=not sys.stderr.isatty(), leave=False, file=sys.stderr) as bar:
        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        workers = getattr(args, "workers", None)
        with nullcontext() if workers == 0 else sweep_client(workers) as client:
            return compute(args.figure, config, seeds, client, progress=progress)


def _write(result: FigureResult, out: Path) -> None:
    """The CSV first (the numbers), then the drawing, offscreen."""
    from dropviz.model.files import write_text_atomic
    from dropviz.ui.figure_plots import write_figure

    write_text_atomic(out / f"{result.name}.csv", result.to_csv())
    write_figure(result, out)
