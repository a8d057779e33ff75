"""The one description of an experiment: every control of the window and every key of a file.

A `Config` is frozen so that the worker, the plots and the exporter can share it without copying;
a change is a new object made with `dataclasses.replace` or `Config.with_overrides`.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from dropviz.model.errors import ConfigError
from dropviz.model.input_files import read_input

GENERATED_DATASETS = ("moons", "circles", "xor", "spiral", "blobs", "waves")
BUNDLED_DATASETS = ("digits", "breast_cancer", "digits_rows")
# Sets whose rows are sequences (DatasetConfig.steps_per_row): waves, generated, WAVE_STEPS
# samples of a noisy wave; digits_rows, each 8x8 digit read as 8 time steps of 8 pixels.
WAVE_STEPS = 16
CSV_DATASET = "csv"
DATASET_NAMES = (*GENERATED_DATASETS, *BUNDLED_DATASETS, CSV_DATASET)
ACTIVATIONS = ("relu", "tanh", "sigmoid")
SCALING_MODES = ("weight_scaling", "inverted", "none")
MASK_SHAPES = ("per_example", "per_batch")
OPTIMIZERS = ("sgd", "momentum", "adam")
# bernoulli: keep-masks of 0 and 1 over units; gaussian: multiplicative noise of the same mean and
# variance; dropconnect: keep-masks of 0 and 1 over the weights leaving a layer (Wan et al. 2013).
DROPOUT_KINDS = ("bernoulli", "gaussian", "dropconnect")
# Where a hidden layer normalises its pre-activations (dense -> BN -> activation): before its dropout
# mask, or after a mask laid on the dense output (dense -> dropout -> BN -> activation).
BATCH_NORM_PLACES = ("none", "before_dropout", "after_dropout")
# mlp: the feed-forward network; rnn (tanh cell) and gru read each row as time steps of features.
MODELS = ("mlp", "rnn", "gru")
# per_step: a new recurrent-net mask at every time step (naive); tied: one mask per sequence for every
# time step (variational, Gal and Ghahramani 2016).
TIME_MASKS = ("per_step", "tied")
MAX_RECURRENT_LAYERS = 2

# Settings the worker can change between two steps; any other change needs a new network. The
# dropout rates are live, its kind is not (see `Config.needs_new_network`).
LIVE_KEYS = ("dropout", "scaling", "mask", "learning_rate", "l2", "l1", "max_norm", "batch_size",
             "steps")


# Settings nest three deep in a file (dataset.csv_path; lists of widths or rates), a setup or an
# experiment's description a few more: anything deeper is not a dropviz file.
MAX_JSON_DEPTH = 16
MAX_PATH_CHARS = 4096
MAX_NAME_CHARS = 10_000
MAX_SETTINGS_BYTES = 2**20  # a config.json is under 1 KB


def _shown(value: Any) -> str:
    """The value as the message shows it: short, and never a repr that raises (an int of more
    than 4,300 digits, or lists nested past the recursion limit)."""
    try:
        shown = repr(value)
    except ValueError:  # only an int too long for str() raises it, alone or inside a list
        if isinstance(value, int):
            return f"an integer of about {int(value.bit_length() * math.log10(2)) + 1:,} digits"
        return f"a {type(value).__name__} holding an integer too long to show"
    except RecursionError:
        return f"a {type(value).__name__} nested too deeply"
    return shown[:57] + "..." if len(shown) > 60 else shown


def _fail(key: str, value: Any, allowed: str) -> None:
    raise ConfigError(f"{key}: {_shown(value)} is not allowed; expected {allowed}")


def _check_text(key: str, value: Any, longest: int) -> None:
    """None or a text of at most `longest` characters, without the NUL that no path can hold."""
    if value is not None and not (isinstance(value, str) and len(value) <= longest
                                  and "\x00" not in value):
        _fail(key, value, f"null or a text of at most {longest:,} characters")


def _check_flag(key: str, value: Any) -> None:
    if not isinstance(value, bool):
        _fail(key, value, "true or false")


def parse_json(text: str | bytes, what: str, *, text_fallback: bool = False) -> Any:
    """JSON from a file, a setup or a command line, or a ConfigError saying what is wrong;
    with `text_fallback`, what is not JSON at all is the text itself (as `--set` takes it).

    json.loads raises ValueError, not JSONDecodeError, for an integer of more than 4,300 digits,
    and RecursionError past about a thousand levels; nesting below that but deeper than any dropviz
    file is refused as well, so no check after this one recurses without bound.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        if text_fallback:
            return text
        raise ConfigError(f"{what} is not valid JSON: {error.msg} at line {error.lineno}") from None
    except RecursionError:
        raise ConfigError(f"{what} is nested too deeply to be dropviz settings") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{what} is not UTF-8 text") from None
    except ValueError:  # the integer digit limit
        raise ConfigError(f"{what} holds an integer of more than 4,300 digits, far beyond any "
                          "setting") from None
    if _depth(data) > MAX_JSON_DEPTH:
        raise ConfigError(f"{what} is nested more than {MAX_JSON_DEPTH} levels deep; dropviz "
                          "settings never are")
    return data


