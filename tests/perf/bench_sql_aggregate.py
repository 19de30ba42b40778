"""A 50,000,000-row Parquet request log aggregated in bounded memory (target: peak under 2 GB).

The log is written by polars' streaming sink (never held in memory) with eight lanes of requests and
hash-derived values; `parse_source` sends a Parquet request log over 5M rows through the shipped SQL query
(resources/sql/request_log_aggregate.sql) on polars' streaming engine. Peak memory is the VmHWM of a fresh
process that runs only the import; the check that its rows are right is the SQL test on DuckDB and Spark.

Run: .venv/bin/python -m tests.perf.bench_sql_aggregate [rows]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from tests.perf.timing import peak_rss_mib

ROUTES = ["Dedicated endpoint", "Hosted open-weight serverless"]
WORKLOADS = ["support-policy", "invoice-review"]
LANE = {"provider": "bench", "batchEligible": "false", "acceptedOutputRate": "", "reviewMinutes": ""}


def request_log_parquet(rows: int, folder: Path) -> Path:
    path = folder / f"requests-{rows}.parquet"
    if path.exists():
        return path
    i = pl.col("i")
    noise = (i.hash(7) % 10_000).cast(pl.Float64) / 10_000.0
    lane = i % 8
    (pl.LazyFrame().select(pl.int_range(0, rows, dtype=pl.Int64).alias("i"))
     .select(pl.lit("llama-70b").alias("model"),
             pl.when(lane % 2 == 0).then(pl.lit(ROUTES[0])).otherwise(pl.lit(ROUTES[1])).alias("route"),
             pl.when((lane // 2) % 2 == 0).then(pl.lit(WORKLOADS[0])).otherwise(pl.lit(WORKLOADS[1]))
             .alias("workload"),
             (pl.lit(4) * (lane // 4 + 1)).alias("concurrency"),
             (800.0 + 2400.0 * noise).alias("latency_ms"),
             (80.0 + 120.0 * noise).alias("ttft_ms"),
             (500 + (i.hash(11) % 1500)).alias("prompt_tokens"),
             (100 + (i.hash(13) % 300)).alias("completion_tokens"),
             (i.hash(17) % 400).alias("cached_tokens"),
             (0.0001 + noise / 1000.0).alias("cost_usd"),
             pl.when(i.hash(19) % 100 == 0).then(pl.lit("timeout")).otherwise(None).alias("error"))
     .sink_parquet(path, engine="streaming"))
    return path


def main(rows: int = 50_000_000) -> None:
    folder = Path(tempfile.gettempdir()) / "ipw-bench-sql"
    folder.mkdir(exist_ok=True)
    start = time.perf_counter()
    path = request_log_parquet(rows, folder)
    written = time.perf_counter() - start
    code = (f"import time; from desktop.importers import parse_source; start = time.perf_counter(); "
            f"p = parse_source({str(path)!r}, set_values={LANE!r}); "
            f"assert p.ok and p.rows_valid == 8, p.problem_lines(); print(time.perf_counter() - start)")
    start = time.perf_counter()
    memory = peak_rss_mib(code)  # a fresh process that only imports the log (VmHWM)
    seconds = time.perf_counter() - start
    size = path.stat().st_size / 1024 ** 2
    print(f"Parquet request log, {rows:,} rows, {size:,.0f} MiB (written in {written:,.0f} s)")
    print(f"  aggregated to 8 trace rows in {seconds:,.1f} s (process start included); peak memory "
          f"{memory:,.0f} MiB (target under 2,048 MiB)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000_000)
