"""The control panel as a drawer: shown beside the plots when there is room, a narrow strip when not.

On a projector the plots are what the class reads, so they give way last. When the window is
too narrow for the controls and the plots' minimum (VIEWS_MIN_WIDTH, times lecture mode's scale)
the panel folds to a strip down the left edge, by itself; a click on the strip or Ctrl+L opens
it over the plots' room for as long as it is wanted. Widening the window brings back a panel
that folded by itself; one the user closed stays closed.

Measured with the screenshots of issue 17: at 1280x720 the controls need 370 pixels at the normal
font and 520 in lecture mode, and a plot stops fitting its title and axis text under about 300
pixels (450 in lecture mode), so the controls fold below 1270 pixels (1870 in lecture mode).
"""

from __future__ import annotations

from PyQt5.QtCore import QEvent, QRect, Qt, pyqtSignal
from PyQt5.QtGui import QPainter, QPaintEvent
from PyQt5.QtWidgets import QHBoxLayout, QSizePolicy, QSplitter, QToolButton, QWidget

from dropviz.ui.panels.controls_panel import ControlsPanel

QWIDGETSIZE_MAX = (1 << 24) - 1
MIN_VIEWS_PANE = 1000
VIEW_MIN_WIDTH = 300  # pixels a view needs at the normal scale; times lecture mode's scale
VIEWS_MIN_WIDTH = 3 * VIEW_MIN_WIDTH  # the views keep three in a row before the controls fold
STRIP_TEXT = "Controls  ▸"


class Strip(QToolButton):
    """A button down the window's left edge whose label reads upwards, as on a book's spine."""

    def __init__(self) -> None:
        super().__init__()
        self.setToolTip("Show the controls (Ctrl+L).")
        self.setAutoRaise(True)
        self.setFocusPolicy(Qt.NoFocus)
        self.setSizePolicy(QSizePolicy.Fixed, QSizePolicy.Expanding)
        self._fit()

    def _fit(self) -> None:
        self.setFixedWidth(self.fontMetrics().height() + 10)
        self.setMinimumHeight(self.fontMetrics().horizontalAdvance(STRIP_TEXT) + 20)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.FontChange:
            self._fit()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        painter = QPainter(self)
        painter.translate(0, self.height())
        painter.rotate(-90)
        painter.drawText(QRect(0, 0, self.height(), self.width()), Qt.AlignCenter, STRIP_TEXT)
        painter.end()


class ControlsDrawer(QWidget):
    """The strip and the panel; `open` says whether the panel shows."""

    sigOpenChanged = pyqtSignal(bool)

    def __init__(self, controls: ControlsPanel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controls = controls
        self.strip = Strip()
        self.strip.clicked.connect(lambda: self.set_open(True))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.strip)
        layout.addWidget(controls)
        self.open = True
        self.folded_by_itself = False
        self._room: bool | None = None  # whether the window had room at the last fit
        self.strip.hide()

    def set_open(self, open_: bool) -> None:
        """The user's wish (the strip, Ctrl+L): it holds until the user changes it."""
        self.folded_by_itself = False
        self._show(open_)

    def fit(self, window_width: int, scale: float) -> None:
        """When the window stops having room for the panel and the views, fold the panel; when
        it has room again, unfold a panel that folded by itself. Between the two the user's
        choice holds: a drawer opened on a small screen stays open while it is resized."""
        room = window_width - self.controls.needed_width() >= VIEWS_MIN_WIDTH * scale
        if room == self._room:
            return
        self._room = room
        if not room and self.open:
            self._show(False)
            self.folded_by_itself = True
        elif room and self.folded_by_itself:
            self.folded_by_itself = False
            self._show(True)

    def _show(self, open_: bool) -> None:
        self.controls.setVisible(open_)
        self.strip.setVisible(not open_)
        width = self.controls.needed_width() if open_ else self.strip.minimumWidth()
        self.setMaximumWidth(QWIDGETSIZE_MAX if open_ else width)
        splitter = self.parentWidget()
        if isinstance(splitter, QSplitter):  # it keeps the pane's old width, empty, otherwise
            # Before the window is first laid out the sizes are 0; the splitter scales these
            # to its width then, so the views never get none.
            sizes = splitter.sizes()
            splitter.setSizes([width, max(sum(sizes) - width, MIN_VIEWS_PANE), *sizes[2:]])
        if open_ != self.open:
            self.open = open_
            self.sigOpenChanged.emit(open_)
