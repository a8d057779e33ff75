"""A run as files others can use: config, metrics, inference-ready weights, data and masks.

`model.json` is the documented format: each layer computes act(x @ W + b), W shaped (fan_in, fan_out),
with the test-time dropout scale already folded into W, so any numpy forward pass reproduces the
app's predictions whatever scaling mode trained the network. It also gives the PyTorch layout of
the same weights; `model.onnx` is the same network for any ONNX runtime, standardisation included.
`run.json` names the run and its settings, and every row of metrics.csv carries that name, so the
metrics of many runs concatenate into one table.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dropviz.model.config import Config
from dropviz.model.errors import ExportError
from dropviz.model.files import read_npz, write_bytes_atomic, write_npz_atomic, write_text_atomic
from dropviz.model.portable import ONNX_INPUT, ONNX_OUTPUT, onnx_model, torch_layout
from dropviz.model.portable_recurrent import (
    EQUATIONS,
    OUTPUT_BIAS,
    OUTPUT_WEIGHT,
    recurrent_layers,
    torch_description,
    torch_state,
)
from dropviz.model.results import Evaluation
from dropviz.model.trainer import Trainer
from dropviz.version import __version__

MODEL_FORMAT = "dropviz-mlp/1"
RECURRENT_FORMAT = "dropviz-rnn/1"
MASK_AXES = ("step", "batch", "time", "units")  # a recurrent model's masks.npz arrays
RUN_FORMAT = "dropviz-run/1"
# run_id is last so that every earlier column keeps the place it had before it was added.
METRIC_COLUMNS = ("step", "epoch", "train_loss", "test_loss", "train_acc", "test_acc", "gap", "run_id")


def model_description(trainer: Trainer) -> dict:
    """The contents of model.json: how to run the exported weights without dropviz."""
    if trainer.network.arch.recurrent:
        return recurrent_description(trainer)
    arch = trainer.network.arch
    data = trainer.dataset
    dense = trainer.layout.of_kind("dense")
    layers = [{"weight": layer.params[0].name, "bias": layer.params[1].name,
               "activation": layer.activation} for layer in dense]
    output = ("sigmoid: the probability of classes[1]" if arch.output_activation == "sigmoid"
              else "softmax: one probability per class, in the order of classes")
    return {
        "format": MODEL_FORMAT,
        "layers": layers,
        "classes": list(data.classes),
        "output": output,
        "arrays": {name: list(shape) for name, shape in trainer.layout.exported_shapes().items()},
        "dtype": "float32",
        "input": {
            "features": list(data.feature_names),
            "mean": data.mean.astype(float).tolist(),
            "scale": data.scale.astype(float).tolist(),
            "standardise": "x = (raw - mean) / scale before the first layer",
        },
        "usage": "h = x; for each layer: h = act(h @ W + b). No dropout and no scaling: the "
                 "test-time dropout scale is folded into the weights.",
        "trained_with": {
            "steps": trainer.step_count,
            "scaling": trainer.config.scaling,
            "dropout": dict(zip(trainer.layer_names, trainer.config.dropout_rates, strict=True)),
        },
        "pytorch": torch_layout(trainer.layout),
        "onnx": {
            "file": "model.onnx",
            "input": f"{ONNX_INPUT}: float32 [rows, {data.n_features}], raw features in the order of "
                     "input.features; the standardisation is part of the graph",
            "output": f"{ONNX_OUTPUT}: float32 [rows, {len(data.classes)}], one probability per "
                      "class in the order of classes",
        },
    }


def recurrent_description(trainer: Trainer) -> dict:
    """model.json of a recurrent model: the cell's equations in PyTorch's names and layout, the
    input's shape, the output layer, and the axes of masks.npz."""
    arch, data, layout = trainer.network.arch, trainer.dataset, trainer.layout
    cells = recurrent_layers(layout)
    output = layout.of_kind("dense")[-1]
    steps, width = arch.time_steps, arch.step_width
    return {
        "format": RECURRENT_FORMAT,
        "cell": arch.model,
        "equations": EQUATIONS[arch.model],
        "layers": [{"input_size": fan_in, "hidden_size": cell.units,
                    **{f"{kind}_{side}": f"{kind}_{side}_l{k}" for kind in ("weight", "bias")
                       for side in ("ih", "hh")}}
                   for k, (fan_in, cell) in enumerate(zip((width, *(c.units for c in cells)), cells,
                                                          strict=False))],
        "output_layer": {"weight": OUTPUT_WEIGHT, "bias": OUTPUT_BIAS,
                         "activation": output.activation,
                         "reads": "the last recurrent layer's state after the last time step"},
        "classes": list(data.classes),
        "arrays": {name: list(array.shape)
                   for name, array in torch_state(layout, trainer.inference_weights()).items()},
        "dtype": "float32",
        "input": {
            "shape": ["sequences", steps, width],
            "features": list(data.feature_names),
            "mean": data.mean.astype(float).tolist(),
            "scale": data.scale.astype(float).tolist(),
            "standardise": f"x = (raw - mean) / scale on the flat row of {data.n_features} values, "
                           f"then x.reshape(-1, {steps}, {width}): a row is time step 1's "
                           f"{width} values, then step 2's, ...",
        },
        "usage": "h = 0 for each layer; for t in steps: h = cell(x_t, h), the next layer reading "
                 "every h_t; then output activation(h_last @ linear.weight.T + linear.bias). No "
                 "dropout and no scaling: the test-time factors are folded into the weights.",
        "trained_with": {
            "steps": trainer.step_count,
            "scaling": trainer.config.scaling,
            "time_mask": trainer.config.dropout.time_mask,
            "dropout": dict(zip(trainer.layer_names, trainer.config.dropout_rates, strict=True)),
        },
        "pytorch": torch_description(layout, steps),
        "onnx": {"file": "model.onnx",
                 "input": f"{ONNX_INPUT}: float32 [rows, {data.n_features}], raw flat rows",
                 "output": f"{ONNX_OUTPUT}: float32 [rows, {len(data.classes)}]"},
        "masks": {"file": "masks.npz", "axes": list(MASK_AXES),
                  "layers": "input: each step's inputs; recurrent<k>: the state carried into each "
                            "step; hidden<k>: layer k's outputs"},
    }


