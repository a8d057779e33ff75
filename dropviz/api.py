"""dropviz from a notebook or a script: a config, a trainer, a sweep, an export.

    import dropviz
    run = dropviz.train(dropviz.Config(), steps=300)
    run.history[-1].test_acc, run.predict_proba([[0.5, -0.2]]), run.export("runs/notebook")

Importing this module (or `dropviz`, whose names come from here on first use) loads neither
PyTensor nor numpy: the trainer is imported when something trains. Nothing here touches the
process either (no allocator tuning, no PyTensor settings outside dropviz's own graphs), so a
notebook's other PyTensor or PyMC work goes on as it was. Networks of one shape are compiled once
per process: every run borrows from one pool and gives its network back on `close()`.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dropviz.model.config import Config
from dropviz.model.errors import ConfigError, ExportError, TrainingDiverged
from dropviz.model.file_names import EXPERIMENT_FILE, RUN_FILES
from dropviz.model.presets import Preset, load_preset, load_presets

if TYPE_CHECKING:  # both load PyTensor
    import numpy as np

    from dropviz.model.data.dataset import Dataset
    from dropviz.model.results import Evaluation
    from dropviz.model.sweeps import SweepResult
    from dropviz.model.trainer import NetworkPool
    from dropviz.session.run import Run

__all__ = ["Config", "Preset", "TrainedRun", "TrainingDiverged", "load", "load_config", "preset",
           "presets", "sweep", "train"]

# A run of this many steps compiles the call of many steps first: it took 4-5 s (warm cache) and
# then saved 0.8-1.0 ms a step of small and app-sized networks, so it paid after 4,500-8,000 steps;
# on a cold cache (about 50 s) only after tens of thousands. Shorter runs train step by step.
MULTI_STEP_PAYS_FROM = 10_000
HISTORY_COLUMNS = ("step", "epoch", "train_loss", "test_loss", "train_acc", "test_acc", "gap")


def presets() -> list[Preset]:
    """The bundled presets in menu order; each has `key`, `title`, `explanation` and `config`."""
    return load_presets()


def preset(name: str) -> Preset:
    """A bundled preset by its file name (`01_overfit_tiny`, also without its number or with
    `.json`) or its title, in any case."""
    found = load_presets()
    wanted = name.strip().casefold().removesuffix(".json")
    for candidate in found:
        key = candidate.key.casefold()
        if wanted in (key, key.partition("_")[2], candidate.title.casefold()):
            return candidate
    raise ConfigError(f"no preset {name!r}; choose one of {', '.join(p.key for p in found)} "
                      "(or a title)")


def load_config(path: str | Path) -> Config:
    """An experiment file, or a preset file: its `config` (the run it compares with is the
    window's business)."""
    if _is_preset_file(Path(path)):
        return load_preset(Path(path)).config
    return Config.load(path)


def _is_preset_file(path: Path) -> bool:
    """A preset holds its settings under `config`, which no experiment file has; anything else,
    an unreadable file too, is left to Config.load and its messages."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and "config" in data


def train(config: Config | str | Path | None = None, *, steps: int | None = None,
          eval_every: int = 100, progress: bool = False) -> TrainedRun:
    """A new network trained for `steps` (default: the config's), evaluated every `eval_every`
    steps and at the last. `config` is a Config, an experiment or preset file, or None for the
    defaults. Raises TrainingDiverged when the loss stops being finite."""
    from dropviz.model.trainer import Trainer
    from dropviz.session.run import Run

    if not isinstance(config, Config):
        config = Config() if config is None else load_config(config)
    if steps is not None:
        config = config.with_overrides([f"steps={steps}"])
    trained = TrainedRun(Run(Trainer(config, shared_pool())))
    try:
        trained.train(config.steps, eval_every=eval_every, progress=progress)
    except BaseException:
        trained.close()
        raise
    return trained


def load(path: str | Path) -> TrainedRun:
    """A saved experiment, ready to go on exactly where it stopped: a .dropviz file, or a folder
    written by `export` or `dropviz --out` (its experiment.dropviz)."""
    from dropviz.model.experiment import load_experiment
    from dropviz.session.run import Run
    from dropviz.session.run_record import RunRecord

    path = Path(path)
    experiment = load_experiment(path / EXPERIMENT_FILE if path.is_dir() else path, shared_pool())
    return TrainedRun(Run(experiment.trainer, RunRecord.of_evaluations(experiment.history)))


def sweep(config: Config | str | Path | None = None, *, rates: Sequence[float] | None = None,
          sizes: Sequence[int] | None = None, seeds: int = 1, steps: int | None = None) -> SweepResult:
    """A fresh network per setting and seed, each trained for `steps` (default: the config's).

    With `sizes`, the training-set sizes (each a subsample of the config's training split), at
    the hidden dropout `rates` (default 0 and 0.5); without, the hidden dropout `rates` (default
    0 to 0.8 by 0.1). The result's `summary()` has the mean and spread over seeds of each
    setting, `to_csv()` one row per run.
    """
    from dropviz.model.sweeps import DEFAULT_RATES
    from dropviz.session.sweeps import rate_sweep, size_sweep

    if not isinstance(config, Config):
        config = Config() if config is None else load_config(config)
    if steps is not None:
        config = config.with_overrides([f"steps={steps}"])
    if sizes is not None:
        return size_sweep(config, sizes, rates=(0.0, 0.5) if rates is None else rates, seeds=seeds,
                          pool=shared_pool())
    return rate_sweep(config, DEFAULT_RATES if rates is None else rates, seeds=seeds, pool=shared_pool())


class TrainedRun:
    """A network and its run so far: the history, predictions, more training, files.

    Holds a network of the shared pool until `close()` (or the end of a `with` block).
    """

    def __init__(self, run: Run) -> None:
        self._run = run

    def __enter__(self) -> TrainedRun:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<TrainedRun step {self.step} of {self.config.dataset.name}>"

    @property
    def config(self) -> Config:
        return self._run.config

    @property
    def step(self) -> int:
        return self._run.step

    @property
    def dataset(self) -> Dataset:
        """The data as trained on: X_train, y_train, X_test, y_test standardised with `mean` and
        `scale`; `classes` and `feature_names` name the columns."""
        return self._run.trainer.dataset

    @property
    def history(self) -> list[Evaluation]:
        """One evaluation per `eval_every` steps and at the last: step, epoch, the train and test
        loss and accuracy, and `gap` (test loss minus train loss)."""
        return list(self._run.record.evaluations)

    def table(self) -> dict[str, list[float]]:
        """The history by column, as metrics.csv has it; `pandas.DataFrame(run.table())` is it
        as a frame."""
        history = self._run.record.evaluations
        return {name: [getattr(evaluation, name) for evaluation in history]
                for name in HISTORY_COLUMNS}

    def predict_proba(self, X: Any, standardised: bool = False) -> np.ndarray:
        """The test-time network's probability of each class (columns in the order of
        `dataset.classes`) for rows of raw features, as in the data; `standardised=True` for rows
        already standardised, such as `dataset.X_test`."""
        import numpy as np

        rows = np.asarray(X, dtype=np.float64)
        if rows.ndim != 2 or rows.shape[1] != self.dataset.n_features:
            raise ConfigError(f"predict_proba takes rows of {self.dataset.n_features} features, "
                              f"not an array of shape {rows.shape}")
        if not standardised:
            rows = (rows - self.dataset.mean) / self.dataset.scale
        return self._run.trainer.predict_proba(rows.astype(np.float32))

    def train(self, steps: int, *, eval_every: int = 100, progress: bool = False) -> TrainedRun:
        """`steps` more steps, exactly as if the run had never stopped; this run, for chaining."""
        if steps < 1 or eval_every < 1:
            raise ConfigError(f"steps {steps}, eval_every {eval_every}: expected at least 1 each")
        advance(self._run, steps, eval_every, progress)
        return self

    def export(self, folder: str | Path, *, force: bool = False) -> Path:
        """Write the run's files (those of `dropviz --out`, see README) into `folder`; a run
        already there is replaced only with `force=True`."""
        from dropviz.session.out_folder import claimed
        from dropviz.session.run_record import write_run_folder

        folder = Path(folder)
        with claimed(folder):  # no other run can write there between the check and the files
            existing = existing_run_files(folder)
            if existing and not force:
                raise ExportError(f"{folder} already holds a run ({', '.join(existing)}); pass "
                                  "force=True to replace it")
            write_run_folder(folder, self._run.trainer, self._run.record, {})
        return folder

    def save(self, path: str | Path) -> Path:
        """The whole experiment in one .dropviz file, which `load` and the window open."""
        from dropviz.session.run_record import write_experiment

        write_experiment(path, self._run.trainer, self._run.record, {})
        return Path(path)

    def close(self) -> None:
        """Give the network back to the pool; the history stays readable."""
        self._run.close()


def existing_run_files(folder: Path) -> list[str]:
    """The files of a run already in `folder`: writing another run there would replace them."""
    return sorted(name for name in (*RUN_FILES, EXPERIMENT_FILE) if (folder / name).exists())


def advance(run: Run, steps: int, eval_every: int, progress: bool,
            before_chunk: Callable[[], None] | None = None) -> float:
    """Train `run` for `steps` more steps, evaluating every `eval_every` and at the last, with a
    progress bar on stderr if asked; the steps per second. Raises TrainingDiverged at the first
    chunk whose loss is not finite. `before_chunk` may raise to stop before the next chunk."""
    from tqdm import tqdm

    from dropviz.model.memory import steps_fitting
    from dropviz.model.results import StepResult
    from dropviz.session.lockstep import Lockstep
    from dropviz.session.loop import CHUNK_STEPS, TrainingLoop

    data = run.trainer.dataset
    # A call of k steps returns k steps' masks of the whole batch: as many as fit (the same
    # course of training, bit for bit, whatever the calls' length).
    chunk = steps_fitting(run.config, data.n_features, data.n_classes, len(data.y_train),
                          len(data.y_test), CHUNK_STEPS)
    if steps >= MULTI_STEP_PAYS_FROM and eval_every > 1 and chunk > 1:
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

        TrainingLoop(Lockstep(run), eval_every, chunk).run(steps, before_chunk=before_chunk,
                                                           after_chunk=after_chunk)
    elapsed = time.perf_counter() - started
    return steps / elapsed if elapsed > 0 else 0.0


@functools.cache
def shared_pool() -> NetworkPool:
    """The process's one pool, made at its first run: the API's runs and the command line's, so a
    program or notebook that trains again builds no network it built before (a built graph took
    2-5 s to build again, rewrites and loading from the compile cache, after its first time)."""
    from dropviz.model.trainer import NetworkPool

    return NetworkPool()
