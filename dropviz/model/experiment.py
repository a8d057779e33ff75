"""A whole experiment in one file: settings, data, weights, optimizer and random state, history.

Opening it continues training exactly where it stopped: the next losses are those an uninterrupted
run would have had. The file is an .npz archive (no pickles); its description is JSON stored as
bytes, and every array is checked against what the config implies before anything is used.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dropviz.model.config import Config, parse_json
from dropviz.model.data.dataset import Dataset
from dropviz.model.data.dataset_arrays import dataset_arrays, dataset_description, dataset_from_arrays
from dropviz.model.errors import DropvizError, ExportError
from dropviz.model.experiment_checks import (
    HISTORY_FIELDS,
    MAX_META_BYTES,
    check_history,
    check_optimizer_state,
    check_sampler,
    check_step,
)
from dropviz.model.export import check_finite_weights
from dropviz.model.files import read_npz, write_npz_atomic
from dropviz.model.graph.layers import layout_of
from dropviz.model.results import Evaluation
from dropviz.model.trainer import NetworkPool, Trainer, architecture_for

EXPERIMENT_FORMAT = "dropviz-experiment/1"
META_KEYS = ("config", "step", "sampler", "rngs", "dataset", "history")


@dataclass
class Experiment:
    """A trainer ready to continue, the evaluations so far, and arrays a front end saved with it."""

    trainer: Trainer
    history: list[Evaluation]
    extra: dict[str, np.ndarray] = field(default_factory=dict)


def save_experiment(path: str | Path, trainer: Trainer, history: list[Evaluation],
                    extra: dict[str, np.ndarray] | None = None) -> None:
    """Write the experiment whole or not at all; `extra` holds e.g. the window's curve history."""
    network, data = trainer.network, trainer.dataset
    weights = network.weights()
    check_finite_weights(Path(path), weights)
    sampler_scalars, order = trainer.sampler.state()
    meta = {
        "format": EXPERIMENT_FORMAT,
        "config": trainer.config.to_dict(),
        "step": trainer.step_count,
        "sampler": sampler_scalars,
        "rngs": network.rng_states(),
        "dataset": dataset_description(data),
        "history": [[getattr(e, name) for name in HISTORY_FIELDS] for e in history],
    }
    arrays = {"meta": np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
              "sampler__order": order}
    arrays.update(dataset_arrays(data))
    arrays.update({f"param__{name}": value for name, value in weights.items()})
    arrays.update({f"opt__{name}": value for name, value in network.optimizer_state().items()})
    arrays.update({f"extra__{name}": np.asarray(value) for name, value in (extra or {}).items()})
    write_npz_atomic(path, arrays)


def load_experiment(path: str | Path, pool: NetworkPool | None = None) -> Experiment:
    """Read and check everything first; a bad file raises ExportError and changes nothing else."""
    path = Path(path)
    arrays = _read_arrays(path)
    try:
        meta = _read_meta(arrays)
        config = Config.from_dict(meta["config"])
        dataset = dataset_from_arrays(meta["dataset"], arrays)
        step = check_step(meta["step"])
        check_sampler(meta["sampler"], step, len(dataset.y_train))
        epoch = meta["sampler"]["examples_seen"] / len(dataset.y_train)
        history = [Evaluation(*row) for row in check_history(meta["history"], step, epoch)]
        # Before the network is built (a compile can take seconds): the values alone tell damage.
        check_optimizer_state({key.removeprefix("opt__"): value for key, value in arrays.items()
                               if key.startswith("opt__")}, step)
    except DropvizError as error:
        raise ExportError(f"{path.name}: {error}") from None
    except (KeyError, TypeError, ValueError, ArithmeticError, RecursionError) as error:
        raise ExportError(f"{path.name} is damaged or not a dropviz experiment ({error!r})") from None
    _check_params(path, config, dataset, arrays)
    trainer = Trainer(config, pool, dataset=dataset)
    try:
        _restore(trainer, meta, arrays)
    except ExportError as error:
        trainer.close()
        raise ExportError(f"{path.name}: {error}") from None
    except (KeyError, TypeError, ValueError, ArithmeticError) as error:
        trainer.close()
        raise ExportError(f"{path.name}: the saved training state does not fit ({error!r})") from None
    extra = {key.removeprefix("extra__"): value for key, value in arrays.items()
             if key.startswith("extra__")}
    return Experiment(trainer, history, extra)


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    return read_npz(path, "a dropviz experiment", {"meta": MAX_META_BYTES})


def _read_meta(arrays: dict[str, np.ndarray]) -> dict:
    raw = arrays.get("meta")
    if raw is None or raw.dtype != np.uint8 or raw.ndim != 1:
        raise ExportError("it has no experiment description")
    if raw.size > MAX_META_BYTES:
        raise ExportError(f"its description is {raw.size / 2**20:.0f} MB; a run's is at most "
                          f"{MAX_META_BYTES / 2**20:.0f} MB")
    meta = parse_json(raw.tobytes(), "its description")
    if not isinstance(meta, dict) or meta.get("format") != EXPERIMENT_FORMAT:
        raise ExportError(f"it is not a {EXPERIMENT_FORMAT} file")
    missing = [key for key in META_KEYS if key not in meta]
    if missing:
        raise ExportError(f"it is damaged: its description lacks {', '.join(missing)}")
    return meta


def _check_params(path: Path, config: Config, dataset: Dataset, arrays: dict) -> None:
    for name, shape in layout_of(architecture_for(config, dataset)).param_shapes().items():
        value = arrays.get(f"param__{name}")
        if value is None or value.dtype != np.float32 or value.shape != shape:
            found = "missing" if value is None else f"{value.dtype} {value.shape}"
            raise ExportError(f"{path.name}: weight {name} is {found}; the settings need "
                              f"float32 {shape}")
        if not np.isfinite(value).all():
            raise ExportError(f"{path.name}: weight {name} holds non-finite values (NaN or "
                              "infinity); the run had diverged when it was saved")


def _restore(trainer: Trainer, meta: dict, arrays: dict) -> None:
    network = trainer.network
    network.set_weights({name: arrays[f"param__{name}"] for name in network.weights()})
    state = {}
    for name, current in network.optimizer_state().items():
        value = arrays.get(f"opt__{name}")
        if value is None or value.shape != current.shape or value.dtype != current.dtype:
            found = "missing" if value is None else f"{value.dtype} {value.shape}"
            raise ExportError(f"its optimizer state does not fit: {name} is {found}, not "
                              f"{current.dtype} {current.shape}; the file is damaged (this is "
                              "not a diverged run)")
        state[name] = value
    network.set_optimizer_state(state)
    network.set_rng_states(meta["rngs"])
    order = arrays["sampler__order"]
    if order.ndim != 1 or order.dtype.kind not in "iu":
        raise ValueError(f"the saved minibatch order is {order.dtype} {order.shape}, not a list of rows")
    if order.size and (order.min() < 0 or order.max() >= len(trainer.dataset.y_train)):
        raise ValueError("the saved minibatch order points outside the training set")
    position = meta["sampler"]["position"]
    if not 0 <= position <= len(order):
        raise ValueError(f"the saved minibatch position {position!r} is outside its order")
    trainer.sampler.set_state(meta["sampler"], order)
    trainer.step_count = meta["step"]
