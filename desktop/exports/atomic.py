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
    remove_stale_temps(path)
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


STALE_TEMP_SECONDS = 15 * 60  # an export still writing its temporary file is younger than this


def remove_stale_temps(path: Path, now: float | None = None) -> int:
    """Remove temporary files a killed export of `path` left beside it (older than STALE_TEMP_SECONDS, so
    another export writing right now keeps its own); returns how many."""
    import re
    import time
    pattern = re.compile(rf"^\.{re.escape(path.stem)}\.[0-9a-f]{{12}}\.tmp{re.escape(path.suffix)}$")
    now = time.time() if now is None else now
    removed = 0
    try:
        candidates = list(path.parent.glob(f".{path.stem}.*.tmp{path.suffix}"))
    except OSError:
        return 0
    for candidate in candidates:
        try:
            info = candidate.lstat()
            if pattern.match(candidate.name) and now - info.st_mtime > STALE_TEMP_SECONDS:
                candidate.unlink()
                removed += 1
        except OSError:
            pass
    return removed


def write_bytes_atomic(path: Path | str, data: bytes) -> None:
    with atomic_path(path) as temp:
        temp.write_bytes(data)


def sha256_file(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
