"""Checks every layer kind's tests share: an exported run reproduces the app's test predictions
(model.json's plain pass and model.onnx), and a saved run continues bit for bit."""

import json
from pathlib import Path

import numpy as np
import onnxruntime
from weights_check import assert_same_weights

from dropviz.model.experiment import load_experiment, save_experiment
from dropviz.model.inference import NUMPY_ACTIVATIONS


def assert_export_reproduces_predictions(trainer, folder: Path) -> None:
    """`folder` holds the trainer's written run (binary data: one sigmoid output)."""
    expected = trainer.predict_proba(trainer.dataset.X_test)
    description = json.loads((folder / "model.json").read_text())
    with np.load(folder / "weights.npz", allow_pickle=False) as archive:
        weights = {name: archive[name].astype(np.float64) for name in archive.files}
    h = trainer.dataset.X_test.astype(np.float64)
    for layer in description["layers"][:-1]:
        h = NUMPY_ACTIVATIONS[layer["activation"]](h @ weights[layer["weight"]] + weights[layer["bias"]])
    last = description["layers"][-1]
    positive = 1.0 / (1.0 + np.exp(-(h @ weights[last["weight"]] + weights[last["bias"]])[:, 0]))
    np.testing.assert_allclose(positive, expected[:, 1], atol=1e-5)
    data = trainer.dataset
    raw = (data.X_test.astype(np.float64) * data.scale + data.mean).astype(np.float32)
    session = onnxruntime.InferenceSession(str(folder / "model.onnx"),
                                           providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(["probabilities"], {"input": raw})[0], expected, atol=1e-5)


def assert_resumes_bit_for_bit(trainer, pool, folder: Path) -> object:
    """Save after the trainer's steps so far, go on 10 steps, and check the opened file goes on
    the same; the opened experiment's config, for the caller's own checks."""
    path = folder / "run.dropviz"
    save_experiment(path, trainer, [trainer.evaluate()])
    uninterrupted = [trainer.step() for _ in range(10)]
    opened = load_experiment(path, pool)
    try:
        continued = [opened.trainer.step() for _ in range(10)]
        assert [r.loss for r in continued] == [r.loss for r in uninterrupted]
        assert_same_weights(opened.trainer.network.weights(), trainer.network.weights())
        return opened.trainer.config
    finally:
        opened.trainer.close()
