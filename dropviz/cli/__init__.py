"""The `dropviz` command line (cli/main.py): the window, headless training, and what extensions add.

`dropviz` alone opens the window; a command (train, resume RUN, sweep SPEC, presets, window) or
options alone (which mean train) work without one. `main.py --headless OPTIONS`, the form older
scripts use, is one more spelling of train: one parser reads every form, so each option works in
each. Courses script their figures and people train on servers with it, so every mistake in the
arguments or the data ends in one line on stderr and exit status 2, never a traceback; a run that
diverges exits with 1; Ctrl+C or SIGTERM stops it with one line and 130 or 143 (signals.py), the
--out folder holding the old run or the new one whole (session/out_folder.py).

Extensions: each module of EXTENSIONS has `add_arguments(parser) -> None`, which adds its options
to the one parser, and `run(args) -> int | None`, which does its work and returns the exit status,
or returns None when the arguments are not its business. They are asked in order after the
arguments are parsed and checked; when none takes them, a training run does. An extension must be
cheap to import (argparse and dropviz.model.config at most): `--help` builds the parser, so heavy
modules (PyTensor, numpy, the trainer) are imported inside its `run`. What it needs of the command
line: `dropviz.cli.errors` (UsageError) and `dropviz.cli.settings` (config_from_args). An error for
the user is a DropvizError (one line, exit 2). `dropviz sweep SPEC` reaches an extension as
`args.command == "sweep"` with `args.target == "SPEC"`; `resume RUN` fills `args.resume`.
"""
