"""The shipped request-log query (resources/sql/request_log_aggregate.sql) gives the app's own trace rows,
unchanged on polars (the app's path for big Parquet logs), DuckDB and Spark SQL in local mode."""

import math
import shutil
from pathlib import Path

import polars as pl
import pytest

from desktop.importers import parse_source
from desktop.importers.sql_aggregate import query, requests_view, run_polars
from desktop.resources import playbook

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "importers" / "real"
LANE = {"batchEligible": "false", "reviewMinutes": ""}
SCHEMA = ("route string, provider string, model string, workload string, concurrency double, latency_ms double, "
          "ttft_ms double, input_tokens double, output_tokens double, cached_tokens double, cost_usd double, "
          "accepted boolean, failed boolean")
COMPARED = {"latency_p50_ms": "latencyP50Ms", "latency_p95_ms": "latencyP95Ms", "latency_p99_ms": "latencyP99Ms",
            "ttft_ms": "ttftMs", "input_tokens": "inputTokens", "output_tokens": "outputTokens",
            "cache_hit_rate": "cacheHitRate", "cost_usd": "costUsd", "accepted_output_rate": "acceptedOutputRate",
            "output_tokens_per_second": "outputTokensPerSecond"}


def app_rows(path, **given):
    parsed = parse_source(path, set_values={**LANE, **given})
    assert parsed.ok, parsed.problem_lines()
    return parsed.preview()


def view_of_csv(path):
    frame = pl.read_csv(path)
    return requests_view(frame.lazy(), frame.columns, {}, playbook().trace_route_aliases()).collect()


def key(row):
    return tuple(str(row[k]) for k in ("route", "provider", "model", "workload", "concurrency"))


def same(sql_rows, app):
    assert len(sql_rows) == len(app)
    for got, want in zip(sorted(sql_rows, key=key), sorted(app, key=key)):
        for column, field in COMPARED.items():
            a, b = got[column], want.get(field)
            assert (a is None and b is None) or math.isclose(a, b, rel_tol=1e-9), (column, a, b)
        assert got["requests"] == want["requestCount"] and got["failed_requests"] == want["failedRequests"]


@pytest.fixture(scope="module")
def requests_csv():
    return Path(__file__).resolve().parents[1] / "fixtures" / "importers" / "requests.csv"


def test_polars_runs_the_query_to_the_apps_rows(requests_csv):
    rows = run_polars(view_of_csv(requests_csv).lazy()).to_dicts()
    same(rows, app_rows(requests_csv))
    assert rows[0]["aggregated_by"] == "ipw-request-log-aggregate/1 polars"


def test_duckdb_runs_the_query_unchanged(requests_csv):
    import duckdb
    view = view_of_csv(requests_csv)
    connection = duckdb.connect()
    connection.execute(f"CREATE TABLE requests ({SCHEMA})")
    connection.executemany(f"INSERT INTO requests VALUES ({', '.join('?' * view.width)})", view.rows())
    result = connection.execute(query("duckdb"))
    names = [d[0] for d in result.description]
    rows = [dict(zip(names, row)) for row in result.fetchall()]
    same(rows, app_rows(requests_csv))
    assert rows[0]["aggregated_by"] == "ipw-request-log-aggregate/1 duckdb"


def test_spark_local_mode_runs_the_query_unchanged(requests_csv):
    if shutil.which("java") is None:
        pytest.skip("Java is not installed: Spark local mode needs a Java 17+ runtime (openjdk-17-jre-headless)")
    from pyspark.sql import SparkSession
    spark = (SparkSession.builder.master("local[1]").appName("ipw-sql-test")
             .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "1")
             .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
             .getOrCreate())
    try:
        view = view_of_csv(requests_csv)
        spark.createDataFrame(view.rows(), SCHEMA).createOrReplaceTempView("requests")
        rows = [row.asDict() for row in spark.sql(query("spark")).collect()]
    finally:
        spark.stop()
    same(rows, app_rows(requests_csv))
    assert rows[0]["aggregated_by"] == "ipw-request-log-aggregate/1 spark"


