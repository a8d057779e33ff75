"""The CSV loader under fuzzing: whatever the bytes, a DatasetError naming the file, or a sound table.

A user's file can hold anything a spreadsheet, a script or a broken download produces, and the window
shows the loader's message as it is. So every generated file must end one of two ways: a DatasetError
whose message names the file, or a table whose invariants hold (finite features, labels in range, at
least two classes, row counts that add up to the rows an independent parse finds) and that splits
into finite float32 data. Any other exception, a hang or a file read whole before being refused is a
bug. The strategies and checks here are also run with many more examples by
scripts/robustness_report.py, which records the counts in docs/robustness.md.
"""

from __future__ import annotations

import csv
import io
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dropviz.model.data import csv_reading
from dropviz.model.data.csv_features import MAX_CLASSES
from dropviz.model.data.csv_loader import CsvTable, csv_columns, load_csv
from dropviz.model.data.datasets import split_and_standardise
from dropviz.model.errors import DatasetError

FUZZ = settings(max_examples=60, deadline=None)

# Cells a person or a program might write: numbers at the edges of float64 and float32, every
# spelling of missing and infinite values, digits Python reads as numbers, and arbitrary text.
SPECIAL_CELLS = ("", " ", "NA", "n/a", "NaN", "nan", "null", "?", "inf", "-inf", "Infinity",
                 "1e308", "-1.7976931348623157e308", "1e-308", "5e-324", "1e39", "3.4e38", "-0",
                 "0x10", "1_000", "\u0661\u0662", "\u00bd", "1,5", '"', "'", "a\nb", "x;y\tz")
special_cells = st.sampled_from(SPECIAL_CELLS)
numbers = st.floats(-1e30, 1e30).map(repr) | st.integers(-10**6, 10**6).map(str)
cells = st.one_of(
    st.floats().map(repr),
    st.integers(-10**30, 10**30).map(str),
    special_cells,
    st.sampled_from(("red", "green", "blue")),
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=8),
)
# A column is mostly of one kind, as in real files, with the odd special cell: uniform random cells
# would make almost every file one with no usable column, and test little beyond that message.
columns = st.sampled_from((
    numbers,
    numbers,
    numbers | special_cells,
    st.sampled_from(("red", "green", "blue")),
    st.sampled_from(("red", "green", "blue")) | special_cells,
    cells,
))
header_names = st.one_of(
    st.sampled_from(("x", "x", "", "label", "x (column 2)", "column 1", " y ", "\u00e9t\u00e9")),
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=6),
)
label_pools = st.one_of(
    st.just(("a", "b")),
    st.just(("0", "1", "2")),
    st.just(("only",)),
    st.lists(st.text(max_size=4), min_size=1, max_size=5, unique=True).map(tuple),
    st.integers(60, 3000).map(lambda n: tuple(f"class {k}" for k in range(n))),
)


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    """A table as a program would write it, sometimes malformed, in any of the loader's dialects."""
    kinds = draw(st.lists(columns, min_size=1, max_size=5))
    n_rows = draw(st.integers(0, 40))
    pool = draw(label_pools)
    rows = [[*(draw(kind) for kind in kinds), draw(st.sampled_from(pool))] for _ in range(n_rows)]
    header = draw(st.none() | st.lists(header_names, min_size=len(kinds) + 1,
                                       max_size=len(kinds) + 1))
    delimiter = draw(st.sampled_from(csv_reading.DELIMITERS))
    newline = draw(st.sampled_from(("\n", "\r\n", "\r")))
    lines = [header] if header is not None else []
    lines += rows
    if draw(st.booleans()):
        buffer = io.StringIO()
        quoting = draw(st.sampled_from((csv.QUOTE_MINIMAL, csv.QUOTE_ALL)))
        csv.writer(buffer, delimiter=delimiter, quoting=quoting, lineterminator=newline
                   ).writerows(lines)
        text = buffer.getvalue()
    else:  # joined by hand, as careless scripts do: separators inside cells make ragged rows
        text = "".join(delimiter.join(line) + newline for line in lines)
    bom = "\ufeff" if draw(st.booleans()) else ""
    return (bom + text).encode("utf-8")


