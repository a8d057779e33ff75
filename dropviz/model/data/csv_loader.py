"""Turn a user's CSV file into a numeric table, or say in one message why it cannot be used.

Files come from spreadsheets and other programs, so the loader guesses what a person would:
the delimiter, whether there is a header, which columns are numbers, which are categories and
which are ids or free text. What it guessed goes into a report the user can read, because a
silently dropped column or row is worse than an error. Only the standard library reads the file;
pandas would be a large dependency for one loader.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dropviz.model.errors import DatasetError

MAX_CSV_BYTES = 100 * 1024 * 1024
# A parsed cell costs about 60 bytes in Python and a row about 150 more, so the size limit alone
# does not bound memory: a file of short fields under MAX_CSV_BYTES would take gigabytes.
MAX_CSV_ROWS = 500_000
MAX_CSV_CELLS = 3_000_000
# The cell limit is checked row by row, so one line must not be able to hold millions of cells.
MAX_LINE_CHARS = 1_000_000
SNIFF_CHARS = 64 * 1024
SNIFF_LINES = 100
# Sniffer's quote-finding regular expressions take quadratic time in the length of their sample.
SNIFF_REGEX_CHARS = 4 * 1024
# Beyond this a value overflows the float32 features the network is trained on.
FLOAT32_MAX = float(np.finfo(np.float32).max)
DELIMITERS = ",;\t"
MISSING_MARKERS = frozenset({"", "na", "n/a", "nan", "null", "?"})
MAX_ONE_HOT_VALUES = 10
MAX_CLASSES = 50
# A numeric label with more distinct values than both of these is a quantity, not a class.
REGRESSION_MIN_VALUES = 10
REGRESSION_ROW_SHARE = 0.2
SUMMARY_CLASSES = 10

_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_MISSING_TEXT = "empty, NA, N/A, NaN, null or ?"
_NUMERIC, _ENCODED, _LEFT_OUT = "numeric", "encoded", "left out"


@dataclass(frozen=True)
class CsvReport:
    """What the loader decided about a file, so the user can check its guesses."""

    path: str
    delimiter: str
    has_header: bool
    rows_kept: int
    rows_dropped: int
    label_column: str
    columns_used: tuple[str, ...]
    columns_encoded: tuple[str, ...]
    columns_left_out: tuple[str, ...]
    class_counts: dict[str, int]
    rows_malformed: int = 0
    first_malformed_line: int | None = None

    def summary(self) -> str:
        lines = [
            f"{Path(self.path).name}: {self.rows_kept} rows used, "
            f"{_DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))}-separated, "
            + ("with a header" if self.has_header else 'no header (columns named "column 1", ...)'),
            f"label: {self.label_column}, {len(self.class_counts)} classes: {self._classes_text()}",
            f"numeric features: {_names_or_none(self.columns_used)}",
            f"one-hot encoded: {_names_or_none(self.columns_encoded)}",
            f"left out (ids, dates, free text): {_names_or_none(self.columns_left_out)}",
        ]
        dropped = self._dropped_text()
        if dropped:
            lines.append(f"dropped: {dropped}")
        return "\n".join(lines)

    def _classes_text(self) -> str:
        shown = [f"{label} ({count})" for label, count in self.class_counts.items()]
        hidden = len(shown) - SUMMARY_CLASSES
        text = ", ".join(shown[:SUMMARY_CLASSES])
        return f"{text} and {hidden} more" if hidden > 0 else text

    def _dropped_text(self) -> str:
        parts = []
        if self.rows_dropped:
            parts.append(f"{_rows(self.rows_dropped)} with a missing value ({_MISSING_TEXT})")
        if self.rows_malformed:
            parts.append(f"{_rows(self.rows_malformed)} with the wrong number of fields "
                         f"(first at line {self.first_malformed_line})")
        return "; ".join(parts)


@dataclass(frozen=True, eq=False)
class CsvTable:
    """Numbers only, rows in file order and not yet split, so datasets.py decides the split."""

    X: np.ndarray
    labels: np.ndarray
    classes: tuple[str, ...]
    feature_names: tuple[str, ...]
    report: CsvReport


def _rows(count: int) -> str:
    return f"{count} row{'' if count == 1 else 's'}"


def _names_or_none(names: tuple[str, ...]) -> str:
    return ", ".join(names) if names else "none"


def _is_missing(value: str) -> bool:
    return value.lower() in MISSING_MARKERS


def _is_number(value: str) -> bool:
    """Infinite values, and finite ones too large for float32, count as text: they would turn the
    standardised features into NaN or infinity."""
    try:
        return abs(float(value)) <= FLOAT32_MAX
    except ValueError:
        return False


def _all_numbers(values: Iterable[str]) -> bool:
    """The same test as _is_number, run in C, because columns can hold millions of values."""
    try:
        numbers = np.fromiter(map(float, values), dtype=np.float64)
    except ValueError:
        return False
    return bool((np.abs(numbers) <= FLOAT32_MAX).all())


@contextmanager
def _user_errors(path: Path) -> Iterator[None]:
    """The window shows DatasetError messages; anything else from a bad file would crash it."""
    try:
        yield
    except DatasetError:
        raise
    except MemoryError:
        raise DatasetError(f"{path.name} is too large to load into memory") from None
    except Exception as error:
        raise DatasetError(f"cannot load {path.name}: {error}") from error


def _read_bytes(path: Path, limit: int) -> bytes:
    """Check the size before reading so that a huge file fails at once, not after a long wait."""
    try:
        if path.is_dir():
            raise DatasetError(f"{path} is a folder, not a CSV file")
        size = path.stat().st_size
        if size > MAX_CSV_BYTES:
            raise DatasetError(f"{path.name} is {size / 2**20:.1f} MB; dropviz loads CSV files "
                               f"of at most {MAX_CSV_BYTES / 2**20:.0f} MB")
        with path.open("rb") as file:
            return file.read(limit)
    except FileNotFoundError:
        raise DatasetError(f"file not found: {path}") from None
    except OSError as error:
        raise DatasetError(f"cannot read {path}: {error.strerror or error}") from None


def _decode(data: bytes, name: str, *, complete: bool) -> str:
    """UTF-8 with or without BOM; a partial read may end inside a character, and that is fine."""
    if b"\x00" in data:
        raise DatasetError(f"{name} is not a text file (it contains NUL bytes); "
                           "save it as a UTF-8 CSV file")
    try:
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(data, final=complete)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise DatasetError(f"{name}, line {line}: not UTF-8 text (byte 0x{data[error.start]:02x} "
                           "cannot be decoded); save it as a UTF-8 CSV file") from None
    if not text or text.isspace():  # strip() would copy a text of up to MAX_CSV_BYTES
        raise DatasetError(f"{name} is empty")
    return text


def _read_text(path: Path, *, head_only: bool) -> str:
    limit = SNIFF_CHARS * 4 if head_only else -1
    return _decode(_read_bytes(path, limit), path.name, complete=not head_only)


def _whole_lines(text: str, limit: int) -> str:
    """Whole lines from the start: Sniffer misjudges a sample cut in the middle of a line."""
    head = text[:limit]
    if len(head) < len(text) and "\n" in head:
        head = head[: head.rindex("\n") + 1]
    return head


def _head(text: str) -> str:
    return "".join(_whole_lines(text, SNIFF_CHARS).splitlines(keepends=True)[:SNIFF_LINES])


def _sniff_delimiter(sample: str) -> str:
    """Sniffer fails on a single column or ragged lines; the commonest candidate decides then.

    Sniffer sees a shorter sample than the rest of the loader, because its regular expressions
    take seconds on a few dozen kilobytes full of quotes, and a file must not stall the window.
    """
    try:
        return csv.Sniffer().sniff(_whole_lines(sample, SNIFF_REGEX_CHARS),
                                   delimiters=DELIMITERS).delimiter
    except csv.Error:
        best = max(DELIMITERS, key=sample.count)
        return best if best in sample else ","


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def _lines(text: str, name: str) -> Iterator[str]:
    """The lines of text as open(newline="") gives them, one at a time.

    io.StringIO would do the same but copies the text at four bytes a character first. A line is
    measured before it is copied out of the text.
    """
    for number, match in enumerate(_LINE.finditer(text), start=1):
        if match.end() - match.start() > MAX_LINE_CHARS:
            raise DatasetError(f"{name}, line {number}: longer than {MAX_LINE_CHARS:,} characters; "
                               "dropviz reads CSV files with shorter lines (fewer columns)")
        yield match.group()


def _parse(text: str, delimiter: str, name: str) -> list[tuple[int, list[str]]]:
    """Rows as (line number, stripped fields); blank lines are skipped, not counted as rows.

    skipinitialspace lets `a, "b, c"` quote its field as a person writing it meant. Parsing stops
    at MAX_CSV_ROWS or MAX_CSV_CELLS, so a file of many short fields is refused before it fills
    the memory.
    """
    reader = csv.reader(_lines(text, name), delimiter=delimiter, skipinitialspace=True)
    rows = []
    cells = 0
    try:
        for fields in reader:
            stripped = [field.strip() for field in fields]
            if any(stripped):
                rows.append((reader.line_num, stripped))
                cells += len(stripped)
                if len(rows) > MAX_CSV_ROWS + 1 or cells > MAX_CSV_CELLS:  # + 1: the header
                    _too_many(name, reader.line_num, len(rows) > MAX_CSV_ROWS + 1)
    except csv.Error as error:
        raise DatasetError(f"{name}, line {reader.line_num}: not readable as CSV ({error})"
                           ) from None
    return rows


def _too_many(name: str, line: int, rows: bool) -> None:
    what = f"{MAX_CSV_ROWS:,} rows" if rows else f"{MAX_CSV_CELLS:,} values (rows times columns)"
    raise DatasetError(f"{name} holds more than {what} by line {line}; dropviz loads at most "
                       "that many, so use a sample of the rows or fewer columns")


def _header_vote(first: str, below: list[str]) -> int:
    """+1 if the first cell of a column looks like a name, -1 if it looks like data, 0 if unsure."""
    present = [value for value in below if not _is_missing(value)]
    if not present or _is_missing(first):
        return 0
    if all(_is_number(value) for value in present):
        return -1 if _is_number(first) else 1
    return -1 if first in present else 0


def _has_header(rows: list[list[str]]) -> bool:
    """Vote column by column: a name above numbers, or a value repeated below, decides.

    Sniffer.has_header is not used: it sniffs the delimiter again on its own, and it gives up on
    any column with a missing-value marker. With no evidence either way a header is assumed,
    because most CSV files have one.
    """
    first, below = rows[0], rows[1:SNIFF_LINES]
    votes = sum(
        _header_vote(cell, [row[j] for row in below if j < len(row)])
        for j, cell in enumerate(first)
    )
    return votes >= 0


def _column_names(header: list[str] | None, width: int) -> list[str]:
    """Blank names become "column N", and repeated names get their position, so each is unique.

    A label or a feature is chosen by name, so two columns must never share one, not even when
    the file already has a column called, say, "x (column 2)" next to two columns "x".
    """
    raw = header if header is not None else [""] * width
    names = [name or f"column {j + 1}" for j, name in enumerate(raw)]
    taken = set(names)
    unique, used = [], set()
    for j, name in enumerate(names):
        if name in used:
            name = f"{name} (column {j + 1})"
            while name in taken or name in used:
                name += "'"
        used.add(name)
        unique.append(name)
    return unique


@dataclass(frozen=True)
class _Layout:
    """How the file is written, as far as the first lines tell."""

    delimiter: str
    has_header: bool
    names: list[str]
    body: list[tuple[int, list[str]]]


def _layout(text: str, name: str) -> _Layout:
    delimiter = _sniff_delimiter(_head(text))
    rows = _parse(text, delimiter, name)
    if not rows:
        raise DatasetError(f"{name} holds no values, only separators and blank lines")
    has_header = _has_header([fields for _, fields in rows])
    names = _column_names(rows[0][1] if has_header else None, len(rows[0][1]))
    return _Layout(delimiter, has_header, names, rows[1:] if has_header else rows)


def csv_columns(path: str | Path) -> list[str]:
    """The column names, read from the start of the file only, so a label picker opens quickly."""
    path = Path(path)
    with _user_errors(path):
        return _layout(_head(_read_text(path, head_only=True)), path.name).names


def _label_index(names: list[str], label_column: str | None, name: str) -> int:
    if label_column is None:
        return len(names) - 1
    if label_column.strip() in names:
        return names.index(label_column.strip())
    raise DatasetError(f"{name} has no column {label_column!r}; its columns are: "
                       + ", ".join(names))


def _split_malformed(
    body: list[tuple[int, list[str]]], width: int, name: str
) -> tuple[list[list[str]], list[int]]:
    good = [fields for _, fields in body if len(fields) == width]
    bad_lines = [line for line, fields in body if len(fields) != width]
    if not body:
        raise DatasetError(f"{name} has a header line but no data rows")
    if not good:
        raise DatasetError(f"{name}: no data row has the {width} fields of the first line "
                           f"(line {bad_lines[0]} has {len(body[0][1])})")
    return good, bad_lines


def _missing_values(values: tuple[str, ...]) -> frozenset[str]:
    """The missing markers a column uses, so rows are then tested by set lookup, once per value."""
    return frozenset(value for value in set(values) if _is_missing(value))


def _is_row_counter(values: list[str]) -> bool:
    """Whole numbers, all different and rising, count rows; as a feature they leak the order."""
    numbers = np.fromiter(map(float, values), dtype=np.float64)
    return bool(len(numbers) > 2 and np.all(numbers == np.round(numbers))
                and np.all(np.diff(numbers) > 0))


def _column_kind(values: tuple[str, ...], missing: frozenset[str]) -> str:
    distinct = set(values) - missing
    if not distinct:
        return _LEFT_OUT
    present = [value for value in values if value not in missing] if missing else list(values)
    if _all_numbers(distinct):
        return _LEFT_OUT if _is_row_counter(present) else _NUMERIC
    if len(distinct) <= MAX_ONE_HOT_VALUES and len(distinct) < len(present) / 2:
        return _ENCODED
    return _LEFT_OUT


def _check_features(kinds: dict[int, str], names: list[str], label: str, name: str) -> None:
    if any(kind != _LEFT_OUT for kind in kinds.values()):
        return
    others = ", ".join(names[j] for j in kinds) or "no other column"
    raise DatasetError(
        f"{name} has no usable feature column: a feature must hold numbers, or text with at most "
        f"{MAX_ONE_HOT_VALUES} distinct values; besides the label {label!r} it has: {others}"
    )


def _kept_rows(columns: list[tuple[str, ...]], missing: list[frozenset[str]], used: list[int],
               names: list[str], name: str) -> list[int]:
    n_rows = len(columns[0])
    gaps = {j: {i for i, value in enumerate(columns[j]) if value in missing[j]}
            for j in used if missing[j]}
    dropped = set().union(*gaps.values())
    if len(dropped) == n_rows:
        worst = max(gaps, key=lambda j: len(gaps[j]))
        raise DatasetError(
            f"every row of {name} has a missing value ({_MISSING_TEXT}) in a column it needs; "
            f"column {names[worst]!r} is missing in {len(gaps[worst])} of {n_rows} rows"
        )
    return [i for i in range(n_rows) if i not in dropped]


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _classes(values: list[str]) -> tuple[tuple[str, ...], np.ndarray, bool]:
    """Numeric labels sort as numbers: "10" comes after "9", and "1.0" is the same class as "1"."""
    numeric = _all_numbers(set(values))
    keys = list(map(float, values)) if numeric else values
    ordered = sorted(set(keys))
    index = {key: k for k, key in enumerate(ordered)}
    labels = np.array([index[key] for key in keys], dtype=np.int64)
    classes = tuple(_number_text(key) for key in ordered) if numeric else tuple(ordered)
    return classes, labels, numeric


def _check_classes(classes: tuple[str, ...], numeric: bool, n_rows: int, label: str,
                   name: str) -> None:
    where = f"the label column {label!r} of {name}"
    if len(classes) == 1:
        raise DatasetError(f"{where} has only one value, {classes[0]!r}, in the {_rows(n_rows)} "
                           "kept; classification needs at least two classes")
    if len(classes) > MAX_CLASSES:
        raise DatasetError(f"{where} has {len(classes)} distinct values, more than the "
                           f"{MAX_CLASSES} classes dropviz allows; it looks like a regression "
                           "target or an id, so choose another label column")
    if numeric and len(classes) > max(REGRESSION_MIN_VALUES, REGRESSION_ROW_SHARE * n_rows):
        raise DatasetError(
            f"{where} holds {len(classes)} distinct numbers in {_rows(n_rows)}, more than "
            f"{REGRESSION_MIN_VALUES} values and more than {REGRESSION_ROW_SHARE:.0%} of the "
            "rows; it looks like a regression target, so choose another label column"
        )


def _one_hot(values: list[str]) -> tuple[np.ndarray, list[str]]:
    categories = sorted(set(values))
    index = {category: k for k, category in enumerate(categories)}
    codes = np.array([index[value] for value in values])
    return (codes[:, None] == np.arange(len(categories))).astype(np.float64), categories


def _features(columns: list[tuple[str, ...]], kinds: dict[int, str], names: list[str],
              kept: list[int]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Features in file order, each categorical column expanded where it stood."""
    blocks, feature_names = [], []
    every_row = len(kept) == len(columns[0])
    for j, kind in kinds.items():
        values = list(columns[j]) if every_row else [columns[j][i] for i in kept]
        if kind == _NUMERIC:
            blocks.append(np.array(list(map(float, values)))[:, None])
            feature_names.append(names[j])
        elif kind == _ENCODED:
            block, categories = _one_hot(values)
            blocks.append(block)
            feature_names.extend(f"{names[j]}={category}" for category in categories)
    return np.hstack(blocks), tuple(feature_names)


