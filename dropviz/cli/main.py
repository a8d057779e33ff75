"""The command line's entry: parse, settle the command, and hand it to an extension or to
training (see the package's docstring)."""

from __future__ import annotations

import argparse
import sys

from dropviz import figure_cli, lecture_cli, sweep_cli
from dropviz.cli.errors import UsageError
from dropviz.cli.options import (
    EXIT_BAD_INPUT,
    EXIT_DIVERGED,
    TAKES_A_TARGET,
    add_core_arguments,
    core_parser,
)
from dropviz.cli.settings import config_from_args
from dropviz.cli.signals import Interrupted, check_interrupted, stop_on_signals
from dropviz.model.errors import DropvizError, TrainingDiverged

EXTENSIONS = (figure_cli, sweep_cli, lecture_cli)  # figures before sweeps: both take --seeds

__all__ = ["EXIT_BAD_INPUT", "EXIT_DIVERGED", "EXTENSIONS", "build_parser", "main", "run"]


def build_parser(prog: str = "dropviz", headless: bool = False) -> argparse.ArgumentParser:
    """The one parser: the core's commands and options, then each extension's."""
    parser = core_parser(prog, headless)
    add_core_arguments(parser)
    for extension in EXTENSIONS:
        extension.add_arguments(parser)
    return parser


def parse(argv: list[str], prog: str) -> argparse.Namespace:
    """The arguments, with the command settled: `args.command` is never None afterwards.

    `args.typed` names what the user wrote: the options whose values differ from the defaults,
    and "command" when a command was typed (so `--setup S` alone can mean the window while
    `train --setup S` trains).
    """
    parser = build_parser(prog, "--headless" in argv)
    args = parser.parse_intermixed_args(argv)
    defaults = vars(parser.parse_args([]))
    args.typed = frozenset(key for key, value in vars(args).items() if defaults.get(key) != value)
    command = args.command or ("train" if argv else "window")
    if args.headless and command == "window":
        raise UsageError("--headless trains without a window; it does not go with window")
    if command in ("window", "presets") and len(argv) > 1:
        raise UsageError(f"{command} takes no options")
    if args.target is not None and command not in TAKES_A_TARGET:
        raise UsageError(f"{command} takes no argument; got {args.target!r}")
    if command == "resume" and args.target is not None:
        if args.resume:
            raise UsageError("give the RUN of resume once, not also as --resume")
        args.resume = args.target
    if command == "resume" and not args.resume:
        raise UsageError("resume needs the run: its folder or .dropviz file, e.g. resume runs/first")
    args.command = command
    return args


def run(argv: list[str], prog: str = "dropviz") -> int:
    args = parse(argv, prog)
    if args.command == "window":
        from dropviz.launch import open_window

        return open_window()
    if args.command == "presets":
        from dropviz.cli.settings import presets_listing

        print(presets_listing())
        return 0
    if args.eval_every < 1:
        raise UsageError(f"--eval-every: {args.eval_every} is not allowed; expected at least 1")
    for extension in EXTENSIONS:
        status = extension.run(args)
        if status is not None:
            return status
    if args.command == "sweep":
        raise UsageError("sweep needs what to sweep, e.g. sweep dropout=0,0.5 or sweep size=20,40")
    if args.resume and (args.config or args.preset or args.dataset or args.csv or args.label):
        raise UsageError("--resume continues a saved run; it takes no --config, --preset, --dataset "
                         "or --csv")
    config = None if args.resume else config_from_args(args)  # its mistakes before PyTensor loads
    from dropviz.cli.training import run_training

    return run_training(args, config)


def main(argv: list[str] | None = None, prog: str = "dropviz") -> int:
    """Run the command line; the exit status. `argv` defaults to sys.argv's arguments; `prog` is
    the program as the user typed it, for the help (`dropviz`, `python -m dropviz`, `main.py`).

    A SIGINT or SIGTERM ends it with one line and 128 + the signal, whatever the code it cut
    short raised (see signals.py)."""
    with stop_on_signals() as signals:
        try:
            status = run(sys.argv[1:] if argv is None else argv, prog)
            if status == 0:  # a signal that something swallowed on the way still ends the run so
                check_interrupted()
            return status
        except BaseException as error:
            return ending(error, signals.stop)


def ending(error: BaseException, stop: Interrupted | None) -> int:
    """The exit status (and the line on stderr) of a run that raised `error`; anything that is not
    the user's doing nor an interrupt is raised again, as the bug it is."""
    if stop is not None:
        print(f"dropviz: {stop.message}", file=sys.stderr)
        return stop.exit_status
    if isinstance(error, TrainingDiverged):
        print(f"dropviz: {error}", file=sys.stderr)
        return EXIT_DIVERGED
    if isinstance(error, DropvizError):
        print(f"dropviz: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    raise error
