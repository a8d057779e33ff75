"""Many steps in one compiled call: exactly the course of training of as many single steps."""

import threading

import numpy as np
import pytensor
import pytest
from weights_check import assert_same_weights

from dropviz.model.config import Config
from dropviz.model.trainer import NetworkPool, Trainer

# 36 training examples in batches of 10: an epoch ends inside most calls of a few steps. Layers of
# unequal widths, as test_experiment.py's: its relu networks (Adam, momentum) are the same graphs, so
# a clean clone compiles them once for both files.
BASE = Config().with_overrides(["hidden_layers=[16,8]", "dataset.n_samples=120", "seed=6",
                                "dropout.input=0.2", "dropout.hidden=[0.5,0.3]", "batch_size=10"])


def _single(trainer: Trainer, n: int) -> list:
    return [trainer.step() for _ in range(n)]


def _assert_same_course(results_a, results_b, trainer_a, trainer_b):
    assert [r.step for r in results_a] == [r.step for r in results_b]
    assert [r.epoch for r in results_a] == [r.epoch for r in results_b]
    assert [r.loss for r in results_a] == [r.loss for r in results_b]
    for a, b in zip(results_a, results_b, strict=True):
        assert a.masks.keys() == b.masks.keys()
        for name in a.masks:
            np.testing.assert_array_equal(a.masks[name], b.masks[name])
    assert_same_weights(trainer_a.network.weights(), trainer_b.network.weights())
    state_a, state_b = trainer_a.network.optimizer_state(), trainer_b.network.optimizer_state()
    for name in state_a:
        np.testing.assert_array_equal(state_a[name], state_b[name])
    assert trainer_a.step_count == trainer_b.step_count


# One graph per optimizer, each compiling its own call of many steps (40-80 s of CPU on a cold
# cache); scaling, mask shape and L2 are live settings of the same graphs.
@pytest.mark.parametrize("overrides", [["optimizer=sgd"], ["optimizer=momentum", "mask=per_batch"],
                                       ["optimizer=adam", "scaling=weight_scaling", "l2=0.01"]])
def test_run_steps_is_bit_for_bit_the_same_as_single_steps(trainers, compiled_chunks, overrides):
    config = BASE.with_overrides(overrides)
    single = trainers(config)
    expected = _single(single, 11)
    single.close()
    many = compiled_chunks(config)
    got = many.run_steps(11)
    _assert_same_course(expected, got, single, many)


def test_calls_of_any_length_mixed_with_single_steps_keep_the_course(trainers, compiled_chunks):
    single = trainers(BASE)
    expected = _single(single, 12)
    single.close()
    mixed = compiled_chunks(BASE)
    got = [*mixed.run_steps(4), mixed.step(), *mixed.run_steps(1), *mixed.run_steps(6)]
    _assert_same_course(expected, got, single, mixed)


def test_steps_before_and_while_the_call_of_many_compiles_keep_the_course(trainers, monkeypatch):
    """Until the call of many steps is compiled, run_steps goes step by step and compiles nothing;
    the window compiles it beside its training loop: the course must not move either way."""
    reference = trainers(BASE)
    expected = _single(reference, 30)
    fresh = Trainer(BASE, NetworkPool())  # a network of its own: none of the pool's is fresh
    compiles = []
    real_function = pytensor.function
    monkeypatch.setattr(pytensor, "function", lambda *a, **k: compiles.append(a) or real_function(*a, **k))
    got = fresh.run_steps(4)
    assert compiles == [] and not fresh.network.train_steps_ready
    monkeypatch.undo()
    preparing = threading.Thread(target=fresh.network.prepare_train_steps)
    preparing.start()
    got.append(fresh.step())
    while preparing.is_alive() and len(got) < 20:
        got.append(fresh.step())
    preparing.join()
    assert fresh.network.train_steps_ready
    got += fresh.run_steps(30 - len(got))
    _assert_same_course(expected, got, reference, fresh)


def test_masks_and_losses_have_one_row_per_step(compiled_chunks):
    trainer = compiled_chunks(BASE)
    losses, masks = trainer.network.train_steps(np.arange(30, dtype=np.int32).reshape(3, 10))
    assert losses.shape == (3,)
    assert [m.shape for m in masks] == [(3, 10, 2), (3, 10, 16), (3, 10, 8)]
    assert all(m.dtype == np.bool_ for m in masks)
    results = trainer.run_steps(2)
    assert [r.masks["hidden2"].shape for r in results] == [(10, 8), (10, 8)]


def test_live_changes_act_at_the_next_call_without_compiling(compiled_chunks, monkeypatch):
    trainer = compiled_chunks(BASE)
    trainer.run_steps(2)
    compiles = []
    real_function = pytensor.function
    monkeypatch.setattr(pytensor, "function", lambda *a, **k: compiles.append(a) or real_function(*a, **k))
    trainer.update(BASE.with_overrides(["dropout.input=0.0", "dropout.hidden=0.0", "batch_size=4"]))
    results = trainer.run_steps(5)
    assert all(mask.all() for result in results for mask in result.masks.values())
    assert results[0].masks["input"].shape == (4, 2)
    assert compiles == []


def test_a_batch_larger_than_the_training_set_uses_the_whole_set(compiled_chunks):
    trainer = compiled_chunks(BASE.with_overrides(["batch_size=5000"]))
    n_train = len(trainer.dataset.y_train)
    results = trainer.run_steps(3)
    assert results[0].masks["hidden1"].shape == (n_train, 16)
    assert [r.epoch for r in results] == pytest.approx([1.0, 2.0, 3.0])


def test_run_steps_needs_at_least_one_step(trainers):
    with pytest.raises(ValueError, match="at least one"):
        trainers(BASE).run_steps(0)
