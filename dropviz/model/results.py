"""Plain results of training: what a step, an evaluation and a decision map produced.

Nothing here imports PyTensor, so the GUI thread, the files and the session layer use these types
freely, without waiting a second for PyTensor to load or guarding their imports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class StepResult:
    step: int
    epoch: float
    loss: float
    masks: dict[str, np.ndarray]  # layer name -> bool (batch, units), True = kept


@dataclass(frozen=True)
class Evaluation:
    step: int
    epoch: float
    train_loss: float
    test_loss: float
    train_acc: float
    test_acc: float

    @property
    def gap(self) -> float:
        """Test loss minus train loss: how much the network has overfitted."""
        return self.test_loss - self.train_loss

    def is_finite(self) -> bool:
        return bool(np.isfinite([self.train_loss, self.test_loss]).all())


@dataclass(frozen=True)
class DecisionGrid:
    xs: np.ndarray     # (resolution,) first feature values, standardised
    ys: np.ndarray     # (resolution,) second feature values
    probs: np.ndarray  # (resolution, resolution, classes): probs[j, i] is at (xs[i], ys[j])


class BatchMaskRecorder:
    """The keep-masks of the last steps, for masks.npz: bounded however long the run."""

    def __init__(self, capacity: int = 100) -> None:
        self.capacity = capacity
        self._steps: list[dict[str, np.ndarray]] = []

    def add(self, result: StepResult) -> None:
        self._steps.append(result.masks)
        del self._steps[:-self.capacity]

    def arrays(self) -> dict[str, np.ndarray]:
        """Layer name -> (steps, batch, units), over the last steps that share one batch size."""
        if not self._steps:
            return {}
        shape = {name: mask.shape for name, mask in self._steps[-1].items()}
        tail = []
        for masks in reversed(self._steps):
            if any(mask.shape != shape[name] for name, mask in masks.items()):
                break
            tail.append(masks)
        tail.reverse()
        return {name: np.stack([masks[name] for masks in tail]) for name in shape}

