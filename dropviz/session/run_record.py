"""What a run keeps for its files and curves, and how it goes into an experiment file and back.

The trainer's own state is the model layer's business (save_experiment). Besides it, an experiment
saved from the window holds `extra` arrays so that opening it shows exactly what was on screen:
the curves as the window held them (decimated), the live-change markers, the speed, the mask raster
and the last step's masks. A file without them (from the headless trainer) opens too: the curves
are then rebuilt from its evaluations. Everything read back is checked before anything is used.

The experiment and export modules are imported inside the functions: they load PyTensor, which the
window must not wait for when it starts (see ui/worker/build.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from dropviz.model.config import Config
from dropviz.model.errors import ExportError
from dropviz.model.evaluation_log import append_evaluation
from dropviz.model.file_names import EXPERIMENT_FILE, RUN_FILES
from dropviz.model.results import BatchMaskRecorder, Evaluation, StepResult
from dropviz.session.history import DecimatedHistory
from dropviz.session.snapshot import RECENT_STEPS, MaskRaster

if TYPE_CHECKING:  # both load PyTensor, which the window must not wait for at start-up
    from dropviz.model.experiment import Experiment
    from dropviz.model.trainer import Trainer

CURVES = ("train_loss", "test_loss", "train_acc", "test_acc")  # as the window's history


def curve_values(evaluation: Evaluation) -> tuple[float, ...]:
    return tuple(getattr(evaluation, name) for name in CURVES)


class RunRecord:
    """Kept next to a run's trainer (see run.py), for its files and its curves.

    The evaluations (one row of metrics.csv each, bounded by `append_evaluation`), the curves
    made of them, decimated (the window draws them from its snapshots), and the whole batch's masks
    of the last steps (masks.npz). Kept with the trainer, not read from the window, so a file
    always matches the trainer's step even when the window has not drawn the last snapshot yet.
    """

    def __init__(self) -> None:
        self.evaluations: list[Evaluation] = []
        self.curves = DecimatedHistory(CURVES)
        self.batch_masks = BatchMaskRecorder(RECENT_STEPS)

    @classmethod
    def of_evaluations(cls, evaluations: Sequence[Evaluation]) -> RunRecord:
        """The record of a run saved without its curves (by the headless trainer): they are its
        evaluations."""
        record = cls()
        record.evaluations = list(evaluations)
        for evaluation in evaluations:
            record.curves.append(evaluation.step, curve_values(evaluation))
        return record

    def stepped(self, results: Sequence[StepResult]) -> None:
        """Steps in order; only the last ones the mask recorder keeps are looked at."""
        for result in results[-self.batch_masks.capacity:]:
            self.batch_masks.add(result)

    def published(self, evaluation: Evaluation) -> None:
        """A re-evaluation at the same step (a live change while paused) replaces the last row."""
        append_evaluation(self.evaluations, evaluation)
        self.curves.append(evaluation.step, curve_values(evaluation))


def window_extra(record: RunRecord, raster: MaskRaster, last: StepResult | None, speed: int,
                 markers: Sequence[tuple[float, str]]) -> dict[str, np.ndarray]:
    """The `extra` arrays of an experiment file saved from the window."""
    extra = {f"curves__{key}": value for key, value in record.curves.state().items()}
    steps, masks = raster.recent()
    extra["raster_steps"] = steps.astype(np.int64)
    extra.update({f"raster__{name}": value for name, value in masks.items()})
    extra.update({f"batch__{name}": value for name, value in record.batch_masks.arrays().items()})
    extra["last_loss"] = np.array(last.loss if last is not None else math.nan, dtype=np.float64)
    extra["speed"] = np.array(speed, dtype=np.int64)
    extra["marker_steps"] = np.array([step for step, _ in markers], dtype=np.float64)
    extra["marker_texts"] = np.array([text for _, text in markers], dtype=np.str_)
    return extra


def write_experiment(path: str | Path, trainer: Trainer, record: RunRecord,
                     extra: dict[str, np.ndarray]) -> list[Path]:
    from dropviz.model.experiment import save_experiment

    save_experiment(path, trainer, record.evaluations, extra)
    return [Path(path)]


def write_run_folder(folder: str | Path, trainer: Trainer, record: RunRecord,
                     extra: dict[str, np.ndarray],
                     also: Callable[[Path], list[Path]] | None = None) -> list[Path]:
    """The model's files of a run (see export.py) and the experiment, which opens it again, put
    into `folder` together or not at all (see out_folder.py); `also(folder)` writes more files of
    the run there (plots) and returns their paths."""
    from dropviz.model.export import write_run
    from dropviz.session.out_folder import claimed

    def fill(staging: Path) -> list[Path]:
        paths = write_run(staging, trainer, record.evaluations, record.batch_masks.arrays())
        paths += write_experiment(staging / EXPERIMENT_FILE, trainer, record, extra)
        return paths + (also(staging) if also is not None else [])

    with claimed(folder) as out:
        return out.write(fill, replaces=(*RUN_FILES, EXPERIMENT_FILE))


# --- opening ------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class RestoredWindow:
    """What the window restores of an opened experiment besides what every snapshot brings."""

    path: Path
    config: Config
    step: int
    markers: tuple[tuple[float, str], ...]
    speed: int | None  # None: the file does not say (the headless trainer's)


@dataclass(frozen=True, eq=False)
class RestoredRun:
    """An opened experiment, checked whole, for the worker to take over."""

    trainer: Trainer
    record: RunRecord
    raster: MaskRaster
    last: StepResult | None  # the last step, for its masks and batch loss; None at step 0
    window: RestoredWindow


def restore_run(path: str | Path, experiment: Experiment) -> RestoredRun:
    """The worker's and the window's state from an opened experiment; ExportError if damaged."""
    path = Path(path)
    try:
        return _restore(path, experiment)
    except (ExportError, ValueError, KeyError, TypeError, IndexError) as error:
        raise ExportError(f"{path.name}: the saved window state is damaged ({error})") from None


def _restore(path: Path, experiment: Experiment) -> RestoredRun:
    trainer, extra = experiment.trainer, experiment.extra
    widths = trainer.layout.noise_units()
    if "curves__rows" in extra:
        record = RunRecord()
        record.evaluations = list(experiment.history)
        record.curves.restore({key: _get(extra, f"curves__{key}") for key in
                               ("rows", "stride_pending", "pending_sum", "last_raw")})
    else:  # a file from the headless trainer
        record = RunRecord.of_evaluations(experiment.history)
    batches = _batch_masks(extra, _noise_shapes(trainer), len(trainer.dataset.y_train))
    for index in range(len(next(iter(batches.values()))) if batches else 0):
        record.batch_masks.add(StepResult(0, 0.0, math.nan,
                                          {name: masks[index] for name, masks in batches.items()}))
    raster = _raster(extra, widths, trainer.step_count)
    last = None
    loss = float(_scalar(extra, "last_loss", np.float64)) if "last_loss" in extra else math.nan
    if batches and math.isfinite(loss):
        last = StepResult(trainer.step_count, trainer.sampler.epoch, loss,
                          {name: masks[-1] for name, masks in batches.items()})
    window = RestoredWindow(path, trainer.config, trainer.step_count,
                            _markers(extra), _speed(extra))
    return RestoredRun(trainer, record, raster, last, window)


def _get(extra: dict[str, np.ndarray], key: str) -> np.ndarray:
    if key not in extra:
        raise ExportError(f"{key} is missing")
    return extra[key]


def _check(key: str, value: np.ndarray, dtype: type, shape: tuple[int | None, ...]) -> None:
    """`shape` may hold None for a size that can be anything."""
    fits = (value.dtype == dtype and value.ndim == len(shape)
            and all(want is None or want == got for want, got in zip(shape, value.shape,
                                                                     strict=True)))
    if not fits:
        wanted = ", ".join("n" if size is None else str(size) for size in shape)
        raise ExportError(f"{key} is {value.dtype} {value.shape}, not {np.dtype(dtype)} ({wanted})")


def _scalar(extra: dict[str, np.ndarray], key: str, dtype: type) -> np.generic:
    value = _get(extra, key)
    _check(key, value, dtype, ())
    return value[()]


def _noise_dtype(value: np.ndarray) -> type:
    """Keep-masks are bool; Gaussian dropout's noise is float32, and nothing else is noise."""
    return np.float32 if value.dtype == np.float32 else np.bool_


