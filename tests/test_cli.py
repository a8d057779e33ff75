"""The headless trainer as a user runs it: files written, read back, and one-line errors."""

import csv
import json
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest

import dropviz
from dropviz import app, launch
from dropviz.cli import main as cli
from dropviz.model import config as config_module
from dropviz.model.config import ACTIVATIONS, DATASET_NAMES, MASK_SHAPES, OPTIMIZERS, SCALING_MODES, Config
from dropviz.model.errors import ExportError
from dropviz.model.export import load_inference_model
from dropviz.model.files import write_text_atomic
from dropviz.model.presets import PRESETS_FOLDER, load_presets

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["--set", "hidden_layers=[16,16]", "--set", "dataset.n_samples=120"]


def run_cli(args, capsys):
    status = cli.main(args)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_runs_in_one_process_share_their_networks_and_a_failed_one_gives_its_back(capsys,
                                                                                 monkeypatch):
    from dropviz.model import trainer as trainer_module

    built = []
    real = trainer_module.DropoutNetwork
    monkeypatch.setattr(trainer_module, "DropoutNetwork",
                        lambda *args, **kwargs: built.append(args[0]) or real(*args, **kwargs))
    args = [*SMALL, "--set", "optimizer=sgd", "--steps", "5"]
    assert run_cli(args, capsys)[0] == 0
    first = len(built)
    status, _, stderr = run_cli([*args, "--set", "learning_rate=100", "--steps", "200"], capsys)
    assert status == 1 and "diverged" in stderr
    assert run_cli([*args, "--set", "seed=3"], capsys)[0] == 0
    assert first <= 1 and len(built) == first


@pytest.mark.parametrize("scaling", ["weight_scaling", "inverted", "none"])
def test_a_run_writes_every_file_and_the_weights_reproduce_its_predictions(tmp_path, capsys, scaling):
    out = tmp_path / "run"
    status, stdout, stderr = run_cli([*SMALL, "--set", f"scaling={scaling}", "--set",
                                      "dropout.input=0.1", "--steps", "60", "--eval-every", "20",
                                      "--out", str(out)], capsys)
    assert status == 0, stderr
    assert "step 60" in stdout and "steps/s" in stdout and "test loss" in stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "config.json", "data.npz", "experiment.dropviz", "masks.npz", "metrics.csv", "model.json",
        "model.onnx", "run.json", "weights.npz"]

    config = Config.load(out / "config.json")
    assert config.scaling == scaling and config.steps == 60

    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert [int(r["step"]) for r in rows] == [0, 20, 40, 60]
    for row in rows:
        assert float(row["gap"]) == pytest.approx(float(row["test_loss"]) - float(row["train_loss"]))

    model = load_inference_model(out)
    assert [layer["activation"] for layer in model.description["layers"]] == ["relu", "relu", "sigmoid"]
    with np.load(out / "data.npz", allow_pickle=False) as data:
        X_test, y_test = data["X_test"], data["y_test"]
    h = X_test.astype(np.float64)
    for index, layer in enumerate(model.description["layers"]):
        h = h @ model.weights[layer["weight"]] + model.weights[layer["bias"]]
        if index < 2:
            h = np.maximum(h, 0.0)
    predicted = (1.0 / (1.0 + np.exp(-h[:, 0])) > 0.5).astype(int)
    assert np.mean(predicted == y_test) == pytest.approx(float(rows[-1]["test_acc"]))

    with np.load(out / "masks.npz", allow_pickle=False) as masks:
        assert sorted(masks.files) == ["hidden1", "hidden2", "input"]
        assert masks["hidden1"].shape == (60, 32, 16)
        assert set(np.unique(masks["hidden1"])) <= {0, 1}
        assert masks["input"].mean() == pytest.approx(0.9, abs=0.05)


