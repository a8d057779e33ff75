"""model.onnx and the PyTorch layout of model.json reproduce the app's test-time predictions.

Networks are small ([8, 8], 80 samples) and trained with single steps, which compile nothing beyond
what building the network compiles; scaling modes and rates are live settings, so the five shapes
here compile once each per session.
"""

import json
import re

import numpy as np
import onnx
import onnxruntime
import pytest

from dropviz.model import portable
from dropviz.model.config import Config
from dropviz.model.errors import ExportError
from dropviz.model.export import write_run
from dropviz.model.results import LayerInfo, NetworkLayout, ParamInfo

SMALL = Config().with_overrides(["hidden_layers=[8,8]", "dataset.n_samples=80", "seed=2",
                                 "dropout.input=0.2", "dropout.hidden=[0.5,0.3]"])
SHAPES = [("relu", "moons"), ("tanh", "moons"), ("sigmoid", "moons"), ("relu", "blobs"),
          ("sigmoid", "blobs")]
NUMPY = {"relu": lambda h: np.maximum(h, 0.0), "tanh": np.tanh,
         "sigmoid": lambda h: 1.0 / (1.0 + np.exp(-h)),
         "softmax": lambda h: np.exp(h - h.max(1, keepdims=True))
                              / np.exp(h - h.max(1, keepdims=True)).sum(1, keepdims=True)}
TORCH = {"ReLU()": NUMPY["relu"], "Tanh()": NUMPY["tanh"], "Sigmoid()": NUMPY["sigmoid"],
         "Softmax(dim=1)": NUMPY["softmax"]}


def trained(trainers, activation: str, dataset: str, scaling: str, steps: int = 30):
    trainer = trainers(SMALL.with_overrides([f"activation={activation}", f"dataset.name={dataset}",
                                             f"scaling={scaling}"]))
    for _ in range(steps):
        trainer.step()
    return trainer


def raw_rows(trainer) -> np.ndarray:
    """The test rows as they were before standardisation, as a user's data would be."""
    data = trainer.dataset
    return (data.X_test.astype(np.float64) * data.scale + data.mean).astype(np.float32)


def torch_forward(layout: dict, weights, x: np.ndarray) -> np.ndarray:
    """torch.nn.Sequential as model.json describes it, with Linear as torch defines it."""
    state = {}
    for key, source in layout["state_dict"].items():
        name, _, transposed = source.partition(" ")
        state[key] = weights[name].T if transposed == "transposed" else weights[name]
    h = x.astype(np.float64)
    for index, module in enumerate(layout["modules"]):
        if re.fullmatch(r"Linear\(\d+, \d+\)", module):
            h = h @ state[f"{index}.weight"].T + state[f"{index}.bias"]
        else:
            h = TORCH[module](h)
    return h


@pytest.mark.parametrize("scaling", ["weight_scaling", "inverted", "none"])
@pytest.mark.parametrize(("activation", "dataset"), SHAPES)
def test_exported_models_give_the_apps_probabilities(trainers, tmp_path, activation, dataset, scaling):
    trainer = trained(trainers, activation, dataset, scaling)
    write_run(tmp_path, trainer, [trainer.evaluate()], {})
    expected = trainer.predict_proba(trainer.dataset.X_test)
    n_classes = len(trainer.dataset.classes)
    assert expected.shape[1] == n_classes == (3 if dataset == "blobs" else 2)

    session = onnxruntime.InferenceSession(str(tmp_path / "model.onnx"),
                                           providers=["CPUExecutionProvider"])
    (probs,) = session.run(["probabilities"], {"input": raw_rows(trainer)})
    assert probs.dtype == np.float32 and probs.shape == expected.shape
    np.testing.assert_allclose(probs, expected, atol=1e-5)

    description = json.loads((tmp_path / "model.json").read_text())
    with np.load(tmp_path / "weights.npz", allow_pickle=False) as archive:
        weights = {name: archive[name] for name in archive.files}
    x = (raw_rows(trainer) - np.array(description["input"]["mean"])) / np.array(
        description["input"]["scale"])
    h = x
    for layer in description["layers"]:
        h = NUMPY[layer["activation"]](h @ weights[layer["weight"]] + weights[layer["bias"]])
    from_torch = torch_forward(description["pytorch"], weights, x)
    if n_classes == 2:
        h, from_torch = h[:, 0], from_torch[:, 0]
        expected = expected[:, 1]
    np.testing.assert_allclose(h, expected, atol=1e-5)
    np.testing.assert_allclose(from_torch, expected, atol=1e-5)


