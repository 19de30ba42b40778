"""The visible trace rows of a workbook as one polars DataFrame, read column-wise.

`read_trace_frame` is what the economics compute over: numbers as Float64 (a cell holding anything but a finite
number reads as null, which is what `desktop.economics.metrics.as_number` makes of it), batchEligible as
Boolean, the four names as String, the row's extras as their JSON text.

`read_exact_frame` is what the content hash needs: the stored values exactly, or None when some cell holds a
value of another type than its column's (a file written by another tool); callers then take the row-dict path.

Both read through the ADBC SQLite driver, which hands back Arrow columns without a Python object per cell
(1M rows: 0.9 s against 3.6 s for sqlite3 rows turned into a frame). Its own SQLite library opens the file
separately, so it is used only when the store's own connection is outside a transaction (the frame must see what
that connection sees) and the store is a file; otherwise, and if the driver is missing or refuses the file, rows
are read through the store's connection in batches. Closing a second SQLite library's handle drops the POSIX
locks the first one holds on the file: harmless here, because the ADBC read happens while the store's own
connection holds no lock (no statement open, no transaction).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import polars as pl

from desktop.domain.trace import FIELD_NAMES, FIELDS_BY_NAME, Kind
from desktop.storage.workbook_file import VISIBLE_SCAN, WorkbookStore

_BATCH = 65_536
_MAX_REAL = "1.7976931348623157e308"


def _dtype(name: str) -> pl.DataType:
    kind = FIELDS_BY_NAME[name].kind
    if kind is Kind.BOOLEAN:
        return pl.Boolean()
    if kind in (Kind.ROUTE, Kind.TEXT):
        return pl.String()
    return pl.Float64()


SCHEMA: dict[str, pl.DataType] = {"id": pl.Int64(), "importId": pl.Int64(),
                                  **{name: _dtype(name) for name in FIELD_NAMES}, "extras": pl.String()}


def _economics_select(name: str) -> str:
    """The column as the economics read it: only finite numbers survive (text, blobs and infinities are null)."""
    kind = FIELDS_BY_NAME[name].kind
    column = f'"{name}"'
    if kind is Kind.BOOLEAN:
        return f'CASE WHEN {column} IS NULL THEN NULL WHEN {column} THEN 1 ELSE 0 END'
    if kind in (Kind.ROUTE, Kind.TEXT):
        return f"CAST({column} AS TEXT)"
    return (f"CASE WHEN typeof({column}) IN ('real', 'integer') AND abs({column}) <= {_MAX_REAL} "
            f"THEN CAST({column} AS REAL) END")




def _sentinel(name: str) -> str:
    kind = FIELDS_BY_NAME[name].kind
    return "1" if kind is Kind.BOOLEAN else "''" if kind in (Kind.ROUTE, Kind.TEXT) else "0.5"


def _odd_cell(name: str) -> str:
    kind = FIELDS_BY_NAME[name].kind
    if kind is Kind.BOOLEAN:
        return f"typeof(\"{name}\") NOT IN ('null', 'integer')"
    if kind in (Kind.ROUTE, Kind.TEXT):
        return f"typeof(\"{name}\") NOT IN ('null', 'text')"
    return f"typeof(\"{name}\") NOT IN ('null', 'real') OR abs(\"{name}\") > {_MAX_REAL}"


def _query(select: list[str]) -> str:
    """Visible rows in id order, after one typed row (id 0) that fixes each column's type for the driver, which
    otherwise guesses from the first rows and gives up when a column starts with nulls."""
    values = ["0", "0", *map(_sentinel, FIELD_NAMES), "''", "0"][:len(select)]
    sentinel = ", ".join(f"{value} AS c{i}" for i, value in enumerate(values))
    return (f"SELECT {sentinel} UNION ALL SELECT * FROM (SELECT {', '.join(select)} FROM traces "
            f"WHERE {VISIBLE_SCAN} ORDER BY traces.id)")


_ECONOMICS_QUERY = _query(["traces.id", "traces.import_id", *map(_economics_select, FIELD_NAMES), "traces.extras"])
_EXACT_QUERY = _query(["traces.id", "traces.import_id", *(f'"{n}"' for n in FIELD_NAMES), "traces.extras",
                       "(" + " OR ".join(map(_odd_cell, FIELD_NAMES)) + " OR typeof(extras) NOT IN ('null', 'text'))"])


def read_trace_frame(store: WorkbookStore) -> pl.DataFrame:
    """Visible rows in id order; columns `SCHEMA` (numbers that are not finite numbers read as null)."""
    return _read(store, _ECONOMICS_QUERY)


def read_exact_frame(store: WorkbookStore) -> pl.DataFrame | None:
    """Visible rows in id order with their stored values, or None when some cell's type is not its column's
    (text in a number column, a real stored as an integer, an infinity...): the row-dict path handles those."""
    frame = _read(store, _EXACT_QUERY, odd_column=True)
    if frame["odd"].any():
        return None
    return frame.drop("odd")


def frame_rows(frame: pl.DataFrame) -> Iterator[dict[str, Any]]:
    """The frame's rows as `WorkbookStore.iter_traces` gives them (for tests and small paths only)."""
    for row in frame.iter_rows(named=True):
        extras = row.pop("extras")
        if extras:
            row.update(json.loads(extras))
        yield row


def _read(store: WorkbookStore, query: str, *, odd_column: bool = False) -> pl.DataFrame:
    schema = {**SCHEMA, "odd": pl.Boolean()} if odd_column else SCHEMA
    frame = None
    if store.path is not None and not store.conn.in_transaction and store.path.exists():
        frame = _read_adbc(store, query, schema)
    if frame is None:
        frame = _read_rows(store, query, schema)
    return frame


def _read_adbc(store: WorkbookStore, query: str, schema: dict[str, pl.DataType]) -> pl.DataFrame | None:
    try:
        import adbc_driver_sqlite
        from adbc_driver_manager import _lib
    except ImportError:
        return None
    uri = store.path.resolve().as_uri() + "?mode=ro"
    database = connection = statement = None
    try:
        database = _lib.AdbcDatabase(driver=adbc_driver_sqlite._driver_path(), uri=uri)
        connection = _lib.AdbcConnection(database)
        statement = _lib.AdbcStatement(connection)
        statement.set_sql_query(query)
        stream, _ = statement.execute_query()
        frame = pl.DataFrame(stream).slice(1)  # without the typed first row
    except Exception:  # noqa: BLE001 - any refusal (a column whose types vary past the first batch) -> row path
        return None
    finally:
        for handle in (statement, connection, database):
            if handle is not None:
                handle.close()
    frame.columns = list(schema)
    return frame.cast(schema, strict=False)


def _read_rows(store: WorkbookStore, query: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    cursor = store.conn.execute(query)
    cursor.fetchone()  # the typed first row
    parts = []
    while batch := cursor.fetchmany(_BATCH):
        columns = list(zip(*batch))
        parts.append(pl.DataFrame({name: pl.Series(name, values, dtype=dtype, strict=False)
                                   for (name, dtype), values in zip(schema.items(), columns)}))
    if not parts:
        return pl.DataFrame(schema=schema)
    return pl.concat(parts, rechunk=True)
