"""The visible trace rows of a workbook as one polars DataFrame, read column-wise.

`read_trace_frame` is what the economics compute over: numbers as Float64 (a cell holding anything but a finite
number reads as null, which is what `desktop.economics.metrics.as_number` makes of it), batchEligible as
Boolean, the four names as String, the row's extras as their JSON text.

`read_exact_frame` is what the content hash needs: the stored values exactly, or None when some cell holds a
value of another type than its column's (a file written by another tool); callers then take the row-dict path.

Both read through the ADBC SQLite driver, which hands back Arrow columns without a Python object per cell
(1M rows: 0.9 s against 3.6 s for sqlite3 rows turned into a frame).

Each first reads the columns as stored, with no per-cell SQL. The schema check (desktop.storage.received)
fixes the declared column types, so a number column reads back as real (SQLite turns an integer there into a
real as it reads) unless a cell holds text or a blob, and the boolean column as integer unless a cell holds a
real, text or a blob. In those cases the driver refuses the query (its column was typed by the first row) or,
when the odd cell is in its first batch, widens the column; either way the read is repeated with per-cell
typeof() checks, which cost about as much again. A name column can hold a blob (SQL can store one there),
which the driver would hand back as text, so the exact read still checks those five columns per cell. Text
that is not UTF-8 is refused (DamagedTracesError): polars would take it unchecked and crash later.

The driver's own SQLite library opens the file separately, so it is used only when the store's own connection
is outside a transaction (the frame must see what that connection sees) and the store is a file; otherwise,
and if the driver is missing or refuses the file, rows are read through the store's connection in batches.
Closing a second SQLite library's handle drops the POSIX locks the first one holds on the file: harmless
here, because the ADBC read happens while the store's own connection holds no lock (no statement open, no
transaction).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import polars as pl

from desktop.domain.trace import FIELD_NAMES, FIELDS_BY_NAME, Kind
from desktop.storage.errors import DamagedTracesError
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


def _query(select: list[str], after_id: int | None = None, limit: int | None = None) -> str:
    """Visible rows in id order (those after `after_id`, at most `limit`), after one typed row (id 0) that fixes
    each column's type for the driver, which otherwise guesses from the first rows and gives up when a column
    starts with nulls."""
    values = ["0", "0", *map(_sentinel, FIELD_NAMES), "''", "0"][:len(select)]
    sentinel = ", ".join(f"{value} AS c{i}" for i, value in enumerate(values))
    after = "" if after_id is None else f" AND traces.id > {int(after_id)}"
    limited = "" if limit is None else f" LIMIT {int(limit)}"
    return (f"SELECT {sentinel} UNION ALL SELECT * FROM (SELECT {', '.join(select)} FROM traces "
            f"WHERE {VISIBLE_SCAN}{after} ORDER BY traces.id{limited})")


_TEXT_FIELDS = [name for name in FIELD_NAMES if FIELDS_BY_NAME[name].kind in (Kind.ROUTE, Kind.TEXT)]
_NUMBER_FIELDS = [name for name in FIELD_NAMES if FIELDS_BY_NAME[name].kind in (Kind.NUMBER, Kind.RATE)]
_STORED = ["traces.id", "traces.import_id", *(f'"{n}"' for n in FIELD_NAMES), "traces.extras"]
_ECONOMICS_SELECT = ["traces.id", "traces.import_id", *map(_economics_select, FIELD_NAMES), "traces.extras"]
_EXACT_SELECT = [*_STORED, "(" + " OR ".join(map(_odd_cell, FIELD_NAMES)) + " OR "
                 "typeof(extras) NOT IN ('null', 'text'))"]
# What the driver reads as stored; it refuses any other cell type in the number and boolean columns.
_EXACT_FAST_SELECT = [*_STORED, "(" + " OR ".join(map(_odd_cell, _TEXT_FIELDS)) + " OR "
                      "typeof(extras) NOT IN ('null', 'text'))"]
_ECONOMICS_QUERY = _query(_ECONOMICS_SELECT)
# How the driver hands back each column read as stored (the typed first row fixes them); ids and the odd flag
# are integers.
_STORAGE_DTYPES: dict[str, pl.DataType] = {
    **{name: pl.Float64() for name in _NUMBER_FIELDS}, **{name: pl.String() for name in _TEXT_FIELDS},
    **{name: pl.Int64() for name in FIELD_NAMES if FIELDS_BY_NAME[name].kind is Kind.BOOLEAN},
    "extras": pl.String()}
_ECONOMICS_FAST_QUERY = _query(_STORED)
_EXACT_QUERY = _query(_EXACT_SELECT)
_EXACT_SCHEMA = {**SCHEMA, "odd": pl.Boolean()}


def read_trace_frame(store: WorkbookStore) -> pl.DataFrame:
    """Visible rows in id order; columns `SCHEMA` (numbers that are not finite numbers read as null)."""
    before = store.change_state()
    frame = _read(store, _ECONOMICS_FAST_QUERY, _ECONOMICS_QUERY, SCHEMA)
    if store.change_state() == before:  # nothing wrote meanwhile: these are the visible rows, counted for free
        store.note_visible_shape(frame.height, int(frame["id"].max() or 0) if frame.height else 0)
    # an infinity read as stored is null, as the checked read's CASE makes it; a column is copied only if it has one
    infinite = [name for name in _NUMBER_FIELDS if frame[name].is_infinite().any()]
    return frame.with_columns(pl.when(pl.col(name).is_finite()).then(pl.col(name)).alias(name) for name in infinite)


def read_exact_frame(store: WorkbookStore) -> pl.DataFrame | None:
    """Visible rows in id order with their stored values, or None when some cell's type is not its column's
    (text or a blob in a number column, a real in the boolean column, a blob in a name column...): the
    row-dict path handles those. An infinity stays: the hash writes such a row the row-dict way."""
    frame = _read(store, _query(_EXACT_FAST_SELECT), _EXACT_QUERY, _EXACT_SCHEMA)
    if frame["odd"].any():
        return None
    return frame.drop("odd")


def iter_exact_parts(store: WorkbookStore, rows: int = 262_144) -> Iterator[tuple[pl.DataFrame | None, int, int]]:
    """The visible rows `rows` at a time, in id order, so a pass over millions of rows stays in bounded memory:
    (frame with the stored values or None when some cell of this part has another type, first id, last id).
    A None part is read again row by row (`WorkbookStore.iter_traces(after_id, up_to_id)`)."""
    reader = _AdbcReader(store) if _adbc_allowed(store) else None
    after = 0
    try:
        while True:
            frame = _read(store, _query(_EXACT_FAST_SELECT, after, rows), _query(_EXACT_SELECT, after, rows),
                          _EXACT_SCHEMA, reader)
            if frame.is_empty():
                return
            first, last = int(frame["id"][0]), int(frame["id"][-1])
            yield (None if frame["odd"].any() else frame.drop("odd")), first, last
            after = last
    finally:
        if reader:
            reader.close()


def frame_rows(frame: pl.DataFrame) -> Iterator[dict[str, Any]]:
    """The frame's rows as `WorkbookStore.iter_traces` gives them (for tests and small paths only)."""
    for row in frame.iter_rows(named=True):
        extras = row.pop("extras")
        if extras:
            row.update(json.loads(extras))
        yield row


