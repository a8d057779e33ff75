"""The `dropviz` command: the window by default, the headless trainer with --headless."""

from __future__ import annotations

import sys

from dropviz.platform_check import qt_platform_problem
from dropviz.process import keep_freed_memory


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    keep_freed_memory()
    if "--headless" in args:
        # Imported only here: the CLI loads PyTensor and scikit-learn (1.5 s), which the window
        # loads on its build thread while it is already showing.
        from dropviz import cli

        return cli.main([arg for arg in args if arg != "--headless"])
    problem = qt_platform_problem()
    if problem:
        print(f"dropviz: {problem}", file=sys.stderr)
        return 1
    from dropviz.ui.app import run_app

    return run_app()
