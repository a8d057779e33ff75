"""The sweep grid and sweep.csv, without training: expansion, parsing, ids and the row store."""

import csv
import json
import math

import pytest

from dropviz.model.config import Config
from dropviz.model.errors import ConfigError
from dropviz.model.sweeps import FAILED, OK, SweepPoint, SweepResult
from dropviz.session.sweep_csv import SweepCsv, read_rows
from dropviz.session.sweep_grid import DEFAULT_RATES, SweepGrid, split_values

BASE = Config().with_overrides(["hidden_layers=[64,64]", "steps=40", "seed=3"])


def test_a_grid_expands_outermost_axis_first_and_seeds_innermost():
    grid = SweepGrid.from_specs(BASE, ["learning_rate=0.01,0.001", "dropout=0,0.5"], seeds=2)
    tasks = grid.tasks()
    assert [(t.config.learning_rate, t.config.dropout.hidden, t.seed) for t in tasks] == [
        (0.01, 0, 3), (0.01, 0, 4), (0.01, 0.5, 3), (0.01, 0.5, 4),
        (0.001, 0, 3), (0.001, 0, 4), (0.001, 0.5, 3), (0.001, 0.5, 4)]
    assert [t.index for t in tasks] == list(range(8))
    assert grid.extra_columns == ("learning_rate",)
    assert tasks[0].labels == (("learning_rate", "0.01"),)
    assert grid.kind == "learning_rate x dropout"
    for task in tasks:  # everything else is the base config's
        assert task.config.hidden_layers == (64, 64) and task.config.steps == 40
    assert len({t.point for t in tasks}) == 8


def test_the_old_forms_keep_their_meaning():
    dropout = SweepGrid.from_specs(BASE, ["dropout"])
    assert dropout.kind == "dropout"
    assert [t.config.dropout.hidden for t in dropout.tasks()] == [float(r) for r in DEFAULT_RATES]
    size = SweepGrid.from_specs(BASE, ["size=15,60"])
    assert size.kind == "size"
    assert [(t.config.dropout.hidden, t.train_size) for t in size.tasks()] == [
        (0, 15), (0, 60), (0.5, 15), (0.5, 60)], "rates 0 and 0.5, as the size sweep always had"
    assert size.extra_columns == ()


def test_ids_follow_what_a_run_depends_on():
    first = SweepGrid.from_specs(BASE, ["dropout=0,0.5"]).tasks()
    again = SweepGrid.from_specs(BASE, ["dropout.hidden=0,0.5"]).tasks()
    assert [t.point for t in first] == [t.point for t in again], "an alias names the same runs"
    longer = SweepGrid.from_specs(BASE.with_overrides(["steps=41"]), ["dropout=0,0.5"]).tasks()
    assert not {t.point for t in first} & {t.point for t in longer}
    more_seeds = SweepGrid.from_specs(BASE, ["dropout=0,0.5"], seeds=2).tasks()
    assert {t.point for t in first} < {t.point for t in more_seeds}


def test_list_values_keep_their_commas():
    assert split_values("[64,64], [128, 32],[8]") == ["[64,64]", "[128, 32]", "[8]"]
    grid = SweepGrid.from_specs(BASE, ["hidden_layers=[64,64],[32]"])
    assert [t.config.hidden_layers for t in grid.tasks()] == [(64, 64), (32,)]
    assert [t.labels for t in grid.tasks()] == [(("hidden_layers", "[64,64]"),),
                                                (("hidden_layers", "[32]"),)]


def test_a_sweep_file_is_the_same_grid(tmp_path):
    path = tmp_path / "grid.json"
    path.write_text(json.dumps({"grid": {"learning_rate": [0.01, 0.001], "dropout.hidden": [0, 0.5],
                                         "activation": ["relu", "tanh"]}, "seeds": 3}))
    grid = SweepGrid.from_file(BASE, path)
    specs = SweepGrid.from_specs(BASE, ["learning_rate=0.01,0.001", "dropout.hidden=0,0.5",
                                        "activation=relu,tanh"], seeds=3)
    assert [t.point for t in grid.tasks()] == [t.point for t in specs.tasks()]
    assert len(SweepGrid.from_file(BASE, path, seeds=1).tasks()) == 8, "--seeds wins over the file"


