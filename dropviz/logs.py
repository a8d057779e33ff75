"""The window's log file: its errors, kept where the platform keeps logs.

A window started from a desktop menu has no terminal, so a traceback printed to stderr goes nowhere
and a message in the banner is gone once it is dismissed. The app writes both into a small rotating
file: on Linux ~/.local/state/dropviz/log/dropviz.log ($XDG_STATE_HOME), ~/Library/Logs/dropviz on
macOS, %LOCALAPPDATA%\\dropviz\\Logs on Windows; DROPVIZ_LOG_DIR overrides the folder. The folder
and the file are made at the first error, so a session without errors leaves nothing behind, and
a folder that cannot be written costs the log, never the window.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType
from typing import TextIO

from platformdirs import user_log_dir

LOG_DIR_VARIABLE = "DROPVIZ_LOG_DIR"
LOG_FILE = "dropviz.log"
MAX_BYTES = 256 * 1024  # about 2,000 errors with their tracebacks; then the file rotates
BACKUP_COUNT = 3  # dropviz.log.1 ... .3: at most 1 MB in all
LOGGER = logging.getLogger("dropviz.window")
# Without a log file (tests, a notebook) the records go nowhere, not to stderr as Python's last resort.
LOGGER.addHandler(logging.NullHandler())


def log_folder() -> Path:
    explicit = os.environ.get(LOG_DIR_VARIABLE)
    if explicit:
        return Path(explicit)
    return Path(user_log_dir("dropviz", appauthor=False))


class _FolderMakingHandler(RotatingFileHandler):
    """Opens the file, and makes its folder, only when the first record arrives."""

    def _open(self) -> TextIO:
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()

    def handleError(self, record: logging.LogRecord) -> None:
        """A log that cannot be written is dropped quietly: the window goes on either way."""


class _State:
    handler: _FolderMakingHandler | None = None
    previous_sys_hook = sys.__excepthook__
    previous_thread_hook = threading.__excepthook__


def start_window_log() -> Path:
    """Log the window's errors to log_folder()/dropviz.log from now on; returns the file's path.

    Exceptions no code caught are logged too: those that reach sys.excepthook before the window
    has its own hook (which calls log_unexpected), and those of Python threads (threading.excepthook),
    each then handed on to the hook that was there before (a thread's SystemExit is no error).
    """
    stop_window_log()
    path = log_folder() / LOG_FILE
    handler = _FolderMakingHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT,
                                   encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    LOGGER.addHandler(handler)
    _State.handler = handler
    _State.previous_sys_hook, _State.previous_thread_hook = sys.excepthook, threading.excepthook
    sys.excepthook = _sys_hook
    threading.excepthook = _thread_hook
    return path


def stop_window_log() -> None:
    """Close the file and give back the hooks start_window_log replaced (if still in place)."""
    handler, _State.handler = _State.handler, None
    if handler is None:
        return
    LOGGER.removeHandler(handler)
    handler.close()
    if sys.excepthook is _sys_hook:
        sys.excepthook = _State.previous_sys_hook
    if threading.excepthook is _thread_hook:
        threading.excepthook = _State.previous_thread_hook


def log_window_error(text: str) -> None:
    """Record a message the window shows as an error (its banner), as the user saw it."""
    LOGGER.error("shown: %s", text)


def log_unexpected(kind: type[BaseException], error: BaseException,
                   trace: TracebackType | None, where: str = "") -> None:
    """Record an exception that no code caught, with its traceback."""
    LOGGER.error("unexpected error%s: %s: %s", f" in {where}" if where else "", kind.__name__, error,
                 exc_info=(kind, error, trace))


def _sys_hook(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
    log_unexpected(kind, error, trace)
    _State.previous_sys_hook(kind, error, trace)


def _thread_hook(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None and not issubclass(args.exc_type, SystemExit):
        name = args.thread.name if args.thread is not None else "a thread"
        log_unexpected(args.exc_type, args.exc_value, args.exc_traceback, f"thread {name}")
    _State.previous_thread_hook(args)
