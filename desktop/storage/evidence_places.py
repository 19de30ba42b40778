"""Where evidence may be read from without asking: the workbook's folder, and folders the officer chose.

A received workbook records evidence paths its sender wrote: `../../../etc/passwd`, `/proc/self/environ`,
a link to `/etc/shadow`, `\\\\host\\share\\x` (Windows would authenticate to that host). Hashing such a file
and showing "unchanged" or "changed" tells the sender whether a file of their choice exists here and what
it holds. So a recorded path is read only when it resolves (links followed) to a regular file inside the
workbook's folder, inside a folder the officer attached a file from in this session, or when the officer
confirmed that very path once (opening it from the gate page). Remote and device paths never are.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath

_trusted_folders: set[Path] = set()
_confirmed_files: set[Path] = set()
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:(//|\\\\)")
_DEVICE_ROOTS = tuple(Path(p) for p in ("/proc", "/sys", "/dev", "/run")) if os.name == "posix" else ()


def is_remote_or_device(recorded: str) -> bool:
    """A URL, a UNC or device path (`\\\\host\\share`, `//host/share`, `\\\\.\\`, `\\\\?\\`), or a NUL byte."""
    if "\x00" in recorded or _URL.match(recorded):
        return True
    if recorded.startswith(("\\\\", "//")):
        return True
    windows = PureWindowsPath(recorded)
    return bool(windows.drive) and windows.drive.startswith("\\\\")


def _resolved(path: PurePath) -> Path | None:
    try:
        return Path(path).resolve(strict=True)
    except (OSError, RuntimeError):
        return None


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def confined(recorded: str, workbook_folder: Path | None) -> bool:
    """Whether the app may read `recorded` (see the module's rules). A missing file counts as confined when
    its path stays inside an allowed folder, so it can be reported missing."""
    if is_remote_or_device(recorded):
        return False
    from desktop.domain import evidence as rules
    relative = rules.is_relative(recorded)
    if relative and workbook_folder is None:
        return True  # nothing to read: the workbook has no folder yet, so the file is reported missing
    if relative:
        parts = PurePosixPath(recorded.replace("\\", "/")).parts
        if ".." in parts:
            return False
        target = Path(workbook_folder).joinpath(*parts)
    else:
        target = Path(recorded)
    folders = set(_trusted_folders)
    if workbook_folder is not None:
        folders.add(Path(workbook_folder).resolve())
    where = _resolved(target)
    if where is None:  # not there: allowed only if the path, as written, stays in an allowed folder
        literal = Path(os.path.abspath(target))
        return any(_inside(literal, folder) for folder in folders)
    if any(_inside(where, root) for root in _DEVICE_ROOTS):
        return False
    try:
        if not stat.S_ISREG(os.stat(where).st_mode):
            return False  # a FIFO or device would block or never end; a folder is not evidence
    except OSError:
        return False
    return where in _confirmed_files or any(_inside(where, folder) for folder in folders)


def trust_folder(folder: Path) -> None:
    """The officer attached a file from `folder` in this session: files there may be checked."""
    resolved = _resolved(Path(folder))
    if resolved is not None:
        _trusted_folders.add(resolved)


def confirm(path: Path) -> bool:
    """The officer confirmed this path once (it is then checked like a file in the workbook's folder).

    Refused (False) for remote and device paths and anything that is not a regular file."""
    if is_remote_or_device(str(path)):
        return False
    where = _resolved(Path(path))
    if where is None or any(_inside(where, root) for root in _DEVICE_ROOTS):
        return False
    try:
        if not stat.S_ISREG(os.stat(where).st_mode):
            return False
    except OSError:
        return False
    _confirmed_files.add(where)
    return True


def forget_session() -> None:
    """Drop what the officer allowed in this session (tests; a new app session starts empty)."""
    _trusted_folders.clear()
    _confirmed_files.clear()
