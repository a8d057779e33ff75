"""The lecture room (issue 17): any projector's size, the first frame, one message at a time."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt5.QtCore import QRect, Qt
from PyQt5.QtWidgets import QApplication, QMainWindow
from ui_helpers import SMALL, START_TIMEOUT, TIMEOUT, press, wait_news

from dropviz.session.snapshot import RECENT_STEPS
from dropviz.ui.main_window import MainWindow
from dropviz.ui.settings import clamp_to_screen, clamped, remember_window, restore_window
from dropviz.ui.views.step_plot import FIRST_STEPS

SIZES = [(1024, 768), (1280, 720), (1366, 768), (1920, 1080)]


# --- the window's size and place ------------------------------------------------------------------

@pytest.mark.parametrize(("frame", "expected"), [
    (QRect(100, 50, 800, 600), QRect(100, 50, 800, 600)),  # fits: left alone
    (QRect(0, 0, 1600, 1000), QRect(0, 0, 1280, 720)),  # from a larger screen: shrunk
    (QRect(900, 500, 800, 600), QRect(480, 120, 800, 600)),  # off the right and bottom: moved in
    (QRect(-300, -40, 800, 600), QRect(0, 0, 800, 600)),  # off the left and top
    (QRect(2000, 900, 1600, 1000), QRect(0, 0, 1280, 720)),  # on a screen that is gone
])
def test_a_frame_is_clamped_to_the_screen_it_opens_on(frame, expected):
    assert clamped(frame, QRect(0, 0, 1280, 720)) == expected


def test_clamping_keeps_to_a_screen_that_does_not_start_at_zero():
    second = QRect(1920, 0, 1280, 720)
    assert clamped(QRect(1800, 100, 1600, 1000), second) == second
    assert clamped(QRect(2000, 100, 640, 480), second) == QRect(2000, 100, 640, 480)


def test_a_geometry_remembered_from_a_larger_screen_fits_this_one(qtbot):
    """The offscreen platform's screen is 800x600; the window had been 1600x1000."""
    screen = QApplication.primaryScreen().availableGeometry()
    big = QMainWindow()
    qtbot.addWidget(big)
    big.setGeometry(200, 150, screen.width() + 800, screen.height() + 400)
    remember_window(big)
    window = QMainWindow()
    qtbot.addWidget(window)
    restore_window(window)
    assert screen.contains(window.frameGeometry())
    window.setGeometry(-500, 300, 400, 300)  # moved off the screen by hand, then F11 and back
    clamp_to_screen(window)
    assert screen.contains(window.frameGeometry())
    assert window.size().width() == 400


def _clipped(window) -> list[str]:
    """Everything cut off in the window as it is laid out now, in words."""
    QApplication.processEvents()
    problems = []
    for name, view in window.views.items():
        if not view.isVisible():
            continue
        widget = view.plot_widget()
        for item in widget.scene().items():
            if not (isinstance(item, pg.PlotItem) and item.isVisible()):
                continue
            rect = item.mapRectToScene(item.boundingRect())
            if rect.right() > widget.width() + 1 or rect.bottom() > widget.height() + 1:
                problems.append(f"{name}: a plot of {rect.width():.0f} px in {widget.width()} px")
            label = item.titleLabel
            if label.isVisible() and label.text.strip():
                if label.item.document().idealWidth() > label.width() + 1:
                    problems.append(f"{name}: its title {label.text!r} is wider than its plot")
                if label.itemRect().height() > label.height() + 1:
                    problems.append(f"{name}: its title is taller than its row")
            for side in ("left", "bottom"):
                axis = item.getAxis(side)
                if axis.isVisible() and axis.labelText:
                    length = axis.label.boundingRect().width()
                    room = axis.height() if side == "left" else axis.width()
                    if length > room + 1:
                        problems.append(f"{name}: its {side} axis label {axis.labelText!r} "
                                        f"is {length:.0f} px on {room:.0f} px")
    controls = window.controls
    if controls.isVisible() and controls.widget().minimumSizeHint().width() \
            > controls.viewport().width():
        problems.append("the controls are wider than their panel")
    for widget in window.transport.findChildren(type(window.transport.speed_label)):
        if widget.isVisible() and widget.width() < widget.minimumSizeHint().width():
            problems.append(f"the toolbar cuts {widget.text()!r}")
    return problems


