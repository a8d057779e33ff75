"""A run trained on its own, for session tests that compare sweeps and lockstep pairs with it."""

from dropviz.model.config import Config
from dropviz.model.results import Evaluation
from dropviz.model.trainer import Trainer


def trained_alone(config: Config, pool, steps: int) -> Evaluation:
    """The evaluation after `steps` steps of a Trainer of `config` alone, from the shared pool."""
    trainer = Trainer(config, pool)
    try:
        trainer.run_steps(steps)
        return trainer.evaluate()
    finally:
        trainer.close()
