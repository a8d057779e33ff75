"""PyTensor settings shared by every compiled function: float32, one compile mode, and the fix
that makes that mode fast, applied to dropviz's own graphs only.

float32 halves memory traffic and is what the benchmarks compare against. dropviz is also imported
into notebooks beside a user's own PyTensor or PyMC work, so nothing here changes the process for
them: graphs are built and compiled inside `graph_scope()`, which sets floatX for that block only and
lets the numba DimShuffle below act on what is compiled within it. That DimShuffle was worth more
than a third of a wide network's training speed (BENCHMARKS.md) and leaves results bit for bit the
same; the other process-wide adjustment (glibc's allocator) is in dropviz/process.py, made by the app
and the command line only.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import os
import statistics
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import pytensor

FLOAT = np.float32
# NUMBA runs random draws compiled; the C backend falls back to Python for them (see BENCHMARKS.md).
MODE_NAME = os.environ.get("DROPVIZ_MODE", "NUMBA")

# Products of less than this many FLOP per call always run BLAS on one thread: a second thread
# cannot pay for waking up. Above it, `_ThreadTuner` times one thread against all and keeps the faster.
PARALLEL_BLAS_FLOPS = 50e6

# Salts the numba cache key of our DimShuffle, and so of every graph, so that code compiled by
# PyTensor's own DimShuffle or without releasing the GIL is never taken for ours, or the other way
# round. Change it whenever what this module does to numba changes.
_NUMBA_CACHE_SALT = "dropviz-4: layouts, nogil, in model.graph.backend"


_in_scope = contextvars.ContextVar("dropviz_graph_scope", default=False)
_float32 = {"lock": threading.Lock(), "users": 0, "flags": None}
# PyTensor records where in the user's code each node of a graph was made, for its error messages
# (a stack walk per node): 1.4 of the 5.1 s a quick GRU twin took to build. dropviz's graph errors
# reach the user as one line, never with that trace, so its graphs record none.
_FLAGS = {"floatX": "float32", "traceback__limit": 0}


@contextmanager
def graph_scope() -> Iterator[None]:
    """Build or compile dropviz graphs: float32 by default, and our numba DimShuffle in use.

    floatX is a global PyTensor flag (as is the trace limit, see _FLAGS), so it is float32 from
    the first thread's entry to the last thread's exit (a quick-start network compiles its fast
    twin on a thread while the worker may compile a Monte-Carlo pass: one leaving must not restore
    float64 under the other); the DimShuffle choice follows this thread's context.
    """
    token = _in_scope.set(True)
    _enter_float32()
    try:
        yield
    finally:
        _leave_float32()
        _in_scope.reset(token)


def _enter_float32() -> None:
    with _float32["lock"]:
        if _float32["users"] == 0:
            _float32["flags"] = pytensor.config.change_flags(**_FLAGS)
            _float32["flags"].__enter__()
        _float32["users"] += 1


def _leave_float32() -> None:
    with _float32["lock"]:
        _float32["users"] -= 1
        if _float32["users"] == 0:
            _float32["flags"].__exit__(None, None, None)
            _float32["flags"] = None


def in_graph_scope(method: Callable) -> Callable:
    """A method that builds or compiles graphs runs inside `graph_scope()`."""

    @functools.wraps(method)
    def wrapper(*args: object, **kwargs: object) -> object:
        with graph_scope():
            return method(*args, **kwargs)

    return wrapper


def compile_function(inputs: list, outputs: list, updates: dict | None = None, *,
                     loops: bool = False, quick: bool = False) -> pytensor.compile.Function:
    """Compile with the project's mode; the one place where PyTensor compiles anything.

    Inputs are trusted (no dtype check or conversion on each call, which costs more than a small
    network's arithmetic): every caller passes ndarrays of exactly the declared dtype and rank.
    A graph with `loops` (a scan over time) compiles with the C backend: numba compiles a whole
    graph at once and caches it whole, so a GRU (digits_rows, 37-42 units, a width not seen
    before, idle machine) took 90 s to its first step and 143 s more for the multi-step call, where
    the C backend, which caches each operation's code, took 11 s and 9 s once its operations were
    compiled (89 s and 35 s the first time ever), and ran 100 chunked steps in 0.32-0.39 s against
    numba's 0.47 s. Unrolling the time loop instead of the scan made numba slower still (170 s).
    A `quick` function skips the rewrites and compiles nothing new (see `_quick_mode`).
    """
    mode = _quick_mode() if quick else _loop_mode() if loops else _mode()
    with graph_scope(), _without_blas_notice():
        return pytensor.function(inputs, outputs, updates=updates, mode=mode, trust_input=True)


class _BlasNotice(logging.Filter):
    """PyTensor's C backend says once, as a log line and as a warning, that it found no BLAS to
    link and that its products call numpy's instead: true (numpy's BLAS does the products), and
    nothing a user of dropviz can act on, so the command line does not print either."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "NumPy C-API based implementation" not in record.getMessage()


