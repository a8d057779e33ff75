import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dropviz.model import input_files
from dropviz.model.data import csv_loader, csv_reading
from dropviz.model.data.csv_features import MAX_CLASSES
from dropviz.model.data.csv_loader import csv_columns, load_csv
from dropviz.model.errors import DatasetError

IRIS_LIKE = """\
sepal,petal,colour,species
5.1,1.4,red,setosa
4.9,1.3,blue,setosa
6.3,4.7,red,versicolor
5.8,4.1,red,versicolor
7.1,5.9,blue,virginica
6.5,5.5,red,virginica
"""


def write(tmp_path: Path, text: str, name: str = "data.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def load_text(tmp_path: Path, text: str, label: str | None = None) -> csv_loader.CsvTable:
    return load_csv(write(tmp_path, text), label)


def error_of(tmp_path: Path, text: str, label: str | None = None, name: str = "data.csv") -> str:
    with pytest.raises(DatasetError) as caught:
        load_csv(write(tmp_path, text, name), label)
    return str(caught.value)


# --- layout: header, delimiter, quoting, encoding ---------------------------------------------

def test_header_names_the_columns_and_is_not_data(tmp_path):
    table = load_text(tmp_path, IRIS_LIKE)
    assert table.report.has_header
    assert table.report.rows_kept == 6
    assert table.feature_names == ("sepal", "petal", "colour=blue", "colour=red")
    assert table.report.label_column == "species"
    np.testing.assert_array_equal(table.X[:, 0], [5.1, 4.9, 6.3, 5.8, 7.1, 6.5])


def test_file_without_header_gets_numbered_columns_and_keeps_its_first_row(tmp_path):
    text = "1.5,2.5,a\n0.5,3.5,b\n2.5,0.5,a\n3.0,1.0,b\n"
    table = load_text(tmp_path, text)
    assert not table.report.has_header
    assert table.feature_names == ("column 1", "column 2")
    assert table.report.label_column == "column 3"
    np.testing.assert_array_equal(table.X, [[1.5, 2.5], [0.5, 3.5], [2.5, 0.5], [3.0, 1.0]])
    np.testing.assert_array_equal(table.labels, [0, 1, 0, 1])
    assert csv_columns(write(tmp_path, text)) == ["column 1", "column 2", "column 3"]


def test_all_text_file_without_header_is_recognised_by_repeated_values(tmp_path):
    text = "red,small,yes\nblue,large,no\nred,large,yes\nblue,small,no\nred,small,no\n"
    table = load_text(tmp_path, text)
    assert not table.report.has_header
    assert table.report.rows_kept == 5
    assert table.classes == ("no", "yes")


def test_quoted_fields_keep_their_separators(tmp_path):
    text = ('name,shade,x,label\n'
            '"Smith, John","dark, red",1.5,a\n'
            '"Doe, Jane","pale, blue",2.5,b\n'
            '"Roe, Rick","dark, red",3.5,a\n'
            '"Poe, Ed","dark, red",4.5,b\n'
            '"Low, Al","pale, blue",5.5,a\n')
    table = load_text(tmp_path, text)
    assert table.report.delimiter == ","
    assert table.feature_names == ("shade=dark, red", "shade=pale, blue", "x")
    np.testing.assert_array_equal(table.X[:, 2], [1.5, 2.5, 3.5, 4.5, 5.5])
    assert table.report.columns_left_out == ("name",)


def test_quoted_field_after_a_space_is_still_quoted(tmp_path):
    text = 'x, y, label\n1.5, "2.5", "a, first"\n0.5, "1.5", "b, second"\n1.0, "3.5", "a, first"\n'
    table = load_text(tmp_path, text)
    assert table.classes == ("a, first", "b, second")
    np.testing.assert_array_equal(table.X[:, 1], [2.5, 1.5, 3.5])


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_separated_files(tmp_path, delimiter):
    table = load_text(tmp_path, IRIS_LIKE.replace(",", delimiter))
    assert table.report.delimiter == delimiter
    assert table.feature_names == ("sepal", "petal", "colour=blue", "colour=red")
    np.testing.assert_array_equal(table.X[:, 1], [1.4, 1.3, 4.7, 4.1, 5.9, 5.5])


def test_summary_names_the_delimiter_and_what_was_used(tmp_path):
    summary = load_text(tmp_path, IRIS_LIKE.replace(",", ";")).report.summary()
    assert "data.csv: 6 rows used, semicolon-separated, with a header" in summary
    assert "label: species, 3 classes: setosa (2), versicolor (2), virginica (2)" in summary
    assert "numeric features: sepal, petal" in summary
    assert "one-hot encoded: colour" in summary
    assert "dropped" not in summary


def test_utf8_with_byte_order_mark_and_crlf_lines(tmp_path):
    path = write(tmp_path, "\ufeff" + IRIS_LIKE.replace("\n", "\r\n").replace("red", "rød"))
    table = load_csv(path)
    assert table.feature_names[0] == "sepal"
    assert "colour=rød" in table.feature_names
    assert csv_columns(path)[0] == "sepal"


def test_blank_lines_are_skipped_without_counting(tmp_path):
    table = load_text(tmp_path, IRIS_LIKE.replace("\n", "\n\n"))
    assert table.report.rows_kept == 6
    assert table.report.rows_dropped == 0
    assert table.report.rows_malformed == 0


def test_repeated_and_blank_header_names_become_unique(tmp_path):
    text = "x,x,,label\n1.5,2.5,0.5,a\n2.5,3.5,1.5,b\n3.5,1.5,2.5,a\n"
    assert csv_columns(write(tmp_path, text)) == ["x", "x (column 2)", "column 3", "label"]


# --- labels --------------------------------------------------------------------------------

def test_label_chosen_by_name_is_not_a_feature(tmp_path):
    table = load_text(tmp_path, IRIS_LIKE, label="colour")
    assert table.classes == ("blue", "red")
    assert table.feature_names == ("sepal", "petal")
    assert table.report.columns_left_out == ("species",)
    np.testing.assert_array_equal(table.labels, [1, 0, 1, 1, 0, 1])


def test_numeric_label_sorts_as_numbers_and_is_not_a_feature(tmp_path):
    text = "x,grade\n0.5,10\n1.5,9\n2.5,2\n3.5,10\n4.5,2.0\n5.5,9\n"
    table = load_text(tmp_path, text)
    assert table.classes == ("2", "9", "10")
    np.testing.assert_array_equal(table.labels, [2, 1, 0, 2, 0, 1])
    assert table.feature_names == ("x",)
    assert table.report.class_counts == {"2": 2, "9": 2, "10": 2}


def test_numeric_label_chosen_from_the_middle(tmp_path):
    text = "a,kind,b\n0.5,1,7.5\n1.5,0,8.5\n2.5,1,9.5\n3.5,0,6.5\n"
    table = load_text(tmp_path, text, label="kind")
    assert table.feature_names == ("a", "b")
    np.testing.assert_array_equal(table.labels, [1, 0, 1, 0])
    np.testing.assert_array_equal(table.X[:, 1], [7.5, 8.5, 9.5, 6.5])


# --- columns -------------------------------------------------------------------------------

def test_one_hot_encoding_value_by_value(tmp_path):
    text = ("size,weather,label\n"
            "1.5,sun,a\n2.5,rain,b\n3.5,snow,a\n4.5,sun,b\n5.5,rain,a\n6.5,sun,b\n7.5,sun,a\n")
    table = load_text(tmp_path, text)
    assert table.feature_names == ("size", "weather=rain", "weather=snow", "weather=sun")
    expected = [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 0, 1], [0, 0, 1]]
    np.testing.assert_array_equal(table.X[:, 1:], expected)
    assert table.X.dtype == np.float64
    assert table.report.columns_encoded == ("weather",)


