"""The Presets menu and the panel that tells the story of the preset chosen.

A preset is a one-minute lesson: choosing it starts its run (with its compare run as a baseline
when it has one) and shows its paragraph above the plots until closed. The files are read when the
menu first opens, so a damaged file costs the start-up nothing and is reported when asked for.
"""

from __future__ import annotations

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtGui import QColor, QPalette
from PyQt5.QtWidgets import QFrame, QHBoxLayout, QLabel, QMenu, QToolButton, QVBoxLayout, QWidget

from dropviz.model.errors import DropvizError
from dropviz.model.presets import Preset, load_presets

MAX_TEXT_SHARE = 0.12
BACKGROUND = "#f3f0fa"
TEXT = "#2b1d4a"


class PresetsMenu(QMenu):
    """One entry per preset file, in the files' order; `sigChosen` carries the Preset."""

    sigChosen = pyqtSignal(object)
    sigError = pyqtSignal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("&Presets", parent)
        self.setToolTipsVisible(True)
        self._presets: list[Preset] | None = None
        self.aboutToShow.connect(self.presets)

    def presets(self) -> list[Preset]:
        """The presets, read on first use; a bad file is reported and the menu stays empty."""
        if self._presets is None:
            try:
                self._presets = load_presets()
            except DropvizError as error:
                self._presets = []
                self.sigError.emit(str(error))
            for preset in self._presets:
                action = self.addAction(preset.title)
                action.setToolTip(preset.explanation.split(". ")[0] + ".")
                action.triggered.connect(lambda _=False, p=preset: self.sigChosen.emit(p))
        return self._presets

    def choose(self, key: str) -> Preset:
        """Pick a preset by its file's key ("02_dropout_closes_gap"), as its menu entry does."""
        preset = next(p for p in self.presets() if p.key == key)
        self.sigChosen.emit(preset)
        return preset


class ExplanationPanel(QFrame):
    """The chosen preset's title and paragraph, above the plots, until closed.

    Its text takes the window's font, so lecture mode enlarges it with everything else. While the
    banner shows a message the explanation waits (`hold`), and comes back when the banner goes:
    one message at a time above the plots. Where the paragraph would take more than
    MAX_TEXT_SHARE of the window's height (lecture mode on a 1280x720 projector: five lines that
    left the curves 60 pixels) it folds to its title line, and ▸ unfolds it.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Colours by palette, not style sheet: widgets under a style sheet stop taking the
        # window's font, and lecture mode enlarges text through that font.
        palette = self.palette()
        palette.setColor(QPalette.Window, QColor(BACKGROUND))
        palette.setColor(QPalette.WindowText, QColor(TEXT))
        self.setPalette(palette)
        self.setAutoFillBackground(True)
        self.setFrameShape(QFrame.StyledPanel)
        self.title = QLabel()
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Close the explanation.")
        close.setFocusPolicy(Qt.NoFocus)
        close.clicked.connect(self.dismiss)
        self.close_button = close
        self.fold_button = QToolButton()
        self.fold_button.setAutoRaise(True)
        self.fold_button.setFocusPolicy(Qt.NoFocus)
        self.fold_button.clicked.connect(lambda: self.set_folded(self.text.isVisible()))
        self._too_tall: bool | None = None  # at the last fit
        self.preset_key: str | None = None  # the preset explained, until closed
        self._held = False
        words = QVBoxLayout()
        words.setContentsMargins(0, 0, 0, 0)
        words.addWidget(self.title)
        words.addWidget(self.text)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addLayout(words, 1)
        layout.addWidget(self.fold_button, 0, Qt.AlignTop)
        layout.addWidget(close, 0, Qt.AlignTop)
        self.set_folded(False)
        self.hide()

    def show_preset(self, preset: Preset, baseline: str) -> None:
        """`baseline` names the compare run drawn dashed, if the preset has one."""
        self.title.setText(f"<b>Preset: {preset.title}</b>")
        note = (f" Dashed curves and the second map: the compare run ({baseline})."
                if baseline else "")
        self.text.setText(preset.explanation + note)
        self.preset_key = preset.key
        self._too_tall = None
        self.fit()
        self.setVisible(not self._held)

    def set_folded(self, folded: bool) -> None:
        self.text.setVisible(not folded)
        self.fold_button.setText("▸" if folded else "▾")
        self.fold_button.setToolTip("Show the explanation." if folded
                                    else "Fold the explanation to its title.")

    def fit(self) -> None:
        """Fold the paragraph when it becomes too tall for the window, unfold it when it fits
        again; in between the user's choice holds."""
        window = self.window()
        width = max(window.width() - 100, 200)  # the panel spans the window, shown or not
        too_tall = self.text.heightForWidth(width) > window.height() * MAX_TEXT_SHARE
        if too_tall != self._too_tall:
            self._too_tall = too_tall
            self.set_folded(too_tall)

    def dismiss(self) -> None:
        self.preset_key = None
        self.hide()

    def hold(self, held: bool) -> None:
        """Wait behind the banner's message (True), or come back if still wanted (False)."""
        self._held = held
        self.setVisible(self.preset_key is not None and not held)
