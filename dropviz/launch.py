"""Opening the window from a command: the one place that checks the machine can show it first."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dropviz.session.setup_string import Setup


def open_window(setup: Setup | None = None) -> int:
    """The window (on a shared setup, if given), or exit status 1 with the reason when this
    machine cannot show one."""
    from dropviz.platform_check import qt_platform_problem

    problem = qt_platform_problem()
    if problem:
        print(f"dropviz: {problem}", file=sys.stderr)
        return 1
    from dropviz.ui.app import run_app

    return run_app() if setup is None else run_app(setup=setup)
