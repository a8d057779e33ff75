"""The config a command line asks for, from its files and options; cheap to import."""

from __future__ import annotations

import argparse
from dataclasses import replace

from dropviz.cli.options import UsageError
from dropviz.model.config import CSV_DATASET, Config, DatasetConfig


def config_from_args(args: argparse.Namespace) -> Config:
    """The config file, then --dataset/--csv, then each --set, then --steps: later wins."""
    config = Config.load(args.config) if args.config else Config()
    if args.label and not args.csv:
        raise UsageError("--label goes with --csv")
    if args.dataset:
        config = replace(config, dataset=replace(config.dataset, name=args.dataset))
    if args.csv:
        config = replace(config, dataset=DatasetConfig(
            name=CSV_DATASET, train_fraction=config.dataset.train_fraction,
            csv_path=args.csv, label_column=args.label))
    config = config.with_overrides(args.overrides)
    if args.steps is not None:
        config = config.with_overrides([f"steps={args.steps}"])
    return config
