"""What the worker sends to the window: plain numpy data, so the GUI never touches the trainer.

pyqtgraph keeps a reference to every array it is given, so a snapshot holds copies that nobody
writes to again. Building these objects reads the trainer and so happens on the worker thread only.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from dropviz.model.config import Config
from dropviz.model.results import DecisionGrid, Evaluation, NetworkLayout, StepResult

if TYPE_CHECKING:  # the trainer module loads PyTensor, which the window need not wait for
    from dropviz.model.trainer import Trainer

RECENT_STEPS = 100
SEQUENCE_ROW = 0  # the test sequence whose hidden states a recurrent run's snapshots carry
# A run's curves: the steps and one column per curve, as `DecimatedHistory.arrays()` gives them.
Curves = tuple[np.ndarray, dict[str, np.ndarray]]


@dataclass(frozen=True, eq=False)
class RunInfo:
    """What stays fixed for one run (until a reset): the shape of the network and the data."""

    config: Config
    reason: str  # why this run started, in words for the user
    layout: NetworkLayout  # the layers, their parameters and noise, by name
    classes: tuple[str, ...]
    dataset_name: str
    report: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray

    @property
    def layer_names(self) -> tuple[str, ...]:
        """The layers that draw masks (input, hidden1, ...), in order."""
        return self.layout.noise_names

    @property
    def widths(self) -> tuple[int, ...]:
        """Units of every layer of units, input to output."""
        return self.layout.widths

    @property
    def is_2d(self) -> bool:
        return self.X_train.shape[1] == 2

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])


def run_info(trainer: Trainer, reason: str) -> RunInfo:
    data = trainer.dataset
    return RunInfo(
        config=trainer.config, reason=reason, layout=trainer.layout, classes=tuple(data.classes),
        dataset_name=data.name, report=data.report,
        X_train=data.X_train.copy(), y_train=data.y_train.copy(),
        X_test=data.X_test.copy(), y_test=data.y_test.copy(),
    )


@dataclass(frozen=True, eq=False)
class Snapshot:
    """The state of the run after one step, as every view needs it.

    `recent_masks[layer]` is a (units, n) raster of the *first example's* keep-mask over the last
    n steps (oldest column first, the last column is `step`). The first example is what the
    thinned-network view draws too; with per-batch masks every example has that same mask. A
    recurrent model's masks are (batch, time, units); its raster follows the first time step.
    """

    step: int
    epoch: float
    steps_per_second: float
    playing: bool
    config: Config
    batch_loss: float  # loss of the last minibatch, with dropout; NaN before the first step
    evaluation: Evaluation
    masks: dict[str, np.ndarray]  # bool (batch, units), recurrent (batch, time, units); {} at step 0
    recent_steps: np.ndarray  # (n,) the steps of the raster columns
    recent_masks: dict[str, np.ndarray]  # bool (units, n)
    weights: dict[str, np.ndarray]  # every parameter by name: W1, b1, W2, b2, ...
    grid: DecisionGrid | None  # test-time probabilities over the plane; None unless 2-D
    # Every evaluation of the run so far, decimated (see run_record.py): an opened experiment's
    # curves come with its first snapshot.
    curves: Curves
    # The baseline trained alongside in lockstep (same seed, data and initial weights), if any.
    baseline_config: Config | None = None
    baseline_evaluation: Evaluation | None = None
    baseline_grid: DecisionGrid | None = None
    baseline_curves: Curves | None = None  # its own, since it joined the run at step 0
    # A recurrent model's test-time state at every time step of the test sequence SEQUENCE_ROW,
    # (time, units) by recurrent layer; empty for an MLP (see `sequence_states`).
    states: dict[str, np.ndarray] = field(default_factory=dict)
    # What the network does besides training, e.g. a quick start's fast network compiling; "" when
    # nothing (see model/graph/quick_start.py).
    preparing: str = ""


class MaskRaster:
    """The first example's keep-mask of every dropout layer over the last `length` steps.

    The worker records every step, also those between two snapshots, so the raster has no gaps
    whatever the speed.
    """

    def __init__(self, widths: dict[str, int], length: int = RECENT_STEPS) -> None:
        self.length = length
        self._masks = {name: np.zeros((units, length), dtype=bool)
                       for name, units in widths.items()}
        self._steps = np.zeros(length, dtype=np.int64)
        self._next = 0
        self._count = 0
        # Steps recorded but not yet written into the raster, whose masks are never written to:
        # copying a step's column costs 6 us, paid only by steps still in the raster when it is
        # read (and never by a sweep, which does not read it).
        self._unwritten: deque[StepResult] = deque(maxlen=length)

    def record(self, result: StepResult) -> None:
        self._unwritten.append(result)

    def record_all(self, results: Sequence[StepResult]) -> None:
        """Steps in order; only the last `length` of them can still be in the raster."""
        self._unwritten.extend(results[-self.length:])

    def recent(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Copies, oldest step first."""
        while self._unwritten:
            result = self._unwritten.popleft()
            for name, mask in result.masks.items():
                if mask.dtype != self._masks[name].dtype:  # Gaussian dropout's noise is float
                    self._masks[name] = self._masks[name].astype(mask.dtype)
                first = mask[0]  # a sequence's mask is (time, units): its first step's
                self._masks[name][:, self._next] = first[0] if first.ndim == 2 else first
            self._steps[self._next] = result.step
            self._next = (self._next + 1) % self.length
            self._count = min(self._count + 1, self.length)
        order = (np.arange(self._count) + self._next - self._count) % self.length
        return self._steps[order], {name: masks[:, order] for name, masks in self._masks.items()}


def sequence_states(trainer: Trainer) -> dict[str, np.ndarray]:
    """Each recurrent layer's test-time state over the time steps of test row SEQUENCE_ROW,
    (time, units); empty for an MLP. Reads the network, so on the worker thread only."""
    if not trainer.config.recurrent:
        return {}
    row = trainer.dataset.X_test[SEQUENCE_ROW:SEQUENCE_ROW + 1]
    return {name: states[0].copy() for name, states in trainer.hidden_states(row).items()}


def with_states(snapshot: Snapshot, trainer: Trainer) -> Snapshot:
    """The snapshot with the run's hidden-state trajectory (see `sequence_states`)."""
    states = sequence_states(trainer)
    return replace(snapshot, states=states) if states else snapshot


def status_text(snapshot: Snapshot) -> str:
    """The one line a lecturer reads off the status bar."""
    ev = snapshot.evaluation
    speed = f"{snapshot.steps_per_second:.0f} steps/s" if snapshot.playing else "paused"
    text = (f"step {snapshot.step} · epoch {snapshot.epoch:.1f} · {speed} · "
            f"train loss {ev.train_loss:.3g} acc {ev.train_acc:.2f} · "
            f"test loss {ev.test_loss:.3g} acc {ev.test_acc:.2f}")
    return f"{text} · {snapshot.preparing}" if snapshot.preparing else text
