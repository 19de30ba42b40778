"""5,000,000-row request log aggregated into trace rows, against a plain polars group-by computing the same
percentiles on the same file (target <= 3x, peak memory < 2 GB).

The peer skips everything an import must do besides the arithmetic: hashing the file, validating every
cell, mapping routes and booleans through the domain's rules, finding problems.

Run: .venv/bin/python -m tests.perf.bench_request_log [rows]
"""

from __future__ import annotations

import sys

import polars as pl

from desktop.importers import parse_source
from tests.perf.data import request_log_csv
from tests.perf.timing import median_seconds, peak_rss_mib

KEYS = ["route", "provider", "model", "workload", "concurrency"]
GIVEN = {"batchEligible": "false", "reviewMinutes": ""}


def plain_group_by(path) -> pl.DataFrame:
    ok = pl.col("error").is_null()
    latency = pl.col("latency_ms").filter(ok)
    return (pl.scan_csv(path).group_by(KEYS).agg(
        latency.quantile(0.5, "linear"), latency.quantile(0.95, "linear").alias("p95"),
        latency.quantile(0.99, "linear").alias("p99"), pl.col("ttft_ms").filter(ok).median(),
        pl.col("input_tokens").filter(ok).mean(), pl.col("output_tokens").filter(ok).mean(),
        (pl.col("cached_tokens").filter(ok).sum() / pl.col("input_tokens").filter(ok).sum()).alias("cache"),
        (pl.col("accepted") & ok).mean().alias("accepted"), pl.col("cost_usd").mean(), pl.len()).collect())


def main(rows: int = 5_000_000, runs: int = 3) -> None:
    path = request_log_csv(rows)
    parse_source(path, set_values=GIVEN)
    peer = median_seconds(lambda: plain_group_by(path), runs)
    ours = median_seconds(lambda: parse_source(path, set_values=GIVEN), runs)
    parsed = parse_source(path, set_values=GIVEN)
    expected = plain_group_by(path)
    assert parsed.ok and parsed.rows_valid == expected.height, parsed.problem_lines()[:5]
    peer_memory = peak_rss_mib(f"from tests.perf.bench_request_log import plain_group_by; "
                               f"plain_group_by({str(path)!r})")
    memory = peak_rss_mib(f"from desktop.importers import parse_source; "
                          f"parse_source({str(path)!r}, set_values={GIVEN!r})")
    print(f"request log, {rows:,} rows, {path.stat().st_size / 1024 ** 2:,.0f} MiB, {parsed.rows_valid} trace "
          f"rows, median of {runs} runs")
    print(f"  plain polars group-by          {peer:7.3f} s   peak RSS {peer_memory:6.0f} MiB")
    print(f"  parse_source (validate+agg)    {ours:7.3f} s   peak RSS {memory:6.0f} MiB   ratio {ours / peer:.2f}x"
          f"  (target <= 3x, < 2048 MiB)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5_000_000)
