"""Writing an import's validated rows into the traces table without a Python object per cell.

Python's sqlite3 binds every value of every row through the interpreter: about 3.5 s per million trace rows,
most of an import. Here the rows go as Arrow batches through the ADBC SQLite driver (C, no pyarrow) into a
private scratch file, and the workbook's own connection copies them with `INSERT ... SELECT`, chunk by chunk,
inside the caller's transaction. The import therefore still lands whole or not at all, under the workbook's
rollback journal, and a crash leaves the workbook as it was (the scratch file is not part of it).

Why a scratch file and not the workbook: the caller's transaction holds the workbook's write lock, so a second
connection could not write to it; and the driver carries its own copy of SQLite, and two copies of SQLite
must never open the same database file (closing it in one drops the POSIX locks the other holds). The driver
closes the scratch file before the workbook's connection attaches it.

An attached file cannot be detached inside the transaction that read it: it is detached at the start of the
next ingest on the same connection (or goes when the connection closes), and its folder is deleted as soon as
the copy is done (an open file can be unlinked on POSIX).
"""

from __future__ import annotations

import functools
import os
import shutil
import sqlite3
import stat
import tempfile
from pathlib import Path

import polars as pl

from desktop.domain.progress import NO_PROGRESS, Progress, check_cancelled
from desktop.domain.trace import FIELDS_BY_NAME, Kind
from desktop.storage.schema import TRACE_INSERT_COLUMNS

# ---- Constants

CHUNK_ROWS = 100_000  # rows per driver batch and per copy step: how often progress moves and cancel is polled
# Below this many rows the scratch file's fixed cost (driver load, a file, ATTACH) outweighs binding in Python;
# also the way when the connection has no room left for one more attached file (SQLite allows ten).
SMALL_ROWS = 5_000
SCRATCH_PREFIX = "ipw_scratch_"
SCRATCH_FOLDER_PREFIX = "ipw-import-"  # then the writing process's id: a folder whose process is gone is swept
SCRATCH_TABLE = "rows"

_DTYPES: dict[str, pl.DataType] = {
    name: (pl.String if name not in FIELDS_BY_NAME or FIELDS_BY_NAME[name].kind in (Kind.ROUTE, Kind.TEXT)
           else pl.Int64 if FIELDS_BY_NAME[name].kind is Kind.BOOLEAN else pl.Float64)
    for name in TRACE_INSERT_COLUMNS
}


# ---- Public API

def insert_trace_frame(conn: sqlite3.Connection, import_id: int, frame: pl.DataFrame, *, active: bool,
                       progress: Progress | None = None) -> int:
    """Insert `frame` (columns named TRACE_INSERT_COLUMNS, validated) as rows of import `import_id`, inside
    the caller's transaction on `conn`; returns the number of rows written.

    Advances `progress` by the frame's rows in all (half when a chunk is staged, half when it is copied);
    raises Cancelled between chunks when it asks to stop (the caller's transaction then rolls back).
    """
    progress = progress or NO_PROGRESS
    frame = frame.select(list(_DTYPES))
    _detach_finished(conn)
    if frame.height < SMALL_ROWS or not _driver_loads() or _attached_count(conn) >= _attach_limit(conn):
        return _insert_bound(conn, import_id, frame, active, progress)
    _sweep_abandoned_scratch()
    with tempfile.TemporaryDirectory(prefix=f"{SCRATCH_FOLDER_PREFIX}{os.getpid()}-") as folder:
        scratch = Path(folder) / "rows.sqlite"
        _stage(scratch, frame, progress)
        alias = f"{SCRATCH_PREFIX}{import_id}"
        conn.execute(f"ATTACH DATABASE ? AS {alias}", (str(scratch),))
        written = _copy(conn, alias, import_id, frame.height, active, progress)
    if written != frame.height:  # the driver dropped or added rows: never store a partial import
        raise sqlite3.DatabaseError(f"staged {frame.height} trace rows but copied {written}")
    return written


# ---- Private API

def _chunks(frame: pl.DataFrame):
    """Slices of CHUNK_ROWS rows in storage types, cast one slice at a time: a frame whose text columns are
    categoricals (a large import) would take several times its size as plain text all at once."""
    for chunk in frame.iter_slices(CHUNK_ROWS):
        yield chunk.select([pl.col(name).cast(dtype) for name, dtype in _DTYPES.items()])


def _column_list() -> str:
    return ", ".join(f'"{name}"' for name in ("import_id", *TRACE_INSERT_COLUMNS, "active"))