def _adbc_allowed(store: WorkbookStore) -> bool:
    return store.path is not None and not store.conn.in_transaction and store.path.exists()


def _read(store: WorkbookStore, stored_query: str, checked_query: str, schema: dict[str, pl.DataType],
          reader: _AdbcReader | None = None) -> pl.DataFrame:
    """The rows through the driver as stored (`stored_query`), else through the driver with per-cell checks
    (`checked_query`), else row by row through the store's connection; over `reader` when given, else over a
    reader of its own when the driver may be used here."""
    own = reader is None and _adbc_allowed(store)
    if own:
        reader = _AdbcReader(store)
    try:
        frame = reader.read(stored_query, schema, as_stored=True) if reader else None
        if frame is None and reader:
            frame = reader.read(checked_query, schema)
    finally:
        if own:
            reader.close()
    return frame if frame is not None else _read_rows(store, checked_query, schema)


class _AdbcReader:
    """One read-only ADBC connection to the store's file; `read` gives None when the driver is missing or
    refuses the query (any refusal: the row path then reads the same rows)."""

    def __init__(self, store: WorkbookStore) -> None:
        self.database = self.connection = None
        try:
            import adbc_driver_sqlite
            from adbc_driver_manager import _lib
        except Exception:  # noqa: BLE001 - missing, or a package that cannot read its own files: the row path
            return
        self._lib = _lib
        try:
            self.database = _lib.AdbcDatabase(driver=adbc_driver_sqlite._driver_path(),
                                              uri=store.path.resolve().as_uri() + "?mode=ro")
            self.connection = _lib.AdbcConnection(self.database)
        except Exception:  # noqa: BLE001 - a driver that cannot open the file: the row path reads it
            self.close()

    def read(self, query: str, schema: dict[str, pl.DataType], *, as_stored: bool = False) -> pl.DataFrame | None:
        """`as_stored`: the query selects the columns as stored, so a column the driver did not read in its
        column's storage type (it widens a column whose first batch mixes types) means None."""
        if self.connection is None:
            return None
        statement = None
        try:
            statement = self._lib.AdbcStatement(self.connection)
            statement.set_sql_query(query)
            stream, _ = statement.execute_query()
            frame = pl.DataFrame(stream).slice(1)  # without the typed first row
        except (KeyboardInterrupt, SystemExit):
            raise
        # A column whose types vary past the first batch, or a Rust panic taking the stream from a crafted
        # file (pyo3's PanicException is a BaseException): the row path reads the rows instead.
        except BaseException:  # noqa: BLE001
            return None
        finally:
            if statement is not None:
                statement.close()
        frame.columns = list(schema)
        _refuse_text_that_is_not_utf8(frame)
        if as_stored and any(frame.schema[name] != _STORAGE_DTYPES.get(name, pl.Int64()) for name in schema):
            return None
        try:
            return frame.cast(schema, strict=False).rechunk()
        except pl.exceptions.PolarsError:  # a blob the driver widened a column to (first batch): the row path
            return None

    def close(self) -> None:
        for handle in (self.connection, self.database):
            if handle is not None:
                handle.close()
        self.connection = self.database = None


def _refuse_text_that_is_not_utf8(frame: pl.DataFrame) -> None:
    """The driver hands text cells over unchecked, and polars takes them as they come; text that is not UTF-8
    would then crash the process where polars gives it to Python. A round trip through bytes checks it."""
    for name, dtype in frame.schema.items():
        if dtype == pl.String():
            try:
                frame[name].cast(pl.Binary).cast(pl.String)
            except pl.exceptions.ComputeError:
                raise DamagedTracesError(f"text that is not UTF-8 (column '{name}')") from None


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