@pytest.mark.parametrize("lecture", [False, True], ids=["normal", "lecture"])
def test_nothing_is_clipped_from_1024x768_to_1920x1080(make_window, qtbot, lecture):
    window = make_window()
    if lecture:
        window.lecture.set_active(True)
        window.setWindowState(Qt.WindowNoState)  # full screen at each projector's size
    for width, height in SIZES:
        window.resize(width, height)
        qtbot.wait(50)
        assert (window.width(), window.height()) == (width, height)
        assert _clipped(window) == [], f"{width}x{height}"
        assert window.controls.isVisible() or window.drawer.strip.isVisible()


def test_the_controls_fold_to_a_strip_when_there_is_no_room_and_come_back(make_window, qtbot):
    window = make_window()
    window.resize(1366, 768)
    qtbot.wait(20)
    assert window.controls.isVisible() and not window.drawer.strip.isVisible()
    window.resize(1024, 768)
    qtbot.wait(20)
    assert not window.controls.isVisible() and window.drawer.strip.isVisible()
    assert not window.lecture.controls_action.isChecked()
    window.drawer.strip.click()  # opened as a drawer: it stays while the window is resized
    window.resize(1000, 760)
    qtbot.wait(20)
    assert window.controls.isVisible() and window.lecture.controls_action.isChecked()
    qtbot.keyClick(window.focusWidget() or window, Qt.Key_L, Qt.ControlModifier)
    assert not window.controls.isVisible()
    window.resize(1600, 900)  # closed by the user: it stays closed
    qtbot.wait(20)
    assert not window.controls.isVisible()
    window.drawer.set_open(True)
    window.resize(1024, 768)  # folded by itself: it comes back with the room
    qtbot.wait(20)
    assert not window.controls.isVisible()
    window.resize(1600, 900)
    qtbot.wait(20)
    assert window.controls.isVisible()


def test_lecture_mode_widens_the_controls_to_their_larger_text(make_window, qtbot):
    window = make_window()
    normal = window.controls.needed_width()
    window.lecture.set_active(True)
    window.setWindowState(Qt.WindowNoState)
    window.resize(2560, 1440)
    qtbot.wait(20)
    assert window.controls.isVisible()
    controls = window.controls
    assert controls.needed_width() > normal
    assert controls.width() >= controls.needed_width()
    assert controls.widget().minimumSizeHint().width() <= controls.viewport().width()


# --- the first frame ----------------------------------------------------------------------------

def test_step_0_shows_the_first_losses_as_points_on_axes_sized_to_them(make_window):
    window = make_window()
    snapshot = window.last_snapshot
    assert snapshot.step == 0
    for view, keys in ((window.loss_view, ("train_loss", "test_loss")),
                       (window.accuracy_view, ("train_acc", "test_acc"))):
        values = []
        for key in keys:
            x, y = view.curve_data(key)
            assert list(x) == [0] and len(y) == 1
            assert view._curves[key].opts["symbol"] == "o"  # one point, drawn as a dot
            values.append(y[0])
        (x_low, x_high), (y_low, y_high) = view.getPlotItem().getViewBox().viewRange()
        assert -0.05 * FIRST_STEPS <= x_low <= 0 and x_high >= FIRST_STEPS * 0.99
        assert y_low <= min(values) and max(values) <= y_high
        assert y_high - y_low < 4 * (max(values) - min(values)) + 0.01  # sized to the points
    _, gap = window.gap_view.gap_data()
    assert len(gap) == 1
    (_, _), (y_low, y_high) = window.gap_view.getPlotItem().getViewBox().viewRange()
    assert y_low <= min(gap[0], 0) and max(gap[0], 0) <= y_high < abs(gap[0]) * 2 + 0.01


def test_the_points_become_lines_and_the_axis_follows_once_training_passes_it(make_window, qtbot):
    window = make_window()
    press(qtbot, window, Qt.Key_Space)
    qtbot.waitUntil(lambda: window.last_snapshot.step > FIRST_STEPS * 1.5, timeout=TIMEOUT)
    press(qtbot, window, Qt.Key_Space)
    qtbot.waitUntil(lambda: not window.last_snapshot.playing, timeout=TIMEOUT)
    step = window.last_snapshot.step
    assert window.loss_view._curves["train_loss"].opts["symbol"] is None
    _, x_high = window.loss_view.getPlotItem().getViewBox().viewRange()[0]
    assert x_high >= step


