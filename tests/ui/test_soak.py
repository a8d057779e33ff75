"""Random user actions on a training window, and closing the window at any moment.

Every other window test drives one feature from a quiet window. Users do not: they press Space
while a network compiles, drag a slider during an export, close the window in the middle of a
sweep. The soak draws a seeded sequence of such actions, checks every snapshot as it arrives, and
at checkpoints pauses and checks that what trains is what the controls show, down to replaying
the run headlessly. The closing tests close at the moments that hold work in flight.
scripts/window_soak.py runs the same driver for minutes and measures memory.
"""

from __future__ import annotations

import signal
import threading

import pytest
from closing_moments import (
    _close_during_a_sweep,
    _close_during_an_export,
    _close_while_compiling,
    _close_while_training,
    run_app_until_signal,
)
from PyQt5.QtTest import QTest
from soak_checks import Caught, close_and_check, folder_problems, wait_until
from soak_driver import CHECK_EVERY, Soak, run_and_close

SOAK_SEED = 7
SOAK_ACTIONS = 180


def test_random_actions_keep_the_window_consistent(make_window, pool, tmp_path):
    with Caught() as caught:
        soak = Soak(make_window(), pool, SOAK_SEED, tmp_path)
        run_and_close(soak, SOAK_ACTIONS)
    assert not caught.errors, "\n".join(caught.errors)
    assert sum(soak.done.values()) == SOAK_ACTIONS
    assert soak.checks["checkpoints"] == SOAK_ACTIONS // CHECK_EVERY + 2
    assert soak.checks["runs replayed headlessly"] >= 1
    assert soak.checks["layers with a plausible dropped share"] >= 1
    assert soak.log.runs > 1 and soak.log.snapshots > 100
    assert not folder_problems(tmp_path), folder_problems(tmp_path)


@pytest.mark.parametrize("moment", [_close_while_compiling, _close_while_training,
                                    _close_during_a_sweep, _close_during_an_export],
                         ids=["compiling", "training", "sweep", "export"])
def test_closing_at_any_moment(make_window, tmp_path, moment):
    with Caught() as caught:
        window = make_window()
        window.files.ask_export_folder = lambda: tmp_path / "export"
        moment(window)
        close_and_check(window)
        # Whatever was under way finishes or stops by itself; a job checks for cancelling
        # between two steps.
        wait_until(lambda: not any(t.name.startswith(("dropviz-rate", "dropviz-mc"))
                                   for t in threading.enumerate()), 5000, "the job to stop")
        QTest.qWait(200)  # anything still queued for the closed window
    assert not caught.errors, "\n".join(caught.errors)
    assert not folder_problems(tmp_path / "export"), folder_problems(tmp_path / "export")


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_program_closes_on_a_signal_while_training(tmp_path, number):
    """Found by this test: SIGINT (Ctrl+C) showed "Unexpected error: KeyboardInterrupt" and the
    window stayed; SIGTERM ended the process at once, without remembering the settings."""
    ended = run_app_until_signal(number, "training", tmp_path)
    assert ended["code"] == 0, ended["stderr"][-3000:]
    assert ended["seconds"] < 5
    assert "Traceback" not in ended["stderr"], ended["stderr"][-3000:]
    assert not ended["left"]
    settings = tmp_path / "dropviz" / "dropviz.ini"
    assert settings.is_file(), "closed as when the user closes the window: settings remembered"