def test_ids_dates_row_counters_and_free_text_are_left_out(tmp_path):
    rows = [f"{k + 1},S-{k:03d},2024-01-{k + 1:02d},note number {k},{k * 0.5 + 0.25},{'ab'[k % 2]}"
            for k in range(12)]
    text = "row,sample,date,comment,value,label\n" + "\n".join(rows) + "\n"
    table = load_text(tmp_path, text)
    assert table.report.columns_left_out == ("row", "sample", "date", "comment")
    assert table.report.columns_used == ("value",)
    assert table.feature_names == ("value",)
    assert "left out (ids, dates, free text): row, sample, date, comment" in (
        table.report.summary())


def test_text_column_with_many_values_relative_to_rows_is_left_out(tmp_path):
    text = "x,city,label\n1.5,Oslo,a\n2.5,Rome,b\n3.5,Oslo,a\n4.5,Lima,b\n"
    table = load_text(tmp_path, text)
    assert table.report.columns_left_out == ("city",)


def test_empty_column_is_left_out_and_drops_nothing(tmp_path):
    text = "x,spare,label\n1.5,,a\n2.5,,b\n3.5,,a\n"
    table = load_text(tmp_path, text)
    assert table.report.columns_left_out == ("spare",)
    assert table.report.rows_kept == 3


