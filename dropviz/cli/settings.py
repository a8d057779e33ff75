"""The config a command line asks for, from its files, presets and options; cheap to import.

The help's list of settings is made here from dropviz/model/config.py itself: each key is tried
with a value no setting accepts, and the config's own message says what it allows. A list written
out by hand would drift from the checks the first time a range changed.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import fields, replace
from typing import Any

from dropviz.api import load_config, preset
from dropviz.cli.errors import UsageError
from dropviz.model.config import CSV_DATASET, MAX_SETTINGS_BYTES, Config, DatasetConfig
from dropviz.model.errors import ConfigError, DatasetError
from dropviz.model.input_files import check_regular_file
from dropviz.model.presets import load_presets

# Values no setting accepts: an empty list, then a list holding one (for lists' items).
_PROBES = ("[]", "[[]]")
_EXPECTED = "; expected "
# Options whose empty value would otherwise read as "not given".
_PATH_OPTIONS = ("--config", "--csv", "--label", "--out", "--resume")


def config_from_args(args: argparse.Namespace) -> Config:
    """The config or preset, then --dataset/--csv, then each --set, then --steps: later wins."""
    _refuse_empty(args)
    if args.preset:
        config = preset(args.preset).config
    elif args.config is not None:
        _check_config_file(args.config)
        config = load_config(args.config)
    else:
        config = Config()
    if args.label is not None and args.csv is None:
        raise UsageError("--label goes with --csv")
    if args.dataset:
        config = replace(config, dataset=replace(config.dataset, name=args.dataset))
    if args.csv is not None:
        # At once, before PyTensor loads for training: a FIFO or a device is no CSV file.
        check_regular_file(args.csv, "a CSV file", DatasetError)
        config = replace(config, dataset=DatasetConfig(
            name=CSV_DATASET, train_fraction=config.dataset.train_fraction,
            csv_path=args.csv, label_column=args.label,
            drop_bad_rows=config.dataset.drop_bad_rows))
    config = config.with_overrides(args.overrides)
    if args.steps is not None:
        config = config.with_overrides([f"steps={args.steps}"])
    return config


def _check_config_file(path: str) -> None:
    """Checked here because load_config first reads the file to tell a preset from settings, and
    a FIFO or a device must not be read at all."""
    try:
        check_regular_file(path, "an experiment or preset file", ConfigError, MAX_SETTINGS_BYTES)
    except ConfigError as error:
        raise ConfigError(f"cannot read experiment file: {error}") from None


def _refuse_empty(args: argparse.Namespace) -> None:
    """An empty path is no path: `--csv ""` must not quietly mean the default dataset."""
    for option in _PATH_OPTIONS:
        value = getattr(args, option.removeprefix("--").replace("-", "_"), None)
        if isinstance(value, str) and not value.strip():
            raise UsageError(f"{option}: the value is empty; give a path" if option != "--label"
                             else "--label: the value is empty; give a column name")


def presets_listing() -> str:
    presets = load_presets()
    width = max(len(preset.key) for preset in presets)
    return "\n".join(f"{preset.key.ljust(width)}  {preset.title}" for preset in presets)


def settings_help() -> str:
    """Every key `--set` takes, what it allows and its default, as config.py checks them."""
    rows = [(key, allowed_values(key), _shown(default))
            for key, default in _flat(Config().to_dict())]
    width = max(len(key) for key, _, _ in rows)
    lines = [f"  {key.ljust(width)}  {allowed} [{default}]" for key, allowed, default in rows]
    return "settings (--set KEY=VALUE, and the keys of an experiment file; default in brackets):\n" \
        + "\n".join(lines)


def allowed_values(key: str) -> str:
    """What config.py allows for `key`, in its own words; a key it does not check, by its type."""
    expected = []
    for probe in _PROBES:
        try:
            Config().with_overrides([f"{key}={probe}"])
        except ConfigError as error:
            _, found, allowed = str(error).partition(_EXPECTED)
            if found and allowed not in expected:
                expected.append(allowed)
    return ", each ".join(expected) if expected else _type_of(key)


def _type_of(key: str) -> str:
    *parents, leaf = key.split(".")
    cls: Any = Config
    for part in parents:
        cls = type(getattr(cls(), part))
    kind = next(field.type for field in fields(cls) if field.name == leaf)
    return {"str | None": "a text, or null"}.get(str(kind), str(kind))


def _flat(data: dict, prefix: str = "") -> list[tuple[str, Any]]:
    items = []
    for key, value in data.items():
        if isinstance(value, dict):
            items += _flat(value, f"{prefix}{key}.")
        else:
            items.append((f"{prefix}{key}", value))
    return items


def _shown(value: Any) -> str:
    """As it is typed after --set: text bare, everything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value)
