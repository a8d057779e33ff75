"""Network and optimiser controls. Learning rate, batch size and L2 act live; the rest restart
(the model too: feed-forward, or a recurrent net over time steps)."""

from __future__ import annotations

import re
from dataclasses import replace

from PyQt5.QtCore import QRegularExpression, pyqtSignal
from PyQt5.QtGui import QRegularExpressionValidator
from PyQt5.QtWidgets import QFormLayout, QGroupBox, QLineEdit, QWidget

from dropviz.model.config import Config
from dropviz.model.errors import ConfigError
from dropviz.ui.panels.widgets import (
    RESTARTS,
    RESTARTS_TIP,
    choice_box,
    float_box,
    release_focus_on_enter,
    select_data,
    set_quietly,
    spin_box,
)

ACTIVATION_CHOICES = [("ReLU", "relu"), ("tanh", "tanh"), ("sigmoid", "sigmoid")]
MODEL_CHOICES = [("feed-forward (MLP)", "mlp"), ("recurrent (tanh RNN)", "rnn"), ("GRU", "gru")]
OPTIMIZER_CHOICES = [("Adam", "adam"), ("SGD with momentum", "momentum"), ("plain SGD", "sgd")]


def parse_layers(text: str) -> tuple[int, ...]:
    """"128, 64" -> (128, 64); the Config then checks the widths and the count."""
    parts = [part for part in re.split(r"[,\s]+", text.strip()) if part]
    if not parts or not all(part.isdigit() for part in parts):
        raise ConfigError("hidden layers: write the widths separated by commas, e.g. 64, 32")
    return tuple(int(part) for part in parts)


class NetworkPanel(QGroupBox):
    sigEdited = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Network", parent)
        self.layers = QLineEdit()
        self.layers.setValidator(QRegularExpressionValidator(QRegularExpression(r"[0-9, ]*")))
        release_focus_on_enter(self.layers)
        self.layers.setToolTip("Widths of the hidden layers, separated by commas: a wider, deeper "
                               "network overfits more easily, which is what dropout fights."
                               + RESTARTS_TIP)
        self.model = choice_box(MODEL_CHOICES, "The network: feed-forward, or a recurrent net that "
                                "reads each row as time steps (waves, digits rows) with one or "
                                "two recurrent layers of the widths below, and its output on the "
                                "last step's state." + RESTARTS_TIP)
        self.activation = choice_box(ACTIVATION_CHOICES, "The nonlinearity each hidden unit "
                                     "applies to its input." + RESTARTS_TIP)
        self.optimizer = choice_box(OPTIMIZER_CHOICES, "How each gradient moves the weights: "
                                    "Adam adapts the step per weight, SGD takes it as it is."
                                    + RESTARTS_TIP)
        self.learning_rate = float_box(1e-5, 100.0, 0.001, 5, "The size of each update: too "
                                       "high and the loss diverges, too low and training crawls.",
                                       adaptive=True)
        self.batch_size = spin_box(1, 4096, "Examples per training step; with per-example masks "
                                   "each example gets its own thinned network.")
        self.l2 = float_box(0.0, 10.0, 0.0001, 5, "Weight decay: a penalty on large weights, the "
                            "classic regulariser to compare dropout with.", adaptive=True)
        form = QFormLayout(self)
        form.addRow("Model" + RESTARTS, self.model)
        form.addRow("Hidden layers" + RESTARTS, self.layers)
        form.addRow("Activation" + RESTARTS, self.activation)
        form.addRow("Optimizer" + RESTARTS, self.optimizer)
        form.addRow("Learning rate", self.learning_rate)
        form.addRow("Batch size", self.batch_size)
        form.addRow("L2", self.l2)
        self.layers.editingFinished.connect(self.sigEdited)
        for box in (self.model, self.activation, self.optimizer):
            box.activated.connect(self.sigEdited)
        for spin in (self.learning_rate, self.batch_size, self.l2):
            spin.valueChanged.connect(self.sigEdited)

    def apply(self, config: Config) -> Config:
        return replace(config, model=self.model.currentData(),
                       hidden_layers=parse_layers(self.layers.text()),
                       activation=self.activation.currentData(),
                       optimizer=self.optimizer.currentData(),
                       learning_rate=self.learning_rate.value(), batch_size=self.batch_size.value(),
                       l2=self.l2.value())

    def show_config(self, config: Config) -> None:
        self.layers.setText(", ".join(map(str, config.hidden_layers)))
        select_data(self.model, config.model)
        select_data(self.activation, config.activation)
        self.activation.setEnabled(not config.recurrent)  # the cells are tanh
        select_data(self.optimizer, config.optimizer)
        set_quietly(self.learning_rate, config.learning_rate)
        set_quietly(self.batch_size, config.batch_size)
        set_quietly(self.l2, config.l2)
