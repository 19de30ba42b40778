"""1,000,000-row trace CSV: parse + validate against polars.read_csv alone on the same file (target <= 3x).

Also reports the rest of an import's path: turning valid rows into the tuples storage inserts, an SQLite
insert of them as a stand-in for storage (the real storage module is timed by its own benchmark), and the
longest stall of a 10 ms heartbeat on another thread while the import runs (the GUI target is < 100 ms).

Run: .venv/bin/python -m tests.perf.bench_import_csv [rows]
"""

from __future__ import annotations

import sqlite3
import sys
import threading
import time

import polars as pl

from desktop.importers import OUTPUT_COLUMNS, parse_source
from tests.perf.data import trace_csv
from tests.perf.timing import median_seconds, peak_rss_mib


def heartbeat_stall(action) -> float:
    """Longest gap between 10 ms ticks of a thread while `action` runs on another (GIL contention)."""
    done = threading.Event()
    gaps = [0.0]
    worker = threading.Thread(target=lambda: (action(), done.set()))
    last = time.perf_counter()
    worker.start()
    while not done.is_set():
        time.sleep(0.01)
        now = time.perf_counter()
        gaps.append(now - last - 0.01)
        last = now
    worker.join()
    return max(gaps)


def main(rows: int = 1_000_000, runs: int = 5) -> None:
    path = trace_csv(rows)
    parse_source(path)  # warm the page cache and imports
    peer = median_seconds(lambda: pl.read_csv(path), runs)
    ours = median_seconds(lambda: parse_source(path), runs)
    parsed = parse_source(path)
    assert parsed.rows_valid == rows and not parsed.problems
    start = time.perf_counter()
    tuples = list(parsed.rows())
    to_tuples = time.perf_counter() - start
    connection = sqlite3.connect(":memory:")
    connection.execute(f"CREATE TABLE traces ({', '.join(f'{c!r}' for c in OUTPUT_COLUMNS)})")
    start = time.perf_counter()
    with connection:
        connection.executemany(f"INSERT INTO traces VALUES ({', '.join('?' * len(OUTPUT_COLUMNS))})", tuples)
    insert = time.perf_counter() - start
    stall = heartbeat_stall(lambda: parse_source(path))
    memory = peak_rss_mib(f"from desktop.importers import parse_source; parse_source({str(path)!r})")
    size = path.stat().st_size / 1024 ** 2
    print(f"trace CSV, {rows:,} rows, {size:,.0f} MiB, median of {runs} runs")
    print(f"  polars.read_csv alone          {peer:7.3f} s")
    print(f"  parse_source (parse+validate)  {ours:7.3f} s   ratio {ours / peer:.2f}x  (target <= 3x)")
    print(f"  valid rows -> tuples           {to_tuples:7.3f} s")
    print(f"  sqlite executemany (stand-in)  {insert:7.3f} s")
    print(f"  end to end (sum)               {ours + to_tuples + insert:7.3f} s")
    print(f"  peak RSS of parse_source       {memory:7.0f} MiB")
    print(f"  longest heartbeat stall        {stall * 1000:7.1f} ms (10 ms ticks on another thread)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
