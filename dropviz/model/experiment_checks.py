"""What an experiment file's description and optimizer state may hold: what a real run can produce.

A file is data from anywhere, so every number in it is held to the bounds of a real run before
it is used: a step count that is a whole number a run could reach, a history as the evaluation log
keeps it (at most MAX_EVALUATIONS rows, steps rising, every value finite and in its range), and
an optimizer state that Adam or momentum could have reached. A state no run could reach is
reported as damage, because training on from it would diverge and the message would then blame
the learning rate.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dropviz.model.errors import ExportError
from dropviz.model.evaluation_log import MAX_EVALUATIONS
from dropviz.model.graph.optimizers import ADAM_BETA1, ADAM_BETA2

# A trillion steps: at 10 microseconds a step (a tiny network) that is four months of training.
MAX_STEP = 10**12
# A description holds the settings, the data's names and report, random states and the history
# (MAX_EVALUATIONS rows of about 130 bytes); anything far larger is refused before it is parsed.
MAX_META_BYTES = 32 * 2**20
HISTORY_FIELDS = ("step", "epoch", "train_loss", "test_loss", "train_acc", "test_acc")
# Adam's moments satisfy m**2 <= ADAM_MOMENT_RATIO * v for any gradients (Cauchy-Schwarz on the
# two running averages): (1 - b1)**2 / ((1 - b2) * (1 - b1**2 / b2)) = 52.9. Twice that leaves room
# for float32 rounding; the absolute slack covers second moments that underflowed to 0.
ADAM_MOMENT_RATIO = 2 * (1 - ADAM_BETA1) ** 2 / ((1 - ADAM_BETA2) * (1 - ADAM_BETA1**2 / ADAM_BETA2))
ADAM_MOMENT_SLACK = 1e-30


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _real(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def check_step(step: Any) -> int:
    if not _whole(step) or not 0 <= step <= MAX_STEP:
        raise ExportError(f"the saved step count {_short(step)} is not a whole number of steps from 0 to "
                          f"{MAX_STEP:,}")
    return step


def check_sampler(sampler: Any, step: int, n_train: int) -> None:
    """A step sees at most the whole training set, so examples_seen is bounded by the step."""
    if not isinstance(sampler, dict):
        raise ExportError("its minibatch state is not an object")
    seen = sampler.get("examples_seen")
    if not _whole(seen) or not 0 <= seen <= step * n_train:
        raise ExportError(f"its count of examples seen {_short(seen)} is not one {step:,} steps "
                          f"over {n_train:,} rows can reach")
    if not _whole(sampler.get("position")):
        raise ExportError(f"the saved minibatch position {_short(sampler.get('position'))} is "
                          "not a whole number")


def check_history(rows: Any, step: int, epoch: float) -> list[list]:
    """Rows as the evaluation log keeps them, each one an Evaluation's fields in order."""
    if not isinstance(rows, list):
        raise ExportError("its history is not a list of evaluations")
    if len(rows) > MAX_EVALUATIONS:
        raise ExportError(f"its history holds {len(rows):,} evaluations; a run keeps at most "
                          f"{MAX_EVALUATIONS:,}")
    previous_step, previous_epoch = -1, 0.0
    for number, row in enumerate(rows, start=1):
        where = f"a row of its history (evaluation {number})"
        if not isinstance(row, list) or len(row) != len(HISTORY_FIELDS) \
                or not all(_real(value) for value in row):
            raise ExportError(f"a row of its history is {_short(row)}, not "
                              f"{len(HISTORY_FIELDS)} finite numbers (evaluation {number})")
        at, seen, train_loss, test_loss, train_acc, test_acc = row
        if not _whole(at) or not previous_step < at <= step:
            raise ExportError(f"{where} is at step {at!r}, not a whole step after the one before "
                              f"({previous_step}) and at most the run's {step:,}")
        if not previous_epoch <= seen <= epoch * (1 + 1e-9) + 1e-9:
            raise ExportError(f"{where} is at epoch {seen!r}, outside {previous_epoch:g} to the "
                              f"run's {epoch:g}")
        if train_loss < 0 or test_loss < 0 or not (0 <= train_acc <= 1 and 0 <= test_acc <= 1):
            raise ExportError(f"{where} has a negative loss or an accuracy outside 0 to 1")
        previous_step, previous_epoch = at, seen
    return rows


def check_optimizer_state(state: dict[str, np.ndarray], step: int) -> None:
    """Values Adam or momentum could have reached; ExportError calling anything else damage.

    Arrays of another dtype, or first and second moments of different shapes, are left to the
    shape check against the network, which names what it expected.
    """
    state = {name: value for name, value in state.items() if value.dtype.kind == "f"}
    for name, value in state.items():
        if not np.isfinite(value).all():
            _damaged(name, "holds non-finite values (NaN or infinity)")
    count = state.get("adam_t")
    if count is not None and count.size == 1:
        t = float(count.reshape(-1)[0])
        if not (t.is_integer() and 0 <= t <= step):
            _damaged("adam_t", f"counts {t:g} steps, not a whole number from 0 to the run's {step:,}")
    for name, second in state.items():
        if not name.endswith("_v"):
            continue
        first = state.get(name.removesuffix("_v") + "_m")
        if first is not None and first.shape != second.shape:
            continue
        if (second < 0).any():
            _damaged(name, "holds a negative second moment")
        if first is not None and (np.square(first.astype(np.float64))
                                  > ADAM_MOMENT_RATIO * second.astype(np.float64)
                                  + ADAM_MOMENT_SLACK).any():
            _damaged(name.removesuffix("_v") + "_m", "holds first moments no gradients can give "
                     "with its second moments")


def _damaged(name: str, what: str) -> None:
    raise ExportError(f"its optimizer state is damaged: {name} {what}; the file was changed after "
                      "it was saved, so training cannot continue from it (this is not a diverged "
                      "run)")


def _short(value: Any) -> str:
    if _whole(value) and value.bit_length() > 64:
        return f"(a number of about {int(value.bit_length() * math.log10(2)) + 1:,} digits)"
    try:
        shown = repr(value)
    except (ValueError, RecursionError):
        shown = type(value).__name__
    return shown if len(shown) <= 60 else shown[:57] + "..."
