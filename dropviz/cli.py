"""Headless training: `python main.py --headless ...` runs the trainer without a window.

Courses script their figures and people train on servers with it, so every mistake in the
arguments or the data ends in one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

from tqdm import tqdm

from dropviz.model.config import CSV_DATASET, DATASET_NAMES, Config, DatasetConfig
from dropviz.model.errors import DropvizError, TrainingDiverged
from dropviz.model.experiment import load_experiment
from dropviz.model.file_names import EXPERIMENT_FILE, RUN_FILES
from dropviz.model.results import Evaluation, StepResult
from dropviz.model.trainer import Trainer
from dropviz.session.lockstep import Lockstep
from dropviz.session.loop import TrainingLoop
from dropviz.session.run import Run
from dropviz.session.run_record import RunRecord, write_run_folder
from dropviz.sweep_cli import SWEEP_FILE, run_sweep

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
    parser.add_argument("--out", metavar="DIR",
                        help="write config, metrics, weights, data, masks and the experiment")
    parser.add_argument("--force", action="store_true", help="replace a run already in --out")
    parser.add_argument("--resume", metavar="DIR",
                        help="continue a run saved with --out for --steps more steps")
    parser.add_argument("--export-plots", action="store_true",
                        help="also render every plot as PNG and SVG into --out (no window needed)")
    parser.add_argument("--sweep", metavar="SPEC",
                        help="train a fresh network per setting: dropout, dropout=0,0.2,0.5 or "
                             "size=20,40,60; prints a table and writes sweep.csv to --out")
    parser.add_argument("--seeds", type=int, default=1, metavar="N",
                        help="seeds per sweep setting, for error bars (default 1)")
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
    return config


def summary_line(evaluation: Evaluation, steps_per_second: float) -> str:
    return (f"step {evaluation.step}  epoch {evaluation.epoch:.1f}  "
            f"train loss {evaluation.train_loss:.4f} acc {evaluation.train_acc:.3f}  "
            f"test loss {evaluation.test_loss:.4f} acc {evaluation.test_acc:.3f}  "
            f"gap {evaluation.gap:+.4f}  {steps_per_second:,.0f} steps/s")


def train(run: Run, steps: int, eval_every: int, progress: bool) -> float:
    """Run `steps` more steps, evaluating every `eval_every` and at the last; stop at a divergence.

    Returns the steps per second.
    """
    if steps > 1 and eval_every > 1:  # some calls will train several steps: compile that first
        run.prepare_multi_step()
    started = time.perf_counter()
    with tqdm(total=steps, disable=not progress, unit="step", leave=False, file=sys.stderr) as bar:
        def after_chunk(results: list[StepResult]) -> None:
            divergence = run.divergence
            if divergence is not None:
                raise TrainingDiverged(f"training diverged at step {divergence.step} "
                                       f"(loss {divergence.loss}); try a lower learning_rate")
            if run.evaluation is not None and run.evaluation.step == run.step:
                bar.set_postfix(train=f"{run.evaluation.train_loss:.3f}",
                                test=f"{run.evaluation.test_loss:.3f}")
            bar.update(len(results))

        TrainingLoop(Lockstep(run), eval_every).run(steps, after_chunk=after_chunk)
    elapsed = time.perf_counter() - started
    return steps / elapsed if elapsed > 0 else 0.0


def batch_note(trainer: Trainer) -> str | None:
    """Say so when the batch is the whole training set, since the setting asked for more."""
    rows = len(trainer.dataset.y_train)
    if trainer.config.batch_size <= rows:
        return None
    return (f"batch_size {trainer.config.batch_size} is more than the {rows} training rows; "
            f"every step uses all {rows}")


def check_out_folder(folder: Path, force: bool) -> None:
    """Refuse to replace an earlier run unless asked to: a run may have taken hours."""
    existing = sorted(name for name in RUN_FILES if (folder / name).exists())
    if existing and not force:
        raise UsageError(f"{folder} already holds a run ({', '.join(existing)}); "
                         "pass --force to replace it or choose another folder")


def start_or_resume(args: argparse.Namespace) -> tuple[Run, int, Path | None]:
    """The run (with its evaluations so far), how many steps to train, and where to write."""
    if not args.resume:
        config = config_from_args(args)
        out = Path(args.out) if args.out else None
        if out:
            check_out_folder(out, args.force)
        if sys.stderr.isatty():
            print("dropviz: building the network (the first time a shape is compiled takes up to a "
                  "minute)...", file=sys.stderr)
        return Run(Trainer(config)), config.steps, out
    if args.config or args.dataset or args.csv or args.label:
        raise UsageError("--resume continues a saved run; it takes no --config, --dataset or --csv")
    folder = Path(args.resume)
    experiment = load_experiment(folder / EXPERIMENT_FILE if folder.is_dir() else folder)
    trainer = experiment.trainer
    if args.overrides:
        trainer.update(trainer.config.with_overrides(args.overrides))
    out = Path(args.out) if args.out else (folder if folder.is_dir() else folder.parent)
    if args.out:
        check_out_folder(out, args.force)
    steps = args.steps if args.steps is not None else trainer.config.steps
    if steps < 1:
        raise UsageError(f"--steps: {steps} is not allowed; expected at least 1")
    return Run(trainer, RunRecord.of_evaluations(experiment.history)), steps, out


def sweep(args: argparse.Namespace) -> int:
    if args.resume:
        raise UsageError("--sweep trains fresh networks; it does not go with --resume")
    if args.seeds < 1:
        raise UsageError(f"--seeds: {args.seeds} is not allowed; expected at least 1")
    config = config_from_args(args)
    out = Path(args.out) if args.out else None
    if out and (out / SWEEP_FILE).exists() and not args.force:
        raise UsageError(f"{out} already holds {SWEEP_FILE}; pass --force to replace it")
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


def run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.eval_every < 1:
        raise UsageError(f"--eval-every: {args.eval_every} is not allowed; expected at least 1")
    if args.sweep:
        return sweep(args)
    if args.export_plots and not (args.out or args.resume):
        raise UsageError("--export-plots writes into the run's folder; give --out DIR")
    run, steps, out = start_or_resume(args)
    note = batch_note(run.trainer)
    if note:
        print(f"dropviz: {note}", file=sys.stderr)
    speed = train(run, steps, args.eval_every, progress=sys.stderr.isatty())
    evaluations = run.record.evaluations
    if out:
        write_run_folder(out, run.trainer, run.record, {})
        if args.export_plots:
            from dropviz.ui.views.plot_export import export_plots_offscreen  # Qt only when asked

            export_plots_offscreen(out, run)
    print(summary_line(evaluations[-1], speed))
    if out:
        print(f"wrote {out}")
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
