"""Bugs the soak found, each now a test of its own: exports while comparing, changes while opening."""

from __future__ import annotations

import pytest
from PyQt5.QtCore import Qt
from PyQt5.QtTest import QTest
from soak_checks import choose, folder_problems, opened, press, wait_until, worker_barrier, worker_idle
from ui_helpers import TIMEOUT

from dropviz.ui.views.plot_export import write_plots


def test_export_while_comparing_writes_the_plots_shown(make_window, tmp_path):
    """Found by the soak: with a baseline, its map takes the thinned network's place, and the
    export of the plots failed on the hidden view ("a plot folded away to nothing")."""
    window = make_window()
    window.files.ask_export_folder = lambda: tmp_path
    press(window, Qt.Key_C)
    wait_until(lambda: window.compare.toggle_action.isChecked(), TIMEOUT, "the baseline")
    press(window, Qt.Key_E, Qt.ControlModifier)
    wait_until(lambda: window.banner.text().startswith(("Exported", "The model's")), TIMEOUT,
               "the export")
    assert window.banner.kind() == "info", window.banner.text()
    written = {path.name for path in tmp_path.iterdir()}
    assert {"loss.png", "decision.svg", "masks.png", "window.png"} <= written
    assert "network.png" not in written, "hidden behind the baseline's map"
    assert not folder_problems(tmp_path)


@pytest.mark.parametrize("behind_a_tab", [False, True], ids=["shown", "behind-an-analysis-tab"])
def test_export_right_after_a_comparison_ends_draws_the_network_again(make_window, tmp_path,
                                                                      behind_a_tab):
    """Found by the soak: a window resized while comparing folds the hidden network view to
    nothing; once the comparison ended, the plots failed with "a plot folded away to nothing" if
    the export's answer came before the splitter had laid the view out again, or for as long as
    an analysis tab hid the Training tab."""
    window = make_window()
    press(window, Qt.Key_C)
    wait_until(lambda: window.compare.toggle_action.isChecked(), TIMEOUT, "the baseline")
    window.resize(1200, 800)
    QTest.qWait(100)
    assert window.network_view.width() == 0
    if behind_a_tab:
        press(window, Qt.Key_M, Qt.ControlModifier)
        QTest.qWait(100)
    window._on_compare_changed("")  # the worker's word that the baseline left, and at once:
    written = write_plots(window.files.views, tmp_path)
    assert "network.png" in {path.name for path in written}
    assert not folder_problems(tmp_path)


def test_a_change_made_while_an_experiment_opens_does_not_replace_it(make_window, tmp_path):
    """Found by the soak: a setting changed while an experiment loaded was kept as a pending
    change of the run it replaced, so the old run trained again (with the change) while the
    controls showed the experiment's settings; the experiment was thrown away."""
    window = make_window()
    saved = tmp_path / "saved.dropviz"
    window.files.ask_save_path = lambda: saved
    window.files.save_as()
    wait_until(saved.exists, TIMEOUT, "the save")
    data = window.controls.dataset.dataset
    choose(data, data.findData("circles"))
    wait_until(lambda: window.last_snapshot.config.dataset.name == "circles", TIMEOUT, "circles")
    restored = []
    window.handle.worker.sigRestored.connect(restored.append)
    window.files.open_path(saved)
    window.controls.dataset.noise.setValue(0.1)  # while the file loads
    wait_until(lambda: restored, TIMEOUT, "the experiment")
    wait_until(lambda: worker_idle(window), TIMEOUT, "the worker")
    worker_barrier(window)
    assert window.last_snapshot.config == window.controls.config
    assert window.last_snapshot.config.dataset.name == "moons", "the experiment goes on"
    assert opened(window.run_info)
