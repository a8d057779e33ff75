"""The memory a run needs, estimated before its network is built, and refused when it cannot fit."""

import pytest

from dropviz.model import memory
from dropviz.model.config import Config
from dropviz.model.errors import ConfigError
from dropviz.model.trainer import Trainer
from dropviz.session.loop import CHUNK_STEPS
from dropviz.session.snapshot import RECENT_STEPS

BIG = Config().with_overrides(["hidden_layers=[4096,4096]", "batch_size=65536"])
SMALL = Config().with_overrides(["hidden_layers=[16,16]", "dataset.n_samples=120"])


@pytest.fixture
def available(monkeypatch, tmp_path):
    """Pretend the system has `set(bytes)` available, as /proc/meminfo says it."""
    meminfo = tmp_path / "meminfo"
    monkeypatch.setattr(memory, "MEMINFO", meminfo)

    def set_available(count: int) -> None:
        meminfo.write_text(f"MemTotal:       99999999 kB\nMemAvailable:   {count // 1024} kB\n")

    return set_available


def test_the_parameters_part_counts_every_weight_and_the_optimizer_state():
    parts = memory.estimate(SMALL.with_overrides(["optimizer=adam"]), 2, 2, 36, 84).parts
    weights = (2 * 16 + 16) + (16 * 16 + 16) + (16 * 1 + 1)  # two inputs, one sigmoid output
    assert parts["parameters and optimizer state"] == weights * 4 * (3 + 2)
    sgd = memory.estimate(SMALL.with_overrides(["optimizer=sgd"]), 2, 2, 36, 84).parts
    assert sgd["parameters and optimizer state"] == weights * 4 * 3
    assert parts["the batch's masks kept and of one call"] == 32 * (2 + 16 + 16) * (RECENT_STEPS + 1)
    assert memory.MASKS_KEPT == RECENT_STEPS


def test_the_run_that_climbed_past_12_gb_is_estimated_above_it():
    needed = memory.estimate(BIG, 20, 3, 800_000, 200_000)
    assert needed.total > 12 * 2**30
    assert needed.largest() == "the batch's masks kept and of one call"


def test_a_run_that_cannot_fit_is_refused_before_its_network_is_built(available, monkeypatch):
    available(8 * 2**30)
    with pytest.raises(ConfigError, match=r"about \d+\.\d GB of memory and 8\.0 GB is available"
                                          r".*hidden_layers \[4096, 4096\] and batch_size 65536"):
        memory.check_memory(BIG, 20, 3, 800_000, 200_000)
    memory.check_memory(SMALL, 2, 2, 36, 84)

    needed = memory.estimate(SMALL, 2, 2, 84, 36).total
    available(needed - 1)  # the moons of SMALL: 84 rows to train on, 36 to test

    def never(*_args):
        raise AssertionError("a network was built")

    monkeypatch.setattr("dropviz.model.trainer.DropoutNetwork", never)
    with pytest.raises(ConfigError, match="would need about"):
        Trainer(SMALL)


def test_without_meminfo_nothing_is_refused(monkeypatch, tmp_path):
    monkeypatch.setattr(memory, "MEMINFO", tmp_path / "missing")
    assert memory.available_memory() is None
    memory.check_memory(BIG, 20, 3, 800_000, 200_000)
    assert memory.steps_fitting(BIG, 20, 3, 800_000, 200_000, CHUNK_STEPS) == CHUNK_STEPS


def test_a_call_trains_as_many_steps_as_their_masks_fit(available):
    base = memory.estimate(SMALL, 2, 2, 84, 36).total
    per_step = memory.estimate(SMALL, 2, 2, 84, 36, 2).total - base
    assert per_step == 32 * (2 + 16 + 16)  # one step's keep-masks of the batch, a byte each
    available(base + 10 * per_step + 1023)
    assert memory.steps_fitting(SMALL, 2, 2, 84, 36, CHUNK_STEPS) == 10
    available(base)
    assert memory.steps_fitting(SMALL, 2, 2, 84, 36, CHUNK_STEPS) == 1
