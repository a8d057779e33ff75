"""Training throughput: dropviz against its peers, and the levers that made dropviz fast.

Every contender trains the same network on the same data, minibatches drawn by dropviz's own
sampler, and returns the loss and the keep-masks of every step.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import peers
from measure import Sample, interleaved

from dropviz.model.config import Config
from dropviz.model.graph import backend
from dropviz.model.graph.architecture import Architecture
from dropviz.model.graph.network import DropoutNetwork
from dropviz.model.trainer import BatchSampler, Trainer


@dataclass(frozen=True)
class Shape:
    name: str
    hidden: tuple[int, int]
    batch_size: int
    steps_per_call: int  # K of run_steps: about one frame's worth of steps at full speed

    @property
    def widths(self) -> tuple[int, ...]:
        return (2, *self.hidden, 1)

    @property
    def flops_per_step(self) -> float:
        """Forward, input gradient and weight gradient: three products per layer, 2 FLOP a term."""
        return 6.0 * self.batch_size * sum(a * b for a, b in pairwise(self.widths))

    def config(self) -> Config:
        return Config().with_overrides([
            "dataset.name=moons", "dataset.n_samples=1000", "dataset.train_fraction=0.5",
            f"hidden_layers={list(self.hidden)}", "activation=relu", "dropout.input=0.0",
            "dropout.hidden=0.5", "scaling=inverted", "mask=per_example", "optimizer=sgd",
            "learning_rate=0.01", f"batch_size={self.batch_size}", "seed=0"])


SHAPES = (Shape("small", (64, 64), 32, 256), Shape("wide", (512, 512), 256, 8))
KEEP = 0.5
LEARNING_RATE = 0.01


def _steps_of(step: Callable[[np.ndarray], object], sampler: BatchSampler, batch_size: int):
    """A contender that trains one step per call on the sampler's next minibatch."""

    def run() -> int:
        step(sampler.next(batch_size))
        return 1

    return run


def _torch_steps(model: peers.TorchMLP, sampler: BatchSampler, batch_size: int, threads: int):
    """PyTorch on `threads` threads: all cores as the benchmark asks, and one for comparison,
    since OpenMP's threads suffer most when another job keeps a core busy."""

    def run() -> int:
        peers.torch.set_num_threads(threads)
        model.step(sampler.next(batch_size))
        return 1

    return run


def throughput(shape: Shape, repetitions: int, seconds: float) -> dict[str, Sample]:
    """Steps per second of dropviz (one step per call and K per call) and of the peers."""
    trainer = Trainer(shape.config())
    data = trainer.dataset
    k = shape.steps_per_call

    def one_step() -> int:
        trainer.step()
        return 1

    contenders: dict[str, Callable[[], int]] = {
        f"dropviz Trainer.run_steps({k})": lambda: len(trainer.run_steps(k)),
        "dropviz Trainer.step()": one_step,
    }
    numpy_mlp = peers.NumpyMLP(shape.widths, data.X_train, data.y_train, KEEP, LEARNING_RATE,
                               shape.batch_size, seed=0)
    contenders["numpy, hand-written"] = _steps_of(
        numpy_mlp.step, BatchSampler(len(data.y_train), np.random.default_rng(1)), shape.batch_size)
    if peers.torch is not None:
        torch_mlp = peers.TorchMLP(shape.widths, data.X_train, data.y_train, KEEP, LEARNING_RATE,
                                   seed=0)
        torch_sampler = BatchSampler(len(data.y_train), np.random.default_rng(2))
        for threads in (os.cpu_count() or 1, 1):
            contenders[f"PyTorch {peers.torch.__version__} eager, {threads} thread(s)"] = (
                _torch_steps(torch_mlp, torch_sampler, shape.batch_size, threads))
    try:
        return interleaved(contenders, repetitions, seconds)
    finally:
        trainer.close()


def _network(shape: Shape, apply: str) -> tuple[DropoutNetwork, np.ndarray]:
    """A bare network on the benchmark data, and rows of minibatches to feed it."""
    config = shape.config()
    trainer = Trainer(config)
    data = trainer.dataset
    trainer.close()
    network = DropoutNetwork(Architecture(2, shape.hidden, 2, "relu", "sgd", apply),
                             data.X_train, data.y_train)
    network.reset(0)
    network.set_live(config.dropout_rates, config.scaling, config.mask, LEARNING_RATE, 0.0)
    sampler = BatchSampler(len(data.y_train), np.random.default_rng(0))
    rows = np.stack([sampler.next(shape.batch_size) for _ in range(max(shape.steps_per_call, 64))])
    return network, rows


def levers(shape: Shape, repetitions: int, seconds: float) -> dict[str, Sample]:
    """dropviz against itself: each lever on and off, interleaved, steps per second."""
    multiply, rows = _network(shape, "multiply")
    switch, _ = _network(shape, "switch")
    k = shape.steps_per_call
    block = rows[:k]
    one = rows[0]

    masks_in_force = {id(multiply): "per_example", id(switch): "per_example"}

    def many(network: DropoutNetwork, mask: str, count: int = k) -> Callable[[], int]:
        def run() -> int:
            if masks_in_force[id(network)] != mask:
                network.set_live((0.0, KEEP, KEEP), "inverted", mask, LEARNING_RATE, 0.0)
                masks_in_force[id(network)] = mask
            network.train_steps(rows[:count])
            return count
        return run

    def single(trust: bool) -> Callable[[], int]:
        def run() -> int:
            # trust_input is on in dropviz; switching it off here shows what it saves per call
            multiply._train.trust_input = trust
            multiply.train_step(one)
            return 1
        return run

    contenders = {
        f"K={k}, mask by multiplication": many(multiply, "per_example"),
        f"K={k}, mask by switch": many(switch, "per_example"),
        f"K={k}, masks per batch": many(multiply, "per_batch"),
        "K=1 via train_step, trust_input on": single(True),
        "K=1 via train_step, trust_input off": single(False),
    }
    for count in sorted({1, 16, 64} - {k}):
        contenders[f"K={count}"] = many(multiply, "per_example", count)
    if shape.name == "wide":
        def one_blas_thread() -> int:
            backend.limit_blas_threads(1)
            multiply.train_steps(block)
            backend.limit_blas_threads(os.cpu_count() or 1)
            return k
        contenders[f"K={k}, BLAS limited to 1 thread (else timed choice of 1 or all)"] = one_blas_thread
    results = interleaved(contenders, repetitions, seconds)
    multiply._train.trust_input = True
    return results
