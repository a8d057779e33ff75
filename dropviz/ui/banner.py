"""A message across the top of the window: readable from the back row, and easy to test.

A modal box would stop a lecture; a banner stays until it is closed or replaced. A new message
replaces the one shown, and the preset's explanation waits behind it (see `sigShowing`): two
messages stacked pushed the plots down.
"""

from __future__ import annotations

from PyQt5.QtCore import Qt, QTimer, pyqtSignal
from PyQt5.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from dropviz.logs import log_window_error

STYLES = {
    "info": "background: #e8f1fb; border: 1px solid #8fb5de; color: #123a63;",
    "warning": "background: #fff4d6; border: 1px solid #e0b040; color: #5a4000;",
    "error": "background: #fde6e4; border: 1px solid #d9776d; color: #6b130b;",
}


class Banner(QFrame):
    sigShowing = pyqtSignal(bool)  # a message appeared (True) or went (False)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._label = QLabel()
        self._label.setWordWrap(True)
        self._label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss this message.")
        close.setFocusPolicy(Qt.NoFocus)
        close.clicked.connect(self.clear)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self._label, 1)
        layout.addWidget(close, 0, Qt.AlignTop)
        self._kind = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clear)
        self.hide()

    def show_message(self, text: str, kind: str = "info", seconds: float | None = None) -> None:
        """Show `text`; with `seconds` it goes away by itself (for news, not for problems).

        An error also goes to the log file: a window started from a desktop menu has no terminal.
        """
        if kind == "error":
            log_window_error(text)
        self._kind = kind
        self._label.setText(text)
        self.setStyleSheet(f"QFrame {{ {STYLES[kind]} border-radius: 4px; }} "
                           "QLabel { border: none; background: transparent; font-size: 11pt; }")
        self._timer.stop()
        if seconds is not None:
            self._timer.start(round(seconds * 1000))
        self.show()
        self.sigShowing.emit(True)

    def clear(self, kind: str | None = None) -> None:
        """Hide the message; with `kind`, only a message of that kind."""
        if kind is not None and kind != self._kind:
            return
        self._timer.stop()
        showing = bool(self._kind)
        self._kind = ""
        self._label.clear()
        self.hide()
        if showing:
            self.sigShowing.emit(False)

    def text(self) -> str:
        return self._label.text()

    def kind(self) -> str:
        return self._kind
