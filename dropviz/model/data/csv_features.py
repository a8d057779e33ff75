"""Turn a CSV file's columns into features and class labels, deciding what each column is.

Each column is a number, a category or something to leave out (an id, a date, free text); the
label column becomes class indices. Rows with a missing value in a column that is used are
dropped, and every decision is returned so the loader can report it: a silently dropped column
or row is worse than an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from dropviz.model.data.csv_reading import MISSING_TEXT, all_numbers, is_missing
from dropviz.model.errors import DatasetError

MAX_ONE_HOT_VALUES = 10
MAX_CLASSES = 50
# A numeric label with more distinct values than both of these is a quantity, not a class.
REGRESSION_MIN_VALUES = 10
REGRESSION_ROW_SHARE = 0.2

_DECIMAL_COMMA = re.compile(r"[+-]?(?:\d+,\d*|,\d+)(?:[eE][+-]?\d+)?")
_WHOLE = re.compile(r"[+-]?\d+")

_NUMERIC, _ENCODED, _LEFT_OUT = "numeric", "encoded", "left out"


@dataclass(frozen=True, eq=False)
class Features:
    """What the columns became: numbers for the network, and names for the report."""

    X: np.ndarray
    labels: np.ndarray
    classes: tuple[str, ...]
    feature_names: tuple[str, ...]
    label_column: str
    rows_kept: int
    columns_used: tuple[str, ...]
    columns_encoded: tuple[str, ...]
    columns_left_out: tuple[str, ...]
    columns_decimal_comma: tuple[str, ...] = ()


def rows_text(count: int) -> str:
    return f"{count} row{'' if count == 1 else 's'}"


def features_of(rows: list[list[str]], names: list[str], label_column: str | None,
                name: str, *, decimal_comma: bool = False) -> Features:
    """Features and labels from rows of equal width; the label defaults to the last column.

    With `decimal_comma` (a file separated by semicolons or tabs, as spreadsheets in much of
    Europe write them), a column of numbers written "3,14" is read as numbers, not categories.
    """
    label_at = _label_index(names, label_column, name)
    columns = list(zip(*rows, strict=True))
    missing = [_missing_values(column) for column in columns]
    commas = []
    if decimal_comma:
        for j, column in enumerate(columns):
            converted = _with_decimal_points(column, missing[j])
            if converted is not None:
                columns[j] = converted
                commas.append(names[j])
    kinds = {j: _column_kind(columns[j], missing[j]) for j in range(len(names)) if j != label_at}
    _check_features(kinds, names, names[label_at], name)
    used = [j for j, kind in kinds.items() if kind != _LEFT_OUT] + [label_at]
    kept = _kept_rows(columns, missing, used, names, name)
    classes, labels, numeric = _classes([columns[label_at][i] for i in kept])
    _check_classes(classes, numeric, len(kept), names[label_at], name)
    X, feature_names = _feature_matrix(columns, kinds, names, kept)
    return Features(
        X=X,
        labels=labels,
        classes=classes,
        feature_names=feature_names,
        label_column=names[label_at],
        rows_kept=len(kept),
        columns_used=_names_of(kinds, names, _NUMERIC),
        columns_encoded=_names_of(kinds, names, _ENCODED),
        columns_left_out=_names_of(kinds, names, _LEFT_OUT),
        columns_decimal_comma=tuple(commas),
    )


def _with_decimal_points(values: tuple[str, ...], missing: frozenset[str]) -> tuple[str, ...] | None:
    """The column with "3,14" written "3.14", if every value present is a number written so (or
    a whole number); None otherwise, and for a column with no comma at all."""
    distinct = set(values) - missing
    if not any("," in value for value in distinct):
        return None
    points = {value: value.replace(",", ".") for value in distinct if _DECIMAL_COMMA.fullmatch(value)}
    if not all(value in points or _WHOLE.fullmatch(value) for value in distinct):
        return None
    if not all_numbers(points.values()):
        return None
    return tuple(points.get(value, value) for value in values)


def _label_index(names: list[str], label_column: str | None, name: str) -> int:
    if label_column is None:
        return len(names) - 1
    if label_column.strip() in names:
        return names.index(label_column.strip())
    raise DatasetError(f"{name} has no column {label_column!r}; its columns are: "
                       + ", ".join(names))


def _missing_values(values: tuple[str, ...]) -> frozenset[str]:
    """The missing markers a column uses, so rows are then tested by set lookup, once per value."""
    return frozenset(value for value in set(values) if is_missing(value))


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
    if all_numbers(distinct):
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
            f"every row of {name} has a missing value ({MISSING_TEXT}) in a column it needs; "
            f"column {names[worst]!r} is missing in {len(gaps[worst])} of {n_rows} rows"
        )
    return [i for i in range(n_rows) if i not in dropped]


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _classes(values: list[str]) -> tuple[tuple[str, ...], np.ndarray, bool]:
    """Numeric labels sort as numbers: "10" comes after "9", and "1.0" is the same class as "1"."""
    numeric = all_numbers(set(values))
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
        raise DatasetError(f"{where} has only one value, {classes[0]!r}, in the {rows_text(n_rows)} "
                           "kept; classification needs at least two classes")
    if len(classes) > MAX_CLASSES:
        raise DatasetError(f"{where} has {len(classes)} distinct values, more than the "
                           f"{MAX_CLASSES} classes dropviz allows; it looks like a regression "
                           "target or an id, so choose another label column")
    if numeric and len(classes) > max(REGRESSION_MIN_VALUES, REGRESSION_ROW_SHARE * n_rows):
        raise DatasetError(
            f"{where} holds {len(classes)} distinct numbers in {rows_text(n_rows)}, more than "
            f"{REGRESSION_MIN_VALUES} values and more than {REGRESSION_ROW_SHARE:.0%} of the "
            "rows; it looks like a regression target, so choose another label column"
        )


def _one_hot(values: list[str]) -> tuple[np.ndarray, list[str]]:
    categories = sorted(set(values))
    index = {category: k for k, category in enumerate(categories)}
    codes = np.array([index[value] for value in values])
    return (codes[:, None] == np.arange(len(categories))).astype(np.float64), categories


def _feature_matrix(columns: list[tuple[str, ...]], kinds: dict[int, str], names: list[str],
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
