"""A workbook file is received from someone else until proven otherwise: its own SQL never runs here.

SQLite keeps triggers and views in the file, and they fire or run when the app writes or reads (a trigger
can delete every trace, loop for minutes, or print the sender's text through RAISE). So before anything else
touches a file, its schema (sqlite_master) must be exactly the app's own schema for the file's version,
which is built here by running the app's own migrations in an in-memory database. A future schema version is
therefore checked without changing this module. Every connection also runs with `trusted_schema=OFF`, no
extension loading, defensive mode where this Python offers it, and a cap on the size of one value.
"""

from __future__ import annotations

import re
import sqlite3
from functools import lru_cache
from pathlib import Path

from desktop.storage.errors import WorkbookFileError

# The largest single value (a cell, an embedded file) any connection reads or writes. Embedded evidence is
# capped at 20 MB and kept import originals at what the officer chose; a larger value means a hostile file.
MAX_VALUE_BYTES = 512 * 1024 * 1024
_SPACE = re.compile(r"\s+")
# Tables SQLite itself may add to a file the app wrote (statistics after ANALYZE); they hold no code.
_SQLITE_INTERNAL = ("sqlite_stat1", "sqlite_stat4", "sqlite_sequence")

SchemaEntry = tuple[str, str, str, str | None]


def harden(conn: sqlite3.Connection) -> sqlite3.Connection:
    """Settings for every connection to a workbook file (received or not)."""
    conn.execute("PRAGMA trusted_schema = OFF")  # functions with side effects never run from schema SQL
    if hasattr(conn, "enable_load_extension"):
        conn.enable_load_extension(False)
    defensive = getattr(sqlite3, "SQLITE_DBCONFIG_DEFENSIVE", None)
    if defensive is not None and hasattr(conn, "setconfig"):  # Python 3.12+
        conn.setconfig(defensive, True)
    if hasattr(conn, "setlimit"):
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    return conn


def normalised_sql(sql: str | None) -> str | None:
    return None if sql is None else _SPACE.sub(" ", sql).strip()


@lru_cache(maxsize=8)
def expected_schema(version: int) -> frozenset[SchemaEntry]:
    """The schema (type, name, table, SQL) the app's own migrations create for `version`."""
    from desktop.storage.schema import MIGRATIONS
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        conn.execute("BEGIN")
        for step in MIGRATIONS[:version]:
            step(conn)
        conn.execute("COMMIT")
        return frozenset(_entries(conn))
    finally:
        conn.close()


def _entries(conn: sqlite3.Connection) -> list[SchemaEntry]:
    return [(kind, name, table, normalised_sql(sql)) for kind, name, table, sql in conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master")]


def check_schema(conn: sqlite3.Connection, path: Path, version: int) -> None:
    """Refuse a file whose schema is not exactly the app's own for its version (file untouched)."""
    expected = expected_schema(version)
    found = [entry for entry in _entries(conn) if entry[1] not in _SQLITE_INTERNAL]
    extra = [entry for entry in found if entry not in expected]
    if extra:
        kind, name = extra[0][0], extra[0][1]
        what = {"trigger": "a trigger", "view": "a view", "table": "a table", "index": "an index"}.get(
            kind, f"a schema entry ({kind[:20]})")
        others = f" and {len(extra) - 1} more schema entr{'y' if len(extra) == 2 else 'ies'}" if len(extra) > 1 else ""
        if name in {entry[1] for entry in expected}:
            raise WorkbookFileError(
                f"{path} is refused: its {kind} '{_short(name)}' differs from this app's own{others}; a workbook "
                "file may only hold the app's schema (the file was not changed)")
        raise WorkbookFileError(
            f"{path} is refused: it holds {what} '{_short(name)}'{others} that is not part of a workbook; it "
            "may run code when the app writes (the file was not changed)")
    # A missing trigger or index runs no code; a removed append-only trigger is tamper evidence that
    # `ipw audit` reports (the hash chain shows what was removed). A missing table is refused.
    missing = {entry for entry in expected - set(found) if entry[0] == "table"}
    if missing:
        kind, name = sorted(missing)[0][:2]
        raise WorkbookFileError(f"{path} is refused: its {kind} '{_short(name)}' is missing; it is not a complete "
                                "workbook (the file was not changed)")


def _short(name: str) -> str:
    printable = "".join(ch if ch.isprintable() else "?" for ch in name)
    return printable if len(printable) <= 40 else printable[:39] + "…"


def check_newer_schema(conn: sqlite3.Connection, path: Path) -> None:
    """A file from a newer app version is read, never written: its views and triggers cannot fire on reads,
    but a view standing where a table belongs would run the sender's SQL, so every table this version reads
    must be a table, and the file may hold no view at all."""
    from desktop.storage.schema import SCHEMA_VERSION
    kinds = {name: kind for kind, name, _table, _sql in _entries(conn)}
    views = [name for name, kind in kinds.items() if kind == "view"]
    if views:
        raise WorkbookFileError(f"{path} is refused: it holds a view '{_short(views[0])}' that is not part of a "
                                "workbook (the file was not changed)")
    for kind, name, _table, _sql in sorted(expected_schema(SCHEMA_VERSION)):
        if kind == "table" and kinds.get(name) != "table":
            raise WorkbookFileError(f"{path} is refused: its table '{_short(name)}' is missing; it is not a "
                                    "complete workbook (the file was not changed)")
