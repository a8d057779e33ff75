"""Sweeps on real Dask processes: a scheduler and workers started here, and a sweep killed half way.

Every process listens on 127.0.0.1 only, on free ports, and is stopped at the end. The nets are
the tiny shape the other sweep tests use, so each worker compiles one architecture, once.
"""

from __future__ import annotations

import contextlib
import csv
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dropviz.cli import main as cli
from dropviz.model.config import Config
from dropviz.session.sweep_cluster import Sweep, run_tasks
from dropviz.session.sweep_csv import point_from_row
from dropviz.session.sweep_grid import SweepGrid

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--set", "hidden_layers=[64,64]", "--set", "seed=3", "--set", "dropout.input=0.1"]
CONFIG = Config().with_overrides(["hidden_layers=[64,64]", "seed=3", "dropout.input=0.1"])
START_SECONDS = 60  # for the scheduler and workers to start, loaded machine included
SWEEP_SECONDS = 240  # for a sweep whose workers compile the network first


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(args: list[str], log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen([sys.executable, "-m", "dask", *args], cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def _stop(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """`dask scheduler` and two `dask worker` processes of one thread; yields the address."""
    from distributed import Client

    folder = tmp_path_factory.mktemp("dask")
    address = f"tcp://127.0.0.1:{_free_port()}"
    port = address.rsplit(":", 1)[1]
    processes = [_start(["scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"],
                        folder / "scheduler.log")]
    try:
        for k in range(2):
            processes.append(_start(
                ["worker", address, "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard",
                 "--death-timeout", str(START_SECONDS), "--local-directory", str(folder)],
                folder / f"worker{k}.log"))
        with Client(address, timeout=START_SECONDS, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=START_SECONDS)
        yield address
    finally:
        for process in reversed(processes):
            _stop(process)


def _rows(path: Path, labels: tuple[str, ...] = ()) -> list:
    with path.open(newline="") as file:
        return [point_from_row(row, labels) for row in csv.DictReader(file)]


def _serial(grid: SweepGrid, pool) -> list:
    points = []
    run_tasks(grid.tasks(), None, points.append, pool=pool)
    return points


def test_a_sweep_through_a_dask_scheduler_equals_the_serial_sweep(scheduler, pool, tmp_path, capsys):
    specs = ["dropout=0,0.5", "learning_rate=0.001,0.01"]
    status = cli.main([*TINY, "--steps", "40", *(f"--sweep={spec}" for spec in specs),
                       "--seeds", "2", "--scheduler", scheduler, "--out", str(tmp_path)])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert captured.err == ""
    assert captured.out.splitlines()[0] == ("dropout x learning_rate sweep: 40 steps per run, "
                                            "2 seeds (mean ± standard deviation)")
    grid = SweepGrid.from_specs(CONFIG.with_overrides(["steps=40"]), specs, seeds=2)
    rows = _rows(tmp_path / "sweep.csv", grid.extra_columns)
    serial = _serial(grid, pool)
    assert len(rows) == len(serial) == 8
    for row, alone in zip(rows, serial, strict=True):
        assert row.metrics_equal(alone), (row, alone)
        assert row.status == "ok"


def test_a_killed_sweep_keeps_its_rows_and_the_rerun_trains_only_the_rest(pool, tmp_path, capsys):
    args = [*TINY, "--steps", "1500", "--sweep", "dropout=0,0.1,0.2,0.3,0.4,0.5", "--seeds", "2",
            "--out", str(tmp_path)]
    child = subprocess.Popen([sys.executable, "main.py", "--headless", *args, "--workers", "1"],
                             cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             start_new_session=True)
    path = tmp_path / "sweep.csv"
    try:
        deadline = time.monotonic() + SWEEP_SECONDS
        while not (path.exists() and len(path.read_text().splitlines()) >= 3):
            assert child.poll() is None, child.stderr.read().decode()
            assert time.monotonic() < deadline, "no two rows in time"
            time.sleep(0.05)
    finally:
        os.killpg(child.pid, signal.SIGKILL)  # the command line and its cluster's processes
        child.wait(10)
        child.stderr.close()
    first = _rows(path)
    assert 2 <= len(first) < 12, "killed half way"
    assert all(row.status == "ok" for row in first)

    status = cli.main([*args, "--workers", "0"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert f"{len(first)} of 12 runs are in {path} already" in captured.err
    grid = SweepGrid.from_specs(CONFIG.with_overrides(["steps=1500"]),
                                ["dropout=0,0.1,0.2,0.3,0.4,0.5"], seeds=2)
    rows = _rows(path)
    assert [row.point for row in rows] == [task.point for task in grid.tasks()], \
        "every point once, in the grid's order"
    kept = {row.point: row for row in first}
    assert all(rows[k].seconds == kept[rows[k].point].seconds for k in range(12)
               if rows[k].point in kept), "the killed sweep's rows were kept, not trained again"
    serial = Sweep(grid).run(None, pool=pool).points
    for row, alone in zip(rows, serial, strict=True):
        assert row.metrics_equal(alone), (row, alone)


@pytest.mark.parametrize(("args", "message"), [
    (["--sweep", "dropout", "--workers", "-1"], "--workers: -1 is not allowed"),
    (["--sweep", "dropout", "--workers", "2", "--scheduler", "tcp://127.0.0.1:9"],
     "give one of them"),
    (["--workers", "2"], "--workers goes with --sweep"),
    (["--sweep", "dropout", "--sweep", "dropout.hidden=0.1"], "swept twice"),
    (["--sweep-file", "missing.json"], "cannot read sweep file missing.json"),
])
def test_bad_sweep_options_exit_2_with_one_line_and_start_nothing(args, message, capsys):
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
