"""Settings changes in words: for the markers on the curves and the "new run" message."""

from __future__ import annotations

from pathlib import Path

from dropviz.model.config import CSV_DATASET, Config, DatasetConfig

_LIVE_LABELS = {
    "scaling": "scaling",
    "mask": "mask",
    "learning_rate": "lr",
    "l2": "L2",
    "l1": "L1",
    "max_norm": "max-norm",
    "batch_size": "batch",
}
_RESTART_LABELS = {
    "hidden_layers": "hidden layers",
    "activation": "activation",
    "optimizer": "optimizer",
    "batch_norm": "batch norm",
    "seed": "seed",
}
_DATASET_LABELS = {"n_samples": "samples", "noise": "noise", "train_fraction": "train fraction"}


def _text(value: object) -> str:
    if isinstance(value, tuple):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    if value is None:
        return "none"
    return str(value).replace("_", " ")


def _data_name(dataset: DatasetConfig) -> str:
    """A CSV set goes by its file's name, as the user knows it."""
    if dataset.name == CSV_DATASET:
        return Path(dataset.csv_path).name
    return _text(dataset.name)


def describe_live_change(old: Config, new: Config) -> str:
    """Short, for a marker label: "hidden p 0.2, scaling inverted"."""
    parts = []
    if old.dropout.input != new.dropout.input:
        parts.append(f"input p {new.dropout.input:g}")
    if old.dropout.hidden != new.dropout.hidden:
        parts.append(f"hidden p {_text(new.dropout.hidden)}")
    for key, label in _LIVE_LABELS.items():
        if getattr(old, key) != getattr(new, key):
            parts.append(f"{label} {_text(getattr(new, key))}")
    return ", ".join(parts)


def describe_restart(old: Config, new: Config) -> str:
    """Why a change needed a new network: "hidden layers 128, 128 → 16, 16"."""
    parts = []
    if _data_name(old.dataset) != _data_name(new.dataset):
        parts.append(f"dataset {_data_name(old.dataset)} → {_data_name(new.dataset)}")
    elif old.dataset.label_column != new.dataset.label_column:
        parts.append(f"label column {old.dataset.label_column} → {new.dataset.label_column}")
    for key, label in _DATASET_LABELS.items():
        before, after = getattr(old.dataset, key), getattr(new.dataset, key)
        if before != after and (new.dataset.is_generated or key == "train_fraction"):
            parts.append(f"{label} {_text(before)} → {_text(after)}")
    if old.dropout.kind != new.dropout.kind:
        parts.append(f"dropout {old.dropout.kind} → {new.dropout.kind}")
    for key, label in _RESTART_LABELS.items():
        if getattr(old, key) != getattr(new, key):
            parts.append(f"{label} {_text(getattr(old, key))} → {_text(getattr(new, key))}")
    return "; ".join(parts)
