"""What fixes a network's graph; anything else can change without a compile.

Plain data, no PyTensor: the window's threads and the files name architectures freely.
"""

from __future__ import annotations

from dataclasses import dataclass

APPLY_MODES = ("multiply", "switch")
DROPOUT_KINDS = ("bernoulli", "gaussian", "dropconnect")
BATCH_NORM_PLACES = ("none", "before_dropout", "after_dropout")
MODELS = ("mlp", "rnn", "gru")


@dataclass(frozen=True)
class Architecture:
    """What fixes the graph: anything else can change without a compile."""

    n_inputs: int
    hidden_layers: tuple[int, ...]
    n_classes: int
    activation: str
    optimizer: str
    apply: str = "multiply"
    dropout_kind: str = "bernoulli"
    batch_norm: str = "none"
    model: str = "mlp"
    time_steps: int = 1  # a recurrent model reads each row as this many steps of equal width

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {MODELS}")
        if self.time_steps < 1 or self.n_inputs % self.time_steps:
            raise ValueError(f"{self.n_inputs} inputs do not split into {self.time_steps} time "
                             "steps of equal width")
        if self.batch_norm not in BATCH_NORM_PLACES:
            raise ValueError(f"batch_norm must be one of {BATCH_NORM_PLACES}")
        if self.dropout_kind not in DROPOUT_KINDS:
            raise ValueError(f"dropout_kind must be one of {DROPOUT_KINDS}")
        if self.n_classes < 2:
            raise ValueError("a classifier needs at least two classes")
        if self.apply not in APPLY_MODES:
            raise ValueError(f"apply must be one of {APPLY_MODES}")

    @property
    def widths(self) -> tuple[int, ...]:
        """Units of every layer, input to output (one output unit for two classes)."""
        return (self.n_inputs, *self.hidden_layers, 1 if self.n_classes == 2 else self.n_classes)

    @property
    def recurrent(self) -> bool:
        return self.model != "mlp"

    @property
    def step_width(self) -> int:
        """Features of one time step (all of them for an MLP)."""
        return self.n_inputs // self.time_steps

    @property
    def output_activation(self) -> str:
        return "sigmoid" if self.n_classes == 2 else "softmax"
