"""A run and the baseline compared with it, trained together step for step.

Both are built from one seed (see compare.py), so they start from the same initial weights and draw
the same minibatch order; training them in calls of the same length keeps them on the same
minibatches at every step, so the difference between their curves is the doing of their settings.
The baseline keeps a record of its own, so its curves come with every snapshot like the run's.
"""

from __future__ import annotations

from dataclasses import replace

from dropviz.model.results import Evaluation, StepResult
from dropviz.session.run import Divergence, Run
from dropviz.session.snapshot import Snapshot


class Lockstep:
    """The run, and the baseline trained alongside when there is one (None: none)."""

    def __init__(self, run: Run, baseline: Run | None = None) -> None:
        self.run = run
        self.baseline = baseline

    @property
    def step(self) -> int:
        return self.run.step

    @property
    def multi_step_ready(self) -> bool:
        """Both can train many steps in a call without compiling first."""
        return self.run.multi_step_ready and (self.baseline is None
                                              or self.baseline.multi_step_ready)

    @property
    def divergence(self) -> Divergence | None:
        """The run's: a baseline that diverges shows it in its curves and stops nothing."""
        return self.run.divergence

    def train(self, count: int) -> list[StepResult]:
        """`count` steps of both, each in one call; the run's results."""
        results = self.run.train(count)
        if self.baseline is not None:
            self.baseline.train(count)
        return results

    def evaluate(self) -> Evaluation:
        """Evaluate and record both; the run's evaluation."""
        if self.baseline is not None:
            self.baseline.evaluate()
        return self.run.evaluate()

    def refresh_grids(self) -> None:
        """New decision maps of both (2-D data only)."""
        self.run.refresh_grid()
        if self.baseline is not None:
            self.baseline.refresh_grid()

    @property
    def preparing(self) -> str:
        """What the pair's networks prepare (see Snapshot.preparing): the run's, else its
        baseline's, since in lockstep the slower of the two sets the pace."""
        text = self.run.trainer.network.preparing
        if text or self.baseline is None:
            return text
        baseline = self.baseline.trainer.network.preparing
        return f"the baseline's {baseline}" if baseline else ""

    def snapshot(self, steps_per_second: float = 0.0, playing: bool = False) -> Snapshot:
        """Both at their latest evaluation (see `evaluate`)."""
        snapshot = self.run.snapshot(steps_per_second, playing)
        baseline = self.baseline
        if baseline is None:
            return snapshot
        if baseline.evaluation is None or baseline.evaluation.step != self.step:
            raise ValueError(f"the baseline has no evaluation at step {self.step}")
        return replace(snapshot, baseline_config=baseline.config,
                       baseline_evaluation=baseline.evaluation, baseline_grid=baseline.grid,
                       baseline_curves=baseline.record.curves.arrays(), preparing=self.preparing)
