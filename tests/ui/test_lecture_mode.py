"""Lecture mode and the keyboard: F11, Ctrl+L and F1 as a lecturer uses them."""

from __future__ import annotations

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QApplication
from ui_helpers import TIMEOUT, press

from dropviz.ui.help_dialog import ShortcutsDialog
from dropviz.ui.lecture_mode import LECTURE_SCALE
from dropviz.ui.views.pinned_runs import PIN_WIDTH


def _widths(plot) -> dict[int, float]:
    """The pen width of every line of a plot, by item."""
    return {id(item): item.opts["pen"].widthF() for item in plot.listDataItems()}


def test_f11_enlarges_text_and_lines_and_goes_back(make_window, qtbot):
    window = make_window()
    font = window.font().pointSizeF()
    plots = [view.getPlotItem() for view in (window.loss_view, window.accuracy_view,
                                             window.gap_view)]
    ticks = window.lecture.axis_font_size(plots[0])
    widths = [_widths(plot) for plot in plots]
    title = plots[0].titleLabel.opts["size"]

    press(qtbot, window, Qt.Key_F11)
    assert window.lecture.active and window.lecture.toggle_action.isChecked()
    assert window.windowState() & Qt.WindowFullScreen
    assert window.font().pointSizeF() == font * LECTURE_SCALE
    assert window.explanation.text.font().pointSizeF() == font * LECTURE_SCALE
    assert window.lecture.axis_font_size(plots[0]) == ticks * LECTURE_SCALE
    for plot, before in zip(plots, widths, strict=True):
        assert _widths(plot) == {item: width * LECTURE_SCALE for item, width in before.items()}
    assert plots[0].titleLabel.opts["size"] == "18pt" != title
    # Lines that appear in lecture mode are as thick: the pin made now.
    press(qtbot, window, Qt.Key_P)
    pinned = [w for item, w in _widths(plots[0]).items() if item not in widths[0]]
    assert pinned == [PIN_WIDTH * LECTURE_SCALE] * 2

    press(qtbot, window, Qt.Key_F11)
    assert not window.lecture.active
    assert not window.windowState() & Qt.WindowFullScreen
    assert window.font().pointSizeF() == font
    assert window.lecture.axis_font_size(plots[0]) == ticks
    assert _widths(plots[0]) == {**widths[0], **{item: PIN_WIDTH for item in
                                                 _widths(plots[0]) if item not in widths[0]}}
    assert plots[0].titleLabel.opts["size"] == title


def test_escape_leaves_lecture_mode(make_window, qtbot):
    window = make_window()
    press(qtbot, window, Qt.Key_F11)
    press(qtbot, window, Qt.Key_Escape)
    assert not window.lecture.active


def test_ctrl_l_collapses_the_control_panel(make_window, qtbot):
    window = make_window()
    assert window.controls.isVisible()
    qtbot.keyClick(window.focusWidget() or window, Qt.Key_L, Qt.ControlModifier)
    assert not window.controls.isVisible()
    assert not window.lecture.controls_action.isChecked()
    press(qtbot, window, Qt.Key_Space)
    qtbot.waitUntil(window.transport.is_playing, timeout=TIMEOUT)
    qtbot.keyClick(window.focusWidget() or window, Qt.Key_L, Qt.ControlModifier)
    assert window.controls.isVisible()


def test_f1_lists_every_shortcut(make_window, qtbot):
    window = make_window()
    press(qtbot, window, Qt.Key_F1)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeWindow(), ShortcutsDialog)
                    or window.shortcuts_dialog.isVisible(), timeout=TIMEOUT)
    dialog = window.shortcuts_dialog
    shown = {(dialog.table.item(row, 0).text(), dialog.table.item(row, 1).text())
             for row in range(dialog.table.rowCount())}
    for expected in [("Space", "Play"), ("S or Right", "Step"), ("R", "Reset"),
                     ("C", "Compare with baseline"), ("P", "Pin this run"),
                     ("F11", "Lecture mode"), ("Esc", "Leave lecture mode"),
                     ("Ctrl+L", "Show the control panel"), ("F1", "Keyboard shortcuts"),
                     ("Ctrl+M", "Monte-Carlo dropout")]:
        assert expected in shown
    explained = {dialog.table.item(row, 1).text(): dialog.table.item(row, 2).text()
                 for row in range(dialog.table.rowCount())}
    assert "Space" in explained["Play"]
    dialog.close()
