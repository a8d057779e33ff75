"""Files written by older versions open and continue exactly as they would have there.

tests/data/before_layers.dropviz was saved by the code before networks were built from layers
(commit 64a6561), and before_layers_continued.npz holds what that code computed on continuing it
for 20 steps: losses, masks, final weights and test probabilities.
"""

from pathlib import Path

import numpy as np

from dropviz.model.experiment import load_experiment

DATA = Path(__file__).resolve().parents[1] / "data"


def test_an_experiment_saved_before_the_layer_seam_continues_bit_for_bit(pool):
    experiment = load_experiment(DATA / "before_layers.dropviz", pool)
    trainer = experiment.trainer
    with np.load(DATA / "before_layers_continued.npz", allow_pickle=False) as saved:
        expected = dict(saved)
    try:
        assert trainer.step_count == 30
        results = [trainer.step() for _ in range(20)]
        np.testing.assert_array_equal([r.loss for r in results], expected["losses"])
        for name in trainer.layer_names:
            np.testing.assert_array_equal(np.stack([r.masks[name] for r in results]),
                                          expected[f"mask__{name}"], err_msg=name)
        weights = trainer.network.weights()
        assert sorted(weights) == sorted(key.removeprefix("param__") for key in expected
                                         if key.startswith("param__"))
        for name, value in weights.items():
            np.testing.assert_array_equal(value, expected[f"param__{name}"], err_msg=name)
        np.testing.assert_array_equal(trainer.network.predict(trainer.dataset.X_test)[0],
                                      expected["test_probs"])
    finally:
        trainer.close()
