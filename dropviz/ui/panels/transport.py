"""Play/Pause, Step, Reset and the speed: the keys a lecturer uses without looking.

The actions carry window-wide shortcuts (Space, S or Right, R). Text boxes claim the keys they type
with, so typing a width or a rate never starts training; everywhere else the keys reach here.
"""

from __future__ import annotations

from PyQt5.QtCore import QEvent, Qt, pyqtBoundSignal, pyqtSignal
from PyQt5.QtGui import QIcon, QKeySequence
from PyQt5.QtWidgets import QAction, QLabel, QSlider, QStyle, QToolBar, QWidget

from dropviz.ui.worker.worker import DEFAULT_SPEED, SPEEDS


class Transport(QToolBar):
    sigToggle = pyqtSignal()
    sigStep = pyqtSignal()
    sigReset = pyqtSignal()
    sigSpeed = pyqtSignal(int)  # steps per screen update

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Transport", parent)
        self.setMovable(False)
        self.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        style = self.style()
        self._play_icon = style.standardIcon(QStyle.SP_MediaPlay)
        self._pause_icon = style.standardIcon(QStyle.SP_MediaPause)
        self.play_action = self._action("Play", self._play_icon, [Qt.Key_Space],
                                        "Start or pause training (Space).", self.sigToggle)
        self.step_action = self._action("Step", style.standardIcon(QStyle.SP_MediaSkipForward),
                                        [Qt.Key_S, Qt.Key_Right],
                                        "Run exactly one training step and show it "
                                        "(S or Right arrow).", self.sigStep)
        self.reset_action = self._action("Reset", style.standardIcon(QStyle.SP_BrowserReload),
                                         [Qt.Key_R], "Start again from step 0 with the same "
                                         "settings and seed (R).", self.sigReset)
        self.addSeparator()
        self.speed = QSlider(Qt.Horizontal)
        self.speed.setRange(0, len(SPEEDS) - 1)
        self.speed.setValue(SPEEDS.index(DEFAULT_SPEED))
        self.speed.setFixedWidth(180)
        self.speed.setFocusPolicy(Qt.NoFocus)
        self.speed_label = QLabel()
        self._fit_speed_label()
        tip = ("Training steps between two screen updates: 1 shows every step, more trains "
               "faster (the screen updates about 30 times a second).")
        for widget in (self.speed, self.speed_label):
            widget.setToolTip(tip)
        self.addWidget(QLabel("  Speed "))
        self.addWidget(self.speed)
        self.addWidget(self.speed_label)
        self.speed.valueChanged.connect(self._speed_changed)
        self._show_speed()

    def _action(self, text: str, icon: QIcon, keys: list[int], tip: str,
                signal: pyqtBoundSignal) -> QAction:
        action = QAction(icon, text, self)
        action.setShortcuts([QKeySequence(key) for key in keys])
        action.setShortcutContext(Qt.WindowShortcut)
        action.setToolTip(tip)
        action.triggered.connect(signal)
        self.addAction(action)
        return action

    def _fit_speed_label(self) -> None:
        """As wide as its longest text at the font in use: the toolbar does not jump as the speed
        changes, and lecture mode's larger text is not cut off."""
        longest = f" {max(SPEEDS)} steps per update "
        self.speed_label.setMinimumWidth(self.speed_label.fontMetrics().horizontalAdvance(longest))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.FontChange:
            self._fit_speed_label()

    def steps_per_update(self) -> int:
        return SPEEDS[self.speed.value()]

    def _show_speed(self) -> None:
        steps = self.steps_per_update()
        self.speed_label.setText(f" {steps} step{'' if steps == 1 else 's'} per update")

    def _speed_changed(self) -> None:
        self._show_speed()
        self.sigSpeed.emit(self.steps_per_update())

    def set_playing(self, playing: bool) -> None:
        self.play_action.setText("Pause" if playing else "Play")
        self.play_action.setIcon(self._pause_icon if playing else self._play_icon)

    def is_playing(self) -> bool:
        return self.play_action.text() == "Pause"
