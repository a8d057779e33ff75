"""The command line's one kind of error, in a module of its own: the parser, the settings and
every extension raise it, and none of them needs to import another to do so."""

from __future__ import annotations

from dropviz.model.errors import DropvizError


class UsageError(DropvizError):
    """The command line itself is wrong."""
