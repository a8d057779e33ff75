"""The lecture room on the command line: `--setup STRING` and `--export-animation FILE`.

`dropviz --setup STRING` opens the window on a setup a lecturer shared (see
session/setup_string.py); with `--headless`, or with any option of a training run, the setup is
trained without a window instead. `--export-animation FILE` trains the setup, a preset or any
config from step 0 and writes an animated GIF or MP4 of the window's views (or of one, `--view`),
a frame every `--frame-steps` steps, rendered offscreen: no display is needed. Both are an
extension of the command line (see dropviz/cli/__init__.py); Qt, PyTensor and imageio are
imported only when one of them runs.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from dropviz.cli.errors import UsageError

if TYPE_CHECKING:
    from dropviz.model.config import Config
    from dropviz.session.compare import CompareSpec
    from dropviz.session.setup_string import Setup
    from dropviz.ui.recording import Recorded

VIEW_NAMES = ("window", "decision", "network", "masks", "loss", "accuracy", "gap")
DEFAULT_FPS = 10  # as dropviz.ui.recording's, which this module must not import to say it


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--setup", metavar="STRING",
                        help="a setup copied in the window (dropviz:...): alone, open the window "
                             "on it; with --headless or other options, train it")
    parser.add_argument("--export-animation", metavar="FILE",
                        help="train from step 0 and write an animated .gif or .mp4 of the run, "
                             "rendered without a window")
    parser.add_argument("--frame-steps", type=int, metavar="K",
                        help="training steps per frame of --export-animation (default: about 100 "
                             "frames)")
    parser.add_argument("--view", choices=VIEW_NAMES, default="window",
                        help="what --export-animation shows: the window's views (default) or one")
    parser.add_argument("--fps", type=float, default=DEFAULT_FPS, metavar="N",
                        help=f"frames per second of --export-animation (default {DEFAULT_FPS})")


def run(args: argparse.Namespace) -> int | None:
    setup = _setup(args)
    if args.export_animation:
        return export_animation(args, setup)
    if args.frame_steps is not None or args.view != "window" or args.fps != DEFAULT_FPS:
        raise UsageError("--frame-steps, --view and --fps go with --export-animation FILE")
    if setup is None:
        return None
    if not getattr(args, "headless", False) and args.typed == {"setup"}:
        from dropviz.launch import open_window

        return open_window(setup)
    from dropviz.cli.training import run_training

    return run_training(args, _config(setup.config, args))


def _setup(args: argparse.Namespace) -> Setup | None:
    if not args.setup:
        return None
    given = (("--config", args.config), ("--preset", getattr(args, "preset", None)),
             ("--dataset", args.dataset), ("--csv", args.csv), ("--resume", args.resume))
    taken = [option for option, value in given if value]
    if taken:
        raise UsageError(f"--setup brings its own settings; it does not go with {taken[0]}")
    from dropviz.session.setup_string import decode_setup

    return decode_setup(args.setup)


def _config(config: Config, args: argparse.Namespace) -> Config:
    """A setup's config with the command line's --set and --steps on top, as for any config."""
    config = config.with_overrides(args.overrides)
    if args.steps is not None:
        config = config.with_overrides([f"steps={args.steps}"])
    return config


def _what_to_record(args: argparse.Namespace, setup: Setup | None) -> tuple[Config, CompareSpec | None]:
    """The config and the baseline: a setup's, a preset's (with its compare run), or the options'."""
    if setup is not None:
        return _config(setup.config, args), setup.compare
    from dropviz.cli.settings import config_from_args

    config = config_from_args(args)
    if getattr(args, "preset", None):
        from dropviz.api import preset
        from dropviz.session.compare import preset_spec

        return config, preset_spec(preset(args.preset))
    return config, None


def export_animation(args: argparse.Namespace, setup: Setup | None) -> int:
    """Train and record; prints where the animation went, its frames and its length."""
    if args.resume or getattr(args, "sweep", None):
        raise UsageError("--export-animation records a fresh run; it does not go with --resume "
                         "or --sweep")
    from dropviz.session.frames import check_frames, default_every
    from dropviz.ui.recording import animation_kind

    animation_kind(args.export_animation)  # a wrong suffix before any training
    config, spec = _what_to_record(args, setup)
    every = args.frame_steps if args.frame_steps is not None else default_every(config.steps)
    check_frames(config.steps, every)  # too many frames, before any training
    recorded = record_setup(config, spec, args.export_animation, every, args.view, args.fps,
                            progress=sys.stderr.isatty())
    spacing = "every step" if every == 1 else f"every {every} steps"
    print(f"wrote {recorded.path}: {recorded.frames} frames, step 0 to {config.steps} {spacing}, "
          f"{recorded.seconds:.1f} s at {args.fps:g} frames a second")
    return 0


def record_setup(config: Config, spec: CompareSpec | None, path: str, every: int,
                 view: str = "window", fps: float = DEFAULT_FPS, progress: bool = False,
                 size: tuple[int, int] | None = None) -> Recorded:
    """Train `config` (with the baseline `spec` alongside) from step 0 for its steps and record
    it, offscreen, frame by frame."""
    from tqdm import tqdm

    from dropviz.model.trainer import Trainer
    from dropviz.session.compare import compare_config
    from dropviz.session.frames import check_frames, frame_snapshots
    from dropviz.session.lockstep import Lockstep
    from dropviz.session.run import Run
    from dropviz.ui.recording import FRAME_SIZE, record
    from dropviz.ui.views.plot_export import offscreen_application

    offscreen_application()
    count = check_frames(config.steps, every)
    if sys.stderr.isatty():
        print("dropviz: building the network (the first time a shape is compiled takes up to a "
              "minute)...", file=sys.stderr)
    run = Run(Trainer(config))
    baseline = Run(Trainer(compare_config(config, spec))) if spec is not None else None
    pair = Lockstep(run, baseline)
    try:
        with tqdm(total=count, disable=not progress, unit="frame", leave=False,
                  file=sys.stderr) as bar:
            def advanced(done: int, total: int) -> None:
                bar.update(done - bar.n)

            return record(frame_snapshots(pair, config.steps, every), run.info("record"), path,
                          count, view, fps, size or FRAME_SIZE,
                          compare_label=spec.label if spec is not None else "",
                          progress=advanced)
    finally:
        run.close()
        if baseline is not None:
            baseline.close()

