"""The sweep panels: short sweeps of the small config, drawn as the model computed them."""

from __future__ import annotations

import numpy as np
from ui_helpers import TIMEOUT


def _run(qtbot, window, panel, steps: int = 20):
    window.analysis.open(panel)
    panel.steps.setValue(steps)
    panel.run_button.click()
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=TIMEOUT)
    assert panel.result is not None, panel.status.text()
    return panel.result


def test_rate_sweep_with_error_bars_and_export(make_window, qtbot, tmp_path):
    window = make_window()
    panel = window.analysis.rate_sweep
    assert panel.steps.value() == window.run_info.config.steps, "the run's steps by default"
    panel.rates.setText("0, 0.5")
    panel.seeds.setValue(2)
    result = _run(qtbot, window, panel)

    assert [(p.rate, p.seed, p.steps) for p in result.points] == [
        (0.0, 0, 20), (0.0, 1, 20), (0.5, 0, 20), (0.5, 1, 20)]
    summary = {s.rate: s for s in result.summary()}
    rates, test = panel.test_curve.getOriginalDataset()
    assert list(rates) == [0.0, 0.5]
    assert list(test) == [summary[0.0].mean["test_error"], summary[0.5].mean["test_error"]]
    _, train = panel.train_curve.getOriginalDataset()
    assert list(train) == [summary[0.0].mean["train_error"], summary[0.5].mean["train_error"]]
    assert panel.test_bars.isVisible()
    np.testing.assert_allclose(panel.test_bars.opts["height"],
                               [2 * summary[0.0].std["test_error"],
                                2 * summary[0.5].std["test_error"]])
    assert panel.progress.value() == panel.progress.maximum() == 4 * 20
    assert "Lowest test error" in panel.status.text()

    written = panel.export_to(tmp_path / "rates.csv")
    assert sorted(path.name for path in written) == ["rates-error.png", "rates-error.svg",
                                                     "rates.csv"]
    assert (tmp_path / "rates.csv").read_text() == result.to_csv()
    assert (tmp_path / "rates-error.svg").read_text().lstrip().startswith(("<?xml", "<svg"))


def test_size_sweep_draws_one_line_per_rate(make_window, qtbot):
    window = make_window()
    panel = window.analysis.size_sweep
    assert panel.automatic_sizes() == [8, 15, 30, 60], "fractions of the 60 training rows"
    panel.sizes.setText("10, 30")
    result = _run(qtbot, window, panel)
    drawn = panel.curves()
    assert len(drawn) == 2
    for (sizes, test), rate in zip(drawn, (0.0, 0.5), strict=True):
        assert list(sizes) == [10, 30]
        expected = [p.test_error for p in result.points if p.rate == rate]
        assert list(test) == expected
    assert "with 30 training examples" in panel.status.text()


def test_sparsity_histograms_per_layer(make_window, qtbot):
    window = make_window()
    panel = window.analysis.sparsity
    panel.bins.setValue(12)
    result = _run(qtbot, window, panel)
    assert result.rates == (0.0, 0.5) and result.layers == ("hidden1", "hidden2")
    for layer in (0, 1):
        panel.layer.setCurrentIndex(layer)
        histograms = panel.histograms()
        assert len(histograms) == 2
        for rate_index, (edges, shares) in enumerate(histograms):
            np.testing.assert_array_equal(edges, result.edges[layer])
            counts = result.counts[rate_index, layer]
            np.testing.assert_allclose(shares, counts / counts.sum())
    assert "near zero" in panel.legend.items[0][1].text


def test_a_bad_list_is_reported_and_nothing_runs(make_window):
    window = make_window()
    panel = window.analysis.rate_sweep
    panel.rates.setText("0, a lot")
    panel.run_button.click()
    assert "hidden rates" in panel.status.text()
    assert not panel.is_running() and panel.result is None
    panel.rates.setText("0, 1.5")
    panel.run_button.click()
    assert not panel.is_running()
    assert "dropout.hidden: 1.5 is not allowed" in panel.status.text()
