"""Experiment files: save, open and continue exactly; damaged or mismatched files are refused."""

import json

import numpy as np
import pytest
from weights_check import assert_same_weights

from dropviz.model.config import Config
from dropviz.model.errors import ExportError
from dropviz.model.experiment import load_experiment, save_experiment
from dropviz.model.trainer import Trainer

CONFIG = Config().with_overrides(["hidden_layers=[16,8]", "dataset.n_samples=120", "seed=2",
                                  "dropout.input=0.2", "batch_size=10"])


def _steps(trainer, n):
    results = [trainer.step() for _ in range(n)]
    return [r.loss for r in results], [r.masks for r in results]


@pytest.mark.parametrize("optimizer", ["adam", "momentum"])
def test_open_and_continue_equals_an_uninterrupted_run(pool, tmp_path, optimizer):
    config = CONFIG.with_overrides([f"optimizer={optimizer}"])
    path = tmp_path / "run.dropviz"
    trainer = Trainer(config, pool)
    _steps(trainer, 25)
    history = [trainer.evaluate()]
    save_experiment(path, trainer, history, {"curve_steps": np.arange(5)})
    uninterrupted = _steps(trainer, 15)
    final_weights = trainer.network.weights()
    trainer.close()

    opened = load_experiment(path, pool)
    assert opened.trainer.step_count == 25
    assert opened.history == history
    np.testing.assert_array_equal(opened.extra["curve_steps"], np.arange(5))
    continued = _steps(opened.trainer, 15)
    assert continued[0] == uninterrupted[0]
    for a, b in zip(continued[1], uninterrupted[1], strict=True):
        for name in a:
            np.testing.assert_array_equal(a[name], b[name])
    assert_same_weights(opened.trainer.network.weights(), final_weights)
    opened.trainer.close()


def _saved(tmp_path, pool):
    trainer = Trainer(CONFIG, pool)
    _steps(trainer, 3)
    path = tmp_path / "good.dropviz"
    save_experiment(path, trainer, [trainer.evaluate()])
    return trainer, path


def _rewrite(path, target, change):
    with np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    change(arrays)
    with open(target, "wb") as stream:
        np.savez(stream, **arrays)


def _meta_change(edit):
    def change(arrays):
        meta = json.loads(arrays["meta"].tobytes())
        edit(meta)
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    return change


@pytest.mark.parametrize(("change", "message"), [
    (lambda a: a.__setitem__("param__W1", np.zeros((2, 5), np.float32)),
     "weight W1 is float32 (2, 5); the settings need float32 (2, 16)"),
    (lambda a: a.__setitem__("param__b2", np.zeros(8, np.float64)), "weight b2 is float64"),
    (lambda a: a.pop("param__W3"), "weight W3 is missing"),
    (lambda a: a.__setitem__("data__X_train", np.zeros((4, 2), np.float64)), "data__X_train is float64"),
    (lambda a: a.__setitem__("data__y_test", np.full(84, 7, np.int32)), "outside the 2 classes"),
    (lambda a: a.pop("meta"), "no experiment description"),
    (lambda a: a.__setitem__("opt__W1_m", np.zeros((3, 3), np.float32)), "does not fit"),
    (_meta_change(lambda m: m.__setitem__("format", "other/1")), "not a dropviz-experiment/1 file"),
    (_meta_change(lambda m: m["config"].__setitem__("scaling", "fast")), "scaling: 'fast' is not allowed"),
    (_meta_change(lambda m: m.pop("sampler")), "it is damaged: its description lacks sampler"),
])
def test_mismatched_files_are_refused_with_their_reason(pool, tmp_path, change, message):
    trainer, path = _saved(tmp_path, pool)
    weights = trainer.network.weights()
    bad = tmp_path / "bad.dropviz"
    _rewrite(path, bad, change)
    with pytest.raises(ExportError) as error:
        load_experiment(bad, pool)
    assert message in str(error.value)
    assert_same_weights(trainer.network.weights(), weights)
    trainer.close()


def test_damaged_files_are_refused(pool, tmp_path):
    trainer, path = _saved(tmp_path, pool)
    trainer.close()
    data = path.read_bytes()
    cases = {"truncated.dropviz": data[: len(data) // 2], "noise.dropviz": bytes(range(256)) * 20,
             "empty.dropviz": b""}
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ExportError, match="damaged or not a dropviz experiment"):
            load_experiment(tmp_path / name, pool)
    with pytest.raises(ExportError, match="file not found"):
        load_experiment(tmp_path / "missing.dropviz", pool)


def test_pickled_arrays_are_not_loaded(pool, tmp_path):
    trainer, path = _saved(tmp_path, pool)
    trainer.close()
    bad = tmp_path / "pickle.dropviz"
    _rewrite(path, bad, lambda a: a.__setitem__("meta", np.array([{"format": 1}], dtype=object)))
    with pytest.raises(ExportError):
        load_experiment(bad, pool)
