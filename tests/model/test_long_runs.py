"""Long runs stay bounded: memory flat after warm-up, mask history a ring buffer.

A lecturer leaves a run going through a whole lecture and a practitioner trains overnight, so
nothing may grow with the number of steps except the evaluation history, one entry per evaluation,
which is what metrics.csv holds. This is the CI-sized check; scripts/robustness_report.py runs
200,000 steps and records the figures in docs/robustness.md.
"""

from __future__ import annotations

import gc
from pathlib import Path

import numpy as np

from dropviz.model.config import Config
from dropviz.model.results import BatchMaskRecorder
from dropviz.model.trainer import Trainer
from dropviz.session.lockstep import Lockstep
from dropviz.session.loop import TrainingLoop
from dropviz.session.run import Run

# The test modules' usual small network, so the session pool compiles it once for all of them.
CONFIG = Config().with_overrides(["hidden_layers=[16,16]", "dataset.n_samples=120", "seed=4",
                                  "dropout.input=0.1"])
CHUNK = 5_000
CHUNKS = 4
EVAL_EVERY = 100
# Generous, to ride out the allocator's slack; a leak of 2 KB a step would still reach it over the
# 15,000 steps measured after warm-up.
MAX_GROWTH_MB = 30.0


def rss_mb() -> float:
    """Resident memory as the kernel counts it: what a user sees in top."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS line in /proc/self/status")


def test_twenty_thousand_steps_of_the_cli_loop_keep_memory_flat_after_warm_up(pool):
    run = Run(Trainer(CONFIG, pool))
    loop = TrainingLoop(Lockstep(run), EVAL_EVERY)
    try:
        loop.run(CHUNK)
        gc.collect()
        warm = rss_mb()
        later = []
        for _ in range(CHUNKS - 1):
            loop.run(CHUNK)
            gc.collect()
            later.append(rss_mb())
    finally:
        run.close()
    assert max(later) - warm < MAX_GROWTH_MB, (warm, later)
    assert run.step == CHUNK * CHUNKS
    assert len(run.record.evaluations) == CHUNK * CHUNKS // EVAL_EVERY + 1
    masks = run.record.batch_masks.arrays()
    assert {len(steps) for steps in masks.values()} == {BatchMaskRecorder().capacity}


def test_the_mask_recorder_keeps_only_its_capacity_whatever_it_is_given(pool):
    trainer = Trainer(CONFIG, pool)
    recorder = BatchMaskRecorder(capacity=7)
    try:
        results = [trainer.step() for _ in range(50)]
    finally:
        trainer.close()
    for result in results:
        recorder.add(result)
    kept = recorder.arrays()["hidden2"]
    assert kept.shape[0] == 7
    np.testing.assert_array_equal(kept, np.stack([r.masks["hidden2"] for r in results[-7:]]))