def test_csv_with_label_column_and_config_file(tmp_path, capsys):
    data = tmp_path / "points.csv"
    rng = np.random.default_rng(0)
    lines = ["width;kind;height"] + [
        f"{x:.3f};{'tall' if y > 0 else 'short'};{y:.3f}" for x, y in rng.normal(size=(60, 2))]
    data.write_text("\n".join(lines) + "\n")
    experiment = tmp_path / "experiment.json"
    experiment.write_text(json.dumps({"hidden_layers": [8], "steps": 5}))
    status, stdout, stderr = run_cli(["--config", str(experiment), "--csv", str(data),
                                      "--label", "kind", "--out", str(tmp_path / "o")], capsys)
    assert status == 0, stderr
    assert "step 5" in stdout
    description = json.loads((tmp_path / "o" / "model.json").read_text())
    assert description["classes"] == ["short", "tall"]
    assert description["input"]["features"] == ["width", "height"]


@pytest.mark.parametrize(("args", "message"), [
    (["--set", "scaling=fast"], "scaling: 'fast' is not allowed"),
    (["--csv", "/no/such/file.csv"], "/no/such/file.csv"),
    (["--dataset", "mnist"], "invalid choice: 'mnist'"),
    (["--label", "x"], "--label goes with --csv"),
    (["--eval-every", "0"], "--eval-every"),
    (["--steps", "0"], "steps: 0 is not allowed"),
    (["--config", "/no/such.json"], "cannot read experiment file"),
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["--preset", "nope"], "no preset 'nope'; choose one of 01_overfit_tiny, 02_dropout_closes_gap"),
    (["--preset", "01_overfit_tiny", "--config", "x.json"], "not allowed with argument --preset"),
    (["--resume", "runs/a", "--preset", "01_overfit_tiny"], "it takes no --config, --preset"),
    (["train", "runs/a"], "train takes no argument; got 'runs/a'"),
    (["resume"], "resume needs the run"),
    (["resume", "runs/a", "--resume", "runs/b"], "give the RUN of resume once"),
    (["sweep"], "sweep needs what to sweep"),
    (["window", "--steps", "3"], "window takes no options"),
    (["--headless", "window"], "does not go with window"),
    (["bogus"], "invalid choice: 'bogus'"),
])
def test_bad_input_exits_2_with_one_line(capsys, args, message):
    status, stdout, stderr = run_cli(args, capsys)
    assert status == 2
    assert stdout == ""
    assert message in stderr
    assert stderr.count("\n") == 1


def test_divergence_stops_with_a_message(capsys):
    status, _, stderr = run_cli([*SMALL, "--set", "optimizer=sgd", "--set", "learning_rate=100",
                                 "--steps", "300"], capsys)
    assert status == 1
    assert "diverged" in stderr and "learning_rate" in stderr


