"""How much memory a run will take, estimated before its network is built, and refused if too much.

Hidden layers [4096, 4096] with batch 65536 on a large CSV once climbed past 12 GB in 39 s and
went on climbing: nothing said beforehand that it could not fit. The estimate adds up what a run
holds at once, from its settings and its data's shape (no PyTensor, nothing allocated):

- the parameters, their gradients and new values, and the optimizer's state (momentum one more
  copy, adam two);
- a batch going through the network and back: each layer's pre-activation, activation, noise,
  dropped output and the gradients of those (ACTIVATION_COPIES float32 values per unit and
  example); DropConnect draws a mask per example over every weight, (batch, fan_in, fan_out); a
  recurrent model has these for every gate at every time step;
- the whole batch's noise of the last MASKS_KEPT steps, which the run keeps for masks.npz, and of
  the steps of one compiled call;
- an evaluation pass over the larger split (each layer's output, the logits in float64), the
  data itself twice (the dataset and the network's copy), and the decision map's grid.

It is an estimate from above for the large parts and leaves out what does not grow with the
settings (PyTensor and its compiled code, a few hundred MB): a run it lets through may still not
fit next to other programs, but one it refuses would not have fitted. The available memory is the
kernel's MemAvailable (what can be had without swapping).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

from dropviz.model.config import Config
from dropviz.model.errors import ConfigError

FLOAT = 4  # bytes of a float32
ACTIVATION_COPIES = 6  # per unit and example: pre-activation, activation, noise, output, 2 grads
OPTIMIZER_COPIES = {"sgd": 0, "momentum": 1, "adam": 2}  # state per parameter
PARAMETER_COPIES = 3  # the value, its gradient and its new value
MASKS_KEPT = 100  # steps of whole-batch noise a run keeps (session/snapshot.py's RECENT_STEPS)
GRID_POINTS = 100 * 100  # the decision map's grid (Trainer.decision_grid's resolution)
MEMINFO = Path("/proc/meminfo")


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes by part (see the module's docstring); `total` is their sum."""

    parts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.parts.values())

    def largest(self) -> str:
        return max(self.parts, key=self.parts.__getitem__)


def estimate(config: Config, n_features: int, n_classes: int, n_train: int, n_test: int,
             steps_per_call: int = 1) -> MemoryEstimate:
    """What a run of `config` on data of this shape holds at once, by part, in bytes."""
    outputs = 1 if n_classes == 2 else n_classes  # a sigmoid output for two classes
    widths = [n_features, *config.hidden_layers, outputs]
    pairs = list(itertools.pairwise(widths))
    parameters = sum(fan_in * fan_out + fan_out for fan_in, fan_out in pairs)
    units = sum(widths)  # values a row makes on its way through the network
    noisy = n_features + sum(config.hidden_layers)  # units that draw noise at each step
    if config.recurrent:
        parameters, units, noisy = _recurrent_sizes(config, n_features, outputs)
    batch = min(config.batch_size, n_train)
    noise_bytes = FLOAT if config.dropout.kind == "gaussian" else 1
    activations = batch * units * FLOAT * ACTIVATION_COPIES
    if config.dropout.kind == "dropconnect":
        activations += sum(batch * fan_in * fan_out for fan_in, fan_out in pairs) * FLOAT * 3
    evaluated = max(n_train, n_test)
    return MemoryEstimate({
        "parameters and optimizer state": parameters * FLOAT * (
            PARAMETER_COPIES + OPTIMIZER_COPIES.get(config.optimizer, 2)),
        "a batch through the network and back": activations,
        "the batch's masks kept and of one call": batch * noisy * noise_bytes * (
            MASKS_KEPT + steps_per_call),
        "an evaluation pass": evaluated * (units * FLOAT * 2 + outputs * 8 * 3),
        "the data": 2 * (n_train + n_test) * (n_features * FLOAT + 8),
        "the decision map": GRID_POINTS * units * FLOAT * 2,
    })


def _recurrent_sizes(config: Config, n_features: int, outputs: int) -> tuple[int, int, int]:
    """A recurrent model's parameters, values per row (every gate and state at every time step)
    and noisy units per row (each step's inputs, and each layer's carried state and outputs)."""
    steps = config.dataset.steps_per_row
    gates = 3 if config.model == "gru" else 1
    hidden = config.hidden_layers
    fan_ins = [max(n_features // steps, 1), *hidden[:-1]]
    parameters = sum(gates * h * (i + h + 2) for i, h in zip(fan_ins, hidden, strict=True))
    parameters += hidden[-1] * outputs + outputs
    units = steps * (fan_ins[0] + sum((gates + 1) * h for h in hidden)) + outputs
    return parameters, units, steps * (fan_ins[0] + 2 * sum(hidden))


def available_memory() -> int | None:
    """Bytes the system can give without swapping, or None where it does not say (not Linux)."""
    try:
        for line in MEMINFO.read_text(encoding="ascii").splitlines():
            name, _, value = line.partition(":")
            if name == "MemAvailable":
                return int(value.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def gigabytes(count: int) -> str:
    return f"{count / 2**30:.1f} GB"


def check_memory(config: Config, n_features: int, n_classes: int, n_train: int,
                 n_test: int) -> None:
    """ConfigError, saying what takes the room and what would help, if the run cannot fit."""
    available = available_memory()
    if available is None:
        return
    needed = estimate(config, n_features, n_classes, n_train, n_test)
    if needed.total <= available:
        return
    raise ConfigError(
        f"this network would need about {gigabytes(needed.total)} of memory and "
        f"{gigabytes(available)} is available (most of it for {needed.largest()}, with "
        f"hidden_layers {list(config.hidden_layers)} and batch_size {config.batch_size}); "
        "use fewer or narrower hidden layers or a smaller batch_size")


def steps_fitting(config: Config, n_features: int, n_classes: int, n_train: int, n_test: int,
                  wanted: int) -> int:
    """How many steps one compiled call may train (up to `wanted`, at least 1) so that the masks
    it returns fit in the memory available besides the rest of the run."""
    available = available_memory()
    if available is None:
        return wanted
    base = estimate(config, n_features, n_classes, n_train, n_test).total
    per_step = (estimate(config, n_features, n_classes, n_train, n_test, 2).total - base)
    if per_step <= 0:
        return wanted
    return max(1, min(wanted, (available - base) // per_step))
