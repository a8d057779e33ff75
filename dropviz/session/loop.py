"""The one training loop: chunks of steps, each one compiled call, with evaluations at a cadence.

One call of many steps costs little more than a call of one step for a small network, and gives
the same course of training bit for bit (see `Trainer.run_steps`), so every caller trains in
chunks: the command line (chunks of up to CHUNK_STEPS steps, an evaluation every `eval_every`), the
sweeps (chunks of a progress report's worth, no evaluation until the end) and the window's worker,
which sizes each chunk by the time it may take and evaluates once a frame (eval_every 0).
"""

from __future__ import annotations

from collections.abc import Callable

from dropviz.model.results import StepResult
from dropviz.session.lockstep import Lockstep

CHUNK_STEPS = 256  # steps per compiled call: the call's fixed cost is paid once per chunk


class TrainingLoop:
    """Trains a pair (see lockstep.py) in chunks; evaluates every `eval_every` steps (0: never,
    the caller evaluates when it wants a snapshot)."""

    def __init__(self, pair: Lockstep, eval_every: int = 0, max_chunk: int = CHUNK_STEPS) -> None:
        if eval_every < 0 or max_chunk < 1:
            raise ValueError(f"eval_every {eval_every}, max_chunk {max_chunk}: expected 0 or more "
                             "and 1 or more")
        self.pair = pair
        self.eval_every = eval_every
        self.max_chunk = max_chunk

    def chunk_size(self, wanted: int) -> int:
        """At most `wanted` steps and `max_chunk`, and never past the next evaluation."""
        count = min(wanted, self.max_chunk)
        if self.eval_every:
            count = min(count, self.eval_every - self.pair.step % self.eval_every)
        return max(1, count)

    def advance(self, wanted: int) -> list[StepResult]:
        """One call of up to `wanted` steps (see `chunk_size`), evaluated if the cadence says so."""
        results = self.pair.train(self.chunk_size(wanted))
        if self.eval_every and self.pair.step % self.eval_every == 0:
            self.pair.evaluate()
        return results

    def run(self, steps: int, before_chunk: Callable[[], None] | None = None,
            after_chunk: Callable[[list[StepResult]], None] | None = None) -> None:
        """`steps` more steps, in chunks. With a cadence, the first and the last step are
        evaluated too (the first only if the record does not end there already).

        `before_chunk` may raise to stop before the next call (a cancel); `after_chunk` sees each
        chunk's results once it is evaluated, and may raise too (a divergence the caller will not
        train on from).
        """
        run = self.pair.run
        last = self.pair.step + steps
        evaluations = run.record.evaluations
        if self.eval_every and (not evaluations or evaluations[-1].step != run.step):
            self.pair.evaluate()
        while self.pair.step < last:
            if before_chunk is not None:
                before_chunk()
            results = self.advance(last - self.pair.step)
            if self.eval_every and self.pair.step == last and self.pair.step % self.eval_every:
                self.pair.evaluate()
            if after_chunk is not None:
                after_chunk(results)
