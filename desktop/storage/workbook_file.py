"""Reading and writing `.ipwb` workbook files (SQLite).

Every write is one transaction (`BEGIN IMMEDIATE ... COMMIT`, rollback journal, synchronous=FULL), so a
crash leaves the previous or the new state. Whole-file writes (create, save-as) go to a temporary file
beside the target that is renamed into place.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from desktop import __version__
from desktop.domain.playbook import Playbook
from desktop.domain.trace import FIELD_NAMES, FIELDS_BY_NAME, Kind, TraceRow
from desktop.domain.workbook import Workbook
from desktop.storage import codec
from desktop.storage.errors import WorkbookFileError
from desktop.storage.file_versions import (SHAPE_KIND, checked_before, file_identity, remember_checked,
                                           remember_for_version, remember_rows_hash, remember_shape,
                                           remembered_rows_hash, remembered_shape)
from desktop.storage.received import check_newer_schema, check_schema, harden
from desktop.storage.schema import APPLICATION_ID, SCHEMA_VERSION, TRACE_INSERT_COLUMNS, migrate

SQLITE_MAGIC = b"SQLite format 3\x00"
# A trace row counts when it is active and its import is active (see desktop/storage/trace_store.py).
VISIBLE = "traces.active = 1 AND traces.import_id IN (SELECT id FROM imports WHERE active = 1)"
# The same rows for a whole-table pass: the unary + keeps SQLite from going through the import index (and then
# sorting or counting a million ids one lookup at a time); twice as fast for counts and id-ordered reads.
VISIBLE_SCAN = "traces.active = 1 AND +traces.import_id IN (SELECT id FROM imports WHERE active = 1)"
TRACES_HASH_KEY = "tracesContentHash"  # the meta record of desktop.storage.trace_hash


def now_utc() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _connect(target: str | Path, *, uri: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(str(target), isolation_level=None, uri=uri, timeout=2.0, check_same_thread=False)
    harden(conn)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _configure_for_writing(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA journal_mode = DELETE")  # one file at rest: safe to copy or mail when closed
    conn.execute("PRAGMA synchronous = FULL")


def trace_row_values(row: TraceRow) -> tuple[Any, ...]:
    """A validated row as a tuple in TRACE_INSERT_COLUMNS order."""
    values = [int(row.values[n]) if FIELDS_BY_NAME[n].kind is Kind.BOOLEAN else row.values[n] for n in FIELD_NAMES]
    extras = json.dumps(dict(row.extras), sort_keys=True) if row.extras else None
    defaulted = ",".join(sorted(row.defaulted)) or None
    return (*values, extras, defaulted)


class WorkbookStore:
    """An open workbook database: the file itself (CLI), a working copy (GUI) or an in-memory copy."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None, *, writable: bool,
                 checked_file: bool = False) -> None:
        self.conn = conn
        self.path = path
        self.writable = writable
        self._checked_file = checked_file  # `path` passed `check_is_workbook` when this store opened it
        # What is known of the visible rows ("shape": count and highest id, "hash": their content hash as this
        # app computed it), for the file as it was in the change state noted with them.
        self._known: tuple[tuple[int, int], dict[str, Any]] | None = None

    # -- transactions -------------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        if not self.writable:
            raise WorkbookFileError(f"{self.path} is open read-only")
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self._known = None  # what was learned inside the transaction may be rolled back
            if self.conn.in_transaction:  # SQLite already rolled back after a full disk or an I/O error
                self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def close(self) -> None:
        try:
            wrote = self.writable and self.conn.total_changes > 0
            rows_hash = self.known_rows_hash() if wrote else None
            shape = self._known_now().get("shape") if wrote else None
        except sqlite3.ProgrammingError:  # closed before
            return
        self.conn.close()
        if wrote and self._checked_file and self.path is not None:
            # What this store wrote went through SQLite's transactions into a file that passed the check: the
            # file as it is now needs no quick_check of its own (a million rows: 0.2 s on the next command),
            # and what this app knows of its rows (their hash, count and highest id) is remembered for this
            # version of the file (a count alone is a pass over the table: 0.6 s at five million rows).
            remember_checked(self.path)
            if rows_hash is not None:
                remember_rows_hash(self.path, rows_hash)
            if shape is not None:
                remember_shape(self.path, shape)

    # -- document parts -----------------------------------------------------------------------------
    def _part(self, name: str) -> Any:
        row = self.conn.execute("SELECT json FROM parts WHERE name = ?", (name,)).fetchone()
        return json.loads(row[0]) if row else None

    def load(self, playbook: Playbook) -> Workbook:
        """The workbook's decision content; gates and dimensions the file lacks start empty."""
        workbook = Workbook.empty(playbook)
        context = self._part("context")
        if context:
            workbook.context = codec.context_from_dict(context)
        for data in self._part("gates") or []:
            if data.get("slug") in workbook.gates:
                gate = codec.gate_from_dict(data)
                expected = len(workbook.gates[gate.slug].items)
                items = gate.items[:expected] + workbook.gates[gate.slug].items[len(gate.items):]
                workbook.gates[gate.slug] = type(gate)(gate.slug, gate.status, items, gate.note, gate.justification)
        for data in self._part("scores") or []:
            if data.get("slug") in workbook.scores:
                workbook.scores[data["slug"]] = codec.score_from_dict(data)
        workbook.signoff = codec.signoff_from_dict(self._part("signoff"))
        workbook.plan = codec.plan_from_dict(self._part("plan"))
        workbook.audit = [codec.audit_from_row(seq, action, actor, at, json.loads(detail), prev, digest)
                          for seq, action, actor, at, detail, prev, digest in self.conn.execute(
                              "SELECT seq, action, actor, at, detail, previous_hash, entry_hash FROM audit "
                              "ORDER BY seq")]
        return workbook

    def write_document(self, workbook: Workbook) -> None:
        """Write the small decision parts (inside the caller's transaction)."""
        parts = {
            "context": codec.context_to_dict(workbook.context),
            "gates": [codec.gate_to_dict(g) for g in workbook.gates.values()],
            "scores": [codec.score_to_dict(s) for s in workbook.scores.values()],
            "signoff": codec.signoff_to_dict(workbook.signoff),
            "plan": codec.plan_to_dict(workbook.plan),
        }
        with self.leaving_traces_alone():
            self.conn.executemany("INSERT OR REPLACE INTO parts (name, json) VALUES (?, ?)",
                                  [(name, json.dumps(value, sort_keys=True)) for name, value in parts.items()])

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self.leaving_traces_alone():
            self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # -- traces and imports -------------------------------------------------------------------------
    def trace_count(self) -> int:
        return self.visible_shape()[0]

    def visible_shape(self) -> tuple[int, int]:
        """(count, highest id) of the visible rows; one pass over the table (a million rows: 0.12 s), remembered
        until this connection or another one changes the file. Writes this store knows leave the rows alone
        (the document's parts, meta) keep it: saving an edit of a score or the context does not count a million
        rows again (0.1 s of the GUI's 0.5 s Save)."""
        known = self._known_now()
        if "shape" not in known:
            version = self.version_key()
            remembered = remembered_shape(version) if version is not None else None
            if remembered is None:
                count, highest = self.conn.execute(
                    f"SELECT count(*), max(id) FROM traces WHERE {VISIBLE_SCAN}").fetchone()
                remembered = (int(count), int(highest or 0))
                if version is not None and self.version_key() == version:
                    remember_for_version(SHAPE_KIND, version, list(remembered))
            known["shape"] = remembered
        return known["shape"]

    def version_key(self) -> str | None:
        """The user cache's key of this store's file as it is now (`file_versions.file_identity`), when it is a
        file nobody is writing through this store; None for an in-memory store, inside a transaction, or a file
        that went."""
        if self.path is None or self.conn.in_transaction:
            return None
        try:
            return file_identity(self.path)
        except OSError:
            return None

    def note_visible_shape(self, count: int, highest: int) -> None:
        """Remember the visible rows' (count, highest id) as the writer that just made them knows it, so the next
        `visible_shape` needs no pass over the table (until this connection or another changes the file)."""
        self._known_now()["shape"] = (count, highest)

    def note_rows_hash(self, sha256: str, count: int) -> None:
        """Remember the visible rows' content hash as this app just computed it from them (never a record read
        from the file), until this connection or another changes the rows."""
        self._known_now()["hash"] = (sha256, count)

    def known_rows_hash(self) -> tuple[str, int] | None:
        """The visible rows' content hash as this app computed it for them as they are now, if it did."""
        return self._known_now().get("hash")

    def change_state(self) -> tuple[int, int]:
        """What moves whenever the file may have changed: a write through this connection, a commit by another."""
        return self.conn.total_changes, self.conn.execute("PRAGMA data_version").fetchone()[0]

    def _known_now(self) -> dict[str, Any]:
        state = self.change_state()
        if self._known is None or self._known[0] != state:
            self._known = (state, {})
        return self._known[1]

    @contextmanager
    def leaving_traces_alone(self) -> Iterator[None]:
        """Around a write that touches neither trace rows nor imports: what is known of the rows stays known."""
        known = self._known_now()
        yield
        self._known = None
        self._known_now().update(known)

    def put_part(self, name: str, text: str | None) -> None:
        """Store document part `name` as the JSON `text` given, or delete it for None (inside the caller's
        transaction)."""
        with self.leaving_traces_alone():
            if text is None:
                self.conn.execute("DELETE FROM parts WHERE name = ?", (name,))
            else:
                self.conn.execute("INSERT OR REPLACE INTO parts (name, json) VALUES (?, ?)", (name, text))

    def add_import(self, *, source: str, format: str, sha256: str, size: int, rows_read: int,
                   rows_imported: int, rows_rejected: int, details: dict[str, Any] | None = None,
                   original: bytes | None = None, active: bool = True) -> int:
        """Record an import's provenance (inside the caller's transaction); returns its id."""
        blob_sha = None
        if original is not None:
            blob_sha = self.put_blob(original)
        cursor = self.conn.execute(
            "INSERT INTO imports (source, format, sha256, size, imported_at, rows_read, rows_imported, "
            "rows_rejected, details, blob_sha256, active) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (source, format, sha256, size, now_utc(), rows_read, rows_imported, rows_rejected,
             json.dumps(details or {}, sort_keys=True), blob_sha, int(active)))
        return int(cursor.lastrowid)

    def traces_changed(self) -> None:
        """Drop the stored trace content hash (inside the caller's transaction): the visible rows change.
        Every write to trace rows or to whether an import is switched on calls this (desktop.storage.trace_hash)."""
        self.conn.execute("DELETE FROM meta WHERE key = ?", (TRACES_HASH_KEY,))

    def add_traces(self, import_id: int, rows: Iterable[tuple[Any, ...]], *, active: bool = True) -> int:
        """Insert rows given in TRACE_INSERT_COLUMNS order (inside the caller's transaction)."""
        self.traces_changed()
        columns = ", ".join(f'"{c}"' for c in ("import_id", *TRACE_INSERT_COLUMNS, "active"))
        marks = ", ".join("?" * (len(TRACE_INSERT_COLUMNS) + 2))
        before = self.conn.total_changes
        self.conn.executemany(f"INSERT INTO traces ({columns}) VALUES ({marks})",
                              ((import_id, *row, int(active)) for row in rows))
        return self.conn.total_changes - before

    def iter_traces(self, after_id: int | None = None, up_to_id: int | None = None) -> Iterator[dict[str, Any]]:
        """Active trace rows as dicts: id, importId, the sixteen fields, extras by name (those with an id
        above `after_id` and up to `up_to_id` when given)."""
        columns = ", ".join(f'"{c}"' for c in ("id", "import_id", *FIELD_NAMES, "extras"))
        bounds = "".join(f" AND id {op} {int(v)}" for op, v in ((">", after_id), ("<=", up_to_id)) if v is not None)
        cursor = self.conn.execute(f"SELECT {columns} FROM traces WHERE {VISIBLE}{bounds} ORDER BY id")
        boolean_positions = [i + 2 for i, n in enumerate(FIELD_NAMES) if FIELDS_BY_NAME[n].kind is Kind.BOOLEAN]
        for record in cursor:
            values = list(record)
            for position in boolean_positions:
                values[position] = bool(values[position])
            row = {"id": values[0], "importId": values[1], **dict(zip(FIELD_NAMES, values[2:-1]))}
            if values[-1]:
                row.update(json.loads(values[-1]))
            yield row

    def imports(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT id, source, format, sha256, size, imported_at, rows_read, rows_imported, rows_rejected, "
            "details, blob_sha256 FROM imports WHERE active = 1 ORDER BY id").fetchall()
        return [{"importId": r[0], "source": r[1], "format": r[2], "sha256": r[3], "size": r[4],
                 "importedAt": r[5], "rowsRead": r[6], "rowsImported": r[7], "rowsRejected": r[8],
                 "details": json.loads(r[9]), "originalKept": r[10] is not None} for r in rows]

    # -- blobs (embedded evidence and original import files) ----------------------------------------
    def put_blob(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        self.conn.execute("INSERT OR IGNORE INTO blobs (sha256, size, data) VALUES (?, ?, ?)",
                          (digest, len(data), data))
        return digest

    def get_blob(self, sha256: str) -> bytes | None:
        row = self.conn.execute("SELECT data FROM blobs WHERE sha256 = ?", (sha256,)).fetchone()
        return bytes(row[0]) if row else None


# -- opening -----------------------------------------------------------------------------------------

def connect_for_reading(path: Path) -> sqlite3.Connection:
    """A read-only connection, after rolling back a hot journal a crashed writer left beside the file.

    SQLite restores the last committed state from the journal on the first read, but only through a
    connection that may write; a read-only one fails instead.
    """
    if path.with_name(path.name + "-journal").exists():
        recovering = _connect(path)
        try:
            recovering.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            recovering.close()
    return _connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def newer_version_note(path: Path, version: int) -> str:
    return (f"{Path(path).name} was written by a newer version of the app (file format {version}; this version "
            f"writes up to {SCHEMA_VERSION}); it is open read-only: update the app to change it")


def newer_note(store: WorkbookStore) -> str | None:
    """The read-only note for a store opened from a newer app version's file (None otherwise)."""
    version = store.conn.execute("PRAGMA user_version").fetchone()[0]
    return newer_version_note(store.path, version) if store.path is not None and version > SCHEMA_VERSION else None


def _decode_leniently(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


@contextmanager
def lenient_text(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Text that is not UTF-8 (no import or edit writes it: a damaged or hand-made file) reads with U+FFFD in
    place of the bad bytes, so the views that show rows show it instead of failing. Only for what is shown:
    the hash and the economics refuse such a file (desktop.storage.errors.DamagedTracesError)."""
    previous = conn.text_factory
    conn.text_factory = _decode_leniently
    try:
        yield conn
    finally:
        conn.text_factory = previous


def check_is_workbook(path: Path) -> int:
    """Raise WorkbookFileError unless `path` is a workbook this app may open; returns its file format version.

    The file's schema must be exactly the app's own for its version (no trigger or view of the sender's).
    A version newer than this app's opens read-only (see `newer_version_note`); writers refuse it.
    """
    if not path.exists():
        raise WorkbookFileError(f"{path}: no such file")
    if path.is_dir():
        raise WorkbookFileError(f"{path} is a folder, not a workbook")
    try:
        with open(path, "rb") as handle:
            header = handle.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise WorkbookFileError(f"cannot read {path}: {exc.strerror}") from None
    if header != SQLITE_MAGIC:
        raise WorkbookFileError(f"{path} is not a workbook (.ipwb) file")
    try:
        conn = connect_for_reading(path)
        try:
            application_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if application_id != APPLICATION_ID:
                raise WorkbookFileError(f"{path} is an SQLite database but not a workbook (.ipwb) file")
            if version > SCHEMA_VERSION:
                check_newer_schema(conn, path)
            else:
                check_schema(conn, path, version)
            if not checked_before(path):
                check = conn.execute("PRAGMA quick_check").fetchone()[0]
                if check != "ok":
                    raise WorkbookFileError(f"{path} is damaged ({check}); restore it from a backup")
                remember_checked(path)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise WorkbookFileError(f"{path} is damaged or not a workbook ({exc})") from None
    return int(version)


def open_store(path: Path, *, writable: bool) -> WorkbookStore:
    """Open the file itself. A writable open migrates an older schema in place, in one transaction;
    a read-only open of an older file migrates an in-memory copy and leaves the file as it is."""
    path = Path(path)
    version = check_is_workbook(path)
    if writable and version > SCHEMA_VERSION:
        raise WorkbookFileError(f"{path} was written by a newer version of the app (file format {version}; this "
                                f"version writes up to {SCHEMA_VERSION}); it can be read but not changed: update "
                                "the app to change it")
    if writable:
        conn = _connect(path)
        _configure_for_writing(conn)
        store = WorkbookStore(conn, path, writable=True, checked_file=True)
        if conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
            with store.transaction():
                migrate(conn)
        return _with_remembered_rows_hash(store)
    conn = connect_for_reading(path)
    if conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
        memory = _connect(":memory:")
        conn.backup(memory)
        conn.close()
        store = WorkbookStore(memory, path, writable=True)
        with store.transaction():
            migrate(memory)
        store.writable = False
        return store
    return _with_remembered_rows_hash(WorkbookStore(conn, path, writable=False))


def _with_remembered_rows_hash(store: WorkbookStore) -> WorkbookStore:
    known = remembered_rows_hash(store.path) if store.path is not None else None
    if known is not None:
        store.note_rows_hash(*known)
    return store


# -- whole-file writes -------------------------------------------------------------------------------

def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _temp_beside(path: Path) -> Path:
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")


def copy_database(source: sqlite3.Connection, dest: Path, *, replace: bool,
                  tidy: Callable[[sqlite3.Connection], None] | None = None, mode: int | None = None) -> None:
    """Write `source`'s database to `dest` atomically: a temporary file beside it, then a rename.

    With replace=False an existing `dest` is never overwritten, even if it appears meanwhile.
    `tidy` may change the copy (not the source) before it is renamed into place. `mode` sets the new file's
    permission bits (a saved file keeps the mode it had; a working copy is user-only).
    """
    dest = Path(dest)
    temp = _temp_beside(dest)
    try:
        if mode is not None:  # user-only while it fills: a 0600 workbook's content is never briefly 0644
            os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600))
        target = harden(sqlite3.connect(str(temp), isolation_level=None))
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode = DELETE")
            if tidy is not None:
                target.execute("BEGIN IMMEDIATE")
                tidy(target)
                target.execute("COMMIT")
        finally:
            target.close()
        if mode is not None:
            os.chmod(temp, mode)
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        if replace or not dest.exists():  # an existing file that is kept keeps its journal (crash recovery)
            _drop_side_files(dest)
        if replace:
            os.replace(temp, dest)
        else:
            try:
                os.link(temp, dest)
            except FileExistsError:
                raise WorkbookFileError(f"{dest} already exists; nothing was written") from None
            except OSError:  # file systems without hard links
                if dest.exists():
                    raise WorkbookFileError(f"{dest} already exists; nothing was written") from None
                os.replace(temp, dest)
        _fsync_dir(dest.parent)
    finally:
        if temp.exists():
            temp.unlink()


def _drop_side_files(dest: Path) -> None:
    """Remove a write-ahead log, its index or a rollback journal left beside `dest` by another tool: they describe
    the file being replaced (or one long gone), and SQLite would lay them over the new file on its next open
    (it reads a log it finds beside a database whatever the file's header says, and rolls a hot journal back)."""
    for suffix in ("-wal", "-shm", "-journal"):
        dest.with_name(dest.name + suffix).unlink(missing_ok=True)


def new_memory_store(playbook: Playbook, workbook: Workbook, traces: Iterable[TraceRow] = (),
                     *, trace_source: str = "playbook template rows") -> WorkbookStore:
    """A complete workbook database in memory, ready to be written out or used as a working copy."""
    conn = _connect(":memory:")
    store = WorkbookStore(conn, None, writable=True)
    traces = list(traces)
    with store.transaction():
        migrate(conn)
        store.set_meta("createdAt", now_utc())
        store.set_meta("createdBy", f"Inference Procurement Workbook {__version__}")
        store.set_meta("playbookVersion", playbook.version)
        store.write_document(workbook)
        if traces:
            content = json.dumps([t.as_dict() for t in traces], sort_keys=True).encode()
            import_id = store.add_import(source=trace_source, format="playbook",
                                         sha256=hashlib.sha256(content).hexdigest(), size=len(content),
                                         rows_read=len(traces), rows_imported=len(traces), rows_rejected=0,
                                         details={"note": "example rows from the playbook's trace kit"})
            store.add_traces(import_id, (trace_row_values(t) for t in traces))
    return store


def create_workbook_file(path: Path, playbook: Playbook, workbook: Workbook,
                         traces: Iterable[TraceRow] = ()) -> None:
    """Write a new workbook file; refuses to overwrite an existing one."""
    path = Path(path)
    if path.exists():
        raise WorkbookFileError(f"{path} already exists; choose another name (nothing was changed)")
    if not path.parent.is_dir():
        raise WorkbookFileError(f"folder {path.parent} does not exist")
    store = new_memory_store(playbook, workbook, traces)
    try:
        copy_database(store.conn, path, replace=False)
    finally:
        store.close()


def remove_orphan_temps(path: Path) -> int:
    """Remove temporary files a crashed save left beside `path`; returns how many."""
    removed = 0
    for orphan in Path(path).parent.glob(f".{Path(path).name}.*.tmp"):
        try:
            orphan.unlink()
            removed += 1
        except OSError:
            pass
    return removed
