"""sweep.csv as a sweep writes it: the header first, then each task's row the moment it arrives.

A sweep of hundreds of runs may be killed or crash at any time, and must lose no finished run. So
the header is written whole (temporary file and rename) before anything trains, and each row is
appended with one write call and flushed to the disk: a killed sweep leaves the header and whole
rows, at worst followed by one cut-off line without its newline, which reading drops. A second run
of the same sweep reads the rows back, keeps the finished ones and trains only the rest; rows of a
run that failed (a worker that died, an error) are dropped and tried again, while a diverged run is
a result and stays. When the sweep ends the file is rewritten in the grid's order, so a finished
sweep.csv reads like a table, whatever order the workers finished in.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable
from pathlib import Path

from dropviz.model.errors import ConfigError
from dropviz.model.files import write_text_atomic
from dropviz.model.sweeps import FAILED, METRICS, SweepPoint, csv_cells, csv_columns

SWEEP_FILE = "sweep.csv"


def _line(cells: Iterable[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(list(cells))
    return buffer.getvalue()


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The header and every whole row; a last line cut off by a kill is left out."""
    text = path.read_text(encoding="utf-8")
    if not text.endswith("\n"):
        text = text[:text.rfind("\n") + 1]
    lines = list(csv.reader(io.StringIO(text)))
    if not lines:
        return [], []
    header = lines[0]
    return header, [dict(zip(header, line, strict=True)) for line in lines[1:]
                    if len(line) == len(header)]


def point_from_row(row: dict[str, str], label_columns: Iterable[str]) -> SweepPoint:
    """A row of sweep.csv back as the point it was written from."""
    rate = json.loads(row["rate"])
    return SweepPoint(
        tuple(rate) if isinstance(rate, list) else float(rate), int(row["seed"]),
        int(row["train_size"]), int(row["steps"]), *(float(row[name]) for name in METRICS),
        labels=tuple((column, row[column]) for column in label_columns), status=row["status"],
        seconds=float(row["seconds"]), point=row["point"])


class SweepCsv:
    """The sweep.csv of one sweep: rows kept from before, and rows appended as they come."""

    def __init__(self, path: str | Path, label_columns: Iterable[str]) -> None:
        self.path = Path(path)
        self.label_columns = tuple(label_columns)
        self.columns = csv_columns(self.label_columns)

    def start(self, points: Iterable[str], force: bool = False) -> dict[str, SweepPoint]:
        """Write the header, or keep the finished rows of this sweep from an earlier run.

        Returns those rows by point id. A file with another sweep's rows is refused unless `force`
        (then it is replaced): it may hold hours of someone's work.
        """
        wanted = set(points)
        kept: dict[str, SweepPoint] = {}
        if self.path.exists() and not force:
            header, rows = read_rows(self.path)
            if header != list(self.columns) or any(row["point"] not in wanted for row in rows):
                raise ConfigError(f"{self.path.parent} already holds {SWEEP_FILE} of another "
                                  "sweep; pass --force to replace it or choose another folder")
            kept = {row["point"]: point_from_row(row, self.label_columns) for row in rows
                    if not row["status"].startswith(FAILED)}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(self.path, self._text(kept.values()))
        return kept

    def append(self, point: SweepPoint) -> None:
        """One more row, in one write, on the disk before this returns."""
        data = _line(csv_cells(point)).encode("utf-8")
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        try:
            os.write(descriptor, data)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def finish(self, points: Iterable[SweepPoint]) -> None:
        """The whole file again, rows in the order given (the grid's)."""
        write_text_atomic(self.path, self._text(points))

    def _text(self, points: Iterable[SweepPoint]) -> str:
        return "".join([_line(self.columns), *(_line(csv_cells(point)) for point in points)])
