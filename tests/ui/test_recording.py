"""Recording for slides: animations from the command line and the window, read back with imageio."""

from __future__ import annotations

import imageio.v2 as iio2
import imageio.v3 as iio
import numpy as np
import pytest
from ui_helpers import SMALL, TIMEOUT

from dropviz.cli import main as cli
from dropviz.model.config import Config
from dropviz.model.errors import ConfigError, ExportError
from dropviz.model.trainer import Trainer
from dropviz.session.compare import NO_DROPOUT
from dropviz.session.frames import frame_count, frame_snapshots
from dropviz.session.lockstep import Lockstep
from dropviz.session.run import Run
from dropviz.session.setup_string import Setup, encode_setup
from dropviz.ui.record_dialog import RecordingSettings
from dropviz.ui.recording import AnimationWriter, FrameRenderer, record

TINY = Config(dataset=SMALL.dataset, hidden_layers=(16, 16), learning_rate=0.01, steps=20)


def _pair(pool, spec=None) -> Lockstep:
    run = Run(Trainer(TINY, pool))
    if spec is None:
        return Lockstep(run)
    from dropviz.session.compare import compare_config

    return Lockstep(run, Run(Trainer(compare_config(TINY, spec), pool)))


def _leftovers(folder) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if ".part" in path.name)


def test_a_gif_has_a_frame_every_k_steps_and_plays_at_the_frame_rate(pool, tmp_path, qapp):
    pair = _pair(pool)
    progress = []
    recorded = record(frame_snapshots(pair, 20, 5), pair.run.info("test"), tmp_path / "run.gif",
                      frame_count(20, 5), view="loss", fps=4,
                      progress=lambda done, total: progress.append((done, total)))
    assert recorded.frames == 5 and recorded.seconds == 1.25  # steps 0, 5, 10, 15, 20
    assert progress == [(done, 5) for done in range(1, 6)]
    frames = iio.imread(tmp_path / "run.gif", index=None)
    assert frames.shape[0] == 5
    assert iio.immeta(tmp_path / "run.gif")["duration"] == 250
    assert iio.immeta(tmp_path / "run.gif")["loop"] == 0
    assert not np.array_equal(frames[0], frames[-1])  # the curve grew
    assert _leftovers(tmp_path) == []
    pair.run.close()


def test_frames_are_spaced_in_steps_and_end_on_the_last(pool):
    pair = _pair(pool, NO_DROPOUT)
    snapshots = list(frame_snapshots(pair, 23, 10))
    assert [snapshot.step for snapshot in snapshots] == [0, 10, 20, 23]
    assert all(snapshot.baseline_curves is not None for snapshot in snapshots)
    assert list(snapshots[-1].curves[0]) == [0, 10, 20, 23]
    with pytest.raises(ConfigError, match="at most"):
        list(frame_snapshots(pair, 100_000, 1))
    for run in (pair.run, pair.baseline):
        run.close()


def test_the_window_frame_burns_in_the_step_and_shows_the_baseline(pool, qapp):
    pair = _pair(pool, NO_DROPOUT)
    renderer = FrameRenderer(pair.run.info("test"), compare_label=NO_DROPOUT.label,
                             size=(960, 544))
    snapshot = next(frame_snapshots(pair, 10, 10))
    frame = renderer.frame(snapshot)
    assert frame.shape == (544, 960, 3) and frame.dtype == np.uint8
    assert "step 0" in renderer.header.text() and "dashed: no dropout" in renderer.header.text()
    assert renderer.views["baseline_decision"].isVisible()  # the maps side by side, as the window
    assert not renderer.views["network"].isVisible()
    renderer.close()
    for run in (pair.run, pair.baseline):
        run.close()


def test_an_mp4_made_with_the_bundled_ffmpeg_reads_back(pool, tmp_path, qapp):
    pytest.importorskip("imageio_ffmpeg")
    pair = _pair(pool)
    recorded = record(frame_snapshots(pair, 20, 10), pair.run.info("test"), tmp_path / "run.mp4",
                      frame_count(20, 10), view="gap", fps=5, size=(640, 368))
    assert recorded.frames == 3
    reader = iio2.get_reader(tmp_path / "run.mp4")
    meta = reader.get_meta_data()
    assert meta["fps"] == 5 and meta["size"] == (640, 368) and meta["codec"] == "h264"
    assert sum(1 for _ in reader) == 3
    reader.close()
    assert _leftovers(tmp_path) == []
    pair.run.close()


def test_a_recording_that_fails_leaves_no_file_and_keeps_the_old_one(pool, tmp_path, qapp):
    target = tmp_path / "run.gif"
    target.write_bytes(b"the old animation")
    pair = _pair(pool)

    def failing_progress(done: int, _total: int) -> None:
        if done == 2:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        record(frame_snapshots(pair, 20, 5), pair.run.info("test"), target, 5, view="loss",
               progress=failing_progress)
    assert target.read_bytes() == b"the old animation"
    assert _leftovers(tmp_path) == []
    pair.run.close()


@pytest.mark.parametrize(("name", "fps", "reason"), [
    ("run.png", 10, "choose a .gif or .mp4"),
    ("missing/run.gif", 10, "does not exist"),
    ("run.gif", 500, "frames per second"),
])
def test_a_bad_target_is_refused_before_anything_is_written(tmp_path, name, fps, reason):
    with pytest.raises(ExportError, match=reason):
        AnimationWriter(tmp_path / name, fps)
    assert list(tmp_path.iterdir()) == []


