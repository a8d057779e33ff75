"""run.json and metrics.csv's run_id: the rows of many runs concatenate and still say whose they are."""

import csv
import json

from dropviz.model.config import Config
from dropviz.model.export import METRIC_COLUMNS, MODEL_FORMAT, load_inference_model, write_run
from dropviz.model.trainer import Trainer

SMALL = Config().with_overrides(["hidden_layers=[8,8]", "dataset.n_samples=80", "seed=2",
                                 "activation=tanh", "dropout.hidden=0.5", "steps=30"])


def exported(trainer, folder, steps: int = 0) -> tuple[dict, list[dict]]:
    """Train `steps` more, evaluating after each, write the run; its run.json and metrics rows."""
    history = [trainer.evaluate()]
    for _ in range(steps):
        trainer.step()
        history.append(trainer.evaluate())
    write_run(folder, trainer, history, {})
    with (folder / "metrics.csv").open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    return json.loads((folder / "run.json").read_text()), rows


def unflatten(settings: dict) -> dict:
    nested: dict = {}
    for key, value in settings.items():
        *parents, leaf = key.split(".")
        target = nested
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    return nested


def test_run_json_reads_back_and_names_every_row(trainers, tmp_path):
    trainer = trainers(SMALL.with_overrides(["dropout.input=0.1"]))
    run, rows = exported(trainer, tmp_path, steps=3)
    assert run["format"] == "dropviz-run/1"
    assert (run["step"], run["epoch"]) == (3, trainer.sampler.epoch)
    assert Config.from_dict(unflatten(run["settings"])) == trainer.config
    assert run["settings"]["dropout.input"] == 0.1 and run["settings"]["hidden_layers"] == [8, 8]
    assert len(run["run_id"]) == 16
    assert [row["step"] for row in rows] == ["0", "1", "2", "3"]
    assert {row["run_id"] for row in rows} == {run["run_id"]}
    with (tmp_path / "metrics.csv").open(newline="") as stream:
        assert tuple(next(csv.reader(stream))) == METRIC_COLUMNS
    assert load_inference_model(tmp_path).description["format"] == MODEL_FORMAT


def test_the_run_id_names_the_exported_run(pool, tmp_path):
    """The same run written twice has one id; another step, setting or seed gives another."""
    trainer = Trainer(SMALL, pool)
    try:
        ids = [exported(trainer, tmp_path / "a", steps=2)[0]["run_id"]]
        ids.append(exported(trainer, tmp_path / "again")[0]["run_id"])
        trainer.update(trainer.config.with_overrides(["steps=500"]))
        ids.append(exported(trainer, tmp_path / "longer plan")[0]["run_id"])
        assert ids == [ids[0]] * 3, "an export repeated, or a longer plan, is the same run"

        trainer.update(trainer.config.with_overrides(["dropout.hidden=0.2"]))
        assert exported(trainer, tmp_path / "live change")[0]["run_id"] != ids[0]
        assert exported(trainer, tmp_path / "one more step", steps=1)[0]["run_id"] != ids[0]
    finally:
        trainer.close()
    trainer = Trainer(SMALL.with_overrides(["seed=3"]), pool)
    try:
        assert exported(trainer, tmp_path / "b", steps=2)[0]["run_id"] != ids[0]
    finally:
        trainer.close()


def test_metrics_of_several_runs_concatenate_into_one_table(pool, tmp_path):
    table, runs = [], {}
    for seed in (4, 5):
        trainer = Trainer(SMALL.with_overrides([f"seed={seed}"]), pool)
        try:
            run, rows = exported(trainer, tmp_path / str(seed), steps=2)
        finally:
            trainer.close()
        runs[run["run_id"]] = run["settings"]
        table += rows
    assert len(runs) == 2 and len(table) == 6
    assert {runs[row["run_id"]]["seed"] for row in table} == {4, 5}
    for run_id in runs:
        assert [row["step"] for row in table if row["run_id"] == run_id] == ["0", "1", "2"]
