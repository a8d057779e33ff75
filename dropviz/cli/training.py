"""A training run from the command line: build or resume it, train it, write its folder.

Imported only once the arguments are parsed and the config is built: it loads PyTensor, numpy and
tqdm (over a second), which `--help` and a usage error must not wait for.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import numpy as np

from dropviz.api import advance, existing_run_files, shared_pool
from dropviz.cli.errors import UsageError
from dropviz.cli.signals import check_interrupted
from dropviz.model.config import CSV_DATASET, Config
from dropviz.model.data.csv_loader import report_lines
from dropviz.model.experiment import load_experiment
from dropviz.model.export import run_id
from dropviz.model.file_names import EXPERIMENT_FILE
from dropviz.model.results import Evaluation
from dropviz.model.trainer import Trainer
from dropviz.session.out_folder import claimed
from dropviz.session.run import Run
from dropviz.session.run_record import (
    RestoredWindow,
    RunRecord,
    restore_run,
    window_extra,
    write_run_folder,
)

# What a window saved with a resumed run: its extra arrays and its state; None for a headless run.
WindowSaved = tuple[dict[str, np.ndarray], RestoredWindow] | None


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


def data_report(trainer: Trainer) -> str | None:
    """For a CSV file, what the loader made of it (rows and columns used, dropped and why, decimal
    commas, the split), so that no row is lost without a word; None for the built-in datasets."""
    if trainer.config.dataset.name != CSV_DATASET:
        return None
    first, *rest = report_lines(trainer.dataset)
    return "\n".join([f"dropviz: {first}", *(f"  {line}" for line in rest)])


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


def start(config: Config, args: argparse.Namespace, stack: ExitStack) -> tuple[Run, int, Path | None]:
    """A new run of `config`, its steps, and where to write it (claimed for the run: see
    session/out_folder.py), checked before anything is built or trained."""
    out = Path(args.out) if args.out else None
    if out:
        stack.enter_context(claimed(out))
        check_out_folder(out, args.force)
    if sys.stderr.isatty():
        print("dropviz: building the network (the first time a shape is compiled takes up to a "
              "minute)...", file=sys.stderr)
    return Run(Trainer(config, shared_pool())), config.steps, out


def resume(args: argparse.Namespace, stack: ExitStack) -> tuple[Run, int, Path, WindowSaved]:
    """The saved run (with its evaluations so far, and what the window saved with it), how many
    steps to train, where to write (claimed for the run), and the window's arrays to write back.

    A run goes back to its own folder, and --out naming that folder means the same. A .dropviz file
    other than the folder's own experiment.dropviz may be another run than the folder's files, so
    it is written there only when the folder holds no run or that same run (the run.json written
    with it names it): else it needs --out elsewhere, or --force.
    """
    given = Path(args.resume)
    path = given / EXPERIMENT_FILE if given.is_dir() else given
    home = path.parent
    out = Path(args.out) if args.out else home
    stack.enter_context(claimed(out))  # before the network is built, which takes seconds
    experiment = load_experiment(path, shared_pool())
    trainer = experiment.trainer
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
    if not experiment.extra:  # from the headless trainer: its curves are its evaluations
        return Run(trainer, RunRecord.of_evaluations(experiment.history)), steps, out, None
    restored = restore_run(path, experiment)
    return Run.restored(restored), steps, out, (experiment.extra, restored.window)


def window_arrays(run: Run, saved: WindowSaved) -> dict[str, np.ndarray]:
    """The arrays a window saved with the run, brought up to its step: the curves, the raster
    and the last masks as the run has them now, the markers and speed as they were; arrays this
    version does not know are kept as they were."""
    if saved is None:
        return {}
    extra, window = saved
    speed = window.speed if window.speed is not None else 1
    return {**extra, **window_extra(run.record, run.raster, run.last, speed, window.markers)}


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
    write its folder, which is held from before training until its last file is in."""
    if args.export_plots and not (args.out or args.resume):
        raise UsageError("--export-plots writes into the run's folder; give --out DIR")
    with ExitStack() as stack:
        if config is None:
            run, steps, out, saved = resume(args, stack)
        else:
            (run, steps, out), saved = start(config, args, stack), None
        stack.callback(run.close)  # the network back to the pool, also when training fails
        report = data_report(run.trainer)
        if report:
            print(report, file=sys.stderr)
        note = batch_note(run.trainer)
        if note:
            print(f"dropviz: {note}", file=sys.stderr)
        speed = advance(run, steps, args.eval_every, progress=sys.stderr.isatty(),
                        before_chunk=check_interrupted)
        if out:
            check_interrupted()
            write_run_folder(out, run.trainer, run.record, window_arrays(run, saved),
                             also=plots_of(run) if args.export_plots else None)
    print(summary_line(run.record.evaluations[-1], speed))
    if out:
        print(f"wrote {out}")
    return 0


def plots_of(run: Run) -> Callable[[Path], list[Path]]:
    """What writes the run's plots into a folder; Qt is imported only when they are asked for."""
    def write(folder: Path) -> list[Path]:
        from dropviz.ui.views.plot_export import export_plots_offscreen

        return export_plots_offscreen(folder, run)

    return write
