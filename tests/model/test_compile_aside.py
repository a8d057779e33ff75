"""The multi-step call compiles in a child process unless numba's cache has it (compile_aside)."""

import numpy as np
import pytest

from dropviz.model.graph import compile_aside
from dropviz.model.graph.architecture import Architecture
from dropviz.model.graph.compile_aside import NETWORK, TRAIN_STEPS
from dropviz.model.graph.network import DropoutNetwork
from dropviz.model.trainer import NetworkPool

ARCH = Architecture(2, (16, 8), 2, "relu", "adam")  # test_quick_start.py builds it too


class StandIn:
    """What `prepare_train_steps` uses of a network, recording what happens to it."""

    def __init__(self, events: list[str], arch: Architecture = ARCH, ready: bool = False) -> None:
        self.arch, self.events, self.train_steps_ready = arch, events, ready

    def prepare_train_steps(self) -> None:
        self.events.append("in process")
        self.train_steps_ready = True


@pytest.fixture
def events(monkeypatch, tmp_path) -> list[str]:
    """The events of one test; the index is the test's own, and children are recorded, not run."""
    happened: list[str] = []
    monkeypatch.setattr(compile_aside, "_fast_index", lambda: tmp_path / "index.json")
    monkeypatch.setattr(compile_aside, "compile_in_child",
                        lambda arch, part: happened.append(f"child {part}"))
    return happened


def test_a_call_numba_never_compiled_compiles_in_a_child_first_and_is_remembered(events):
    compile_aside.prepare_train_steps(StandIn(events))
    assert events == [f"child {TRAIN_STEPS}", "in process"]
    assert compile_aside.fast_compiled(ARCH, TRAIN_STEPS)
    assert not compile_aside.fast_compiled(ARCH, NETWORK)  # the parts are told apart


def test_a_call_in_the_index_loads_without_a_child_whatever_the_widths(events):
    compile_aside.remember_fast(ARCH, TRAIN_STEPS)
    wider = Architecture(2, (40, 3), 2, "relu", "adam")  # numba's cache does not key widths
    compile_aside.prepare_train_steps(StandIn(events, wider))
    assert events == ["in process"]
    compile_aside.prepare_train_steps(StandIn(events, Architecture(2, (16,), 2, "relu", "adam")))
    assert events == ["in process", f"child {TRAIN_STEPS}", "in process"]  # another depth


def test_a_ready_network_compiles_nothing_and_records_nothing(events):
    """A quick twin or a recurrent network says it is ready: it never compiles the call."""
    compile_aside.prepare_train_steps(StandIn(events, ready=True))
    assert events == [] and not compile_aside.fast_compiled(ARCH, TRAIN_STEPS)


def test_a_failed_child_leaves_the_compile_to_this_process(events, monkeypatch):
    def failing(arch, part):
        events.append("child failed")
        raise RuntimeError("compiling the multi-step call failed: MemoryError")

    monkeypatch.setattr(compile_aside, "compile_in_child", failing)
    compile_aside.prepare_train_steps(StandIn(events))
    assert events == ["child failed", "in process"]


def test_a_child_ended_by_closing_compiles_nothing_here(events, monkeypatch):
    def ended(arch, part):
        compile_aside._closing.set()
        raise RuntimeError("compiling the multi-step call failed: exit status -9")

    monkeypatch.setattr(compile_aside, "compile_in_child", ended)
    monkeypatch.setattr(compile_aside, "_closing", compile_aside.threading.Event())
    compile_aside.prepare_train_steps(StandIn(events))
    assert events == [] and not compile_aside.fast_compiled(ARCH, TRAIN_STEPS)


def test_the_child_compiles_the_call_it_is_asked_for_and_remembers_each_part(events, monkeypatch):
    import dropviz.model.graph.network as network_module

    def built(arch, X, y):
        events.append(f"built {X.shape}")
        return StandIn(events, arch)

    monkeypatch.setattr(network_module, "DropoutNetwork", built)
    compile_aside.compile_network(ARCH, NETWORK)
    assert events == ["built (1, 2)"]
    assert compile_aside.fast_compiled(ARCH) and not compile_aside.fast_compiled(ARCH, TRAIN_STEPS)
    compile_aside.compile_network(ARCH, TRAIN_STEPS)
    assert events == ["built (1, 2)", "built (1, 2)", "in process"]
    assert compile_aside.fast_compiled(ARCH, TRAIN_STEPS)


def test_a_pool_aside_builds_a_new_graph_in_a_child_first_and_never_quick_starts(events):
    """The window's analysis jobs: the fast network, compiled in a child unless numba has it."""
    pool = NetworkPool(aside=True)
    data = np.zeros((3, 2), np.float32), np.zeros(3, np.int32)
    network = pool.acquire(ARCH, *data)
    assert type(network) is DropoutNetwork and events == [f"child {NETWORK}"]
    assert compile_aside.fast_compiled(ARCH)
    pool.acquire(ARCH, *data)  # a second one, of a graph the index now holds: no child
    assert events == [f"child {NETWORK}"]
