"""Errors the user can act on; every front end shows their message as it is, never a traceback."""


class DropvizError(Exception):
    """Base of every error whose message is meant for the user."""


class ConfigError(DropvizError):
    """A setting has a value the program cannot use."""


class DatasetError(DropvizError):
    """A dataset cannot be built or a data file cannot be used."""


class ExportError(DropvizError):
    """A run cannot be written to or read from disk."""


class TrainingDiverged(DropvizError):
    """The loss stopped being a finite number, usually because the learning rate is too high."""
