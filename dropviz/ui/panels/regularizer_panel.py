"""The regularizer lab's controls: what kind of noise dropout draws, batch norm, max-norm and L1.

Max-norm and L1 act live, as the rates do; the kind of noise and batch norm change the graph, so
they restart the run (↺).
"""

from __future__ import annotations

from dataclasses import replace

from PyQt5.QtCore import pyqtSignal
from PyQt5.QtWidgets import QFormLayout, QGroupBox, QWidget

from dropviz.model.config import Config
from dropviz.ui.panels.widgets import (
    RESTARTS,
    RESTARTS_TIP,
    choice_box,
    float_box,
    select_data,
    set_quietly,
)

KIND_CHOICES = [("units (Bernoulli)", "bernoulli"), ("Gaussian noise", "gaussian"),
                ("weights (DropConnect)", "dropconnect")]
BATCH_NORM_CHOICES = [("none", "none"), ("before dropout", "before_dropout"),
                      ("after dropout", "after_dropout")]
MAX_NORM_TOP = 100.0


class RegularizerPanel(QGroupBox):
    sigEdited = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Regularizers", parent)
        self.kind = choice_box(
            KIND_CHOICES,
            "What dropout draws at each step. Units: each unit kept or zeroed. Gaussian noise: "
            "each unit multiplied by noise of the same mean and variance (Srivastava et al., sec. "
            "10). DropConnect: each weight kept or zeroed on its own (Wan et al. 2013); the rates "
            "and scaling keep their meaning." + RESTARTS_TIP)
        self.batch_norm = choice_box(
            BATCH_NORM_CHOICES,
            "Batch normalization of each hidden layer (dense, normalise, activation). Before "
            "dropout: the mask follows the normalisation. After dropout: the mask sits between "
            "the dense layer and its normalisation, so the variance the normalisation learns in "
            "training is not the one it meets at test time (Li et al. 2019; see Variance shift)."
            + RESTARTS_TIP)
        self.max_norm = float_box(0.0, MAX_NORM_TOP, 0.5, 2, "Max-norm c: after every update each "
                                  "hidden unit's incoming weights are shrunk to length at most c "
                                  "(Srivastava et al. pair it with dropout to train at high "
                                  "learning rates). 0 is off.")
        self.max_norm.setSpecialValueText("off")
        self.l1 = float_box(0.0, 10.0, 0.0001, 5, "A penalty on the absolute size of the "
                            "weights: it pushes many of them to exactly zero.", adaptive=True)
        form = QFormLayout(self)
        form.addRow("Dropout kind" + RESTARTS, self.kind)
        form.addRow("Batch norm" + RESTARTS, self.batch_norm)
        form.addRow("Max-norm c", self.max_norm)
        form.addRow("L1", self.l1)
        for box in (self.kind, self.batch_norm):
            box.activated.connect(self.sigEdited)
        for spin in (self.max_norm, self.l1):
            spin.valueChanged.connect(self.sigEdited)

    def apply(self, config: Config) -> Config:
        limit = self.max_norm.value()
        return replace(config, dropout=replace(config.dropout, kind=self.kind.currentData()),
                       batch_norm=self.batch_norm.currentData(),
                       max_norm=limit if limit > 0 else None, l1=self.l1.value())

    def show_config(self, config: Config) -> None:
        select_data(self.kind, config.dropout.kind)
        select_data(self.batch_norm, config.batch_norm)
        set_quietly(self.max_norm, min(config.max_norm or 0.0, MAX_NORM_TOP))
        set_quietly(self.l1, config.l1)
