"""One writer per workbook: an advisory lock file beside it, with stale-lock detection.

The lock is an OS file lock (flock / msvcrt) on the file `lock_path` names, so it disappears with the process
that held it: a lock file left behind by a crash is stale and simply taken over. The file also records who
holds it, so the second process can tell the user.

The lock path lies in a folder other people write to (a share, a received archive), so whatever sits there
is hostile: it is never followed (O_NOFOLLOW), must be a regular file owned by this user, and is never
truncated. A new lock file is written in full under a private name and then linked into place, so another
process never reads an empty lock file.
"""

from __future__ import annotations

import datetime as dt
import errno
import getpass
import json
import os
import socket
import stat
import uuid
from pathlib import Path
from typing import Any

from desktop.storage.errors import WorkbookFileError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_READ_ONLY_ERRORS = (errno.EROFS, errno.EACCES, errno.EPERM)
_HOLDER_BYTES = 4096  # a holder record is ~150 bytes; a larger lock file is not read whole


class LockRefused(WorkbookFileError):
    """Something other than our own lock file sits at the lock path (a link, a folder, another user's file)."""


def lock_path(workbook: Path) -> Path:
    """The one place that names the lock file (issue 14 may move it to a hidden name)."""
    return workbook.with_name(workbook.name + ".lock")


def _try_lock(fd: int) -> bool:
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:
        return False
    return True


def _current_uid() -> int | None:
    return os.getuid() if hasattr(os, "getuid") else None


