"""Presets: short experiments that each tell one thing about dropout, and prove it on the numbers.

A preset file (`dropviz/assets/presets/NN_name.json`, NN its place in the menu) holds a title, a
paragraph for students, a config, an optional `compare` config (changes to the first, e.g. no
dropout) that the window can run alongside, and a `claim`: the name of a check and its thresholds.
The app only carries the claim; a test (tests/model/preset_claims.py, which holds the checks)
trains each preset headless and tests its numbers against the thresholds, so a preset cannot
quietly stop showing what it says. Loading checks the claim's form, so a malformed file is refused
here.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dropviz.model.config import Config
from dropviz.model.errors import ConfigError, DropvizError
from dropviz.resources import asset_path

PRESETS_FOLDER = asset_path("presets")  # package data: found the same in a wheel and a checkout
PRESET_KEYS = {"title", "explanation", "config", "claim", "compare"}
REQUIRED_KEYS = ("title", "explanation", "config", "claim")
NAME_PATTERN = re.compile(r"^(\d+)_[A-Za-z0-9_]+\.json$")


@dataclass(frozen=True)
class Claim:
    """What a preset promises to show: the name of a check and its thresholds, from the file."""

    check: str
    params: dict[str, float | list[int]]


@dataclass(frozen=True)
class Preset:
    key: str  # the file name without .json, e.g. "01_overfit_tiny"
    title: str
    explanation: str
    config: Config
    claim: Claim
    compare: Config | None  # the preset's config with the file's `compare` changes applied

    def compare_changes(self) -> list[str]:
        """The settings in which the compare run differs, as `key=value`: a label for its curves."""
        if self.compare is None:
            return []
        return _differences(self.config.to_dict(), self.compare.to_dict(), "")


def _differences(first: dict, second: dict, prefix: str) -> list[str]:
    changes = []
    for key, value in second.items():
        if isinstance(value, dict):
            changes += _differences(first[key], value, f"{prefix}{key}.")
        elif first[key] != value:
            changes.append(f"{prefix}{key}={json.dumps(value)}")
    return changes


def load_presets(folder: Path = PRESETS_FOLDER) -> list[Preset]:
    """Every preset of the folder in menu order; the first bad file raises ConfigError naming it."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"no presets folder at {folder}")
    ordered = []
    for path in folder.glob("*.json"):
        match = NAME_PATTERN.match(path.name)
        if match is None:
            raise ConfigError(f"preset {path.name}: the name must be a number, an underscore and a "
                              "name, e.g. 01_overfit_tiny.json (the number orders the menu)")
        ordered.append((int(match.group(1)), path.name, path))
    return [load_preset(path) for _, _, path in sorted(ordered)]


def load_preset(path: Path) -> Preset:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read preset {path}: {error}") from None
    except json.JSONDecodeError as error:
        raise ConfigError(f"preset {path.name}: not valid JSON: {error.msg} at line {error.lineno}") from None
    try:
        return _preset(Path(path).stem, data)
    except DropvizError as error:
        raise ConfigError(f"preset {path.name}: {error}") from None


def _preset(key: str, data: Any) -> Preset:
    if not isinstance(data, dict):
        raise ConfigError("a preset is a JSON object with " + ", ".join(REQUIRED_KEYS))
    missing = [name for name in REQUIRED_KEYS if name not in data]
    if missing:
        raise ConfigError(f"missing {', '.join(missing)}; a preset needs {', '.join(REQUIRED_KEYS)}")
    unknown = sorted(set(data) - PRESET_KEYS)
    if unknown:
        raise ConfigError(f"unknown {', '.join(unknown)}; allowed: {', '.join(sorted(PRESET_KEYS))}")
    for name in ("title", "explanation"):
        if not isinstance(data[name], str) or not data[name].strip():
            raise ConfigError(f"{name} must be a non-empty text")
    config = Config.from_dict(data["config"])
    compare = _compare(config, data["compare"]) if "compare" in data else None
    claim = _claim(data["claim"])
    return Preset(key, data["title"].strip(), data["explanation"].strip(), config, claim, compare)


def _compare(config: Config, changes: Any) -> Config:
    if not isinstance(changes, dict):
        raise ConfigError("compare must be an object of settings that differ from config")
    try:
        return Config.from_dict(_merged(config.to_dict(), changes))
    except ConfigError as error:
        raise ConfigError(f"compare: {error}") from None


def _merged(base: dict, changes: dict) -> dict:
    """base with changes applied, nested objects merged key by key rather than replaced."""
    merged = dict(base)
    for key, value in changes.items():
        both_objects = isinstance(value, dict) and isinstance(base.get(key), dict)
        merged[key] = _merged(base[key], value) if both_objects else value
    return merged


def _claim(data: Any) -> Claim:
    """The claim's form only: which checks exist, and what each takes, the tests know."""
    if not isinstance(data, dict) or not isinstance(data.get("check"), str):
        raise ConfigError('claim must be an object with "check" (the name of a check) and its thresholds')
    params = {key: value for key, value in data.items() if key != "check"}
    for name, value in params.items():
        _check_param(name, value)
    return Claim(data["check"], params)


def _check_param(name: str, value: Any) -> None:
    """Thresholds are numbers; a list (such as sample counts) holds integers from 1."""
    def is_number(item: Any) -> bool:  # JSON gives ints of any size, and floats up to infinity
        if not isinstance(item, int | float) or isinstance(item, bool):
            return False
        return isinstance(item, int) or math.isfinite(item)

    if isinstance(value, list):
        if value and all(is_number(item) and item == int(item) and item >= 1 for item in value):
            return
        raise ConfigError(f"claim: {name} must be a list of integers from 1, not {value!r}")
    if not is_number(value):
        raise ConfigError(f"claim: {name} must be a number, not {value!r}")
