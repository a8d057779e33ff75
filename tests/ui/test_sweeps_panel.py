"""The sweep panels: short sweeps of the small config, drawn as the model computed them.

The rate and size sweeps run on the window's local Dask cluster, whose worker processes start and
compile the network at the first sweep: that first sweep may take most of a minute.
"""

from __future__ import annotations

import numpy as np
from ui_helpers import START_TIMEOUT, TIMEOUT

from dropviz.session.sweep_cluster import Sweep


def _run(qtbot, window, panel, steps: int = 20):
    window.analysis.open(panel)
    panel.steps.setValue(steps)
    panel.run_button.click()
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=START_TIMEOUT)
    assert panel.result is not None, panel.status.text()
    return panel.result


def test_rate_sweep_with_error_bars_and_export(make_window, qtbot, tmp_path, pool):
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
    serial = Sweep(panel.grid()).run(None, pool=pool)  # the same runs, here, one by one
    assert all(a.metrics_equal(b) for a, b in zip(result.points, serial.points, strict=True))

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


def test_runs_are_drawn_as_they_arrive_and_cancel_keeps_them(make_window, qtbot, tmp_path):
    window = make_window()
    panel = window.analysis.rate_sweep
    window.analysis.open(panel)
    panel.rates.setText("0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7")
    panel.seeds.setValue(3)
    panel.steps.setValue(3000)
    panel.run_button.click()

    def drawn() -> int:
        rates, _ = panel.train_curve.getOriginalDataset()
        return 0 if rates is None else len(rates)

    qtbot.waitUntil(lambda: drawn() >= 1, timeout=START_TIMEOUT)
    assert panel.is_running(), "drawn before the sweep ended"
    assert "runs so far" in panel.status.text()
    panel.cancel_button.click()
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=TIMEOUT)
    kept = panel.result
    assert kept is not None and 1 <= len(kept.points) < 24
    assert panel.status.text().startswith(f"Cancelled: the {len(kept.points)} runs")
    rates, _ = panel.test_curve.getOriginalDataset()
    assert list(rates) == sorted({p.rate for p in kept.points})
    written = panel.export_to(tmp_path / "kept.csv")
    assert (tmp_path / "kept.csv").read_text() == kept.to_csv()
    assert len(written) == 3


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
