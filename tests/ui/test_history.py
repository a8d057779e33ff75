"""The curve history stays bounded, keeps the curve's shape and ends at the latest point."""

from __future__ import annotations

import numpy as np

from dropviz.session.history import DecimatedHistory


def test_short_histories_are_kept_exactly():
    history = DecimatedHistory(("a", "b"), capacity=8)
    for step in range(5):
        history.append(step, (step * 2.0, -step))
    steps, columns = history.arrays()
    assert list(steps) == [0, 1, 2, 3, 4]
    assert list(columns["a"]) == [0, 2, 4, 6, 8]
    assert list(columns["b"]) == [0, -1, -2, -3, -4]


def test_an_hour_of_points_stays_within_capacity():
    history = DecimatedHistory(("loss",), capacity=100)
    for step in range(1, 108_001):  # an hour of snapshots at 30 per second
        history.append(step, (2.0 * step,))
        assert len(history) <= 101
    steps, columns = history.arrays()
    assert len(steps) <= 101
    assert np.all(np.diff(steps) > 0)
    assert steps[0] <= history.stride and steps[-1] > 108_000 - history.stride, "all of the run"
    # Merged points are means, and a linear curve stays on its line.
    np.testing.assert_allclose(columns["loss"], 2.0 * steps)
    assert history.stride >= 1024


def test_a_point_at_the_same_step_replaces_the_last():
    """A re-evaluation after a live change while paused: as if only the new value came."""
    replaced = DecimatedHistory(("loss",), capacity=4)
    direct = DecimatedHistory(("loss",), capacity=4)
    for step in range(7):
        replaced.append(step, (1.0,))
        direct.append(step, (5.0 if step == 6 else 1.0,))
    replaced.append(6, (5.0,))
    steps, columns = replaced.arrays()
    want_steps, want = direct.arrays()
    np.testing.assert_array_equal(steps, want_steps)
    np.testing.assert_array_equal(columns["loss"], want["loss"])


def test_arrays_are_fresh_copies():
    history = DecimatedHistory(("loss",), capacity=4)
    history.append(0, (1.0,))
    _, columns = history.arrays()
    columns["loss"][0] = 99.0
    assert history.arrays()[1]["loss"][0] == 1.0


def test_clear_starts_over():
    history = DecimatedHistory(("loss",), capacity=4)
    for step in range(20):
        history.append(step, (1.0,))
    history.clear()
    assert len(history) == 0
    history.append(0, (3.0,))
    assert list(history.arrays()[0]) == [0]
