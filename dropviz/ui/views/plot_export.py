"""Every plot as a PNG and an SVG, from the window or from a run with no window at all.

pyqtgraph's exporters draw a view's whole scene, title and axes included, at the size it has on
screen; PNGs are drawn at PNG_SCALE times that, sharp enough for a slide. Images are rendered to
bytes first and written to a temporary name that is renamed over the real one, so a failed export
never leaves half an image. Rendering paints widgets, so it runs on the GUI thread only.
Without a window, the views of the list (registry.py) draw a run's RunInfo and Snapshot through
the same protocol (view.py) as in the window.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pyqtgraph as pg
from PyQt5.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QMessageLogContext,
    Qt,
    QtMsgType,
    qInstallMessageHandler,
)
from PyQt5.QtGui import QImage, QPixmap
from PyQt5.QtWidgets import QApplication, QSplitter, QWidget
from pyqtgraph.exporters import ImageExporter, SVGExporter

from dropviz.model.errors import ExportError
from dropviz.model.files import write_bytes_atomic
from dropviz.session.run import Run
from dropviz.session.snapshot import with_states
from dropviz.ui.style import configure_pyqtgraph
from dropviz.ui.views.registry import PLOT_NAMES, make_views
from dropviz.ui.views.view import View

FORMATS = ("png", "svg")
WINDOW_FILE = "window.png"
PNG_SCALE = 2
OFFSCREEN_SIZE = (900, 600)  # pixels of each view drawn without a window, before PNG_SCALE

_app: QApplication | None = None  # the application made for offscreen export, kept alive


def plot_file_names() -> list[str]:
    """Every file a full plot export may write, for asking before any is replaced."""
    return [f"{name}.{kind}" for name in PLOT_NAMES for kind in FORMATS]


def graphics_view(views: Mapping[str, View], name: str) -> pg.GraphicsView:
    """The pyqtgraph widget drawing the plot `name` (the decision map's sits in a stack)."""
    return views[name].plot_widget()


def shown_plots(views: Mapping[str, View]) -> dict[str, pg.GraphicsView]:
    """The plots there are to export: those with a plot now (no decision map unless the data is
    2-D) and not hidden, like the thinned network while the baseline's map has taken its place:
    hidden in its splitter, it has no size to be drawn at, and the run's other plots must not
    fail with it."""
    return {name: graphics_view(views, name) for name in PLOT_NAMES
            if views[name].has_plot() and not views[name].isHidden()}


def _check_size(view: pg.GraphicsView) -> None:
    if view.width() < 1 or view.height() < 1:
        raise ExportError("a plot folded away to nothing cannot be drawn: drag its splitter open "
                          "and export again")


def png_image(view: pg.GraphicsView, scale: float = PNG_SCALE) -> QImage:
    """The view's scene drawn `scale` times its size on screen."""
    _check_size(view)
    exporter = ImageExporter(view.scene())
    params = exporter.parameters()
    # Each size left alone would set the other from the aspect ratio, rounding it off by a pixel.
    params.param("width").setValue(round(view.width() * scale), blockSignal=exporter.widthChanged)
    params.param("height").setValue(round(view.height() * scale),
                                    blockSignal=exporter.heightChanged)
    return exporter.export(toBytes=True)


def png_bytes(image: QImage | QPixmap) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise ExportError("the PNG encoder refused the image")
    return bytes(data)


def svg_bytes(view: pg.GraphicsView) -> bytes:
    """The view as SVG, with its size on screen as the document's size, which slides use."""
    _check_size(view)
    exporter = SVGExporter(view.scene())
    exporter.parameters()["width"] = view.width()
    exporter.parameters()["height"] = view.height()
    text = exporter.export(toBytes=True)
    size = f'<svg width="{view.width()}px" height="{view.height()}px" '
    return text.replace(b"<svg ", size.encode(), 1)


def write_view(view: pg.GraphicsView, path: str | Path) -> Path:
    """One plot to a .png or .svg file, by the file's suffix."""
    path = Path(path)
    kind = path.suffix.lower().lstrip(".")
    if kind not in FORMATS:
        raise ExportError(f"cannot export a plot as {path.name}: choose a .png or .svg file")
    write_bytes_atomic(path, png_bytes(png_image(view)) if kind == "png" else svg_bytes(view))
    return path


def write_plots(views: Mapping[str, View], folder: str | Path,
                progress: Callable[[int, int], None] | None = None) -> list[Path]:
    """Every shown plot as PNG and SVG; `progress(done, total)` after each file."""
    folder = Path(folder)
    plots = shown_plots(views)
    for view in plots.values():
        _lay_out(view)
    jobs = [(view, folder / f"{name}.{kind}") for name, view in plots.items() for kind in FORMATS]
    written = []
    for done, (view, path) in enumerate(jobs, start=1):
        written.append(write_view(view, path))
        if progress is not None:
            progress(done, len(jobs))
    return written


def _lay_out(view: QWidget) -> None:
    """Give a view the size its splitter means it to have, now.

    A view shown again (the thinned network, when a comparison ends) keeps the zero width its
    splitter gave it while hidden until the splitter's events come round, and for as long as an
    analysis tab hides the Training tab; the worker's answer that asks for the plots may come
    first. A splitter dragged shut by the user stays shut.
    """
    holder = view.parentWidget()
    while holder is not None and not isinstance(holder, QSplitter):
        holder = holder.parentWidget()
    if holder is not None:
        holder.refresh()


def write_window(widget: QWidget, path: str | Path) -> Path:
    """What the window looks like, as on screen: for a slide about the tool itself."""
    path = Path(path)
    write_bytes_atomic(path, png_bytes(widget.grab()))
    return path


# --- without a window -----------------------------------------------------------------------

def offscreen_application() -> QApplication:
    """The running application, or one on the offscreen platform, which needs no display.

    An application made here keeps Qt's warnings about that platform (it cannot resize windows
    it never shows) off the headless trainer's output; errors still get through.
    """
    global _app
    app = QApplication.instance()
    if app is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        qInstallMessageHandler(_errors_only)
        _app = app = QApplication(["dropviz"])
    return app


def _errors_only(kind: QtMsgType, _context: QMessageLogContext, text: str) -> None:
    if kind in (QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):
        print(text, file=sys.stderr)


def export_plots_offscreen(folder: str | Path, run: Run,
                           size: tuple[int, int] = OFFSCREEN_SIZE) -> list[Path]:
    """Draw a run's plots without a window and write each as PNG and SVG into `folder`.

    For the headless trainer, which has no worker thread: the run is read on the calling thread,
    at its latest evaluation, which must be of its current step (see `Run.snapshot`). The views
    draw its RunInfo and Snapshot as the window's do. Returns the paths written.
    """
    run.refresh_grid()
    info, snapshot = run.info("export"), with_states(run.snapshot(), run.trainer)
    offscreen_application()
    configure_pyqtgraph()
    views = make_views(exported_only=True)
    for view in views.values():
        view.run_started(info)
        view.draw(snapshot)
    for view in views.values():
        view.setAttribute(Qt.WA_DontShowOnScreen)  # laid out and painted, never on a screen
        view.resize(*size)
        view.show()
    QApplication.processEvents()  # layouts settle on the resize events
    try:
        return write_plots(views, folder)
    finally:
        for view in views.values():
            view.close()
            view.deleteLater()
