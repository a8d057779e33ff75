"""The output folder: refused before training when it cannot be written, held for the whole run,
its files put in together or not at all, and a resumed window run written back whole."""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dropviz.api import advance
from dropviz.cli import main as cli
from dropviz.cli import training
from dropviz.model.config import Config
from dropviz.model.errors import ExportError
from dropviz.model.experiment import load_experiment
from dropviz.model.trainer import Trainer
from dropviz.session import out_folder
from dropviz.session.out_folder import LOCK_FILE, OutFolder, claimed
from dropviz.session.run import Run
from dropviz.session.run_record import window_extra, write_experiment

SMALL = ["--set", "hidden_layers=[16,16]", "--set", "dataset.n_samples=120"]
RUN_NAMES = ["config.json", "data.npz", "experiment.dropviz", "masks.npz", "metrics.csv",
             "model.json", "model.onnx", "run.json", "weights.npz"]


def run_cli(args, capsys):
    status = cli.main(args)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def never_trains(monkeypatch):
    """The command line must refuse before it builds a network."""
    def built(*_args, **_kwargs):
        raise AssertionError("a network was built")

    monkeypatch.setattr(training, "Trainer", built)


def test_an_out_that_cannot_be_a_folder_is_refused_before_training(tmp_path, capsys, never_trains):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine\n")
    for out, message in [(a_file, f"{a_file} is a file; give a folder"),
                         (a_file / "run", f"cannot create {a_file / 'run'}: {a_file} is a file"),
                         ("/dev/null", "/dev/null is not a regular folder")]:
        status, stdout, stderr = run_cli([*SMALL, "--steps", "5", "--out", str(out)], capsys)
        assert (status, stdout) == (2, "")
        assert message in stderr and stderr.count("\n") == 1
    assert a_file.read_text() == "mine\n"


def test_a_read_only_folder_is_refused_before_training(tmp_path, capsys, never_trains,
                                                       monkeypatch):
    (tmp_path / "run").mkdir()
    if os.geteuid() == 0:  # root writes into read-only folders: make the lock file's open fail
        real_open = os.open

        def read_only(path, *args, **kwargs):
            if str(path).startswith(str(tmp_path)):
                raise PermissionError(13, "Permission denied")
            return real_open(path, *args, **kwargs)

        monkeypatch.setattr(out_folder.os, "open", read_only)
    (tmp_path / "run").chmod(0o555)
    try:
        status, _, stderr = run_cli([*SMALL, "--out", str(tmp_path / "run")], capsys)
    finally:
        (tmp_path / "run").chmod(0o755)
    assert status == 2
    assert stderr == f"dropviz: cannot write into {tmp_path / 'run'}: Permission denied\n"
    assert list((tmp_path / "run").iterdir()) == []


def test_a_folder_another_run_holds_is_refused_and_freed_when_it_ends(tmp_path, capsys,
                                                                      never_trains):
    held = OutFolder.claim(tmp_path / "run")  # as another process would hold it
    try:
        status, _, stderr = run_cli([*SMALL, "--out", str(tmp_path / "run")], capsys)
        assert status == 2 and "another dropviz run is writing into" in stderr
        with pytest.raises(ExportError, match="another dropviz run"):
            OutFolder.claim(tmp_path / "run")
    finally:
        held.release()
    assert not (tmp_path / "run").exists()  # made by the claim, left empty: removed again
    with claimed(tmp_path / "run") as again:
        assert (again.path / LOCK_FILE).exists()
        (again.path / "kept.txt").write_text("x")
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["kept.txt"]


def fill_with(contents: dict[str, str]):
    def fill(staging):
        for name, text in contents.items():
            (staging / name).write_text(text)
        return [staging / name for name in contents]
    return fill


