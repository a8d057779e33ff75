"""Warm the compile caches once, so that any network the window builds trains within about a second.

A network new to the session starts on its quick twin (model/graph/quick_start.py): PyTensor's C
backend without graph rewrites, whose code is cached per elementary operation, not per graph. The
twin is ready in 0.5-1.4 s when every operation it uses was compiled before, and 3-17 s when one
was not (the first gaussian dropout, batch norm, GRU...); a first-ever twin, on an empty cache,
took 57 s. Unrewritten graphs are made of the same operations whatever the depth, widths or
combination, so compiling a few networks that together use all of them covers every other one.

Which networks: every pair of values of the settings that fix the graph (model, activation,
optimizer, binary or multi-class output, dropout kind, how masks apply, batch norm, depth, and a
recurrent model's row shape and size constants, see ROW_SHAPES and RECURRENT_UNITS) occurs in at
least one MLP and, where a recurrent model takes it, in one recurrent model, among the combinations
`Config` accepts (`covering_set`: 29 networks of 1,386). A value the graph does not read (a
recurrent model's activation, the apply mode of Gaussian noise) stands for no pair. Checked: after
warming an empty folder, 15 other networks (real datasets and widths, 1 to 6 layers, GRUs and RNNs
on rows of 8 x 8, 16 x 1, 1 x 2 and 1 x 200, 200 units) compiled no new C module (BENCHMARKS.md,
benchmarks/quick_start.py). Each twin also runs its prediction, its Monte-Carlo pass and a
recurrent net's hidden states, as the window does. The default settings' fast network compiles
too (numba: its step, prediction and multi-step call) and its dataset is cached, so that the
first launch compiles nothing at all.

`python -m dropviz.warm` (`make warm`; `make run` runs it once per virtual environment): about 5
minutes on an empty cache. Running it again compiles nothing and takes about a minute, building
the graphs (a recurrent twin's takes 3-14 s, its shapes inferred through the scans).
"""

from __future__ import annotations

import argparse
import functools
import itertools
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

from dropviz.model.config import (
    ACTIVATIONS,
    BATCH_NORM_PLACES,
    DROPOUT_KINDS,
    MODELS,
    OPTIMIZERS,
    Config,
    DropoutConfig,
)
from dropviz.model.errors import ConfigError
from dropviz.model.graph.architecture import APPLY_MODES, Architecture
from dropviz.model.graph.compile_aside import TRAIN_STEPS, mark_quick_ops_warm, remember_fast

# Output classes: two (one sigmoid unit) and more (softmax) build different output operations.
CLASS_COUNTS = (2, 3)
DEPTHS = (1, 2, 3)  # the first hidden layer, one after it, and one between two
# Units of a hidden layer: no part of an operation's code. Not 1: a recurrent layer of one unit does
# not build (its scan's start state has an axis that broadcasts, its steps not; quick or fast).
WIDTH = 2
# A recurrent model's rows of 1 time step or of 1 feature a step make an axis of 1 that PyTensor
# knows to broadcast, for which the C backend compiles other code: a GRU on waves (16 steps of 1
# feature) compiled 3-6 new operations when only rows of 2 x 2 had been warmed. An MLP has no such
# axis: its twins compiled nothing new whatever their inputs or widths, 1 included.
# Each shape of axes of 1 is its own factor value, (time steps, features a step): the operations on
# the rows differ by which axes broadcast, and by the dropout kind and optimizer that act on them.
ROW_SHAPES = ((1, 1), (1, 2), (2, 1), (2, 2))
# A recurrent graph holds its sizes as constants (reshapes, a GRU's gate slices): 127 or less is an
# int8, 128 or more an int16, and the C backend casts each dtype with code of its own (a GRU of 64
# units, gates sliced at 128, compiled one new operation when only 2 units had been warmed).
RECURRENT_UNITS = (WIDTH, 128)
ROWS = 8
DEFAULT_NETWORK = "fast network of the default settings"
PARTS = 2  # processes: see _run_parts