# --- dropped rows --------------------------------------------------------------------------

def test_rows_with_missing_values_are_dropped_and_counted(tmp_path):
    markers = ["", "NA", " n/a ", "NaN", "null", "?", "Null"]
    rows = [f"{k + 0.5},{marker},{'ab'[k % 2]}" for k, marker in enumerate(markers)]
    kept = ["10.5,1.5,a", "11.5,2.5,b", "12.5,?,", "13.5,3.5,NA"]
    text = "x,y,label\n" + "\n".join(rows + kept) + "\n"
    table = load_text(tmp_path, text)
    assert table.report.rows_kept == 2
    assert table.report.rows_dropped == len(markers) + 2
    np.testing.assert_array_equal(table.X, [[10.5, 1.5], [11.5, 2.5]])
    assert "dropped: 9 rows with a missing value" in table.report.summary()


def test_missing_value_in_a_left_out_column_keeps_the_row(tmp_path):
    text = "id,x,label\nS1,1.5,a\n,2.5,b\nS3,3.5,a\nS4,4.5,b\n"
    table = load_text(tmp_path, text)
    assert table.report.rows_kept == 4
    assert table.report.rows_dropped == 0


def test_rows_with_the_wrong_number_of_fields_are_dropped_and_reported(tmp_path):
    text = IRIS_LIKE + "5.0,1.0,red\n5.0,1.0,red,setosa,extra\n"
    table = load_csv(write(tmp_path, text), drop_bad_rows=True)
    assert table.report.rows_kept == 6
    assert table.report.rows_malformed == 2
    assert table.report.first_malformed_line == 8
    assert "2 rows with the wrong number of fields (first at line 8)" in table.report.summary()


# --- errors --------------------------------------------------------------------------------

def test_missing_file_names_the_path(tmp_path):
    path = tmp_path / "nowhere" / "gone.csv"
    with pytest.raises(DatasetError, match=r"file not found: .*nowhere.*gone\.csv"):
        load_csv(path)
    with pytest.raises(DatasetError, match="file not found"):
        csv_columns(path)


def test_folder_is_not_a_file(tmp_path):
    with pytest.raises(DatasetError, match="is a folder"):
        load_csv(tmp_path)


def test_unreadable_file_says_why(tmp_path, monkeypatch):
    path = write(tmp_path, IRIS_LIKE)

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(input_files.os, "open", refuse)
    with pytest.raises(DatasetError, match=r"cannot read .*data.csv: Permission denied"):
        load_csv(path)


@pytest.mark.parametrize("text", ["", "  \n\n", "\ufeff\n"])
def test_empty_file(tmp_path, text):
    assert error_of(tmp_path, text, name="blank.csv") == "blank.csv is empty"


def test_header_without_rows(tmp_path):
    assert "has a header line but no data rows" in error_of(tmp_path, "x,y,label\n")


def test_binary_file_with_nul_bytes(tmp_path):
    path = tmp_path / "picture.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(DatasetError, match=r"picture.png is not a text file .*NUL"):
        load_csv(path)


def test_utf16_file_is_refused_as_not_utf8_text(tmp_path):
    path = write(tmp_path, IRIS_LIKE, encoding="utf-16")
    with pytest.raises(DatasetError, match="UTF-8"):
        load_csv(path)


def test_undecodable_bytes_give_the_line(tmp_path):
    path = write(tmp_path, IRIS_LIKE.replace("blue", "bleu\u00e9"), encoding="latin-1")
    with pytest.raises(DatasetError, match=r"data.csv, line 3: not UTF-8 text \(byte 0xe9"):
        load_csv(path)


def test_too_large_file_gives_its_size(tmp_path, monkeypatch):
    path = write(tmp_path, "x,label\n" + "1.5,a\n" * 200_000)
    monkeypatch.setattr(csv_reading, "MAX_CSV_BYTES", 1024 * 1024)
    with pytest.raises(DatasetError, match=r"data.csv is 1.1 MB; .* at most 1 MB"):
        load_csv(path)


def test_field_too_long_for_csv_module_is_reported_with_its_line(tmp_path):
    text = IRIS_LIKE + '5.0,1.0,"' + "x" * (csv.field_size_limit() + 10) + '",setosa\n'
    message = error_of(tmp_path, text)
    assert message.startswith("data.csv, line 8: not readable as CSV")


