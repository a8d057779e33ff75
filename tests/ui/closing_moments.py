"""The moments that hold work in flight, at which the window or the whole program is closed.

In the window: a compile, training at top speed, a rate sweep, an export. In the real program: the
same moments, reached by a probe in a process of its own and ended by a signal. Used by
tests/ui/test_soak.py and scripts/window_soak.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from PyQt5.QtCore import Qt
from soak_checks import press, wait_until
from ui_helpers import TIMEOUT

from dropviz.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]


# --- in the window -------------------------------------------------------------------------------

def _close_while_compiling(window: MainWindow) -> None:
    box = window.controls.network.layers
    box.setText("7, 5")  # a shape no other test compiles
    box.editingFinished.emit()
    wait_until(lambda: window.banner.text().startswith("Compiling"), TIMEOUT, "the compile")
    assert window.run_info.config.hidden_layers != (7, 5)


def _close_while_training(window: MainWindow) -> None:
    window.transport.speed.setValue(window.transport.speed.maximum())
    press(window, Qt.Key_Space)
    wait_until(lambda: window.last_snapshot.step >= 500, TIMEOUT, "training")


def _close_during_a_sweep(window: MainWindow) -> None:
    panel = window.analysis.rate_sweep
    panel.rates.setText("0, 0.5")
    panel.steps.setValue(50_000)  # most of a minute of work, with progress every second
    panel.run_button.click()
    # The window's sweeps start a local Dask cluster first: worker processes that import dropviz
    # and load its compiled networks, which on a busy machine takes longer than a run's start.
    wait_until(lambda: panel.progress.value() > 0, 4 * TIMEOUT, "the sweep's progress")


def _close_during_an_export(window: MainWindow) -> None:
    press(window, Qt.Key_Space)
    wait_until(lambda: window.last_snapshot.step >= 20, TIMEOUT, "training")
    press(window, Qt.Key_E, Qt.ControlModifier)


# --- the real program ----------------------------------------------------------------------------

# The program as `python main.py` starts it, with a probe that brings it to a moment (a QTimer
# polling the window, so nothing in the app changes) and prints the moment's name once there.
APP_CHILD = """
import sys
from pathlib import Path
from PyQt5.QtCore import QTimer
from PyQt5.QtWidgets import QApplication
from dropviz.app import main
from dropviz.ui.main_window import MainWindow

moment, folder = sys.argv[1], Path(sys.argv[2])
app = QApplication(sys.argv[:1])
told = []


def tell(what):
    told.append(what)
    print(what, flush=True)


def bring(window):
    if moment == "compiling":
        if window.banner.text().startswith("Compiling"):
            tell(moment)
    elif window.last_snapshot is None:
        return
    elif moment == "training":
        if not window.transport.is_playing():
            window.transport.play_action.trigger()
        elif window.last_snapshot.step >= 50:
            tell(moment)
    elif moment == "export":
        window.files.ask_export_folder = lambda: folder
        window.files.export_action.trigger()
        tell(moment)
    elif moment == "sweep":
        panel = window.analysis.rate_sweep
        if not panel.is_running():
            panel.steps.setValue(50000)
            panel.run_button.click()
        elif panel.progress.value() > 0:
            tell(moment)


def poll():
    windows = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow)]
    if windows and not told:
        bring(windows[0])


timer = QTimer()
timer.timeout.connect(poll)
timer.start(20)
sys.exit(main([]))
"""
APP_MOMENTS = ("compiling", "training", "sweep", "export")


def processes_in_group(group: int) -> list[str]:
    """The processes of a session, by name: a program's children stay in the group it started."""
    names = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == group:
                    names.append((entry / "comm").read_text().strip())
            except OSError:
                continue
    return names


def run_app_until_signal(number: int, moment: str, home: Path, env: dict[str, str] | None = None,
                         timeout: float = 300) -> dict:
    """Start the program in a session of its own, bring it to `moment`, send `number`.

    Returns the exit status, the seconds from the signal to the exit, stderr, the processes of
    the session left a second after the exit, and the files left in `home`/export.
    """
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(home), **(env or {}))
    folder = home / "export"
    child = subprocess.Popen([sys.executable, "-c", APP_CHILD, moment, str(folder)], cwd=ROOT,
                             env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True)
    watchdog = threading.Timer(timeout, child.kill)
    watchdog.start()
    try:
        line = child.stdout.readline().strip()
        watchdog.cancel()
        assert line == moment, f"the program never got to {moment}: {child.communicate()[1]}"
        started = time.monotonic()
        child.send_signal(number)
        _, err = child.communicate(timeout=10)
        seconds = time.monotonic() - started
        time.sleep(0.3)  # for a child the program left behind to show up in /proc
        return {"code": child.returncode, "seconds": seconds, "stderr": err,
                "left": processes_in_group(child.pid),
                "files": sorted(path.name for path in folder.glob("*"))}
    finally:
        watchdog.cancel()
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
