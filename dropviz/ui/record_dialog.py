"""Record (toolbar, File menu): the run on screen as an animated GIF or MP4 for slides.

The setup on screen (settings and baseline) is trained again from step 0, as an analysis job on
the worker's job thread with its pool of compiled networks (background_job.py), and each frame's
snapshot comes here through a small queue: painting happens on the GUI thread only, so the
frames are drawn here, offscreen (recording.py), while the window stays usable. The queue holds
a few frames, so training never runs far ahead of drawing. Meanwhile the live run waits, as it
does for every analysis. A progress bar and a Cancel button sit in the status bar; the file is
written under a temporary name and appears only when complete.
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PyQt5.QtCore import QObject, QTimer
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import (
    QAction,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QWidget,
)

from dropviz.model.config import Config
from dropviz.model.errors import DropvizError
from dropviz.session.compare import CompareSpec, compare_config
from dropviz.session.frames import MAX_FRAMES, check_frames, default_every, frame_snapshots
from dropviz.session.snapshot import RunInfo, Snapshot
from dropviz.ui.banner import Banner
from dropviz.ui.recording import (
    DEFAULT_FPS,
    WINDOW,
    AnimationWriter,
    FrameRenderer,
    animation_kind,
    recordable_views,
)
from dropviz.ui.settings import last_folder, remember_folder
from dropviz.ui.worker.background_job import JobRequest
from dropviz.ui.worker.worker import WorkerHandle

if TYPE_CHECKING:
    from dropviz.model.sweeps import CancelledFn, ProgressFn
    from dropviz.model.trainer import NetworkPool, Trainer

KIND = "record"  # the job's kind, as the analyses have theirs
QUEUE_FRAMES = 4
POLL_MS = 30




@dataclass(frozen=True)
class RecordingSettings:
    """What the dialog asks: the file, what to show, how many steps, how many per frame."""

    path: Path
    view: str
    steps: int
    every: int
    fps: float = DEFAULT_FPS


class RecordDialog(QDialog):
    def __init__(self, steps: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Record an animation")
        note = QLabel("The run on screen is trained again from step 0, offscreen, and every "
                      "frame is written to a GIF or MP4 (by the file's name). The live run waits "
                      "meanwhile.")
        note.setWordWrap(True)
        self.path = QLineEdit(str(last_folder() / "dropviz.gif"))
        browse = QPushButton("Browse...")
        browse.clicked.connect(self._browse)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(browse)
        self.view = QComboBox()
        for name in recordable_views():
            self.view.addItem("the whole window" if name == WINDOW else f"the {name} view", name)
        self.steps = QSpinBox()
        self.steps.setRange(1, 10_000_000)
        self.steps.setValue(steps)
        self.every = QSpinBox()
        self.every.setRange(1, 1_000_000)
        self.every.setValue(default_every(steps))
        self.every.setToolTip(f"Training steps between two frames (at most {MAX_FRAMES} frames).")
        self.fps = QDoubleSpinBox()
        self.fps.setRange(0.5, 60)
        self.fps.setValue(DEFAULT_FPS)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText("Record")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(note)
        form.addRow("File", file_row)
        form.addRow("Show", self.view)
        form.addRow("Steps", self.steps)
        form.addRow("Steps per frame", self.every)
        form.addRow("Frames per second", self.fps)
        form.addRow(buttons)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Record to", self.path.text(),
                                              "Animations (*.gif *.mp4)")
        if path:
            self.path.setText(path)

    def settings(self) -> RecordingSettings:
        return RecordingSettings(Path(self.path.text().strip()), self.view.currentData(),
                                 self.steps.value(), self.every.value(), self.fps.value())


def record_work(config: Config, spec: CompareSpec | None, steps: int, every: int,
                frames: queue.Queue) -> Callable[..., int]:
    """The job: train the setup from step 0 and put each frame's snapshot on `frames`."""

    def work(_trainer: Trainer | None, pool: NetworkPool, progress: ProgressFn,
             cancelled: CancelledFn) -> int:
        from dropviz.model.sweeps import Cancelled
        from dropviz.model.trainer import Trainer
        from dropviz.session.lockstep import Lockstep
        from dropviz.session.run import Run

        def check() -> None:
            if cancelled():
                raise Cancelled()

        count = check_frames(steps, every)
        runs = [Run(Trainer(config, pool))]
        try:
            if spec is not None:
                runs.append(Run(Trainer(compare_config(config, spec), pool)))
            frames.put(("info", runs[0].info("record")))
            for done, snapshot in enumerate(frame_snapshots(Lockstep(*runs), steps, every, check),
                                            start=1):
                while True:  # wait for room, but not for ever: a cancel may come meanwhile
                    check()
                    try:
                        frames.put(("frame", snapshot), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                progress(done, count)
            return count
        finally:
            for run in runs:
                run.close()

    return work


class Recorder(QObject):
    """The Record action, the dialog, the job and the frames it sends, and the progress."""

    def __init__(self, window: QMainWindow, config: Callable[[], Config],
                 compare: Callable[[], tuple[CompareSpec | None, str]], handle: WorkerHandle,
                 banner: Banner) -> None:
        super().__init__(window)
        self.window = window
        self._config = config
        self._compare = compare
        self.handle = handle
        self.banner = banner
        self.action = QAction("Record...", window)
        self.action.setShortcut(QKeySequence("Ctrl+Shift+R"))
        self.action.setToolTip("Record the run as an animated GIF or MP4 for slides "
                               "(Ctrl+Shift+R).")
        self.action.triggered.connect(self.ask_and_record)
        window.addAction(self.action)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(200)
        self.progress.setFormat("recording %v/%m")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        for widget in (self.progress, self.cancel_button):
            window.statusBar().addPermanentWidget(widget)
            widget.hide()
        self._frames: queue.Queue = queue.Queue(QUEUE_FRAMES)
        self._writer: AnimationWriter | None = None
        self._renderer: FrameRenderer | None = None
        self._settings: RecordingSettings | None = None
        self._label = ""
        self._count = 0
        self._job_done = False
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)
        worker = handle.worker
        worker.sigJobResult.connect(self._job_result)
        worker.sigJobStopped.connect(self._job_stopped)

    @property
    def recording(self) -> bool:
        return self._writer is not None

    def ask_settings(self) -> RecordingSettings | None:
        """The dialog's answer (tests replace this)."""
        dialog = RecordDialog(self._config().steps, self.window)
        return dialog.settings() if dialog.exec_() == QDialog.Accepted else None

    def ask_and_record(self) -> None:
        if self.recording:
            self.banner.show_message("A recording is under way: wait for it, or cancel it.",
                                     "info", seconds=8)
            return
        settings = self.ask_settings()
        if settings is not None:
            self.start(settings)

    def start(self, settings: RecordingSettings) -> bool:
        """Ask the worker for the frames; False, with the reason shown, if the settings are bad."""
        spec, self._label = self._compare()
        try:
            animation_kind(settings.path)
            self._count = check_frames(settings.steps, settings.every)
            self._writer = AnimationWriter(settings.path, settings.fps)
        except DropvizError as error:
            self.banner.show_message(f"Record: {error}.", "error")
            return False
        remember_folder(settings.path.parent)
        self._settings = settings
        self._frames = queue.Queue(QUEUE_FRAMES)
        self._job_done = False
        config = self._config()
        work = record_work(config, spec, settings.steps, settings.every, self._frames)
        self.handle.sigRunJob.emit(JobRequest(KIND, "the recording", work, needs_trainer=False))
        self.progress.setRange(0, self._count)
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        self._timer.start()
        return True

    def cancel(self) -> None:
        self.handle.sigCancelJob.emit()
        self._stop("Recording cancelled: no file was written.", "info")

    def discard(self) -> None:
        """On closing the window: no file, no message."""
        if self.recording:
            self.handle.sigCancelJob.emit()
            self._stop("", "info")

    def _poll(self) -> None:
        """Draw and write one frame that arrived, so the window answers between two frames;
        finish once the job is done and every frame is in."""
        try:
            kind, item = self._frames.get_nowait()
            if kind == "info":
                self._started(item)
            else:
                self._frame(item)
        except queue.Empty:
            pass
        except DropvizError as error:
            self.handle.sigCancelJob.emit()
            self._stop(f"Recording failed: {error}", "error")
            return
        if self._job_done and self._writer is not None and self._frames.empty():
            self._finish()

    def _started(self, info: RunInfo) -> None:
        self._renderer = FrameRenderer(info, self._settings.view, compare_label=self._label)

    def _frame(self, snapshot: Snapshot) -> None:
        writer, renderer = self._writer, self._renderer
        if writer is None or renderer is None:
            return
        frame = renderer.frame(snapshot)
        if self._writer is writer:  # not cancelled while the frame was drawn
            writer.append(frame)
            self.progress.setValue(writer.frames)

    def _job_result(self, kind: str, _result: object) -> None:
        if kind == KIND:
            self._job_done = True

    def _job_stopped(self, kind: str, message: str) -> None:
        if kind == KIND and self.recording:
            self._stop(f"Recording failed: {message}" if message
                       else "Recording cancelled: no file was written.",
                       "error" if message else "info")

    def _finish(self) -> None:
        writer = self._writer
        try:
            recorded = writer.finish()
        except DropvizError as error:
            self._writer = None
            self._stop(f"Recording failed: {error}", "error")
            return
        self._writer = None
        self._stop(f"Recorded {recorded.frames} frames ({recorded.seconds:.1f} s) to "
                   f"{recorded.path}.", "info")

    def _stop(self, text: str, kind: str) -> None:
        """Whatever happened, the recording ends here: the partial file goes, the frames stop."""
        self._timer.stop()
        if self._writer is not None:
            self._writer.abort()
            self._writer = None
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
        self.progress.hide()
        self.cancel_button.hide()
        if text:
            self.banner.show_message(text, kind, seconds=15 if kind == "info" else None)