def run_id(trainer: Trainer, weights: dict[str, np.ndarray]) -> str:
    """A name for the run as exported: a hash of its settings, step, weights and data.

    A hash rather than a random id, so that writing the same run twice (an export repeated, or a
    deterministic run trained again) gives the same name and a table of many runs holds no phantom
    run. Settings and seed alone would not tell apart two runs whose settings were changed live at
    different steps, so the weights are hashed too; the data, because two CSV files of one name
    can differ. The planned `steps` is left out: a run resumed for more steps is the same run.
    """
    settings = trainer.config.to_dict()
    del settings["steps"]
    data = trainer.dataset
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode("utf-8"))
    digest.update(f"step {trainer.step_count}".encode())
    arrays = {**weights, "X_train": data.X_train, "y_train": data.y_train,
              "X_test": data.X_test, "y_test": data.y_test}
    for name, array in arrays.items():
        digest.update(f"{name} {array.dtype} {array.shape}".encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]


def flat_settings(config: Config) -> dict:
    """Settings by dotted key, as `--set` names them: one flat row per run for a table."""
    flat = {}
    for key, value in config.to_dict().items():
        if isinstance(value, dict):
            flat.update({f"{key}.{sub}": item for sub, item in value.items()})
        else:
            flat[key] = value
    return flat


def run_description(trainer: Trainer, identity: str) -> dict:
    """The contents of run.json: which run metrics.csv's rows belong to, and how it was set up."""
    return {
        "format": RUN_FORMAT,
        "run_id": identity,
        "step": trainer.step_count,
        "epoch": trainer.sampler.epoch,
        "dropviz_version": __version__,
        "settings": flat_settings(trainer.config),
    }


