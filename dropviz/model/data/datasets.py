"""The data a network learns from: toy 2-D sets, two bundled scikit-learn sets, or the user's CSV.

Every dataset leaves here split and standardised, so the network, the plots and the exporter never
see raw units and never have to agree among themselves on how the split was made. scikit-learn is
imported only where it is used: importing it takes a second, and a dataset built before comes from
the cache (dataset_cache.py) without it.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import math
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import numpy as np

from dropviz.model.config import BUNDLED_DATASETS, GENERATED_DATASETS, WAVE_STEPS, DatasetConfig
from dropviz.model.data.csv_loader import load_csv
from dropviz.model.data.dataset import Dataset
from dropviz.model.data.dataset_cache import cached_dataset
from dropviz.model.errors import DatasetError

Generator = Callable[[int, float, np.random.Generator], tuple[np.ndarray, np.ndarray]]

# Keeps the data stream apart from the weight and dropout-mask streams made from the same seed.
DATASET_STREAM = 1

SPIRAL_TURNS = 1.75
CIRCLES_INNER_RADIUS = 0.5
BLOB_CENTRE_ANGLES = np.deg2rad([90.0, 210.0, 330.0])
PLANE_FEATURES = ("x1", "x2")
WAVE_CYCLES = (1.0, 1.5, 2.0)  # cycles over the WAVE_STEPS samples, one frequency a class


def _sklearn_seed(rng: np.random.Generator) -> int:
    """scikit-learn wants an int seed; drawing it from rng leaves one seed in charge of it all."""
    return int(rng.integers(0, 2**31 - 1))


def _moons(n_samples: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_moons

    return make_moons(n_samples=n_samples, noise=noise, random_state=_sklearn_seed(rng))


def _circles(
    n_samples: int, noise: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_circles

    return make_circles(
        n_samples=n_samples,
        noise=noise,
        factor=CIRCLES_INNER_RADIUS,
        random_state=_sklearn_seed(rng),
    )


def _blobs(n_samples: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Three blobs on the unit circle, so `noise` means the same spread as for the other sets."""
    from sklearn.datasets import make_blobs

    centres = np.column_stack([np.cos(BLOB_CENTRE_ANGLES), np.sin(BLOB_CENTRE_ANGLES)])
    return make_blobs(
        n_samples=n_samples,
        centers=centres,
        cluster_std=noise,
        random_state=_sklearn_seed(rng),
    )


def _class_sizes(n_samples: int, n_classes: int) -> list[int]:
    """Split n_samples as evenly as possible, the first classes taking the remainder."""
    base, extra = divmod(n_samples, n_classes)
    return [base + (k < extra) for k in range(n_classes)]


