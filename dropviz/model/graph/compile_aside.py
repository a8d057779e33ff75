"""Compile a network's fast functions in a child process, which leaves them in the compile cache.

numba's compiler is Python: compiling on a thread of the window's process held the interpreter
lock for most of 10-50 s, and 300 steps of the quick twin beside it took 47 s instead of 0.4 s
(the GUI thread starves alike). A child process compiles on the other core and writes numba's and
PyTensor's caches; the window's process then builds the same network from them in 1-3 s. The
multi-step call, which the window asks for when training sets the pace, compiles the same way
(`prepare_train_steps`): 25-60 s for a graph numba has not cached.

`python -m dropviz.model.graph.compile_aside '<architecture as JSON>' [train_steps]` is the child.
"""

from __future__ import annotations

import atexit
import dataclasses
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from dropviz.model.graph.architecture import Architecture

# Names the warm-up that compiled every elementary operation of the quick twins (dropviz/warm.py);
# a new operation in the layers' graphs needs a new name, so that the warm-up runs again.
QUICK_OPS_MARK = "dropviz-quick-ops-2"


def _quick_ops_mark() -> Path:
    import pytensor

    return Path(pytensor.config.compiledir) / QUICK_OPS_MARK


def quick_ops_warm() -> bool:
    """True once the warm-up has compiled the quick twins' operations into this compile cache.

    Without it a quick twin compiles C code for each operation it is the first to use: 30-60 s on
    a fresh machine, longer than the fast network's own compile, so a quick start is no start.
    """
    return _quick_ops_mark().exists()


def mark_quick_ops_warm() -> None:
    mark = _quick_ops_mark()
    mark.parent.mkdir(parents=True, exist_ok=True)
    mark.touch()


# The architectures whose fast functions this compile cache holds, as dropviz built them: numba's
# cache key leaves out widths, so an architecture counts here by its depth, not its widths. Each
# entry names its part: the network (training step and prediction) or its multi-step call. A new
# name when the graphs change, as numba's cache then holds none of them.
FAST_INDEX = "dropviz-fast-networks-2.json"
NETWORK, TRAIN_STEPS = "network", "train_steps"


def _fast_key(arch: Architecture, part: str) -> str:
    widthless = dataclasses.replace(arch, hidden_layers=(0,) * len(arch.hidden_layers))
    return f"{part} {architecture_json(widthless)}"


def _fast_index() -> Path:
    import pytensor

    return Path(pytensor.config.compiledir) / FAST_INDEX


def fast_compiled(arch: Architecture, part: str = NETWORK) -> bool:
    """True if this part of a fast network of this graph was built with this cache before: a
    network then loads in about 2 s, sooner than a quick twin would have handed over (5-15 s)."""
    try:
        return _fast_key(arch, part) in json.loads(_fast_index().read_text())
    except (OSError, ValueError):
        return False


def remember_fast(arch: Architecture, part: str = NETWORK) -> None:
    """Add `arch`'s part to the index, written whole and moved in (a lost race loses one entry:
    harmless). The compile folder exists: PyTensor made it to compile the network."""
    index, key = _fast_index(), _fast_key(arch, part)
    try:
        known = set(json.loads(index.read_text()))
    except (OSError, ValueError):
        known = set()
    if key in known:
        return
    written = index.with_name(f"{index.name}.{os.getpid()}.{threading.get_ident()}.part")
    try:
        written.write_text(json.dumps(sorted(known | {key})))
        os.replace(written, index)
    except OSError:  # a read-only cache: the index only spares quick starts, nothing needs it
        written.unlink(missing_ok=True)


def quick_start_helps(arch: Architecture) -> bool:
    """The window's rule: quick-start where the quick ops are warm and the fast one is not."""
    return quick_ops_warm() and not fast_compiled(arch)


def architecture_json(arch: Architecture) -> str:
    return json.dumps(dataclasses.asdict(arch))


