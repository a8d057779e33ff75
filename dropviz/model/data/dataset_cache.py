"""Built datasets kept on disk, so that a warm start never imports scikit-learn.

Importing scikit-learn, and the SciPy it pulls in, takes about a second: a third of the time from
launch to the first training step, while building the default dataset takes milliseconds. A
generated or bundled dataset is a pure function of what `key` holds (its settings, the seed, the
code that builds it and the library versions), so it is stored under a hash of that and cannot go
stale. The cache only saves time: a file that cannot be read is rebuilt, one that cannot be written
is skipped, and neither is ever reported.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
from platformdirs import user_cache_dir

from dropviz.model.data.dataset import Dataset
from dropviz.model.data.dataset_arrays import dataset_arrays, dataset_description, dataset_from_arrays
from dropviz.model.errors import DropvizError
from dropviz.model.files import read_npz, write_npz_atomic

CACHE_DIR_VARIABLE = "DROPVIZ_CACHE_DIR"  # tests point it at a temporary folder
MAX_FILES = 64
MAX_BYTES = 64 * 2**20  # a million-point set is about 12 MB; the default one is 6 KB


def cache_folder() -> Path:
    """The platform's cache folder: on Linux $XDG_CACHE_HOME/dropviz/datasets, else
    ~/.cache/dropviz/datasets, where earlier versions kept it; ~/Library/Caches on macOS,
    %LOCALAPPDATA% on Windows."""
    explicit = os.environ.get(CACHE_DIR_VARIABLE)
    if explicit:
        return Path(explicit) / "datasets"
    return Path(user_cache_dir("dropviz", appauthor=False)) / "datasets"


def cached_dataset(key: dict, build: Callable[[], Dataset]) -> Dataset:
    """The dataset stored under `key` (JSON-able), or `build()`'s, which is then stored."""
    text = json.dumps(key, sort_keys=True)
    path = cache_folder() / f"{hashlib.sha256(text.encode('utf-8')).hexdigest()[:32]}.npz"
    dataset = _read(path, text)
    if dataset is None:
        dataset = build()
        _write(path, text, dataset)
    return dataset


def _text_array(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def _json_value(arrays: dict[str, np.ndarray], name: str) -> object:
    raw = arrays[name]
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise ValueError(f"{name} is not JSON text")
    return json.loads(raw.tobytes().decode("utf-8"))


def _read(path: Path, key_text: str) -> Dataset | None:
    if not path.is_file():
        return None
    try:
        arrays = read_npz(path, "a cached dataset")
        if _json_value(arrays, "key") != json.loads(key_text):
            return None
        dataset = dataset_from_arrays(_json_value(arrays, "description"), arrays)
    except (DropvizError, OSError, KeyError, TypeError, ValueError):
        return None
    with contextlib.suppress(OSError):  # a read-only cache still serves what it holds
        os.utime(path)  # recently used: the last to be evicted
    return dataset


def _write(path: Path, key_text: str, dataset: Dataset) -> None:
    arrays = {"key": _text_array(key_text),
              "description": _text_array(json.dumps(dataset_description(dataset))),
              **dataset_arrays(dataset)}
    if sum(array.nbytes for array in arrays.values()) > MAX_BYTES // 4:
        return  # it would push out most of the others
    try:
        write_npz_atomic(path, arrays)
        _evict(path.parent)
    except (DropvizError, OSError):
        return


def _evict(folder: Path) -> None:
    """Least recently used first, until the folder is within MAX_FILES and MAX_BYTES."""
    entries = []
    for path in folder.glob("*.npz"):
        try:
            status = path.stat()
        except OSError:
            continue
        entries.append((status.st_mtime, status.st_size, path))
    entries.sort()
    total = sum(size for _, size, _ in entries)
    while entries and (len(entries) > MAX_FILES or total > MAX_BYTES):
        _, size, path = entries.pop(0)
        path.unlink(missing_ok=True)
        total -= size
