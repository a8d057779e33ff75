"""Cycles are collected on the GUI thread's timer, and a full pass waits for the window to be idle."""

import gc
import weakref

from dropviz.ui.garbage import GuiGarbageCollector


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
