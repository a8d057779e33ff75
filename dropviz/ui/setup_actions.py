"""File > Copy setup and Open setup: the run's settings, preset and baseline as one line of text.

A lecturer copies the setup shown in class and pastes it into the course page; a student opens it
(here, or `dropviz --setup STRING`) and gets the same run: the settings, the preset's explanation
and the baseline trained alongside. The text is made and read by session/setup_string.py, which
refuses a malformed or changed string with its reason; that reason shows in the banner and the
run on screen goes on. Every question to the user is a method (`ask_setup`) that tests replace.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt5.QtCore import QObject
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import QAction, QApplication, QInputDialog, QLineEdit, QMainWindow

from dropviz.model.errors import DropvizError
from dropviz.session.setup_string import PREFIX, Setup, decode_setup, encode_setup
from dropviz.ui.banner import Banner
from dropviz.ui.panels.compare_controls import CompareControls
from dropviz.ui.panels.presets_menu import ExplanationPanel, PresetsMenu
from dropviz.ui.window_state import WindowState
from dropviz.ui.worker.worker import WorkerHandle

NEWS_SECONDS = 15.0


class SetupActions(QObject):
    """The two actions, and restoring a setup, from the menu or the command line."""

    def __init__(self, window: QMainWindow, state: WindowState, handle: WorkerHandle,
                 compare: CompareControls, presets: PresetsMenu, explanation: ExplanationPanel,
                 banner: Banner) -> None:
        super().__init__(window)
        self.window = window
        self.state = state
        self.handle = handle
        self.compare = compare
        self.presets = presets
        self.explanation = explanation
        self.banner = banner
        self.copy_action = self._action("Cop&y setup", "Ctrl+Shift+C",
                                        "Put this run's settings, preset and baseline on the "
                                        "clipboard as a short text that anyone can open.",
                                        self.copy)
        self.open_action = self._action("Open set&up...", "Ctrl+Shift+V",
                                        "Open a setup someone copied (a text that starts with "
                                        "dropviz:).", self.ask_and_open)

    def _action(self, text: str, keys: str, tip: str, slot: Callable[[], None]) -> QAction:
        action = QAction(text, self.window)
        action.setShortcut(QKeySequence(keys))
        action.setToolTip(tip)
        action.triggered.connect(slot)
        self.window.addAction(action)  # the shortcut works with the menu bar hidden too
        return action

    def current(self) -> Setup:
        """What is on screen: the settings, the preset explained, the baseline training."""
        spec = self.compare.spec if self.compare.active_label else None
        return Setup(self.state.config, self.explanation.preset_key, spec)

    def copy(self) -> str | None:
        """The setup's text, also on the clipboard; None (and the reason shown) if it has none."""
        try:
            text = encode_setup(self.current())
        except DropvizError as error:
            self.banner.show_message(f"Copy setup: {error}.", "error")
            return None
        QApplication.clipboard().setText(text)
        self.banner.show_message(f"Copied the setup: {text}  (open it with File > Open setup, or "
                                 f"dropviz --setup {text})", "info", seconds=NEWS_SECONDS)
        return text

    def ask_setup(self) -> str | None:
        """The user's text; the clipboard's is offered when it looks like a setup."""
        offered = QApplication.clipboard().text().strip()
        if not offered.lower().startswith(PREFIX):
            offered = ""
        text, accepted = QInputDialog.getText(self.window, "Open setup",
                                              "Paste a setup (it starts with dropviz:):",
                                              QLineEdit.Normal, offered)
        return text if accepted and text.strip() else None

    def ask_and_open(self) -> None:
        text = self.ask_setup()
        if text is not None:
            self.open_text(text)

    def open_text(self, text: str) -> bool:
        """Restore the setup `text` holds; False, with the reason shown, if it holds none."""
        try:
            setup = decode_setup(text)
        except DropvizError as error:
            self.banner.show_message(f"Open setup: {error}. The run shown goes on.", "error")
            return False
        self.open(setup)
        return True

    def open(self, setup: Setup) -> None:
        """A new run of the setup, its baseline alongside (none: comparing stops) and its
        preset's explanation shown."""
        self.state.set_config(setup.config)
        if setup.compare is not None:
            self.compare.spec = setup.compare
        preset = next((p for p in self.presets.presets() if p.key == setup.preset), None)
        reason = f"preset “{preset.title}”, from a setup" if preset is not None else "a setup"
        self.handle.sigStartRun.emit(setup.config, setup.compare, reason)
        if preset is not None:
            self.explanation.show_preset(preset, setup.compare.label if setup.compare else "")
        else:
            self.explanation.dismiss()
            if setup.preset is not None:
                self.banner.show_message(f"This setup was made with the preset {setup.preset}, "
                                         "which this version of dropviz does not have: its "
                                         "settings are used without its explanation.", "info",
                                         seconds=NEWS_SECONDS)