def architecture_from_json(text: str) -> Architecture:
    fields = json.loads(text)
    fields["hidden_layers"] = tuple(fields["hidden_layers"])
    return Architecture(**fields)


def compile_in_child(arch: Architecture, part: str = NETWORK) -> None:
    """Compile `arch`'s training and prediction functions, and its multi-step call if `part` is
    TRAIN_STEPS, in a child process; raises RuntimeError with the child's last line of errors if
    it fails.

    A child must not compile on for a window that is gone: the parent ends its children as it
    exits (`end_children`), and should it be killed instead, the child's stdin, a pipe the parent
    never writes to, closes, and the child ends itself (`_exit_with_parent`).
    """
    with _children_lock:
        if _closing.is_set():  # e.g. a baseline's build that waited for the run's: no new child
            raise RuntimeError("the program is closing")
        child = subprocess.Popen([sys.executable, "-m", "dropviz.model.graph.compile_aside",
                                  architecture_json(arch), part], stdin=subprocess.PIPE,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        _children.add(child)
    try:
        errors = child.stderr.read()
        child.wait()
    finally:
        with _children_lock:
            _children.discard(child)
    child.stdin.close()
    child.stderr.close()
    if child.returncode != 0:
        lines = errors.strip().splitlines() or [f"exit status {child.returncode}"]
        what = "the multi-step call" if part == TRAIN_STEPS else "the fast network"
        raise RuntimeError(f"compiling {what} failed: {lines[-1]}")


_children: set[subprocess.Popen] = set()
_children_lock = threading.Lock()
_closing = threading.Event()


@atexit.register
def end_children() -> None:
    """Kill and reap the compile children still running (a zombie would outlive us otherwise)."""
    with _children_lock:
        _closing.set()
        children = list(_children)
    for child in children:
        child.kill()
        child.wait()


def _exit_with_parent() -> None:
    """End this process when stdin reaches its end: the parent closed it or has ended."""
    def watch() -> None:
        sys.stdin.read()
        os._exit(3)

    threading.Thread(target=watch, name="dropviz-parent-watch", daemon=True).start()


def compile_network(arch: Architecture, part: str = NETWORK) -> None:
    """Build the network once on one row of zeros: its functions compile and are cached."""
    from dropviz.model.graph.network import DropoutNetwork

    network = DropoutNetwork(arch, np.zeros((1, arch.n_inputs), dtype=np.float32),
                             np.zeros(1, dtype=np.int32))
    remember_fast(arch)
    if part == TRAIN_STEPS:
        network.prepare_train_steps()
        remember_fast(arch, TRAIN_STEPS)


def compile_first(arch: Architecture, part: str = NETWORK) -> None:
    """Compile `arch`'s part in a child unless the index says numba's cache has it; a child that
    fails leaves the compile to this process, as before. Raises RuntimeError only when closing."""
    if fast_compiled(arch, part):
        return
    try:
        compile_in_child(arch, part)
    except RuntimeError:
        if _closing.is_set():
            raise


class Preparable(Protocol):
    """What `prepare_train_steps` needs of a network: a DropoutNetwork or a QuickStartNetwork."""

    arch: Architecture

    @property
    def train_steps_ready(self) -> bool: ...

    def prepare_train_steps(self) -> None: ...


def prepare_train_steps(network: Preparable) -> None:
    """`network.prepare_train_steps()`, its compile done in a child first unless numba has it.

    In the window's process numba's compile held the interpreter lock for most of 25-60 s (the
    window's frames and the training beside it crawled); from the cache the call builds in a few
    seconds.
    """
    if network.train_steps_ready:
        return
    try:
        compile_first(network.arch, TRAIN_STEPS)
    except RuntimeError:  # closing: nothing more to compile
        return
    network.prepare_train_steps()
    remember_fast(network.arch, TRAIN_STEPS)


def main() -> None:
    _exit_with_parent()
    try:
        compile_network(architecture_from_json(sys.argv[1]), sys.argv[2])
    except Exception as error:  # one line for the parent, which shows it
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
