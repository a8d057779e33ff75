"""The command line's parser and its help, cheap to import.

Nothing here loads PyTensor, numpy or scikit-learn: `--help` and every usage error are answered
before the training modules are imported (measured: `python -m dropviz --help` in 0.1 s, where
the old parser, built after those imports, took 1.3 to 2 s).
"""

from __future__ import annotations

import argparse
from typing import NoReturn

from dropviz.cli.errors import UsageError
from dropviz.model.config import CSV_DATASET, DATASET_NAMES
from dropviz.version import __version__

EXIT_BAD_INPUT = 2
EXIT_DIVERGED = 1

# The commands and what each takes; without a command, options mean `train`, none the window.
COMMANDS = ("train", "resume", "sweep", "presets", "window")
TAKES_A_TARGET = ("resume", "sweep")


class Parser(argparse.ArgumentParser):
    """Reports a mistake as a UsageError (one line, exit 2) instead of argparse's usage dump."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def usage(prog: str, headless: bool) -> str:
    """Every form of the command line; `headless` puts the old form (`--headless`) first."""
    forms = [
        ("", "open the window"),
        ("[train] [options]", "train without a window (options alone mean train)"),
        ("resume RUN [options]", "continue a run saved with --out: its folder or a .dropviz file"),
        ("sweep SPEC [options]", "one fresh network per setting, e.g. dropout=0,0.2,0.5"),
        ("presets", "list the bundled presets that --preset runs"),
        ("--version | --help", ""),
    ]
    old = ("--headless [options]", "the same as train, as older scripts write it")
    forms.insert(0 if headless else 2, old)
    width = max(len(form) for form, _ in forms)
    return "\n       ".join(f"{prog} {form.ljust(width)}  {text}".rstrip() for form, text in forms)


def epilog(prog: str) -> str:
    from dropviz.cli.settings import settings_help  # it loads the presets: only for --help

    return f"""examples:
  {prog} train --set dropout.hidden=0.5 --set scaling=inverted --steps 2000 --out runs/first
  {prog} resume runs/first --steps 1000
  {prog} --preset 02_dropout_closes_gap --out runs/gap
  {prog} --preset "dropout closes the gap" --set seed=3
  {prog} --config dropviz/assets/presets/01_overfit_tiny.json --steps 300
  {prog} --csv data.csv --label species --out runs/csv
  {prog} sweep dropout=0,0.2,0.5,0.8 --seeds 3 --out runs/sweep
  python main.py --headless --config experiment.json --set seed=3

An experiment file is JSON with any of the settings below; a preset file (the bundled ones are in
dropviz/assets/presets) is accepted wherever an experiment file is, and runs its first config.
Bad input exits with 2 and one line on stderr, a diverging run with 1, and so does a sweep in
which a run diverged or failed (its table and sweep.csv are written all the same). Ctrl+C exits
with 130 and SIGTERM with 143, after one line; the --out folder then holds the old run or the
new one whole, never a mix.

{settings_help()}"""


def add_core_arguments(parser: argparse.ArgumentParser) -> None:
    """The commands and the options of a training run; extensions add theirs after these."""
    parser.add_argument("command", nargs="?", choices=COMMANDS, metavar="COMMAND",
                        help="train, resume RUN, sweep SPEC, presets or window (see above)")
    parser.add_argument("target", nargs="?", metavar="RUN|SPEC", help=argparse.SUPPRESS)
    parser.add_argument("--version", action="version", version=f"dropviz {__version__}",
                        help="print dropviz's version and exit")
    parser.add_argument("--headless", action="store_true",
                        help="train without a window: the same as the train command")
    start = parser.add_mutually_exclusive_group()
    start.add_argument("--config", metavar="FILE", help="an experiment file or a preset file (JSON)")
    start.add_argument("--preset", metavar="NAME",
                       help="a bundled preset, by its file name (01_overfit_tiny) or its title")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--dataset", choices=[n for n in DATASET_NAMES if n != CSV_DATASET],
                        help="a built-in dataset")
    source.add_argument("--csv", metavar="FILE", help="train on a CSV file")
    parser.add_argument("--label", metavar="COLUMN", help="the label column of --csv (default: last)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="change one setting (listed below), e.g. dropout.hidden=0.5; repeatable")
    parser.add_argument("--steps", type=int, help="training steps (default: the config's)")
    parser.add_argument("--eval-every", type=int, default=100, metavar="K",
                        help="evaluate on train and test every K steps (default 100)")
    parser.add_argument("--out", metavar="DIR",
                        help="write config, metrics, weights, data, masks and the experiment")
    parser.add_argument("--force", action="store_true", help="replace a run already in --out")
    parser.add_argument("--resume", metavar="RUN",
                        help="continue a run saved with --out (its folder, or a .dropviz file) for "
                             "--steps more steps, and write it back to its folder; naming that "
                             "folder with --out too means the same. A .dropviz file other than the "
                             "folder's own experiment.dropviz is written next to it only when the "
                             "folder holds no run or the same run; else give --out (or --force)")
    parser.add_argument("--export-plots", action="store_true",
                        help="also render every plot as PNG and SVG into --out (no window needed)")


def core_parser(prog: str, headless: bool) -> Parser:
    return Parser(prog=prog, usage=usage(prog, headless), epilog=epilog(prog),
                  formatter_class=argparse.RawDescriptionHelpFormatter,
                  description="Watch dropout regularise a small neural network: in the window, or "
                              "trained without one\nand its results written to a folder.")
