"""Lecture mode (F11): full screen, text half as large again and thicker lines, for a projector.

Widgets take the window's font, which propagates to them and to the window's dialogs. Plots draw
their own text and lines, so every plot of the window is walked: titles, axis text and the pens
of lines. The first width seen of each pen is its normal one; every item is created at its normal
width, so `refresh()` after new items appear (a pin, a result) brings them in line.
"""

from __future__ import annotations

import weakref

import pyqtgraph as pg
from PyQt5.QtCore import QObject, Qt, pyqtSignal
from PyQt5.QtGui import QFont, QKeySequence, QPen
from PyQt5.QtWidgets import QAction, QMainWindow

from dropviz.ui.panels.drawer import ControlsDrawer
from dropviz.ui.settings import clamp_to_screen

LECTURE_SCALE = 1.5
AXES = ("left", "bottom", "right", "top")


def _pen(item: pg.GraphicsObject) -> QPen | None:
    """The pen of a line-drawing item; None for items whose pens are not scaled."""
    if isinstance(item, pg.InfiniteLine):
        return item.pen
    if isinstance(item, pg.PlotDataItem | pg.PlotCurveItem | pg.ErrorBarItem):
        pen = item.opts.get("pen")
        return None if pen is None else pg.mkPen(pen)
    return None


def _set_pen(item: pg.GraphicsObject, pen: QPen) -> None:
    if isinstance(item, pg.ErrorBarItem):
        item.setData(pen=pen)
    else:
        item.setPen(pen)


class LectureMode(QObject):
    """The actions (F11, Esc, Ctrl+L) and the state; `active` says whether it is on."""

    sigScale = pyqtSignal(float)

    def __init__(self, window: QMainWindow, drawer: ControlsDrawer) -> None:
        super().__init__(window)
        self._window = window
        self._drawer = drawer
        self.active = False
        self.scale = 1.0
        self._normal_font = QFont(window.font())
        self._widths: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._title_sizes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        window.setAttribute(Qt.WA_WindowPropagation)  # dialogs take the larger font too
        self.toggle_action = self._action("&Lecture mode", "F11", "Full screen, larger text "
                                          "and thicker lines, for a projector (F11).")
        self.toggle_action.setCheckable(True)
        self.toggle_action.triggered.connect(self.set_active)
        self.leave_action = self._action("Leave lecture mode", "Esc",
                                         "Back to the normal window (Esc).")
        self.leave_action.triggered.connect(lambda: self.set_active(False))
        self.controls_action = self._action("Show the &control panel", "Ctrl+L",
                                            "Show or hide the controls on the left, to give "
                                            "the plots the whole width (Ctrl+L).")
        self.controls_action.setCheckable(True)
        self.controls_action.setChecked(True)
        self.controls_action.triggered.connect(drawer.set_open)  # the user's, not the fit's
        drawer.sigOpenChanged.connect(self.controls_action.setChecked)

    def _action(self, text: str, key: str, tip: str) -> QAction:
        action = QAction(text, self._window)
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.WindowShortcut)
        action.setToolTip(tip)
        self._window.addAction(action)  # works with the menu bar hidden in full screen too
        return action

    def set_active(self, active: bool) -> None:
        if active == self.active:
            return
        self.active = active
        self.toggle_action.setChecked(active)
        self.scale = LECTURE_SCALE if active else 1.0
        font = QFont(self._normal_font)
        font.setPointSizeF(self._normal_font.pointSizeF() * self.scale)
        self._window.setFont(font)
        if active:
            self._window.showFullScreen()
        else:
            self._window.showNormal()
            clamp_to_screen(self._window)
        self.sigScale.emit(self.scale)  # the window fits its panels to the new text size
        self.refresh()

    def refresh(self) -> None:
        """Bring every plot of the window to the current scale, items added since included."""
        for view in self._window.findChildren(pg.GraphicsView):
            for item in view.scene().items():
                if isinstance(item, pg.PlotItem):
                    self._scale_plot(item)

    def _scale_plot(self, plot: pg.PlotItem) -> None:
        for item in plot.items:
            pen = _pen(item)
            if pen is None:
                continue
            normal = self._widths.setdefault(item, pen.widthF())
            if pen.widthF() != normal * self.scale:
                pen.setWidthF(normal * self.scale)
                _set_pen(item, pen)
        points = self._normal_font.pointSizeF() * self.scale
        font = QFont(self._normal_font)
        font.setPointSizeF(points)
        for name in AXES:
            axis = plot.getAxis(name)
            axis.setTickFont(font if self.active else None)
            if axis.labelText:
                axis.setLabel(axis.labelText, axis.labelUnits, axis.labelUnitPrefix,
                              **{**axis.labelStyle, "font-size": f"{points:g}pt"})
        self._scale_title(plot)

    def _scale_title(self, plot: pg.PlotItem) -> None:
        """The title's own size; a second line with a size of its own keeps it."""
        label = plot.titleLabel
        size = label.opts.get("size")
        if not label.text or not size or not size.endswith("pt"):
            return
        normal = self._title_sizes.setdefault(label, float(size[:-2]))
        label.setText(label.text, size=f"{normal * self.scale:g}pt")
        height = label.itemRect().height()
        label.setMaximumHeight(height)
        plot.layout.setRowFixedHeight(0, height)

    def axis_font_size(self, plot: pg.PlotItem) -> float:
        """The point size of a plot's tick labels now: for checking the mode took effect."""
        font = plot.getAxis("bottom").style["tickFont"]
        return (font or self._normal_font).pointSizeF()
