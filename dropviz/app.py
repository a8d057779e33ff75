"""The `dropviz` command: the window without arguments, the command line (dropviz/cli) with them."""

from __future__ import annotations

import sys

from dropviz.launch import open_window
from dropviz.process import keep_freed_memory


def main(argv: list[str] | None = None, prog: str = "dropviz") -> int:
    """The exit status; `prog` names the program in the help as the user started it."""
    args = sys.argv[1:] if argv is None else argv
    keep_freed_memory()
    if not args:
        return open_window()
    # The command line parses before it imports PyTensor and scikit-learn (1.5 s), so its help
    # and its usage errors are instant; the window loads them on its build thread instead.
    from dropviz.cli.main import main as cli_main

    return cli_main(args, prog)
