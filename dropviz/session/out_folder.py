"""An output folder claimed for a whole run, and a run's files put into it together or not at all.

A run's files (config, metrics, weights, experiment, ...) describe one run only if they were
written together. Written one by one into the folder, a full disk, a kill or a second run writing
into the same folder leaves some files of one run beside some of another, and nothing tells the
reader so. Here:

- `claim` checks before any training that the folder is a folder this process can create and
  write (a file, a device, a path under a file or a read-only folder is refused with one line,
  rather than after hours of training), and locks it with a lock file (`flock`, which the system
  releases when the process dies, so a killed run never leaves a stale lock). A second dropviz run
  or export into the same folder is refused while the first holds it.
- `OutFolder.write` has the files written into a fresh hidden folder inside it, and only once all
  are complete moves them over the old ones (renames in one folder: no space needed, each one
  atomic), with SIGINT and SIGTERM held back meanwhile; a failure while moving puts the old files
  back. A failure or an interrupt while writing leaves the old files untouched and no temporary
  file behind.

A folder this process has claimed is written through its claim (`claimed`), so the command line
can hold it from before training until its last file, and an export of the window or the API
claims it just for its writing.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from dropviz.model.errors import ExportError

try:
    import fcntl
except ImportError:  # Windows: no flock; the folder is then checked but not locked
    fcntl = None

LOCK_FILE = ".dropviz.lock"
STAGING_PREFIX = ".dropviz-new-"
BACKUP_PREFIX = ".dropviz-old-"
HELD_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM") if hasattr(signal, name))

_claims: dict[Path, OutFolder] = {}  # the folders this process holds, by resolved path
_claims_lock = threading.Lock()


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def check_creatable(folder: Path) -> None:
    """Refuse what cannot become a folder of files: a file, a device, a path under a file."""
    if folder.exists() and not folder.is_dir():
        kind = "a file" if folder.is_file() else "not a regular folder (a device or a pipe)"
        raise ExportError(f"{folder} is {kind}; give a folder for the run's files")
    for parent in folder.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ExportError(f"cannot create {folder}: {parent} is a file, not a folder")
            return


class OutFolder:
    """A folder held by this process until `release`: see the module's docstring."""

    def __init__(self, path: Path, created: bool, lock: int | None) -> None:
        self.path = path
        self._created = created
        self._lock = lock

    @classmethod
    def claim(cls, path: str | Path) -> OutFolder:
        """Create `path` if need be, check it is writable, and lock it; ExportError if not."""
        folder = Path(path)
        check_creatable(folder)
        created = not folder.exists()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ExportError(f"cannot create {folder}: {_reason(error)}") from None
        try:
            lock = _lock(folder)
        except BaseException:
            if created:
                with contextlib.suppress(OSError):
                    folder.rmdir()
            raise
        claimed = cls(folder, created, lock)
        claimed._remove_leftovers()
        return claimed

    def _remove_leftovers(self) -> None:
        """The hidden folders of a run killed while writing here; no one else can be using them
        while this process holds the lock."""
        for entry in self.path.iterdir():
            if entry.name.startswith((STAGING_PREFIX, BACKUP_PREFIX)) and entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)

    def write(self, fill: Callable[[Path], list[Path]], replaces: Iterable[str] = ()) -> list[Path]:
        """Have `fill(staging)` write the new files into an empty hidden folder and return their
        paths, then move them all in; the files named in `replaces` that the new set lacks are
        removed (an old run's). Returns the new files' paths here, in the order `fill` gave."""
        try:
            staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.path))
        except OSError as error:
            raise ExportError(f"cannot write into {self.path}: {_reason(error)}") from None
        try:
            written = [path.name for path in fill(staging)]
            names = sorted(entry.name for entry in staging.iterdir())
            for name in names:
                _sync(staging / name)
            with _signals_held():
                self._move_in(staging, names, [n for n in replaces if n not in names])
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return [self.path / name for name in written]

    def _move_in(self, staging: Path, names: list[str], stale: list[str]) -> None:
        """Rename the staged files over the old ones; on a failure, put the old ones back."""
        try:
            backup = Path(tempfile.mkdtemp(prefix=BACKUP_PREFIX, dir=self.path))
        except OSError as error:
            raise ExportError(f"cannot write into {self.path}: {_reason(error)}") from None
        try:
            kept = [name for name in (*names, *stale) if _link(self.path / name, backup / name)]
            moved: list[str] = []
            try:
                for name in names:
                    os.replace(staging / name, self.path / name)
                    moved.append(name)
                for name in stale:
                    (self.path / name).unlink(missing_ok=True)
            except OSError as error:
                for name in moved:
                    (self.path / name).unlink(missing_ok=True)
                for name in kept:
                    os.replace(backup / name, self.path / name)
                raise ExportError(f"cannot write into {self.path}: {_reason(error)}; the files "
                                  "there were left as they were") from None
            _sync(self.path)
        finally:
            shutil.rmtree(backup, ignore_errors=True)

    def release(self) -> None:
        """Unlock; a folder this claim created and nothing was written into is removed again."""
        if self._lock is not None:
            with contextlib.suppress(OSError):
                (self.path / LOCK_FILE).unlink()
            os.close(self._lock)
            self._lock = None
        if self._created:
            with contextlib.suppress(OSError):
                self.path.rmdir()  # only if empty


def _lock(folder: Path) -> int | None:
    """The descriptor of the folder's lock file, locked; ExportError if another process holds it.

    The lock file is removed on release, so a process that opened it just before may lock a file
    no longer in the folder: the lock counts only if the file locked is still the one there.
    """
    path = folder / LOCK_FILE
    while True:
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise ExportError(f"cannot write into {folder}: {_reason(error)}") from None
        if fcntl is None:
            return descriptor
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES):
                return descriptor  # a file system without locks (some network ones): unlocked
            os.close(descriptor)
            raise ExportError(f"another dropviz run is writing into {folder}; wait for it to "
                              "finish or choose another folder") from None
        try:
            same = os.stat(path).st_ino == os.fstat(descriptor).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return descriptor
        os.close(descriptor)


def _link(source: Path, target: Path) -> bool:
    """A hard link to an old file, to put it back if the move fails (no space, no copy); False
    when there is no old file, or the file system has no hard links."""
    try:
        os.link(source, target)
    except OSError:
        return False
    return True


def _sync(path: Path) -> None:
    """Flush a file (or a folder's entries) to the disk; a system that cannot, does without."""
    with contextlib.suppress(OSError):
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block ends, and are raised again then: renaming a run's
    files takes milliseconds, and stopping halfway would leave two runs' files mixed.

    Python runs signal handlers in the main thread only, and only there may they be changed; a
    signal mask would not do, since any of the process's threads (BLAS's, Dask's) takes the
    signal when the main thread blocks it.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = {signum: signal.signal(signum, lambda number, _frame: held.append(number))
                for signum in HELD_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        for signum in dict.fromkeys(held):
            signal.raise_signal(signum)


@contextlib.contextmanager
def claimed(path: str | Path) -> Iterator[OutFolder]:
    """The folder as this process holds it: its existing claim, or one for the block."""
    key = Path(path).resolve()
    with _claims_lock:
        held = _claims.get(key)
        if held is None:
            held = _claims[key] = OutFolder.claim(path)
            owner = True
        else:
            owner = False
    try:
        yield held
    finally:
        if owner:
            with _claims_lock:
                _claims.pop(key, None)
            held.release()
