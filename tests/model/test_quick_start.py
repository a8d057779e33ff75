"""Quick start: a run trains on the quick twin at once and goes on, bit for bit, on the fast network."""

import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from weights_check import assert_same_weights

from dropviz.model.config import Config
from dropviz.model.graph import compile_aside, quick_start
from dropviz.model.graph.architecture import Architecture
from dropviz.model.graph.compile_aside import architecture_from_json, architecture_json
from dropviz.model.graph.network import DropoutNetwork
from dropviz.model.graph.quick_start import CATCH_UP_STEPS, QuickStartNetwork
from dropviz.model.trainer import NetworkPool, Trainer

# test_multistep.py's Adam network: the fast twin loads what that file compiled (or the other way).
BASE = Config().with_overrides(["hidden_layers=[16,8]", "dataset.n_samples=120", "seed=6",
                                "dropout.input=0.2", "dropout.hidden=[0.5,0.3]", "batch_size=10"])
FAST_BUILD_SECONDS = 600  # a clean clone compiles it cold in a child process; usually seconds


class HeldThread:
    """A thread starter that starts the fast build only when the test says so."""

    def __init__(self) -> None:
        self.targets = []

    def __call__(self, target, name: str) -> None:
        self.targets.append(target)

    def release(self) -> None:
        for target in self.targets:
            threading.Thread(target=target, daemon=True).start()


def _quick_trainer(config: Config, starter: HeldThread) -> Trainer:
    return Trainer(config, NetworkPool(quick_start=True, start_thread=starter))


def _first_part(trainer: Trainer) -> list:
    """Steps one at a time and in calls of many, live changes and Monte-Carlo passes between."""
    results = [trainer.step() for _ in range(5)]
    results += trainer.run_steps(150)
    trainer.update(trainer.config.with_overrides(["dropout.hidden=[0.3,0.6]", "learning_rate=0.003",
                                                  "max_norm=2.0", "mask=per_batch"]))
    trainer.mc_predict(trainer.dataset.X_test[:4], 3)
    results += trainer.run_steps(140)
    results += [trainer.step() for _ in range(3)]
    return results


def test_the_fast_network_takes_over_bit_for_bit(pool):
    starter = HeldThread()
    quick = _quick_trainer(BASE, starter)
    network = quick.network
    assert isinstance(network, QuickStartNetwork)
    got = _first_part(quick)
    assert not network.is_fast and network.preparing.startswith("quick start")
    assert sum(1 for _ in got) > CATCH_UP_STEPS  # part of the log is replayed without the lock
    starter.release()
    while not network.fast_ready.wait(0.01):  # the twin trains on while the fast one catches up
        got.append(quick.step())
    assert network.failure is None and network.is_fast and network.preparing == ""
    got += quick.run_steps(20)
    mc_quick = quick.mc_predict(quick.dataset.X_test[:4], 3)

    alone = Trainer(BASE, pool)
    try:
        expected = _first_part(alone)
        expected += [alone.step() for _ in range(len(got) - len(expected) - 20)]
        expected += alone.run_steps(20)
        mc_alone = alone.mc_predict(alone.dataset.X_test[:4], 3)
        assert_same_weights(network.weights(), alone.network.weights())
        for name, value in alone.network.optimizer_state().items():
            np.testing.assert_array_equal(network.optimizer_state()[name], value)
        assert network.rng_states() == alone.network.rng_states()
        np.testing.assert_array_equal(mc_quick[0], mc_alone[0])
        for a, b in zip(got, expected, strict=True):
            assert a.step == b.step
            for name in a.masks:  # the same streams draw the same masks on both backends
                np.testing.assert_array_equal(a.masks[name], b.masks[name])
        # The twin rounds differently: its losses agree closely at first (its course drifts from
        # the fast network's over hundreds of steps); after the switch exactly
        np.testing.assert_allclose([r.loss for r in got[:150]], [r.loss for r in expected[:150]],
                                   rtol=1e-4)
        assert [r.loss for r in got[-20:]] == [r.loss for r in expected[-20:]]
    finally:
        alone.close()


def test_a_fast_network_that_fails_to_compile_leaves_the_twin_training(monkeypatch):
    def no_compiler(arch: Architecture) -> None:
        raise RuntimeError("compiling the fast network failed: no C compiler")

    monkeypatch.setattr(quick_start, "compile_in_child", no_compiler)
    trainer = Trainer(BASE, NetworkPool(quick_start=True))
    assert trainer.network.fast_ready.wait(FAST_BUILD_SECONDS)
    assert not trainer.network.is_fast
    assert "no C compiler" in trainer.network.preparing
    losses = [result.loss for result in trainer.run_steps(30)]
    assert np.isfinite(losses).all() and trainer.step_count == 30


