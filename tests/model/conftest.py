"""Fixtures of the model tests."""

import pytest

from dropviz.model.config import Config
from dropviz.model.trainer import Trainer


@pytest.fixture
def trainers(pool):
    """Trainers built from the session pool and closed after the test."""
    made = []

    def build(config: Config) -> Trainer:
        trainer = Trainer(config, pool)
        made.append(trainer)
        return trainer

    yield build
    for trainer in made:
        trainer.close()
