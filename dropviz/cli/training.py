"""A training run from the command line: build or resume it, train it, write its folder.

Imported only once the arguments are parsed: it loads PyTensor, numpy and tqdm (over a second),
which `--help` and a usage error must not wait for.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tqdm import tqdm

from dropviz.cli.options import UsageError
from dropviz.cli.settings import config_from_args
from dropviz.model.errors import TrainingDiverged
from dropviz.model.experiment import load_experiment
from dropviz.model.file_names import EXPERIMENT_FILE, RUN_FILES
from dropviz.model.results import Evaluation, StepResult
from dropviz.model.trainer import Trainer
from dropviz.session.lockstep import Lockstep
from dropviz.session.loop import TrainingLoop
from dropviz.session.run import Run
from dropviz.session.run_record import RunRecord, write_run_folder


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


def run_training(args: argparse.Namespace) -> int:
    """Train (or resume) one run as the arguments say, print its summary, write its folder."""
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
