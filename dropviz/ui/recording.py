"""Animations for slides: a run's frames drawn offscreen and written as an animated GIF or an MP4.

The views of the list (views/registry.py) draw each frame's snapshot through the view protocol,
as in the window, in a widget that is laid out and painted but never shown on a screen
(Qt.WA_DontShowOnScreen), so the command line records with no display at all (the offscreen
platform, see plot_export.offscreen_application). A header above the views burns in the step,
the data and the run's dropout, so a frame on a slide says what it shows.

imageio writes the file: GIFs through Pillow, MP4 (H.264) through the ffmpeg that imageio-ffmpeg
ships in its wheel. The file is written under a temporary name beside the target and renamed over
it at the end, so a failed or cancelled recording never leaves half an animation. A GIF's frames
wait in memory until the end (Pillow writes them in one go), each reduced to its 256 colours as
it comes: 0.9 MB a frame at FRAME_SIZE rather than 3.7 MB.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PyQt5.QtCore import QEvent, Qt
from PyQt5.QtGui import QFont, QImage
from PyQt5.QtWidgets import QApplication, QGridLayout, QLabel, QVBoxLayout, QWidget

from dropviz.model.errors import ExportError
from dropviz.session.compare import run_label
from dropviz.session.snapshot import RunInfo, Snapshot
from dropviz.ui.style import configure_pyqtgraph
from dropviz.ui.views.registry import BOTTOM, TOP, VIEWS, make_views
from dropviz.ui.views.view import View

KINDS = (".gif", ".mp4")
WINDOW = "window"  # the whole window's views, rather than one of them
FRAME_SIZE = (1280, 720)  # 16:9, and a multiple of 16 both ways, as H.264 wants
DEFAULT_FPS = 10
HEADER_POINTS = 15


@dataclass(frozen=True)
class Recorded:
    path: Path
    frames: int
    seconds: float  # how long the animation plays


def recordable_views() -> tuple[str, ...]:
    """What can be recorded: the window, or one view by its name."""
    return (WINDOW, *(entry.name for entry in VIEWS if entry.exported))


def animation_kind(path: str | Path) -> str:
    """".gif" or ".mp4", from the file's name; ExportError for anything else."""
    kind = Path(path).suffix.lower()
    if kind not in KINDS:
        raise ExportError(f"cannot record an animation as {Path(path).name}: choose a .gif or "
                          ".mp4 file")
    return kind


class FrameRenderer:
    """Views laid out offscreen at a fixed size, drawing one snapshot per frame."""

    def __init__(self, info: RunInfo, view: str = WINDOW, size: tuple[int, int] = FRAME_SIZE,
                 compare_label: str = "") -> None:
        if view not in recordable_views():
            raise ExportError(f"no view {view!r} to record; choose one of "
                              + ", ".join(recordable_views()))
        configure_pyqtgraph()
        self.size = size
        self._info = info
        self._compare = compare_label
        self.views: dict[str, View] = make_views()
        shown = [entry.name for entry in VIEWS if entry.exported] if view == WINDOW else [view]
        if view == WINDOW and compare_label and info.is_2d and not info.config.recurrent:
            # as the window makes room for it
            shown[shown.index("network")] = "baseline_decision"
        if view == WINDOW:  # a recurrent run's hidden states take the decision map's place
            shown.remove("decision" if info.config.recurrent else "states")
        self.widget = QWidget()
        self.widget.setAttribute(Qt.WA_DontShowOnScreen)  # laid out and painted, never shown
        self.widget.setStyleSheet("background: white;")
        self.header = QLabel()
        font = QFont(self.widget.font())
        font.setPointSizeF(HEADER_POINTS)
        self.header.setFont(font)
        self.header.setAlignment(Qt.AlignCenter)
        grid = QGridLayout()
        grid.setSpacing(4)
        columns = {TOP: 0, BOTTOM: 0}
        for entry in VIEWS:
            widget = self.views[entry.name]
            if entry.name not in shown:
                widget.hide()
                continue
            row = 0 if view != WINDOW or entry.row == TOP else 1
            grid.addWidget(widget, row, columns[entry.row])
            columns[entry.row] += 1
        layout = QVBoxLayout(self.widget)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.header)
        layout.addLayout(grid, 1)
        for name in shown:
            widget = self.views[name]
            widget.run_started(info)
            widget.set_compare(compare_label)
        self.widget.resize(*size)
        self.widget.show()

    def frame(self, snapshot: Snapshot) -> np.ndarray:
        """The views after drawing `snapshot`, as (height, width, 3) RGB bytes."""
        for view in self.views.values():
            if not view.isHidden():
                view.draw(snapshot)
        self.header.setText(self._header(snapshot))
        # The layouts settle before painting; only they: in the window, other events (a click on
        # Cancel) must not run in the middle of a frame.
        QApplication.sendPostedEvents(None, QEvent.LayoutRequest)
        image = self.widget.grab().toImage()
        if (image.width(), image.height()) != self.size:  # a high-DPI screen grabs at its scale
            image = image.scaled(*self.size, Qt.IgnoreAspectRatio, Qt.SmoothTransformation)
        return rgb_array(image)

    def _header(self, snapshot: Snapshot) -> str:
        text = (f"<b>step {snapshot.step}</b> &nbsp;·&nbsp; {self._info.dataset_name} "
                f"&nbsp;·&nbsp; {run_label(snapshot.config)}")
        if self._compare and snapshot.baseline_config is not None:
            text += f" &nbsp;(dashed: {self._compare})"
        return text

    def close(self) -> None:
        self.widget.close()
        self.widget.deleteLater()