@contextmanager
def _without_blas_notice() -> Iterator[None]:
    logger, notice = logging.getLogger("pytensor.tensor.blas"), _BlasNotice()
    logger.addFilter(notice)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="PyTensor could not link to a BLAS")
            yield
    finally:
        logger.removeFilter(notice)


@functools.cache
def _quick_mode() -> str | pytensor.compile.Mode:
    """PyTensor's C backend with no graph rewrites: a network ready in about a second.

    What makes a new network slow to start is rewriting its graph (1-4 s for an MLP, idle machine)
    and compiling code for it: numba compiles the whole graph (10-50 s for a combination of depth,
    activation and optimizer not seen before), the C backend each operation not compiled before.
    Unrewritten, a graph is made of the same few elementary operations whatever the combination,
    whose C code is cached once for all (see dropviz/warm.py); a 7-layer network was then ready in
    1.3 s instead of 3.9 s with rewrites, and trained at 700 steps a second (numba: 1,200).
    """
    if MODE_NAME != "NUMBA":
        return MODE_NAME
    from pytensor.compile.mode import Mode

    return Mode(linker="cvm", optimizer=None)


def scan_mode(quick: bool) -> str | pytensor.compile.Mode | None:
    """The mode of a scan's inner graph: none given is PyTensor's C backend with full rewrites;
    a quick network's loops skip them too (0.35 of a 2-layer RNN twin's 3.6 s went rewriting its
    loops' inner graphs)."""
    return _quick_mode() if quick else None


@functools.cache
def _loop_mode() -> str | pytensor.compile.Mode:
    """PyTensor's C backend with its full rewrites, unless DROPVIZ_MODE names a mode for all."""
    if MODE_NAME != "NUMBA":
        return MODE_NAME
    from pytensor.compile.mode import Mode

    return Mode(linker="cvm", optimizer="fast_run")


@functools.cache
def _mode() -> str | pytensor.compile.Mode:
    """The mode named by DROPVIZ_MODE; for NUMBA, one whose compiled calls release the GIL.

    Numba holds Python's lock while a compiled function runs unless asked not to, so the window's
    GUI thread could not run while the worker trained or computed the decision grid (40 ms for the
    default network). The compiled graphs touch only the arrays and generators passed in, which no
    other thread uses meanwhile, so they can run without it.
    """
    if MODE_NAME != "NUMBA":
        return MODE_NAME
    from pytensor.compile.mode import Mode
    from pytensor.graph.rewriting.db import RewriteDatabaseQuery
    from pytensor.link.numba.dispatch.basic import numba_njit
    from pytensor.link.numba.linker import NumbaLinker

    class NumbaLinkerWithoutGil(NumbaLinker):
        def jit_compile(self, fn_and_cache):
            fn, cache_key = fn_and_cache
            return numba_njit(fn.py_func, final_function=True, cache=cache_key is not None, nogil=True)

    return Mode(NumbaLinkerWithoutGil(), RewriteDatabaseQuery(include=["fast_run", "numba"]))


@functools.cache
def _blas_libraries() -> list:
    """numpy's BLAS and the OpenBLAS that numba's products call (SciPy's), loaded if need be."""
    import scipy.linalg.cython_blas  # noqa: F401  (loads the library numba calls)
    from threadpoolctl import ThreadpoolController

    return [library for library in ThreadpoolController().lib_controllers if library.user_api == "blas"]


_blas = {"ceiling": os.cpu_count() or 1, "threads": 0}


def limit_blas_threads(ceiling: int) -> None:
    """Never use more than `ceiling` BLAS threads from now on, e.g. cores - 1 beside a GUI thread.

    On two cores the window needs one for drawing; training with two BLAS threads besides it
    oversubscribes the machine, and OpenBLAS's busy-waiting threads then stall both.
    """
    _blas["ceiling"] = max(1, ceiling)
    _use_blas_threads(min(_blas["threads"] or 1, _blas["ceiling"]))


def _use_blas_threads(count: int) -> None:
    """Set every BLAS library's thread count; about a microsecond, and only when it changes."""
    if count != _blas["threads"]:
        for library in _blas_libraries():
            library.set_num_threads(count)
        _blas["threads"] = count


class _ThreadTuner:
    """Chooses one BLAS thread or all allowed for large products, by timing both now and then.

    Which is faster depends on what else runs: on an idle 2-core machine two threads train a
    512-unit network about 1.5 times faster than one; while another process (or the window's GUI
    thread) keeps a core busy, OpenBLAS's spinning threads make two threads about 3 times slower.
    So a few calls are timed with each, the faster per FLOP is kept, and the trial is repeated every
    RETRY_SECONDS. The thread count never changes results: OpenBLAS splits rows and columns among
    threads, not the sums.
    """

    TRIAL_CALLS = 3
    RETRY_SECONDS = 10.0

    def __init__(self) -> None:
        self._trials: dict[int, list[float]] = {}
        self._best = 1
        self._decided_at = -float("inf")

    def threads(self) -> int:
        """The thread count for the next large call: a candidate on trial, or the one chosen."""
        ceiling = _blas["ceiling"]
        if ceiling == 1:
            return 1
        if time.monotonic() - self._decided_at < self.RETRY_SECONDS:
            return min(self._best, ceiling)
        for candidate in (1, ceiling):
            if len(self._trials.get(candidate, ())) < self.TRIAL_CALLS:
                return candidate
        self._best = min(self._trials, key=lambda count: statistics.median(self._trials[count]))
        self._trials = {}
        self._decided_at = time.monotonic()
        return self._best

    def record(self, threads: int, seconds_per_flop: float) -> None:
        if time.monotonic() - self._decided_at >= self.RETRY_SECONDS:
            self._trials.setdefault(threads, []).append(seconds_per_flop)


