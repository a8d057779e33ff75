"""The paper's figures on tiny grids: their CSV rows against runs trained on their own, their
pictures read back, and the command line's `--figure` with its one-line errors.

The figures' effects themselves are the presets' claims (tests/model/test_presets.py); here each
figure's own network trains for 20 steps, so every figure costs seconds and compiles nothing that
the presets' tests do not compile anyway (a network shape's first compile is most of a test's time).
"""

import csv
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest
from PyQt5.QtGui import QImage

from dropviz import figure_cli
from dropviz.cli import main as cli
from dropviz.model.trainer import Trainer
from dropviz.session.figures import COLUMNS, FIGURES, base_config, compute
from dropviz.ui.figure_plots import write_figure
from dropviz.ui.views.plot_export import OFFSCREEN_SIZE, PNG_SCALE

TINY = ["steps=20", "seed=4"]


def tiny(name):
    return base_config(name).with_overrides(TINY)


def read_csv(path):
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        return reader.fieldnames, list(reader)


def independent_errors(config, pool):
    """Train and test errors of the config's run, trained here on its own."""
    trainer = Trainer(config, pool)
    try:
        trainer.run_steps(config.steps)
        evaluation = trainer.evaluate()
    finally:
        trainer.close()
    return 1 - evaluation.train_acc, 1 - evaluation.test_acc


def check_pictures(folder, name, *texts):
    image = QImage(str(folder / f"{name}.png"))
    assert (image.width(), image.height()) == tuple(PNG_SCALE * side for side in OFFSCREEN_SIZE)
    colours = {image.pixel(x, y) for x in range(0, image.width(), 37)
               for y in range(0, image.height(), 37)}
    assert len(colours) > 3, "lines and text, not an empty canvas"
    svg = ElementTree.parse(folder / f"{name}.svg").getroot()
    assert svg.tag.endswith("svg") and svg.get("width") == f"{OFFSCREEN_SIZE[0]}px"
    text = (folder / f"{name}.svg").read_text()
    for expected in texts:
        assert expected in text


def test_every_figure_has_a_preset_and_its_columns():
    assert set(FIGURES) == set(COLUMNS) == set(figure_cli.FIGURE_NAMES)
    assert base_config("fig9").dataset.name == "digits"


def test_fig9_rows_are_runs_trained_on_their_own(pool, tmp_path):
    result = compute("fig9", tiny("fig9"), 2, grid=(0.0, 0.5), pool=pool)
    write_figure(result, tmp_path)
    (tmp_path / "fig9.csv").write_text(result.to_csv())
    columns, rows = read_csv(tmp_path / "fig9.csv")
    assert columns[:5] == ["rate", "scaling", "seed", "train_error", "test_error"]
    assert [(r["rate"], r["scaling"], r["seed"]) for r in rows] == [
        ("0", "weight_scaling", "4"), ("0", "weight_scaling", "5"), ("0", "inverted", "4"),
        ("0", "inverted", "5"), ("0.5", "weight_scaling", "4"), ("0.5", "weight_scaling", "5"),
        ("0.5", "inverted", "4"), ("0.5", "inverted", "5")]
    row = rows[6]
    config = tiny("fig9").with_overrides(["dropout.hidden=0.5", "scaling=inverted"])
    assert (float(row["train_error"]), float(row["test_error"])) == independent_errors(config, pool)
    test_inverted = [float(r["test_error"]) for r in rows if r["scaling"] == "inverted"]
    line = next(s for s in result.series if s.label == "test error, inverted")
    assert line.mean.tolist() == pytest.approx([np.mean(test_inverted[:2]), np.mean(test_inverted[2:])])
    assert line.std[1] == pytest.approx(np.std(test_inverted[2:], ddof=1))
    check_pictures(tmp_path, "fig9", "test error, weight scaling", "train error, inverted")


def test_fig10_trains_each_size_with_and_without_dropout(pool, tmp_path):
    result = compute("fig10", tiny("fig10"), 1, grid=(30, 60), pool=pool)
    write_figure(result, tmp_path)
    (tmp_path / "fig10.csv").write_text(result.to_csv())
    columns, rows = read_csv(tmp_path / "fig10.csv")
    assert columns[:4] == ["train_size", "rate", "seed", "test_error"]
    rate = tiny("fig10").dropout.hidden
    assert [(r["train_size"], float(r["rate"])) for r in rows] == [
        ("30", 0.0), ("30", rate), ("60", 0.0), ("60", rate)]
    assert all(0 <= float(r["test_error"]) <= 1 for r in rows)
    check_pictures(tmp_path, "fig10", f"p = {rate:g}")


