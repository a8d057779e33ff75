"""The evaluations of a run, kept bounded however long it trains.

metrics.csv and saved experiments hold real evaluations, not averages, so when the log is full
every other row is let go: the spacing of old rows doubles while the newest rows stay dense.
"""

from __future__ import annotations

from dropviz.model.results import Evaluation

MAX_EVALUATIONS = 20_000  # even, so that thinning keeps the newest row


def append_evaluation(log: list[Evaluation], evaluation: Evaluation,
                      limit: int = MAX_EVALUATIONS) -> None:
    """Add a row in place; a re-evaluation at the same step (a change while paused) replaces it."""
    if log and log[-1].step == evaluation.step:
        log[-1] = evaluation
        return
    log.append(evaluation)
    if len(log) > limit:
        log[:] = log[::2]
