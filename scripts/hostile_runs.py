"""How hostile_cases.py runs dropviz and makes the files it is hostile with.

A run is `python -m dropviz ...` in a fresh process, in a session of its own (so a Ctrl+C can go
to its whole group, as a terminal sends it), with its address space capped so that a read that
never ends fails instead of taking the machine, and a timeout so that a read that blocks cannot
stall the report.
"""

from __future__ import annotations

import io
import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["--set", "hidden_layers=[16,8]", "--set", "dataset.n_samples=120", "--set", "batch_size=10"]
MEMORY_CAP = 6 * 2**30  # address space of each child: a runaway read fails, the machine does not
TIMEOUT = 120.0


@dataclass
class Outcome:
    status: int | None  # None: killed by the timeout
    stdout: str
    stderr: str
    seconds: float

    @property
    def one_line(self) -> bool:
        return self.stderr.count("\n") == 1 and "Traceback" not in self.stderr

    @property
    def shown(self) -> str:
        text = self.stderr.strip().splitlines()
        line = text[-1] if text and "Traceback" in self.stderr else (text[0] if text else "")
        line = line.replace("|", "/")
        return line if len(line) <= 150 else line[:147] + "..."


@dataclass
class Case:
    kind: int  # the class of issue 19
    name: str
    run: Callable[[Path], tuple[Outcome, bool, str]]  # outcome, passed, what was expected


def limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    os.setsid()


def dropviz(*args: str, timeout: float = TIMEOUT, cwd: Path | None = None) -> Outcome:
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "dropviz", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, cwd=cwd or ROOT,
                               preexec_fn=limit_memory)
    try:
        out, err = process.communicate(timeout=timeout)
        status = process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        status = None
    return Outcome(status, out, err, time.perf_counter() - started)


def refused(*args: str, says: str = "", within: float = 30.0) -> Callable[[Path], tuple]:
    """Bad input: exit 2, one line naming the problem, quickly (no training first)."""
    def run(folder: Path) -> tuple[Outcome, bool, str]:
        outcome = dropviz(*[arg.format(folder=folder) for arg in args])
        ok = (outcome.status == 2 and outcome.one_line and says in outcome.stderr
              and outcome.seconds < within)
        return outcome, ok, f"exit 2, one line with '{says}', under {within:g} s"
    return run


# --- files to be hostile with --------------------------------------------------------------------

def csv_rows(count: int) -> list[str]:
    return [f"{i % 7}.5,{(i * 3) % 11}.25,{'ab'[i % 2]}" for i in range(count)]


def write_csv(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


_SAVED: dict[str, Path] = {}


def saved_run(folder: Path) -> Path:
    """One real run's folder, trained once for every forged-experiment case."""
    if "run" not in _SAVED:
        out = folder.parent / "saved-run"
        outcome = dropviz("train", *SMALL, "--steps", "30", "--eval-every", "10", "--out", str(out))
        if outcome.status != 0:
            raise RuntimeError(f"the sample run failed: {outcome.stderr[-500:]}")
        _SAVED["run"] = out
    return _SAVED["run"]


def forged(folder: Path, change: Callable[[dict, dict], None]) -> Path:
    """The sample run's experiment with its description and arrays changed by `change`."""
    with np.load(saved_run(folder) / "experiment.dropviz", allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    meta = json.loads(arrays["meta"].tobytes())
    change(meta, arrays)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    path = folder / "forged.dropviz"
    path.write_bytes(buffer.getvalue())
    return path


def resume_refused(change: Callable[[dict, dict], None], says: str, *,
                   not_says: str = "") -> Callable[[Path], tuple]:
    def run(folder: Path) -> tuple[Outcome, bool, str]:
        path = forged(folder, change)
        outcome = dropviz("resume", str(path), "--steps", "5")
        ok = (outcome.status == 2 and outcome.one_line and says in outcome.stderr
              and not (not_says and not_says in outcome.stderr) and outcome.seconds < 60)
        expected = f"exit 2, one line with '{says}'" + (f", not '{not_says}'" if not_says else "")
        return outcome, ok, expected
    return run


def history_of(rows: int) -> Callable[[dict, dict], None]:
    return lambda meta, _: meta.__setitem__(
        "history", [[0, 0.0, 0.5, 0.5, 0.5, 0.5]] * rows)


def set_meta(key: str, value: object) -> Callable[[dict, dict], None]:
    return lambda meta, _: meta.__setitem__(key, value)


def set_array(key: str, make: Callable[[np.ndarray], np.ndarray]) -> Callable[[dict, dict], None]:
    def change(_: dict, arrays: dict) -> None:
        arrays[key] = make(arrays[key])
    return change


def with_file(make: Callable[[Path], Path], *args: str, says: str,
              within: float = 30.0) -> Callable[[Path], tuple]:
    """refused(), with {file} in args replaced by the path `make` returns."""
    def run(folder: Path) -> tuple[Outcome, bool, str]:
        path = make(folder)
        return refused(*[arg.replace("{file}", str(path)) for arg in args], says=says,
                       within=within)(folder)
    return run


def a_fifo(folder: Path) -> Path:
    path = folder / "pipe"
    if not path.exists():
        os.mkfifo(path)
    return path


def settings_file(text: str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / "settings.json"
        path.write_text(text)
        return path
    return make


def stray_quote(folder: Path) -> Path:
    """A quote opening the label of line 52 (with the header) of 200 rows: it runs to the end."""
    rows = csv_rows(200)
    x, y, label = rows[50].split(",")
    rows[50] = f'{x},{y},"{label}'
    return write_csv(folder / "quote.csv", ["x,y,label", *rows])


def ragged(folder: Path) -> Path:
    rows = csv_rows(200)
    rows[30] += ",extra"
    return write_csv(folder / "ragged.csv", ["x,y,label", *rows])


def decimal_commas(folder: Path) -> Path:
    rows = [f"{i % 7},5;{(i * 3) % 11},25;{'ab'[i % 2]}" for i in range(200)]
    return write_csv(folder / "commas.csv", ["x;y;label", *rows])


def big_csv(folder: Path) -> Path:
    """200,000 rows of 10 numbers: a batch of 65,536 of them through 4096-wide layers is tens of GB."""
    path = folder / "big.csv"
    rng = np.random.default_rng(0)
    values = rng.standard_normal((200_000, 10)).round(3)
    with path.open("w") as stream:
        stream.write(",".join(f"f{j}" for j in range(10)) + ",label\n")
        stream.writelines(",".join(map(str, row)) + f",{'ab'[i % 2]}\n"
                          for i, row in enumerate(values.tolist()))
    return path


