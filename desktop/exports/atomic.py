"""Writing an export atomically: a temporary file beside the target, renamed into place when complete.

A failed or cancelled export leaves the target as it was (absent, or the previous version) and no
temporary file behind, so a reader never sees a half-written workbook or memo.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from desktop.domain.errors import DomainError


class ExportError(DomainError):
    """An export could not be written; the message is for the user (nothing was written)."""


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def temp_path_beside(path: Path) -> Path:
    """A hidden temporary name in the target's folder (same file system, so the rename is atomic)."""
    suffix = path.suffix  # some writers look at the extension
    return path.with_name(f".{path.stem}.{uuid.uuid4().hex[:12]}.tmp{suffix}")


@contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path to write to; on success it replaces `path`, on any error it is removed.

    Raises ExportError before anything is written when the folder does not exist or `path` is a folder.
    """
    path = Path(path)
    if path.is_dir():
        raise ExportError(f"{path} is a folder; choose a file name")
    if not path.parent.is_dir():
        raise ExportError(f"folder {path.parent} does not exist; nothing was written")
    temp = temp_path_beside(path)
    try:
        yield temp
        if not temp.exists():
            raise ExportError(f"nothing was produced for {path}")
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, path)
        _fsync_dir(path.parent)
    finally:
        if temp.exists():
            try:
                temp.unlink()
            except OSError:
                pass


def write_bytes_atomic(path: Path | str, data: bytes) -> None:
    with atomic_path(path) as temp:
        temp.write_bytes(data)


def sha256_file(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
