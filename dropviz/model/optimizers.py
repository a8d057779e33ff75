"""Parameter updates for sgd, momentum and adam, with state kept in shared variables.

The state lives in shared variables so that a saved experiment can store it and a reset can zero it
without recompiling the training function.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt

from dropviz.model.backend import FLOAT, pytensor

MOMENTUM = 0.9
ADAM_BETA1 = 0.9
ADAM_BETA2 = 0.999
ADAM_EPSILON = 1e-8


def _zeros_like(param, tag: str) -> pytensor.compile.SharedVariable:
    return pytensor.shared(np.zeros_like(param.get_value()), name=f"{param.name}_{tag}")


class Optimizer:
    """Builds the update rules once; `state` lists the shared variables a reset must zero."""

    def __init__(self, kind: str, params: list, learning_rate) -> None:
        self.kind = kind
        self.params = params
        self.learning_rate = learning_rate
        self.state: list = []

    def updates(self, grads: list) -> dict:
        if self.kind == "sgd":
            return {p: p - self.learning_rate * g for p, g in zip(self.params, grads, strict=True)}
        if self.kind == "momentum":
            return self._momentum(grads)
        return self._adam(grads)

    def _momentum(self, grads: list) -> dict:
        updates = {}
        for param, grad in zip(self.params, grads, strict=True):
            velocity = _zeros_like(param, "velocity")
            self.state.append(velocity)
            new_velocity = FLOAT(MOMENTUM) * velocity - self.learning_rate * grad
            updates[velocity] = new_velocity
            updates[param] = param + new_velocity
        return updates

    def _adam(self, grads: list) -> dict:
        count = pytensor.shared(FLOAT(0.0), name="adam_t")
        self.state.append(count)
        t = count + FLOAT(1.0)
        step = self.learning_rate * pt.sqrt(1 - FLOAT(ADAM_BETA2) ** t) / (1 - FLOAT(ADAM_BETA1) ** t)
        updates = {count: t}
        for param, grad in zip(self.params, grads, strict=True):
            first, second = _zeros_like(param, "m"), _zeros_like(param, "v")
            self.state += [first, second]
            new_first = FLOAT(ADAM_BETA1) * first + FLOAT(1 - ADAM_BETA1) * grad
            new_second = FLOAT(ADAM_BETA2) * second + FLOAT(1 - ADAM_BETA2) * grad * grad
            updates[first] = new_first
            updates[second] = new_second
            updates[param] = param - step * new_first / (pt.sqrt(new_second) + FLOAT(ADAM_EPSILON))
        return updates

    def reset(self) -> None:
        for variable in self.state:
            variable.set_value(np.zeros_like(variable.get_value()))