def test_main_py_headless_runs_as_a_command(tmp_path):
    result = subprocess.run([sys.executable, "main.py", "--headless", *SMALL, "--steps", "3"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("step 3 ")


def test_atomic_write_leaves_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "metrics.csv"
    target.write_text("old contents\n")

    def fail(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.replace", fail)
    with pytest.raises(ExportError, match="No space left on device"):
        write_text_atomic(target, "new contents\n")
    assert target.read_text() == "old contents\n"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.csv"]


def test_resume_continues_for_more_steps_like_an_uninterrupted_run(tmp_path, capsys):
    whole, part = tmp_path / "whole", tmp_path / "part"
    common = [*SMALL, "--eval-every", "10"]
    assert run_cli([*common, "--steps", "40", "--out", str(whole)], capsys)[0] == 0
    assert run_cli([*common, "--steps", "25", "--out", str(part)], capsys)[0] == 0
    status, stdout, stderr = run_cli(["--resume", str(part), "--steps", "15", "--eval-every", "10"],
                                     capsys)
    assert status == 0, stderr
    assert stdout.startswith("step 40 ")
    whole_rows = list(csv.DictReader((whole / "metrics.csv").open()))
    part_rows = list(csv.DictReader((part / "metrics.csv").open()))
    assert [r["step"] for r in part_rows] == ["0", "10", "20", "25", "30", "40"]
    assert part_rows[-1] == whole_rows[-1]
    with np.load(whole / "weights.npz") as a, np.load(part / "weights.npz") as b:
        for name in a.files:
            np.testing.assert_array_equal(a[name], b[name])


def test_an_earlier_run_is_not_replaced_without_force(tmp_path, capsys):
    out = tmp_path / "run"
    assert run_cli([*SMALL, "--steps", "2", "--out", str(out)], capsys)[0] == 0
    before = (out / "weights.npz").read_bytes()
    status, _, stderr = run_cli([*SMALL, "--steps", "3", "--set", "seed=8", "--out", str(out)], capsys)
    assert status == 2
    assert "already holds a run" in stderr and "--force" in stderr
    assert (out / "weights.npz").read_bytes() == before
    assert run_cli([*SMALL, "--steps", "3", "--set", "seed=8", "--out", str(out), "--force"],
                   capsys)[0] == 0
    assert (out / "weights.npz").read_bytes() != before


def test_resume_refuses_a_structural_change_and_a_damaged_file(tmp_path, capsys):
    out = tmp_path / "run"
    assert run_cli([*SMALL, "--steps", "2", "--out", str(out)], capsys)[0] == 0
    status, _, stderr = run_cli(["--resume", str(out), "--set", "hidden_layers=[4]"], capsys)
    assert status == 2
    assert "needs a new network" in stderr
    (out / "experiment.dropviz").write_bytes(b"PK\x03\x04 broken")
    status, _, stderr = run_cli(["--resume", str(out)], capsys)
    assert status == 2
    assert "experiment.dropviz is damaged" in stderr


def test_sweep_prints_a_table_and_writes_one_row_per_run(tmp_path, capsys):
    status, stdout, stderr = run_cli([*SMALL, "--sweep", "dropout=0,0.5", "--seeds", "2",
                                      "--steps", "20", "--out", str(tmp_path)], capsys)
    assert status == 0, stderr
    lines = stdout.splitlines()
    assert lines[0] == "dropout sweep: 20 steps per run, 2 seeds (mean ± standard deviation)"
    assert [line.split()[0] for line in lines[2:4]] == ["0", "0.5"]
    rows = list(csv.DictReader((tmp_path / "sweep.csv").open()))
    assert [(r["rate"], r["seed"]) for r in rows] == [("0", "0"), ("0", "1"), ("0.5", "0"), ("0.5", "1")]
    status, _, stderr = run_cli([*SMALL, "--sweep", "dropout=0", "--steps", "5", "--out", str(tmp_path)],
                                capsys)
    assert status == 2 and "already holds sweep.csv" in stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--sweep", "depth=1,2"], "unknown sweep 'depth'"),
    (["--sweep", "dropout=0,1.5"], "'1.5' is not a dropout rate"),
    (["--sweep", "dropout", "--seeds", "0"], "--seeds: 0 is not allowed"),
])
def test_bad_sweeps_exit_2_with_one_line(capsys, args, message):
    status, _, stderr = run_cli(args, capsys)
    assert status == 2
    assert message in stderr and stderr.count("\n") == 1


def test_export_plots_renders_every_plot_without_a_window(tmp_path):
    out = tmp_path / "run"
    result = subprocess.run([sys.executable, "main.py", "--headless", *SMALL, "--steps", "30",
                             "--out", str(out), "--export-plots"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"})
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    for name in ("loss", "accuracy", "gap", "masks", "network", "decision"):
        assert (out / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert ElementTree.parse(out / f"{name}.svg").getroot().tag.endswith("svg")


def test_export_plots_needs_a_folder(capsys):
    status, _, stderr = run_cli(["--export-plots"], capsys)
    assert status == 2 and "give --out DIR" in stderr


# --- one command line: its forms, help, presets, resume and extensions --------------------------

HEAVY = ("pytensor", "numpy", "scipy", "sklearn", "numba", "PyQt5", "tqdm")


def imported(stderr: str) -> set[str]:
    """The top-level packages a `python -X importtime` run imported."""
    return {line.rsplit("|", 1)[1].strip().split(".")[0] for line in stderr.splitlines()
            if line.startswith("import time:") and "|" in line}


@pytest.mark.parametrize(("command", "usage"), [
    (["-m", "dropviz", "--help"], "usage: python -m dropviz "),
    (["main.py", "--headless", "--help"], "usage: main.py --headless [options] "),
    ([str(Path(sys.executable).parent / "dropviz"), "--help"], "usage: dropviz "),
])
def test_help_names_the_program_as_invoked_and_loads_nothing_heavy(command, usage):
    result = subprocess.run([sys.executable, "-X", "importtime", *command], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith(usage)
    assert "examples:" in result.stdout and "settings (--set KEY=VALUE" in result.stdout
    loaded = imported(result.stderr)
    assert "dropviz" in loaded
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_version_prints_the_package_version():
    result = subprocess.run([sys.executable, "-m", "dropviz", "--version"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (0, f"dropviz {dropviz.__version__}\n")


def help_settings(capsys) -> dict[str, str]:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--help"])
    assert exit_.value.code == 0
    listing = capsys.readouterr().out.split("settings (--set KEY=VALUE", 1)[1].splitlines()[1:]
    return {line.split()[0]: line for line in listing}


def flat_keys(data: dict, prefix: str = "") -> list[str]:
    keys = []
    for key, value in data.items():
        keys += flat_keys(value, f"{prefix}{key}.") if isinstance(value, dict) else [prefix + key]
    return keys


def test_help_lists_every_setting_with_what_the_config_allows(capsys, monkeypatch):
    lines = help_settings(capsys)
    assert list(lines) == flat_keys(Config().to_dict())
    for key, choices in [("dataset.name", DATASET_NAMES), ("activation", ACTIVATIONS),
                         ("scaling", SCALING_MODES), ("mask", MASK_SHAPES), ("optimizer", OPTIMIZERS)]:
        assert f"one of {', '.join(choices)} [" in lines[key]
    assert lines["batch_size"].endswith("an integer from 1, at most 65536 [32]")
    assert "a list of 1 to 8 layer widths, each an integer from 1, at most 4096" in lines["hidden_layers"]
    assert "a rate or a list of rates, each a number from 0.0, below 1.0 [0.5]" in lines["dropout.hidden"]
    # Read from the config's checks, not copied: a new choice there shows in the help.
    monkeypatch.setattr(config_module, "SCALING_MODES", (*SCALING_MODES, "halved"))
    assert f"one of {', '.join(SCALING_MODES)}, halved [inverted]" in help_settings(capsys)["scaling"]


def test_no_arguments_or_window_open_the_window(monkeypatch):
    monkeypatch.setattr(app, "open_window", lambda: 42)
    monkeypatch.setattr(launch, "open_window", lambda: 42)
    monkeypatch.setattr(app, "keep_freed_memory", lambda: None)
    assert app.main([]) == 42
    assert cli.main(["window"]) == 42


def test_presets_lists_every_bundled_preset(capsys):
    status, stdout, _ = run_cli(["presets"], capsys)
    assert status == 0
    assert [line.split()[0] for line in stdout.splitlines()] == [p.key for p in load_presets()]
    assert all(p.title in stdout for p in load_presets())


def test_a_preset_runs_by_file_name_title_or_file(tmp_path, capsys):
    preset = load_presets()[1]
    expected = preset.config.with_overrides([*SMALL[1::2], "steps=5"])
    for name, chosen in [("key", ["--preset", preset.key]), ("title", ["--preset", preset.title.upper()]),
                         ("file", ["--config", str(PRESETS_FOLDER / f"{preset.key}.json")])]:
        status, _, stderr = run_cli([*chosen, *SMALL, "--steps", "5", "--out", str(tmp_path / name)],
                                    capsys)
        assert status == 0, stderr
        assert Config.load(tmp_path / name / "config.json") == expected, name


def test_the_commands_and_the_older_options_are_one_command_line(tmp_path, capsys):
    forms = {"options": [], "train": ["train"], "headless": ["--headless"]}
    for name, form in forms.items():
        assert run_cli([*form, *SMALL, "--steps", "5", "--out", str(tmp_path / name)], capsys)[0] == 0
    metrics = {name: (tmp_path / name / "metrics.csv").read_text() for name in forms}
    assert metrics["train"] == metrics["options"] == metrics["headless"]
    status, stdout, stderr = run_cli(["sweep", "dropout=0", *SMALL, "--steps", "5", "--workers", "0"],
                                     capsys)
    assert status == 0, stderr
    assert stdout.startswith("dropout sweep: 5 steps per run, 1 seed\n")


def test_python_m_dropviz_trains():
    result = subprocess.run([sys.executable, "-m", "dropviz", "train", *SMALL, "--steps", "3"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("step 3 ")


def metric_steps(folder: Path) -> list[int]:
    return [int(row["step"]) for row in csv.DictReader((folder / "metrics.csv").open())]


def test_resume_with_out_naming_its_own_folder_is_a_plain_resume(tmp_path, capsys):
    run = tmp_path / "run"
    assert run_cli([*SMALL, "--steps", "10", "--out", str(run)], capsys)[0] == 0
    (tmp_path / "link").symlink_to(run)
    for spelling in (str(run), f"{tmp_path}/./run/", str(tmp_path / "link")):
        status, _, stderr = run_cli(["resume", str(run), "--out", spelling, "--steps", "5"], capsys)
        assert status == 0, stderr
    assert metric_steps(run) == [0, 10, 15, 20, 25]


def test_resuming_another_run_s_file_in_a_run_folder_needs_out_or_force(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    assert run_cli([*SMALL, "--steps", "10", "--out", str(a)], capsys)[0] == 0
    assert run_cli([*SMALL, "--set", "seed=5", "--steps", "10", "--out", str(b)], capsys)[0] == 0
    shutil.copy(b / "experiment.dropviz", a / "saved.dropviz")
    before = (a / "weights.npz").read_bytes()
    status, _, stderr = run_cli(["resume", str(a / "saved.dropviz"), "--steps", "5"], capsys)
    assert status == 2
    assert "holds another run than saved.dropviz" in stderr and "--out" in stderr
    assert (a / "weights.npz").read_bytes() == before

    status, _, stderr = run_cli(["resume", str(a / "saved.dropviz"), "--steps", "5", "--out",
                                 str(tmp_path / "c")], capsys)
    assert status == 0, stderr
    assert metric_steps(tmp_path / "c") == [0, 10, 15]

    shutil.copy(a / "experiment.dropviz", a / "copy.dropviz")  # the folder's own run: goes on there
    assert run_cli(["resume", str(a / "copy.dropviz"), "--steps", "5"], capsys)[0] == 0
    assert metric_steps(a) == [0, 10, 15]

    assert run_cli(["resume", str(a / "saved.dropviz"), "--steps", "5", "--force"], capsys)[0] == 0
    assert json.loads((a / "run.json").read_text())["settings"]["seed"] == 5


def test_extensions_add_options_and_take_only_their_own_arguments(monkeypatch, capsys):
    def add_arguments(parser):
        parser.add_argument("--shout", metavar="WORD", help="print WORD in capitals")

    def run(args):
        if not args.shout:
            return None
        print(args.shout.upper())
        return 5

    monkeypatch.setattr(cli, "EXTENSIONS", (*cli.EXTENSIONS, types.SimpleNamespace(
        add_arguments=add_arguments, run=run)))
    assert run_cli(["--shout", "hi"], capsys)[:2] == (5, "HI\n")
    status, _, stderr = run_cli(["--steps", "0"], capsys)  # not its business: the training run's
    assert status == 2 and "steps: 0 is not allowed" in stderr
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "--shout WORD" in capsys.readouterr().out
