import re

import numpy as np
import pytest
import sklearn.model_selection

from dropviz.model.config import WAVE_STEPS, DatasetConfig
from dropviz.model.data import datasets
from dropviz.model.data.datasets import GENERATORS, Dataset, load_dataset, split_and_standardise
from dropviz.model.errors import DatasetError
from dropviz.resources import sample_csv_path

SAMPLE_CSV = sample_csv_path()
TWO_CLASS_SETS = ("moons", "circles", "xor", "spiral")


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def split(X, y, n_classes: int, train_fraction: float = 0.3, seed: int = 0) -> Dataset:
    classes = tuple(f"class {k}" for k in range(n_classes))
    names = tuple(f"f{j}" for j in range(np.shape(X)[1]))
    return split_and_standardise(X, y, classes, names, train_fraction=train_fraction,
                                 rng=rng(seed), name="test", report="made in a test")


# --- generators ----------------------------------------------------------------------------

def test_generator_names_match_the_config():
    assert tuple(GENERATORS) == ("moons", "circles", "xor", "spiral", "blobs", "waves")


@pytest.mark.parametrize("name", GENERATORS)
def test_generator_is_deterministic_given_its_rng(name):
    X1, y1 = GENERATORS[name](200, 0.3, rng(5))
    X2, y2 = GENERATORS[name](200, 0.3, rng(5))
    X3, _ = GENERATORS[name](200, 0.3, rng(6))
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("name", GENERATORS)
@pytest.mark.parametrize("n_samples", [10, 301])
def test_generator_shapes_and_balanced_classes(name, n_samples):
    X, y = GENERATORS[name](n_samples, 0.2, rng())
    n_classes = 3 if name in ("blobs", "waves") else 2
    assert X.shape == (n_samples, WAVE_STEPS if name == "waves" else 2)
    assert np.issubdtype(X.dtype, np.floating)
    assert y.shape == (n_samples,)
    assert np.issubdtype(y.dtype, np.integer)
    counts = np.bincount(y)
    assert len(counts) == n_classes
    assert counts.max() - counts.min() <= 1


@pytest.mark.parametrize("name", GENERATORS)
def test_noise_moves_points_off_the_clean_shape_in_proportion(name):
    """Same rng, different noise: the clean shape stays, the spread scales with noise."""
    X0, y0 = GENERATORS[name](300, 0.0, rng(3))
    X1, y1 = GENERATORS[name](300, 0.2, rng(3))
    X2, y2 = GENERATORS[name](300, 0.4, rng(3))
    np.testing.assert_array_equal(y0, y1)
    np.testing.assert_array_equal(y0, y2)
    spread = np.std(X1 - X0)
    assert spread > 0.01
    np.testing.assert_allclose(X2 - X0, 2 * (X1 - X0), atol=1e-9)


def test_xor_label_is_quadrant_parity_without_noise():
    X, y = GENERATORS["xor"](400, 0.0, rng())
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(int))
    assert np.abs(X).max() <= 1.0


def test_spiral_arms_are_half_a_turn_apart_without_noise():
    X, y = GENERATORS["spiral"](400, 0.0, rng())
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius.max() <= 1.0
    turn = datasets.SPIRAL_TURNS * 2 * np.pi
    angle = np.arctan2(X[:, 1], X[:, 0])
    expected = radius * turn + y * np.pi
    np.testing.assert_allclose(np.cos(angle), np.cos(expected), atol=1e-9)


def test_blob_spread_grows_with_noise():
    def within_class_std(noise: float) -> float:
        X, y = GENERATORS["blobs"](600, noise, rng(1))
        return float(np.mean([X[y == k].std(axis=0).mean() for k in range(3)]))

    assert within_class_std(0.1) == pytest.approx(0.1, rel=0.15)
    assert within_class_std(0.5) == pytest.approx(0.5, rel=0.15)


# --- split and standardisation -------------------------------------------------------------

