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


@pytest.fixture
def compiled_chunks(trainers):
    """Trainers whose call of many steps is compiled. Without it `run_steps` goes step by step, and
    a test comparing the call with single steps would compare single steps with themselves."""

    def build(config: Config) -> Trainer:
        trainer = trainers(config)
        trainer.network.prepare_train_steps()
        assert trainer.network.train_steps_ready
        return trainer

    return build
