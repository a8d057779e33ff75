"""What the window remembers between sessions: the last settings, its geometry, recent experiments.

Stored with QSettings as an INI file in the user's configuration folder; tests point that folder
elsewhere with `QSettings.setPath`. Values are stored as JSON text rather than as Qt lists, whose
round trip through INI files turns a one-element list into a string. Whatever is read back is
checked: a stored config that no longer loads is set aside with a note, never an error at start.
"""

from __future__ import annotations

import json
from pathlib import Path

from PyQt5.QtCore import QByteArray, QRect, QSettings
from PyQt5.QtWidgets import QApplication, QMainWindow, QWidget

from dropviz.model.config import CSV_DATASET, Config
from dropviz.model.errors import DropvizError

ORGANISATION = "dropviz"
APPLICATION = "dropviz"
RECENT_LIMIT = 5


def app_settings() -> QSettings:
    return QSettings(QSettings.IniFormat, QSettings.UserScope, ORGANISATION, APPLICATION)


def stored_config() -> tuple[Config | None, str]:
    """The config of the last session, or None and, if one was stored, why it is not used."""
    text = app_settings().value("config", "", type=str)
    if not text:
        return None, ""
    try:
        config = Config.from_json(text)
    except DropvizError as error:
        return None, (f"The settings of the last session were not used ({error}): starting "
                      "with the defaults.")
    csv_path = config.dataset.csv_path
    if config.dataset.name == CSV_DATASET and not (csv_path and Path(csv_path).is_file()):
        return None, (f"The CSV file of the last session ({csv_path}) is gone: starting with the "
                      "defaults.")
    return config, ""


def remember_config(config: Config) -> None:
    app_settings().setValue("config", config.to_json())


def remember_window(window: QMainWindow) -> None:
    settings = app_settings()
    settings.setValue("window/geometry", window.saveGeometry())
    settings.setValue("window/state", window.saveState())


def restore_window(window: QMainWindow) -> None:
    """Where and how large the window was, within the screen it opens on; nothing happens if
    nothing was stored."""
    settings = app_settings()
    geometry = settings.value("window/geometry", QByteArray(), type=QByteArray)
    state = settings.value("window/state", QByteArray(), type=QByteArray)
    if not geometry.isEmpty():
        window.restoreGeometry(geometry)
        clamp_to_screen(window)
    if not state.isEmpty():
        window.restoreState(state)


def clamped(frame: QRect, available: QRect) -> QRect:
    """`frame` made no larger than `available` and moved inside it, as little as it takes."""
    width, height = min(frame.width(), available.width()), min(frame.height(), available.height())
    left = min(max(frame.left(), available.left()), available.left() + available.width() - width)
    top = min(max(frame.top(), available.top()), available.top() + available.height() - height)
    return QRect(left, top, width, height)


def clamp_to_screen(window: QWidget) -> None:
    """Keep a normal window on the screen it opens on (the one under its centre, else the
    primary). A size remembered from a larger screen ran off a 1280x720 projector's edges, and
    Qt restores it as it was; full screen and maximised windows fit by themselves."""
    if window.isFullScreen() or window.isMaximized():
        return
    frame = window.frameGeometry()
    screen = QApplication.screenAt(frame.center()) or QApplication.primaryScreen()
    available = screen.availableGeometry()
    inner = window.geometry()
    # The frame (title bar, borders) is what must fit; the window is sized without it.
    border_w, border_h = frame.width() - inner.width(), frame.height() - inner.height()
    fitted = clamped(frame, available)
    window.resize(fitted.width() - border_w, fitted.height() - border_h)
    window.move(fitted.topLeft())


def recent_experiments() -> list[str]:
    """Newest first; an unreadable list is an empty one."""
    try:
        paths = json.loads(app_settings().value("recent", "[]", type=str))
    except json.JSONDecodeError:
        return []
    if not isinstance(paths, list):
        return []
    return [path for path in paths if isinstance(path, str)][:RECENT_LIMIT]


def _store_recent(paths: list[str]) -> None:
    app_settings().setValue("recent", json.dumps(paths[:RECENT_LIMIT]))


def add_recent(path: str | Path) -> None:
    path = str(Path(path).resolve())
    _store_recent([path, *(known for known in recent_experiments() if known != path)])


def remove_recent(path: str | Path) -> None:
    path = str(Path(path).resolve())
    _store_recent([known for known in recent_experiments() if known != path])


def last_folder() -> Path:
    """Where the last file was saved or opened: file dialogs start there."""
    folder = Path(app_settings().value("folder", str(Path.home()), type=str))
    return folder if folder.is_dir() else Path.home()


def remember_folder(folder: str | Path) -> None:
    app_settings().setValue("folder", str(folder))