# What fixes a graph, each with every value it can take, None where the graph does not read it (see
# `Combination.reads_what_it_holds`). An Architecture's other fields are sizes.
FACTORS: dict[str, tuple] = {
    "model": MODELS,
    "activation": (None, *ACTIVATIONS),
    "optimizer": OPTIMIZERS,
    "n_classes": CLASS_COUNTS,
    "dropout_kind": DROPOUT_KINDS,
    "apply": (None, *APPLY_MODES),
    "batch_norm": BATCH_NORM_PLACES,
    "depth": DEPTHS,
    "rows": (None, *ROW_SHAPES),
    "units": (None, *RECURRENT_UNITS),
}


@dataclass(frozen=True)
class Combination:
    """One value of every factor."""

    model: str
    activation: str | None
    optimizer: str
    n_classes: int
    dropout_kind: str
    apply: str | None
    batch_norm: str
    depth: int
    rows: tuple[int, int] | None  # None for an MLP, as units
    units: int | None

    def pairs(self) -> frozenset[tuple[bool, tuple[str, object], tuple[str, object]]]:
        """Every pair of (factor, value) this combination holds, marked MLP or recurrent: the
        two build their layers differently, so that one never stands for the other in a pair."""
        mlp = self.model == "mlp"
        return frozenset((mlp, *pair) for pair in itertools.combinations(vars(self).items(), 2))

    def reads_what_it_holds(self) -> bool:
        """A factor has a value exactly where the graph reads it, so that a combination never
        stands for a pair of values whose operations it does not build: a recurrent model's cells
        and output ignore the activation, a Gaussian factor is multiplied in (no mask to apply by
        product or switch), and an MLP's rows are no sequence and its widths no constants."""
        mlp = self.model == "mlp"
        return ((self.activation is not None) == mlp
                and (self.apply is None) == (self.dropout_kind == "gaussian")
                and (self.rows is None) == mlp and (self.units is None) == mlp)

    def accepted(self) -> bool:
        """True if it reads what it holds and `Config` accepts it (a recurrent model refuses
        batch norm and dropconnect)."""
        return self.reads_what_it_holds() and _config_accepts(
            self.model, self.activation or ACTIVATIONS[0], self.optimizer, self.dropout_kind,
            self.batch_norm, (self.units or WIDTH,) * self.depth)

    def architecture(self) -> Architecture:
        steps, width = self.rows or (1, 2)
        return Architecture(steps * width, (self.units or WIDTH,) * self.depth, self.n_classes,
                            self.activation or ACTIVATIONS[0], self.optimizer,
                            apply=self.apply or APPLY_MODES[0], dropout_kind=self.dropout_kind,
                            batch_norm=self.batch_norm, model=self.model, time_steps=steps)

    def describe(self) -> str:
        parts = [self.model if self.model == "mlp"
                 else f"{self.model} on rows of {self.rows[0]} x {self.rows[1]}",
                 f"{self.depth} layer{'s' if self.depth > 1 else ''}"
                 + (f" of {self.units}" if self.units else ""),
                 *([self.activation] if self.activation else []), self.optimizer,
                 f"{self.n_classes} classes", f"{self.dropout_kind} dropout"
                 + (f" by {self.apply}" if self.apply else ""),
                 *([f"batch norm {self.batch_norm}"] if self.batch_norm != "none" else [])]
        return ", ".join(parts)


@functools.cache
def _config_accepts(model: str, activation: str, optimizer: str, kind: str, batch_norm: str,
                    hidden_layers: tuple[int, ...]) -> bool:
    try:
        Config(hidden_layers=hidden_layers, activation=activation, model=model,
               optimizer=optimizer, batch_norm=batch_norm, dropout=DropoutConfig(kind=kind))
    except ConfigError:
        return False
    return True


def accepted_combinations() -> list[Combination]:
    return [combination for values in itertools.product(*FACTORS.values())
            if (combination := Combination(*values)).accepted()]


@functools.cache
def covering_set() -> tuple[Combination, ...]:
    """Few combinations that hold every pair of values some accepted combination holds.

    Greedy: take the combination holding most pairs not yet held, first in product order on a tie
    (deterministic), until none is left. 87,480 combinations, 1,386 accepted, 29 chosen. A set of
    pairs is an int with a bit per pair, so that this takes a fraction of a second.
    """
    candidates = accepted_combinations()
    bits: dict[tuple, int] = {}
    held = [sum(1 << bits.setdefault(pair, len(bits)) for pair in combination.pairs())
            for combination in candidates]
    missing, chosen = (1 << len(bits)) - 1, []
    while missing:
        best = max(range(len(candidates)), key=lambda index: (held[index] & missing).bit_count())
        chosen.append(candidates[best])
        missing &= ~held[best]
    return tuple(chosen)