csv_like_bytes = st.lists(st.sampled_from((
    b",", b";", b"\t", b"\n", b"\r\n", b"\r", b'"', b"'", b" ", b"1", b"-2.5", b"1e308", b"a",
    b"NA", b"x", b"\xef\xbb\xbf", b"\xc3\xa9", b"\xf0\x9f\x98\x80", b"\xff", b"\x00",
)), max_size=300).map(b"".join)


def parsed_records(data: bytes, delimiter: str) -> int:
    """Non-blank records by the standard library's own reading: the oracle for the row counts."""
    text = data.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True)
    return sum(1 for fields in reader if any(field.strip() for field in fields))


def check_table(table: CsvTable, path: Path, data: bytes) -> None:
    """What the rest of dropviz relies on in a loaded table, and that it splits into finite data."""
    report = table.report
    n_rows = report.rows_kept
    assert n_rows >= 2
    assert table.X.shape == (n_rows, len(table.feature_names))
    assert np.isfinite(table.X).all()
    assert table.labels.shape == (n_rows,) and table.labels.dtype.kind == "i"
    assert 2 <= len(table.classes) <= MAX_CLASSES
    assert len(set(table.classes)) == len(table.classes)
    assert table.labels.min() >= 0 and table.labels.max() < len(table.classes)
    assert list(report.class_counts) == list(table.classes)
    assert sum(report.class_counts.values()) == n_rows
    assert min(report.class_counts.values()) >= 1
    records = parsed_records(data, report.delimiter) - report.has_header
    assert n_rows + report.rows_dropped + report.rows_malformed == records

    names = csv_columns(path)
    assert len(set(names)) == len(names) and all(names)
    sorted_out = [*report.columns_used, *report.columns_encoded, *report.columns_left_out,
                  report.label_column]
    assert sorted(sorted_out) == sorted(names)

    try:
        data_set = split_and_standardise(table.X, table.labels, table.classes, table.feature_names,
                                         train_fraction=0.5, rng=np.random.default_rng(0),
                                         name=path.name)
    except DatasetError:
        return  # too few rows in some class: the message is checked in test_numerical_faults.py
    for X in (data_set.X_train, data_set.X_test):
        assert X.dtype == np.float32 and np.isfinite(X).all()
    assert np.isfinite(data_set.mean).all() and np.isfinite(data_set.scale).all()
    assert (data_set.scale > 0).all()


def load_or_refuse(path: Path, data: bytes) -> CsvTable | None:
    """The contract: a DatasetError naming the file, or a table that passes check_table; the same
    with bad rows allowed to drop (dataset.drop_bad_rows), which a file of good rows ignores."""
    path.write_bytes(data)
    try:
        csv_columns(path)
    except DatasetError as error:
        assert path.name in str(error)
    try:
        dropping = load_csv(path, drop_bad_rows=True)
    except DatasetError as error:
        assert path.name in str(error)
        dropping = None
    else:
        check_table(dropping, path, data)
    try:
        table = load_csv(path)
    except DatasetError as error:
        assert path.name in str(error)
        return None
    check_table(table, path, data)
    # A file that loads without dropping has no bad row, so allowing drops changes nothing.
    assert table.report.rows_malformed == 0
    assert dropping is not None and dropping.report == table.report
    np.testing.assert_array_equal(dropping.X, table.X)
    return table


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for every generated file: hypothesis forbids function-scoped fixtures."""
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(data=csv_files())
def test_generated_tables_load_soundly_or_are_refused_by_name(fuzz_dir, data):
    load_or_refuse(fuzz_dir / "table.csv", data)


@FUZZ
@given(data=st.binary(max_size=2000) | csv_like_bytes)
def test_random_bytes_load_soundly_or_are_refused_by_name(fuzz_dir, data):
    load_or_refuse(fuzz_dir / "bytes.csv", data)


RICH = ('\ufeffh\u00f6he,"note; with, separators",klasse\r\n'
        '1.5,"two\nlines",\u00e9t\u00e9\r\n2.5,plain,hiver\r\n3.5,"quote ""inside""",\u00e9t\u00e9\r\n'
        '4.5,NA,hiver\r\n5.5,x,\u00e9t\u00e9\r\n6.5,y,hiver\r\n')


