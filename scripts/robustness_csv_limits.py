"""CSV files at and past the loader's limits, for scripts/robustness_report.py: each loaded in a
fresh process (`robustness_report.py --csv-child PATH`) to measure its memory.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from child_runs import rss_mb
from robustness_processes import reset_peak_rss, run_child

from dropviz.model.data import csv_loader
from dropviz.model.errors import DropvizError


def csv_child(path: str) -> None:
    """Load one file in a fresh process, so its peak memory is this load's alone."""
    base = rss_mb()
    reset_peak_rss()
    started = time.perf_counter()
    try:
        table = csv_loader.load_csv(path)
        outcome = f"loaded {table.X.shape[0]:,} rows x {table.X.shape[1]} features"
    except DropvizError as error:
        outcome = f"refused: {error}"
    print(json.dumps({"outcome": outcome, "seconds": time.perf_counter() - started,
                      "base_mb": base, "peak_mb": rss_mb("VmHWM")}), flush=True)


def write_rows(path: Path, header: str, row: Callable[[int], str], count: int) -> None:
    with path.open("w") as stream:
        stream.write(header)
        stream.writelines(row(k) for k in range(count))


def csv_limits(folder: Path) -> tuple[list[str], bool]:
    limits = (csv_loader.MAX_CSV_BYTES, csv_loader.MAX_CSV_ROWS, csv_loader.MAX_CSV_CELLS,
              csv_loader.MAX_LINE_CHARS)
    cases: list[tuple[str, Path, Callable[[Path], None]]] = [
        ("200 MB file (sparse)", folder / "huge.csv",
         lambda p: (p.write_text("x,label\n1.5,a\n"), os.truncate(p, 200 * 2**20))),
        (f"{limits[1] + 1:,} rows of 2 columns", folder / "rows.csv",
         lambda p: write_rows(p, "x,label\n", lambda k: f"{k % 97 + 0.5},{'ab'[k % 2]}\n",
                              limits[1] + 1)),
        (f"{limits[2] // 10 + 10:,} rows of 10 columns", folder / "cells.csv",
         lambda p: write_rows(p, "a,b,c,d,e,f,g,h,i,label\n",
                              lambda k: f"{k % 97 + 0.5},{k % 89 + 0.25}," * 4
                                        + f"{k % 83 + 0.5},{'ab'[k % 2]}\n",
                              limits[2] // 10 + 10)),
        ("one line of 90 MB", folder / "line.csv",
         lambda p: p.write_text(",".join(["1.5"] * (90 * 2**20 // 4)) + "\n")),
        (f"{limits[2] // 6 - 10:,} rows of 6 columns (just under the limits)", folder / "under.csv",
         lambda p: write_rows(p, "a,b,c,d,e,label\n",
                              lambda k: f"{k % 97 + 0.5},{k % 89 + 0.25},{k % 83 + 0.5},"
                                        f"{k % 79 + 0.5},{k % 73 + 0.5},{'ab'[k % 2]}\n",
                              limits[2] // 6 - 10)),
        ("94 MB: 41,000 rows with a 2.4 KB text column", folder / "text.csv",
         lambda p: write_rows(p, "x,comment,label\n",
                              lambda k: f"{k % 13 + 0.5},{'note ' * 480},{'ab'[k % 2]}\n", 41_000)),
        ("64 KB of quotes before the data (slow for csv.Sniffer)", folder / "quotes.csv",
         lambda p: p.write_text(',"' * 32_768 + "\n1.5,a\n2.5,b\n")),
    ]
    rows = []
    ok = True
    for label, path, make in cases:
        make(path)
        size = path.stat().st_size
        result = run_child("--csv-child", str(path))[0]
        path.unlink()
        ok = ok and result["seconds"] < 30 and result["peak_mb"] < 1024
        outcome = result["outcome"].replace("|", "/")
        rows.append(f"| {label} | {size / 2**20:,.1f} | {result['seconds']:.2f} | "
                    f"{result['peak_mb'] - result['base_mb']:,.0f} | {outcome} |")
    text = [
        f"Limits: {limits[0] // 2**20} MB per file (checked before reading), {limits[1]:,} rows, "
        f"{limits[2]:,} cells and {limits[3]:,} characters per line (checked while parsing, so "
        "parsing stops at the first row past a limit). Each file loaded in a fresh process; memory "
        "is the peak RSS above the process's RSS before the load.",
        "",
        "| file | MB | seconds | peak memory (MB) | outcome |",
        "| --- | ---: | ---: | ---: | --- |",
        *rows,
    ]
    return text, ok