def _insert_bound(conn: sqlite3.Connection, import_id: int, frame: pl.DataFrame, active: bool,
                  progress: Progress) -> int:
    """Small frames: each chunk's columns zipped into rows for executemany (no per-row dict or list)."""
    marks = ", ".join("?" * (len(TRACE_INSERT_COLUMNS) + 2))
    sql = f"INSERT INTO traces ({_column_list()}) VALUES ({marks})"
    before = conn.total_changes
    for chunk in _chunks(frame):
        check_cancelled(progress)
        columns = [series.to_list() for series in chunk.iter_columns()]
        conn.executemany(sql, zip([import_id] * chunk.height, *columns, [int(active)] * chunk.height))
        progress.advance(chunk.height)
    return conn.total_changes - before


@functools.cache
def _driver_loads() -> bool:
    """Whether the ADBC SQLite driver loads here (a bundle or an install without it imports row by row)."""
    try:
        import adbc_driver_manager  # noqa: F401
        import adbc_driver_sqlite  # noqa: F401
    except Exception:  # noqa: BLE001 - missing, or a package that cannot read its own files
        return False
    return True


def _stage(scratch: Path, frame: pl.DataFrame, progress: Progress) -> None:
    """The frame into table SCRATCH_TABLE of a new file, rowids 1..n in frame order (no journal, no sync:
    the file is thrown away whatever happens)."""
    import adbc_driver_manager as adbc
    import adbc_driver_sqlite

    database = adbc_driver_sqlite.connect(str(scratch))
    try:
        connection = adbc.AdbcConnection(database)
        try:
            # large pages: fewer page splits and records per page header to write, and to read back in the copy
            for pragma in ("PRAGMA page_size = 65536", "PRAGMA journal_mode = OFF", "PRAGMA synchronous = OFF"):
                with adbc.AdbcStatement(connection) as statement:
                    statement.set_sql_query(pragma)
                    statement.execute_update()
            mode = adbc.INGEST_OPTION_MODE_CREATE
            for chunk in _chunks(frame):
                check_cancelled(progress)
                with adbc.AdbcStatement(connection) as statement:
                    statement.set_options(**{adbc.INGEST_OPTION_TARGET_TABLE: SCRATCH_TABLE,
                                             adbc.INGEST_OPTION_MODE: mode})
                    statement.bind_stream(chunk.__arrow_c_stream__())
                    statement.execute_update()
                mode = adbc.INGEST_OPTION_MODE_APPEND
                progress.advance(chunk.height // 2)
        finally:
            connection.close()
    finally:
        database.close()


def _copy(conn: sqlite3.Connection, alias: str, import_id: int, rows: int, active: bool,
          progress: Progress) -> int:
    fields = ", ".join(f'"{name}"' for name in TRACE_INSERT_COLUMNS)
    sql = (f"INSERT INTO traces ({_column_list()}) SELECT ?, {fields}, ? FROM {alias}.{SCRATCH_TABLE} "
           f"WHERE rowid > ? AND rowid <= ? ORDER BY rowid")
    written = 0
    for start in range(0, rows, CHUNK_ROWS):
        check_cancelled(progress)
        end = min(start + CHUNK_ROWS, rows)
        written += conn.execute(sql, (import_id, int(active), start, end)).rowcount
        progress.advance((end - start) - (end - start) // 2)
    return written


def _sweep_abandoned_scratch() -> None:
    """Delete the scratch folders of imports whose process was killed before it could (their file can be
    hundreds of megabytes). Only on POSIX, where asking whether a process id is alive is harmless; only real
    folders of this user's (a link or another user's folder with a matching name is left alone)."""
    if os.name != "posix":
        return
    root = Path(tempfile.gettempdir())
    for entry in root.glob(f"{SCRATCH_FOLDER_PREFIX}*-*"):
        pid = entry.name[len(SCRATCH_FOLDER_PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or _process_alive(int(pid)):
            continue
        try:
            info = entry.lstat()
        except OSError:
            continue
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid():
            shutil.rmtree(entry, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # alive, another user's
        return True
    return True


def _scratch_aliases(conn: sqlite3.Connection) -> list[str]:
    return [name for _, name, _ in conn.execute("PRAGMA database_list") if name.startswith(SCRATCH_PREFIX)]


def _detach_finished(conn: sqlite3.Connection) -> None:
    """Detach scratch files of earlier ingests whose transaction has ended (those of this one stay)."""
    for alias in _scratch_aliases(conn):
        try:
            conn.execute(f"DETACH DATABASE {alias}")
        except sqlite3.OperationalError:  # read by the transaction still open: detached next time
            pass


def _attached_count(conn: sqlite3.Connection) -> int:
    return sum(1 for _, name, _ in conn.execute("PRAGMA database_list") if name not in ("main", "temp"))


def _attach_limit(conn: sqlite3.Connection) -> int:
    if hasattr(conn, "getlimit"):  # Python 3.11+
        return conn.getlimit(sqlite3.SQLITE_LIMIT_ATTACHED)
    return 10
