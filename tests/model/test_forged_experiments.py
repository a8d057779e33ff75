"""Experiment files whose fields no real run could produce: refused at once, each with its reason.

Issue 19, class 7: a step of `true` or 10**30, a history of millions of rows, negative epochs, NaN
or unsorted rows, and an optimizer state that would make the next step diverge. The last one is
damage to the file, and its message must say so rather than blame the learning rate.
"""

from __future__ import annotations

import copy
import json
import os
import threading
import time
from typing import Any

import numpy as np
import pytest
from file_fuzzing import CONFIG, meta_array, npz_bytes, save_samples

from dropviz.model.errors import ExportError
from dropviz.model.evaluation_log import MAX_EVALUATIONS
from dropviz.model.experiment import load_experiment, save_experiment
from dropviz.model.experiment_checks import ADAM_MOMENT_RATIO
from dropviz.model.graph.optimizers import ADAM_BETA1, ADAM_BETA2
from dropviz.model.trainer import NetworkPool, Trainer


@pytest.fixture(scope="module")
def saved(pool: NetworkPool, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return save_samples(pool, tmp_path_factory.mktemp("forged"))


def refusal(saved: dict, pool: NetworkPool, meta: dict | None = None,
            raw_meta: bytes | None = None, **arrays: np.ndarray) -> str:
    contents = {**saved["arrays"], **arrays}
    if meta is not None:
        contents["meta"] = meta_array(meta)
    if raw_meta is not None:
        contents["meta"] = np.frombuffer(raw_meta, dtype=np.uint8)
    path = saved["work"] / "forged.dropviz"
    path.write_bytes(npz_bytes(contents))
    with pytest.raises(ExportError) as caught:
        load_experiment(path, pool)
    assert "forged.dropviz" in str(caught.value)
    return str(caught.value)


def changed(saved: dict, change) -> dict:
    meta = copy.deepcopy(saved["meta"])
    change(meta)
    return meta


def row(step: int, epoch: float, loss: float = 0.5, acc: float = 0.75) -> list:
    return [step, epoch, loss, loss, acc, acc]


@pytest.mark.parametrize(("change", "message"), [
    (lambda meta: meta.__setitem__("step", True), "the saved step count True"),
    (lambda meta: meta.__setitem__("step", 10**30), "the saved step count (a number of about 31"),
    (lambda meta: meta.__setitem__("step", -1), "the saved step count -1"),
    (lambda meta: meta["sampler"].__setitem__("examples_seen", 10**9), "examples seen 1000000000"),
    (lambda meta: meta["sampler"].__setitem__("position", True), "minibatch position True"),
    (lambda meta: meta.__setitem__("history", [row(0, -1.0)]), "at epoch -1.0"),
    (lambda meta: meta.__setitem__("history", [row(0, 0.0, loss=float("nan"))]), "finite numbers"),
    (lambda meta: meta.__setitem__("history", [row(2, 0.1), row(1, 0.1)]),
     "evaluation 2) is at step 1"),
    (lambda meta: meta.__setitem__("history", [row(4, 0.1)]), "at most the run's 3"),
    (lambda meta: meta.__setitem__("history", [row(0, 0.0, loss=-0.1)]), "negative loss"),
    (lambda meta: meta.__setitem__("history", [row(0, 0.0, acc=1.5)]), "accuracy outside 0 to 1"),
])
def test_fields_no_run_produces_are_refused(saved, pool, change, message):
    assert message in refusal(saved, pool, changed(saved, change))


def test_a_history_longer_than_any_run_keeps_is_refused_quickly(saved, pool):
    rows = [row(0, 0.0)] * (MAX_EVALUATIONS + 1)
    started = time.perf_counter()
    message = refusal(saved, pool, changed(saved, lambda meta: meta.__setitem__("history", rows)))
    assert f"holds {MAX_EVALUATIONS + 1:,} evaluations" in message
    assert time.perf_counter() - started < 5


def test_a_description_far_larger_than_a_run_is_refused_before_it_is_parsed(saved, pool):
    assert "its meta array is 33 MB" in refusal(saved, pool, raw_meta=b" " * (33 * 2**20))


@pytest.mark.parametrize(("name", "value", "message"), [
    ("opt__W1_v", lambda v: -np.abs(v) - 1.0, "W1_v holds a negative second moment"),
    ("opt__W1_m", lambda m: np.full_like(m, 1e30), "W1_m holds first moments no gradients can give"),
    ("opt__adam_t", lambda t: np.float32(1e9), "adam_t counts 1e+09 steps"),
    ("opt__b1_m", lambda m: np.full_like(m, np.nan), "b1_m holds non-finite values"),
])
def test_a_damaged_adam_state_is_called_damage_not_divergence(saved, pool, name, value, message):
    text = refusal(saved, pool, **{name: value(saved["arrays"][name])})
    assert "optimizer state is damaged" in text and message in text
    assert "not a diverged run" in text and "learning_rate" not in text


def test_the_adam_bound_holds_in_a_real_run_that_moves_fast(pool, tmp_path):
    """The moment bound is a theorem about Adam's averages; here it is checked against the state a
    run at a high learning rate actually reaches, which must open again."""
    trainer = Trainer(CONFIG.with_overrides(["learning_rate=0.05"]), pool)
    try:
        for _ in range(60):
            trainer.step()
        state = trainer.network.optimizer_state()
        for name, second in state.items():
            if name.endswith("_v"):
                first = state[name.removesuffix("_v") + "_m"].astype(np.float64)
                assert (first**2 <= ADAM_MOMENT_RATIO / 2 * second + 1e-30).all()
        assert int(state["adam_t"]) == trainer.step_count
        save_experiment(tmp_path / "fast.dropviz", trainer, [trainer.evaluate()])
    finally:
        trainer.close()
    opened = load_experiment(tmp_path / "fast.dropviz", pool)
    opened.trainer.close()


def test_the_adam_bound_is_reached_by_the_worst_gradients_and_not_passed():
    """Adam's averages of the gradients (b1/b2)**k steps back, the Cauchy-Schwarz equality case,
    give the largest m**2 / v there is; random gradients stay below it."""
    lags = np.arange(400)
    worst = (ADAM_BETA1 / ADAM_BETA2) ** lags
    rng = np.random.default_rng(0)
    ratios = []
    for gradients in [worst, *rng.standard_normal((50, 400)), *rng.exponential(size=(50, 400))]:
        first = (1 - ADAM_BETA1) * np.sum(ADAM_BETA1**lags * gradients)
        second = (1 - ADAM_BETA2) * np.sum(ADAM_BETA2**lags * gradients**2)
        ratios.append(first**2 / second)
    assert ratios[0] == max(ratios)
    assert 0.99 * ADAM_MOMENT_RATIO / 2 < ratios[0] <= ADAM_MOMENT_RATIO / 2


def test_a_fifo_or_device_as_the_experiment_is_refused_without_blocking(pool, tmp_path):
    fifo = tmp_path / "run.dropviz"
    os.mkfifo(fifo)
    messages = []

    def load(path) -> None:
        try:
            load_experiment(path, pool)
        except ExportError as error:
            messages.append(str(error))

    for path in (fifo, "/dev/zero"):
        thread = threading.Thread(target=load, args=(path,), daemon=True)
        thread.start()
        thread.join(10)
        assert not thread.is_alive(), f"opening {path} blocked"
    assert "is a named pipe (FIFO), not a dropviz experiment" in messages[0]
    assert "/dev/zero is a device" in messages[1]


def test_json_of_the_description_is_checked_for_digits_and_depth(saved, pool):
    meta = json.dumps(saved["meta"]).replace('"step": 3', '"step": ' + "9" * 5001)
    assert '"step": 999' in meta
    text = refusal(saved, pool, raw_meta=meta.encode())
    assert "more than 4,300 digits" in text