def test_the_onnx_file_is_valid_and_says_what_it_takes(trainers, tmp_path):
    trainer = trained(trainers, "tanh", "moons", "weight_scaling")
    write_run(tmp_path, trainer, [], {})
    model = onnx.load(tmp_path / "model.onnx")
    onnx.checker.check_model(model, full_check=True)
    assert model.ir_version == portable.ONNX_IR_VERSION
    assert [(opset.domain, opset.version) for opset in model.opset_import] == [("", 17)]
    (given,), (returned,) = model.graph.input, model.graph.output
    assert given.name == "input" and returned.name == "probabilities"
    for value, width in ((given, 2), (returned, 2)):
        assert value.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
        dims = value.type.tensor_type.shape.dim
        assert (dims[0].dim_param, dims[1].dim_value) == ("N", width)
    props = {prop.key: json.loads(prop.value) for prop in model.metadata_props}
    assert props == {"classes": ["0", "1"], "features": list(trainer.dataset.feature_names)}


def test_model_json_names_the_pytorch_layout(trainers, tmp_path):
    trainer = trained(trainers, "tanh", "moons", "inverted")
    write_run(tmp_path, trainer, [], {})
    layout = json.loads((tmp_path / "model.json").read_text())["pytorch"]
    assert layout["sequential"] == (
        "torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 8), "
        "torch.nn.Tanh(), torch.nn.Linear(8, 1), torch.nn.Sigmoid())")
    assert layout["state_dict"] == {"0.weight": "W1 transposed", "0.bias": "b1",
                                    "2.weight": "W2 transposed", "2.bias": "b2",
                                    "4.weight": "W3 transposed", "4.bias": "b3"}


def _layout(*extra: LayerInfo, activation: str = "relu") -> NetworkLayout:
    dense = LayerInfo("dense", "dense1", 3, (ParamInfo("W1", (2, 3)), ParamInfo("b1", (3,))),
                      activation)
    return NetworkLayout(2, (LayerInfo("dropout", "input", 2, noise=("batch", "units")), dense, *extra))


WEIGHTS = {"W1": np.ones((2, 3), np.float32), "b1": np.zeros(3, np.float32)}


@pytest.mark.parametrize(("layout", "weights", "message"), [
    (_layout(LayerInfo("layer_norm", "norm1", 3)), WEIGHTS, "layer norm1.*kind 'layer_norm'"),
    (_layout(activation="swish"), WEIGHTS, "dense1.*activation 'swish'"),
    (_layout(), {"W1": WEIGHTS["W1"]}, "weight b1: it is missing"),
    (_layout(), {**WEIGHTS, "W1": np.ones((3, 2), np.float32)}, r"W1: it is shaped \[3, 2\]"),
])
def test_what_cannot_be_exported_is_refused(layout, weights, message):
    with pytest.raises(ExportError, match=message):
        portable.onnx_model(layout, weights, np.zeros(2), np.ones(2), ["a", "b", "c"], ["x", "y"])


def test_a_refused_layer_kind_writes_no_file(trainers, tmp_path, monkeypatch):
    trainer = trained(trainers, "tanh", "moons", "inverted", steps=1)
    monkeypatch.delitem(portable.LAYER_EXPORTS, "dropout")
    with pytest.raises(ExportError, match="kind 'dropout'"):
        write_run(tmp_path / "run", trainer, [], {})
    assert not (tmp_path / "run").exists()