_tuner = _ThreadTuner()


def call_with_blas_threads(function: Callable, step_flops: float, steps: int, *args: object) -> object:
    """Call a compiled function that runs `steps` passes of `step_flops` each, on the best threads.

    The thread count follows the size of one pass's products, which is what BLAS splits.
    """
    if step_flops < PARALLEL_BLAS_FLOPS:
        _use_blas_threads(1)
        return function(*args)
    threads = _tuner.threads()
    _use_blas_threads(threads)
    start = time.perf_counter()
    result = function(*args)
    _tuner.record(threads, (time.perf_counter() - start) / (step_flops * steps))
    return result


def _keep_array_layouts_in_numba() -> None:
    """Make numba see transposes and added axes as contiguous arrays, as they really are.

    PyTensor's numba DimShuffle builds every view with `as_strided`, whose result numba types as
    layout 'A' (any strides). A transposed weight matrix then reaches `np.dot` as 'A', which numba
    copies before calling BLAS, and a bias or a scale broadcast with `[None, :]` reaches a fused
    elementwise loop as 'A', which LLVM cannot vectorise: together about 40% of a training step of a
    512-unit network. Here a transpose is `x.T` and a DimShuffle that only adds or drops axes is a
    `reshape` of a C-contiguous input, so numba keeps the layouts 'F' and 'C'. Both are still views,
    as PyTensor expects; any other DimShuffle, an input of unknown layout, or a graph compiled outside
    `graph_scope()` (someone else's), goes to PyTensor's own.
    """
    from numba.extending import overload
    from numpy.lib.stride_tricks import as_strided
    from pytensor.link.numba.dispatch import basic as numba_basic
    from pytensor.link.numba.dispatch import elemwise as numba_elemwise
    from pytensor.tensor.elemwise import DimShuffle

    upstream = numba_elemwise.numba_funcify_DimShuffle
    original = numba_basic.numba_funcify_and_cache_key.dispatch(DimShuffle)

    def view_as(x, shape, strides):
        """Only ever compiled: the overload below picks the implementation by layout."""
        raise NotImplementedError

    @overload(view_as)
    def _view_as(x, shape, strides):
        if x.layout == "C":
            return lambda x, shape, strides: x.reshape(shape)
        return lambda x, shape, strides: as_strided(x, shape=shape, strides=strides)

    def _with_key(op, function_and_version):
        """PyTensor's implementation under its own cache key (it returns a version only sometimes)."""
        function, version = (function_and_version if isinstance(function_and_version, tuple)
                             else (function_and_version, None))
        return function, numba_basic.default_hash_key_from_props(op, cache_version=str(version))

    @numba_basic.register_funcify_and_cache_key(DimShuffle)
    def funcify_dimshuffle(op, node=None, **kwargs):
        if not _in_scope.get():
            return original(op, node=node, **kwargs)
        key = numba_basic.default_hash_key_from_props(op, cache_version=_NUMBA_CACHE_SALT)
        order = tuple(op._new_order)  # -1 marks an added axis
        kept = [axis for axis in order if axis != -1]
        if op.input_ndim == 2 and order == (1, 0):

            @numba_basic.numba_njit
            def transpose(x):
                return x.T

            return transpose, key
        if op.input_ndim == 0:
            ones = (1,) * len(order)

            @numba_basic.numba_njit
            def expand_scalar(x):
                return np.asarray(x).reshape(ones)

            return expand_scalar, key
        if kept != sorted(kept) or not kept:
            return _with_key(op, upstream(op, node, **kwargs))
        shape_template, strides_template = (1,) * len(order), (0,) * len(order)
        positions = np.array([position for position, axis in enumerate(order) if axis != -1])
        axes = np.array(kept)
        dropped = np.array(op.drop, dtype=np.int64)

        @numba_basic.numba_njit
        def add_or_drop_axes(x):
            for i in range(dropped.size):
                if x.shape[dropped[i]] != 1:
                    raise ValueError("DimShuffle: Attempting to squeeze axes with size not equal to one")
            shape, strides = shape_template, strides_template
            for i in range(axes.size):
                shape = numba_basic.tuple_setitem(shape, positions[i], x.shape[axes[i]])
                strides = numba_basic.tuple_setitem(strides, positions[i], x.strides[axes[i]])
            return view_as(x, shape, strides)

        return add_or_drop_axes, key


if MODE_NAME == "NUMBA":
    _keep_array_layouts_in_numba()
