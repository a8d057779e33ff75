"""Weights are read by name: compare two sets name by name, never by position."""

import numpy as np


def assert_same_weights(first: dict, second: dict) -> None:
    """The same names in the same order, and equal arrays bit for bit."""
    assert list(first) == list(second)
    for name in first:
        np.testing.assert_array_equal(first[name], second[name], err_msg=name)
