"""Staged drawing: one group of views a turn of the event loop, the same snapshot in a round, and
the newest snapshot next, never a backlog."""

from PyQt5.QtCore import QTimer

from dropviz.ui.staged_drawing import StagedDrawing


class Views:
    """Three stages that log what they drew; a stand-in snapshot is any object."""

    def __init__(self) -> None:
        self.log: list[tuple[str, object]] = []
        self.drawn: list[object] = []
        self.started: list[object] = []
        self.drawing = StagedDrawing([self.stage("curves"), self.stage("masks"),
                                      self.stage("maps")])
        self.drawing.sigStarted.connect(self.started.append)
        self.drawing.sigDrawn.connect(self.drawn.append)

    def stage(self, name: str):
        return lambda snapshot: self.log.append((name, snapshot))


def test_a_round_draws_one_stage_a_turn_with_other_events_between(qtbot):
    views = Views()
    views.drawing.draw("s1")
    assert views.log == [("curves", "s1")], "the first stage at once, the rest later"
    assert views.started == ["s1"] and views.drawn == []
    QTimer.singleShot(0, lambda: views.log.append(("a key press", None)))
    qtbot.waitUntil(views.drawing.is_idle)
    assert views.log == [("curves", "s1"), ("a key press", None), ("masks", "s1"),
                         ("maps", "s1")]
    assert views.drawn == ["s1"]


def test_snapshots_that_arrive_during_a_round_give_way_to_the_newest(qtbot):
    views = Views()
    views.drawing.draw("s1")
    views.drawing.draw("s2")
    views.drawing.draw("s3")
    assert not views.drawing.is_idle()
    qtbot.waitUntil(lambda: views.drawn == ["s1", "s3"])
    qtbot.waitUntil(views.drawing.is_idle)
    assert [snapshot for _, snapshot in views.log] == ["s1"] * 3 + ["s3"] * 3
    assert views.drawn == ["s1", "s3"]
    assert views.started == ["s1", "s3"], "the worker is asked for one more per round, no more"


def test_cancel_drops_the_rest_of_the_round(qtbot):
    views = Views()
    views.drawing.draw("old run")
    views.drawing.cancel()
    assert views.drawing.is_idle()
    views.drawing.draw("new run")
    qtbot.waitUntil(lambda: views.drawn == ["new run"])
    assert views.log == [("curves", "old run"), ("curves", "new run"), ("masks", "new run"),
                         ("maps", "new run")]


def test_a_stage_that_fails_does_not_stop_the_drawing(qtbot):
    views = Views()
    failed = []

    def failing(snapshot) -> None:
        if not failed:
            failed.append(snapshot)
            raise RuntimeError("a bug in one view")

    views.drawing = StagedDrawing([views.stage("curves"), failing, views.stage("maps")])
    views.drawing.sigDrawn.connect(views.drawn.append)
    with qtbot.capture_exceptions() as exceptions:
        views.drawing.draw("s1")
        qtbot.waitUntil(views.drawing.is_idle)
        views.drawing.draw("s2")
        qtbot.waitUntil(views.drawing.is_idle)
    assert [str(error) for _, error, _ in exceptions] == ["a bug in one view"]
    assert views.drawn == ["s1", "s2"], "acknowledged all the same"
    assert views.log == [("curves", "s1"), ("maps", "s1"), ("curves", "s2"), ("maps", "s2")]
