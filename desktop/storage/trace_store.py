"""Trace rows and imports in a workbook: staged imports, switching them on and off, edits, queries.

An import is written in two steps so the GUI never blocks on a big one: a worker inserts the import and
its rows inactive over its own connection, then an undoable command switches the import on (and undo
switches it off) by flipping one flag. A row is visible when it is active and its import is active.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop.domain.errors import FieldError
from desktop.domain.progress import Progress
from desktop.domain.trace import FIELD_NAMES, FIELDS_BY_NAME, KNOWN_EXTRA_FIELDS, Kind, check_value
from desktop.storage.workbook_file import (VISIBLE, WorkbookStore, _configure_for_writing, _connect, lenient_text,
                                          now_utc)

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

FILTER_FIELDS = ("route", "provider", "model", "workload")


def open_worker_connection(database: Path) -> WorkbookStore:
    """A second connection to a working copy, for a worker thread that stages an import."""
    conn = _connect(database)
    conn.execute("PRAGMA busy_timeout = 10000")  # first: setting the journal mode may already wait for a lock
    _configure_for_writing(conn)
    return WorkbookStore(conn, Path(database), writable=True)


def stage_import(store: WorkbookStore, *, source: str, format: str, sha256: str, size: int, rows_read: int,
                 rows_rejected: int, rows: pl.DataFrame, details: dict[str, Any], original: bytes | None,
                 active: bool, progress: Progress | None = None) -> int:
    """Insert one import and its rows (a frame with columns named TRACE_INSERT_COLUMNS) inside the caller's
    transaction; returns the import id.

    Advances `progress` by the rows written, chunk by chunk. Raises Cancelled when `progress` asks to stop
    (the caller's transaction then rolls back).
    """
    import_id = store.add_import(source=source, format=format, sha256=sha256, size=size, rows_read=rows_read,
                                 rows_imported=rows.height, rows_rejected=rows_rejected, details=details,
                                 original=original, active=active)
    from desktop.storage.trace_hash import ImportHash
    from desktop.storage.trace_ingest import insert_trace_frame  # polars and the driver load only to import

    # The visible rows' hash record follows the import from the rows in memory (no read-back of a million rows).
    record = ImportHash.before_import(store, rows.height) if active else None
    store.traces_changed()
    insert_trace_frame(store.conn, import_id, rows, active=True, progress=progress)
    if record is not None:
        record.record_import(store, import_id, rows)
    return import_id


def set_imports_active(store: WorkbookStore, import_ids: Sequence[int], active: bool) -> None:
    """Switch whole imports on or off (inside the caller's transaction); O(1) in the number of rows."""
    store.traces_changed()
    store.conn.executemany("UPDATE imports SET active = ? WHERE id = ?", [(int(active), i) for i in import_ids])


def set_rows_active(store: WorkbookStore, row_ids: Sequence[int], active: bool) -> None:
    store.traces_changed()
    store.conn.executemany("UPDATE traces SET active = ? WHERE id = ?", [(int(active), i) for i in row_ids])


def find_imports_by_sha(store: WorkbookStore, sha256: str) -> list[dict[str, Any]]:
    return [i for i in store.imports() if i["sha256"] == sha256]


def import_ids(store: WorkbookStore) -> list[int]:
    return [r[0] for r in store.conn.execute("SELECT id FROM imports WHERE active = 1 ORDER BY id")]


def purge_inactive(store: WorkbookStore) -> None:
    """Drop rows and imports that are switched off (inside the caller's transaction); called on save when
    the undo history that could switch them back on is gone."""
    store.conn.execute("DELETE FROM traces WHERE active = 0 OR import_id IN (SELECT id FROM imports "
                       "WHERE active = 0)")
    store.conn.execute("DELETE FROM imports WHERE active = 0")


# -- editing one cell --------------------------------------------------------------------------------

def read_cell(store: WorkbookStore, row_id: int, field: str) -> Any:
    if field in FIELDS_BY_NAME:
        value = store.conn.execute(f'SELECT "{field}" FROM traces WHERE id = ?', (row_id,)).fetchone()[0]
        if FIELDS_BY_NAME[field].kind is Kind.BOOLEAN:
            return bool(value)
        return value
    extras = store.conn.execute("SELECT extras FROM traces WHERE id = ?", (row_id,)).fetchone()[0]
    return json.loads(extras or "{}").get(field)


def validate_cell(field: str, value: Any, route_aliases: dict[str, str]) -> Any:
    spec = FIELDS_BY_NAME.get(field) or KNOWN_EXTRA_FIELDS.get(field)
    if spec is None:
        return value
    return check_value(spec, value, route_aliases)


def write_cell(store: WorkbookStore, row_id: int, field: str, value: Any) -> None:
    """Set a validated value (inside the caller's transaction); the first edit keeps the imported value."""
    row = store.conn.execute("SELECT edited, extras FROM traces WHERE id = ?", (row_id,)).fetchone()
    if row is None:
        raise FieldError("id", row_id, "is not a trace row")
    edited = json.loads(row[0] or "{}")
    store.traces_changed()
    if field not in edited:
        edited[field] = {"imported": read_cell(store, row_id, field), "editedAt": now_utc()}
    elif edited[field]["imported"] == value:
        del edited[field]  # back to the imported value: no longer an edit
    if field in FIELDS_BY_NAME:
        stored = int(value) if FIELDS_BY_NAME[field].kind is Kind.BOOLEAN else value
        store.conn.execute(f'UPDATE traces SET "{field}" = ?, edited = ? WHERE id = ?',
                           (stored, json.dumps(edited) if edited else None, row_id))
    else:
        extras = json.loads(row[1] or "{}")
        extras[field] = value
        store.conn.execute("UPDATE traces SET extras = ?, edited = ? WHERE id = ?",
                           (json.dumps(extras, sort_keys=True), json.dumps(edited) if edited else None, row_id))


def edited_fields(store: WorkbookStore, row_id: int) -> dict[str, Any]:
    raw = store.conn.execute("SELECT edited FROM traces WHERE id = ?", (row_id,)).fetchone()
    return json.loads(raw[0] or "{}") if raw else {}


# -- queries for the trace table -----------------------------------------------------------------------

def _where(filters: dict[str, str] | None) -> tuple[str, list[Any]]:
    clauses, params = [VISIBLE], []
    for name, value in (filters or {}).items():
        if name == "import":
            clauses.append("traces.import_id = ?")
            params.append(int(value))
        elif name in FILTER_FIELDS:
            clauses.append(f'traces."{name}" = ?')
            params.append(value)
    return " AND ".join(clauses), params


def ordered_ids(store: WorkbookStore, *, sort_field: str | None = None, descending: bool = False,
                filters: dict[str, str] | None = None) -> np.ndarray:
    """Visible row ids in display order, as a numpy array (no Python object per row is kept)."""
    import numpy as np  # here, not at the top: verifying or exporting a workbook needs no numpy

    where, params = _where(filters)
    order = "traces.id"
    if sort_field in FIELDS_BY_NAME:
        order = f'traces."{sort_field}" {"DESC" if descending else "ASC"}, traces.id'
    elif sort_field in ("id", "import_id"):
        order = f'traces."{sort_field}" {"DESC" if descending else "ASC"}'
    count = store.conn.execute(f"SELECT count(*) FROM traces WHERE {where}", params).fetchone()[0]
    cursor = store.conn.execute(f"SELECT traces.id FROM traces WHERE {where} ORDER BY {order}", params)
    return np.fromiter((r[0] for r in cursor), dtype=np.int64, count=count)


def fetch_rows(store: WorkbookStore, ids: Sequence[int]) -> dict[int, tuple[Any, ...]]:
    """Rows by id: (id, import_id, sixteen fields..., extras, defaulted, edited)."""
    if len(ids) == 0:
        return {}
    columns = ", ".join(f'"{c}"' for c in ("id", "import_id", *FIELD_NAMES, "extras", "defaulted", "edited"))
    marks = ",".join("?" * len(ids))
    with lenient_text(store.conn) as conn:
        return {r[0]: r for r in conn.execute(f"SELECT {columns} FROM traces WHERE id IN ({marks})",
                                              [int(i) for i in ids])}


def distinct_values(store: WorkbookStore, field: str) -> list[str]:
    if field not in FILTER_FIELDS:
        raise ValueError(field)
    with lenient_text(store.conn) as conn:
        return [r[0] for r in conn.execute(
            f'SELECT DISTINCT "{field}" FROM traces WHERE {VISIBLE} ORDER BY "{field}"')]


def extra_field_names(store: WorkbookStore, limit: int = 2000) -> list[str]:
    """Names of extra fields present in the first `limit` rows with extras (for table columns)."""
    names: dict[str, None] = {}
    for (extras,) in store.conn.execute(
            f"SELECT extras FROM traces WHERE extras IS NOT NULL AND {VISIBLE} LIMIT ?", (limit,)):
        for key in json.loads(extras):
            names.setdefault(key, None)
    return list(names)

