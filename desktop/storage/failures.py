"""Storage failures the officer can act on, in one sentence each (instead of an internal error).

A full disk, a read-only file or folder and an oversized value in a received file are conditions of the
user's machine or file, not bugs: the CLI reports them as refusals (exit 1) and the GUI in a message.
"""

from __future__ import annotations

import errno
import sqlite3

from desktop.storage.received import MAX_VALUE_BYTES


def explain(exc: BaseException) -> str | None:
    """A one-line explanation of a storage failure, or None when `exc` is not one."""
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            return "no space left on the device; nothing was changed (free some space and try again)"
        if exc.errno == errno.EROFS:
            where = f" ({exc.filename})" if exc.filename else ""
            return f"the file system is read-only{where}; nothing was changed"
        if exc.errno in (errno.EACCES, errno.EPERM):
            where = f" {exc.filename}" if exc.filename else ""
            return f"permission denied{where}; nothing was changed"
        return None
    if isinstance(exc, sqlite3.Error):
        text = str(exc).lower()
        if "disk is full" in text or "disk i/o error" in text and "full" in text:
            return "no space left on the device; nothing was changed (free some space and try again)"
        if "readonly database" in text or "read-only" in text:
            return "the workbook is read-only (file, folder or file system); nothing was changed"
        if "malformed" in text or "not a database" in text or "disk image" in text:
            return "the workbook file is damaged; nothing was changed (restore it from a backup)"
        if "could not decode to utf-8" in text:
            return ("the workbook holds text that is not UTF-8, which no import or edit writes: the file is damaged "
                    "or was made by hand; nothing was changed (restore it from a backup)")
        if "too big" in text:
            return (f"the workbook holds a value larger than {MAX_VALUE_BYTES // (1024 * 1024)} MiB, which this "
                    "app refuses to read; nothing was changed")
    return None
