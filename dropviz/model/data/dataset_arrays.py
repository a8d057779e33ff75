"""A Dataset as named arrays and a JSON-able description, and back again with every array checked.

The experiment file and the dataset cache both store datasets this way. Neither file can be
trusted when it is read back, so the checks live here, once.
"""

from __future__ import annotations

import numpy as np

from dropviz.model.data.dataset import Dataset
from dropviz.model.errors import ExportError

DATA_KEYS = ("X_train", "y_train", "X_test", "y_test", "mean", "scale")
PREFIX = "data__"


def dataset_description(dataset: Dataset) -> dict:
    return {"name": dataset.name, "classes": list(dataset.classes),
            "feature_names": list(dataset.feature_names), "report": dataset.report}


def dataset_arrays(dataset: Dataset) -> dict[str, np.ndarray]:
    return {f"{PREFIX}{key}": getattr(dataset, key) for key in DATA_KEYS}


def _array(arrays: dict, key: str, dtype: type, ndim: int) -> np.ndarray:
    value = arrays.get(key)
    if value is None:
        raise ExportError(f"{key} is missing")
    if value.dtype != dtype or value.ndim != ndim:
        raise ExportError(f"{key} is {value.dtype} with {value.ndim} dimensions; "
                          f"expected {np.dtype(dtype)} with {ndim}")
    return value


def _check_finite(key: str, value: np.ndarray) -> None:
    """NaN or infinity in saved numbers would be drawn or trained on without a word."""
    if not np.isfinite(value).all():
        raise ExportError(f"{key} holds non-finite values (NaN or infinity)")


def _texts(value: object, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ExportError(f"its {what} are not a list of names")
    return value


def dataset_from_arrays(description: dict, arrays: dict) -> Dataset:
    """The dataset `dataset_description` and `dataset_arrays` stored, or an ExportError (or the
    KeyError of a missing description field) saying what does not fit."""
    classes = _texts(description["classes"], "classes")
    feature_names = _texts(description["feature_names"], "feature names")
    if not isinstance(description["name"], str) or not isinstance(description["report"], str):
        raise ExportError("its dataset name or report is not text")
    X_train = _array(arrays, f"{PREFIX}X_train", np.float32, 2)
    X_test = _array(arrays, f"{PREFIX}X_test", np.float32, 2)
    y_train = _array(arrays, f"{PREFIX}y_train", np.int32, 1)
    y_test = _array(arrays, f"{PREFIX}y_test", np.int32, 1)
    mean = _array(arrays, f"{PREFIX}mean", np.float32, 1)
    scale = _array(arrays, f"{PREFIX}scale", np.float32, 1)
    n_features, n_classes = X_train.shape[1], len(classes)
    if n_features == 0 or n_classes < 2:
        raise ExportError(f"its data has {n_features} features and {n_classes} classes; "
                          "a run needs at least one feature and two classes")
    if (X_test.shape[1], len(mean), len(scale), len(feature_names)) != (n_features,) * 4:
        raise ExportError("the saved data arrays disagree on the number of features")
    if (len(y_train) != len(X_train) or len(y_test) != len(X_test) or len(y_train) == 0
            or len(y_test) == 0):
        raise ExportError("the saved data arrays disagree on the number of rows")
    for labels in (y_train, y_test):
        if labels.min() < 0 or labels.max() >= n_classes:
            raise ExportError(f"a saved label is outside the {n_classes} classes")
    for key, value in (("X_train", X_train), ("X_test", X_test), ("mean", mean), ("scale", scale)):
        _check_finite(f"{PREFIX}{key}", value)
    if not (scale > 0).all():
        raise ExportError(f"{PREFIX}scale holds a scale that is not positive")
    return Dataset(description["name"], X_train, y_train, X_test, y_test, tuple(classes),
                   tuple(feature_names), mean, scale, description["report"])
