"""A training run from the command line: build or resume it, train it, write its folder.

Imported only once the arguments are parsed and the config is built: it loads PyTensor, numpy and
tqdm (over a second), which `--help` and a usage error must not wait for.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from dropviz.api import advance, existing_run_files
from dropviz.cli.errors import UsageError
from dropviz.model.config import Config
from dropviz.model.experiment import load_experiment
from dropviz.model.export import run_id
from dropviz.model.file_names import EXPERIMENT_FILE
from dropviz.model.results import Evaluation
from dropviz.model.trainer import Trainer
from dropviz.session.run import Run
from dropviz.session.run_record import RunRecord, write_run_folder


def summary_line(evaluation: Evaluation, steps_per_second: float) -> str:
    return (f"step {evaluation.step}  epoch {evaluation.epoch:.1f}  "
            f"train loss {evaluation.train_loss:.4f} acc {evaluation.train_acc:.3f}  "
            f"test loss {evaluation.test_loss:.4f} acc {evaluation.test_acc:.3f}  "
            f"gap {evaluation.gap:+.4f}  {steps_per_second:,.0f} steps/s")


def batch_note(trainer: Trainer) -> str | None:
    """Say so when the batch is the whole training set, since the setting asked for more."""
    rows = len(trainer.dataset.y_train)
    if trainer.config.batch_size <= rows:
        return None
    return (f"batch_size {trainer.config.batch_size} is more than the {rows} training rows; "
            f"every step uses all {rows}")


def check_out_folder(folder: Path, force: bool) -> None:
    """Refuse to replace an earlier run unless asked to: a run may have taken hours."""
    existing = existing_run_files(folder)
    if existing and not force:
        raise UsageError(f"{folder} already holds a run ({', '.join(existing)}); "
                         "pass --force to replace it or choose another folder")


def same_folder(first: Path, second: Path) -> bool:
    """Whether two spellings name one folder: relative or absolute, through a symlink or not."""
    try:
        return first.samefile(second)
    except OSError:  # one does not exist (yet)
        return first.resolve() == second.resolve()


def start(config: Config, args: argparse.Namespace) -> tuple[Run, int, Path | None]:
    """A new run of `config`, its steps, and where to write it."""
    out = Path(args.out) if args.out else None
    if out:
        check_out_folder(out, args.force)
    if sys.stderr.isatty():
        print("dropviz: building the network (the first time a shape is compiled takes up to a "
              "minute)...", file=sys.stderr)
    return Run(Trainer(config)), config.steps, out


def resume(args: argparse.Namespace) -> tuple[Run, int, Path]:
    """The saved run (with its evaluations so far), how many steps to train, and where to write.

    A run goes back to its own folder, and --out naming that folder means the same. A .dropviz file
    other than the folder's own experiment.dropviz may be another run than the folder's files, so
    it is written there only when the folder holds no run or that same run (the run.json written
    with it names it): else it needs --out elsewhere, or --force.
    """
    given = Path(args.resume)
    path = given / EXPERIMENT_FILE if given.is_dir() else given
    home = path.parent
    experiment = load_experiment(path)
    trainer = experiment.trainer
    out = Path(args.out) if args.out else home
    if not same_folder(out, home):
        check_out_folder(out, args.force)
    elif path.name != EXPERIMENT_FILE and not args.force and not holds_run_of(home, trainer):
        raise UsageError(f"{home} holds another run than {path.name} "
                         f"({', '.join(existing_run_files(home))}); give --out DIR for the "
                         "continued run, or --force to replace that one")
    if args.overrides:
        trainer.update(trainer.config.with_overrides(args.overrides))
    steps = args.steps if args.steps is not None else trainer.config.steps
    if steps < 1:
        raise UsageError(f"--steps: {steps} is not allowed; expected at least 1")
    return Run(trainer, RunRecord.of_evaluations(experiment.history)), steps, out


def holds_run_of(folder: Path, trainer: Trainer) -> bool:
    """True when `folder` holds no run, or the files of the run `trainer` is at now."""
    if not existing_run_files(folder):
        return True
    try:
        written = json.loads((folder / "run.json").read_text(encoding="utf-8")).get("run_id")
    except (OSError, ValueError, AttributeError):
        return False
    return written == run_id(trainer, trainer.inference_weights())


def run_training(args: argparse.Namespace, config: Config | None) -> int:
    """Train a new run of `config`, or resume the saved one (config None); print its summary and
    write its folder."""
    if args.export_plots and not (args.out or args.resume):
        raise UsageError("--export-plots writes into the run's folder; give --out DIR")
    run, steps, out = resume(args) if config is None else start(config, args)
    note = batch_note(run.trainer)
    if note:
        print(f"dropviz: {note}", file=sys.stderr)
    speed = advance(run, steps, args.eval_every, progress=sys.stderr.isatty())
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
