"""The "Pinned runs" menu and the Pin action (P): they edit the window state's list of pins.

The plots draw the list when the state says it changed; nothing here draws.
"""

from __future__ import annotations

from PyQt5.QtCore import QObject, Qt
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import QAction, QMenu, QWidget

from dropviz.ui.window_state import WindowState


class PinsMenu(QObject):
    def __init__(self, state: WindowState, parent: QWidget) -> None:
        super().__init__(parent)
        self._state = state
        self.menu = QMenu("&Pinned runs", parent)
        self.pin_action = QAction("&Pin this run", parent)
        self.pin_action.setShortcut(QKeySequence(Qt.Key_P))
        self.pin_action.setShortcutContext(Qt.WindowShortcut)
        self.pin_action.setToolTip("Keep this run's curves as a faint overlay with a legend "
                                   "entry, to compare it with the next runs (P).")
        self.pin_action.triggered.connect(state.pin)
        self.clear_action = QAction("Remove &all pins", parent)
        self.clear_action.triggered.connect(state.clear_pins)
        self.menu.aboutToShow.connect(self._fill_menu)
        self._fill_menu()

    def _fill_menu(self) -> None:
        """The remove actions are made afresh each time: one per pin, named by its label."""
        pins = self._state.pins
        self.menu.clear()
        self.menu.addAction(self.pin_action)
        self.clear_action.setEnabled(bool(pins))
        self.menu.addAction(self.clear_action)
        if pins:
            self.menu.addSeparator()
        for pin in pins:
            action = self.menu.addAction(f"Remove {pin.label}")
            action.triggered.connect(lambda _=False, pin=pin: self._state.unpin(pin))