def test_files_go_in_together_or_the_old_ones_stay(tmp_path, monkeypatch):
    folder = tmp_path / "run"
    folder.mkdir()
    for name in ("a.txt", "b.txt", "old_only.txt", "user.txt"):
        (folder / name).write_text(f"old {name}")
    (folder / ".dropviz-new-killed").mkdir()  # left by a run killed while writing
    with claimed(folder) as out:
        assert not (folder / ".dropviz-new-killed").exists()

        def full_disk(staging):
            fill_with({"a.txt": "new a"})(staging)
            raise ExportError("cannot write b.txt: No space left on device")

        with pytest.raises(ExportError, match="No space left"):
            out.write(full_disk, replaces=("a.txt", "b.txt", "old_only.txt"))
        assert {p.name: p.read_text() for p in folder.iterdir() if p.name != LOCK_FILE} == {
            name: f"old {name}" for name in ("a.txt", "b.txt", "old_only.txt", "user.txt")}

        real_replace, calls = os.replace, []

        def fails_second(source, target):
            calls.append(target)
            if len(calls) == 2:
                raise OSError(28, "No space left on device")
            real_replace(source, target)

        monkeypatch.setattr(out_folder.os, "replace", fails_second)
        with pytest.raises(ExportError, match="left as they were"):
            out.write(fill_with({"a.txt": "new a", "b.txt": "new b", "c.txt": "new c"}),
                      replaces=("a.txt", "b.txt", "old_only.txt"))
        assert {p.name: p.read_text() for p in folder.iterdir() if p.name != LOCK_FILE} == {
            name: f"old {name}" for name in ("a.txt", "b.txt", "old_only.txt", "user.txt")}
        monkeypatch.setattr(out_folder.os, "replace", real_replace)

        paths = out.write(fill_with({"b.txt": "new b", "a.txt": "new a"}),
                          replaces=("a.txt", "b.txt", "old_only.txt"))
        assert paths == [folder / "b.txt", folder / "a.txt"]
    assert {p.name: p.read_text() for p in folder.iterdir()} == {
        "a.txt": "new a", "b.txt": "new b", "user.txt": "old user.txt"}


def test_a_cli_resume_keeps_what_the_window_saved(tmp_path, capsys):
    config = Config().with_overrides(["hidden_layers=[16,16]", "dataset.n_samples=120"])
    run = Run(Trainer(config))
    try:
        advance(run, 20, 10, progress=False)
        extra = window_extra(run.record, run.raster, run.last, 7, ((5.0, "lr 0.1"),))
        extra["from_a_later_version"] = np.arange(3)
        write_experiment(tmp_path / "saved.dropviz", run.trainer, run.record, extra)
    finally:
        run.close()
    status, _, stderr = run_cli(["resume", str(tmp_path / "saved.dropviz"), "--steps", "10",
                                 "--eval-every", "10"], capsys)
    assert status == 0, stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*RUN_NAMES, "saved.dropviz"])
    resumed = load_experiment(tmp_path / "experiment.dropviz")
    try:
        assert sorted(resumed.extra) == sorted(extra)
        assert resumed.extra["speed"] == 7
        assert resumed.extra["marker_texts"].tolist() == ["lr 0.1"]
        np.testing.assert_array_equal(resumed.extra["from_a_later_version"], np.arange(3))
        assert resumed.extra["raster_steps"][-1] == 30
        # the curves go on to the new step (the newest point waits outside the rows)
        assert resumed.extra["curves__last_raw"][0] == 30
        assert resumed.extra["curves__rows"][:, 0].tolist() == [0, 10, 20]
    finally:
        resumed.trainer.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(old=st.dictionaries(st.sampled_from("abcde"), st.text(max_size=3), max_size=5),
       new=st.dictionaries(st.sampled_from("abcdef"), st.text(max_size=3), min_size=1, max_size=6),
       failure=st.integers(min_value=0, max_value=14))
def test_a_write_that_fails_anywhere_leaves_the_old_files_or_all_the_new(tmp_path_factory, old, new,
                                                                          failure):
    """`failure` k < 7: the fill fails after writing k files; else the (k - 7)th rename fails."""
    folder = tmp_path_factory.mktemp("fuzz")
    for name, text in old.items():
        (folder / f"{name}.txt").write_text(text)
    before = {p.name: p.read_bytes().decode() for p in folder.iterdir()}
    wanted = {f"{name}.txt": text for name, text in new.items()}
    renames = [0]

    def fill(staging):
        for index, (name, text) in enumerate(wanted.items()):
            if index == failure:
                raise ExportError("No space left on device")
            (staging / name).write_text(text)
        return [staging / name for name in wanted]

    def replace(source, target):
        renames[0] += 1
        if renames[0] == failure - 6:
            raise OSError(28, "No space left on device")
        os.rename(source, target)

    replaces = [f"{name}.txt" for name in "abcde"]
    with claimed(folder) as out, pytest.MonkeyPatch.context() as patch:
        patch.setattr(out_folder.os, "replace", replace)
        try:
            out.write(fill, replaces)
        except ExportError:
            written = before
        else:
            written = {**{name: text for name, text in before.items() if name not in replaces},
                       **wanted}
        assert {p.name: p.read_bytes().decode() for p in folder.iterdir() if p.name != LOCK_FILE} == written
    assert sorted(p.name for p in folder.iterdir()) == sorted(written)
