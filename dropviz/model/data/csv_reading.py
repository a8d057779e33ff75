"""Read a CSV file's text and guess how it is written: delimiter, header and column names.

Files come from spreadsheets and other programs, so the reader guesses what a person would.
Every limit is checked while reading, so a huge or hostile file is refused before it fills the
memory or stalls the window. Only the standard library reads the file; pandas would be a large
dependency for one loader.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dropviz.model.errors import DatasetError
from dropviz.model.input_files import read_input, require_path

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
MISSING_TEXT = "empty, NA, N/A, NaN, null or ?"


def is_missing(value: str) -> bool:
    return value.lower() in MISSING_MARKERS


def is_number(value: str) -> bool:
    """Infinite values, and finite ones too large for float32, count as text: they would turn the
    standardised features into NaN or infinity."""
    try:
        return abs(float(value)) <= FLOAT32_MAX
    except ValueError:
        return False


def all_numbers(values: Iterable[str]) -> bool:
    """The same test as is_number, run in C, because columns can hold millions of values."""
    try:
        numbers = np.fromiter(map(float, values), dtype=np.float64)
    except ValueError:
        return False
    return bool((np.abs(numbers) <= FLOAT32_MAX).all())


@contextmanager
def user_errors(path: Path) -> Iterator[None]:
    """The window shows DatasetError messages; anything else from a bad file would crash it."""
    try:
        yield
    except DatasetError:
        raise
    except MemoryError:
        raise DatasetError(f"{path.name} is too large to load into memory") from None
    except Exception as error:
        raise DatasetError(f"cannot load {path.name}: {error}") from error


def _read_bytes(path: Path, head: int | None) -> bytes:
    """A regular file only, of at most MAX_CSV_BYTES counted while reading: a FIFO or a device
    (/dev/zero reports a size of 0) is refused, not read forever."""
    return read_input(path, "a CSV file", "CSV files", MAX_CSV_BYTES, DatasetError, head=head)


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
    head = SNIFF_CHARS * 4 if head_only else None
    return _decode(_read_bytes(path, head), path.name, complete=not head_only)


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


def _parse(text: str, delimiter: str, name: str) -> tuple[list[tuple[int, list[str]]], dict]:
    """Rows as (line number, stripped fields), blank lines skipped and not counted as rows, and the
    last line of each row that runs over several lines (a quoted field holding line breaks).

    skipinitialspace lets `a, "b, c"` quote its field as a person writing it meant. Parsing stops
    at MAX_CSV_ROWS or MAX_CSV_CELLS, so a file of many short fields is refused before it fills
    the memory.
    """
    reader = csv.reader(_lines(text, name), delimiter=delimiter, skipinitialspace=True)
    rows, spans = [], {}
    cells, start = 0, 1
    try:
        for fields in reader:
            stripped = [value.strip() for value in fields]
            if any(stripped):
                rows.append((start, stripped))
                if reader.line_num > start:
                    spans[start] = reader.line_num
                cells += len(stripped)
                if len(rows) > MAX_CSV_ROWS + 1 or cells > MAX_CSV_CELLS:  # + 1: the header
                    _too_many(name, reader.line_num, len(rows) > MAX_CSV_ROWS + 1)
            start = reader.line_num + 1
    except csv.Error as error:
        raise DatasetError(f"{name}, line {reader.line_num}: not readable as CSV ({error})"
                           ) from None
    return rows, spans


def _too_many(name: str, line: int, rows: bool) -> None:
    what = f"{MAX_CSV_ROWS:,} rows" if rows else f"{MAX_CSV_CELLS:,} values (rows times columns)"
    raise DatasetError(f"{name} holds more than {what} by line {line}; dropviz loads at most "
                       "that many, so use a sample of the rows or fewer columns")


def _header_vote(first: str, below: list[str]) -> int:
    """+1 if the first cell of a column looks like a name, -1 if it looks like data, 0 if unsure."""
    present = [value for value in below if not is_missing(value)]
    if not present or is_missing(first):
        return 0
    if all(is_number(value) for value in present):
        return -1 if is_number(first) else 1
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
class Layout:
    """How the file is written, as far as the first lines tell, and its rows below any header."""

    delimiter: str
    has_header: bool
    names: list[str]
    body: list[tuple[int, list[str]]]  # (line number, stripped fields)
    spans: dict[int, int] = field(default_factory=dict)  # first line -> last, of multi-line rows


def _layout(text: str, name: str) -> Layout:
    delimiter = _sniff_delimiter(_head(text))
    rows, spans = _parse(text, delimiter, name)
    if not rows:
        raise DatasetError(f"{name} holds no values, only separators and blank lines")
    has_header = _has_header([fields for _, fields in rows])
    names = _column_names(rows[0][1] if has_header else None, len(rows[0][1]))
    return Layout(delimiter, has_header, names, rows[1:] if has_header else rows, spans)


def _swallowed(fields: list[str], delimiter: str, width: int) -> bool:
    """A quoted field holding a whole row's worth of separators on one of its lines: a stray quote
    that ran on over the rows below, not a cell of text with a line break."""
    return width > 1 and any(line.count(delimiter) >= width - 1
                             for value in fields for line in value.splitlines()[1:])


def split_malformed(layout: Layout, name: str) -> tuple[list[list[str]], list[int]]:
    """The rows with the header's number of fields, and the line numbers of the others (a row a
    stray quote ran on over is one of the others, whatever its number of fields)."""
    width, body = len(layout.names), layout.body
    if not body:
        raise DatasetError(f"{name} has a header line but no data rows")
    good, bad_lines = [], []
    for line, fields in body:
        if len(fields) != width or (line in layout.spans
                                    and _swallowed(fields, layout.delimiter, width)):
            bad_lines.append(line)
        else:
            good.append(fields)
    if not good:
        raise DatasetError(f"{name}: no data row has the {width} fields of the first line "
                           f"(line {bad_lines[0]} has {len(body[0][1])})")
    return good, bad_lines


def refuse_malformed(layout: Layout, bad_lines: list[int], name: str) -> None:
    """Say where the first bad row is and what went wrong there, and how to go on anyway."""
    first = bad_lines[0]
    fields = dict(layout.body)[first]
    width = len(layout.names)
    if first in layout.spans:
        what = (f"a quote opened here is closed only at line {layout.spans[first]}, so the lines "
                f"between read as one row of {len(fields)} fields (a stray quote?)")
    else:
        what = f"{len(fields)} fields where the first line has {width}"
    others = len(bad_lines) - 1
    more = f"; {others} more row{'' if others == 1 else 's'} like it" if others else ""
    raise DatasetError(f"{name}, line {first}: {what}{more}. Correct the file, or set "
                       "dataset.drop_bad_rows to true to leave such rows out")


def read_layout(path: Path) -> Layout:
    """The whole file parsed; call it inside `user_errors(path)`."""
    return _layout(_read_text(path, head_only=False), path.name)


def csv_columns(path: str | Path) -> list[str]:
    """The column names, read from the start of the file only, so a label picker opens quickly."""
    require_path(path, "a CSV file", DatasetError)
    path = Path(path)
    with user_errors(path):
        return _layout(_head(_read_text(path, head_only=True)), path.name).names
