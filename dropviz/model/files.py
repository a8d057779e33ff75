"""Writing files whole or not at all, and reading archives without trusting them.

Every file dropviz writes goes to a temporary name in the same folder and is renamed over the real
name only once it is complete, so a crash or a full disk never leaves a half-written file behind.
"""

from __future__ import annotations

import io
import math
import os
import tempfile
import zipfile
from pathlib import Path
from typing import BinaryIO

import numpy as np

from dropviz.model.errors import ExportError
from dropviz.model.input_files import open_input, require_path

FILE_MODE = 0o644  # what open() would give under the usual umask; mkstemp alone gives 0o600
# dropviz writes .npz archives uncompressed; a compressed one may unpack to this many times its size
# (plus a megabyte) before it is taken for a zip bomb.
MAX_NPZ_EXPANSION = 16
# Far above any run's file (an experiment with 32 MB of curve history is 35 MB), and checked on the
# open file before a byte is read.
MAX_NPZ_BYTES = 2 * 2**30


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as error:
        raise ExportError(f"cannot write {path}: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise ExportError(f"cannot write {path}: {error.strerror or error}") from None
    except BaseException:  # an interrupt (Ctrl+C) leaves no .part behind either
        Path(temporary).unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def write_npz_atomic(path: str | Path, arrays: dict[str, np.ndarray]) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    write_bytes_atomic(path, buffer.getvalue())


def read_npz(path: str | Path, what: str,
             limits: dict[str, int] | None = None) -> dict[str, np.ndarray]:
    """Every array of an .npz archive, or an ExportError naming the file and what is wrong with it.

    np.load trusts its input: a damaged archive raises any of a dozen exception types, an array
    header can ask for terabytes before a byte of data is read, and a small compressed member can
    unpack to gigabytes. Here every size is checked against the file before it is allocated, so
    memory stays within a small multiple of the file's size, and pickled objects are never loaded.
    Only a regular file is opened (see input_files.py): a FIFO would block and a device never end.
    `what` says what the file should have been, for the message; `limits` bounds the size of
    named members, checked from the archive's directory before any member is read.
    """
    require_path(path, what, ExportError)
    path = Path(path)
    with open_input(path, what, ExportError) as stream:
        size = os.fstat(stream.fileno()).st_size
        if size > MAX_NPZ_BYTES:
            raise ExportError(f"{path.name} is {size / 2**30:.1f} GB; dropviz opens files of at "
                              f"most {MAX_NPZ_BYTES / 2**30:.0f} GB")
        try:
            return _read_members(stream, size, limits or {})
        except MemoryError:
            raise ExportError(f"{path.name} is too large to load into memory") from None
        except Exception as error:  # zipfile, zlib and numpy each raise their own types on bad bytes
            reason = error.strerror if isinstance(error, OSError) and error.strerror else error
            raise ExportError(f"{path.name} is damaged or not {what} ({reason})") from None


def _read_members(stream: BinaryIO, size: int, limits: dict[str, int]) -> dict[str, np.ndarray]:
    with zipfile.ZipFile(stream) as archive:
        members = archive.infolist()
        unpacked = sum(info.file_size for info in members)
        if unpacked > MAX_NPZ_EXPANSION * size + 2**20:
            raise ValueError(f"its arrays would unpack to {unpacked:,} bytes from {size:,}")
        for info in members:
            name = info.filename.removesuffix(".npy")
            if name in limits and info.file_size > limits[name] + 2**12:  # + its .npy header
                raise ValueError(f"its {name} array is {info.file_size / 2**20:.0f} MB; dropviz writes "
                                 f"at most {limits[name] / 2**20:.0f} MB there")
        return {info.filename.removesuffix(".npy"): _read_member(archive, info) for info in members}


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    """Check the .npy header before numpy allocates the array it describes."""
    with archive.open(info) as stream:
        version = np.lib.format.read_magic(stream)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f"{info.filename} is in .npy format {version}, which dropviz never writes")
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                       else np.lib.format.read_array_header_2_0)
        shape, _, dtype = read_header(stream)
    if dtype.hasobject:
        raise ValueError(f"{info.filename} holds Python objects, which are never loaded "
                         "(unpickling them could run any code)")
    if math.prod(shape) * dtype.itemsize > info.file_size:
        raise ValueError(f"{info.filename} claims a {dtype} array of shape {shape} "
                         f"but holds {info.file_size:,} bytes")
    with archive.open(info) as stream:
        return np.lib.format.read_array(stream, allow_pickle=False)
