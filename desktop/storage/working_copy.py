"""The GUI's working copy of a workbook, which doubles as its crash-recovery copy.

The app never edits the user's file in place: it copies it into the recovery folder, edits that copy, and
Save writes the copy back over the file atomically. A sidecar JSON file records where the copy came from,
which process holds it and whether it carries edits not yet saved. After a crash the copy is still there,
its process is gone, and the app offers to recover it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.domain.playbook import Playbook
from desktop.domain.workbook import Workbook
from desktop.storage.file_versions import remember_rows_hash, remembered_rows_hash
from desktop.storage.places import PRIVATE_FILE_MODE, file_mode
from desktop.storage.schema import SCHEMA_VERSION, migrate
from desktop.storage.workbook_file import (VISIBLE, WorkbookStore, _configure_for_writing, _connect, connect_for_reading,
                                           check_is_workbook, copy_database, new_memory_store, now_utc)


@dataclass(frozen=True)
class RecoveryCandidate:
    database: Path
    sidecar: Path
    origin: Path | None
    autosaved_at: str


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:  # Windows: os.kill(pid, 0) is not a probe there
        return False
    return True


class WorkingCopy:
    """A writable database in the recovery folder standing in for one open workbook."""

    def __init__(self, database: Path, origin: Path | None) -> None:
        self.database = database
        self.sidecar = database.with_suffix(".json")
        self.origin = origin
        conn = _connect(database)
        _configure_for_writing(conn)
        self.store = WorkbookStore(conn, database, writable=True)
        self._write_sidecar(dirty=False)

    @classmethod
    def of_file(cls, path: Path, recovery_dir: Path) -> WorkingCopy:
        """Copy the user's file (migrating an older schema in the copy only)."""
        path = Path(path)
        check_is_workbook(path)
        database = recovery_dir / f"{uuid.uuid4().hex}.ipwb"
        rows_hash = remembered_rows_hash(path)
        source = connect_for_reading(path)
        try:
            copy_database(source, database, replace=False, mode=PRIVATE_FILE_MODE)
        finally:
            source.close()
        copy = cls(database, path)
        if copy.store.conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
            with copy.store.transaction():
                migrate(copy.store.conn)
        elif rows_hash is not None and remembered_rows_hash(path) == rows_hash:
            # The copy holds the rows of a file version this app hashed (the file did not change while it was
            # copied): a signed workbook's check needs no pass over them (a million rows: 1.2 s).
            remember_rows_hash(database, rows_hash)
        return copy

    @classmethod
    def new(cls, playbook: Playbook, workbook: Workbook, recovery_dir: Path, traces: Any = ()) -> WorkingCopy:
        """An untitled workbook that has no file yet."""
        database = recovery_dir / f"{uuid.uuid4().hex}.ipwb"
        memory = new_memory_store(playbook, workbook, traces)
        try:
            copy_database(memory.conn, database, replace=False, mode=PRIVATE_FILE_MODE)
        finally:
            memory.close()
        return cls(database, None)

    @classmethod
    def recover(cls, candidate: RecoveryCandidate) -> WorkingCopy:
        copy = cls(candidate.database, candidate.origin)
        copy.mark(dirty=True)
        return copy

    def _write_sidecar(self, *, dirty: bool, autosaved_at: str | None = None) -> None:
        data = {"origin": str(self.origin) if self.origin else None, "pid": os.getpid(),
                "host": socket.gethostname(), "dirty": dirty, "autosavedAt": autosaved_at or now_utc()}
        temp = self.sidecar.with_suffix(".json.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), PRIVATE_FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(data))
        os.replace(temp, self.sidecar)

    def mark(self, *, dirty: bool) -> None:
        """Record whether the copy holds edits the user's file lacks (what recovery would bring back)."""
        self._write_sidecar(dirty=dirty)

    def save_to(self, path: Path) -> None:
        """Write the copy over `path` atomically; the copy then stands for `path`.

        Imports and rows switched off (undone or deleted) stay in the working copy, where undo can switch
        them back on, but are left out of the saved file.
        """
        if self.store.writable and not self.store.conn.in_transaction:
            from desktop.storage.trace_hash import refresh_traces_hash
            refresh_traces_hash(self.store)  # the saved file describes its rows without rehashing them
        copy_database(self.store.conn, Path(path), replace=True, tidy=purge_switched_off, mode=file_mode(Path(path)))
        self.origin = Path(path)
        self._write_sidecar(dirty=False)

    def discard(self) -> None:
        self.store.close()
        for file in (self.database, self.sidecar, self.database.with_name(self.database.name + "-journal")):
            try:
                file.unlink()
            except FileNotFoundError:
                pass


def purge_switched_off(conn: sqlite3.Connection) -> None:
    conn.execute(f"DELETE FROM traces WHERE NOT ({VISIBLE})")
    conn.execute("DELETE FROM imports WHERE active = 0")


def find_recoverable(recovery_dir: Path) -> list[RecoveryCandidate]:
    """Copies left by a process that is gone and that carry unsaved edits; clean ones are removed."""
    found = []
    _remove_leftovers(Path(recovery_dir))
    for sidecar in sorted(Path(recovery_dir).glob("*.json")):
        database = sidecar.with_suffix(".ipwb")
        try:
            data = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        same_host = data.get("host") == socket.gethostname()
        if same_host and _pid_alive(int(data.get("pid", 0))) and int(data.get("pid", 0)) != os.getpid():
            continue  # another running instance owns it
        if not database.exists():
            sidecar.unlink(missing_ok=True)
            continue
        if not data.get("dirty"):
            database.unlink(missing_ok=True)
            sidecar.unlink(missing_ok=True)
            continue
        origin = data.get("origin")
        found.append(RecoveryCandidate(database, sidecar, Path(origin) if origin else None,
                                       data.get("autosavedAt", "")))
    return found


def _remove_leftovers(recovery_dir: Path) -> None:
    """Journals of copies that are gone, and sidecar temporaries a killed process left (older than a minute)."""
    import time
    for journal in recovery_dir.glob("*.ipwb-journal"):
        if not journal.with_name(journal.name.removesuffix("-journal")).exists():
            journal.unlink(missing_ok=True)
    for temp in recovery_dir.glob("*.json.tmp"):
        try:
            if time.time() - temp.stat().st_mtime > 60:
                temp.unlink()
        except OSError:
            pass
