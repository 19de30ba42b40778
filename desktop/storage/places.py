"""Read-only places and file modes: where a workbook can be written, and keeping a file's mode on save.

A workbook on a read-only share, in a read-only folder or with a read-only file mode opens read-only; the
app never tries to write there (no lock file, no journal) and says so in one sentence. The mode bits count
even for a user the OS would let write anyway (an administrator): a file marked read-only stays unchanged.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_FILE_MODE = 0o600  # working copies and their sidecars (the recovery folder is 0700, see desktop.paths)


def _no_write_bits(mode: int) -> bool:
    return not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def read_only_reason(workbook: Path) -> str | None:
    """Why `workbook` (existing or not) cannot be written where it is, or None when it can."""
    workbook = Path(workbook)
    folder = workbook.parent if str(workbook.parent) else Path(".")
    try:
        info = os.stat(workbook)
    except FileNotFoundError:
        info = None
    except OSError:
        return None  # not ours to judge here; opening reports it
    if info is not None and stat.S_ISREG(info.st_mode):
        if _no_write_bits(info.st_mode) or not os.access(workbook, os.W_OK):
            return f"{workbook.name} is a read-only file"
    try:
        folder_info = os.stat(folder)
    except OSError:
        return None
    if _no_write_bits(folder_info.st_mode) or not os.access(folder, os.W_OK | os.X_OK):
        return f"the folder {folder} is read-only"
    if _read_only_mount(folder):
        return f"the folder {folder} is on a read-only file system"
    return None


def _read_only_mount(folder: Path) -> bool:
    statvfs = getattr(os, "statvfs", None)
    if statvfs is None:
        return False
    try:
        return bool(statvfs(folder).f_flag & getattr(os, "ST_RDONLY", 1))
    except OSError:
        return False


def file_mode(path: Path) -> int | None:
    """The permission bits of an existing regular file (None when there is none)."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return stat.S_IMODE(info.st_mode) if stat.S_ISREG(info.st_mode) else None
