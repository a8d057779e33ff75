"""Cycles are collected on the GUI thread's timer, and a full pass waits for the window to be idle."""

import gc
import threading
import weakref
from types import SimpleNamespace

from dropviz.ui import garbage
from dropviz.ui.garbage import GuiGarbageCollector
from dropviz.ui.worker.build import building_aside, prepare_train_steps_aside


class Node:
    """An object in a reference cycle: only the cycle collector frees it."""

    def __init__(self) -> None:
        self.me = self


def test_a_full_pass_waits_until_the_window_is_not_training(qapp):
    busy = [True]
    thresholds = gc.get_threshold()
    gc.set_threshold(1, 1, 0)  # every check collects the young generations and is due a full pass
    collector = GuiGarbageCollector(lambda: busy[0])
    try:
        assert not gc.isenabled(), "no collection on whichever thread allocates"
        node = Node()
        freed = weakref.ref(node)
        gc.collect(1)  # survivors of a collection of the middle generation move to the old one
        del node
        collector.check()
        assert freed() is not None, "in the old generation, it waits for a full pass"
        busy[0] = False
        collector.check()
        assert freed() is None
    finally:
        collector.stop()
        gc.set_threshold(*thresholds)
    assert gc.isenabled()


def test_a_build_s_young_objects_are_frozen_and_collected_once_idle(qapp, monkeypatch):
    """A pass over the hundreds of thousands of objects a build makes would stall the window."""
    monkeypatch.setattr(garbage, "FREEZE_OVER", 1000)
    busy = [True]
    thresholds = gc.get_threshold()
    gc.set_threshold(1, 1, 0)  # every check is due a full pass
    collector = GuiGarbageCollector(lambda: busy[0])
    try:
        gc.collect()
        node = Node()
        freed = weakref.ref(node)
        del node
        made_by_a_build = [Node() for _ in range(2000)]
        collector.check()
        assert gc.get_freeze_count() >= len(made_by_a_build), "frozen: nothing traversed"
        assert freed() is not None
        gc.collect(1)  # as the timer's later passes do: a full pass falls due
        collector.check()
        assert freed() is not None, "no full pass while busy"
        busy[0] = False
        collector.check()
        assert gc.get_freeze_count() == 0
        assert freed() is None, "collected with the full pass"
    finally:
        collector.stop()
        gc.set_threshold(*thresholds)


class Network:
    """Stands in for a network whose multi-step call compiles until `compiled` is set."""

    def __init__(self) -> None:
        self.train_steps_ready = False
        self.compiled = threading.Event()

    def prepare_train_steps(self) -> None:
        self.compiled.wait()


def test_a_compile_on_its_thread_counts_as_busy(qtbot):
    already = building_aside()  # a build another test started may still be finishing
    trainer = SimpleNamespace(network=Network())
    prepare_train_steps_aside(trainer)
    try:
        assert building_aside()
    finally:
        trainer.network.compiled.set()
    if not already:
        qtbot.waitUntil(lambda: not building_aside())