def imbalanced(n_per_class=(60, 30, 10), seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Column 0 is the row number, so a test can tell which rows went where."""
    y = np.repeat(np.arange(len(n_per_class)), n_per_class)
    gen = rng(seed)
    features = gen.normal(loc=[5.0, -3.0], scale=[2.0, 0.5], size=(len(y), 2))
    return np.column_stack([np.arange(len(y)), features]), y


def row_numbers(ds: Dataset, X_part: np.ndarray) -> np.ndarray:
    return np.rint(X_part[:, 0].astype(np.float64) * ds.scale[0] + ds.mean[0]).astype(int)


def test_split_is_stratified_with_the_train_fraction():
    X, y = imbalanced()
    ds = split(X, y, 3, train_fraction=0.3)
    assert len(ds.y_train) == 30
    assert len(ds.y_test) == 70
    np.testing.assert_array_equal(np.bincount(ds.y_train), [18, 9, 3])
    np.testing.assert_array_equal(np.bincount(ds.y_test), [42, 21, 7])


def test_split_keeps_rows_whole_and_disjoint():
    X, y = imbalanced()
    ds = split(X, y, 3)
    train_rows, test_rows = row_numbers(ds, ds.X_train), row_numbers(ds, ds.X_test)
    assert sorted([*train_rows, *test_rows]) == list(range(len(y)))
    np.testing.assert_array_equal(ds.y_train, y[train_rows])
    np.testing.assert_array_equal(ds.y_test, y[test_rows])


def test_standardised_with_training_statistics_only():
    X, y = imbalanced()
    ds = split(X, y, 3)
    np.testing.assert_allclose(ds.X_train.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(ds.X_train.std(axis=0), 1.0, atol=1e-5)
    raw_train = X[row_numbers(ds, ds.X_train)]
    raw_test = X[row_numbers(ds, ds.X_test)]
    mean, std = raw_train.mean(axis=0), raw_train.std(axis=0)
    np.testing.assert_allclose(ds.mean, mean, rtol=1e-6)
    np.testing.assert_allclose(ds.scale, std, rtol=1e-6)
    np.testing.assert_allclose(ds.X_test, (raw_test - mean) / std, rtol=1e-5, atol=1e-5)
    assert not np.allclose(ds.mean, X.mean(axis=0), rtol=1e-3)


def test_output_types():
    ds = split(*imbalanced(), 3)
    for array in (ds.X_train, ds.X_test, ds.mean, ds.scale):
        assert array.dtype == np.float32
    assert ds.y_train.dtype == np.int32
    assert ds.y_test.dtype == np.int32
    assert (ds.n_classes, ds.n_features, ds.is_2d) == (3, 3, False)
    assert ds.report == ("made in a test\nsplit: 30 training rows, 70 test rows "
                         "(stratified, standardised with training statistics)")


@pytest.mark.parametrize("value", [0.0, 0.1, 7.3])
def test_constant_feature_keeps_scale_one(value):
    X, y = imbalanced()
    X[:, 1] = value
    ds = split(X, y, 3)
    assert ds.scale[1] == 1.0
    np.testing.assert_allclose(ds.X_train[:, 1], 0.0, atol=1e-6)
    np.testing.assert_allclose(ds.X_test[:, 1], 0.0, atol=1e-6)


def test_same_rng_gives_the_same_split_and_another_a_different_one():
    X, y = imbalanced()
    first, again, other = split(X, y, 3, seed=4), split(X, y, 3, seed=4), split(X, y, 3, seed=5)
    np.testing.assert_array_equal(first.X_train, again.X_train)
    np.testing.assert_array_equal(first.X_test, again.X_test)
    assert not np.array_equal(first.X_train, other.X_train)


def test_class_with_one_row_is_refused_by_name():
    X, y = imbalanced((20, 1, 20))
    with pytest.raises(DatasetError, match=r"class 'class 1' has 1 row: .* at least 4 rows"):
        split(X, y, 3, train_fraction=0.3)


@pytest.mark.parametrize(("train_fraction", "needed"), [(0.6, 3), (0.3, 4), (0.8, 5), (0.95, 20)])
def test_class_too_small_for_both_sides_says_what_it_needs(train_fraction, needed):
    X, y = imbalanced((40, needed - 1, 40))
    message = (f"class 'class 1' has {needed - 1} rows: with train fraction {train_fraction:g} "
               f"every class needs at least {needed} rows")
    with pytest.raises(DatasetError, match=re.escape(message)):
        split(X, y, 3, train_fraction=train_fraction)
    X, y = imbalanced((40, needed, 40))
    ds = split(X, y, 3, train_fraction=train_fraction)
    assert min(np.bincount(ds.y_train).min(), np.bincount(ds.y_test).min()) >= 1


def test_a_split_that_still_misses_a_class_is_refused(monkeypatch):
    def lopsided(X, y, **kwargs):
        train = y != 2
        return X[train], X[~train], y[train], y[~train]

    monkeypatch.setattr(sklearn.model_selection, "train_test_split", lopsided)
    X, y = imbalanced((10, 10, 10))
    with pytest.raises(DatasetError, match=r"class 'class 2' has 10 rows, .* none of them in the "
                                           r"training split"):
        split(X, y, 3, train_fraction=0.5)


# --- load_dataset ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", [*GENERATORS])
def test_generated_dataset_uses_the_config(name):
    config = DatasetConfig(name=name, n_samples=200, noise=0.1, train_fraction=0.25)
    ds = load_dataset(config, seed=3)
    waves = name == "waves"
    assert ds.name == name
    assert ds.is_2d != waves
    assert ds.feature_names == (tuple(f"t{k}" for k in range(1, 17)) if waves else ("x1", "x2"))
    assert len(ds.y_train) == 50
    assert len(ds.y_test) == 150
    assert ds.classes == (("0", "1", "2") if name in ("blobs", "waves") else ("0", "1"))
    what = "sequences" if waves else "points"
    assert ds.report.startswith(f"{name}: 200 generated {what}, {ds.n_classes} classes, noise 0.1")


def test_same_seed_same_arrays_whatever_the_global_random_state():
    config = DatasetConfig(name="spiral")
    np.random.seed(1)
    first = load_dataset(config, seed=11)
    np.random.seed(2)
    np.random.random(10)
    again = load_dataset(config, seed=11)
    other = load_dataset(config, seed=12)
    for field in ("X_train", "y_train", "X_test", "y_test", "mean", "scale"):
        np.testing.assert_array_equal(getattr(first, field), getattr(again, field))
    assert not np.array_equal(first.X_train, other.X_train)


def test_dataset_stream_is_not_the_plain_seed_stream():
    """Weights or masks drawn from default_rng(seed) must not repeat the data's randomness."""
    X, _ = GENERATORS["xor"](50, 0.3, rng(7))
    ds = load_dataset(DatasetConfig(name="xor", n_samples=50, train_fraction=0.5), seed=7)
    raw = np.concatenate([ds.X_train, ds.X_test]) * ds.scale + ds.mean
    assert not np.allclose(np.sort(raw[:, 0]), np.sort(X[:, 0]), atol=1e-4)


def test_digits_are_bundled():
    ds = load_dataset(DatasetConfig(name="digits", train_fraction=0.5), seed=0)
    assert ds.n_features == 64
    assert ds.classes == tuple(str(digit) for digit in range(10))
    assert len(ds.y_train) + len(ds.y_test) == 1797
    assert not ds.is_2d
    assert ds.scale[0] == 1.0
    assert np.isfinite(ds.X_test).all()


def test_breast_cancer_is_bundled_and_ignores_size_and_noise():
    small = load_dataset(DatasetConfig(name="breast_cancer", n_samples=10, noise=2.0), seed=0)
    large = load_dataset(DatasetConfig(name="breast_cancer", n_samples=5000, noise=0.0), seed=0)
    assert small.n_features == 30
    assert small.classes == ("malignant", "benign")
    assert small.feature_names[0] == "mean radius"
    assert len(small.y_train) + len(small.y_test) == 569
    np.testing.assert_array_equal(small.X_train, large.X_train)


def test_csv_dataset_carries_the_loader_report(tmp_path):
    rows = [f"{k * 0.5 + 0.25},{(k * 37) % 11 - 5.5},{'red' if k % 3 else 'blue'},{'ab'[k % 2]}"
            for k in range(40)]
    path = tmp_path / "points.csv"
    path.write_text("x,y,colour,kind\n" + "\n".join(rows) + "\n", encoding="utf-8")
    config = DatasetConfig(name="csv", csv_path=str(path), train_fraction=0.5)
    ds = load_dataset(config, seed=0)
    assert ds.name == "points.csv"
    assert ds.classes == ("a", "b")
    assert ds.feature_names == ("x", "y", "colour=blue", "colour=red")
    assert (len(ds.y_train), len(ds.y_test)) == (20, 20)
    assert ds.report.startswith("points.csv: 40 rows used, comma-separated, with a header")
    assert ds.report.endswith("split: 20 training rows, 20 test rows "
                              "(stratified, standardised with training statistics)")


def test_csv_label_column_comes_from_the_config(tmp_path):
    path = tmp_path / "points.csv"
    rows = [f"{k % 2},{k * 0.5 + 0.25}" for k in range(20)]
    path.write_text("kind,x\n" + "\n".join(rows) + "\n", encoding="utf-8")
    config = DatasetConfig(name="csv", csv_path=str(path), label_column="kind")
    ds = load_dataset(config, seed=0)
    assert ds.classes == ("0", "1")
    assert ds.feature_names == ("x",)


def test_csv_errors_reach_the_caller_as_dataset_errors(tmp_path):
    config = DatasetConfig(name="csv", csv_path=str(tmp_path / "absent.csv"))
    with pytest.raises(DatasetError, match=r"file not found: .*absent\.csv"):
        load_dataset(config, seed=0)


def test_sample_csv_shipped_with_the_app_loads():
    config = DatasetConfig(name="csv", csv_path=str(SAMPLE_CSV), train_fraction=0.5)
    ds = load_dataset(config, seed=0)
    assert ds.classes == ("Iris setosa", "Iris versicolor", "Iris virginica")
    assert ds.feature_names == ("site=Hill Slope", "site=North Meadow", "site=River Bank",
                                "sepal_length_cm", "sepal_width_cm", "petal_length_cm",
                                "petal_width_cm")
    assert "left out (ids, dates, free text): specimen_id, collected_on" in ds.report
    assert "dropped: 3 rows with a missing value" in ds.report
    assert len(ds.y_train) + len(ds.y_test) == 147


def test_a_waves_class_is_its_frequency():
    """Without noise, a wave of c cycles over the 16 samples changes sign about 2c times."""
    X, y = GENERATORS["waves"](300, 0.0, rng(2))
    crossings = (np.diff(np.sign(X), axis=1) != 0).sum(axis=1)
    for label, cycles in enumerate(datasets.WAVE_CYCLES):
        assert abs(crossings[y == label].mean() - 2 * cycles) < 0.6, label
    amplitude = np.abs(X).max(axis=1)
    assert amplitude.min() > 0.3 and amplitude.max() <= 1.5


def test_digit_rows_are_the_digits_split_the_same_way():
    rows = load_dataset(DatasetConfig(name="digits_rows"), seed=4)
    digits = load_dataset(DatasetConfig(name="digits"), seed=4)
    np.testing.assert_array_equal(rows.X_train, digits.X_train)
    np.testing.assert_array_equal(rows.y_test, digits.y_test)
    assert DatasetConfig(name="digits_rows").steps_per_row == 8
