"""The "Compare with baseline" toggle and the small dialog that picks the baseline's dropout.

The toggle's check mark follows the worker (`show_active`), not the click: a baseline that fails
to build, or a comparison the worker turns off, unchecks it again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PyQt5.QtCore import QObject, Qt, pyqtSignal
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import QAction, QDialog, QDialogButtonBox, QFormLayout, QLabel, QWidget

from dropviz.model.config import Config, DropoutConfig
from dropviz.session.compare import NO_DROPOUT, CompareSpec, compare_config, run_label
from dropviz.ui.panels.dropout_panel import MASK_CHOICES, SCALING_CHOICES, TIME_MASK_CHOICES
from dropviz.ui.panels.widgets import RateControl, choice_box, select_data


def _rate(hidden: float | tuple[float, ...]) -> float:
    return hidden[0] if isinstance(hidden, tuple) else hidden


class BaselineDialog(QDialog):
    """The baseline's rates, scaling and mask; it starts from the current baseline's. A recurrent
    run's baseline also has its own recurrent rate and time mask: tied against per-step masks is
    the comparison recurrent dropout is about."""

    def __init__(self, baseline: Config, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Baseline trained alongside")
        note = QLabel("The baseline trains alongside the run from the same initial weights, on "
                      "the same minibatches, with these dropout settings. Its curves are dashed.")
        note.setWordWrap(True)
        self.input_rate = RateControl("The baseline's input dropout rate.")
        self.hidden_rate = RateControl("The baseline's hidden dropout rate; 0 = no dropout.")
        self.scaling = choice_box(SCALING_CHOICES, "The baseline's scaling mode.")
        self.mask = choice_box(MASK_CHOICES, "The baseline's mask shape.")
        self.recurrent_rate = RateControl("The baseline's rate on the state carried between time "
                                          "steps.")
        self.time_mask = choice_box(TIME_MASK_CHOICES, "Whether the baseline's masks change at "
                                    "every time step or stay the same for a sequence.")
        self.recurrent_rate.set_value(round(baseline.dropout.recurrent, 2))
        select_data(self.time_mask, baseline.dropout.time_mask)
        self.input_rate.set_value(baseline.dropout.input)
        self.hidden_rate.set_value(round(_rate(baseline.dropout.hidden), 2))
        select_data(self.scaling, baseline.scaling)
        select_data(self.mask, baseline.mask)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText("Compare")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(note)
        form.addRow("Input rate p", self.input_rate)
        form.addRow("Hidden rate p", self.hidden_rate)
        form.addRow("Scaling", self.scaling)
        form.addRow("Mask", self.mask)
        if baseline.recurrent:
            form.addRow("Recurrent rate p", self.recurrent_rate)
            form.addRow("Time mask", self.time_mask)
        self._recurrent = baseline.recurrent
        form.addRow(buttons)

    def spec(self, main: Config) -> CompareSpec:
        dropout = DropoutConfig(input=self.input_rate.value(), hidden=self.hidden_rate.value())
        if self._recurrent:
            dropout = replace(dropout, recurrent=self.recurrent_rate.value(),
                              time_mask=self.time_mask.currentData())
        settings = (("dropout", dropout), ("scaling", self.scaling.currentData()),
                    ("mask", self.mask.currentData()))
        label = ""
        if any(dropout.rates(1, self._recurrent)):
            label = run_label(replace(main, **dict(settings)))
        return CompareSpec(settings, label or NO_DROPOUT.label)


class CompareControls(QObject):
    """Actions for the Compare menu and the toolbar; `sigSpec` carries the wish to the worker."""

    sigSpec = pyqtSignal(object)  # CompareSpec, or None to stop comparing

    def __init__(self, config: Callable[[], Config], parent: QWidget) -> None:
        super().__init__(parent)
        self._config = config  # the run's config, which the dialog starts from
        self._parent = parent
        self.spec: CompareSpec = NO_DROPOUT  # used the next time the toggle is turned on
        self.active_label = ""
        self.toggle_action = QAction("&Compare with baseline", parent)
        self.toggle_action.setCheckable(True)
        self.toggle_action.setShortcut(QKeySequence(Qt.Key_C))
        self.toggle_action.setShortcutContext(Qt.WindowShortcut)
        self.toggle_action.setToolTip("Train a baseline alongside, from the same initial "
                                      "weights, without dropout unless chosen otherwise: dashed "
                                      "curves and a second decision map (C).")
        self.toggle_action.triggered.connect(self._toggled)
        self.settings_action = QAction("Baseline &settings...", parent)
        self.settings_action.setToolTip("Choose the baseline's dropout rates and scaling.")
        self.settings_action.triggered.connect(self.ask_settings)

    def _toggled(self, checked: bool) -> None:
        self.toggle_action.setChecked(bool(self.active_label))  # until the worker says so
        self.sigSpec.emit(self.spec if checked else None)

    def ask_settings(self) -> None:
        main = self._config()
        dialog = BaselineDialog(compare_config(main, self.spec), self._parent)
        if dialog.exec_() == QDialog.Accepted:
            self.use(dialog.spec(main))

    def use(self, spec: CompareSpec) -> None:
        """Compare with `spec` now."""
        self.spec = spec
        self.sigSpec.emit(spec)

    def show_active(self, label: str) -> None:
        """The worker's word: the label of the baseline now training, or "" for none."""
        self.active_label = label
        self.toggle_action.setChecked(bool(label))