def _read_holder(fd: int) -> dict[str, Any]:
    os.lseek(fd, 0, os.SEEK_SET)
    raw = os.read(fd, _HOLDER_BYTES)
    try:
        holder = json.loads(raw.decode("utf-8") or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return holder if isinstance(holder, dict) else {}


class WorkbookLock:
    """Held while a process may write the workbook.

    When acquire fails, `holder` describes another holder and `refusal` says why in one sentence;
    `read_only_place` is True when the folder or file cannot be written at all (open read-only instead).
    """

    def __init__(self, workbook: Path) -> None:
        self.workbook = Path(workbook)
        self.path = lock_path(self.workbook)
        self._fd: int | None = None
        self.holder: dict[str, Any] | None = None
        self.read_only_place = False
        self.refusal: str | None = None

    # -- acquiring ---------------------------------------------------------------------------------------
    def acquire(self) -> bool:
        """Take the lock; False when another process holds it or the place is read-only.

        Raises LockRefused when the lock path is a symbolic link, a folder, not a regular file or another
        user's file: it is never opened for writing, followed or truncated.
        """
        from desktop.storage.places import read_only_reason
        reason = read_only_reason(self.workbook)
        if reason is not None:
            return self._read_only(reason)
        for _ in range(8):  # each retry follows a lock file replaced or removed by another process meanwhile
            try:
                fd = self._open_existing()
            except FileNotFoundError:
                try:
                    if self._publish(replace=False):
                        return True
                except OSError as exc:
                    if exc.errno in _READ_ONLY_ERRORS:
                        return self._read_only(f"the folder {self.path.parent} cannot be written")
                    raise
                continue
            if not _try_lock(fd):
                self.holder = _read_holder(fd)
                os.close(fd)
                self.refusal = f"{self.workbook.name} is being edited by {self.describe_holder()}"
                return False
            if not self._still_at_path(fd):
                os.close(fd)
                continue
            # A stale lock file (its process is gone): replace it while holding the old one's lock, so a
            # process that opened the old file finds it no longer at the path and looks again.
            try:
                self._publish(replace=True)
            except OSError as exc:
                if exc.errno in _READ_ONLY_ERRORS:
                    return self._read_only(f"the folder {self.path.parent} cannot be written")
                raise
            finally:
                os.close(fd)
            return True
        self.refusal = f"the lock file {self.path} keeps changing; try again"
        return False

    def _read_only(self, reason: str) -> bool:
        self.read_only_place = True
        self.refusal = reason
        return False

    def _open_existing(self) -> int:
        """The existing lock file, opened without following a link; refused unless it is our regular file."""
        info = os.lstat(self.path)  # FileNotFoundError: no lock file, the caller creates one
        if stat.S_ISLNK(info.st_mode):
            raise LockRefused(f"the lock file {self.path} is a symbolic link; it was not followed. Remove it "
                              "if nobody is editing the workbook")
        if stat.S_ISDIR(info.st_mode):
            raise LockRefused(f"the lock path {self.path} is a folder; remove or rename it to edit the workbook")
        if not stat.S_ISREG(info.st_mode):
            raise LockRefused(f"the lock path {self.path} is not a regular file; remove it to edit the workbook")
        uid = _current_uid()
        if uid is not None and info.st_uid != uid:
            raise LockRefused(self._foreign_owner_message(info.st_uid))
        try:
            fd = os.open(self.path, os.O_RDWR | _NOFOLLOW | _BINARY | getattr(os, "O_NONBLOCK", 0))
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise LockRefused(f"the lock file {self.path} is a symbolic link; it was not followed") from None
            if exc.errno == errno.EISDIR:
                raise LockRefused(f"the lock path {self.path} is a folder; remove or rename it") from None
            if exc.errno in _READ_ONLY_ERRORS:
                self.read_only_place = True
            raise
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode) or (uid is not None and opened.st_uid != uid):
            os.close(fd)  # swapped between lstat and open
            raise LockRefused(f"the lock path {self.path} changed while it was checked; try again")
        return fd

    def _foreign_owner_message(self, owner: int) -> str:
        holder: dict[str, Any] = {}
        try:
            fd = os.open(self.path, os.O_RDONLY | _NOFOLLOW | _BINARY | getattr(os, "O_NONBLOCK", 0))
            try:
                if stat.S_ISREG(os.fstat(fd).st_mode):
                    holder = _read_holder(fd)
            finally:
                os.close(fd)
        except OSError:
            pass
        self.holder = holder
        who = f"{holder['user']} " if isinstance(holder.get("user"), str) else ""
        return (f"the lock file {self.path} belongs to another user {who}(user id {owner}); they may be editing "
                "the workbook. Ask them to close it, or open it read-only")

    def _still_at_path(self, fd: int) -> bool:
        try:
            at_path = os.lstat(self.path)
        except FileNotFoundError:
            return False
        opened = os.fstat(fd)
        return (at_path.st_ino, at_path.st_dev) == (opened.st_ino, opened.st_dev)

    def _publish(self, *, replace: bool) -> bool:
        """Write a complete, locked lock file under a private name, then link (or rename) it into place."""
        temp = self.path.with_name(f"{self.path.name}.{uuid.uuid4().hex[:12]}.new")
        fd = os.open(temp, os.O_RDWR | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY, 0o644)
        try:
            _try_lock(fd)  # a fresh private file: always succeeds
            info = {"pid": os.getpid(), "host": socket.gethostname(), "user": _user(),
                    "since": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
            os.write(fd, json.dumps(info).encode("utf-8"))
            if replace:
                os.replace(temp, self.path)
            else:
                try:
                    os.link(temp, self.path)
                except FileExistsError:
                    os.close(fd)
                    return False
                except OSError as exc:
                    if exc.errno in _READ_ONLY_ERRORS:
                        raise
                    # file systems without hard links: exclusive create, then write (a short empty window)
                    os.close(fd)
                    return self._create_in_place(info)
        except BaseException:
            try:
                os.close(fd)
            except OSError:
                pass
            raise
        finally:
            try:
                os.unlink(temp)
            except OSError:
                pass
        self._fd = fd
        return True

    def _create_in_place(self, info: dict[str, Any]) -> bool:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY, 0o644)
        except FileExistsError:
            return False
        _try_lock(fd)
        os.write(fd, json.dumps(info).encode("utf-8"))
        self._fd = fd
        return True

    # -- releasing -----------------------------------------------------------------------------------------
    def release(self) -> None:
        """Remove the lock file, then drop the OS lock (a waiting process then finds no file, or a new one)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            if self._still_at_path(fd):
                os.unlink(self.path)
        except OSError:
            pass
        finally:
            os.close(fd)  # closing drops the OS lock

    @property
    def held(self) -> bool:
        return self._fd is not None

    def describe_holder(self) -> str:
        holder = self.holder or {}
        user = holder.get("user") if isinstance(holder.get("user"), str) else None
        host = holder.get("host") if isinstance(holder.get("host"), str) else None
        pid = holder.get("pid") if isinstance(holder.get("pid"), int) else None
        since = holder.get("since") if isinstance(holder.get("since"), str) else None
        if user is None and host is None:
            text = "another process (the lock file names no holder)"
        else:
            who = "you" if user == _user() else (user or "another user")
            where = "this computer" if host == socket.gethostname() else (host or "another computer")
            text = f"{who} on {where}"
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
