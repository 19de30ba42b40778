"""The request-log aggregation as one SQL query (resources/sql/request_log_aggregate.sql), for logs bigger
than one machine and for Parquet logs too large to check cell by cell.

The engineer gets the query in the dialect of their warehouse (`ipw template --sql FILE --dialect ...`) and
imports its result; the app runs the very same text itself on polars' streaming engine for a large Parquet
request log, so both paths give the same rows. Its output names map to trace fields as any header does;
`aggregated_by` and `requests` become the provenance note "aggregated from N requests by the shipped query,
dialect X".

Percentiles: linear interpolation between closest ranks (numpy's default), which DuckDB's quantile_cont,
Spark's percentile and polars' QUANTILE_CONT compute exactly; Trino and BigQuery have only approximate
percentile aggregates, which the written header says.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from desktop import paths
from desktop.importers.exact_percentiles import grouped_percentiles, key_text
from desktop.importers.request_columns import plan_columns

# ---- Constants

DIALECTS = ("duckdb", "spark", "trino", "bigquery", "polars")
QUERY_TAG = "ipw-request-log-aggregate/1"
_PERCENTILE = re.compile(r"PERCENTILE_LINEAR\((?P<expr>.+?), (?P<q>0\.[0-9]+)\)")
_FORMATS = {
    "duckdb": "quantile_cont({expr}, {q})",
    "polars": "QUANTILE_CONT({expr}, {q})",
    "spark": "percentile({expr}, {q})",
    "trino": "approx_percentile({expr}, {q})",
    "bigquery": "APPROX_QUANTILES({expr}, 1000)[OFFSET({offset})]",
}
_APPROXIMATE = {"trino": "approx_percentile", "bigquery": "APPROX_QUANTILES(x, 1000)"}
_ASKED = re.compile(r"PERCENTILE_LINEAR\(CASE WHEN NOT failed THEN (?P<column>\w+) END, (?P<q>0\.[0-9]+)\) "
                    r"AS (?P<alias>\w+)")
_FAILED_WORDS = r"(?i)error|fail|timeout|timed out|cancel|abort|reject|refused|rate.?limit"
_NOT_AN_ERROR = ["", "0", "none", "null", "ok", "false", "no", "nan", "success"]
_TEXT_KEYS = ("route", "provider", "model", "workload")
KEYS_IN_OUTPUT = (*_TEXT_KEYS, "concurrency")  # given for the view, then part of the query's rows
_NUMBER_COLUMNS = {"concurrency": "concurrency", "latencyMs": "latency_ms", "ttftMs": "ttft_ms",
                   "inputTokens": "input_tokens", "outputTokens": "output_tokens", "cachedTokens": "cached_tokens",
                   "costUsd": "cost_usd"}


# ---- Public API

def query(dialect: str) -> str:
    """The shipped query in one dialect, with a header saying which and how exact its percentiles are."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown SQL dialect '{dialect}' (use one of: {', '.join(DIALECTS)})")
    text = paths.resource("sql/request_log_aggregate.sql").read_text(encoding="utf-8")

    def percentile(match: re.Match[str]) -> str:
        q = float(match.group("q"))
        return _FORMATS[dialect].format(expr=match.group("expr"), q=match.group("q"), offset=round(q * 1000))

    body = _PERCENTILE.sub(percentile, text).replace("DIALECT_NAME", dialect)
    note = (f"-- Dialect: {dialect}. Percentiles are APPROXIMATE here ({_APPROXIMATE[dialect]}): this engine has "
            f"no exact\n-- percentile aggregate; expect small differences from the app's own figures.\n"
            if dialect in _APPROXIMATE else f"-- Dialect: {dialect} (exact percentiles).\n")
    return note + body


def write_query(path: Path, dialect: str) -> None:
    Path(path).write_text(query(dialect), encoding="utf-8")