@pytest.mark.parametrize(("specs", "message"), [
    (["depth=1,2"], "unknown sweep 'depth'"),
    (["dropout=0,,0.5"], "comma-separated"),
    (["dropout=0,1"], "'1' is not a dropout rate"),
    (["dropout=nan"], "'nan' is not a dropout rate"),
    (["size"], "give the training-set sizes"),
    (["size=20,4.5"], "'4.5' is not a training-set size"),
    (["size=0"], "'0' is not a training-set size"),
    (["size=61"], "from 1 to 60"),
    (["learning_rate"], "give its values"),
    (["learning_rate=0.1,-1"], "learning_rate"),
    (["seed=1,2"], "--seeds"),
    (["dropout=0,0.5", "dropout.hidden=0.2"], "swept twice"),
    (["learning_rate=0.01,0.010"], "the same run"),
    ([], "at least one swept setting"),
])
def test_bad_grids_fail_with_one_clear_message_before_anything_trains(specs, message):
    with pytest.raises(ConfigError, match=message):
        SweepGrid.from_specs(BASE, specs).tasks()


@pytest.mark.parametrize(("text", "message"), [
    ("[1, 2", "not valid JSON"),
    ('{"grid": [1]}', "a \"grid\" object"),
    ('{"grid": {"dropout.hidden": []}}', "non-empty list"),
    ('{"grid": {"dropout.hidden": [0]}, "rates": 1}', "unknown key 'rates'"),
])
def test_bad_sweep_files_are_refused(tmp_path, text, message):
    path = tmp_path / "grid.json"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        SweepGrid.from_file(BASE, path)


def _point(task, status=OK, loss=0.25):
    return SweepPoint(task.config.dropout.hidden, task.seed, 60, 40, loss, 2 * loss, 0.1, 0.2,
                      task.labels, status, 1.5, task.point)


def test_rows_are_appended_whole_and_read_back_exactly(tmp_path):
    tasks = SweepGrid.from_specs(BASE, ["learning_rate=0.01,0.001", "dropout=0,0.5"]).tasks()
    store = SweepCsv(tmp_path / "sweep.csv", ("learning_rate",))
    assert store.start([t.point for t in tasks]) == {}
    header, rows = read_rows(store.path)
    assert header == ["learning_rate", "rate", "seed", "train_size", "steps", "train_loss",
                      "test_loss", "train_error", "test_error", "status", "seconds", "point"]
    assert rows == []
    points = [_point(task, loss=1 / 3 + k) for k, task in enumerate(tasks)]
    for point in reversed(points):
        store.append(point)
    kept = store.start([t.point for t in tasks])
    assert sorted(kept.values(), key=lambda p: p.point) == sorted(points, key=lambda p: p.point)
    store.finish(points)
    assert store.path.read_text() == SweepResult("grid", tuple(points)).to_csv()
    assert [row["point"] for row in csv.DictReader(store.path.open())] == [t.point for t in tasks]


def test_a_cut_off_last_line_and_failed_rows_are_dropped_and_done_again(tmp_path):
    tasks = SweepGrid.from_specs(BASE, ["dropout=0,0.2,0.5"]).tasks()
    store = SweepCsv(tmp_path / "sweep.csv", ())
    store.start([t.point for t in tasks])
    store.append(_point(tasks[0]))
    store.append(_point(tasks[1], status=f"{FAILED}: KilledWorker: a worker died"))
    with store.path.open("a") as file:
        file.write("0.5,3,60,40,0.2")  # a kill in the middle of a row
    kept = store.start([t.point for t in tasks])
    assert list(kept) == [tasks[0].point]
    assert len(read_rows(store.path)[1]) == 1, "the file holds exactly what is kept"


def test_another_sweeps_file_is_refused_unless_forced(tmp_path):
    first = SweepGrid.from_specs(BASE, ["dropout=0,0.5"]).tasks()
    store = SweepCsv(tmp_path / "sweep.csv", ())
    store.start([t.point for t in first])
    store.append(_point(first[0]))
    other = SweepGrid.from_specs(BASE.with_overrides(["steps=5"]), ["dropout=0"]).tasks()
    with pytest.raises(ConfigError, match=r"already holds sweep\.csv of another sweep"):
        store.start([t.point for t in other])
    with pytest.raises(ConfigError, match=r"already holds sweep\.csv"):
        SweepCsv(tmp_path / "sweep.csv", ("learning_rate",)).start([t.point for t in first])
    assert store.start([t.point for t in other], force=True) == {}
    assert read_rows(store.path)[1] == []


def test_the_summary_leaves_out_runs_that_did_not_finish_well():
    tasks = SweepGrid.from_specs(BASE, ["dropout=0.5"], seeds=3).tasks()
    points = (_point(tasks[0], loss=0.2), _point(tasks[1], loss=0.4),
              _point(tasks[2], status="diverged", loss=math.nan))
    (summary,) = SweepResult("dropout", points).summary()
    assert (summary.runs, summary.failed) == (2, 1)
    assert summary.mean["train_loss"] == pytest.approx(0.3)
    assert summary.std["train_loss"] == pytest.approx(0.1414213562)
