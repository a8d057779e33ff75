"""The worker's record for files stays bounded however long a run goes on."""

from dropviz.model.trainer import Evaluation
from dropviz.ui import run_record
from dropviz.ui.run_record import RunRecord


def test_evaluations_are_thinned_not_dropped_at_the_ends(monkeypatch):
    monkeypatch.setattr(run_record, "MAX_EVALUATIONS", 10)
    record = RunRecord()
    for step in range(0, 1000, 10):
        record.published(Evaluation(step, step / 100, 1.0, 2.0, 0.5, 0.4))
    steps = [e.step for e in record.evaluations]
    assert len(steps) <= 10
    assert steps[0] == 0 and steps[-1] == 990
    assert steps == sorted(set(steps))


def test_a_re_evaluation_at_the_same_step_replaces_the_last_row():
    record = RunRecord()
    record.published(Evaluation(5, 0.1, 1.0, 2.0, 0.5, 0.4))
    record.published(Evaluation(5, 0.1, 0.9, 1.5, 0.5, 0.4))
    assert [(e.step, e.test_loss) for e in record.evaluations] == [(5, 1.5)]
