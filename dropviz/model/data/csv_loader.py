"""Turn a user's CSV file into a numeric table, or say in one message why it cannot be used.

Files come from spreadsheets and other programs, so the loader guesses what a person would:
the delimiter, whether there is a header (csv_reading.py), which columns are numbers, which are
categories and which are ids or free text (csv_features.py). What it guessed goes into a report
the user can read, because a silently dropped column or row is worse than an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dropviz.model.data.csv_features import features_of, rows_text
from dropviz.model.data.csv_reading import (
    MAX_CSV_BYTES,
    MAX_CSV_CELLS,
    MAX_CSV_ROWS,
    MAX_LINE_CHARS,
    MISSING_TEXT,
    csv_columns,
    read_layout,
    refuse_malformed,
    split_malformed,
    user_errors,
)
from dropviz.model.data.dataset import Dataset
from dropviz.model.errors import DatasetError
from dropviz.model.input_files import require_path

__all__ = ["MAX_CSV_BYTES", "MAX_CSV_CELLS", "MAX_CSV_ROWS", "MAX_LINE_CHARS", "CsvReport",
           "CsvTable", "csv_columns", "load_csv", "report_lines"]

SUMMARY_CLASSES = 10

_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


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
    columns_decimal_comma: tuple[str, ...] = ()

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
        if self.columns_decimal_comma:
            lines.append("decimal commas read as numbers (3,14 as 3.14): "
                         + ", ".join(self.columns_decimal_comma))
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
            parts.append(f"{rows_text(self.rows_dropped)} with a missing value ({MISSING_TEXT})")
        if self.rows_malformed:
            parts.append(f"{rows_text(self.rows_malformed)} with the wrong number of fields "
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


def _names_or_none(names: tuple[str, ...]) -> str:
    return ", ".join(names) if names else "none"


def load_csv(path: str | Path, label_column: str | None = None, *,
             drop_bad_rows: bool = False) -> CsvTable:
    """Read a CSV file into features and class labels; the label defaults to the last column.

    A row whose quotes or number of fields go wrong is refused with its line number, unless
    `drop_bad_rows` allows leaving such rows out; the report then counts them.
    """
    require_path(path, "a CSV file", DatasetError)
    path = Path(path)
    with user_errors(path):
        return _load(path, label_column, drop_bad_rows)


def _load(path: Path, label_column: str | None, drop_bad_rows: bool) -> CsvTable:
    layout = read_layout(path)
    good, bad_lines = split_malformed(layout, path.name)
    if bad_lines and not drop_bad_rows:
        refuse_malformed(layout, bad_lines, path.name)
    found = features_of(good, layout.names, label_column, path.name,
                        decimal_comma=layout.delimiter != ",")
    report = CsvReport(
        path=str(path),
        delimiter=layout.delimiter,
        has_header=layout.has_header,
        rows_kept=found.rows_kept,
        rows_dropped=len(good) - found.rows_kept,
        label_column=found.label_column,
        columns_used=found.columns_used,
        columns_encoded=found.columns_encoded,
        columns_left_out=found.columns_left_out,
        class_counts=dict(zip(found.classes, np.bincount(found.labels).tolist(), strict=True)),
        rows_malformed=len(bad_lines),
        first_malformed_line=bad_lines[0] if bad_lines else None,
        columns_decimal_comma=found.columns_decimal_comma,
    )
    return CsvTable(X=found.X, labels=found.labels, classes=found.classes,
                    feature_names=found.feature_names, report=report)


def report_lines(dataset: Dataset) -> list[str]:
    """What the data of a run is, as lines for the command line to print before training.

    For a CSV file that is the loader's report (CsvReport.summary: rows and columns used, what
    each column became, rows dropped and why) and the split; for the other datasets, their
    description and the split. Dataset.report carries the summary, so a run opened from an
    experiment file reports its data too.
    """
    train, test = len(dataset.y_train), len(dataset.y_test)
    return [*dataset.report.splitlines(),
            f"split: {rows_text(train)} for training, {rows_text(test)} for testing, "
            f"{dataset.n_features} feature{'' if dataset.n_features == 1 else 's'}"]
