"""Inputs the command line must refuse in one line with exit 2, before any training (issue 19).

Empty paths once read as "not given" (`--csv ""` trained on moons); a FIFO or a device named as
an input blocked or read forever; values of the wrong type or size reached Python's internals.
"""

import os
import threading

import pytest

from dropviz.cli import main as cli


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    """main(args) on a thread: a read that blocks must fail the test, not hang it."""
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(cli.main(args)), daemon=True)
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), f"dropviz {' '.join(args)} blocked"
    captured = capsys.readouterr()
    return result[0], captured.out, captured.err


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return str(path)


@pytest.mark.parametrize(("args", "message"), [
    (["--csv", ""], "--csv: the value is empty; give a path"),
    (["--config", ""], "--config: the value is empty"),
    (["--out", " "], "--out: the value is empty"),
    (["--resume", ""], "--resume: the value is empty"),
    (["--csv", "x.csv", "--label", ""], "--label: the value is empty; give a column name"),
    (["--csv", "/no/such.csv"], "file not found: /no/such.csv"),
    (["--config", "/dev/zero"], "/dev/zero is a device, not an experiment or preset file"),
    (["--csv", "/dev/zero"], "/dev/zero is a device, not a CSV file"),
    (["--resume", "/dev/zero"], "/dev/zero is a device, not a dropviz experiment"),
    (["--set", "seed=" + "1" * 5001], "--set seed holds an integer of more than 4,300 digits"),
    (["--set", "hidden_layers=" + "[" * 5000 + "]" * 5000], "--set hidden_layers is nested too"),
    (["--set", "dataset.name=csv", "--set", "dataset.csv_path=7"], "dataset.csv_path: 7 is not"),
    (["--set", "dataset.name=csv", "--set", "dataset.csv_path=x.csv", "--set",
      "dataset.label_column=[1]"], "dataset.label_column: [1] is not"),
])
def test_hostile_inputs_exit_2_with_one_line(capsys, args, message):
    status, stdout, stderr = run_cli(["train", "--headless", "--steps", "1", *args], capsys)
    assert (status, stdout) == (2, "")
    assert message in stderr
    assert stderr.count("\n") == 1


@pytest.mark.parametrize("option", ["--csv", "--config", "--resume"])
def test_a_fifo_as_an_input_is_refused_without_blocking(capsys, fifo, option):
    status, stdout, stderr = run_cli(["train", "--headless", "--steps", "1", option, fifo], capsys)
    assert (status, stdout) == (2, "")
    assert "is a named pipe (FIFO)" in stderr
    assert stderr.count("\n") == 1


def test_a_settings_file_far_larger_than_any_is_refused_by_its_size(capsys, tmp_path):
    path = tmp_path / "big.json"
    with path.open("wb") as stream:
        stream.truncate(50 * 2**20)  # sparse: no time, no disk
    status, _, stderr = run_cli(["train", "--headless", "--config", str(path)], capsys)
    assert status == 2
    assert "big.json is 50.0 MB; an experiment or preset file is at most 1 MB" in stderr
