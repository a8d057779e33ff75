"""The dataset cache: what it returns is what building gives, and a bad or missing file only
costs a rebuild. The point of it, a start that never imports scikit-learn, is checked in a fresh
interpreter."""

import os
import subprocess
import sys
from dataclasses import fields

import numpy as np
import pytest

from dropviz.model.config import DatasetConfig
from dropviz.model.data import dataset_cache, datasets
from dropviz.model.data.dataset_cache import CACHE_DIR_VARIABLE, cache_folder
from dropviz.model.data.datasets import load_dataset

MOONS = DatasetConfig()


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_DIR_VARIABLE, str(tmp_path))
    return cache_folder()


@pytest.fixture
def builds(monkeypatch):
    """How many times a generated dataset was built rather than read."""
    count = []
    real = datasets._generated
    monkeypatch.setattr(datasets, "_generated", lambda *args: count.append(1) or real(*args))
    return count


def assert_same_dataset(a, b):
    for field in fields(a):
        left, right = getattr(a, field.name), getattr(b, field.name)
        if isinstance(left, np.ndarray):
            assert left.dtype == right.dtype, field.name
            np.testing.assert_array_equal(left, right, err_msg=field.name)
        else:
            assert left == right, field.name


def test_a_second_load_is_read_back_equal_to_the_build(folder, builds):
    built = load_dataset(MOONS, seed=3)
    assert len(list(folder.glob("*.npz"))) == 1
    again = load_dataset(MOONS, seed=3)
    assert len(builds) == 1
    assert_same_dataset(built, again)


def test_every_setting_and_the_seed_has_its_own_entry(folder, builds):
    variants = [(MOONS, 0), (MOONS, 1), (DatasetConfig(noise=0.1), 0),
                (DatasetConfig(n_samples=150), 0), (DatasetConfig(train_fraction=0.5), 0),
                (DatasetConfig(name="circles"), 0)]
    loaded = [load_dataset(config, seed) for config, seed in variants]
    assert len(builds) == len(variants)
    assert len(list(folder.glob("*.npz"))) == len(variants)
    for (config, seed), first in zip(variants, loaded, strict=True):
        assert_same_dataset(first, load_dataset(config, seed))
    assert len(builds) == len(variants)
    assert not np.array_equal(loaded[0].X_train, loaded[1].X_train)


def test_bundled_sets_are_cached_too(folder):
    built = load_dataset(DatasetConfig(name="breast_cancer"), seed=0)
    assert len(list(folder.glob("*.npz"))) == 1
    assert_same_dataset(built, load_dataset(DatasetConfig(name="breast_cancer"), seed=0))


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_a_damaged_file_is_rebuilt_and_replaced(folder, builds, damage):
    built = load_dataset(MOONS, seed=0)
    (path,) = folder.glob("*.npz")
    data = path.read_bytes()
    path.write_bytes({"garbage": b"not a zip at all" * 10, "truncated": data[: len(data) // 2],
                      "empty": b""}[damage])
    assert_same_dataset(built, load_dataset(MOONS, seed=0))
    assert len(builds) == 2
    assert path.read_bytes() == data


def test_a_file_stored_under_another_key_is_not_trusted(folder, builds):
    other = load_dataset(MOONS, seed=1)
    (other_path,) = folder.glob("*.npz")
    wanted = load_dataset(MOONS, seed=0)
    (wanted_path,) = set(folder.glob("*.npz")) - {other_path}
    wanted_path.write_bytes(other_path.read_bytes())
    assert_same_dataset(wanted, load_dataset(MOONS, seed=0))
    assert len(builds) == 3
    assert not np.array_equal(other.X_train, wanted.X_train)


def test_a_label_outside_the_classes_is_rebuilt(folder, builds):
    built = load_dataset(MOONS, seed=0)
    (path,) = folder.glob("*.npz")
    with np.load(path) as archive:
        arrays = dict(archive)
    arrays["data__y_train"] = np.full_like(arrays["data__y_train"], 7)
    np.savez(path, **arrays)
    assert_same_dataset(built, load_dataset(MOONS, seed=0))
    assert len(builds) == 2


def test_an_unwritable_cache_still_gives_the_dataset(tmp_path, monkeypatch, builds):
    blocker = tmp_path / "a file"
    blocker.write_text("the cache folder cannot be made under a file")
    monkeypatch.setenv(CACHE_DIR_VARIABLE, str(blocker))
    first = load_dataset(MOONS, seed=0)
    assert_same_dataset(first, load_dataset(MOONS, seed=0))
    assert len(builds) == 2


def test_least_recently_used_entries_go_first(folder, monkeypatch):
    monkeypatch.setattr(dataset_cache, "MAX_FILES", 3)
    for seed in range(3):
        load_dataset(MOONS, seed)
    stamps = {path: path.stat().st_mtime for path in folder.glob("*.npz")}
    oldest = min(stamps, key=stamps.get)
    os.utime(oldest, (0, 0))
    newest = max(stamps, key=stamps.get)
    load_dataset(MOONS, 3)
    remaining = set(folder.glob("*.npz"))
    assert len(remaining) == 3
    assert oldest not in remaining and newest in remaining


def test_a_huge_dataset_is_not_cached(folder, monkeypatch):
    monkeypatch.setattr(dataset_cache, "MAX_BYTES", 4 * 2**10)
    load_dataset(DatasetConfig(n_samples=1000), seed=0)
    assert not list(folder.glob("*.npz"))


def test_a_warm_start_never_imports_scikit_learn(folder):
    """The second process finds the default dataset cached, as the app's second launch does."""
    script = ("import sys; from dropviz.model.config import Config; "
              "from dropviz.model.data.datasets import load_dataset; "
              "d = load_dataset(Config().dataset, Config().seed); "
              "print('sklearn' in sys.modules, float(d.X_train.sum()))")
    env = {**os.environ, CACHE_DIR_VARIABLE: str(folder.parent)}
    runs = [subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                           text=True, check=True).stdout.split() for _ in range(2)]
    assert runs[0][0] == "True" and runs[1][0] == "False"
    assert runs[0][1] == runs[1][1]


def test_a_read_only_cache_still_serves_what_it_holds(folder, builds, monkeypatch):
    built = load_dataset(MOONS, seed=0)

    def refuse(*args, **kwargs):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(os, "utime", refuse)
    assert_same_dataset(built, load_dataset(MOONS, seed=0))
    assert len(builds) == 1
