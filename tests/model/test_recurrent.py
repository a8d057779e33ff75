"""Recurrent models against numpy: a training step's loss from the masks it drew (input, carried
state, outputs; per step and tied), the test pass and its states, the exported weights in PyTorch's
layout and model.onnx, the many-step call, and resume.

Two networks: a GRU of one layer on digits_rows and a two-layer RNN of unequal widths on waves,
each compiled once for the session (C backend: seconds once its operations are cached).
"""

import json
import subprocess
import sys

import numpy as np
import numpy_rnn
import onnxruntime
import pytensor
import pytest
from run_checks import assert_resumes_bit_for_bit

from dropviz.model.config import Config
from dropviz.model.errors import ConfigError
from dropviz.model.experiment import load_experiment
from dropviz.model.export import MASK_AXES, RECURRENT_FORMAT, write_run
from dropviz.model.graph.dropout_controls import scale_factors

GRU = Config().with_overrides(["model=gru", "dataset.name=digits_rows", "hidden_layers=[6]",
                               "dropout.input=0.2", "dropout.hidden=0.3", "dropout.recurrent=0.4",
                               "batch_size=16", "seed=3"])
RNN = Config().with_overrides(["model=rnn", "dataset.name=waves", "dataset.n_samples=90",
                               "hidden_layers=[5,4]", "dropout.hidden=[0.3,0.2]",
                               "dropout.recurrent=0.5", "batch_size=12", "seed=4"])
CASES = [(GRU, "gru"), (RNN, "rnn")]


def sequences(trainer, X: np.ndarray) -> np.ndarray:
    arch = trainer.network.arch
    return X.reshape(len(X), arch.time_steps, arch.step_width)


@pytest.mark.parametrize(("config", "cell"), CASES)
@pytest.mark.parametrize("time_mask", ["per_step", "tied"])
@pytest.mark.parametrize("scaling", ["inverted", "weight_scaling"])
def test_a_training_step_is_the_numpy_model_with_the_masks_it_drew(trainers, config, cell,
                                                                   time_mask, scaling):
    trainer = trainers(config.with_overrides([f"dropout.time_mask={time_mask}",
                                              f"scaling={scaling}"]))
    network = trainer.network
    before = numpy_rnn.internal_to_torch(network.weights())
    batch = np.arange(10, dtype=np.int32)
    loss, masks = network.train_step(batch)
    named = dict(zip(network.noise_names, masks, strict=True))
    rates = dict(zip(trainer.config.dropout_layer_names, trainer.config.dropout_rates, strict=True))
    scales = {name: scale_factors(rate, scaling)[0] for name, rate in rates.items()}
    logits, _ = numpy_rnn.forward(before, cell, sequences(trainer, network.X_train.get_value()[batch]),
                                  named, scales)
    assert loss == pytest.approx(numpy_rnn.cross_entropy(logits, trainer.dataset.y_train[batch]),
                                 rel=1e-5)
    for name, mask in named.items():
        assert mask.shape[:2] == (10, network.arch.time_steps)
        same_over_time = bool((mask == mask[:, :1]).all())
        assert same_over_time == (time_mask == "tied" or rates[name] == 0), name
    drawn = named["recurrent1"][:, 0] if time_mask == "tied" else named["recurrent1"]
    keep = 1 - rates["recurrent1"]
    assert abs(drawn.mean() - keep) < 4 * np.sqrt(keep * (1 - keep) / drawn.size)


@pytest.mark.parametrize(("config", "cell"), CASES)
def test_the_test_pass_and_its_states_are_the_numpy_model(trainers, config, cell):
    trainer = trainers(config.with_overrides(["scaling=weight_scaling"]))
    for _ in range(5):
        trainer.step()
    X = trainer.dataset.X_test[:20]
    state = numpy_rnn.internal_to_torch(trainer.inference_weights())
    logits, states = numpy_rnn.forward(state, cell, sequences(trainer, X))
    np.testing.assert_allclose(trainer.predict_proba(X), numpy_rnn.softmax(logits), atol=1e-5)
    if cell == "rnn":  # no dropout on the input: the folded first layer's states are the app's
        shown = trainer.hidden_states(X)
        np.testing.assert_allclose(shown["recurrent1"], states["recurrent1"], atol=1e-5)
        assert shown["recurrent2"].shape == (20, trainer.network.arch.time_steps, 4)


