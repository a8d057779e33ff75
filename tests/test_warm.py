"""The warm-up's covering set and its command line; nothing here compiles a network.

The set must hold every value, and every pair of values, that the settings fixing a graph can take:
a value added to config.py (or a field to Architecture) fails here until the warm-up covers it.
"""

import itertools
import subprocess
import sys
from dataclasses import fields

import pytest

from dropviz import warm
from dropviz.model.config import (
    ACTIVATIONS,
    BATCH_NORM_PLACES,
    DROPOUT_KINDS,
    MODELS,
    OPTIMIZERS,
    Config,
    DropoutConfig,
)
from dropviz.model.errors import ConfigError
from dropviz.model.graph.architecture import APPLY_MODES, Architecture

ARCHITECTURES = [combination.architecture() for combination in warm.covering_set()]
RECURRENT = [arch for arch in ARCHITECTURES if arch.recurrent]


def _values(arch: Architecture) -> dict[str, object]:
    """What the architecture is, as the factors that change a graph's operations."""
    return {"model": arch.model, "activation": arch.activation, "optimizer": arch.optimizer,
            "output": "sigmoid" if arch.n_classes == 2 else "softmax",
            "kind": arch.dropout_kind, "apply": arch.apply, "batch_norm": arch.batch_norm,
            "depth": len(arch.hidden_layers)}


ALL_VALUES = {"model": MODELS, "activation": ACTIVATIONS, "optimizer": OPTIMIZERS,
              "output": ("sigmoid", "softmax"), "kind": DROPOUT_KINDS, "apply": APPLY_MODES,
              "batch_norm": BATCH_NORM_PLACES, "depth": (1, 2, 3)}


def _accepted(values: dict[str, object]) -> bool:
    """Whether Config builds a network of these values (written here apart from warm.py)."""
    try:
        Config(hidden_layers=(4,) * values["depth"], activation=values["activation"],
               model=values["model"], optimizer=values["optimizer"],
               batch_norm=values["batch_norm"], dropout=DropoutConfig(kind=values["kind"]))
    except ConfigError:
        return False
    return True


@pytest.mark.parametrize("factor", ALL_VALUES)
def test_every_value_of_every_setting_is_warmed(factor):
    assert {_values(arch)[factor] for arch in ARCHITECTURES} == set(ALL_VALUES[factor])


def test_every_pair_of_values_config_accepts_is_warmed():
    held = {pair for arch in ARCHITECTURES
            for pair in itertools.combinations(sorted(_values(arch).items()), 2)}
    for product in itertools.product(*ALL_VALUES.values()):
        values = dict(zip(ALL_VALUES, product, strict=True))
        if _accepted(values):
            for pair in itertools.combinations(sorted(values.items()), 2):
                assert pair in held, pair


def test_no_refused_combination_is_warmed():
    assert all(_accepted(_values(arch)) for arch in ARCHITECTURES)
    assert all(arch.time_steps == 1 for arch in ARCHITECTURES if not arch.recurrent)


@pytest.mark.parametrize("size", ["time_steps", "step_width"])
def test_recurrent_rows_of_one_step_or_feature_and_more_are_warmed(size):
    """A size of 1 is an axis PyTensor broadcasts, which the C backend compiles apart."""
    for model in ("rnn", "gru"):
        ones = {getattr(arch, size) == 1 for arch in RECURRENT if arch.model == model}
        assert ones == {True, False}


def test_every_architecture_field_is_a_warmed_factor_or_a_size():
    sizes = {"n_inputs", "hidden_layers"}
    assert {field.name for field in fields(Architecture)} - sizes <= set(warm.FACTORS)


def test_the_list_names_every_network_and_the_default_one(capsys):
    assert warm.main(["--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(ARCHITECTURES) + 1
    assert lines[-1] == "fast network of the default settings"
    assert lines[0] == f"quick twin: {warm.covering_set()[0].describe()}"


def test_progress_is_a_line_per_item_and_an_error_one_line_with_status_2(monkeypatch, capsys):
    def fails() -> None:
        raise RuntimeError("no compiler")

    monkeypatch.setattr(warm, "steps", lambda: iter([("first", lambda: None), ("second", fails)]))
    assert warm.main([]) == 2
    out, err = capsys.readouterr()
    assert out.splitlines()[0].startswith("[1/2] first: ") and len(out.splitlines()) == 1
    assert err == "python -m dropviz.warm: second: RuntimeError: no compiler\n"


def test_a_bad_argument_is_one_line_and_status_2():
    done = subprocess.run([sys.executable, "-m", "dropviz.warm", "--fast"], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "--fast" in done.stderr