def _noise_shapes(trainer: Trainer) -> dict[str, tuple[int, ...]]:
    """Each noisy layer's mask for one example: (units,), or (time steps, units) in a recurrent
    model, whose masks keep the time axis."""
    steps = trainer.network.arch.time_steps
    return {layer.name: (steps, layer.units) if "time" in layer.noise else (layer.units,)
            for layer in trainer.layout.layers if layer.noise}


def _batch_masks(extra: dict[str, np.ndarray], shapes: dict[str, tuple[int, ...]],
                 n_train: int) -> dict[str, np.ndarray]:
    """The last steps' masks of every layer, (steps, batch, units) or (steps, batch, time, units);
    all layers or none."""
    if not any(key.startswith("batch__") for key in extra):
        return {}
    masks = {name: _get(extra, f"batch__{name}") for name in shapes}
    first = next(iter(masks.values()))
    for name, value in masks.items():
        _check(f"batch__{name}", value, _noise_dtype(value), (*first.shape[:2], *shapes[name]))
    if not (0 < first.shape[0] <= RECENT_STEPS and 0 < first.shape[1] <= n_train):
        raise ExportError(f"the saved masks cover {first.shape[0]} steps of {first.shape[1]} "
                          "examples, which no run of this data makes")
    return masks


def _raster(extra: dict[str, np.ndarray], widths: dict[str, int], step: int) -> MaskRaster:
    """The mask raster as it was, put back step by step into a recorder that goes on from it."""
    recorder = MaskRaster(widths)
    if "raster_steps" not in extra:
        return recorder
    steps = _get(extra, "raster_steps")
    _check("raster_steps", steps, np.int64, (None,))
    if len(steps) > RECENT_STEPS or np.any(np.diff(steps) <= 0) or (
            len(steps) and not 1 <= steps[0] <= steps[-1] <= step):
        raise ExportError(f"the mask raster's steps do not end by step {step}")
    raster = {name: _get(extra, f"raster__{name}") for name in widths}
    for name, value in raster.items():
        _check(f"raster__{name}", value, _noise_dtype(value), (widths[name], len(steps)))
    for column, at in enumerate(steps):
        recorder.record(StepResult(int(at), 0.0, math.nan,
                                   {name: value[None, :, column] for name, value in raster.items()}))
    return recorder


def _markers(extra: dict[str, np.ndarray]) -> tuple[tuple[float, str], ...]:
    if "marker_steps" not in extra:
        return ()
    steps, texts = _get(extra, "marker_steps"), _get(extra, "marker_texts")
    _check("marker_steps", steps, np.float64, (None,))
    if texts.dtype.kind != "U" or texts.shape != steps.shape:
        raise ExportError(f"marker_texts is {texts.dtype} {texts.shape}, not {len(steps)} texts")
    if not np.isfinite(steps).all():
        raise ExportError("marker_steps holds non-finite values")
    return tuple((float(step), str(text)) for step, text in zip(steps, texts, strict=True))


def _speed(extra: dict[str, np.ndarray]) -> int | None:
    if "speed" not in extra:
        return None
    speed = int(_scalar(extra, "speed", np.int64))
    if speed < 1:
        raise ExportError(f"speed {speed} is not a number of steps")
    return speed