@pytest.mark.parametrize(("config", "cell"), CASES)
def test_the_export_runs_in_numpy_and_onnx_as_pytorch_would(trainers, config, cell, tmp_path):
    trainer = trainers(config.with_overrides(["scaling=weight_scaling"]))
    results = [trainer.step() for _ in range(6)]
    masks = {name: np.stack([r.masks[name] for r in results]) for name in trainer.layer_names}
    write_run(tmp_path, trainer, [trainer.evaluate()], masks)
    description = json.loads((tmp_path / "model.json").read_text())
    assert description["format"] == RECURRENT_FORMAT and description["cell"] == cell
    steps, width = trainer.network.arch.time_steps, trainer.network.arch.step_width
    assert description["input"]["shape"] == ["sequences", steps, width]
    with np.load(tmp_path / "weights.npz", allow_pickle=False) as archive:
        state = {name: archive[name] for name in archive.files}
    assert {name: list(a.shape) for name, a in state.items()} == description["arrays"]
    gates = 3 if cell == "gru" else 1
    assert state["weight_ih_l0"].shape == (gates * config.hidden_layers[0], width)
    data = trainer.dataset
    raw = (data.X_test.astype(np.float64) * data.scale + data.mean)
    x = ((raw - description["input"]["mean"]) / description["input"]["scale"]).reshape(-1, steps, width)
    logits, _ = numpy_rnn.forward(state, cell, x)
    expected = trainer.predict_proba(data.X_test)
    np.testing.assert_allclose(numpy_rnn.softmax(logits), expected, atol=1e-5)
    session = onnxruntime.InferenceSession(str(tmp_path / "model.onnx"),
                                           providers=["CPUExecutionProvider"])
    onnx_probs = session.run(["probabilities"], {"input": raw.astype(np.float32)})[0]
    np.testing.assert_allclose(onnx_probs, expected, atol=1e-5)
    with np.load(tmp_path / "masks.npz") as saved:
        assert saved["recurrent1"].shape == (6, trainer.effective_batch_size, steps,
                                             config.hidden_layers[0])
    assert description["masks"]["axes"] == list(MASK_AXES)


def test_many_steps_in_one_call_are_the_single_steps_and_compile_nothing(trainers, monkeypatch):
    config = RNN.with_overrides(["dropout.time_mask=tied"])
    single, chunked = trainers(config), trainers(config)
    compiles = []
    real_function = pytensor.function
    monkeypatch.setattr(pytensor, "function", lambda *a, **k: compiles.append(a) or real_function(*a, **k))
    chunked.network.prepare_train_steps()  # no faster in one call: never compiled
    assert chunked.network.train_steps_ready and compiles == []
    batches = np.stack([np.arange(12, dtype=np.int32) + 3 * k for k in range(4)])
    alone = [single.network.train_step(batch) for batch in batches]
    losses, masks = chunked.network.train_steps(batches)
    np.testing.assert_allclose(losses, [loss for loss, _ in alone], rtol=1e-6)
    for index, name in enumerate(single.network.noise_names):
        assert np.array_equal(masks[index], np.stack([m[index] for _, m in alone])), name


def test_a_saved_recurrent_run_continues_bit_for_bit(trainers, pool, tmp_path):
    trainer = trainers(GRU.with_overrides(["dropout.time_mask=tied"]))
    for _ in range(5):
        trainer.step()
    opened = assert_resumes_bit_for_bit(trainer, pool, tmp_path)
    assert opened.model == "gru" and opened.dropout.time_mask == "tied"


