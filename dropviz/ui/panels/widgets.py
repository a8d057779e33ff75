"""Small widgets the control panels share."""

from __future__ import annotations

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLineEdit,
    QSlider,
    QSpinBox,
    QWidget,
)

RESTARTS = " ↺"  # appended to the label of a control whose change needs a new network
RESTARTS_TIP = " Changing it starts a new run."

def release_focus_on_enter(box: QAbstractSpinBox | QLineEdit) -> None:
    """After Enter the box lets go of the keyboard, so the next Space plays instead of typing."""
    if isinstance(box, QLineEdit):
        box.returnPressed.connect(box.clearFocus)
    else:
        box.lineEdit().returnPressed.connect(box.clearFocus)


RATE_STEP = 0.05
RATE_MAX = 0.9


class RateControl(QWidget):
    """A dropout rate as a slider and a spin box kept in step: one to feel, one to read."""

    sigChanged = pyqtSignal(float)

    def __init__(self, tooltip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setRange(0, round(RATE_MAX / RATE_STEP))
        self.slider.setPageStep(2)
        self.spin = QDoubleSpinBox()
        self.spin.setRange(0.0, RATE_MAX)
        self.spin.setSingleStep(RATE_STEP)
        self.spin.setDecimals(2)
        self.spin.setKeyboardTracking(False)
        release_focus_on_enter(self.spin)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin)
        for widget in (self, self.slider, self.spin):
            widget.setToolTip(tooltip)
        self.slider.valueChanged.connect(lambda tick: self._changed(tick * RATE_STEP))
        self.spin.valueChanged.connect(self._changed)

    def value(self) -> float:
        return round(self.spin.value(), 2)

    def set_value(self, rate: float) -> None:
        """Show a rate without telling anyone: used when the window shows a config."""
        for widget in (self.slider, self.spin):
            widget.blockSignals(True)
        self.spin.setValue(rate)
        self.slider.setValue(round(rate / RATE_STEP))
        for widget in (self.slider, self.spin):
            widget.blockSignals(False)

    def _changed(self, rate: float) -> None:
        rate = round(rate, 2)
        self.set_value(rate)  # brings the other widget in step
        self.sigChanged.emit(rate)


def spin_box(low: int, high: int, tooltip: str) -> QSpinBox:
    """An integer box that reports only when typing is done, so no half-typed value starts a run."""
    box = QSpinBox()
    box.setRange(low, high)
    box.setKeyboardTracking(False)
    box.setToolTip(tooltip)
    release_focus_on_enter(box)
    return box


def float_box(low: float, high: float, step: float, decimals: int, tooltip: str,
              adaptive: bool = False) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setDecimals(decimals)
    box.setKeyboardTracking(False)
    if adaptive:  # steps of a tenth of the current value: right for rates spanning decades
        box.setStepType(QAbstractSpinBox.AdaptiveDecimalStepType)
    box.setToolTip(tooltip)
    release_focus_on_enter(box)
    return box


def choice_box(choices: list[tuple[str, str]], tooltip: str) -> QComboBox:
    """A combo of (shown text, config value) pairs."""
    box = QComboBox()
    for text, value in choices:
        box.addItem(text, value)
    box.setToolTip(tooltip)
    return box


def select_data(box: QComboBox, value: object) -> None:
    """Select the item holding `value`, without emitting."""
    box.blockSignals(True)
    box.setCurrentIndex(max(0, box.findData(value)))
    box.blockSignals(False)


def set_quietly(box: QSpinBox | QDoubleSpinBox, value: float) -> None:
    box.blockSignals(True)
    box.setValue(value)
    box.blockSignals(False)