def rgb_array(image: QImage) -> np.ndarray:
    """A copy of the image's pixels, (height, width, 3) uint8."""
    image = image.convertToFormat(QImage.Format_RGB888)
    width, height = image.width(), image.height()
    bits = image.constBits()
    bits.setsize(image.bytesPerLine() * height)
    rows = np.frombuffer(bits, np.uint8).reshape(height, image.bytesPerLine())
    return rows[:, :width * 3].reshape(height, width, 3).copy()


class AnimationWriter:
    """Frames to a temporary file beside `path`; `finish` renames it into place, `abort`
    removes it."""

    def __init__(self, path: str | Path, fps: float = DEFAULT_FPS) -> None:
        import imageio.v2  # imports of a second, only when recording
        import imageio.v3 as iio

        self.path = Path(path)
        self.kind = animation_kind(path)
        if not 0.5 <= fps <= 60:
            raise ExportError(f"{fps:g} frames per second: choose from 0.5 to 60")
        if not self.path.parent.is_dir():
            raise ExportError(f"cannot record {self.path}: the folder {self.path.parent} "
                              "does not exist")
        self.fps = fps
        self.frames = 0
        self._temporary = self.path.with_name(f".{self.path.stem}.{os.getpid()}.part{self.kind}")
        try:
            if self.kind == ".gif":
                self._file = iio.imopen(self._temporary, "w", plugin="pillow")
            else:
                self._file = imageio.v2.get_writer(
                    self._temporary, format="FFMPEG", mode="I", fps=fps, codec="libx264",
                    pixelformat="yuv420p", macro_block_size=16, ffmpeg_log_level="error")
        except OSError as error:
            raise ExportError(f"cannot record {self.path}: {error}") from None

    def append(self, frame: np.ndarray) -> None:
        try:
            if self.kind == ".gif":
                self._file.write(frame, is_batch=False, duration=1000 / self.fps, loop=0,
                                 bits=8)  # 256 colours now: a quarter of the memory
            else:
                self._file.append_data(frame)
        except (OSError, RuntimeError) as error:
            self.abort()
            raise ExportError(f"cannot record {self.path}: {error}") from None
        self.frames += 1

    def finish(self) -> Recorded:
        """The animation in place, replacing any file of its name."""
        if not self.frames:
            self.abort()
            raise ExportError("a recording needs at least one frame")
        try:
            self._close()
            os.replace(self._temporary, self.path)
        except (OSError, RuntimeError) as error:
            self.abort()
            raise ExportError(f"cannot record {self.path}: {error}") from None
        return Recorded(self.path, self.frames, self.frames / self.fps)

    def abort(self) -> None:
        """Nothing of the recording stays on disk."""
        with contextlib.suppress(OSError, RuntimeError):
            self._close()
        with contextlib.suppress(OSError):
            self._temporary.unlink()

    def _close(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            file.close()


def record(frames: Iterable[Snapshot], info: RunInfo, path: str | Path, count: int,
           view: str = WINDOW, fps: float = DEFAULT_FPS, size: tuple[int, int] = FRAME_SIZE,
           compare_label: str = "",
           progress: Callable[[int, int], None] | None = None) -> Recorded:
    """Draw every snapshot of `frames` (`count` of them, for the progress) and write them to
    `path`. Whatever stops the frames (an error, a cancel) stops the recording: no file is left."""
    writer = AnimationWriter(path, fps)
    renderer = FrameRenderer(info, view, size, compare_label)
    try:
        for snapshot in frames:
            writer.append(renderer.frame(snapshot))
            if progress is not None:
                progress(writer.frames, count)
        return writer.finish()
    except BaseException:
        writer.abort()
        raise
    finally:
        renderer.close()
