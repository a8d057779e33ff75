"""What a dataset is once it is built: split, standardised, and described."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Dataset:
    """A split, standardised dataset; `mean` and `scale` let a plot map the raw plane onto it."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    classes: tuple[str, ...]
    feature_names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    report: str

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])

    @property
    def is_2d(self) -> bool:
        """Only a 2-D set can have its decision boundary drawn over the plane."""
        return self.n_features == 2