def test_every_truncation_of_a_valid_file_loads_soundly_or_is_refused(tmp_path):
    data = RICH.encode("utf-8")
    assert load_or_refuse(tmp_path / "whole.csv", data).report.rows_kept == 6
    outcomes = [load_or_refuse(tmp_path / "cut.csv", data[:end]) for end in range(len(data))]
    assert any(table is None for table in outcomes)
    assert any(table is not None for table in outcomes)


# --- size: refused before it is read, or parsing stops at a limit ------------------------------

def test_a_200_mb_file_is_refused_by_its_size_at_once_without_reading_it(tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as stream:
        stream.write(b"x,label\n" + b"1.5,a\n" * 1000)
        stream.truncate(200 * 2**20)  # sparse: takes no time and no disk to make
    tracemalloc.start()
    started = time.perf_counter()
    for load in (load_csv, csv_columns):
        with pytest.raises(DatasetError, match=r"huge\.csv is 200\.0 MB; dropviz loads CSV files "
                                               r"of at most 100 MB"):
            load(path)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 0.5
    assert peak < 2**20


@pytest.mark.parametrize(("limit", "value", "body", "message"), [
    ("MAX_CSV_ROWS", 1000, "1.5,a\n", "holds more than 1,000 rows by line 1002"),
    ("MAX_CSV_CELLS", 3000, "1.5,a\n", "holds more than 3,000 values (rows times columns) "
                                       "by line 1501"),
    ("MAX_LINE_CHARS", 1000, "1.5,a" + ",2.5" * 300 + "\n", "line 2: longer than 1,000 characters"),
])
def test_parsing_stops_at_the_first_row_over_a_limit(tmp_path, monkeypatch, limit, value, body,
                                                     message):
    """The row that crosses the limit is the last one parsed, so memory follows the limit, not the
    file: peak memory stays far below what the whole file would take once parsed."""
    monkeypatch.setattr(csv_reading, limit, value)
    path = tmp_path / "long.csv"
    path.write_text("x,label\n" + body * 20_000)
    tracemalloc.start()
    with pytest.raises(DatasetError) as caught:
        load_csv(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert f"long.csv{',' if limit == 'MAX_LINE_CHARS' else ''} " in str(caught.value)
    assert message in str(caught.value)
    assert peak < 3 * path.stat().st_size + 2**20


@pytest.mark.parametrize("unit", [',"', '"a,', ',"";', '\t"'])
def test_a_head_full_of_quotes_does_not_stall_the_delimiter_guess(tmp_path, unit):
    """csv.Sniffer takes 20-30 s on 64 KB of these; the loader must answer in well under that."""
    path = tmp_path / "quotes.csv"
    path.write_text((unit * (64 * 1024 // len(unit))) + "\n1.5,a\n2.5,b\n")
    started = time.perf_counter()
    for load in (load_csv, csv_columns):
        try:
            load(path)
        except DatasetError as error:
            assert "quotes.csv" in str(error)
    assert time.perf_counter() - started < 5.0


# --- columns and classes ---------------------------------------------------------------------

def test_duplicate_column_names_are_made_unique_and_keep_the_names_the_file_gave(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("x,x,x (column 2),,x,label\n" + "1.5,2.5,3.5,4.5,5.5,a\n2.5,1.5,0.5,1.5,2.5,b\n" * 3)
    names = csv_columns(path)
    assert names == ["x", "x (column 2)'", "x (column 2)", "column 4", "x (column 5)", "label"]
    table = load_csv(path, label_column="x (column 2)")
    assert table.report.label_column == "x (column 2)"
    assert "x (column 2)'" in table.feature_names


def test_tens_of_thousands_of_repeated_names_are_made_unique_quickly(tmp_path):
    path = tmp_path / "wide.csv"
    width = 30_000
    path.write_text(",".join(["x"] * width) + "\n" + ",".join(["1.5"] * width) + "\n")
    started = time.perf_counter()
    names = csv_columns(path)
    assert time.perf_counter() - started < 2.0
    assert len(set(names)) == width


@pytest.mark.parametrize(("labels", "message"), [
    ([f"species {k}" for k in range(2000)] * 2,
     f"has 2000 distinct values, more than the {MAX_CLASSES} classes dropviz allows"),
    (["same"] * 40, "has only one value, 'same', in the 40 rows kept"),
])
def test_thousands_of_classes_or_a_single_one_are_refused(tmp_path, labels, message):
    path = tmp_path / "classes.csv"
    path.write_text("x,label\n" + "".join(f"{k % 7 + 0.5},{label}\n" for k, label in enumerate(labels)))
    with pytest.raises(DatasetError, match=r"the label column 'label' of classes\.csv") as caught:
        load_csv(path)
    assert message in str(caught.value)


# --- numbers at the edges --------------------------------------------------------------------

def test_numbers_beyond_float32_are_left_out_like_infinities(tmp_path):
    """1e308 is finite in float64 but overflows the float32 features, as "inf" would."""
    rows = [f"{k + 0.5},{(-1) ** k * k * 4e37:g},{(-1) ** k * (k + 1) * 1e300:g},{'ab'[k % 2]}"
            for k in range(8)]
    path = tmp_path / "edges.csv"
    path.write_text("fine,big_but_float32,too_big,label\n" + "\n".join(rows) + "\n")
    table = load_csv(path)
    assert table.report.columns_used == ("fine", "big_but_float32")
    assert table.report.columns_left_out == ("too_big",)
    data = split_and_standardise(table.X, table.labels, table.classes, table.feature_names,
                                 train_fraction=0.5, rng=np.random.default_rng(0), name="edges")
    assert np.isfinite(data.X_train).all() and np.isfinite(data.X_test).all()


def test_a_spread_below_float32_resolution_counts_as_constant_instead_of_scale_zero(tmp_path):
    rows = [f"{k + 0.5},{k}e-308,{'ab'[k % 2]}" for k in range(1, 9)]
    path = tmp_path / "tiny.csv"
    path.write_text("x,tiny,label\n" + "\n".join(rows) + "\n")
    table = load_csv(path)
    assert table.feature_names == ("x", "tiny")
    data = split_and_standardise(table.X, table.labels, table.classes, table.feature_names,
                                 train_fraction=0.5, rng=np.random.default_rng(0), name="tiny")
    assert data.scale[1] == 1.0
    assert np.isfinite(data.X_train).all() and (data.scale > 0).all()


def test_a_feature_spanning_too_many_magnitudes_is_refused_by_name():
    """Scale comes from the training rows: a huge test value over a tiny scale overflows float32."""
    X = np.array([[k * 1e-30] for k in range(40)] + [[3e38]])
    y = np.arange(41) % 2
    outcomes = []
    for seed in range(12):
        try:
            data = split_and_standardise(X, y, ("a", "b"), ("wide",), train_fraction=0.5,
                                         rng=np.random.default_rng(seed), name="magnitudes.csv")
        except DatasetError as error:
            outcomes.append(str(error))
        else:
            assert np.isfinite(data.X_train).all() and np.isfinite(data.X_test).all()
            outcomes.append("loaded")
    assert "loaded" in outcomes
    assert ("magnitudes.csv: feature 'wide' spans too many orders of magnitude to be standardised "
            "in float32") in " ".join(outcomes)
