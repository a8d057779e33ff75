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
    split_malformed,
    user_errors,
)
from dropviz.model.errors import DatasetError
from dropviz.model.input_files import require_path

__all__ = ["MAX_CSV_BYTES", "MAX_CSV_CELLS", "MAX_CSV_ROWS", "MAX_LINE_CHARS", "CsvReport",
           "CsvTable", "csv_columns", "load_csv"]

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


def load_csv(path: str | Path, label_column: str | None = None) -> CsvTable:
    """Read a CSV file into features and class labels; the label defaults to the last column."""
    require_path(path, "a CSV file", DatasetError)
    path = Path(path)
    with user_errors(path):
        return _load(path, label_column)


def _load(path: Path, label_column: str | None) -> CsvTable:
    layout = read_layout(path)
    good, bad_lines = split_malformed(layout.body, len(layout.names), path.name)
    found = features_of(good, layout.names, label_column, path.name)
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
    )
    return CsvTable(X=found.X, labels=found.labels, classes=found.classes,
                    feature_names=found.feature_names, report=report)
