"""Experiment files and exported weights to fuzz: a valid sample of each, the strategies that
damage them, and the contract every load must keep (an ExportError that names the file, or a sound
load). Used by test_fuzz_files.py (test_forged_experiments.py imports its part through it), and run
with many more examples by scripts/robustness_report.py.
"""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import strategies as st

from dropviz.model.config import Config
from dropviz.model.errors import ExportError
from dropviz.model.experiment import load_experiment, save_experiment
from dropviz.model.export import load_inference_model, write_run
from dropviz.model.trainer import NetworkPool, Trainer

# The architecture test_experiment.py uses, so the session pool compiles it once for both.
CONFIG = Config().with_overrides(["hidden_layers=[16,8]", "dataset.n_samples=120", "seed=2",
                                  "dropout.input=0.2", "batch_size=10"])
SAVED_STEPS = 3
# Settings that change the compiled graph: mutating them costs a compile per example.
ARCHITECTURE_KEYS = ("activation", "optimizer")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**40, 10**40) | st.floats() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                               max_size=3),
    max_leaves=8,
)
dtypes = st.sampled_from(("float32", "float64", "float16", "int32", "int64", "uint8", "bool",
                          "complex64", "<U3", "S2"))
shapes = st.lists(st.integers(0, 5), max_size=3).map(tuple)
specials = st.sampled_from((0.0, np.nan, np.inf, -np.inf, 1e38, -1e-45))


@st.composite
def arrays(draw: st.DrawFn, like: np.ndarray) -> np.ndarray:
    """An array that is wrong in one way or several: dtype, shape, or a NaN or infinity inside."""
    dtype = draw(st.just(like.dtype) | dtypes)
    shape = draw(st.just(like.shape) | shapes)
    array = np.zeros(shape, dtype=dtype)
    if array.size and array.dtype.kind == "f" and draw(st.booleans()):
        with np.errstate(over="ignore"):  # 1e38 becomes inf in float16: one more special value
            array.flat[draw(st.integers(0, array.size - 1))] = draw(specials)
    return array


def save_samples(pool: NetworkPool, folder: Path) -> dict[str, Any]:
    """A valid experiment and a valid exported run, and their contents to mutate."""
    trainer = Trainer(CONFIG, pool)
    for _ in range(SAVED_STEPS):
        trainer.step()
    history = [trainer.evaluate()]
    path, run = folder / "good.dropviz", folder / "run"
    save_experiment(path, trainer, history, {"curve": np.arange(4.0)})
    write_run(run, trainer, history, {})
    trainer.close()
    with np.load(path, allow_pickle=False) as archive:
        contents = {key: archive[key] for key in archive.files}
    with np.load(run / "weights.npz", allow_pickle=False) as archive:
        weights = {key: archive[key] for key in archive.files}
    work = folder / "fuzzed"
    work.mkdir()
    return {
        "path": path,
        "bytes": path.read_bytes(),
        "arrays": contents,
        "meta": json.loads(contents["meta"].tobytes()),
        "run": run,
        "model": json.loads((run / "model.json").read_text()),
        "weights": weights,
        "weights_bytes": (run / "weights.npz").read_bytes(),
        "work": work,
    }


def npz_bytes(contents: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **contents)
    return buffer.getvalue()


def meta_array(meta: Any) -> np.ndarray:
    return np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)


def open_or_refuse(path: Path, data: bytes, pool: NetworkPool) -> bool:
    """The contract for experiment files; True when the file opened, and then it must be sound."""
    path.write_bytes(data)
    try:
        experiment = load_experiment(path, pool)
    except ExportError as error:
        assert path.name in str(error)
        return False
    trainer = experiment.trainer
    try:
        for weight in trainer.network.weights().values():
            assert np.isfinite(weight).all()
        assert trainer.step_count >= 0
        assert all(len(vars(row)) == 6 for row in experiment.history)
        trainer.step()
    finally:
        trainer.close()
    return True


def read_or_refuse(folder: Path, model: Any, weights: bytes) -> bool:
    """The contract for exported weights; True when they loaded, and then a forward pass works."""
    folder.mkdir(exist_ok=True)
    (folder / "model.json").write_text(json.dumps(model) if not isinstance(model, str) else model)
    (folder / "weights.npz").write_bytes(weights)
    try:
        loaded = load_inference_model(folder)
    except ExportError as error:
        assert "model.json" in str(error) or "weights.npz" in str(error)
        return False
    layers = [(loaded.weights[layer["weight"]], loaded.weights[layer["bias"]])
              for layer in loaded.description["layers"]]
    h = np.zeros((1, layers[0][0].shape[0]), dtype=np.float32)
    for weight, bias in layers:
        h = np.tanh(h @ weight + bias)
    assert np.isfinite(h).all()
    return True


def paths_in(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path of a JSON value, so a mutation can reach any depth of the description."""
    paths = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            paths += paths_in(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            paths += paths_in(item, (*prefix, index))
    return paths


def mutated(value: Any, path: tuple, new: Any, delete: bool) -> Any:
    if not path:
        return new
    value = copy.deepcopy(value)
    parent = value
    for key in path[:-1]:
        parent = parent[key]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return value


def meta_paths(meta: dict, *, architecture: bool) -> list[tuple]:
    return [path for path in paths_in(meta)
            if architecture or not (len(path) == 2 and path[:1] == ("config",)
                                    and path[1] in ARCHITECTURE_KEYS)]
