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
MLP_VALUES = {"activation": ACTIVATIONS, "optimizer": OPTIMIZERS, "classes": (2, 3),
              "kind": DROPOUT_KINDS, "apply": APPLY_MODES, "batch_norm": BATCH_NORM_PLACES,
              "depth": (1, 2, 3)}
RECURRENT_VALUES = {"model": tuple(m for m in MODELS if m != "mlp"), "optimizer": OPTIMIZERS,
                    "classes": (2, 3), "kind": DROPOUT_KINDS, "apply": APPLY_MODES,
                    "batch_norm": BATCH_NORM_PLACES, "depth": (1, 2, 3),
                    "rows": tuple(itertools.product((True, False), repeat=2)),
                    "int16_units": (True, False)}


def _read(arch: Architecture) -> dict[str, object]:
    """What the graph of the architecture reads: a recurrent model's cells ignore the activation,
    Gaussian dropout multiplies a factor in (no mask to apply); a recurrent model's rows of one step
    or one feature are axes PyTensor broadcasts, and its sizes are constants, int16 from 128."""
    values = {"model": arch.model, "optimizer": arch.optimizer, "classes": min(arch.n_classes, 3),
              "kind": arch.dropout_kind, "apply": arch.apply, "batch_norm": arch.batch_norm,
              "depth": len(arch.hidden_layers)}
    if arch.recurrent:
        values.update(rows=(arch.time_steps == 1, arch.step_width == 1),
                      int16_units=arch.hidden_layers[0] >= 128)
    else:
        values["activation"] = arch.activation
    if arch.dropout_kind == "gaussian":
        del values["apply"]
    return values


def _accepted(values: dict[str, object]) -> bool:
    """Whether Config builds a network of these values (written here apart from warm.py)."""
    try:
        Config(hidden_layers=(4,) * values["depth"], activation=values.get("activation", "relu"),
               model=values.get("model", "mlp"), optimizer=values["optimizer"],
               batch_norm=values["batch_norm"], dropout=DropoutConfig(kind=values["kind"]))
    except ConfigError:
        return False
    return True


def _pairs(values: dict[str, object]) -> set[tuple]:
    return set(itertools.combinations(sorted(values.items()), 2))


@pytest.mark.parametrize("table", [MLP_VALUES, RECURRENT_VALUES], ids=["mlp", "recurrent"])
def test_every_pair_of_values_a_graph_reads_is_warmed(table):
    """In an MLP's or a recurrent model's twin: a new value in config.py fails here."""
    mlp = table is MLP_VALUES
    held = set().union(*(_pairs(_read(arch)) for arch in ARCHITECTURES if arch.recurrent != mlp))
    needed = 0
    for product in itertools.product(*table.values()):
        values = dict(zip(table, product, strict=True))
        if values["kind"] == "gaussian":
            del values["apply"]
        if _accepted(values):
            needed += 1
            missing = _pairs(values) - held
            assert not missing, missing
    assert needed > 100


def test_no_refused_combination_is_warmed():
    assert all(_accepted(_read(arch)) for arch in ARCHITECTURES)
    assert all(arch.time_steps == 1 for arch in ARCHITECTURES if not arch.recurrent)


def test_every_architecture_field_is_a_warmed_factor_or_a_size():
    sizes = {"n_inputs", "hidden_layers", "time_steps"}  # warm.py's rows and units
    assert {field.name for field in fields(Architecture)} - sizes <= set(warm.FACTORS)


def test_the_list_names_every_network_and_the_default_one(capsys):
    assert warm.main(["--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(ARCHITECTURES) + 1
    assert lines[0] == warm.DEFAULT_NETWORK
    assert lines[1] == f"quick twin: {warm.covering_set()[0].describe()}"


def test_each_part_runs_every_other_item_a_line_each_and_an_error_is_one_line(capsys):
    def fails() -> None:
        raise RuntimeError("no compiler\ng++: command not found")

    work = [("first", lambda: None), ("second", lambda: None), ("third", fails)]
    assert warm._run(work, 0) == 0
    assert [line.split(":")[0] for line in capsys.readouterr().out.splitlines()] == ["[2/3] second"]
    assert warm._run(work, 1) == 2
    out, err = capsys.readouterr()
    assert [line.split(":")[0] for line in out.splitlines()] == ["[1/3] first"]
    assert err == "python -m dropviz.warm: third: RuntimeError: no compiler\n"


def test_a_bad_argument_is_one_line_and_status_2():
    done = subprocess.run([sys.executable, "-m", "dropviz.warm", "--fast"], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "--fast" in done.stderr