def _depth(value: Any) -> int:
    """How deeply lists and objects nest, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level <= MAX_JSON_DEPTH:
                stack.extend((child, level + 1)
                             for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _check_choice(key: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        _fail(key, value, "one of " + ", ".join(choices))


def _check_number(key: str, value: Any, low: float, high: float, *, integer: bool = False,
                  high_open: bool = False) -> None:
    kind = "an integer" if integer else "a number"
    top = f"below {high}" if high_open else f"at most {high}"
    ok = isinstance(value, int if integer else (int, float)) and not isinstance(value, bool)
    ok = ok and low <= value and (value < high if high_open else value <= high)
    ok = ok and math.isfinite(value)  # after the range check, which never overflows on a huge int
    if not ok:
        _fail(key, value, f"{kind} from {low}, {top}")


def _check_limit(key: str, value: Any) -> None:
    """None (no limit) or a finite number above 0."""
    ok = value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)
                           and 0 < value <= sys.float_info.max)  # compares a huge int exactly
    if not ok:
        _fail(key, value, "null (no limit) or a number above 0")


@dataclass(frozen=True)
class DatasetConfig:
    name: str = "moons"
    n_samples: int = 200
    noise: float = 0.35
    train_fraction: float = 0.3
    csv_path: str | None = None
    label_column: str | None = None
    # A CSV row of a recurrent model holds time_steps steps of equal width, time-major: t1's
    # features, then t2's. The sequence sets fix their own; 1 everywhere else.
    time_steps: int = 1
    # A CSV row whose quotes or number of fields go wrong is refused with its line number; true
    # drops such rows instead, and the report counts them. Files from before it mean false.
    drop_bad_rows: bool = False

    def __post_init__(self) -> None:
        _check_choice("dataset.name", self.name, DATASET_NAMES)
        _check_text("dataset.csv_path", self.csv_path, MAX_PATH_CHARS)
        _check_text("dataset.label_column", self.label_column, MAX_NAME_CHARS)
        _check_flag("dataset.drop_bad_rows", self.drop_bad_rows)
        _check_number("dataset.n_samples", self.n_samples, 10, 1_000_000, integer=True)
        _check_number("dataset.noise", self.noise, 0.0, 5.0)
        _check_number("dataset.train_fraction", self.train_fraction, 0.05, 0.95)
        _check_number("dataset.time_steps", self.time_steps, 1, 4096, integer=True)
        if self.name == CSV_DATASET and not (self.csv_path and self.csv_path.strip()):
            _fail("dataset.csv_path", self.csv_path, "the path of a CSV file when dataset.name is csv")

    @property
    def is_generated(self) -> bool:
        return self.name in GENERATED_DATASETS

    @property
    def steps_per_row(self) -> int:
        """Time steps in a row, as a recurrent model reads it."""
        return {"digits_rows": 8, "waves": WAVE_STEPS}.get(self.name, self.time_steps)


@dataclass(frozen=True)
class DropoutConfig:
    """Rates are probabilities to drop; `hidden` is one rate for all hidden layers or one each.

    `recurrent` drops the state a recurrent layer carries from one time step to the next, and
    `time_mask` says whether a recurrent model's masks change at every step; an MLP has neither.
    """

    input: float = 0.0
    hidden: float | tuple[float, ...] = 0.5
    kind: str = "bernoulli"
    recurrent: float = 0.0
    time_mask: str = "per_step"

    def __post_init__(self) -> None:
        _check_choice("dropout.kind", self.kind, DROPOUT_KINDS)
        _check_choice("dropout.time_mask", self.time_mask, TIME_MASKS)
        _check_number("dropout.input", self.input, 0.0, 1.0, high_open=True)
        _check_number("dropout.recurrent", self.recurrent, 0.0, 1.0, high_open=True)
        if isinstance(self.hidden, list):
            object.__setattr__(self, "hidden", tuple(self.hidden))
        rates = self.hidden if isinstance(self.hidden, tuple) else (self.hidden,)
        if not rates:
            _fail("dropout.hidden", self.hidden, "a rate or a list of rates")
        for rate in rates:
            _check_number("dropout.hidden", rate, 0.0, 1.0, high_open=True)

    def hidden_rates(self, n_hidden: int) -> tuple[float, ...]:
        if isinstance(self.hidden, tuple):
            return self.hidden
        return (float(self.hidden),) * n_hidden

    def rates(self, n_hidden: int, recurrent: bool = False) -> tuple[float, ...]:
        """The rate of every dropout layer in network order: input, hidden1, hidden2, ...; in a
        recurrent model each layer's state comes before its output: input, recurrent1, hidden1, ..."""
        hidden = tuple(map(float, self.hidden_rates(n_hidden)))
        if not recurrent:
            return (float(self.input), *hidden)
        return (float(self.input), *(r for rate in hidden for r in (float(self.recurrent), rate)))


