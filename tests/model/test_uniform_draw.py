"""The masks' uniform draws: the very numbers numpy's uniform(0, 1) gives from the same stream."""

import numpy as np

from dropviz.model.graph.backend import compile_function, pytensor
from dropviz.model.graph.uniform_draw import draw_uniform


def test_the_draws_are_numpy_s_uniform_numbers_and_the_stream_goes_on():
    rng = pytensor.shared(np.random.default_rng(7))
    next_rng, block = draw_uniform(rng, (64, 33))
    draw = compile_function([], [block], {rng: next_rng})
    expected = np.random.default_rng(7)
    for _ in range(3):
        (got,) = draw()
        assert got.dtype == np.float32 and got.shape == (64, 33)
        np.testing.assert_array_equal(got, expected.uniform(0.0, 1.0, size=(64, 33)).astype(np.float32))
