"""The two reshapes around a recurrent stack: a row into time steps, and the sequence to its end.

Rows stay flat everywhere else (datasets, standardisation, files, the CLI): a recurrent model's row
is `time_steps` steps of equal width, time-major, and only the graph sees it as a sequence.
"""

from __future__ import annotations

import pytensor.tensor as pt

from dropviz.model.graph.layers.base import Layer, Pass
from dropviz.model.results import LayerInfo


class TimeSteps(Layer):
    """(batch, steps * width) -> (batch, steps, width); `units` is the width of one step."""

    kind = "time_steps"

    def __init__(self, steps: int, width: int) -> None:
        super().__init__("time_steps", width)
        self.steps = steps

    def forward(self, h: pt.TensorVariable, run: Pass) -> pt.TensorVariable:
        return h.reshape((run.rows, self.steps, self.units))

    def info(self) -> LayerInfo:
        return LayerInfo(self.kind, self.name, self.units)


class LastStep(Layer):
    """(batch, steps, units) -> (batch, units): the output layer reads the last step's state."""

    kind = "last_step"

    def __init__(self, units: int) -> None:
        super().__init__("last_step", units)

    def forward(self, h: pt.TensorVariable, run: Pass) -> pt.TensorVariable:
        return h[:, -1, :]

    def info(self) -> LayerInfo:
        return LayerInfo(self.kind, self.name, self.units)
