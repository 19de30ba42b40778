"""The `.ipwb` SQLite schema and one migration function per version step.

`PRAGMA user_version` holds the schema version and `PRAGMA application_id` marks the file as ours.
Every schema change appends a migration here (and a test in tests/storage/test_migrations.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from desktop.domain.trace import FIELD_NAMES, TRACE_FIELDS, Kind

APPLICATION_ID = 0x49505742  # "IPWB"

_SQL_TYPES = {Kind.ROUTE: "TEXT", Kind.TEXT: "TEXT", Kind.NUMBER: "REAL", Kind.RATE: "REAL", Kind.BOOLEAN: "INTEGER"}

# The column order storage expects for new trace rows: the trace kit's fields, then extras and defaulted.
TRACE_INSERT_COLUMNS: tuple[str, ...] = FIELD_NAMES + ("extras", "defaulted")


# Fields that were NOT NULL in an earlier schema version than the trace kit says today. A migration must
# create exactly the schema its version had: received files are checked against the schema rebuilt from these
# migrations (storage/received.py), so a v1/v2 file made by an older release must still match.
_NOT_NULL_BEFORE_V3 = frozenset({"cacheHitRate"})


def _trace_columns_sql(version: int | None = None) -> str:
    """The trace kit's columns as the schema of `version` declared them (None: today's)."""
    def not_null(f: object) -> bool:
        if version is not None and version < 3 and f.name in _NOT_NULL_BEFORE_V3:
            return True
        return bool(f.required or f.default is not None)
    return ",\n    ".join(
        f'"{f.name}" {_SQL_TYPES[f.kind]}{" NOT NULL" if not_null(f) else ""}' for f in TRACE_FIELDS)


def _run(conn: sqlite3.Connection, script: str) -> None:
    """Run each statement of `script` inside the caller's transaction.

    `executescript` would commit the open transaction first, and a migration must be all or nothing.
    Statements end with ';' at the end of a line; a trigger body keeps its inner ';' mid-line.
    """
    for statement in script.split(";\n"):
        if statement.strip():
            conn.execute(statement)


def _v1(conn: sqlite3.Connection) -> None:
    """The first release: document parts, imports with provenance, trace rows, blobs."""
    _run(conn, f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE parts (name TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE blobs (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    format TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    imported_at TEXT NOT NULL,
    rows_read INTEGER NOT NULL,
    rows_imported INTEGER NOT NULL,
    rows_rejected INTEGER NOT NULL,
    details TEXT NOT NULL DEFAULT '{{}}',
    blob_sha256 TEXT REFERENCES blobs(sha256),
    active INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE traces (
    id INTEGER PRIMARY KEY,
    import_id INTEGER REFERENCES imports(id),
    {_trace_columns_sql(1)},
    extras TEXT,
    defaulted TEXT,
    edited TEXT,
    active INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX traces_import ON traces(import_id);
""")


def _v2(conn: sqlite3.Connection) -> None:
    """Sign-off support and saved calculator scenarios: a hash-chained audit log, export records."""
    _run(conn, """
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    detail TEXT NOT NULL,
    previous_hash TEXT NOT NULL,
    entry_hash TEXT NOT NULL
);
CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE scenarios (name TEXT PRIMARY KEY, kind TEXT NOT NULL, json TEXT NOT NULL, saved_at TEXT NOT NULL);
CREATE TABLE exports (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    kind TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    exported_at TEXT NOT NULL
);
""")


def _v3(conn: sqlite3.Connection) -> None:
    """cacheHitRate may be null (not observed): the traces table is rebuilt without its NOT NULL (SQLite cannot
    drop a constraint in place), and rates that were only filled in as a default 0 become not observed."""
    columns = ", ".join(f'"{name}"' for name in ("id", "import_id", *FIELD_NAMES, "extras", "defaulted", "edited",
                                                   "active"))
    _run(conn, f"""
CREATE TABLE traces_v3 (
    id INTEGER PRIMARY KEY,
    import_id INTEGER REFERENCES imports(id),
    {_trace_columns_sql()},
    extras TEXT,
    defaulted TEXT,
    edited TEXT,
    active INTEGER NOT NULL DEFAULT 1
);
INSERT INTO traces_v3 ({columns}) SELECT {columns} FROM traces;
DROP TABLE traces;
ALTER TABLE traces_v3 RENAME TO traces;
CREATE INDEX traces_import ON traces(import_id);
UPDATE traces SET "cacheHitRate" = NULL,
    defaulted = NULLIF(TRIM(REPLACE(',' || defaulted || ',', ',cacheHitRate,', ','), ','), '')
    WHERE ',' || defaulted || ',' LIKE '%,cacheHitRate,%';
""")


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_v1, _v2, _v3)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Bring the schema from its current version up to `target`, inside the caller's transaction."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    for step in range(version, target):
        MIGRATIONS[step](conn)
    conn.execute(f"PRAGMA user_version = {int(target)}")
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    return version
