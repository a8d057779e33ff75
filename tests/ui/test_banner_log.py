"""An error the window shows is also in the log file: a desktop launch has no terminal to read."""

from dropviz.logs import LOG_DIR_VARIABLE, LOG_FILE, start_window_log, stop_window_log
from dropviz.ui.banner import Banner


def test_an_error_banner_is_written_to_the_log_and_news_is_not(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv(LOG_DIR_VARIABLE, str(tmp_path))
    banner = Banner()
    qtbot.addWidget(banner)
    path = start_window_log()
    try:
        banner.show_message("Opened run.dropviz at step 40.", "info")
        banner.show_message("Saving failed: the disk is full", "error")
    finally:
        stop_window_log()
    assert path == tmp_path / LOG_FILE
    text = path.read_text(encoding="utf-8")
    assert "shown: Saving failed: the disk is full" in text
    assert "Opened run.dropviz" not in text
