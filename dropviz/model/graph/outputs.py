"""What the network's output means: the training loss and the class probabilities, from logits.

A quick twin (see quick_start.py) writes log-softmax and softmax out in elementary operations.
"""

from __future__ import annotations

import pytensor.tensor as pt


def _log_softmax(logits, quick: bool):
    """Log-probabilities over axis 1. PyTensor's log-softmax and softmax are operations whose inner
    graph compiles at their first call, with numba: 0.3 s of a quick twin's first step, each time.
    A quick twin writes them out in elementary operations, whose C code is cached."""
    if not quick:
        return pt.special.log_softmax(logits, axis=1)
    shifted = logits - pt.max(logits, axis=1, keepdims=True)
    return shifted - pt.log(pt.sum(pt.exp(shifted), axis=1, keepdims=True))


def cross_entropy(logits, targets, n_classes: int, quick: bool):
    """Mean cross-entropy from logits, stable for large logits."""
    if n_classes == 2:
        z = logits[:, 0]
        return pt.mean(pt.softplus(z) - pt.cast(targets, "float32") * z)
    log_probs = _log_softmax(logits, quick)
    return -pt.mean(log_probs[pt.arange(targets.shape[0]), targets])


def probabilities(logits, n_classes: int, quick: bool):
    """Class probabilities, shape (rows, classes), for two classes too."""
    if n_classes == 2:
        positive = pt.sigmoid(logits[:, 0])
        return pt.stack([1 - positive, positive], axis=1)
    if quick:
        return pt.exp(_log_softmax(logits, quick))
    return pt.special.softmax(logits, axis=1)