# --- the command line ---------------------------------------------------------------------------

def test_the_command_line_records_a_preset_with_its_baseline(tmp_path, capsys):
    target = tmp_path / "gap.gif"
    status = cli.main(["--preset", "02_dropout_closes_gap", "--steps", "30", "--frame-steps",
                       "10", "--export-animation", str(target), "--view", "gap"])
    assert status == 0, capsys.readouterr().err
    assert f"wrote {target}: 4 frames, step 0 to 30 every 10 steps" in capsys.readouterr().out
    assert iio.imread(target, index=None).shape[0] == 4


def test_the_command_line_records_a_setup(tmp_path, capsys):
    text = encode_setup(Setup(TINY, None, NO_DROPOUT))
    target = tmp_path / "setup.gif"
    assert cli.main(["--setup", text, "--export-animation", str(target), "--fps", "2",
                     "--frame-steps", "10"]) == 0
    out = capsys.readouterr().out
    assert "3 frames, step 0 to 20 every 10 steps, 1.5 s at 2 frames a second" in out
    assert iio.imread(target, index=None).shape[0] == 3


@pytest.mark.parametrize(("argv", "reason"), [
    (["--export-animation", "x.png"], "choose a .gif or .mp4"),
    (["--export-animation", "x.gif", "--steps", "100000", "--frame-steps", "1"], "at most"),
    (["--frame-steps", "5"], "go with --export-animation"),
    (["--setup", "dropviz:notasetup"], "not a dropviz setup|checksum"),
    (["--setup", "dropviz:AasejXNaxTnYkwCg-Jtjvus", "--preset", "01_overfit_tiny"],
     "does not go with --preset"),
])
def test_bad_lecture_options_are_one_line_and_status_2(argv, reason, capsys):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("dropviz: ")
    assert pytest.importorskip("re").search(reason, err)


def test_a_setup_trains_headless_and_opens_the_window_alone(monkeypatch, capsys):
    from dropviz import launch

    text = encode_setup(Setup(TINY, "01_overfit_tiny"))
    opened = []
    monkeypatch.setattr(launch, "open_window", lambda setup: opened.append(setup) or 0)
    assert cli.main(["--setup", text]) == 0
    assert opened == [Setup(TINY, "01_overfit_tiny")]
    assert cli.main(["--headless", "--setup", text, "--steps", "5", "--eval-every", "5"]) == 0
    assert opened == [Setup(TINY, "01_overfit_tiny")]  # trained, not opened
    assert capsys.readouterr().out.startswith("step 5 ")
    assert cli.main(["train", "--setup", text]) == 0  # a typed command trains too
    assert opened == [Setup(TINY, "01_overfit_tiny")]
    assert "step " in capsys.readouterr().out


# --- the window ---------------------------------------------------------------------------------

def test_record_in_the_window_writes_the_run_while_the_window_stays_usable(make_window, qtbot,
                                                                         tmp_path):
    window = make_window()
    target = tmp_path / "window.gif"
    assert window.recorder.start(RecordingSettings(target, "window", steps=20, every=10))
    assert window.recorder.progress.isVisible()
    qtbot.waitUntil(lambda: not window.recorder.recording, timeout=TIMEOUT * 2)
    assert window.banner.text().startswith(f"Recorded 3 frames (0.3 s) to {target}"), \
        window.banner.text()
    assert iio.imread(target, index=None).shape[0] == 3
    assert not window.recorder.progress.isVisible()
    assert _leftovers(tmp_path) == []
    window.transport.step_action.trigger()  # the live run goes on afterwards
    qtbot.waitUntil(lambda: window.last_snapshot.step == 1, timeout=TIMEOUT)


def test_cancelling_a_recording_leaves_no_file(make_window, qtbot, tmp_path):
    window = make_window()
    target = tmp_path / "cancelled.gif"
    assert window.recorder.start(RecordingSettings(target, "loss", steps=1500, every=1))
    qtbot.waitUntil(lambda: window.recorder.progress.value() >= 2, timeout=TIMEOUT)
    window.recorder.cancel_button.click()
    assert not window.recorder.recording
    assert window.banner.text().startswith("Recording cancelled")
    qtbot.wait(300)
    assert list(tmp_path.iterdir()) == []
    window.transport.step_action.trigger()  # the job ended: training is free again
    qtbot.waitUntil(lambda: window.last_snapshot.step == 1, timeout=TIMEOUT)


def test_a_bad_recording_is_refused_in_the_banner(make_window, tmp_path):
    window = make_window()
    assert not window.recorder.start(RecordingSettings(tmp_path / "x.avi", "window", 20, 10))
    assert window.banner.kind() == "error" and ".gif or .mp4" in window.banner.text()
    assert not window.recorder.recording


def test_closing_the_window_while_recording_leaves_no_file(make_window, qtbot, tmp_path):
    window = make_window()
    assert window.recorder.start(RecordingSettings(tmp_path / "closed.gif", "gap", 1500, 1))
    qtbot.waitUntil(lambda: window.recorder.progress.value() >= 1, timeout=TIMEOUT)
    window.close()
    assert not window.recorder.recording
    assert list(tmp_path.iterdir()) == []
