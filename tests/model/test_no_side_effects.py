"""Importing dropviz and training leaves a user's own PyTensor work as it was (issue 18).

Run in a fresh interpreter: what the test suite's own imports did must not hide a change.
"""

import subprocess
import sys

SCRIPT = r"""
import numpy as np
import pytensor
import pytensor.tensor as pt
from pytensor.link.numba.dispatch.basic import numba_funcify_and_cache_key

def user_graph():
    x = pt.matrix("x")
    return x, x.T.sum(axis=0) + 1.5

def dimshuffle_key():
    x, y = user_graph()
    node = x.T.owner
    return numba_funcify_and_cache_key(node.op, node=node)[1]

before = (pytensor.config.floatX, str(pytensor.config.mode), user_graph()[1].dtype, dimshuffle_key(),
          pytensor.config.traceback__limit, bool(getattr(user_graph()[1].tag, "trace", None)))

from dropviz.model.config import Config
from dropviz.model.trainer import Trainer

trainer = Trainer(Config().with_overrides(["hidden_layers=[8,8]", "dataset.n_samples=80"]))
trainer.run_steps(5)
trainer.step()
assert trainer.network.predict(trainer.dataset.X_test)[0].dtype == np.float32
after = (pytensor.config.floatX, str(pytensor.config.mode), user_graph()[1].dtype, dimshuffle_key(),
         pytensor.config.traceback__limit, bool(getattr(user_graph()[1].tag, "trace", None)))
assert after == before, (before, after)
x, y = user_graph()
f = pytensor.function([x], y)
assert f(np.ones((2, 3))).dtype == np.float64
print("unchanged", before[:3])
"""


def test_importing_and_training_leave_another_graph_s_floatx_mode_ops_and_traces_alone():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "unchanged ('float64'" in done.stdout
