import numpy as np
import numpy_mlp

from dropviz.model.config import Config
from dropviz.model.inference import hidden_activations
from dropviz.model.trainer import Trainer

TINY = Config().with_overrides(["hidden_layers=[8,8]", "dataset.n_samples=80", "steps=40", "seed=2",
                                "dropout.hidden=0.5"])


def test_hidden_activations_are_named_and_lead_to_the_network_outputs(pool):
    trainer = Trainer(TINY.with_overrides(["scaling=weight_scaling", "activation=tanh"]), pool)
    try:
        trainer.run_steps(TINY.steps)
        X = trainer.dataset.X_test
        weights = trainer.inference_weights()
        hidden = hidden_activations(trainer.layout, weights, X)
        assert list(hidden) == ["dense1", "dense2"]
        expected = np.tanh(np.tanh(X @ weights["W1"].astype(np.float64) + weights["b1"])
                           @ weights["W2"].astype(np.float64) + weights["b2"])
        np.testing.assert_allclose(hidden["dense2"], expected, rtol=1e-6, atol=1e-9)
        _, logits = trainer.network.predict(X)
        np.testing.assert_allclose(hidden["dense2"] @ weights["W3"] + weights["b3"], logits, atol=1e-4)
        np.testing.assert_allclose(numpy_mlp.logits(weights, X, "tanh"), logits, atol=1e-4)
    finally:
        trainer.close()
