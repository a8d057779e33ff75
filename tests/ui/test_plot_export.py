"""Plots rendered without a window, as the headless trainer's --export-plots does."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest
from PyQt5.QtGui import QImage
from ui_helpers import SMALL

from dropviz.model.config import DatasetConfig
from dropviz.model.errors import ExportError
from dropviz.model.trainer import Trainer
from dropviz.session.run import Run
from dropviz.ui.views.loss_view import LossView
from dropviz.ui.views.plot_export import PLOT_NAMES, PNG_SCALE, export_plots_offscreen, write_view

# The units view draws only for a run with a weight penalty, max-norm or batch norm; SMALL has none.
# The hidden states draw only for a recurrent run.
PLAIN_NAMES = [name for name in PLOT_NAMES if name not in ("units", "states")]

SIZE = (480, 320)


def _trained(config, pool, steps: int) -> Run:
    """Evaluated every 10 steps and at the last, as the headless trainer does."""
    run = Run(Trainer(config, pool))
    run.evaluate()
    for _ in range(steps):
        run.train(1)
        if run.step % 10 == 0 or run.step == steps:
            run.evaluate()
    return run


def test_every_plot_is_written_as_a_png_and_an_svg_of_the_right_size(pool, tmp_path):
    run = _trained(SMALL, pool, steps=30)
    try:
        paths = export_plots_offscreen(tmp_path, run, size=SIZE)
    finally:
        run.close()
    names = [f"{name}.{kind}" for name in PLAIN_NAMES for kind in ("png", "svg")]
    assert [path.name for path in paths] == names
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(names), "nothing else"
    for name in PLAIN_NAMES:
        image = QImage(str(tmp_path / f"{name}.png"))
        assert not image.isNull(), name
        assert (image.width(), image.height()) == (SIZE[0] * PNG_SCALE, SIZE[1] * PNG_SCALE)
        assert len({image.pixel(x, SIZE[1]) for x in range(0, image.width(), 7)}) > 1, \
            f"{name}.png is not blank"
        root = ET.parse(tmp_path / f"{name}.svg").getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert (root.get("width"), root.get("height")) == (f"{SIZE[0]}px", f"{SIZE[1]}px")


def test_data_with_more_than_two_features_has_no_decision_map_and_l2_has_units(pool, tmp_path):
    config = replace(SMALL, dataset=DatasetConfig(name="breast_cancer"), hidden_layers=(8,),
                     l2=0.001)
    run = _trained(config, pool, steps=5)
    try:
        paths = export_plots_offscreen(tmp_path, run, size=SIZE)
    finally:
        run.close()
    assert {path.stem for path in paths} == set(PLOT_NAMES) - {"decision", "states"}


def test_a_failed_write_leaves_no_file_behind(qtbot, tmp_path):
    view = LossView()
    qtbot.addWidget(view)
    view.resize(*SIZE)
    (tmp_path / "loss.png").mkdir()  # a folder where the image should go: the rename fails
    with pytest.raises(ExportError, match="cannot write"):
        write_view(view, tmp_path / "loss.png")
    assert [path.name for path in tmp_path.iterdir()] == ["loss.png"]
    with pytest.raises(ExportError, match=r"choose a \.png or \.svg file"):
        write_view(view, tmp_path / "loss.jpg")
    view.resize(0, 0)  # a splitter folded the plot away
    with pytest.raises(ExportError, match="folded away"):
        write_view(view, tmp_path / "folded.svg")
    assert [path.name for path in tmp_path.iterdir()] == ["loss.png"]
