"""The platform's folders: the dataset cache and the window's log file, each with its override."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from dropviz import logs
from dropviz.logs import (
    LOG_DIR_VARIABLE,
    LOG_FILE,
    log_folder,
    log_unexpected,
    log_window_error,
    start_window_log,
    stop_window_log,
)
from dropviz.model.data.dataset_cache import CACHE_DIR_VARIABLE, cache_folder

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="the XDG folders are Linux's")


@pytest.fixture
def log_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    folder = tmp_path / "logs"
    monkeypatch.setenv(LOG_DIR_VARIABLE, str(folder))
    return folder


@pytest.fixture
def window_log(log_dir: Path) -> Path:
    path = start_window_log()
    yield path
    stop_window_log()


def test_the_cache_folder_follows_dropviz_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_DIR_VARIABLE, str(tmp_path))
    assert cache_folder() == tmp_path / "datasets"


@linux_only
def test_the_cache_folder_stays_where_earlier_versions_kept_it(monkeypatch, tmp_path):
    monkeypatch.delenv(CACHE_DIR_VARIABLE)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_folder() == tmp_path / "xdg" / "dropviz" / "datasets"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_folder() == tmp_path / ".cache" / "dropviz" / "datasets"


def test_the_log_folder_follows_dropviz_log_dir(log_dir):
    assert log_folder() == log_dir


@linux_only
def test_the_log_folder_is_the_xdg_state_folder(monkeypatch, tmp_path):
    monkeypatch.delenv(LOG_DIR_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert log_folder() == tmp_path / "dropviz" / "log"


def test_nothing_is_written_until_an_error_comes(window_log, log_dir):
    assert window_log == log_dir / LOG_FILE
    assert not log_dir.exists()
    log_window_error("Cannot open run.dropviz: not a dropviz file")
    text = window_log.read_text(encoding="utf-8")
    assert "ERROR shown: Cannot open run.dropviz: not a dropviz file" in text


def test_an_exception_nobody_caught_is_logged_with_its_traceback(window_log):
    try:
        raise ValueError("bad shape")
    except ValueError as error:
        log_unexpected(type(error), error, error.__traceback__)
    text = window_log.read_text(encoding="utf-8")
    assert "unexpected error: ValueError: bad shape" in text
    assert "Traceback (most recent call last)" in text and 'raise ValueError("bad shape")' in text


def test_a_thread_s_exception_is_logged_and_handed_on(monkeypatch, log_dir):
    seen = []
    monkeypatch.setattr(threading, "excepthook", seen.append)
    path = start_window_log()
    try:
        thread = threading.Thread(target=lambda: 1 / 0, name="build")
        thread.start()
        thread.join()
        exiting = threading.Thread(target=sys.exit, name="quiet")
        exiting.start()
        exiting.join()
    finally:
        stop_window_log()
    assert threading.excepthook == seen.append  # given back
    assert [args.exc_type for args in seen] == [ZeroDivisionError, SystemExit]
    text = path.read_text(encoding="utf-8")
    assert "unexpected error in thread build: ZeroDivisionError" in text
    assert "quiet" not in text  # a thread's SystemExit is how it ends, not an error


def test_sys_excepthook_is_logged_and_handed_on_until_the_window_sets_its_own(monkeypatch, log_dir):
    seen = []
    monkeypatch.setattr(sys, "excepthook", lambda *info: seen.append(info[0]))
    previous = sys.excepthook
    path = start_window_log()
    try:
        sys.excepthook(KeyError, KeyError("x"), None)
    finally:
        stop_window_log()
    assert sys.excepthook is previous
    assert seen == [KeyError]
    assert "unexpected error: KeyError: 'x'" in path.read_text(encoding="utf-8")


def test_the_window_s_own_hook_shows_and_logs(window_log, capsys):
    from dropviz.ui.app import _show_in

    class Window:
        def __init__(self) -> None:
            self.shown: list[str] = []

        def show_error(self, text: str) -> None:
            self.shown.append(text)

    window = Window()
    _show_in(window)(RuntimeError, RuntimeError("slot failed"), None)
    assert window.shown == ["Unexpected error: RuntimeError: slot failed"]
    assert "unexpected error: RuntimeError: slot failed" in window_log.read_text(encoding="utf-8")
    assert "RuntimeError: slot failed" in capsys.readouterr().err  # the console still has it


def test_the_file_rotates_and_keeps_three_old_ones(window_log):
    for index in range(4 * logs.MAX_BYTES // 1000 + 10):
        log_window_error(f"{index:05d} " + "x" * 1000)
    names = sorted(path.name for path in window_log.parent.iterdir())
    assert names == [LOG_FILE, f"{LOG_FILE}.1", f"{LOG_FILE}.2", f"{LOG_FILE}.3"]
    for path in window_log.parent.iterdir():
        assert path.stat().st_size <= logs.MAX_BYTES


def test_a_folder_that_cannot_be_made_costs_the_log_not_the_caller(monkeypatch, tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv(LOG_DIR_VARIABLE, str(blocker / "logs"))
    start_window_log()
    try:
        log_window_error("still fine")
    finally:
        stop_window_log()
    assert blocker.is_file()


def test_starting_twice_keeps_one_handler(log_dir):
    def files() -> list[logging.Handler]:
        return [handler for handler in logs.LOGGER.handlers if isinstance(handler, logging.FileHandler)]

    start_window_log()
    start_window_log()
    try:
        assert len(files()) == 1
    finally:
        stop_window_log()
    assert not files()


def test_without_a_log_file_an_error_goes_nowhere():
    """Not to stderr either, as Python's last resort would (a fresh interpreter: pytest's own
    logging handlers would hide that)."""
    done = subprocess.run([sys.executable, "-c", "from dropviz.logs import log_window_error; "
                           "log_window_error('no file, no console')"],
                          capture_output=True, text=True, check=True)
    assert done.stderr == ""