@dataclass(frozen=True)
class Config:
    dataset: DatasetConfig = field(default_factory=DatasetConfig)
    hidden_layers: tuple[int, ...] = (256, 256)
    activation: str = "relu"
    model: str = "mlp"
    dropout: DropoutConfig = field(default_factory=DropoutConfig)
    scaling: str = "inverted"
    mask: str = "per_example"
    optimizer: str = "adam"
    learning_rate: float = 0.001
    batch_size: int = 32
    l2: float = 0.0
    l1: float = 0.0
    max_norm: float | None = None  # c: each hidden unit's incoming weights kept to norm <= c
    batch_norm: str = "none"
    seed: int = 0
    steps: int = 2000

    def __post_init__(self) -> None:
        if isinstance(self.hidden_layers, list):
            object.__setattr__(self, "hidden_layers", tuple(self.hidden_layers))
        if not isinstance(self.hidden_layers, tuple) or not 1 <= len(self.hidden_layers) <= 8:
            _fail("hidden_layers", self.hidden_layers, "a list of 1 to 8 layer widths")
        for width in self.hidden_layers:
            _check_number("hidden_layers", width, 1, 4096, integer=True)
        _check_choice("activation", self.activation, ACTIVATIONS)
        _check_choice("model", self.model, MODELS)
        _check_choice("scaling", self.scaling, SCALING_MODES)
        _check_choice("mask", self.mask, MASK_SHAPES)
        _check_choice("optimizer", self.optimizer, OPTIMIZERS)
        _check_number("learning_rate", self.learning_rate, 1e-7, 100.0)
        _check_number("batch_size", self.batch_size, 1, 65536, integer=True)
        _check_number("l2", self.l2, 0.0, 10.0)
        _check_number("l1", self.l1, 0.0, 10.0)
        _check_limit("max_norm", self.max_norm)
        _check_choice("batch_norm", self.batch_norm, BATCH_NORM_PLACES)
        _check_number("seed", self.seed, 0, 2**32 - 1, integer=True)
        _check_number("steps", self.steps, 1, 100_000_000, integer=True)
        hidden = self.dropout.hidden
        if isinstance(hidden, tuple) and len(hidden) != len(self.hidden_layers):
            _fail("dropout.hidden", list(hidden),
                  f"one rate, or {len(self.hidden_layers)} rates (one per hidden layer)")
        if self.recurrent:
            self._check_recurrent()

    def _check_recurrent(self) -> None:
        """What a recurrent model does not combine with, said before any network is built."""
        if len(self.hidden_layers) > MAX_RECURRENT_LAYERS:
            _fail("hidden_layers", list(self.hidden_layers),
                  f"1 or {MAX_RECURRENT_LAYERS} recurrent layer widths when model is {self.model}")
        if self.batch_norm != "none":
            _fail("batch_norm", self.batch_norm, f"none when model is {self.model}")
        if self.dropout.kind == "dropconnect":
            _fail("dropout.kind", self.dropout.kind, f"bernoulli or gaussian when model is {self.model}")

    @property
    def recurrent(self) -> bool:
        return self.model != "mlp"

    @property
    def dropout_rates(self) -> tuple[float, ...]:
        return self.dropout.rates(len(self.hidden_layers), self.recurrent)

    @property
    def dropout_layer_names(self) -> tuple[str, ...]:
        hidden = [f"hidden{i + 1}" for i in range(len(self.hidden_layers))]
        if self.recurrent:
            return ("input", *(name for i, h in enumerate(hidden) for name in (f"recurrent{i + 1}", h)))
        return ("input", *hidden)

    def needs_new_network(self, other: Config) -> bool:
        """True when going from self to other changes the graph, the data or the initial weights."""
        keep = {key: getattr(other, key) for key in LIVE_KEYS}
        return replace(self, **keep) != other or self.dropout.kind != other.dropout.kind

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["hidden_layers"] = list(self.hidden_layers)
        hidden = self.dropout.hidden
        data["dropout"]["hidden"] = list(hidden) if isinstance(hidden, tuple) else hidden
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    @classmethod
    def from_dict(cls, data: Any) -> Config:
        if not isinstance(data, dict):
            raise ConfigError("an experiment file must hold a JSON object of settings")
        _reject_unknown(data, cls, "")
        values = dict(data)
        for key, sub in (("dataset", DatasetConfig), ("dropout", DropoutConfig)):
            if key in values:
                if not isinstance(values[key], dict):
                    _fail(key, values[key], "an object of settings")
                _reject_unknown(values[key], sub, key + ".")
                values[key] = sub(**values[key])
        return cls(**values)

    @classmethod
    def from_json(cls, text: str | bytes) -> Config:
        return cls.from_dict(parse_json(text, "the experiment file"))

    @classmethod
    def load(cls, path: str | Path) -> Config:
        """A regular file of at most MAX_SETTINGS_BYTES: a FIFO or /dev/zero is refused."""
        try:
            data = read_input(path, "an experiment file", "experiment files", MAX_SETTINGS_BYTES,
                              ConfigError)
        except ConfigError as error:
            raise ConfigError(f"cannot read experiment file: {error}") from None
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ConfigError(f"cannot read experiment file {path}: {error}") from None
        return cls.from_json(text)

    def with_overrides(self, assignments: list[str]) -> Config:
        """Apply `key=value` strings with dotted keys, as written on the command line."""
        data = self.to_dict()
        for assignment in assignments:
            key, sep, raw = assignment.partition("=")
            if not sep or not key.strip():
                raise ConfigError(f"--set {assignment!r}: expected key=value, e.g. dropout.hidden=0.5")
            *parents, leaf = key.strip().split(".")
            target = data
            for part in parents:
                if not isinstance(target.get(part), dict):
                    raise ConfigError(f"unknown setting {key.strip()!r}")
                target = target[part]
            if leaf not in target:
                raise ConfigError(f"unknown setting {key.strip()!r}")
            target[leaf] = _parse_value(raw.strip(), key.strip())
        return Config.from_dict(data)


def _parse_value(raw: str, key: str) -> Any:
    """JSON when it parses (numbers, lists, null), otherwise the text itself; a value too long or
    too deeply nested to be a setting is refused, naming the setting."""
    return parse_json(raw, f"--set {key}", text_fallback=True)


def _reject_unknown(data: dict, cls: type, prefix: str) -> None:
    known = [f.name for f in fields(cls)]
    for key in data:
        if key not in known:
            raise ConfigError(f"unknown setting '{prefix}{key}'; allowed: {', '.join(known)}")
