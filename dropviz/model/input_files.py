"""Opening the files a user names as regular files only, and reading at most so many bytes of them.

A path can name a FIFO, whose open() waits for a writer that never comes, or a device such as
/dev/zero, which reports a size of 0 and never ends: a reader that trusts stat's size fills the
memory in seconds. So a path is opened without blocking, checked to be a regular file on the open
descriptor (a check of the path before opening could be raced), and read with a hard limit that
counts the bytes actually read. CSV files, settings files and .npz archives (experiments, weights,
the dataset cache) are read through here.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from dropviz.model.errors import DropvizError

# Opening a FIFO for reading blocks until a writer opens it, unless it is opened non-blocking.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) \
    | getattr(os, "O_BINARY", 0)
READ_CHUNK = 2**20


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "something other than a file"


def _refusal(path: Path, mode: int, what: str) -> str:
    return f"{path} is {_kind(mode)}, not {what}; dropviz reads only regular files"


def require_path(path: str | Path, what: str, error: type[DropvizError]) -> None:
    """Path("") is ".", the current folder: an empty path must be refused as such."""
    if isinstance(path, str) and not path.strip():
        raise error(f"no file given: expected the path of {what}")


def check_regular_file(path: str | Path, what: str, error: type[DropvizError],
                       limit: int | None = None) -> None:
    """Refuse up front a path that is missing, not a regular file, or reported larger than
    `limit` bytes, without opening it.

    For the window's dialogs, which must answer at once, and for readers that are not ours; the
    readers here check again on the open file.
    """
    require_path(path, what, error)
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise error(f"file not found: {path}") from None
    except (OSError, ValueError) as problem:
        raise error(f"cannot read {path}: {_reason(problem)}") from None
    if not stat.S_ISREG(mode):
        raise error(_refusal(path, mode, what))
    size = path.stat().st_size
    if limit is not None and size > limit:
        raise error(f"{path.name} is {size / 2**20:.1f} MB; {what} is at most {_size(limit)}")


def open_input(path: str | Path, what: str, error: type[DropvizError]) -> BinaryIO:
    """The file opened for binary reading, or `error` saying why it cannot be; `what` names what
    the file should be ("a CSV file"), for the message. The caller closes the file."""
    require_path(path, what, error)
    path = Path(path)
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise error(f"file not found: {path}") from None
    except IsADirectoryError:
        raise error(f"{path} is a folder, not {what}") from None
    except (OSError, ValueError) as problem:  # ValueError: a NUL character in the path
        raise error(f"cannot read {path}: {_reason(problem)}") from None
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise error(_refusal(path, mode, what))
        os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def read_input(path: str | Path, what: str, files: str, limit: int,
               error: type[DropvizError], *, head: int | None = None) -> bytes:
    """The file's bytes, or `error` when it holds more than `limit`; `head` asks for that many
    bytes from the start only. `files` names the kind in the plural ("CSV files"), for the message.

    The size the file system reports refuses a large file at once, before a byte is read; the
    limit then counts the bytes read, because a file can grow, and some report a size of 0.
    """
    require_path(path, what, error)
    path = Path(path)
    with open_input(path, what, error) as stream:
        size = os.fstat(stream.fileno()).st_size
        if size > limit:
            raise error(f"{path.name} is {size / 2**20:.1f} MB; dropviz loads {files} of at most "
                        f"{_size(limit)}")
        try:
            data = _read_up_to(stream, limit + 1 if head is None else min(head, limit + 1), size)
        except OSError as problem:
            raise error(f"cannot read {path}: {_reason(problem)}") from None
    if len(data) > limit:
        raise error(f"{path.name} is larger than {_size(limit)}; dropviz loads {files} of at most "
                    f"{_size(limit)}")
    return data


def _read_up_to(stream: BinaryIO, count: int, size: int) -> bytes:
    """At most `count` bytes. read(count) would allocate all of `count` at once, so the first read
    asks for the reported size (and one byte more, to see the end); a file longer than it said is
    then read on in chunks."""
    chunks = [stream.read(min(count, size + 1))]
    total = len(chunks[0])
    while total < count and chunks[-1]:
        chunks.append(stream.read(min(count - total, READ_CHUNK)))
        total += len(chunks[-1])
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _size(limit: int) -> str:
    return f"{limit / 2**20:.0f} MB" if limit >= 2**20 else f"{limit:,} bytes"


def _reason(problem: Exception) -> str:
    return problem.strerror if isinstance(problem, OSError) and problem.strerror else str(problem)
