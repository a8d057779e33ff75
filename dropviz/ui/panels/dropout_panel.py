"""Dropout controls. All of them act live, between two training steps, without a new network."""

from __future__ import annotations

from dataclasses import replace

from PyQt5.QtCore import pyqtSignal
from PyQt5.QtWidgets import QFormLayout, QGroupBox, QWidget

from dropviz.model.config import Config
from dropviz.ui.panels.widgets import RateControl, choice_box, select_data

SCALING_CHOICES = [("inverted", "inverted"), ("weight scaling", "weight_scaling"),
                   ("none", "none")]
MASK_CHOICES = [("per example", "per_example"), ("per batch", "per_batch")]
TIME_MASK_CHOICES = [("new at every step", "per_step"), ("tied over time", "tied")]


def _shown(hidden: float | tuple[float, ...]) -> float:
    """The one hidden rate the panel shows: the first layer's."""
    return round(hidden[0] if isinstance(hidden, tuple) else hidden, 2)


class DropoutPanel(QGroupBox):
    sigEdited = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Dropout (acts live)", parent)
        self.input_rate = RateControl("The probability of dropping each input feature at a "
                                      "training step; 0 keeps every input.")
        self.hidden_rate = RateControl("The probability of dropping each hidden unit at a "
                                       "training step, the same for every hidden layer; 0.5 is "
                                       "the classic choice.")
        self.scaling = choice_box(
            SCALING_CHOICES,
            "How the expected activation is kept the same in training and testing: inverted "
            "trains with h·mask/(1-p) and tests with h; weight scaling trains with h·mask and "
            "tests with h·(1-p); none does not compensate, so test activations come out too "
            "large.")
        self.mask = choice_box(MASK_CHOICES, "Per example: every example of the batch drops its "
                               "own units; per batch: the whole batch shares one mask.")
        self.recurrent_rate = RateControl("Recurrent models only: the probability of dropping "
                                          "each unit of the state carried from one time step to "
                                          "the next.")
        self.time_mask = choice_box(
            TIME_MASK_CHOICES,
            "Recurrent models only. New at every step: each time step draws its own masks (the "
            "naive way). Tied over time: one mask per sequence for every time step, on the "
            "inputs, the outputs and the carried state (variational dropout, Gal and "
            "Ghahramani 2016).")
        form = QFormLayout(self)
        form.addRow("Input rate p", self.input_rate)
        form.addRow("Hidden rate p", self.hidden_rate)
        form.addRow("Recurrent rate p", self.recurrent_rate)
        form.addRow("Time mask", self.time_mask)
        form.addRow("Scaling", self.scaling)
        form.addRow("Mask", self.mask)
        for rate in (self.input_rate, self.hidden_rate, self.recurrent_rate):
            rate.sigChanged.connect(self.sigEdited)
        for box in (self.scaling, self.mask, self.time_mask):
            box.activated.connect(self.sigEdited)

    def apply(self, config: Config) -> Config:
        """Per-layer hidden rates stay as they are until the hidden rate itself is edited."""
        hidden: float | tuple[float, ...] = self.hidden_rate.value()
        if isinstance(config.dropout.hidden, tuple) and hidden == _shown(config.dropout.hidden):
            hidden = config.dropout.hidden
        dropout = replace(config.dropout, input=self.input_rate.value(), hidden=hidden,
                          recurrent=self.recurrent_rate.value(),
                          time_mask=self.time_mask.currentData())
        return replace(config, dropout=dropout, scaling=self.scaling.currentData(),
                       mask=self.mask.currentData())

    def show_config(self, config: Config) -> None:
        """A per-layer list of hidden rates shows as its first rate; editing sets one for all."""
        self.input_rate.set_value(config.dropout.input)
        self.hidden_rate.set_value(_shown(config.dropout.hidden))
        select_data(self.scaling, config.scaling)
        select_data(self.mask, config.mask)
        self.recurrent_rate.set_value(round(config.dropout.recurrent, 2))
        select_data(self.time_mask, config.dropout.time_mask)
        for widget in (self.recurrent_rate, self.time_mask):
            widget.setEnabled(config.recurrent)