def test_fig11_has_a_row_per_k_and_seed_and_weight_scaling_is_the_plain_run(pool, tmp_path):
    result = compute("fig11", tiny("fig11"), 2, grid=(1, 3, 10), pool=pool)
    write_figure(result, tmp_path)
    (tmp_path / "fig11.csv").write_text(result.to_csv())
    columns, rows = read_csv(tmp_path / "fig11.csv")
    assert columns == ["k", "seed", "mc_test_error", "weight_scaling_test_error"]
    assert [(r["k"], r["seed"]) for r in rows] == [
        ("1", "4"), ("3", "4"), ("10", "4"), ("1", "5"), ("3", "5"), ("10", "5")]
    _, test_error = independent_errors(tiny("fig11"), pool)
    assert {float(r["weight_scaling_test_error"]) for r in rows[:3]} == {test_error}
    assert len({r["mc_test_error"] for r in rows}) > 1, "the passes are random"
    check_pictures(tmp_path, "fig11", "Monte-Carlo average of K passes")


def test_maxnorm_leaves_the_limit_empty_for_none(pool, tmp_path):
    result = compute("maxnorm", tiny("maxnorm"), 2, grid=(None, 0.5), pool=pool)
    write_figure(result, tmp_path)
    (tmp_path / "maxnorm.csv").write_text(result.to_csv())
    columns, rows = read_csv(tmp_path / "maxnorm.csv")
    assert columns[:4] == ["max_norm", "seed", "test_error", "diverged"]
    assert [(r["max_norm"], r["seed"]) for r in rows] == [("", "4"), ("", "5"), ("0.5", "4"),
                                                          ("0.5", "5")]
    config = tiny("maxnorm").with_overrides(["max_norm=0.5", "seed=5"])
    _, test_error = independent_errors(config, pool)
    assert float(rows[3]["test_error"]) == test_error
    assert rows[3]["diverged"] == ("1" if np.isnan(test_error) else "0")
    check_pictures(tmp_path, "maxnorm", "no max-norm", "max-norm c = 0.5")


def test_fig11_on_a_local_cluster_equals_fig11_here(pool):
    """Its tasks are the figure's own (not the sweep's), sent to the cluster's worker."""
    from dropviz.session.sweep_cluster import sweep_client

    here = compute("fig11", tiny("fig11"), 2, grid=(1, 4), pool=pool)
    with sweep_client(1) as client:
        there = compute("fig11", tiny("fig11"), 2, client, grid=(1, 4))
    assert there.rows == here.rows


@pytest.fixture
def figure_command(capsys):
    """The command line, whose extensions ask this one first (before the sweep's, which refuses
    --seeds without --sweep)."""
    assert cli.EXTENSIONS[0] is figure_cli

    def run(*args):
        status = cli.main(list(args))
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


def test_the_command_writes_the_three_files_and_takes_the_first_seed_from_set(figure_command,
                                                                             tmp_path):
    out = tmp_path / "figs"
    status, stdout, stderr = figure_command(
        "--figure", "maxnorm", "--out", str(out), "--seeds", "2", "--workers", "0",
        "--set", "seed=7", "--steps", "20")
    assert status == 0, stderr
    assert sorted(path.name for path in out.iterdir()) == ["maxnorm.csv", "maxnorm.png",
                                                           "maxnorm.svg"]
    _, rows = read_csv(out / "maxnorm.csv")
    assert [r["seed"] for r in rows] == ["7", "8", "7", "8"]
    assert "no max-norm: none:" in stdout and "wrote" in stdout
    status, _, stderr = figure_command("--figure", "maxnorm", "--out", str(out))
    assert status == 2 and "--force" in stderr and len(stderr.splitlines()) == 1
    (tmp_path / "file").write_text("")
    status, _, stderr = figure_command("--figure", "fig9", "--out", str(tmp_path / "file" / "x"))
    assert status == 2 and "cannot make the folder" in stderr and len(stderr.splitlines()) == 1


@pytest.mark.parametrize(("args", "message"), [
    (["--figure", "fig9"], "give --out DIR"),
    (["--figure", "fig12", "--out", "x"], "invalid choice"),
    (["--figure", "fig9", "--out", "x", "--seeds", "0"], "--seeds: 0 is not allowed"),
    (["--figure", "fig9", "--out", "x", "--workers", "-1"], "--workers: -1 is not allowed"),
    (["--figure", "fig9", "--out", "x", "--sweep", "dropout"], "does not go with --sweep"),
    (["sweep", "dropout", "--figure", "fig9", "--out", "x"], "does not go with the sweep command"),
    (["--figure", "fig9", "--out", "x", "--preset", "08_digits"], "does not go with --preset"),
    (["--figure", "fig9", "--out", "x", "--set", "dropout.hiden=1"], "unknown setting"),
    (["--figure", "fig9", "--out", "x", "--set", "max_norm=-1"], "max_norm: -1"),
])
def test_bad_figure_options_are_one_line_and_exit_2(figure_command, tmp_path, monkeypatch, args,
                                                    message):
    monkeypatch.chdir(tmp_path)
    status, _, stderr = figure_command(*args)
    assert status == 2 and message in stderr and len(stderr.splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_without_figure_the_extension_leaves_the_arguments_alone(figure_command):
    parser = cli.build_parser()
    args = parser.parse_args(["--seeds", "2", "--sweep", "dropout=0"])
    assert figure_cli.run(args) is None
