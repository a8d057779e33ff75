"""The Python API as a notebook uses it: README's example run as written, and what it promises."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import dropviz
from dropviz.model.errors import ConfigError, ExportError
from dropviz.model.presets import load_presets

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["hidden_layers=[16,16]", "dataset.n_samples=120"]


def readme_example() -> str:
    """The first Python block of README's "Python API" section, exactly as a reader copies it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def test_the_readme_example_runs_as_written(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    names: dict = {}
    exec(compile(readme_example(), "README.md", "exec"), names)
    printed = capsys.readouterr().out.splitlines()

    run, again, sweep = names["run"], names["again"], names["sweep"]
    assert printed[0].startswith("Evaluation(step=200, ")
    assert names["columns"]["step"] == [0, 50, 100, 150, 200]
    assert names["columns"]["gap"][-1] == pytest.approx(run.history[-1].gap)
    proba = names["proba"]
    assert proba.shape == (2, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert (tmp_path / "runs" / "notebook" / "model.onnx").is_file()
    assert json.loads((tmp_path / "runs" / "notebook" / "run.json").read_text())["step"] == 200
    assert again.step == 300 and again.history[-1].step == 300
    assert [(point.rate, point.seed) for point in sweep.points] == [(0.0, 0), (0.0, 1), (0.5, 0),
                                                                   (0.5, 1)]
    assert [line.split()[0] for line in printed[1:]] == ["0.0", "0.5"]
    again.close()


def test_import_loads_no_pytensor_until_something_trains():
    script = ("import sys, dropviz\n"
              "assert dropviz.train and dropviz.Config and dropviz.sweep and dropviz.load\n"
              "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
              "('pytensor', 'numpy', 'sklearn', 'PyQt5', 'tqdm'))\n"
              "print(heavy)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_loaded_run_goes_on_like_an_uninterrupted_one(tmp_path):
    config = dropviz.Config().with_overrides(SMALL)
    with dropviz.train(config, steps=40, eval_every=10) as whole:
        expected = whole.history
        expected_proba = whole.predict_proba(whole.dataset.X_test, standardised=True)
    with dropviz.train(config, steps=25, eval_every=10) as part:
        part.save(tmp_path / "part.dropviz")
    with dropviz.load(tmp_path / "part.dropviz") as resumed:
        resumed.train(15, eval_every=10)
        assert resumed.history[-1] == expected[-1]
        np.testing.assert_array_equal(
            resumed.predict_proba(resumed.dataset.X_test, standardised=True), expected_proba)


def test_predictions_take_raw_rows_and_match_the_recorded_accuracy():
    with dropviz.train(dropviz.Config().with_overrides(SMALL), steps=30, eval_every=10) as run:
        data = run.dataset
        raw = data.X_test * data.scale + data.mean
        standardised = run.predict_proba(data.X_test, standardised=True)
        np.testing.assert_allclose(run.predict_proba(raw), standardised, rtol=1e-4, atol=1e-6)
        accuracy = float(np.mean(standardised.argmax(axis=1) == data.y_test))
        assert accuracy == pytest.approx(run.history[-1].test_acc)
        with pytest.raises(ConfigError, match="rows of 2 features"):
            run.predict_proba([1.0, 2.0, 3.0])


def test_export_refuses_to_replace_a_run_without_force(tmp_path):
    with dropviz.train(dropviz.Config().with_overrides(SMALL), steps=5) as run:
        run.export(tmp_path)
        before = (tmp_path / "weights.npz").read_bytes()
        run.train(5)
        with pytest.raises(ExportError, match="force=True"):
            run.export(tmp_path)
        assert (tmp_path / "weights.npz").read_bytes() == before
        run.export(tmp_path, force=True)
        assert (tmp_path / "weights.npz").read_bytes() != before


def test_presets_by_file_name_or_title_and_a_preset_file_as_config(tmp_path):
    gap = load_presets()[1]
    assert dropviz.preset(gap.key) == gap
    assert dropviz.preset(gap.title.upper()) == gap
    assert dropviz.preset(gap.key.partition("_")[2] + ".json") == gap
    assert [p.key for p in dropviz.presets()] == [p.key for p in load_presets()]
    with pytest.raises(ConfigError, match="no preset 'nope'; choose one of 01_overfit_tiny"):
        dropviz.preset("nope")
    from dropviz.model.presets import PRESETS_FOLDER

    assert dropviz.load_config(PRESETS_FOLDER / f"{gap.key}.json") == gap.config
    experiment = tmp_path / "experiment.json"
    experiment.write_text(json.dumps({"seed": 4}))
    assert dropviz.load_config(experiment).seed == 4


def test_a_diverging_run_raises():
    config = dropviz.Config().with_overrides([*SMALL, "optimizer=sgd", "learning_rate=100"])
    with pytest.raises(dropviz.TrainingDiverged, match="diverged"):
        dropviz.train(config, steps=300)


@pytest.mark.parametrize("steps", [40, 60])
def test_only_a_run_long_enough_to_pay_for_it_compiles_the_call_of_many_steps(steps, monkeypatch):
    from dropviz import api
    from dropviz.session.run import Run

    monkeypatch.setattr(api, "MULTI_STEP_PAYS_FROM", 50)
    prepared = []
    monkeypatch.setattr(Run, "prepare_multi_step", lambda run: prepared.append(run.step))
    run = dropviz.train(dropviz.Config().with_overrides(SMALL), steps=steps, eval_every=10)
    assert run.history[-1].step == steps
    assert prepared == ([0] if steps >= 50 else [])
