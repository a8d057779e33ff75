"""Fuzzing the loaders for scripts/robustness_report.py: the strategies of tests/model/test_fuzz_*.py
(and tests/model/file_fuzzing.py) run with many more examples.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from robustness_processes import Mode

from dropviz.model.config import Config
from dropviz.model.trainer import NetworkPool


@dataclass
class Tally:
    cases: int = 0
    loaded: int = 0

    def count(self, loaded: bool) -> None:
        self.cases += 1
        self.loaded += bool(loaded)


def fuzz(name: str, examples: int, strategy: st.SearchStrategy,
         check: Callable[[object], bool]) -> tuple[str, Tally, bool]:
    """Run one strategy; any exception but the loaders' own errors is a failure."""
    tally = Tally()

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(value: object) -> None:
        tally.count(check(value))

    try:
        run()
    except Exception as error:  # a failing example: report it, as the test suite would
        print(f"FAILED {name}: {type(error).__name__}: {error}", file=sys.stderr)
        return name, tally, False
    return name, tally, True


def fuzz_csv(mode: Mode, folder: Path) -> list[tuple[str, Tally, bool]]:
    import test_fuzz_csv as t

    path = folder / "fuzz.csv"
    results = [
        fuzz("CSV: generated tables (headers, quoting, delimiters, NaN/inf, 1e308, classes)",
             mode.fuzz_examples, t.csv_files(), lambda data: t.load_or_refuse(path, data) is not None),
        fuzz("CSV: random bytes and CSV-like byte soup", mode.fuzz_examples,
             st.binary(max_size=2000) | t.csv_like_bytes,
             lambda data: t.load_or_refuse(path, data) is not None),
    ]
    data = t.RICH.encode("utf-8")
    tally = Tally()
    for end in range(len(data) + 1):
        tally.count(t.load_or_refuse(path, data[:end]) is not None)
    results.append(("CSV: every truncation of a valid file (BOM, quoted newlines, UTF-8)", tally,
                    True))
    return results


def fuzz_settings(mode: Mode) -> list[tuple[str, Tally, bool]]:
    """Settings as files and --set carry them: a Config or one ConfigError, nothing else."""
    import test_fuzz_config as t

    def from_file(case: tuple) -> bool:
        return t.read_or_refuse(Config.from_dict, t.settings_with(*case)) is not None

    def from_set(case: tuple) -> bool:
        return t.read_or_refuse(Config().with_overrides, [f"{case[0]}={case[1]}"]) is not None

    keys = st.sampled_from(t.KEYS)
    return [
        fuzz("settings: any value (5000-digit integers, nesting) at any key of a file",
             mode.fuzz_examples, st.tuples(keys, t.any_values), from_file),
        fuzz("settings: any text after --set KEY=", mode.fuzz_examples, st.tuples(keys, t.texts),
             from_set),
    ]


def fuzz_files(mode: Mode, folder: Path) -> list[tuple[str, Tally, bool]]:
    import file_fuzzing as t

    pool = NetworkPool()
    saved = t.save_samples(pool, folder)
    work = saved["work"]

    def array_changes(contents: dict) -> st.SearchStrategy:
        @st.composite
        def changed(draw: st.DrawFn) -> dict:
            result = dict(contents)
            key = draw(st.sampled_from(sorted(result)))
            if draw(st.booleans()):
                del result[key]
            else:
                result[key] = draw(t.arrays(result[key]))
            return result
        return changed()

    def json_changes(value: dict, paths: list) -> st.SearchStrategy:
        @st.composite
        def changed(draw: st.DrawFn) -> dict:
            path = draw(st.sampled_from(paths))
            return t.mutated(value, path, draw(t.json_values), draw(st.booleans()) and bool(path))
        return changed()

    def flipped(flips: list) -> bytes:
        data = bytearray(saved["bytes"])
        for where, value in flips:
            data[int(where * len(data))] = value
        return bytes(data)

    flips = st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)),
                     min_size=1, max_size=4)
    experiment, meta = work / "fuzz.dropviz", saved["meta"]
    n = mode.fuzz_examples
    results = [
        fuzz("experiment: random bytes", n, st.binary(max_size=4000),
             lambda data: t.open_or_refuse(experiment, data, pool)),
        fuzz("experiment: flipped bytes", n, flips,
             lambda value: t.open_or_refuse(experiment, flipped(value), pool)),
        fuzz("experiment: arrays of wrong dtype, shape or values, or missing", n,
             array_changes(saved["arrays"]),
             lambda contents: t.open_or_refuse(experiment, t.npz_bytes(contents), pool)),
        fuzz("experiment: any JSON value at any path of its description, or deleted", n,
             json_changes(meta, t.meta_paths(meta, architecture=True)),
             lambda changed: t.open_or_refuse(
                 experiment, t.npz_bytes({**saved["arrays"], "meta": t.meta_array(changed)}), pool)),
        fuzz("weights: random bytes as weights.npz", n, st.binary(max_size=3000),
             lambda data: t.read_or_refuse(work / "random", saved["model"], data)),
        fuzz("weights: arrays of wrong dtype, shape or values, or missing", n,
             array_changes(saved["weights"]),
             lambda contents: t.read_or_refuse(work / "arrays", saved["model"],
                                               t.npz_bytes(contents))),
        fuzz("weights: any JSON value at any path of model.json, or deleted", n,
             json_changes(saved["model"], t.paths_in(saved["model"])),
             lambda changed: t.read_or_refuse(work / "json", changed, saved["weights_bytes"])),
    ]
    for label, data, check in (
        ("experiment: truncated at every 1/300 of its length", saved["bytes"],
         lambda cut: t.open_or_refuse(experiment, cut, pool)),
        ("weights: truncated at every 1/300 of its length", saved["weights_bytes"],
         lambda cut: t.read_or_refuse(work / "cut", saved["model"], cut)),
    ):
        tally = Tally()
        for end in range(0, len(data), max(1, len(data) // 300)):
            tally.count(check(data[:end]))
        results.append((label, tally, tally.loaded == 0))
    return results
