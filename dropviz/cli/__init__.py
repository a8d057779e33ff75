"""The `dropviz` command line: the window, headless training, and what extensions add.

Courses script their figures and people train on servers with it, so every mistake in the
arguments or the data ends in one line on stderr and exit status 2, never a traceback; a run that
diverges exits with 1.

Extensions: each module of EXTENSIONS has `add_arguments(parser) -> None`, which adds its options
to the one parser, and `run(args) -> int | None`, which does its work and returns the exit status,
or returns None when the arguments are not its business. They are asked in order after the
arguments are parsed and checked; when none takes them, a training run does. An extension must be
cheap to import (argparse and dropviz.model.config at most): `--help` builds the parser, so heavy
modules (PyTensor, numpy, the trainer) are imported inside its `run`. What it needs of the command
line: `dropviz.cli.options` (UsageError) and `dropviz.cli.settings` (config_from_args). An error for
the user is a DropvizError (one line, exit 2).
"""

from __future__ import annotations

import argparse
import sys

from dropviz import lecture_cli, sweep_cli
from dropviz.cli.options import EXIT_BAD_INPUT, EXIT_DIVERGED, Parser, UsageError, add_core_arguments
from dropviz.model.errors import DropvizError, TrainingDiverged

EXTENSIONS = (sweep_cli, lecture_cli)

__all__ = ["EXIT_BAD_INPUT", "EXIT_DIVERGED", "EXTENSIONS", "UsageError", "build_parser", "main", "run"]


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="main.py --headless",
                    description="Train a dropout network without a window and write the results.")
    add_core_arguments(parser)
    for extension in EXTENSIONS:
        extension.add_arguments(parser)
    return parser


def run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.eval_every < 1:
        raise UsageError(f"--eval-every: {args.eval_every} is not allowed; expected at least 1")
    for extension in EXTENSIONS:
        status = extension.run(args)
        if status is not None:
            return status
    from dropviz.cli.training import run_training  # PyTensor: only once the arguments are good

    return run_training(args)


def main(argv: list[str] | None = None) -> int:
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except TrainingDiverged as error:
        print(f"dropviz: {error}", file=sys.stderr)
        return EXIT_DIVERGED
    except DropvizError as error:
        print(f"dropviz: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