def test_step_0_lays_out_every_layer_of_the_raster_and_the_batch(make_window):
    window = make_window()
    view, info = window.mask_view, window.run_info
    units = info.layout.noise_units()
    assert list(view._rows) == list(units)
    batch_rows = min(info.config.batch_size, len(info.y_train))
    for name, row in view._rows.items():
        (x_low, x_high), (y_low, y_high) = row.raster_plot.getViewBox().viewRange()
        assert (x_low, x_high) == (0.5, RECENT_STEPS + 0.5)  # steps 1 to 100, none negative
        assert (y_low, y_high) == (0, units[name])
        assert row.raster_plot.getAxis("left")._tickLevels[0] == [(0, "0"),
                                                                  (units[name], str(units[name]))]
        assert f"<b>{name}</b>" in row.title
        (bx_low, bx_high), (by_low, by_high) = row.batch_plot.getViewBox().viewRange()
        assert (bx_low, bx_high, by_low, by_high) == (0, units[name], 0, batch_rows)
        assert row.raster_plot.getViewBox().background.isVisible()  # the grey ground


# --- one message at a time ----------------------------------------------------------------------

def test_a_notice_replaces_the_last_and_the_explanation_waits_behind_it(make_window, qtbot):
    window = make_window()
    window.banner.show_message("first", "info")
    window.banner.show_message("second", "warning")
    assert window.banner.text() == "second" and window.banner.kind() == "warning"
    window.banner.clear()
    preset = window.presets_menu.choose("01_overfit_tiny")
    assert window.explanation.isVisible()
    wait_news(qtbot, window, "New run")
    assert window.banner.isVisible() and not window.explanation.isVisible()
    window.banner.clear()
    assert window.explanation.isVisible()
    assert window.explanation.text.text().startswith(preset.explanation)
    window.banner.show_message("trouble", "error")
    assert not window.explanation.isVisible()
    window.explanation.dismiss()
    window.banner.clear()
    assert not window.explanation.isVisible()


def test_the_title_of_a_narrow_plot_wraps_instead_of_widening_it(make_window, qtbot):
    window = make_window()
    plot = window.loss_view.getPlotItem()
    label = plot.titleLabel
    window.resize(1920, 1080)
    qtbot.wait(50)
    one_line = label.itemRect().height()
    window.resize(1024, 768)
    window.lecture.set_active(True)
    window.setWindowState(Qt.WindowNoState)
    window.resize(1024, 768)
    qtbot.wait(50)
    assert label.item.document().idealWidth() <= label.width() + 1
    assert label.itemRect().height() > one_line
    assert np.isclose(plot.layout.rowMinimumHeight(0), label.itemRect().height())


def test_a_window_that_opens_on_a_small_screen_gives_the_views_the_room(qtbot, pool):
    """The controls fold before the window is first laid out: the views still get the width."""
    window = MainWindow(SMALL, pool=pool)
    qtbot.addWidget(window)
    window.resize(1024, 768)
    window.show()
    qtbot.waitUntil(lambda: window.last_snapshot is not None, timeout=START_TIMEOUT)
    qtbot.wait(50)
    assert window.drawer.strip.isVisible() and not window.controls.isVisible()
    assert window.drawer.width() < 60
    assert window.loss_view.width() > 250 and window.gap_view.width() > 250
    assert _clipped(window) == []
    window.close()


def test_a_title_that_changes_in_lecture_mode_keeps_its_larger_size(make_window, qtbot):
    window = make_window()
    window.lecture.set_active(True)
    row = window.mask_view._rows["hidden1"]
    assert row.raster_plot.titleLabel.opts["size"] == "15pt"
    row.set_title("<b>hidden1</b>: p = 0.25")  # a new rate, drawn while lecturing
    assert row.raster_plot.titleLabel.opts["size"] == "15pt"
    window.lecture.set_active(False)
    assert row.raster_plot.titleLabel.opts["size"] == "10pt"


def test_a_long_explanation_folds_to_its_title_on_a_small_projector(make_window, qtbot):
    window = make_window()
    window.presets_menu.choose("02_dropout_closes_gap")
    wait_news(qtbot, window, "New run")
    window.banner.clear()
    assert window.explanation.isVisible() and window.explanation.text.isVisible()
    window.lecture.set_active(True)
    window.setWindowState(Qt.WindowNoState)
    window.resize(1280, 720)
    qtbot.wait(50)
    assert window.explanation.isVisible() and window.explanation.title.isVisible()
    assert not window.explanation.text.isVisible()
    window.explanation.fold_button.click()  # the lecturer unfolds it: it stays
    window.resize(1280, 700)
    qtbot.wait(20)
    assert window.explanation.text.isVisible()
    window.lecture.set_active(False)
    window.setWindowState(Qt.WindowNoState)
    window.resize(1920, 1080)
    qtbot.wait(20)
    assert window.explanation.text.isVisible()