@pytest.mark.parametrize(("overrides", "named"), [
    (["hidden_layers=[4,4,4]"], "hidden_layers"),
    (["batch_norm=before_dropout"], "batch_norm"),
    (["dropout.kind=dropconnect"], "dropout.kind"),
])
def test_what_a_recurrent_model_does_not_combine_with_is_refused_by_name(overrides, named):
    with pytest.raises(ConfigError, match=named):
        GRU.with_overrides(overrides)


def test_rows_that_do_not_split_into_the_time_steps_are_refused(trainers):
    with pytest.raises(ConfigError, match="time_steps"):
        trainers(Config().with_overrides(["model=rnn", "dataset.name=moons", "dataset.time_steps=3",
                                          "hidden_layers=[4]"]))


CONTINUE_ELSEWHERE = """
import json, sys
from dropviz.model.config import Config
from dropviz.model.experiment import save_experiment
from dropviz.model.trainer import Trainer
trainer = Trainer(Config.from_json(sys.argv[1]))
for _ in range(5):
    trainer.step()
save_experiment(sys.argv[2], trainer, [trainer.evaluate()])
print(json.dumps([trainer.step().loss for _ in range(5)]))
"""


def test_a_recurrent_run_saved_in_one_process_continues_bit_for_bit_in_another(pool, tmp_path):
    """Another process lays its arrays out elsewhere in memory; the course must not depend on it."""
    path = tmp_path / "elsewhere.dropviz"
    config = GRU.with_overrides(["dropout.time_mask=tied"])
    done = subprocess.run([sys.executable, "-c", CONTINUE_ELSEWHERE, config.to_json(), str(path)],
                          capture_output=True, text=True, timeout=600, check=True)
    opened = load_experiment(path, pool)
    try:
        assert [opened.trainer.step().loss for _ in range(5)] == json.loads(done.stdout)
    finally:
        opened.trainer.close()


def test_a_csv_of_fixed_length_sequences_trains_a_recurrent_model(trainers, tmp_path):
    """Each row holds time step 1's values, then step 2's: 16 steps of one value, as waves."""
    waves = trainers(RNN).dataset
    rows = np.column_stack([np.concatenate([waves.X_train, waves.X_test]),
                            np.concatenate([waves.y_train, waves.y_test])])
    path = tmp_path / "sequences.csv"
    header = ",".join([f"t{k}" for k in range(1, 17)] + ["label"])
    np.savetxt(path, rows, delimiter=",", header=header, comments="", fmt="%.6g")
    config = RNN.with_overrides(["dataset.name=csv", f"dataset.csv_path={path}",
                                 "dataset.label_column=label", "dataset.time_steps=16"])
    trainer = trainers(config)
    assert (trainer.network.arch.time_steps, trainer.network.arch.step_width) == (16, 1)
    assert trainer.step().masks["recurrent1"].shape == (12, 16, 5)
    with pytest.raises(ConfigError, match="16 features do not split into 5 time steps"):
        trainers(config.with_overrides(["dataset.time_steps=5"]))


def test_per_batch_masks_are_shared_by_the_batch_and_give_the_numpy_loss(trainers):
    trainer = trainers(GRU.with_overrides(["mask=per_batch", "dropout.time_mask=per_step"]))
    network = trainer.network
    before = numpy_rnn.internal_to_torch(network.weights())
    batch = np.arange(8, dtype=np.int32)
    loss, masks = network.train_step(batch)
    named = dict(zip(network.noise_names, masks, strict=True))
    for name, mask in named.items():
        assert (mask == mask[:1]).all(), name
    assert not (named["recurrent1"] == named["recurrent1"][:, :1]).all()
    rates = dict(zip(trainer.config.dropout_layer_names, trainer.config.dropout_rates, strict=True))
    scales = {name: 1 / (1 - rate) for name, rate in rates.items()}
    logits, _ = numpy_rnn.forward(before, "gru", sequences(trainer, network.X_train.get_value()[batch]),
                                  named, scales)
    assert loss == pytest.approx(numpy_rnn.cross_entropy(logits, trainer.dataset.y_train[batch]),
                                 rel=1e-5)
