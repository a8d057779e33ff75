"""The command line's parser and its one kind of error, cheap to import.

Nothing here loads PyTensor, numpy or scikit-learn: `--help` and every usage error are answered
before the training modules are imported.
"""

from __future__ import annotations

import argparse
from typing import NoReturn

from dropviz.model.config import CSV_DATASET, DATASET_NAMES
from dropviz.model.errors import DropvizError

EXIT_BAD_INPUT = 2
EXIT_DIVERGED = 1


class UsageError(DropvizError):
    """The command line itself is wrong."""


class Parser(argparse.ArgumentParser):
    """Reports a mistake as a UsageError (one line, exit 2) instead of argparse's usage dump."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def add_core_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of a training run; extensions add theirs after these (see dropviz/cli/__init__)."""
    parser.add_argument("--config", metavar="FILE", help="an experiment file (JSON)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--dataset", choices=[n for n in DATASET_NAMES if n != CSV_DATASET],
                        help="a built-in dataset")
    source.add_argument("--csv", metavar="FILE", help="train on a CSV file")
    parser.add_argument("--label", metavar="COLUMN", help="the label column of --csv (default: last)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="change one setting, dotted keys allowed, e.g. dropout.hidden=0.5")
    parser.add_argument("--steps", type=int, help="training steps (default: the config's)")
    parser.add_argument("--eval-every", type=int, default=100, metavar="K",
                        help="evaluate on train and test every K steps (default 100)")
    parser.add_argument("--out", metavar="DIR",
                        help="write config, metrics, weights, data, masks and the experiment")
    parser.add_argument("--force", action="store_true", help="replace a run already in --out")
    parser.add_argument("--resume", metavar="DIR",
                        help="continue a run saved with --out for --steps more steps")
    parser.add_argument("--export-plots", action="store_true",
                        help="also render every plot as PNG and SVG into --out (no window needed)")
