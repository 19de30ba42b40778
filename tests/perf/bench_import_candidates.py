"""The ways of writing a parsed trace CSV into a workbook, side by side at the same size (issue 16, item 5).

Each candidate stores the same parsed source (`parse_source` is run once, outside the timings) into a fresh
copy of the sample workbook, inside one `BEGIN IMMEDIATE ... COMMIT` on the workbook's own sqlite3
connection, as `ipw import` does; the timing includes the commit (synchronous=FULL).

- (a) row tuples: `ParsedSource.rows()` (polars `iter_rows`) into `executemany`, the path before issue 16;
- (b) column batches: per slice of the frame, the columns as lists zipped into tuples for `executemany`;
- (c) ADBC bulk ingest, the shipped path (desktop/storage/trace_ingest.py): the frame's Arrow stream bound
  with `AdbcStatement.bind_stream` (no pyarrow) into a table of a private scratch SQLite file, then `ATTACH`
  + `INSERT INTO traces SELECT ...` chunk by chunk in the workbook's transaction (a second connection to the
  workbook itself could not write while that transaction holds the lock, and two copies of SQLite must not
  share one file);
- (d) the import's rows as one zstd Parquet blob in the workbook (the issue's third candidate), timed as a
  yardstick for the storage redesign it would take (the Traces page, cell edits, the schema check and the
  signed trace hash all read a row table today); its time includes reading the blob back once;
- tried and dropped: each column of a batch passed as one JSON array and rows assembled by SQLite with
  `json_each` + `json_extract` (json_extract parses the whole array again for every cell: quadratic; it did
  not finish 3 runs at 200,000 rows in 5 minutes); SQLite's own CSV reader is not reachable from Python's
  sqlite3.

Also polars.read_csv of the source as the yardstick, and the parse alone. Prints min/median/max of N runs.

Run: .venv/bin/python -m tests.perf.bench_import_candidates [rows] [runs]
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

from desktop.importers import parse_source
from desktop.storage.schema import TRACE_INSERT_COLUMNS
from tests.perf.data import trace_csv

BATCH = 50_000


def _columns_sql() -> str:
    return ", ".join(f'"{c}"' for c in ("import_id", *TRACE_INSERT_COLUMNS, "active"))


def tuples_rows(store, import_id: int, parsed) -> None:
    store.add_traces(import_id, parsed.rows())


def column_batches(store, import_id: int, parsed) -> None:
    marks = ", ".join("?" * (len(TRACE_INSERT_COLUMNS) + 2))
    sql = f"INSERT INTO traces ({_columns_sql()}) VALUES ({marks})"
    for batch in parsed.valid.iter_slices(BATCH):
        columns = [series.to_list() for series in batch.iter_columns()]
        count = batch.height
        store.conn.executemany(sql, zip([import_id] * count, *columns, [1] * count))


def adbc_ingest(store, import_id: int, parsed) -> None:
    from desktop.storage.trace_ingest import insert_trace_frame

    insert_trace_frame(store.conn, import_id, parsed.valid, active=True)


def parquet_blob(store, import_id: int, parsed) -> int:
    """The issue's third candidate, as a yardstick only (not a storage the app reads): the import's rows as one
    zstd-compressed Parquet file in the workbook's blob table (content-addressed by its SHA-256, which would be
    the import's own hash). Returns the rows the stored blob reads back as."""
    import io

    buffer = io.BytesIO()
    parsed.valid.write_parquet(buffer, compression="zstd", compression_level=1)
    sha = store.put_blob(buffer.getvalue())
    return pl.read_parquet(io.BytesIO(store.get_blob(sha))).height


CANDIDATES: dict[str, Callable] = {
    "(a) row tuples -> executemany": tuples_rows,
    "(b) column batches -> executemany": column_batches,
    "(c) ADBC ingest + INSERT SELECT": adbc_ingest,
    "(d) Parquet blob (yardstick)": parquet_blob,
}


def store_once(base: Path, folder: Path, parsed, candidate: Callable) -> float:
    from desktop.storage.workbook_file import open_store

    target = folder / "run.ipwb"
    shutil.copyfile(base, target)
    store = open_store(target, writable=True)
    try:
        start = time.perf_counter()
        with store.transaction():
            import_id = store.add_import(source="bench", format="csv", sha256="0" * 64, size=0,
                                         rows_read=parsed.rows_valid, rows_imported=parsed.rows_valid,
                                         rows_rejected=0)
            read_back = candidate(store, import_id, parsed)
        elapsed = time.perf_counter() - start
        stored = read_back if read_back is not None else store.conn.execute(
            "SELECT count(*) FROM traces WHERE import_id = ?", (import_id,)).fetchone()[0]
    finally:
        store.close()
    assert stored == parsed.rows_valid, (stored, parsed.rows_valid)
    target.unlink()
    return elapsed


def summary(times: list[float]) -> str:
    return f"min {min(times):6.3f}  median {statistics.median(times):6.3f}  max {max(times):6.3f} s"


def main(rows: int = 1_000_000, runs: int = 5) -> None:
    from desktop.services.workbook import run_new

    path = trace_csv(rows)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        base = folder / "base.ipwb"
        run_new(base, sample=True)
        parsed = parse_source(path)
        assert parsed.rows_valid == rows and not parsed.problems
        peer = [_time(lambda: pl.read_csv(path)) for _ in range(runs)]
        parse = [_time(lambda: parse_source(path)) for _ in range(runs)]
        print(f"trace CSV, {rows:,} rows, {runs} runs each (stores include the commit)")
        print(f"  {'polars.read_csv (yardstick)':36s} {summary(peer)}")
        print(f"  {'parse_source (parse + validate)':36s} {summary(parse)}")
        for label, candidate in CANDIDATES.items():
            times = [store_once(base, folder, parsed, candidate) for _ in range(runs)]
            print(f"  {label:36s} {summary(times)}   store+parse / read_csv "
                  f"{(statistics.median(times) + statistics.median(parse)) / statistics.median(peer):5.2f}x")
        shutil.rmtree(folder, ignore_errors=True)


def _time(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