def _names_of(kinds: dict[int, str], names: list[str], kind: str) -> tuple[str, ...]:
    return tuple(names[j] for j, this in kinds.items() if this == kind)


def load_csv(path: str | Path, label_column: str | None = None) -> CsvTable:
    """Read a CSV file into features and class labels; the label defaults to the last column."""
    path = Path(path)
    with _user_errors(path):
        return _load(path, label_column)


def _load(path: Path, label_column: str | None) -> CsvTable:
    name = path.name
    layout = _layout(_read_text(path, head_only=False), name)
    names = layout.names
    good, bad_lines = _split_malformed(layout.body, len(names), name)
    label_at = _label_index(names, label_column, name)
    columns = list(zip(*good, strict=True))
    missing = [_missing_values(column) for column in columns]
    kinds = {j: _column_kind(columns[j], missing[j]) for j in range(len(names)) if j != label_at}
    _check_features(kinds, names, names[label_at], name)
    used = [j for j, kind in kinds.items() if kind != _LEFT_OUT] + [label_at]
    kept = _kept_rows(columns, missing, used, names, name)
    classes, labels, numeric = _classes([columns[label_at][i] for i in kept])
    _check_classes(classes, numeric, len(kept), names[label_at], name)
    X, feature_names = _features(columns, kinds, names, kept)
    report = CsvReport(
        path=str(path),
        delimiter=layout.delimiter,
        has_header=layout.has_header,
        rows_kept=len(kept),
        rows_dropped=len(good) - len(kept),
        label_column=names[label_at],
        columns_used=_names_of(kinds, names, _NUMERIC),
        columns_encoded=_names_of(kinds, names, _ENCODED),
        columns_left_out=_names_of(kinds, names, _LEFT_OUT),
        class_counts=dict(zip(classes, np.bincount(labels).tolist(), strict=True)),
        rows_malformed=len(bad_lines),
        first_malformed_line=bad_lines[0] if bad_lines else None,
    )
    return CsvTable(X=X, labels=labels, classes=classes, feature_names=feature_names,
                    report=report)
