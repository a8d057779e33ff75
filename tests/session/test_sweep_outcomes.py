"""What a sweep says when runs diverge, and the seeds it refuses before training."""

import csv
import warnings

from dropviz.cli import main as cli

SMALL = ["--set", "hidden_layers=[16,16]", "--set", "dataset.n_samples=120", "--workers", "0"]


def test_diverged_runs_are_marked_left_out_of_the_means_and_exit_1(tmp_path, capsys):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status = cli.main(["sweep", "learning_rate=0.01,100", *SMALL, "--set", "optimizer=sgd",
                           "--steps", "300", "--seeds", "2", "--out", str(tmp_path)])
    captured = capsys.readouterr()
    assert status == 1
    assert [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)] == []
    assert captured.err == ("dropviz: 2 of 4 runs diverged; the means leave them out, and the "
                            "status column of sweep.csv says why\n")
    rows = list(csv.DictReader((tmp_path / "sweep.csv").open()))
    assert [(row["learning_rate"], row["status"]) for row in rows] == [
        ("0.01", "ok"), ("0.01", "ok"), ("100", "diverged"), ("100", "diverged")]
    table = captured.out.splitlines()
    assert table[1].split()[-1] == "diverged"  # the column counting them
    good, bad = table[2].split(), table[3].split()
    mean = sum(float(row["train_error"]) for row in rows[:2]) / 2
    assert good[-1] == "0" and good[3] == f"{mean:.4f}"
    assert bad[0] == "100" and bad[3:] == ["diverged"] * 4 + ["2"]


def test_a_seed_range_past_the_last_seed_is_refused_before_training(tmp_path, capsys):
    status = cli.main(["sweep", "dropout=0,0.5", *SMALL, "--seeds", "2", "--set",
                       "seed=4294967295", "--out", str(tmp_path / "sweep")])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.err == ("dropviz: --seeds 2 from seed 4294967295 would go up to seed "
                            "4294967296, and seeds end at 4294967295; lower the seed or --seeds\n")
    assert not (tmp_path / "sweep").exists()
