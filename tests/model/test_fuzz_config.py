"""Settings of any type and size, as files, `--set` and setups carry them (issue 19, class 1).

Whatever a file or a command line holds at any key, reading it ends in a Config or in one
ConfigError naming the setting: never TypeError, ValueError or RecursionError from inside Python
(a 5001-digit integer, a list nested 5000 deep, a number where a path belongs).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dropviz.model.config import MAX_JSON_DEPTH, Config
from dropviz.model.errors import ConfigError

FUZZ = settings(max_examples=150, deadline=None)


def _keys(data: dict, prefix: str = "") -> list[str]:
    keys = []
    for key, value in data.items():
        keys += _keys(value, f"{prefix}{key}.") if isinstance(value, dict) else [prefix + key]
    return keys


KEYS = _keys(Config().to_dict())


def json_values(numbers: st.SearchStrategy) -> st.SearchStrategy:
    return st.recursive(
        st.none() | st.booleans() | numbers | st.floats() | st.text(max_size=8),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                   max_size=3),
        max_leaves=10,
    )


# Integers of any length as Python holds them, and as JSON text can carry them (json.dumps
# itself refuses more than 4,300 digits, so text of longer ones is made by hand below).
any_values = json_values(st.integers() | st.integers(-10**5000, 10**5000))
texts = json_values(st.integers(-10**4000, 10**4000)).map(json.dumps) | st.text(max_size=30)


def settings_with(key: str, value: Any) -> dict:
    data = Config().to_dict()
    *parents, leaf = key.split(".")
    target = data
    for part in parents:
        target = target[part]
    target[leaf] = value
    return data


def read_or_refuse(read, *args) -> Config | None:
    try:
        config = read(*args)
    except ConfigError as error:
        assert "\n" not in str(error)
        return None
    assert isinstance(config, Config)
    return config


@FUZZ
@given(st.sampled_from(KEYS), any_values)
def test_any_value_at_any_key_of_a_file_is_read_or_refused(key, value):
    config = read_or_refuse(Config.from_dict, settings_with(key, value))
    if config is None:
        return
    assert read_or_refuse(Config.from_json, json.dumps(settings_with(key, value))) == config


@FUZZ
@given(st.sampled_from(KEYS), texts)
def test_any_text_after_set_is_read_or_refused_with_the_settings_name(key, text):
    try:
        Config().with_overrides([f"{key}={text}"])
    except ConfigError as error:
        message = str(error)
        assert key in message or key.split(".")[-1] in message or "dropout" in message, message


@pytest.mark.parametrize(("assignment", "message"), [
    ("seed=" + "7" * 5001, "--set seed holds an integer of more than 4,300 digits"),
    ("hidden_layers=" + "[" * 5000 + "]" * 5000, "--set hidden_layers is nested too deeply"),
    ("dropout.hidden=" + "[" * 40 + "]" * 40, f"nested more than {MAX_JSON_DEPTH} levels"),
    ("dataset.csv_path=5", "dataset.csv_path: 5 is not allowed"),
    ("dataset.csv_path=[1, 2]", "dataset.csv_path: [1, 2] is not allowed"),
    ("dataset.label_column=3", "dataset.label_column: 3 is not allowed"),
    ("dataset.label_column={}", "dataset.label_column: {} is not allowed"),
    ("dataset.drop_bad_rows=yes", "dataset.drop_bad_rows: 'yes' is not allowed; expected true or"),
    ("seed=" + "9" * 4000, "seed: 99999"),
    ("max_norm=" + "9" * 400, "max_norm: 99999"),  # found by the report's longer fuzzing
])
def test_the_examples_of_the_issue(assignment, message):
    with pytest.raises(ConfigError) as caught:
        Config().with_overrides([assignment])
    assert message in str(caught.value)
    assert len(str(caught.value)) < 300


def test_a_file_with_a_huge_integer_or_deep_nesting_is_refused():
    for text in ('{"seed": ' + "1" * 5001 + "}", "[" * 100_000, '{"a": ' + "[" * 50 + "]" * 50 + "}"):
        with pytest.raises(ConfigError, match="the experiment file"):
            Config.from_json(text)


def test_a_file_from_before_drop_bad_rows_reads_with_it_false():
    data = Config().to_dict()
    del data["dataset"]["drop_bad_rows"]
    assert Config.from_dict(data).dataset.drop_bad_rows is False
    assert Config.from_dict(data) == Config()
