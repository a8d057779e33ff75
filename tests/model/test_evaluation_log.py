"""The evaluation log stays bounded however long a run goes on, and keeps real rows."""

from dropviz.model.evaluation_log import append_evaluation
from dropviz.model.results import Evaluation


def _evaluation(step: int, test_loss: float = 2.0) -> Evaluation:
    return Evaluation(step, step / 100, 1.0, test_loss, 0.5, 0.4)


def test_a_full_log_is_thinned_keeping_the_first_and_the_newest_rows():
    log: list[Evaluation] = []
    rows = [_evaluation(step, test_loss=step / 7) for step in range(0, 1000, 10)]
    for row in rows:
        append_evaluation(log, row, limit=10)
    steps = [e.step for e in log]
    assert len(steps) <= 10
    assert steps[0] == 0 and steps[-1] == 990
    assert steps == sorted(set(steps))
    assert all(e in rows for e in log)


def test_a_re_evaluation_at_the_same_step_replaces_the_last_row():
    log: list[Evaluation] = []
    append_evaluation(log, _evaluation(5))
    append_evaluation(log, _evaluation(5, test_loss=1.5))
    assert [(e.step, e.test_loss) for e in log] == [(5, 1.5)]
