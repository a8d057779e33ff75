"""The `dropviz` command: the window without arguments, the command line (dropviz/cli) with them."""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from typing import NoReturn

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


def run(prog: str = "dropviz") -> NoReturn:
    """The program's entry (the `dropviz` command, main.py, `python -m dropviz`): `main`, then the
    process ends with its status without finalizing the interpreter.

    Threads may still be compiling when the program ends (numba compiling a call of many steps, a
    fast network being built: daemon threads nobody waits for), and finalizing under them crashed
    the process now and then: SIGSEGV after the window closed on a signal (the signal soak test,
    under load, several times). The exit handlers still run first (compile children are ended,
    logs flushed), as do the flushes of stdout and stderr.
    """
    status = main(prog=prog)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say there
            stream.flush()
    os._exit(status)
