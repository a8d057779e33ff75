"""The regularizer lab's kinds in a sweep and beside a baseline, against runs trained on their own:
a sweep over `dropout.kind` and a lockstep compare of a batch-norm run give, point for point, what
a Trainer of the same settings gives alone.

The [8, 8] networks of tests/model/test_dropconnect.py, test_gaussian_dropout.py and
test_batch_norm.py: no compile of their own.
"""

import pytest
from alone import trained_alone

from dropviz.model.config import Config
from dropviz.model.trainer import Trainer
from dropviz.session.lockstep import Lockstep
from dropviz.session.run import Run
from dropviz.session.sweep_cluster import Sweep
from dropviz.session.sweep_grid import SweepGrid, parse_axis

KINDS = Config().with_overrides(["hidden_layers=[8,8]", "dataset.n_samples=80", "seed=2",
                                 "dropout.input=0.2", "dropout.hidden=[0.5,0.3]",
                                 "batch_size=16", "steps=25"])
BN = Config().with_overrides(["hidden_layers=[8,8]", "dataset.n_samples=80", "seed=2",
                              "dropout.hidden=0.5", "batch_norm=after_dropout",
                              "batch_size=16", "activation=tanh"])


def test_a_sweep_over_the_kind_equals_each_kind_trainedtrained_alone(pool):
    grid = SweepGrid(KINDS, (parse_axis("dropout.kind=gaussian,dropconnect"),), 1)
    result = Sweep(grid).run(None, pool=pool)
    assert [dict(p.labels)["dropout.kind"] for p in result.points] == ["gaussian", "dropconnect"]
    for point in result.points:
        kind = dict(point.labels)["dropout.kind"]
        alone = trained_alone(KINDS.with_overrides([f"dropout.kind={kind}"]), pool, 25)
        assert point.status == "ok"
        assert (point.train_loss, point.test_loss) == pytest.approx(
            (alone.train_loss, alone.test_loss), rel=1e-6), kind


def test_a_batch_norm_run_compares_in_lockstep_with_its_baseline(pool):
    run = Run(Trainer(BN, pool))
    without = BN.with_overrides(["dropout.hidden=0"])
    pair = Lockstep(run, Run(Trainer(without, pool)))
    try:
        pair.train(20)
        pair.evaluate()
        snapshot = pair.snapshot()
    finally:
        run.close()
        pair.baseline.close()
    assert snapshot.step == 20 and snapshot.baseline_config.dropout.hidden == 0
    for config, evaluation in ((BN, snapshot.evaluation), (without, snapshot.baseline_evaluation)):
        alone = trained_alone(config, pool, 20)
        assert evaluation.test_loss == pytest.approx(alone.test_loss, rel=1e-6)