def requests_view(frame: pl.LazyFrame, headers: list[str], given: Mapping[str, object],
                  route_aliases: Mapping[str, str] | None = None) -> pl.LazyFrame:
    """A request log's own columns as the query's input columns (units converted, route spellings made
    canonical, `failed` decided as the request-log importer does); a group key the log lacks takes the
    value given for every row."""
    plan = plan_columns(headers)
    columns: dict[str, pl.Expr] = {}
    for key in _TEXT_KEYS:
        if key in plan.names:
            columns[key] = pl.col(headers[plan.names[key]]).cast(pl.String).str.strip_chars()
        else:
            columns[key] = pl.lit(None if given.get(key) is None else str(given[key]), dtype=pl.String)
    for name, target in _NUMBER_COLUMNS.items():
        if name in plan.names:
            index = plan.names[name]
            factor = plan.columns[index][1]
            columns[target] = pl.col(headers[index]).cast(pl.Float64, strict=False) * factor
        else:
            value = given.get(name)
            columns[target] = pl.lit(None if value is None else float(value), dtype=pl.Float64)
    if "accepted" in plan.names:
        raw = pl.col(headers[plan.names["accepted"]]).cast(pl.String).str.strip_chars().str.to_lowercase()
        columns["accepted"] = pl.when(raw.is_in(["true", "yes", "y", "1"])).then(True) \
            .when(raw.is_in(["false", "no", "n", "0"])).then(False).otherwise(None)
    else:
        columns["accepted"] = pl.lit(None, dtype=pl.Boolean)
    columns["failed"] = _failed(plan, headers)
    view = frame.select([expr.alias(name) for name, expr in columns.items()])
    if route_aliases and "route" in plan.names:
        # A join with the few spellings keeps the plan streaming (a mapping expression does not).
        spellings = pl.LazyFrame({"__spelling": list(route_aliases), "__route": list(route_aliases.values())})
        view = (view.with_columns(pl.col("route").str.to_lowercase().alias("__spelling"))
                .join(spellings, on="__spelling", how="left", maintain_order="left")
                .with_columns(pl.coalesce("__route", "route").alias("route")).drop("__spelling", "__route"))
    return view


def run_polars(requests: pl.LazyFrame) -> pl.DataFrame:
    """The shipped query on polars' streaming engine, in memory bounded by the groups rather than the rows.

    polars' own QUANTILE_CONT holds every value of its column, so the query runs with its percentiles left
    null and each PERCENTILE_LINEAR(CASE WHEN NOT failed THEN column END, q) it names is computed exactly,
    with the same interpolation, by exact_percentiles in three streaming passes.
    """
    text = paths.resource("sql/request_log_aggregate.sql").read_text(encoding="utf-8")
    asked = [(m.group("column"), float(m.group("q")), m.group("alias")) for m in _ASKED.finditer(text)]
    without = _ASKED.sub(lambda m: f"CAST(NULL AS DOUBLE) AS {m.group('alias')}", text)
    context = pl.SQLContext(requests=requests)
    out = context.execute(without.replace("DIALECT_NAME", "polars"), eager=False).collect(engine="streaming")
    successful = requests.select(*KEYS_IN_OUTPUT, *[pl.when(~pl.col("failed")).then(pl.col(c)).alias(c)
                                                      for c in {column for column, _, _ in asked}])
    keys = [key_text(row) for row in out.select(KEYS_IN_OUTPUT).iter_rows()]
    for column in sorted({column for column, _, _ in asked}):
        wanted = [(q, alias) for c, q, alias in asked if c == column]
        found = grouped_percentiles(successful, KEYS_IN_OUTPUT, column, [q for q, _ in wanted])
        for index, (_, alias) in enumerate(wanted):
            out = out.with_columns(pl.Series(alias, [(found.get(k) or [None] * len(wanted))[index] for k in keys],
                                             dtype=pl.Float64))
    return out


def provenance_note(valid: pl.DataFrame, extras_column: str = "extras") -> str | None:
    """'aggregated from N requests by the shipped query, dialect X' when the rows carry the query's tag."""
    if extras_column not in valid.columns or valid.height == 0:
        return None
    first = valid.get_column(extras_column)[0]
    if not first or QUERY_TAG not in first:  # a trace table: no need to read a million rows' extras
        return None
    total, dialects = 0, set()
    for text in valid.get_column(extras_column).to_list():
        extras = json.loads(text or "{}")
        tag = str(extras.get("aggregated_by", ""))
        if not tag.startswith(QUERY_TAG):
            return None
        dialects.add(tag[len(QUERY_TAG):].strip() or "unknown")
        total += int(extras.get("requests") or 0)
    return (f"aggregated from {total:,} requests by the shipped query (resources/sql/request_log_aggregate.sql), "
            f"dialect {', '.join(sorted(dialects))}")


# ---- Private API

def _failed(plan, headers: list[str]) -> pl.Expr:
    failed = pl.lit(False)
    if "error" in plan.names or plan.more_errors:
        for index in ([plan.names["error"]] if "error" in plan.names else []) + plan.more_errors:
            text = pl.col(headers[index]).cast(pl.String).str.strip_chars().str.to_lowercase()
            failed = failed | (text.is_not_null() & ~text.is_in(_NOT_AN_ERROR))
    if "success" in plan.names:
        text = pl.col(headers[plan.names["success"]]).cast(pl.String).str.strip_chars().str.to_lowercase()
        failed = failed | text.is_in(["false", "no", "n", "0"])
    if "status" in plan.names:
        text = pl.col(headers[plan.names["status"]]).cast(pl.String)
        code = text.cast(pl.Float64, strict=False)
        failed = failed | pl.when(code.is_not_null()).then(code >= 400).otherwise(text.str.contains(_FAILED_WORDS))
    return failed.fill_null(False)
