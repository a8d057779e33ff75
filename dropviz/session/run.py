"""One run as the session drives it: a Trainer and what the files and the views need of it.

The trainer trains and evaluates. A `Run` also keeps, step by step, what is asked of the run later:
its record (evaluations, curves and the last steps' masks, see run_record.py), the mask raster,
the last step's result, the latest evaluation and decision map, and where the run diverged. The
window's worker, the command line and the sweeps all train through `Run.train` (see loop.py), so
none of them keeps these pieces, or checks for divergence, on its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from dropviz.model.config import Config
from dropviz.model.results import DecisionGrid, Evaluation, StepResult
from dropviz.session.run_record import RestoredRun, RunRecord
from dropviz.session.snapshot import MaskRaster, RunInfo, Snapshot, run_info

if TYPE_CHECKING:  # the trainer loads PyTensor, and the window imports this module at start-up
    from dropviz.model.trainer import Trainer


@dataclass(frozen=True)
class Divergence:
    """The first step whose loss was not finite, and that loss (a minibatch's or an evaluation's)."""

    step: int
    loss: float


class Run:
    """A trainer and its record, raster, last step, latest evaluation and decision map."""

    def __init__(self, trainer: Trainer, record: RunRecord | None = None,
                 raster: MaskRaster | None = None, last: StepResult | None = None) -> None:
        self.trainer = trainer
        self.record = record if record is not None else RunRecord()
        self.raster = raster if raster is not None else MaskRaster(trainer.layout.noise_units())
        self.last = last  # the last step's result; None at step 0
        self.evaluation: Evaluation | None = None  # the latest, see evaluate
        self.grid: DecisionGrid | None = None  # the latest, see refresh_grid
        self._train_divergence: Divergence | None = None
        self._evaluation_divergence: Divergence | None = None

    @classmethod
    def restored(cls, restored: RestoredRun) -> Run:
        """An opened experiment, going on exactly where it was saved."""
        return cls(restored.trainer, restored.record, restored.raster, restored.last)

    @property
    def step(self) -> int:
        return self.trainer.step_count

    @property
    def config(self) -> Config:
        return self.trainer.config

    @property
    def multi_step_ready(self) -> bool:
        """True once a call of many steps runs without compiling first."""
        return self.trainer.network.train_steps_ready

    def prepare_multi_step(self) -> None:
        """Compile the call of many steps now (seconds), rather than at its first use."""
        self.trainer.network.prepare_train_steps()

    @property
    def divergence(self) -> Divergence | None:
        """Where the run diverged: in the last call of `train`, or at an evaluation since.

        Not for ever: a loss that overflowed once may be finite again after a change of settings,
        and the run may go on from there.
        """
        return self._train_divergence or self._evaluation_divergence

    def train(self, count: int) -> list[StepResult]:
        """`count` steps in one compiled call (one step: the single-step call), all recorded.

        Either way the course of training is the same, bit for bit (see `Trainer.run_steps`).
        """
        results = self.trainer.run_steps(count) if count > 1 else [self.trainer.step()]
        self.raster.record_all(results)
        self.record.stepped(results)
        self.last = results[-1]
        self._evaluation_divergence = None
        self._train_divergence = next((Divergence(result.step, result.loss) for result in results
                                       if not math.isfinite(result.loss)), None)
        return results

    def evaluate(self) -> Evaluation:
        """Evaluate at the current step and record it: a row of metrics.csv and a curve point."""
        with np.errstate(all="ignore"):  # a diverged network overflows; its NaN says so already
            evaluation = self.trainer.evaluate()
        self.record.published(evaluation)
        self.evaluation = evaluation
        self._evaluation_divergence = None if evaluation.is_finite() else Divergence(
            evaluation.step, next(loss for loss in (evaluation.train_loss, evaluation.test_loss)
                                  if not math.isfinite(loss)))
        return evaluation

    def refresh_grid(self) -> DecisionGrid | None:
        """The decision map of the network as it is now; None unless the data is 2-D."""
        if self.trainer.dataset.is_2d:
            with np.errstate(all="ignore"):
                self.grid = self.trainer.decision_grid()
        return self.grid

    def info(self, reason: str) -> RunInfo:
        """What stays fixed for the run; `reason` says why it started, for the user."""
        return run_info(self.trainer, reason)

    def snapshot(self, steps_per_second: float = 0.0, playing: bool = False) -> Snapshot:
        """The run at its latest evaluation (see `evaluate`), as every view needs it: copies only."""
        if self.evaluation is None or self.evaluation.step != self.step:
            raise ValueError(f"a snapshot of step {self.step} needs an evaluation at that step")
        last = self.last
        steps, recent = self.raster.recent()
        return Snapshot(
            step=self.step, epoch=self.evaluation.epoch, steps_per_second=steps_per_second,
            playing=playing, config=self.config,
            batch_loss=last.loss if last is not None else math.nan, evaluation=self.evaluation,
            masks={name: mask.copy() for name, mask in last.masks.items()} if last else {},
            recent_steps=steps, recent_masks=recent, weights=self.trainer.network.weights(),
            grid=self.grid, curves=self.record.curves.arrays(),
            preparing=self.trainer.network.preparing,
        )

    def close(self) -> None:
        """Give the network back to the pool; the record stays readable."""
        self.trainer.close()
