"""Settings that need a new network restart the run and say so; CSV files load by menu or drop."""

from __future__ import annotations

from PyQt5.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl
from PyQt5.QtGui import QDropEvent
from PyQt5.QtWidgets import QApplication
from ui_helpers import START_TIMEOUT, TIMEOUT, press

from dropviz.resources import sample_csv_path
from dropviz.ui.panels.csv_dialog import LabelDialog

IRIS = sample_csv_path()


def test_a_new_dataset_restarts_the_run_and_says_so(make_window, qtbot):
    window = make_window()
    press(qtbot, window, Qt.Key_S)
    qtbot.waitUntil(lambda: window.last_snapshot.step == 1, timeout=TIMEOUT)
    combo = window.controls.dataset.dataset
    index = combo.findData("circles")
    combo.setCurrentIndex(index)
    combo.activated.emit(index)
    qtbot.waitUntil(lambda: window.run_info.config.dataset.name == "circles", timeout=TIMEOUT)
    qtbot.waitUntil(lambda: window.last_snapshot.config.dataset.name == "circles",
                    timeout=TIMEOUT)
    assert window.last_snapshot.step == 0
    assert window.banner.kind() == "info"
    assert "dataset moons → circles" in window.banner.text()
    assert "step 0" in window.banner.text()


def test_regenerate_draws_new_data_from_a_new_seed(make_window, qtbot):
    window = make_window()
    old = window.run_info
    window.controls.dataset.regenerate.click()
    qtbot.waitUntil(lambda: window.run_info is not old, timeout=TIMEOUT)
    assert window.run_info.config.seed == old.config.seed + 1
    assert (window.run_info.X_train != old.X_train).any()
    assert "seed 0 → 1" in window.banner.text()


def test_dropping_a_csv_asks_for_the_label_and_trains_on_it(make_window, qtbot):
    window = make_window()
    chosen = []

    def pick_species() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, LabelDialog)
        assert dialog.label() == "species", "the last column is offered first"
        chosen.append(dialog.label())
        dialog.accept()

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(IRIS))])
    drop = QDropEvent(QPointF(20, 20), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QTimer.singleShot(200, pick_species)
    window.dropEvent(drop)
    assert chosen == ["species"]

    qtbot.waitUntil(lambda: window.run_info.config.dataset.name == "csv", timeout=START_TIMEOUT)
    info = window.run_info
    assert info.dataset_name == IRIS.name
    assert len(info.classes) == 3
    assert window.controls.dataset.dataset.currentText() == f"{IRIS.name} (CSV)"
    assert f"dataset moons → {IRIS.name}; " not in window.banner.text()
    assert f"dataset moons → {IRIS.name}." in window.banner.text()
    assert IRIS.name in window.controls.dataset.report.text()
    assert not window.decision_view.has_plot()
    assert "needs 2-D data" in window.decision_view.message()
    window.activateWindow()  # the offscreen platform does not give it back after the dialog
    qtbot.waitUntil(window.isActiveWindow, timeout=TIMEOUT)
    press(qtbot, window, Qt.Key_S)
    qtbot.waitUntil(lambda: window.last_snapshot.step == 1
                    and window.last_snapshot.config.dataset.name == "csv", timeout=TIMEOUT)
    assert window.last_snapshot.grid is None
    assert window.mask_view.raster("input").shape == (info.n_features, 1)


def test_the_label_dialog_offers_every_column(qtbot):
    dialog = LabelDialog("data.csv", ["x", "y", "kind"])
    qtbot.addWidget(dialog)
    assert dialog.label() == "kind"
    dialog.columns.setCurrentIndex(0)
    assert dialog.label() == "x"
    assert not dialog.drop_bad_rows(), "refusing a damaged file is the default"
    dialog.drop_rows.setChecked(True)
    assert dialog.drop_bad_rows()


def test_a_ragged_csv_is_refused_unless_the_dialog_allows_dropping_rows(make_window, qtbot,
                                                                        tmp_path):
    rows = [f"{i * 0.1:.1f},{(i % 7) * 0.3:.1f},{'ab'[i % 2]}" for i in range(60)]
    rows[30] = "1.0,2.0,a,extra"
    path = tmp_path / "ragged.csv"
    path.write_text("x,y,kind\n" + "\n".join(rows) + "\n")
    window = make_window()
    window.controls.use_csv(str(path), "kind")
    qtbot.waitUntil(lambda: "line 32" in window.banner.text(), timeout=START_TIMEOUT)
    assert window.state.config.dataset.name == "moons", "the refused file changed nothing"
    window.controls.use_csv(str(path), "kind", drop_bad_rows=True)
    qtbot.waitUntil(lambda: window.run_info.config.dataset.name == "csv", timeout=START_TIMEOUT)
    assert window.run_info.config.dataset.drop_bad_rows
    assert len(window.run_info.y_train) + len(window.run_info.y_test) == 59