def warm_quick_twin(arch: Architecture) -> None:
    """Build the quick twin and call everything the window calls on a network."""
    import numpy as np

    from dropviz.model.graph.network import DropoutNetwork

    X = np.random.default_rng(0).normal(size=(ROWS, arch.n_inputs)).astype(np.float32)
    y = (np.arange(ROWS) % arch.n_classes).astype(np.int32)
    network = DropoutNetwork(arch, X, y, quick=True)
    network.reset(0)
    network.train_step(np.arange(4, dtype=np.int32))
    network.predict(X)
    network.mc_predict(X, 1)
    network.hidden_states(X)


def warm_default_network() -> None:
    """The default settings' fast network, as the first launch builds and trains it; its call of
    many steps is remembered, so the window loads it without a compile child."""
    from dropviz.model.trainer import Trainer

    trainer = Trainer(Config())
    trainer.step()
    trainer.network.prepare_train_steps()
    remember_fast(trainer.network.arch, TRAIN_STEPS)
    trainer.evaluate()


def steps() -> list[tuple[str, Callable[[], None]]]:
    """(what, a call that warms it), in order: the default network first, the longest item."""
    work: list[tuple[str, Callable[[], None]]] = [(DEFAULT_NETWORK, warm_default_network)]
    for combination in covering_set():
        arch = combination.architecture()
        work.append((f"quick twin: {combination.describe()}",
                     lambda arch=arch: warm_quick_twin(arch)))
    return work


class _Parser(argparse.ArgumentParser):
    """A mistake is one line and exit status 2, not argparse's usage dump."""

    def error(self, message: str) -> NoReturn:
        print(f"python -m dropviz.warm: {message}", file=sys.stderr)
        sys.exit(2)


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m dropviz.warm", description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true",
                        help="print what would be compiled, one line each, and compile nothing")
    parser.add_argument("--part", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    work = steps()
    if args.list:
        print("\n".join(what for what, _ in work))
        return 0
    if args.part is not None:  # one of the children below
        return _run(work, args.part)
    return _run_parts()


def _run_parts() -> int:
    """Each part in a child process of its own, all at once.

    Building a twin's graph is Python, compiling it g++ (one module at a time: PyTensor compiles
    under a lock) and numba's compile of the default network Python and LLVM: on two cores two
    processes overlap them. Measured (load 0.5-1.5): 299 s instead of 506 s on an empty cache, and
    65 s instead of 112 s on a warm one, where building the graphs is all there is to do.
    """
    started = time.perf_counter()
    children = [subprocess.Popen([sys.executable, "-m", "dropviz.warm", "--part", str(part)])
                for part in range(PARTS)]
    try:
        statuses = [child.wait() for child in children]
    except KeyboardInterrupt:
        print("python -m dropviz.warm: interrupted; what was compiled stays cached",
              file=sys.stderr)
        return 130
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    if any(statuses):
        return 2
    mark_quick_ops_warm()  # the window's pool quick-starts from now on (see compile_aside.py)
    print(f"warm: done in {time.perf_counter() - started:.0f} s", flush=True)
    return 0


def _run(work: list[tuple[str, Callable[[], None]]], part: int) -> int:
    """Call this part's items (every PARTS-th from `part`): a line of progress each, or one line of
    error and status 2. An interruption says nothing: the parent says it once."""
    for number, (what, call) in enumerate(work, 1):
        if number % PARTS != part % PARTS:
            continue
        began = time.perf_counter()
        try:
            call()
        except KeyboardInterrupt:
            return 130
        except Exception as error:  # one line, the first of the message (a compiler's has many)
            message = (str(error).strip().splitlines() or [""])[0]
            print(f"python -m dropviz.warm: {what}: {type(error).__name__}: {message}",
                  file=sys.stderr)
            return 2
        print(f"[{number}/{len(work)}] {what}: {time.perf_counter() - began:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
