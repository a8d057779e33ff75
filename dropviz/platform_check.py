"""Say before Qt starts what a Linux desktop lacks, instead of Qt's abort about the xcb plugin."""

from __future__ import annotations

import ctypes.util
import os
import sys

# Shared library name (as ldconfig knows it) -> the Debian/Ubuntu package that provides it.
XCB_LIBRARIES = {
    "xcb-icccm": "libxcb-icccm4",
    "xcb-keysyms": "libxcb-keysyms1",
    "xcb-xinerama": "libxcb-xinerama0",
    "xcb-image": "libxcb-image0",
    "xcb-render-util": "libxcb-render-util0",
    "xcb-xkb": "libxcb-xkb1",
    "xkbcommon-x11": "libxkbcommon-x11-0",
}


def qt_platform_problem() -> str | None:
    """A message naming the fix when the window cannot open here, else None."""
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if not sys.platform.startswith("linux") or (platform and not platform.startswith("xcb")):
        return None
    if not os.environ.get("DISPLAY"):
        return ("no display: run dropviz in a desktop session (DISPLAY is not set), "
                "or train without a window: python main.py --headless --help")
    missing = [lib for lib in XCB_LIBRARIES if ctypes.util.find_library(lib) is None]
    if missing:
        return ("the window needs system libraries that are missing ("
                + ", ".join(f"lib{lib}" for lib in missing) + "); install them with:\n"
                "  sudo apt-get install " + " ".join(XCB_LIBRARIES.values()))
    return None
