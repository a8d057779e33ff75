"""The check that replaces Qt's xcb abort with the one install line that fixes it."""

from dropviz import platform_check


def test_missing_xcb_libraries_give_the_install_line(monkeypatch):
    monkeypatch.setattr(platform_check.sys, "platform", "linux")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(platform_check.ctypes.util, "find_library",
                        lambda name: None if name in ("xcb-icccm", "xkbcommon-x11") else "lib.so")
    message = platform_check.qt_platform_problem()
    assert "libxcb-icccm, libxkbcommon-x11" in message
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1" in message


def test_no_display_points_to_headless(monkeypatch):
    monkeypatch.setattr(platform_check.sys, "platform", "linux")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    assert "--headless" in platform_check.qt_platform_problem()


def test_offscreen_and_present_libraries_pass(monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert platform_check.qt_platform_problem() is None
    monkeypatch.delenv("QT_QPA_PLATFORM")
    monkeypatch.setattr(platform_check.sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(platform_check.ctypes.util, "find_library", lambda name: "lib.so")
    assert platform_check.qt_platform_problem() is None