def test_closing_the_program_waits_for_a_fast_build_stopped_at_its_next_step(monkeypatch):
    monkeypatch.setattr(quick_start, "_closing", threading.Event())
    monkeypatch.setattr(compile_aside, "_closing", threading.Event())
    in_child = threading.Event()

    def slow_child(arch: Architecture) -> None:
        in_child.set()
        time.sleep(0.3)  # the program begins to close meanwhile

    monkeypatch.setattr(quick_start, "compile_in_child", slow_child)
    trainer = Trainer(BASE, NetworkPool(quick_start=True))
    assert in_child.wait(FAST_BUILD_SECONDS)
    quick_start._stop_in_process()  # what runs at exit
    assert trainer.network.fast_ready.is_set() and not quick_start._in_process
    assert not trainer.network.is_fast and "closing" in trainer.network.preparing


def test_headless_pools_build_the_fast_network_itself():
    arch = Architecture(2, (16, 8), 2, "relu", "adam")
    assert architecture_from_json(architecture_json(arch)) == arch
    network = NetworkPool().acquire(arch, np.zeros((3, 2), np.float32), np.zeros(3, np.int32))
    assert isinstance(network, DropoutNetwork) and not network.quick and network.preparing == ""


def test_the_compile_child_reports_a_bad_architecture_in_one_line():
    # stdin stays open, as compile_in_child keeps it: a closed one means "the parent has ended"
    child = subprocess.Popen([sys.executable, "-m", "dropviz.model.graph.compile_aside",
                              '{"n_inputs": 2}'], stdin=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    errors = child.stderr.read()
    assert child.wait(timeout=60) == 2
    child.stdin.close()
    assert errors.count("\n") == 1 and "hidden_layers" in errors


# test_dropconnect.py's and test_batch_norm.py's networks, compiled once for all three files
SMALL = Config().with_overrides(["hidden_layers=[8,8]", "dataset.n_samples=80", "seed=2",
                                 "batch_size=16"])
DROPCONNECT = SMALL.with_overrides(["dropout.input=0.2", "dropout.hidden=[0.5,0.3]",
                                    "dropout.kind=dropconnect"])
BATCH_NORM = SMALL.with_overrides(["dropout.hidden=0.5", "batch_norm=after_dropout", "activation=tanh"])


@pytest.mark.parametrize("config", [DROPCONNECT, BATCH_NORM], ids=["dropconnect", "batch_norm"])
def test_the_quick_twin_draws_the_masks_of_the_fast_network(pool, config):
    """Other layer kinds: the quick twin alone (no fast build) against the fast network."""
    starter = HeldThread()
    quick = _quick_trainer(config, starter)
    alone = Trainer(config, pool)
    try:
        got, expected = quick.run_steps(40), alone.run_steps(40)
        for a, b in zip(got, expected, strict=True):
            for name in a.masks:
                np.testing.assert_array_equal(a.masks[name], b.masks[name])
        np.testing.assert_allclose([r.loss for r in got], [r.loss for r in expected], rtol=1e-4)
        assert quick.network.rng_states() == alone.network.rng_states()
        assert starter.targets and not quick.network.is_fast  # held: all 40 steps were the twin's
    finally:
        alone.close()


def test_the_window_s_rule_quick_starts_on_warm_quick_ops_and_a_graph_never_built_fast(
        monkeypatch, tmp_path):
    monkeypatch.setattr(compile_aside, "_quick_ops_mark", lambda: tmp_path / "mark")
    monkeypatch.setattr(compile_aside, "_fast_index", lambda: tmp_path / "index.json")
    pool = NetworkPool(quick_start=compile_aside.quick_start_helps, start_thread=HeldThread())
    arch = Architecture(2, (16, 8), 2, "relu", "adam")
    data = np.zeros((3, 2), np.float32), np.zeros(3, np.int32)
    assert not pool.quick_starts(arch)  # the quick ops are not warm yet
    compile_aside.mark_quick_ops_warm()
    assert compile_aside.quick_ops_warm() and pool.quick_starts(arch)
    assert isinstance(pool.acquire(arch, *data), QuickStartNetwork)
    NetworkPool().acquire(arch, *data)  # built fast: remembered in the index
    wider = Architecture(2, (40, 3), 2, "relu", "adam")  # numba's cache does not key widths
    assert compile_aside.fast_compiled(wider) and not pool.quick_starts(wider)
    assert isinstance(pool.acquire(wider, *data), DropoutNetwork)
    assert pool.quick_starts(Architecture(2, (16, 8, 4), 2, "relu", "adam"))


def test_a_compile_child_ends_when_its_parent_does():
    """Its stdin closes when the parent ends however it ends (here: closed at once)."""
    child = subprocess.Popen([sys.executable, "-m", "dropviz.model.graph.compile_aside",
                              architecture_json(Architecture(2, (16, 8), 2, "relu", "adam")),
                              compile_aside.NETWORK],
                             stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    child.stdin.close()
    assert child.wait(timeout=60) == 3
