"""Inputs that never end, and CSV files that lose rows without a word (issue 19, classes 2 and 6).

A FIFO, a device or a folder named as an input is refused at once with a message; a file is read
with a limit that counts the bytes read; a CSV row whose quotes or number of fields go wrong is
refused with its line number unless dataset.drop_bad_rows allows dropping it; decimal commas are
numbers.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest

from dropviz.model.config import Config, DatasetConfig
from dropviz.model.data.csv_loader import csv_columns, load_csv, report_lines
from dropviz.model.data.datasets import load_dataset
from dropviz.model.errors import ConfigError, DatasetError
from dropviz.model.input_files import check_regular_file, read_input


def refused_in_time(load, path) -> str:
    """The message of the DatasetError or ConfigError `load(path)` raises; it must not block."""
    messages: list[str] = []

    def run() -> None:
        try:
            load(path)
        except (DatasetError, ConfigError) as error:
            messages.append(str(error))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), f"{load.__name__}({path}) blocked"
    assert messages, f"{load.__name__}({path}) was not refused"
    return messages[0]


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.csv"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("load", [load_csv, csv_columns, Config.load])
def test_a_fifo_a_device_and_a_folder_are_refused_at_once(load, fifo, tmp_path):
    assert "is a named pipe (FIFO)" in refused_in_time(load, fifo)
    assert "/dev/zero is a device" in refused_in_time(load, "/dev/zero")
    assert "is a folder" in refused_in_time(load, tmp_path)
    assert "no file given" in refused_in_time(load, "")


def test_the_dialogs_check_refuses_without_opening(fifo):
    with pytest.raises(DatasetError, match=r"pipe\.csv is a named pipe"):
        check_regular_file(fifo, "a CSV file", DatasetError)
    with pytest.raises(DatasetError, match="file not found"):
        check_regular_file(fifo.with_name("gone.csv"), "a CSV file", DatasetError)


def test_the_limit_counts_bytes_read_not_the_size_reported():
    """/proc files report a size of 0 and hold more: the limit must still stop the read."""
    status = Path("/proc/self/status")
    assert status.stat().st_size == 0
    with pytest.raises(DatasetError, match="status is larger than 100 bytes"):
        read_input(status, "a file", "files", 100, DatasetError)
    assert read_input(status, "a file", "files", 10**6, DatasetError).startswith(b"Name:")


def rows(count: int) -> list[str]:
    return [f"{i % 7}.5,{(i * 3) % 11}.25,{'ab'[i % 2]}" for i in range(count)]


def write(tmp_path: Path, lines: list[str], name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_stray_quote_in_the_label_column_is_refused_with_its_line(tmp_path):
    """The quote swallows every row below it into one label with the right number of fields:
    before, 50 of 200 rows were used and nothing said."""
    body = rows(200)
    body[50] = body[50].replace(",a", ',"a').replace(",b", ',"b')  # line 52 with the header
    path = write(tmp_path, ["x,y,label", *body])
    with pytest.raises(DatasetError) as caught:
        load_csv(path)
    message = str(caught.value)
    assert message.startswith("data.csv, line 52: a quote opened here is closed only at line 201")
    assert "dataset.drop_bad_rows" in message
    table = load_csv(path, drop_bad_rows=True)
    assert table.report.rows_kept == 50
    assert table.report.rows_malformed == 1 and table.report.first_malformed_line == 52
    assert "1 row with the wrong number of fields (first at line 52)" in table.report.summary()


def test_a_stray_quote_in_a_middle_column_is_refused_with_its_line(tmp_path):
    body = rows(200)
    body[50] = '"' + body[50]
    with pytest.raises(DatasetError, match=r"data\.csv, line 52: a quote opened here"):
        load_csv(write(tmp_path, ["x,y,label", *body]))


def test_a_quoted_line_break_in_a_text_cell_is_still_a_cell(tmp_path):
    lines = ["x,y,note,label", *[f"{i}.5,{i % 3}.5,plain,{'ab'[i % 2]}" for i in range(20)]]
    lines[5] = '4.5,1.5,"two\nlines",b'
    table = load_csv(write(tmp_path, lines))
    assert table.report.rows_kept == 20 and table.report.rows_malformed == 0


def test_ragged_rows_are_refused_unless_dropping_is_allowed(tmp_path):
    body = rows(30)
    body[9] += ",extra"
    body[20] = "1.5,b"
    path = write(tmp_path, ["x,y,label", *body])
    with pytest.raises(DatasetError, match=r"line 11: 4 fields where the first line has 3; "
                                           r"1 more row like it"):
        load_csv(path)
    assert load_csv(path, drop_bad_rows=True).report.rows_kept == 28
    for drop in (False, True):
        config = DatasetConfig(name="csv", csv_path=str(path), drop_bad_rows=drop)
        if drop:
            assert load_dataset(config, seed=0).report.count("wrong number of fields") == 1
        else:
            with pytest.raises(DatasetError, match="line 11"):
                load_dataset(config, seed=0)


def test_decimal_commas_are_numbers_in_a_semicolon_file(tmp_path):
    values = [(3.14 + i, -0.5 * i) for i in range(12)]
    lines = ["x;y;label"] + [f"{x:.2f};{y:.1f};{'ab'[i % 2]}".replace(".", ",")
                             for i, (x, y) in enumerate(values)]
    table = load_csv(write(tmp_path, lines))
    assert table.feature_names == ("x", "y")
    np.testing.assert_allclose(table.X, np.round(np.array(values), 2))
    assert table.report.columns_decimal_comma == ("x", "y")
    assert "decimal commas read as numbers (3,14 as 3.14): x, y" in table.report.summary()


def test_commas_in_a_comma_file_or_in_text_are_not_decimal_commas(tmp_path):
    lines = ["x;code;label"] + [f"{i}.5;{'1,2,3' if i % 2 else '4,5,6'};{'ab'[i % 2]}"
                                for i in range(12)]
    table = load_csv(write(tmp_path, lines))
    assert table.report.columns_decimal_comma == ()
    assert table.report.columns_encoded == ("code",)


def test_report_lines_say_what_was_used_and_dropped(tmp_path):
    body = rows(40)
    body[3] = "NA,1.25,a"
    body[7] += ",extra"
    path = write(tmp_path, ["x,y,label", *body])
    dataset = load_dataset(DatasetConfig(name="csv", csv_path=str(path), drop_bad_rows=True,
                                         train_fraction=0.5), seed=0)
    lines = report_lines(dataset)
    assert lines[0].startswith("data.csv: 38 rows used, comma-separated, with a header")
    assert "dropped: 1 row with a missing value (empty, NA, N/A, NaN, null or ?); 1 row with the " \
           "wrong number of fields (first at line 9)" in lines
    assert lines[-1] == (f"split: {len(dataset.y_train)} rows for training, "
                         f"{len(dataset.y_test)} rows for testing, 2 features")
    assert len(dataset.y_train) + len(dataset.y_test) == 38
    moons = load_dataset(DatasetConfig(n_samples=100), seed=0)
    assert report_lines(moons)[0].startswith("moons: 100 generated points")
