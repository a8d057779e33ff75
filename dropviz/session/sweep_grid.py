"""A sweep as a grid of independent tasks: every combination of the swept settings, times seeds.

A researcher's figure with error bars is hundreds of short runs that share nothing but their
settings, so each (settings, seed) becomes one `SweepTask` that any process can train on its own
(see sweep_tasks.py) and that names its own row of sweep.csv. A swept key is any setting `--set`
takes (dotted keys, values as `--set` reads them), plus two of old: `dropout` for the hidden rate
and `size` for the number of training examples (a seeded subset of the training split). Axes vary
in the order given, the first outermost, and seeds innermost, so the rows of one setting sit
together; `size` alone sweeps hidden rates 0 and 0.5 as well, as it always did.

Each task carries a `point` id, a hash of everything its run depends on, so a second run of the
same command recognises the rows it already has and an unrelated sweep.csv is never mistaken for
this sweep's.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from dropviz.model.config import Config
from dropviz.model.errors import ConfigError

SIZE_KEY = "size"
ALIASES = {"dropout": "dropout.hidden"}
COLUMNS = {"dropout.hidden": "rate", SIZE_KEY: "train_size", "steps": "steps"}  # shared columns
DEFAULT_RATES = ("0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8")
SIZE_ALONE_RATES = ("0", "0.5")
MAX_SEED = 2**32 - 1  # the largest seed config.py allows (numpy's seeds are 32-bit there)
EXAMPLES = "dropout, dropout=0,0.2,0.5, size=20,40,60 or any setting, e.g. learning_rate=0.01,0.001"


@dataclass(frozen=True)
class Axis:
    """One swept key and its values, each as `--set` would read it."""

    key: str
    values: tuple[str, ...]

    @property
    def column(self) -> str:
        """Its column in sweep.csv: a shared one (rate, train_size, steps) or the key itself."""
        return COLUMNS.get(self.key, self.key)


@dataclass(frozen=True)
class SweepTask:
    """One run of the grid: its config (seed and swept settings applied) and its training subset.

    `labels` are the CSV cells of the swept keys that have no shared column, in axis order.
    """

    index: int  # the grid order, outermost axis first
    config: Config
    train_size: int | None  # None: the whole training split
    labels: tuple[tuple[str, str], ...]
    point: str

    @property
    def seed(self) -> int:
        return self.config.seed


def point_id(config: Config, train_size: int | None) -> str:
    """A short hash of what the run's result depends on: equal ids, equal rows."""
    text = json.dumps({"config": config.to_dict(), "train_size": train_size}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cell(value: Any) -> str:
    """A setting as a CSV cell: numbers short (0.5, not 0.50000), lists as JSON."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        return f"{value:.12g}"
    if isinstance(value, int | str):
        return str(value)
    return json.dumps(list(value) if isinstance(value, tuple) else value, separators=(",", ":"))


def setting(config: Config, key: str) -> Any:
    """The value of a dotted key in a config."""
    value: Any = config.to_dict()
    for part in key.split("."):
        value = value[part]
    return value


def _known(key: str) -> bool:
    try:
        setting(Config(), key)
    except (KeyError, TypeError):
        return False
    return not isinstance(setting(Config(), key), dict)


def split_values(text: str) -> list[str]:
    """Comma-separated values; commas inside brackets belong to a list value, e.g. [64,64],[128]."""
    items, depth, current = [], 0, []
    for char in text:
        depth += (char in "[{") - (char in "]}")
        if char == "," and depth == 0:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    items.append("".join(current).strip())
    return items


def parse_axis(spec: str) -> Axis:
    """`KEY=V1,V2,...` as `--sweep` takes it; `dropout` alone means the rates 0 to 0.8 by 0.1."""
    name, sep, raw = spec.strip().partition("=")
    name = name.strip()
    key = ALIASES.get(name, name)
    if key == "seed":
        raise ConfigError(f"--sweep {spec!r}: seeds are swept with --seeds N")
    if key != SIZE_KEY and not _known(key):
        raise ConfigError(f"--sweep {spec!r}: unknown sweep {name!r}; expected {EXAMPLES}")
    if not sep:
        if name == "dropout":
            return Axis(key, DEFAULT_RATES)
        what = "the training-set sizes, e.g. size=20,40,60" if key == SIZE_KEY else "its values"
        raise ConfigError(f"--sweep {spec!r}: give {what}")
    items = split_values(raw)
    if not all(items):
        raise ConfigError(f"--sweep {spec!r}: expected a comma-separated list of values, e.g. {EXAMPLES}")
    for item in items:
        if name == "dropout":
            _check_rate(spec, item)
        elif key == SIZE_KEY:
            _check_size(spec, item)
    return Axis(key, tuple(items))


def _check_rate(spec: str, text: str) -> None:
    try:
        rate = float(text)
    except ValueError:
        rate = math.nan
    if not 0.0 <= rate < 1.0:
        raise ConfigError(f"--sweep {spec!r}: {text!r} is not a dropout rate; "
                          "expected numbers from 0, below 1")


def _check_size(spec: str, text: str) -> None:
    if not text.isdecimal() or int(text) < 1:
        raise ConfigError(f"--sweep {spec!r}: {text!r} is not a training-set size; "
                          "expected whole numbers from 1")


def _axis_from_file(key: str, values: Any) -> Axis:
    if not isinstance(values, list) or not values:
        raise ConfigError(f"sweep file: {key!r} needs a non-empty list of values")
    texts = [value if isinstance(value, str) else json.dumps(value) for value in values]
    return parse_axis(f"{key}={','.join(texts)}")


@dataclass(frozen=True)
class SweepGrid:
    """The base config, the swept axes and the number of seeds (config.seed, config.seed + 1, ...)."""

    config: Config
    axes: tuple[Axis, ...]
    seeds: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.seeds, bool) or not isinstance(self.seeds, int) or self.seeds < 1:
            raise ConfigError(f"seeds: {self.seeds!r} is not allowed; expected an integer from 1")
        keys = [axis.key for axis in self.axes]
        if not keys:
            raise ConfigError(f"a sweep needs at least one swept setting, e.g. {EXAMPLES}")
        twice = sorted({key for key in keys if keys.count(key) > 1})
        if twice:
            raise ConfigError(f"--sweep: {', '.join(twice)} is swept twice; give its values once")
        if keys == [SIZE_KEY]:
            object.__setattr__(self, "axes", (Axis("dropout.hidden", SIZE_ALONE_RATES), *self.axes))

    @property
    def kind(self) -> str:
        """What the sweep varies, for its title: "dropout", "size", or the keys joined by " x "."""
        keys = [axis.key for axis in self.axes]
        if SIZE_KEY in keys and set(keys) <= {SIZE_KEY, "dropout.hidden"}:
            return "size"
        names = {value: name for name, value in ALIASES.items()}
        return " x ".join(names.get(key, key) for key in keys)

    @classmethod
    def from_specs(cls, config: Config, specs: list[str], seeds: int = 1) -> SweepGrid:
        return cls(config, tuple(parse_axis(spec) for spec in specs), seeds)

    @classmethod
    def from_file(cls, config: Config, path: str | Path, seeds: int | None = None) -> SweepGrid:
        """A JSON file `{"grid": {"KEY": [values...], ...}, "seeds": N}`; `seeds` overrides its N."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"cannot read sweep file {path}: {error}") from None
        except json.JSONDecodeError as error:
            raise ConfigError(f"sweep file {path}: not valid JSON: {error.msg} at line "
                              f"{error.lineno}") from None
        if not isinstance(data, dict) or not isinstance(data.get("grid"), dict):
            raise ConfigError(f"sweep file {path}: expected an object with a \"grid\" object, e.g. "
                              '{"grid": {"dropout.hidden": [0, 0.5]}, "seeds": 3}')
        unknown = sorted(set(data) - {"grid", "seeds"})
        if unknown:
            raise ConfigError(f"sweep file {path}: unknown key {unknown[0]!r}; allowed: grid, seeds")
        axes = tuple(_axis_from_file(key, values) for key, values in data["grid"].items())
        return cls(config, axes, seeds if seeds is not None else data.get("seeds", 1))

    @property
    def extra_columns(self) -> tuple[str, ...]:
        """Columns of swept keys beyond the shared ones, in axis order."""
        return tuple(axis.column for axis in self.axes if axis.key not in COLUMNS)

    def tasks(self) -> list[SweepTask]:
        """Every combination, outermost axis first, seeds innermost; a bad value fails here,
        before anything trains."""
        combos: list[list[tuple[Axis, str]]] = [[]]
        for axis in self.axes:
            combos = [[*combo, (axis, value)] for combo in combos for value in axis.values]
        tasks: list[SweepTask] = []
        for combo in combos:
            config, size = self.config, None
            for axis, value in combo:
                if axis.key == SIZE_KEY:
                    size = int(value)
                else:
                    config = _applied(config, axis.key, value)
            labels = tuple((axis.column, cell(setting(config, axis.key)))
                           for axis, _ in combo if axis.key not in COLUMNS)
            _check_seeds(config.seed, self.seeds)
            for k in range(self.seeds):
                seeded = replace(config, seed=config.seed + k)
                tasks.append(SweepTask(len(tasks), seeded, size, labels, point_id(seeded, size)))
        _check_sizes(tasks)
        if len({task.point for task in tasks}) < len(tasks):
            raise ConfigError("--sweep: two values of a setting give the same run; give each once")
        return tasks


def _applied(config: Config, key: str, value: str) -> Config:
    try:
        return config.with_overrides([f"{key}={value}"])
    except ConfigError as error:
        raise ConfigError(f"--sweep {key}={value}: {error}") from None


def _check_seeds(first: int, count: int) -> None:
    """The seeds first, first + 1, ... must all be seeds, said in the words the user typed."""
    last = first + count - 1
    if last > MAX_SEED:
        raise ConfigError(f"--seeds {count} from seed {first} would go up to seed {last}, and "
                          f"seeds end at {MAX_SEED}; lower the seed or --seeds")


def _check_sizes(tasks: list[SweepTask]) -> None:
    """Training-set sizes must fit the training split of their data, checked before any training."""
    from dropviz.model.data.datasets import load_dataset  # the datasets only when sizes are swept

    splits: dict[tuple, int] = {}
    for task in tasks:
        if task.train_size is None:
            continue
        key = (task.config.dataset, task.seed)
        if key not in splits:
            splits[key] = len(load_dataset(task.config.dataset, task.seed).y_train)
        if task.train_size > splits[key]:
            raise ConfigError(f"training-set size {task.train_size} is not allowed; expected an "
                              f"integer from 1 to {splits[key]} (the training split); raise "
                              "dataset.n_samples or dataset.train_fraction for larger sizes")
