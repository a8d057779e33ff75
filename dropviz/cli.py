"""Headless training: `python main.py --headless ...` runs the trainer without a window.

Courses script their figures and people train on servers with it, so every mistake in the
arguments or the data ends in one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import replace
from pathlib import Path

from tqdm import tqdm

from dropviz.model.config import CSV_DATASET, DATASET_NAMES, Config, DatasetConfig
from dropviz.model.errors import DropvizError, TrainingDiverged
from dropviz.model.export import write_run
from dropviz.model.trainer import Evaluation, MaskRecorder, Trainer

EXIT_BAD_INPUT = 2
EXIT_DIVERGED = 1


class UsageError(DropvizError):
    """The command line itself is wrong."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="main.py --headless",
                     description="Train a dropout network without a window and write the results.")
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
    parser.add_argument("--out", metavar="DIR", help="write config, metrics, weights, data and masks")
    return parser


def config_from_args(args: argparse.Namespace) -> Config:
    """The config file, then --dataset/--csv, then each --set, then --steps: later wins."""
    config = Config.load(args.config) if args.config else Config()
    if args.label and not args.csv:
        raise UsageError("--label goes with --csv")
    if args.dataset:
        config = replace(config, dataset=replace(config.dataset, name=args.dataset))
    if args.csv:
        config = replace(config, dataset=DatasetConfig(
            name=CSV_DATASET, train_fraction=config.dataset.train_fraction,
            csv_path=args.csv, label_column=args.label))
    config = config.with_overrides(args.overrides)
    if args.steps is not None:
        config = config.with_overrides([f"steps={args.steps}"])
    if args.eval_every < 1:
        raise UsageError(f"--eval-every: {args.eval_every} is not allowed; expected at least 1")
    return config


def summary_line(evaluation: Evaluation, steps_per_second: float) -> str:
    return (f"step {evaluation.step}  epoch {evaluation.epoch:.1f}  "
            f"train loss {evaluation.train_loss:.4f} acc {evaluation.train_acc:.3f}  "
            f"test loss {evaluation.test_loss:.4f} acc {evaluation.test_acc:.3f}  "
            f"gap {evaluation.gap:+.4f}  {steps_per_second:,.0f} steps/s")


def train(trainer: Trainer, eval_every: int, progress: bool) -> tuple[list[Evaluation], MaskRecorder, float]:
    """Run the configured steps; stop at the first non-finite loss."""
    history = [trainer.evaluate()]
    recorder = MaskRecorder()
    total = trainer.config.steps
    started, timed_steps = None, 0
    with tqdm(total=total, disable=not progress, unit="step", leave=False, file=sys.stderr) as bar:
        while trainer.step_count < total:
            result = trainer.step()
            recorder.add(result)
            if started is None:
                started = time.perf_counter()  # the first call also JIT-compiles: not throughput
            else:
                timed_steps += 1
            if not math.isfinite(result.loss):
                raise TrainingDiverged(f"training diverged at step {result.step} (loss {result.loss}); "
                                   "try a lower learning_rate")
            if result.step % eval_every == 0 or result.step == total:
                history.append(trainer.evaluate())
                bar.set_postfix(train=f"{history[-1].train_loss:.3f}", test=f"{history[-1].test_loss:.3f}")
            bar.update(1)
    elapsed = time.perf_counter() - started if started is not None else 0.0
    return history, recorder, timed_steps / elapsed if elapsed > 0 else 0.0


def run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    config = config_from_args(args)
    trainer = Trainer(config)
    history, recorder, speed = train(trainer, args.eval_every, progress=sys.stderr.isatty())
    if args.out:
        write_run(Path(args.out), trainer, history, recorder.arrays())
    print(summary_line(history[-1], speed))
    if args.out:
        print(f"wrote {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except TrainingDiverged as error:
        print(f"dropviz: {error}", file=sys.stderr)
        return EXIT_DIVERGED
    except DropvizError as error:
        print(f"dropviz: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
