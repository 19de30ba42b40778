"""One writer per workbook: an advisory lock file beside it, with stale-lock detection.

The lock is an OS file lock (flock / msvcrt) on `<workbook>.lock`, so it disappears with the process that
held it: a lock file left behind by a crash is stale and simply taken over. The file also records who
holds it, so the second process can tell the user.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import socket
from pathlib import Path
from typing import IO, Any

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt


def lock_path(workbook: Path) -> Path:
    return workbook.with_name(workbook.name + ".lock")


def _try_lock(handle: IO[str]) -> bool:
    try:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
    except OSError:
        return False
    return True


class WorkbookLock:
    """Held while a process may write the workbook; `holder` describes another holder when acquire fails."""

    def __init__(self, workbook: Path) -> None:
        self.path = lock_path(Path(workbook))
        self._handle: IO[str] | None = None
        self.holder: dict[str, Any] | None = None

    def acquire(self) -> bool:
        handle = open(self.path, "a+", encoding="utf-8")
        if not _try_lock(handle):
            handle.seek(0)
            try:
                self.holder = json.loads(handle.read() or "{}")
            except json.JSONDecodeError:
                self.holder = {}
            handle.close()
            return False
        info = {"pid": os.getpid(), "host": socket.gethostname(), "user": _user(),
                "since": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(info))
        handle.flush()
        self._handle = handle
        return True

    def release(self) -> None:
        if self._handle is None:
            return
        handle, self._handle = self._handle, None
        try:
            handle.seek(0)
            handle.truncate()
        finally:
            handle.close()  # closing drops the OS lock
        try:
            self.path.unlink()
        except OSError:
            pass

    @property
    def held(self) -> bool:
        return self._handle is not None

    def describe_holder(self) -> str:
        holder = self.holder or {}
        who = holder.get("user") or "another user"
        host = holder.get("host") or "another computer"
        since = holder.get("since")
        pid = holder.get("pid")
        text = f"{who} on {host}"
        if pid:
            text += f" (process {pid})"
        if since:
            text += f" since {since}"
        return text

    def __enter__(self) -> WorkbookLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in some sandboxes
        return "unknown user"
