"""Measure how the dropviz window holds up and write the figures to docs/robustness-window.md.

    .venv/bin/python scripts/window_soak.py           # full: 3-minute soak, 200,000 steps, ~15 min
    .venv/bin/python scripts/window_soak.py --quick   # a few minutes: the same checks, smaller

Four parts, each a check as well as a figure, so the script exits 1 if any of them fails; each
window part runs in a fresh process, so the memory it reports is its own:
- a soak: the random user actions of tests/ui/test_soak.py for minutes instead of seconds, with
  its checkpoints (the run shown is the run the controls describe, replayed headlessly);
- a long run: the window, offscreen, playing at its top speed, its memory read every N steps;
- closing the window in the middle of a compile, training, a sweep and an export;
- the program itself (main.py's entry point) sent SIGTERM or SIGINT at those same moments.
It writes a section of its own, not a part of docs/robustness.md, because
scripts/robustness_report.py rewrites that file whole.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts"), str(ROOT / "tests" / "ui")]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from child_runs import rss_mb  # noqa: E402
from window_closing import close_child, closing  # noqa: E402
from window_long_run import long_child, long_run  # noqa: E402
from window_processes import (  # noqa: E402
    FULL,
    QUICK,
    Mode,
    emit,
    open_window,
    run_child,
    window_app,
)

DOC = ROOT / "docs" / "robustness-window.md"


# --- the soak ----------------------------------------------------------------------------------

def soak_child(seconds: float, seed: int) -> None:
    from soak_checks import Caught, folder_problems
    from soak_driver import Soak, run_and_close
    from ui_helpers import SMALL

    from dropviz.model.trainer import NetworkPool

    with tempfile.TemporaryDirectory() as temporary:
        window_app(Path(temporary))
        folder = Path(temporary) / "files"  # the soak's exports and saves; settings stay apart
        folder.mkdir()
        pool = NetworkPool()
        failure = ""
        with Caught() as caught:
            window = open_window(SMALL, pool)
            start_rss = rss_mb()
            soak = Soak(window, pool, seed, folder)
            started = time.perf_counter()
            try:
                run_and_close(soak, 10**9, seconds)
            except AssertionError as error:
                failure = str(error)[:3000]
                window.close()
            elapsed = time.perf_counter() - started
        exported = sum(text.startswith("Exported the run") for _, text in soak.log.banners)
        emit(actions=dict(soak.done.most_common()), checks=dict(soak.checks), runs=soak.log.runs,
             snapshots=soak.log.snapshots, exports=exported, export_asked=len(soak.exports),
             saved=len(soak.saved), file_problems=folder_problems(folder),
             errors=caught.errors[:5],
             banners=sorted({text[:90] for kind, text in soak.log.banners if kind == "error"}),
             networks=sum(len(free) for free in pool._free.values()), shapes=len(pool._free),
             failure=failure, seconds=elapsed, start_rss_mb=start_rss, end_rss_mb=rss_mb())


def soak(mode: Mode, seed: int) -> tuple[list[str], bool]:
    from soak_driver import CHECK_EVERY, MAX_GAP_MS, REPLAY_RTOL, Z_LIMIT

    result = run_child("--soak-child", str(mode.soak_seconds), str(seed))[0]
    actions = result["actions"]
    ok = not (result["failure"] or result["errors"] or result["file_problems"])
    checks = result["checks"]
    rows = "\n".join(f"| {name} | {count:,} |" for name, count in actions.items())
    text = [
        f"Seeded random user actions (seed {seed}) on a window training the small config of the "
        f"window tests, for {result['seconds']:.0f} s, each followed by a random pause of up to "
        f"{MAX_GAP_MS} ms; every {CHECK_EVERY} actions, and at the end, a checkpoint waits for "
        "the worker to take in every request, pauses, takes one step and compares.",
        "",
        "| action | times |",
        "| --- | ---: |",
        rows,
        f"| **total** | **{sum(actions.values()):,}** |",
        "",
        f"- {result['runs']:,} runs started and {result['snapshots']:,} snapshots received, each "
        "checked as it arrived (the step never goes back within a run, a new run starts at step "
        "0, the config is of the run started, the masks are of its layers)",
        f"- {checks.get('checkpoints', 0)} checkpoints: the snapshot's config equals the "
        "controls' (and the widgets read back give the same config), the speed and the compare "
        f"toggle agree with the worker; {checks.get('runs replayed headlessly', 0)} runs replayed "
        "headlessly from their start and live changes gave the same masks bit for bit, and the "
        f"same weights and evaluation: {checks.get('runs replayed bit for bit', 0)} of them bit "
        f"for bit, the others within {REPLAY_RTOL:g} (see the last point); "
        f"{checks.get('layers with a plausible dropped share', 0)} layers had enough mask draws "
        f"to compare their dropped share with the rate shown (within {Z_LIMIT:g} sigma)",
        f"- files: {result['export_asked']} exports asked for, {result['exports']} written whole "
        f"(plots included), {result['saved']} experiments saved; files in the folder that did "
        f"not open whole, or `.part` files: {len(result['file_problems'])}",
        "- error banners: " + ("; ".join(result["banners"]) or "none")
        + " (the only ones allowed: an export, a save or an open refused while a new run is "
        "being built)",
        f"- exceptions anywhere (GUI, worker, daemon threads): {len(result['errors'])}; "
        f"memory {result['start_rss_mb']:.0f} MB at the start, {result['end_rss_mb']:.0f} MB at "
        f"the end, most of the difference the {result['networks']} compiled networks of "
        f"{result['shapes']} shapes the pool keeps for reuse: **{'ok' if ok else 'FAILED'}**",
        "- a replay that differs in the last bits: OpenBLAS's thread count is one for the whole "
        "process, and `call_with_blas_threads` (dropviz/model/backend.py) sets it without a lock, "
        "so a product of the worker's that runs while a build or job thread sets it can run on "
        "two threads, which rounds differently; training is then not reproducible to the bit",
    ]
    if result["failure"]:
        text.append(f"- failure: `{result['failure'].splitlines()[0]}`")
    return text, ok


# --- the report ----------------------------------------------------------------------------------

def report(mode: Mode, seed: int) -> tuple[str, bool]:
    started = time.perf_counter()
    soak_text, soak_ok = soak(mode, seed)
    long_text, long_ok = long_run(mode)
    close_text, close_ok = closing(mode)
    lines = [
        "# Robustness of the window",
        "",
        "Produced by `scripts/window_soak.py" + (" --quick" if mode is QUICK else "")
        + f"` in {time.perf_counter() - started:,.0f} s on the offscreen platform; re-run it to "
        "refresh every figure. `tests/ui/test_soak.py` runs the same soak for about 200 actions, "
        "the same closing moments and the program's SIGTERM and SIGINT while training. The model "
        "side (a headless long run, fuzzed loaders, kills mid-write) is in "
        "[robustness.md](robustness.md).",
        "",
        "## Random user actions",
        "",
        *soak_text,
        "",
        "## A long run in the window",
        "",
        *long_text,
        "",
        "## Closing at any moment",
        "",
        *close_text,
        "",
    ]
    return "\n".join(lines), soak_ok and long_ok and close_ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a 30 s soak and 20,000 steps")
    parser.add_argument("--seed", type=int, default=1, help="of the soak's random actions")
    parser.add_argument("--out", type=Path, help=f"where to write the report (full mode: {DOC})")
    parser.add_argument("--soak-child", nargs=2, metavar=("SECONDS", "SEED"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--long-child", nargs=3, metavar=("STEPS", "EVERY", "SECONDS"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--close-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.soak_child:
        soak_child(float(args.soak_child[0]), int(args.soak_child[1]))
        return 0
    if args.long_child:
        long_child(int(args.long_child[0]), int(args.long_child[1]), float(args.long_child[2]))
        return 0
    if args.close_child:
        close_child()
        return 0
    from dropviz.model.files import write_text_atomic

    mode = QUICK if args.quick else FULL
    text, ok = report(mode, args.seed)
    print(text)
    out = args.out or (None if args.quick else DOC)
    if out:
        write_text_atomic(out, text)
    if not ok:
        print("window robustness checks FAILED; see above", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