def test_no_usable_feature_column_lists_what_there_is(tmp_path):
    rows = "\n".join(f"S{k},free text {k},{'ab'[k % 2]}" for k in range(8))
    message = error_of(tmp_path, "id,comment,label\n" + rows + "\n")
    assert "data.csv has no usable feature column" in message
    assert "besides the label 'label' it has: id, comment" in message


def test_label_column_alone_is_not_enough(tmp_path):
    message = error_of(tmp_path, "label\na\nb\na\n")
    assert "no usable feature column" in message
    assert "no other column" in message


def test_unknown_label_column_lists_the_columns(tmp_path):
    message = error_of(tmp_path, IRIS_LIKE, label="Species")
    assert message == ("data.csv has no column 'Species'; its columns are: "
                       "sepal, petal, colour, species")


def test_single_class(tmp_path):
    message = error_of(tmp_path, "x,label\n1.5,a\n2.5,a\n3.5,NA\n")
    assert "the label column 'label' of data.csv has only one value, 'a'" in message
    assert "at least two classes" in message


def test_too_many_classes(tmp_path):
    rows = "\n".join(f"{k + 0.5},L{k % (MAX_CLASSES + 1)}" for k in range(2 * MAX_CLASSES + 2))
    message = error_of(tmp_path, "x,label\n" + rows + "\n")
    assert f"has {MAX_CLASSES + 1} distinct values" in message
    assert f"more than the {MAX_CLASSES} classes" in message


def test_numeric_label_with_many_values_looks_like_regression(tmp_path):
    rows = "\n".join(f"{k + 0.5},{(k * 7) % 30 * 1.5}" for k in range(60))
    message = error_of(tmp_path, "x,price\n" + rows + "\n")
    assert "the label column 'price' of data.csv holds 30 distinct numbers in 60 rows" in message
    assert "more than 10 values and more than 20% of the rows" in message
    assert "regression" in message


def test_few_numeric_classes_are_fine_even_in_a_small_file(tmp_path):
    rows = "\n".join(f"{k + 0.5},{k % 5}" for k in range(20))
    assert load_text(tmp_path, "x,level\n" + rows + "\n").classes == ("0", "1", "2", "3", "4")


def test_every_row_dropped_names_the_worst_column(tmp_path):
    text = "x,y,label\n1.5,NA,a\nNA,2.5,b\n3.5,?,a\n"
    message = error_of(tmp_path, text)
    assert "every row of data.csv has a missing value" in message
    assert "column 'y' is missing in 2 of 3 rows" in message


def test_no_row_with_the_header_width(tmp_path):
    message = error_of(tmp_path, "x,y,label\n1.5,2.5\n3.5,4.5\n")
    assert "no data row has the 3 fields of the first line (line 2 has 2)" in message


def test_unexpected_failures_become_dataset_errors(tmp_path, monkeypatch):
    path = write(tmp_path, IRIS_LIKE)

    def exhaust(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(csv_reading, "_parse", exhaust)
    with pytest.raises(DatasetError, match=r"data\.csv is too large to load into memory"):
        load_csv(path)
    monkeypatch.setattr(csv_reading, "_parse", lambda *args: 1 / 0)
    with pytest.raises(DatasetError, match=r"cannot load data\.csv: division by zero"):
        csv_columns(path)


# --- round trip ----------------------------------------------------------------------------

fractional = st.floats(-1e6, 1e6, allow_nan=False).filter(lambda value: not value.is_integer())


@settings(max_examples=40, deadline=None)
@given(
    values=st.integers(3, 25).flatmap(
        lambda rows: st.lists(st.lists(fractional, min_size=rows, max_size=rows),
                              min_size=1, max_size=4)),
    delimiter=st.sampled_from([",", ";", "\t"]),
    header=st.booleans(),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_numeric_table_round_trips(tmp_path_factory, values, delimiter, header, newline):
    rows = list(zip(*values, strict=True))
    lines = [delimiter.join([*map(repr, row), "ab"[k % 2]]) for k, row in enumerate(rows)]
    if header:
        lines.insert(0, delimiter.join([*(f"f{j}" for j in range(len(values))), "label"]))
    path = write(tmp_path_factory.mktemp("round"), newline.join(lines) + newline)
    table = load_csv(path)
    assert table.report.has_header == header
    assert table.report.delimiter == delimiter
    np.testing.assert_array_equal(table.X, rows)
    np.testing.assert_array_equal(table.labels, np.arange(len(rows)) % 2)