def _xor(n_samples: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Quadrant parity: no single straight line separates it, which is the point of the set.

    Each class is drawn in its own quadrants, so the classes are balanced exactly; the label
    belongs to the clean point, and the noise then pushes some points across the axes.
    """
    parts_X, parts_y = [], []
    for label, size in enumerate(_class_sizes(n_samples, 2)):
        magnitude = rng.uniform(0.0, 1.0, size=(size, 2))
        sign = rng.choice([-1.0, 1.0], size=size)
        same_sign_quadrants = label == 0
        signs = np.column_stack([sign, sign if same_sign_quadrants else -sign])
        parts_X.append(magnitude * signs)
        parts_y.append(np.full(size, label))
    X = np.concatenate(parts_X)
    return X + rng.normal(0.0, noise, size=X.shape), np.concatenate(parts_y)


def _spiral(
    n_samples: int, noise: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Two arms half a turn apart; noise is measured in arm gaps so that 1.0 blurs them together."""
    arm_gap = 1.0 / (2.0 * SPIRAL_TURNS)
    parts_X, parts_y = [], []
    for label, size in enumerate(_class_sizes(n_samples, 2)):
        radius = np.sqrt(rng.uniform(0.0, 1.0, size=size))
        angle = radius * SPIRAL_TURNS * 2.0 * math.pi + label * math.pi
        parts_X.append(np.column_stack([radius * np.cos(angle), radius * np.sin(angle)]))
        parts_y.append(np.full(size, label))
    X = np.concatenate(parts_X)
    return X + rng.normal(0.0, noise * arm_gap, size=X.shape), np.concatenate(parts_y)


def _waves(n_samples: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Which of three frequencies a wave has, from WAVE_STEPS samples: a task for a recurrent net.

    Phase and amplitude are random, so no single time step tells the class; `noise` is Gaussian
    noise in units of the mean amplitude, and past about 1 a small training set is learnt by heart.
    """
    parts_X, parts_y = [], []
    t = np.arange(WAVE_STEPS)
    for label, size in enumerate(_class_sizes(n_samples, len(WAVE_CYCLES))):
        phase = rng.uniform(0.0, 2.0 * math.pi, size=(size, 1))
        amplitude = rng.uniform(0.5, 1.5, size=(size, 1))
        angle = 2.0 * math.pi * WAVE_CYCLES[label] * t[None, :] / WAVE_STEPS + phase
        parts_X.append(amplitude * np.sin(angle))
        parts_y.append(np.full(size, label))
    X = np.concatenate(parts_X)
    return X + rng.normal(0.0, noise, size=X.shape), np.concatenate(parts_y)


GENERATORS: dict[str, Generator] = {
    "moons": _moons,
    "circles": _circles,
    "xor": _xor,
    "spiral": _spiral,
    "blobs": _blobs,
    "waves": _waves,
}

_BUNDLED_DESCRIPTIONS = {
    "digits": "8x8 images of handwritten digits",
    "breast_cancer": "breast tumour measurements (Wisconsin diagnostic), malignant or benign",
    "digits_rows": "8x8 images of handwritten digits, read as 8 time steps of 8 pixels (a row each)",
}


def load_dataset(config: DatasetConfig, seed: int) -> Dataset:
    """Build the dataset a config names; the same config and seed always give the same arrays.

    A user's CSV file can change under the same name, so only the others are cached.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, DATASET_STREAM]))
    if config.name not in GENERATED_DATASETS + BUNDLED_DATASETS:
        return _from_csv(config, rng)
    build = _generated if config.name in GENERATED_DATASETS else _bundled
    return cached_dataset(_cache_key(config, seed), lambda: build(config, rng))


def _cache_key(config: DatasetConfig, seed: int) -> dict:
    """Everything a generated or bundled dataset depends on."""
    return {"config": dataclasses.asdict(config), "seed": seed, "code": _code_digest(),
            "numpy": np.__version__, "scikit-learn": version("scikit-learn")}


@functools.cache
def _code_digest() -> str:
    """This file builds the datasets: an edit to it must not be answered from the cache."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def _generated(config: DatasetConfig, rng: np.random.Generator) -> Dataset:
    X, y = GENERATORS[config.name](config.n_samples, config.noise, rng)
    n_classes = int(y.max()) + 1
    what = "sequences" if config.name == "waves" else "points"
    report = (f"{config.name}: {len(y)} generated {what}, {n_classes} classes, "
              f"noise {config.noise:g}")
    features = (PLANE_FEATURES if X.shape[1] == 2
                else tuple(f"t{step + 1}" for step in range(X.shape[1])))
    return split_and_standardise(
        X, y, tuple(str(k) for k in range(n_classes)), features,
        train_fraction=config.train_fraction, rng=rng, name=config.name, report=report,
    )


def _bundled(config: DatasetConfig, rng: np.random.Generator) -> Dataset:
    from sklearn.datasets import load_breast_cancer, load_digits

    bunch = load_breast_cancer() if config.name == "breast_cancer" else load_digits()
    classes = tuple(str(label) for label in bunch.target_names)
    report = (f"{config.name}: {len(bunch.target)} rows of "
              f"{_BUNDLED_DESCRIPTIONS[config.name]}, {len(classes)} classes")
    return split_and_standardise(
        bunch.data, bunch.target, classes, tuple(bunch.feature_names),
        train_fraction=config.train_fraction, rng=rng, name=config.name, report=report,
    )


def _from_csv(config: DatasetConfig, rng: np.random.Generator) -> Dataset:
    """Named after the file, because "csv" would not tell two loaded files apart."""
    table = load_csv(config.csv_path, config.label_column, drop_bad_rows=config.drop_bad_rows)
    return split_and_standardise(
        table.X, table.labels, table.classes, table.feature_names,
        train_fraction=config.train_fraction, rng=rng, name=Path(config.csv_path).name,
        report=table.report.summary(),
    )


def _rows_needed(train_fraction: float) -> int:
    """Rows a class needs for its proportional share to reach one row on the smaller side."""
    return max(2, math.ceil(1.0 / min(train_fraction, 1.0 - train_fraction) - 1e-9))


def _check_class_sizes(counts: np.ndarray, classes: tuple[str, ...], train_fraction: float) -> None:
    needed = _rows_needed(train_fraction)
    for label, count in zip(classes, counts, strict=True):
        if count < needed:
            raise DatasetError(
                f"class {label!r} has {count} row{'' if count == 1 else 's'}: with train "
                f"fraction {train_fraction:g} every class needs at least {needed} rows so that "
                "it appears in both the training and the test split"
            )


def _check_both_sides(
    y_train: np.ndarray, y_test: np.ndarray, counts: np.ndarray, classes: tuple[str, ...],
    train_fraction: float,
) -> None:
    """The proportional split rounds per class, so a class just above the minimum can still miss."""
    for side, y_side in (("training", y_train), ("test", y_test)):
        present = np.bincount(y_side, minlength=len(classes))
        for label, count, here in zip(classes, counts, present, strict=True):
            if here == 0:
                raise DatasetError(
                    f"class {label!r} has {count} rows, and the split at train fraction "
                    f"{train_fraction:g} put none of them in the {side} split; give that class "
                    "more rows or choose a train fraction nearer 0.5"
                )


def _standardise(
    X_train: np.ndarray, X_test: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Statistics come from the training rows only, or the test score would have seen the test set.

    A feature that is constant in training would divide by zero; it keeps scale 1.0 instead.
    Constancy is judged by the range, because a float mean of equal values need not be exact; a
    spread too small for float32 counts as constant too, or the stored scale would round to 0.
    A value that overflows float32 becomes infinite here and is refused by the caller.
    """
    mean = X_train.mean(axis=0)
    spread = X_train.std(axis=0)
    constant = (np.ptp(X_train, axis=0) == 0) | (spread < np.finfo(np.float32).tiny)
    scale = np.where(constant, 1.0, spread)
    with np.errstate(over="ignore"):
        train = ((X_train - mean) / scale).astype(np.float32)
        test = ((X_test - mean) / scale).astype(np.float32)
    return train, test, mean.astype(np.float32), scale.astype(np.float32)


def _check_finite(X_train: np.ndarray, X_test: np.ndarray, feature_names: tuple[str, ...],
                  name: str) -> None:
    """Values many orders of magnitude apart in one feature overflow float32 once standardised."""
    finite = np.isfinite(X_train).all(axis=0) & np.isfinite(X_test).all(axis=0)
    if not finite.all():
        feature = feature_names[int(np.argmin(finite))]
        raise DatasetError(
            f"{name}: feature {feature!r} spans too many orders of magnitude to be standardised "
            "in float32 (a value lies more than 1e38 standard deviations from the mean); "
            "rescale or leave out that column"
        )


def split_and_standardise(
    X: np.ndarray,
    y: np.ndarray,
    classes: tuple[str, ...],
    feature_names: tuple[str, ...],
    *,
    train_fraction: float,
    rng: np.random.Generator,
    name: str,
    report: str = "",
) -> Dataset:
    """Stratify so that every class is scored on both sides, then standardise with train stats."""
    from sklearn.model_selection import train_test_split

    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    counts = np.bincount(y, minlength=len(classes))
    _check_class_sizes(counts, classes, train_fraction)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, train_size=train_fraction, stratify=y, random_state=_sklearn_seed(rng)
    )
    _check_both_sides(y_train, y_test, counts, classes, train_fraction)
    X_train, X_test, mean, scale = _standardise(X_train, X_test)
    _check_finite(X_train, X_test, tuple(feature_names), name)
    split_line = (f"split: {len(y_train)} training rows, {len(y_test)} test rows "
                  "(stratified, standardised with training statistics)")
    return Dataset(
        name=name,
        X_train=X_train,
        y_train=y_train.astype(np.int32),
        X_test=X_test,
        y_test=y_test.astype(np.int32),
        classes=tuple(classes),
        feature_names=tuple(feature_names),
        mean=mean,
        scale=scale,
        report=f"{report}\n{split_line}" if report else split_line,
    )
