"""What the parts of scripts/window_soak.py share: their sizes, and the fresh processes they run in.

Each window part runs in a fresh process (this script again, with a hidden option), so the memory
it reports is its own; there an offscreen application holds one window at a time.
scripts/window_hostile_soak.py opens its window the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from child_runs import json_lines_of
from PyQt5.QtCore import QSettings
from PyQt5.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "window_soak.py"


@dataclass(frozen=True)
class Mode:
    soak_seconds: float
    long_steps: int
    sample_every: int
    long_seconds: float  # the long run stops here, whatever its step, and says so


FULL = Mode(soak_seconds=180, long_steps=200_000, sample_every=10_000, long_seconds=600)
QUICK = Mode(soak_seconds=30, long_steps=20_000, sample_every=2_000, long_seconds=120)


def emit(**values: object) -> None:
    print(json.dumps(values), flush=True)


def run_child(*args: str, timeout: float = 3600) -> list[dict]:
    """Run the soak script in a fresh process and read the JSON lines it prints."""
    return json_lines_of(SCRIPT, args, timeout)


_apps: list[object] = []  # an application (or collector) nobody holds would be deleted at once


def window_app(folder: Path) -> None:
    """An offscreen application whose settings stay in `folder`, never in the user's."""
    if QApplication.instance() is None:
        from dropviz.ui.garbage import GuiGarbageCollector

        _apps.append(QApplication(["dropviz-soak"]))
        _apps.append(GuiGarbageCollector())
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(folder / "settings"))


def open_window(config: object, pool: object) -> object:
    """A shown window at step 0 of its run, as the tests' make_window makes it."""
    from soak_checks import wait_until

    from dropviz.ui.main_window import MainWindow

    window = MainWindow(config, pool=pool)
    window.resize(1400, 900)
    window.show()
    window.activateWindow()
    wait_until(lambda: window.last_snapshot is not None, 300_000, "the first snapshot")
    return window
