"""Fixtures of the session tests: runs of the session's pool, closed after each test."""

import pytest

from dropviz.model.config import Config
from dropviz.model.trainer import Trainer
from dropviz.session.run import Run


@pytest.fixture
def runs(pool):
    """Runs of new trainers from the session pool, closed after the test."""
    made = []

    def build(config: Config) -> Run:
        run = Run(Trainer(config, pool))
        made.append(run)
        return run

    yield build
    for run in made:
        run.close()