def test_importing_the_querys_output_records_its_provenance(requests_csv, tmp_path):
    out = run_polars(view_of_csv(requests_csv).lazy())
    path = tmp_path / "warehouse_result.csv"
    out.write_csv(path)
    parsed = parse_source(path, set_values=LANE)
    assert parsed.ok and parsed.rows_valid == 2
    assert parsed.notes[0] == ("aggregated from 6 requests by the shipped query "
                               "(resources/sql/request_log_aggregate.sql), dialect polars")
    imported = [dict(r, requestCount=r["requests"], failedRequests=r["failed_requests"]) for r in parsed.preview()]
    same(out.to_dicts(), imported)  # the query's extra columns are kept as extra fields


def test_dialects_differ_only_in_the_percentile_function():
    assert "quantile_cont(CASE WHEN NOT failed THEN latency_ms END, 0.95)" in query("duckdb")
    assert "percentile(CASE WHEN NOT failed THEN latency_ms END, 0.95)" in query("spark")
    assert "approx_percentile(" in query("trino") and "APPROXIMATE" in query("trino").splitlines()[0]
    assert "APPROX_QUANTILES(CASE WHEN NOT failed THEN latency_ms END, 1000)[OFFSET(950)]" in query("bigquery")
    with pytest.raises(ValueError, match="unknown SQL dialect"):
        query("oracle")


def test_ipw_template_writes_the_query(tmp_path):
    from desktop.cli import main
    target = tmp_path / "aggregate.sql"
    assert main(["template", "--sql", str(target), "--dialect", "spark"]) == 0
    assert target.read_text(encoding="utf-8") == query("spark")


def test_a_large_parquet_log_goes_through_the_query_to_the_same_rows(requests_csv, tmp_path, monkeypatch):
    from desktop.importers import api
    path = tmp_path / "log.parquet"
    pl.read_csv(requests_csv).write_parquet(path)
    small = app_rows(path)
    monkeypatch.setattr(api, "LARGE_LOG_ROWS", 3)  # the 5M-row threshold, lowered for six requests
    parsed = parse_source(path, set_values=LANE)
    assert parsed.ok and parsed.rows_read == 6
    assert "aggregated by the shipped request-log query" in parsed.notes[1]
    assert parsed.notes[0].startswith("aggregated from 6 requests by the shipped query")
    big = [dict(r, requestCount=r["requests"], failedRequests=r["failed_requests"]) for r in parsed.preview()]
    for row in big:
        row.update({sql: row.get(field) for sql, field in COMPARED.items()})
    same(big, small)


def test_exact_percentiles_in_bounded_memory_match_numpy():
    import numpy as np
    from desktop.importers.exact_percentiles import grouped_percentiles, key_text
    rng = np.random.default_rng(7)
    n = 120_000  # lognormal latencies, a far outlier, zeros, ties, a negative and nulls
    values = np.concatenate([rng.lognormal(6, 1, n - 6), [1e12, 0.0, 5.0, 5.0, 5.0, -3.0]])
    frame = pl.DataFrame({"g": rng.integers(0, 3, n).astype(str), "c": rng.integers(1, 3, n).astype(float),
                          "x": values}).with_columns(
        pl.when(pl.int_range(pl.len()) % 97 == 0).then(None).otherwise(pl.col("x")).alias("x"))
    found = grouped_percentiles(frame.lazy(), ["g", "c"], "x", [0.0, 0.5, 0.95, 0.99, 1.0])
    for (g, c), part in frame.group_by(["g", "c"]):
        want = np.percentile(part.get_column("x").drop_nulls().to_numpy(), [0, 50, 95, 99, 100])
        assert np.allclose(found[key_text([g, c])], want, rtol=1e-12, atol=0)
    assert grouped_percentiles(pl.LazyFrame({"g": ["a"] * 50, "x": [7.0] * 50}), ["g"], "x", [0.5]) == {("a",): [7.0]}
