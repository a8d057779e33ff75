"""Parameter updates for sgd, momentum and adam, with state kept in shared variables.

The state lives in shared variables so that a saved experiment can store it and a reset can zero it
without recompiling the training function. The update rule itself is a pure function of symbolic
parameters, gradients and state (`step`), so the same rule serves the one-step function, whose
inputs are the shared variables, and each iteration of the many-step scan, whose inputs are the
loop's carried values.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt

from dropviz.model.graph.backend import FLOAT, pytensor

MOMENTUM = 0.9
ADAM_BETA1 = 0.9
ADAM_BETA2 = 0.999
ADAM_EPSILON = 1e-8


def _zeros_like(param, tag: str) -> pytensor.compile.SharedVariable:
    return pytensor.shared(np.zeros_like(param.get_value()), name=f"{param.name}_{tag}")


class Optimizer:
    """The update rule of one kind; `state` lists the shared variables a reset must zero.

    State order: momentum keeps one velocity per parameter; adam keeps the step count, then the
    first and second moments of each parameter in turn.
    """

    def __init__(self, kind: str, params: list, learning_rate) -> None:
        self.kind = kind
        self.params = params
        self.learning_rate = learning_rate
        self.state: list = self._create_state()

    def _create_state(self) -> list:
        if self.kind == "sgd":
            return []
        if self.kind == "momentum":
            return [_zeros_like(param, "velocity") for param in self.params]
        state = [pytensor.shared(FLOAT(0.0), name="adam_t")]
        for param in self.params:
            state += [_zeros_like(param, "m"), _zeros_like(param, "v")]
        return state

    def step(self, params: list, grads: list, state: list) -> tuple[list, list]:
        """New parameters and new state after one gradient step, in the order of the inputs."""
        if self.kind == "sgd":
            return [p - self.learning_rate * g for p, g in zip(params, grads, strict=True)], []
        if self.kind == "momentum":
            return self._momentum(params, grads, state)
        return self._adam(params, grads, state)

    def updates(self, grads: list) -> dict:
        """One step applied to the shared variables themselves: the update dict of a function."""
        new_params, new_state = self.step(self.params, grads, self.state)
        return dict(zip([*self.params, *self.state], [*new_params, *new_state], strict=True))

    def _momentum(self, params: list, grads: list, state: list) -> tuple[list, list]:
        new_params, new_state = [], []
        for param, grad, velocity in zip(params, grads, state, strict=True):
            new_velocity = FLOAT(MOMENTUM) * velocity - self.learning_rate * grad
            new_state.append(new_velocity)
            new_params.append(param + new_velocity)
        return new_params, new_state

    def _adam(self, params: list, grads: list, state: list) -> tuple[list, list]:
        count, moments = state[0], state[1:]
        t = count + FLOAT(1.0)
        step = self.learning_rate * pt.sqrt(1 - FLOAT(ADAM_BETA2) ** t) / (1 - FLOAT(ADAM_BETA1) ** t)
        new_params, new_state = [], [t]
        for index, (param, grad) in enumerate(zip(params, grads, strict=True)):
            first, second = moments[2 * index], moments[2 * index + 1]
            new_first = FLOAT(ADAM_BETA1) * first + FLOAT(1 - ADAM_BETA1) * grad
            new_second = FLOAT(ADAM_BETA2) * second + FLOAT(1 - ADAM_BETA2) * grad * grad
            new_state += [new_first, new_second]
            new_params.append(param - step * new_first / (pt.sqrt(new_second) + FLOAT(ADAM_EPSILON)))
        return new_params, new_state

    def reset(self) -> None:
        for variable in self.state:
            variable.set_value(np.zeros_like(variable.get_value()))
