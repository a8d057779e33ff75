"""Experiment files and exported weights under fuzzing: an ExportError with a reason, or a sound load.

Both formats are .npz archives plus JSON, read back from disks, downloads and e-mail attachments, so a
damaged or hand-edited file must never crash the window or the CLI, never unpickle anything, and
never allocate what a header merely claims. Every case here ends in an ExportError that names the
file, or in a load whose results hold (finite weights of the right shapes, a trainer that steps).
The strategies and checks (file_fuzzing.py) are run with many more examples by
scripts/robustness_report.py.
"""

from __future__ import annotations

import copy
import importlib
import io
import json
import sys
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from file_fuzzing import (
    arrays,
    json_values,
    meta_array,
    meta_paths,
    mutated,
    npz_bytes,
    open_or_refuse,
    paths_in,
    read_or_refuse,
    save_samples,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from dropviz.model.errors import ExportError
from dropviz.model.experiment import load_experiment
from dropviz.model.export import load_inference_model
from dropviz.model.trainer import NetworkPool

FUZZ = settings(max_examples=40, deadline=None)


@pytest.fixture(scope="module")
def saved(pool: NetworkPool, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Written once for every test of the module: saving needs a trained network."""
    return save_samples(pool, tmp_path_factory.mktemp("saved"))


# --- experiment files ------------------------------------------------------------------------

def test_the_saved_experiment_opens(saved, pool):
    assert open_or_refuse(saved["work"] / "copy.dropviz", saved["bytes"], pool)


@FUZZ
@given(data=st.binary(max_size=4000))
def test_random_bytes_are_refused(saved, pool, data):
    assert not open_or_refuse(saved["work"] / "random.dropviz", data, pool)


def test_every_truncation_is_refused(saved, pool):
    data = saved["bytes"]
    ends = sorted({*range(0, len(data), max(1, len(data) // 150)), *range(len(data) - 300, len(data))})
    for end in ends:
        assert not open_or_refuse(saved["work"] / "cut.dropviz", data[:end], pool), end


@FUZZ
@given(flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)),
                      min_size=1, max_size=4))
def test_flipped_bytes_are_refused_or_open_soundly(saved, pool, flips):
    data = bytearray(saved["bytes"])
    for where, value in flips:
        data[int(where * len(data))] = value
    open_or_refuse(saved["work"] / "flipped.dropviz", bytes(data), pool)


@FUZZ
@given(data=st.data())
def test_wrong_arrays_are_refused_or_open_soundly(saved, pool, data):
    contents = dict(saved["arrays"])
    key = data.draw(st.sampled_from(sorted(contents)))
    if data.draw(st.booleans()):
        del contents[key]
    else:
        contents[key] = data.draw(arrays(contents[key]))
    open_or_refuse(saved["work"] / "arrays.dropviz", npz_bytes(contents), pool)


@FUZZ
@given(data=st.data())
def test_wrong_descriptions_are_refused_or_open_soundly(saved, pool, data):
    meta = saved["meta"]
    path = data.draw(st.sampled_from(meta_paths(meta, architecture=False)))
    changed = mutated(meta, path, data.draw(json_values), data.draw(st.booleans()) and bool(path))
    contents = {**saved["arrays"], "meta": meta_array(changed)}
    open_or_refuse(saved["work"] / "meta.dropviz", npz_bytes(contents), pool)


@pytest.mark.parametrize(("key", "value", "message"), [
    ("param__W2", np.nan, "weight W2 holds non-finite values (NaN or infinity)"),
    ("param__b1", np.inf, "weight b1 holds non-finite values"),
    ("data__X_test", -np.inf, "data__X_test holds non-finite values"),
    ("data__scale", 0.0, "data__scale holds a scale that is not positive"),
])
def test_non_finite_numbers_are_refused_by_name(saved, pool, key, value, message):
    contents = dict(saved["arrays"])
    contents[key] = contents[key].copy()
    contents[key].flat[0] = value
    path = saved["work"] / "nan.dropviz"
    path.write_bytes(npz_bytes(contents))
    with pytest.raises(ExportError) as caught:
        load_experiment(path, pool)
    assert str(caught.value).startswith("nan.dropviz")
    assert message in str(caught.value)


@pytest.mark.parametrize(("change", "message"), [
    (lambda meta: meta.__setitem__("step", 1e400), "the saved step count inf"),
    (lambda meta: meta["sampler"].__setitem__("position", -3), "minibatch position -3"),
    (lambda meta: meta["dataset"].__setitem__("classes", ["only"]), "at least one feature and two"),
    (lambda meta: meta["history"].append(["3", None, 1, 1, 1, 1]), "a row of its history is"),
    (lambda meta: meta["config"].__setitem__("seed", 10**400), "seed: 10000"),
])
def test_descriptions_that_would_crash_later_are_refused_now(saved, pool, change, message):
    meta = copy.deepcopy(saved["meta"])
    change(meta)
    path = saved["work"] / "described.dropviz"
    path.write_bytes(npz_bytes({**saved["arrays"], "meta": meta_array(meta)}))
    with pytest.raises(ExportError, match=r"described\.dropviz") as caught:
        load_experiment(path, pool)
    assert message in str(caught.value)


def test_deeply_nested_json_is_refused(saved, pool):
    contents = {**saved["arrays"], "meta": np.frombuffer(b"[" * 100_000, dtype=np.uint8)}
    assert not open_or_refuse(saved["work"] / "nested.dropviz", npz_bytes(contents), pool)


class _Trap:
    """Unpickling this would create a file: proof that a pickle was loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (Path.touch, (self.marker,))


def test_pickled_objects_are_never_unpickled(saved, pool, tmp_path):
    marker = tmp_path / "unpickled"
    trap = np.array([_Trap(marker)], dtype=object)
    for key in ("meta", "param__W1", "extra__curve"):
        buffer = io.BytesIO()
        np.savez(buffer, **{**saved["arrays"], key: trap})
        assert not open_or_refuse(tmp_path / "pickle.dropviz", buffer.getvalue(), pool)
    weights = io.BytesIO()
    np.savez(weights, **{**saved["weights"], "W1": trap})
    assert not read_or_refuse(tmp_path / "run", saved["model"], weights.getvalue())
    assert not marker.exists()


def test_a_header_claiming_terabytes_is_refused_before_allocating(saved, pool, tmp_path):
    header = io.BytesIO()
    np.save(header, np.zeros(3, np.float32))
    claim = header.getvalue().replace(b"(3,)", b"(10000000000000,)")
    path = tmp_path / "claim.dropviz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("meta.npy", claim)
    with pytest.raises(ExportError, match=r"claim\.dropviz is damaged .*\(meta\.npy claims a "
                                          r"float32 array of shape \(10000000000000,\)"):
        load_experiment(path, pool)


def test_a_zip_bomb_is_refused_before_unpacking(pool, tmp_path):
    path = tmp_path / "bomb.dropviz"
    array = io.BytesIO()
    np.save(array, np.zeros(64 * 2**20, np.uint8))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("meta.npy", array.getvalue())
    assert path.stat().st_size < 2**20
    with pytest.raises(ExportError, match=r"bomb\.dropviz is damaged .* would unpack to "
                                          r"67,108,992 bytes"):
        load_experiment(path, pool)


def test_a_folder_or_a_missing_file_is_named(pool, tmp_path):
    with pytest.raises(ExportError, match="is a folder, not a dropviz experiment"):
        load_experiment(tmp_path, pool)
    with pytest.raises(ExportError, match=r"file not found: .*absent\.dropviz"):
        load_experiment(tmp_path / "absent.dropviz", pool)


# --- exported weights ------------------------------------------------------------------------

def test_the_exported_weights_load(saved, tmp_path):
    assert read_or_refuse(tmp_path / "run", saved["model"], saved["weights_bytes"])


@FUZZ
@given(data=st.binary(max_size=3000))
def test_random_weights_bytes_are_refused(saved, data):
    assert not read_or_refuse(saved["work"] / "random_run", saved["model"], data)


def test_every_truncation_of_the_weights_is_refused(saved):
    data = saved["weights_bytes"]
    for end in range(0, len(data), max(1, len(data) // 150)):
        assert not read_or_refuse(saved["work"] / "cut_run", saved["model"], data[:end]), end


@FUZZ
@given(data=st.data())
def test_wrong_weight_arrays_are_refused_or_load_soundly(saved, data):
    contents = dict(saved["weights"])
    key = data.draw(st.sampled_from(sorted(contents)))
    if data.draw(st.booleans()):
        del contents[key]
    else:
        contents[key] = data.draw(arrays(contents[key]))
    read_or_refuse(saved["work"] / "arrays_run", saved["model"], npz_bytes(contents))


@FUZZ
@given(data=st.data())
def test_wrong_model_json_is_refused_or_loads_soundly(saved, data):
    model = saved["model"]
    path = data.draw(st.sampled_from(paths_in(model)))
    changed = mutated(model, path, data.draw(json_values), data.draw(st.booleans()) and bool(path))
    read_or_refuse(saved["work"] / "json_run", changed, saved["weights_bytes"])


@pytest.mark.parametrize(("model", "message"), [
    ("{not json", "cannot read"),
    ("[" * 100_000, "cannot read"),
    ({"format": "dropviz-mlp/1", "layers": [], "arrays": {}}, "has no list of layers"),
    ({"format": "dropviz-mlp/1", "layers": [{"weight": "W1", "bias": "b1"}], "arrays": []},
     "has no list of layers"),
])
def test_unusable_model_json_is_refused(saved, tmp_path, model, message):
    with pytest.raises(ExportError, match=r"model\.json") as caught:
        read_or_refuse(tmp_path / "run", model, saved["weights_bytes"])
        load_inference_model(tmp_path / "run")
    assert message in str(caught.value)


def test_layers_that_do_not_chain_are_refused(saved, tmp_path):
    model = copy.deepcopy(saved["model"])
    model["arrays"]["W2"] = [16, 5]
    model["arrays"]["b2"] = [5]
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "model.json").write_text(json.dumps(model))
    (tmp_path / "run" / "weights.npz").write_bytes(saved["weights_bytes"])
    with pytest.raises(ExportError, match=r"layer 3 has shapes \[8, 1\] and \[1\], which do not "
                                          r"chain with the layer before"):
        load_inference_model(tmp_path / "run")


def test_non_finite_exported_weights_are_refused(saved, tmp_path):
    contents = {**saved["weights"], "b3": np.array([np.nan], np.float32)}
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "model.json").write_text(json.dumps(saved["model"]))
    (tmp_path / "run" / "weights.npz").write_bytes(npz_bytes(contents))
    with pytest.raises(ExportError, match=r"b3 in .*weights\.npz holds non-finite values"):
        load_inference_model(tmp_path / "run")


# --- killed in the middle of a write -----------------------------------------------------------

def _report_script() -> ModuleType:
    """The report script's writer loop and its checks (scripts/robustness_kills.py); one trial of
    them is run here."""
    scripts = str(Path(__file__).resolve().parents[2] / "scripts")
    if scripts not in sys.path:
        sys.path.append(scripts)
    return importlib.import_module("robustness_kills")


def test_a_writer_killed_mid_write_leaves_whole_files_and_only_part_files(pool, tmp_path):
    """SIGKILL the moment a temporary file appears: every file under its real name still opens
    whole, the temporary file is the only leftover, and no process of the writer survives."""
    trial = _report_script().kill_trial(tmp_path, 0.3, pool)
    assert trial["problems"] == []
    assert trial["stray"] == []
    assert trial["left_over"], "the kill should land while a temporary file was being written"
    assert all(name.startswith(".") and name.endswith(".part") for name in trial["left_over"])