def metrics_csv(history: list[Evaluation], identity: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(METRIC_COLUMNS)
    for e in history:
        writer.writerow([e.step, f"{e.epoch:.6g}", f"{e.train_loss:.9g}", f"{e.test_loss:.9g}",
                         f"{e.train_acc:.9g}", f"{e.test_acc:.9g}", f"{e.gap:.9g}", identity])
    return buffer.getvalue()


def check_finite_weights(target: Path, named: dict[str, np.ndarray]) -> None:
    """A diverged run's NaN weights would be refused when read back, so refuse them when written."""
    for name, array in named.items():
        if not np.isfinite(array).all():
            raise ExportError(f"cannot write {target}: weight {name} holds non-finite values "
                              "(NaN or infinity); training diverged, so reset the run or lower "
                              "the learning rate")


def _mask_array(value: np.ndarray) -> np.ndarray:
    """0/1 keep-masks as uint8 (a byte each); float noise (Gaussian factors, DropConnect's kept
    shares) as float32, since rounding it to a byte would write 0s and 1s it never drew."""
    return value.astype(np.uint8) if value.dtype == np.bool_ else value.astype(np.float32)


def write_run(folder: str | Path, trainer: Trainer, history: list[Evaluation],
              masks: dict[str, np.ndarray]) -> list[Path]:
    """Write every file of a run; `masks` maps a layer name to (steps, batch, units) noise.

    Everything that can be refused (non-finite weights, a layer ONNX cannot express) is checked
    before the first file is written, so a refused export leaves the folder as it was.
    """
    folder = Path(folder)
    data = trainer.dataset
    weights = trainer.inference_weights()
    check_finite_weights(folder, weights)
    identity = run_id(trainer, weights)
    description = model_description(trainer)
    onnx_file = onnx_model(trainer.layout, weights, data.mean, data.scale, data.classes,
                           data.feature_names).SerializeToString()
    written = {
        "config.json": lambda p: write_text_atomic(p, trainer.config.to_json()),
        "run.json": lambda p: write_text_atomic(
            p, json.dumps(run_description(trainer, identity), indent=2) + "\n"),
        "metrics.csv": lambda p: write_text_atomic(p, metrics_csv(history, identity)),
        "weights.npz": lambda p: write_npz_atomic(
            p, torch_state(trainer.layout, weights) if trainer.network.arch.recurrent else weights),
        "model.json": lambda p: write_text_atomic(p, json.dumps(description, indent=2) + "\n"),
        "model.onnx": lambda p: write_bytes_atomic(p, onnx_file),
        "data.npz": lambda p: write_npz_atomic(p, {
            "X_train": data.X_train, "y_train": data.y_train,
            "X_test": data.X_test, "y_test": data.y_test}),
        "masks.npz": lambda p: write_npz_atomic(p, {name: _mask_array(value)
                                                     for name, value in masks.items()}),
    }
    paths = []
    for name, write in written.items():
        path = folder / name
        write(path)
        paths.append(path)
    return paths


@dataclass(frozen=True)
class InferenceModel:
    """Exported weights read back and checked against their description."""

    description: dict
    weights: dict[str, np.ndarray]  # in the order of the layers, as model.json names them


def load_inference_model(folder: str | Path) -> InferenceModel:
    """Read model.json and weights.npz, refusing pickles and any array that does not match."""
    folder = Path(folder)
    try:
        description = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise ExportError(f"cannot read {folder / 'model.json'}: {error}") from None
    if not isinstance(description, dict) or description.get("format") != MODEL_FORMAT:
        raise ExportError(f"{folder / 'model.json'} is not a {MODEL_FORMAT} description")
    names, shapes = _described_arrays(folder, description)
    archive = read_npz(folder / "weights.npz", "a dropviz weights archive")
    weights = {}
    for name in names:
        array = archive.get(name)
        if array is None:
            raise ExportError(f"{folder / 'weights.npz'} has no array {name}, which model.json lists")
        if array.dtype != np.float32 or list(array.shape) != shapes.get(name):
            raise ExportError(f"{name} in weights.npz is {array.dtype} {list(array.shape)}; "
                              f"model.json says float32 {shapes.get(name)}")
        if not np.isfinite(array).all():
            raise ExportError(f"{name} in {folder / 'weights.npz'} holds non-finite values "
                              "(NaN or infinity)")
        weights[name] = array
    return InferenceModel(description, weights)


def _described_arrays(folder: Path, description: dict) -> tuple[list[str], dict]:
    """Array names in layer order and their shapes, once the shapes are known to chain.

    A description whose layers do not fit one another would load and then fail in the user's
    own forward pass, far from the file that caused it.
    """
    where = folder / "model.json"
    layers, shapes = description.get("layers"), description.get("arrays")
    if not isinstance(layers, list) or not layers or not isinstance(shapes, dict):
        raise ExportError(f"{where} has no list of layers with the shapes of their arrays")
    names, width = [], None
    for number, layer in enumerate(layers, start=1):
        pair = [layer.get(key) for key in ("weight", "bias")] if isinstance(layer, dict) else []
        if len(pair) != 2 or not all(isinstance(name, str) for name in pair):
            raise ExportError(f"{where}: layer {number} does not name its weight and bias arrays")
        weight, bias = (shapes.get(name) for name in pair)
        fits = (_is_shape(weight, 2) and _is_shape(bias, 1) and bias[0] == weight[1]
                and width in (None, weight[0]))
        if not fits:
            raise ExportError(f"{where}: layer {number} has shapes {weight} and {bias}, which do "
                              "not chain with the layer before")
        names += pair
        width = weight[1]
    return names, shapes


def _is_shape(value: object, ndim: int) -> bool:
    return (isinstance(value, list) and len(value) == ndim
            and all(isinstance(size, int) and not isinstance(size, bool) and size > 0
                    for size in value))
