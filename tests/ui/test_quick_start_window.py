"""The window on a quick start: it says what it prepares, and tells when the fast network takes over.

The window's own pool starts a new network on a quick twin while the fast one compiles in a child
process (model/graph/quick_start.py). Here the test decides when that fast build runs, so each
moment can be looked at; SMALL's network is the one most window tests compile, so the child loads
it from the compile cache.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

from PyQt5.QtCore import Qt
from ui_helpers import SMALL, START_TIMEOUT, TIMEOUT, play_until, press, wait_paused, wait_step

from dropviz.model.trainer import NetworkPool
from dropviz.session.lockstep import Lockstep
from dropviz.ui.main_window import MainWindow
from dropviz.ui.worker.build import _start_daemon, building_aside
from dropviz.ui.worker.jobs import Jobs
from dropviz.ui.worker.preparing import READY_NEWS, PreparingWatch

COMPILING = "quick start: the fast network is compiling"


class HeldBuilds:
    """A pool's thread starter that keeps each fast build until the test lets it run."""

    def __init__(self) -> None:
        self.held: list[tuple[Callable[[], None], str]] = []

    def __call__(self, target: Callable[[], None], name: str) -> None:
        self.held.append((target, name))

    def release(self) -> None:
        """Start the builds on threads as the window does, so the garbage collector sees them."""
        held, self.held = self.held, []
        for target, name in held:
            _start_daemon(target, name)


def test_the_window_says_what_it_prepares_and_when_the_fast_network_takes_over(qtbot):
    builds = HeldBuilds()
    window = MainWindow(SMALL, pool=NetworkPool(quick_start=True, start_thread=builds))
    qtbot.addWidget(window)
    window.show()
    try:
        # A network new to the session: the banner and the title say it is prepared, not compiled.
        qtbot.waitUntil(lambda: window.banner.text().startswith("Preparing a quick start..."),
                        timeout=TIMEOUT)
        assert "hidden layers 16, 16, relu, adam" in window.banner.text()
        assert window.windowTitle() == "dropviz · preparing a quick start..."
        assert window.status.text() == "Preparing a quick start..."

        # The quick twin trains while the fast network waits: the status line says so.
        qtbot.waitUntil(lambda: window.last_snapshot is not None, timeout=START_TIMEOUT)
        assert window.last_snapshot.preparing.startswith(COMPILING)
        assert "paused · train loss" in window.status.text() and COMPILING in window.status.text()
        assert not window.banner.isVisible(), "the run has started: the banner went"
        assert [name for _, name in builds.held] == ["dropviz-fast-network"]
        press(qtbot, window, Qt.Key_Space)
        playing = wait_step(qtbot, window, 30)
        assert playing.playing and COMPILING in playing.preparing
        assert "steps/s" in window.status.text() and COMPILING in window.status.text()
        press(qtbot, window, Qt.Key_Space)
        paused = wait_paused(qtbot, window)
        info = window.run_info

        # Paused, the fast network takes over: the status line follows without a step.
        builds.release()
        assert building_aside()
        # (it may say "catching up" in between, on a busy machine)
        qtbot.waitUntil(lambda: window.last_snapshot.preparing == "", timeout=START_TIMEOUT)
        qtbot.waitUntil(lambda: window.banner.text() == READY_NEWS, timeout=TIMEOUT)
        assert window.banner.kind() == "info" and "quick start" not in window.status.text()
        assert window.last_snapshot.step == paused.step and not window.last_snapshot.playing
        assert window.last_snapshot.preparing == ""
        assert window.status.text().endswith(f"acc {paused.evaluation.test_acc:.2f}")

        # The same run goes on from there, on the fast network.
        after = play_until(qtbot, window, paused.step + 50)
        assert window.run_info is info, "no new run"
        assert after.step >= paused.step + 50 and after.preparing == ""
        assert COMPILING not in window.status.text()
    finally:
        window.close()


# --- what the worker tells, on networks that stand in for a quick start's -----------------------

def _network(preparing: str = "", failure: BaseException | None = None) -> SimpleNamespace:
    return SimpleNamespace(preparing=preparing, failure=failure)


class _Pair(SimpleNamespace):
    """A Lockstep of stand-in runs: only what the watch reads, with Lockstep's own `preparing`."""

    preparing = Lockstep.preparing


def _pair(run: SimpleNamespace, baseline: SimpleNamespace | None = None) -> _Pair:
    def wrapped(network: SimpleNamespace) -> SimpleNamespace:
        return SimpleNamespace(trainer=SimpleNamespace(network=network))

    return _Pair(run=wrapped(run), baseline=wrapped(baseline) if baseline else None)


class Told:
    """The worker's signals the watch uses, as lists of what they carried."""

    def __init__(self) -> None:
        self.news: list[str] = []
        self.errors: list[str] = []
        self.sigNews = SimpleNamespace(emit=self.news.append)
        self.sigError = SimpleNamespace(emit=self.errors.append)


def test_the_baseline_still_preparing_is_in_the_status_and_holds_the_news_back():
    run, baseline = _network("quick start: x"), _network("quick start: y")
    pair = _pair(run, baseline)
    told = Told()
    watch = PreparingWatch(told)
    watch.look(pair)
    assert pair.preparing == watch.seen == "quick start: x"
    run.preparing = ""
    watch.look(pair)
    assert watch.seen == "the baseline's quick start: y"
    assert told.news == [], "the baseline still trains on its quick twin: not full speed yet"
    baseline.preparing = ""
    watch.look(pair)
    watch.look(pair)
    assert watch.seen == "" and told.news == [READY_NEWS], "told once"


def test_a_baseline_that_leaves_while_preparing_is_no_news():
    baseline = _network("quick start: y")
    pair = _pair(_network(), baseline)
    told = Told()
    watch = PreparingWatch(told)
    watch.look(pair)
    pair.baseline = None
    baseline.preparing = ""  # it goes on becoming fast as the spare: not this run's news
    watch.look(pair)
    assert watch.seen == "" and told.news == []


def test_a_failed_fast_network_is_an_error_told_once_and_never_ready_news():
    failure = RuntimeError("compiling the fast network failed: MemoryError")
    network = _network("quick start: x")
    pair = _pair(network)
    told = Told()
    watch = PreparingWatch(told)
    watch.look(pair)
    network.failure = failure
    network.preparing = f"quick start only (the fast network failed: {failure})"
    watch.look(pair)
    watch.new_run()
    watch.look(pair)  # a new run on the same network from the pool: already told
    assert told.errors == [f"The fast network could not be made, so training goes on on the "
                           f"quick start, more slowly: {failure}"]
    assert told.news == [] and watch.seen.startswith("quick start only")


def test_analysis_jobs_never_quick_start_and_share_a_pool_that_does_not():
    plain = NetworkPool()
    assert Jobs(SimpleNamespace(runs=SimpleNamespace(pool=plain)))._jobs_pool() is plain
    jobs = Jobs(SimpleNamespace(runs=SimpleNamespace(pool=NetworkPool(quick_start=True))))
    own = jobs._jobs_pool()
    assert not own.quick_start and own._aside and jobs._jobs_pool() is own
