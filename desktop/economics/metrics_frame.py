"""The trace kit's metrics over a trace frame (one polars column per field), for a million rows in seconds.

`compute_metrics_frame` gives exactly what `desktop.economics.metrics.compute_metrics` gives for the same
rows (that pure per-row version stays the reference and is what the tests compare against): the per-row
metrics become columns of the report's `frame`, the groups, workloads, routes and best-at-target rows come
from group_by/sort expressions, and `report.traces` builds a `TraceMetrics` only for the rows it is asked for.

The frame is what `desktop.storage.trace_frame.read_trace_frame` reads (id, importId, the sixteen fields,
extras as JSON text) or what `rows_to_frame` makes of row dicts. Number columns may be text (a hostile
file): they are read as `as_number` reads them, a number or nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from desktop.domain.trace import FIELD_NAMES, FIELDS_BY_NAME, Kind
from desktop.economics.metrics import (DEFAULT_FALLBACK_ROUTE, NO_ACCEPTED_OUTPUTS, BestAtTarget, GroupMetrics,
                                       MetricsReport, RouteMeasures, WorkloadMetrics, _flag, _Group, as_number)
from desktop.economics.trace_view import ROW_COLUMNS, LatencyPairs, TraceView

COST = "costPerAcceptedOutput"
COST_REASON = "costPerAcceptedOutputReason"
COST_BASIS = "costBasis"
BURDEN = "cacheAdjustedInputBurden"
HEADROOM = "throughputHeadroom"
MODELLED = "modelledCostUsd"
METRIC_COLUMNS = (COST, COST_REASON, COST_BASIS, BURDEN, HEADROOM, MODELLED)
EXTRA_NUMBERS = ("retryRate", "gpuUtilization")  # extras the metrics read: columns, or keys of the extras JSON
KEYS = ("workload", "route", "provider", "model")
_TRUE_TEXT = ("true", "yes", "y", "1")
_INDEX = "__index"
SLICE_ROWS = 200_000  # rows whose per-row metrics are computed together
# The inputs the group, workload and route tables read after the per-row metrics are computed.
_USED_LATER = {"__p95", "__concurrency", "__hit", "__batch", "__retry", "__util", "__output", "__workload",
               "__route", "__provider", "__model"}


def rows_to_frame(rows: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    """A frame of row dicts for `compute_metrics_frame`: each field as the reference reads it (numbers through
    `as_number`, text through `str`, batchEligible through its truthiness), the extras it needs as columns."""
    columns: dict[str, pl.Series] = {}
    for name in ("id", "importId"):
        values = [row.get(name) for row in rows]
        try:
            columns[name] = pl.Series(name, values)
        except (TypeError, ValueError, OverflowError, pl.exceptions.PolarsError):
            columns[name] = pl.Series(name, [None if v is None else str(v) for v in values], dtype=pl.String)
    for name in FIELD_NAMES:
        kind = FIELDS_BY_NAME[name].kind
        if kind is Kind.BOOLEAN:
            columns[name] = pl.Series(name, [_flag(row.get(name)) for row in rows], dtype=pl.Boolean)
        elif kind in (Kind.NUMBER, Kind.RATE):
            columns[name] = pl.Series(name, [as_number(row.get(name)) for row in rows], dtype=pl.Float64)
        else:
            columns[name] = pl.Series(name, [str(row.get(name)) for row in rows], dtype=pl.String)
    for name in EXTRA_NUMBERS:
        columns[name] = pl.Series(name, [as_number(row.get(name)) for row in rows], dtype=pl.Float64)
    return pl.DataFrame(columns, schema={name: series.dtype for name, series in columns.items()})


def compute_metrics_frame(frame: pl.DataFrame, reviewer_rate_usd_per_hour: float | None,
                          target_p95_ms: float | None, fallback_route: str = DEFAULT_FALLBACK_ROUTE,
                          modelled_cost: pl.Series | None = None,
                          rows: Sequence[Mapping[str, Any]] | None = None) -> MetricsReport:
    """`compute_metrics` over a trace frame. `modelled_cost` (USD per request, aligned with the frame's rows,
    null where none) fills costUsd only where it was not observed. `rows`, when the frame was made from row
    dicts, are the dicts `report.traces` hands back."""
    rate, target = reviewer_rate_usd_per_hour, target_p95_ms
    if modelled_cost is None:
        modelled_cost = pl.repeat(None, frame.height, dtype=pl.Float64, eager=True)
    inputs = _inputs(frame)
    values = _row_values(rate)
    metrics = _row_metrics()
    # Only the new columns are computed, a slice of rows at a time (the expressions' intermediate columns
    # then never span a million rows), and made contiguous; the frame's own columns are shared, not copied.
    modelled_cost = modelled_cost.cast(pl.Float64)
    shared = {name: expr for name, expr in inputs.items() if expr.meta.is_column()}  # a column as it is
    computed = [name for name in inputs if name not in shared and name in _USED_LATER]
    parts = [frame.slice(start, SLICE_ROWS).lazy().with_columns(
                 modelled_cost.slice(start, SLICE_ROWS).alias(MODELLED),
                 pl.int_range(start, start + pl.len(), dtype=pl.Int64).alias(_INDEX),
                 constant_column(60.0, min(SLICE_ROWS, frame.height - start)).alias("__sixty"))
             .with_columns(**inputs).with_columns(**values).with_columns(**metrics)
             .select(MODELLED, _INDEX, *computed, *metrics).collect()
             for start in range(0, max(frame.height, 1), SLICE_ROWS)]
    added = pl.concat(parts, rechunk=True)
    del parts
    kept = frame.drop([c for c in added.columns if c in frame.columns])
    work = pl.concat([kept, frame.select(*(expr.alias(name) for name, expr in shared.items())), added],
                     how="horizontal")
    report_frame = work.select(*[c for c in frame.columns if c not in METRIC_COLUMNS], *METRIC_COLUMNS)
    ids = _Ids(frame, rows)
    groups, best = _groups(work, target, fallback_route, ids)
    return MetricsReport(
        reviewer_rate_usd_per_hour=rate, target_p95_ms=target, fallback_route=fallback_route,
        traces=TraceView(report_frame, rows), groups=groups, workloads=_workloads(work), best=best,
        routes=_routes(work, ids), frame=report_frame)


# ---- reading the columns as the reference reads row values --------------------------------------------

def number_column(frame: pl.DataFrame, name: str) -> pl.Expr:
    """`as_number` of a column: numbers as floats, numeric text parsed (finite only), anything else null."""
    if name not in frame.columns:
        return _extra_number(frame, name) if name in EXTRA_NUMBERS else pl.lit(None, dtype=pl.Float64)
    dtype = frame.schema[name]
    if dtype == pl.Float64:
        return pl.col(name)
    if dtype.is_numeric():
        return pl.col(name).cast(pl.Float64)
    if dtype == pl.String:
        return _parsed(pl.col(name))
    return pl.lit(None, dtype=pl.Float64)


def _extra_number(frame: pl.DataFrame, name: str) -> pl.Expr:
    if "extras" not in frame.columns or frame.schema["extras"] != pl.String:
        return pl.lit(None, dtype=pl.Float64)
    return _parsed(pl.col("extras").str.json_path_match(f"$.{name}"))


def _parsed(text: pl.Expr) -> pl.Expr:
    number = text.str.strip_chars().cast(pl.Float64, strict=False)
    return pl.when(number.is_finite()).then(number)


def _flag_column(frame: pl.DataFrame, name: str) -> pl.Expr:
    """`_flag` of a column: true/yes/y/1 text, or a truthy value."""
    if name not in frame.columns:
        return pl.lit(False)
    dtype = frame.schema[name]
    column = pl.col(name)
    if dtype == pl.Boolean:
        return column.fill_null(False)
    if dtype == pl.String:
        return column.str.strip_chars().str.to_lowercase().is_in(_TRUE_TEXT).fill_null(False)
    if dtype.is_numeric():
        return (column != 0).fill_null(False)
    return pl.lit(False)


def text_column(frame: pl.DataFrame, name: str) -> pl.Expr:
    """`str(value)`: a missing value reads "None", as the reference's str(row.get(...)) does."""
    if name not in frame.columns:
        return pl.lit("None")
    if frame.schema[name] == pl.String and not frame[name].null_count():
        return pl.col(name)  # the column itself, not a copy of a million strings
    return pl.col(name).cast(pl.String).fill_null("None")


def constant_column(value: float, height: int) -> pl.Series:
    """A column of one number, to divide by: polars divides by a literal as a multiplication by its
    reciprocal, which can differ from Python's division in the last bit; dividing column by column does not."""
    return pl.Series(np.full(height, value, dtype=np.float64))


def or_zero(value: pl.Expr) -> pl.Expr:
    """Python's `value or 0.0`: null and either zero become 0.0."""
    return pl.when(value.is_null() | (value == 0)).then(pl.lit(0.0)).otherwise(value)


def _inputs(frame: pl.DataFrame) -> dict[str, pl.Expr]:
    return {
        "__cost": number_column(frame, "costUsd"), "__accepted": number_column(frame, "acceptedOutputRate"),
        "__review": number_column(frame, "reviewMinutes"), "__hit": number_column(frame, "cacheHitRate"),
        "__input": number_column(frame, "inputTokens"), "__output": number_column(frame, "outputTokens"),
        "__tps": number_column(frame, "outputTokensPerSecond"), "__concurrency": or_zero(number_column(frame, "concurrency")),
        "__p95": number_column(frame, "latencyP95Ms"), "__util": number_column(frame, "gpuUtilization"),
        "__retry": number_column(frame, "retryRate"), "__batch": _flag_column(frame, "batchEligible"),
        **{f"__{key}": text_column(frame, key) for key in KEYS},
    }


_MISSING_NAMES = ("costUsd", "acceptedOutputRate", "reviewMinutes")  # bits 1, 2, 4 of the missing mask
_NO_RATE, _NOT_FINITE = 9, 10
# Why a cost is null, as a small code per row (1 + missing mask for "not observed"), worded once per code.
_REASON_TEXT = {1: NO_ACCEPTED_OUTPUTS, _NO_RATE: "no reviewer hourly rate set", _NOT_FINITE: "not a finite number",
                **{1 + mask: "not observed: " + ", ".join(name for bit, name in enumerate(_MISSING_NAMES)
                                                           if mask & (1 << bit)) for mask in range(1, 8)}}


def _row_values(rate: float | None) -> dict[str, pl.Expr]:
    """The reference's `cost_per_accepted_output` as expressions: the raw value and its reason code."""
    cost = pl.coalesce(pl.col("__cost"), pl.col(MODELLED))
    accepted, review = pl.col("__accepted"), pl.col("__review")
    missing = (cost.is_null().cast(pl.UInt8) + accepted.is_null().cast(pl.UInt8) * 2
               + review.is_null().cast(pl.UInt8) * 4)
    reviewing = review != 0
    review_cost = (pl.lit(0.0) if rate is None else
                   pl.when(reviewing).then(review / pl.col("__sixty") * rate).otherwise(0.0))
    value = cost / accepted + review_cost
    code = pl.when(accepted == 0).then(pl.lit(1, pl.UInt8)).when(missing > 0).then(missing + 1)
    if rate is None:
        code = code.when(reviewing).then(pl.lit(_NO_RATE, pl.UInt8))
    code = code.when(~value.is_finite()).then(pl.lit(_NOT_FINITE, pl.UInt8)).otherwise(pl.lit(0, pl.UInt8))
    return {"__value": value, "__code": code}


def _row_metrics() -> dict[str, pl.Expr]:
    code, accepted = pl.col("__code"), pl.col("__accepted")
    costed = code == 0
    basis = pl.when(pl.col("__cost").is_not_null()).then(pl.lit("observed")).otherwise(pl.lit("modelled"))
    tps, concurrency = pl.col("__tps"), pl.col("__concurrency")
    return {
        COST: pl.when(costed).then(pl.col("__value")),
        COST_REASON: code.replace_strict(_REASON_TEXT, default=None, return_dtype=pl.String),
        COST_BASIS: pl.when(costed).then(basis),
        BURDEN: or_zero(pl.col("__input")) * (1 - or_zero(pl.col("__hit"))),
        HEADROOM: pl.when(tps.is_not_null() & accepted.is_not_null()).then(tps * concurrency * accepted),
    }


class _Ids:
    """Row ids by position: the given row dicts' own ids, else the frame's id column."""

    def __init__(self, frame: pl.DataFrame, rows: Sequence[Mapping[str, Any]] | None) -> None:
        self.frame, self.rows = frame, rows

    def __call__(self, index: int | None) -> Any:
        if index is None:
            return None
        if self.rows is not None:
            return self.rows[index].get("id")
        return self.frame["id"][index] if "id" in self.frame.columns else None


# ---- groups, best at target, workloads, routes ---------------------------------------------------------

_KEY_COLUMNS = [f"__{key}" for key in KEYS]


def _groups(work: pl.DataFrame, target: float | None, fallback_route: str,
            ids: _Ids) -> tuple[tuple[GroupMetrics, ...], tuple[BestAtTarget, ...]]:
    p95 = pl.col("__p95")
    measured = p95.is_not_null()
    over = pl.lit(False) if target is None else p95 > target
    within = measured & ~over if target is not None else pl.lit(False)
    candidate = within & pl.col(COST).is_not_null()
    # One hash group_by over the rows; only the small per-group table is sorted (in the reference's key order).
    table = work.group_by(_KEY_COLUMNS).agg(
        pl.len().alias("rows"), (~measured).sum().alias("no_p95"), (measured & over).sum().alias("over"),
        p95.min().alias("fastest"),
        pl.col(_INDEX).filter(candidate).sort_by([pl.col(COST).filter(candidate), p95.filter(candidate),
                                                  pl.col(_INDEX).filter(candidate)]).first().alias("best_index"),
        pl.col(COST_REASON).filter(within & pl.col(COST).is_null()).first().alias("no_cost_reason"),
    ).sort(_KEY_COLUMNS).with_row_index("__gid")
    best_rows = work.select(pl.col(COST).alias("best"), pl.col("__p95").alias("best_p95"), "__hit", "__batch",
                            "__retry", "__util")[table["best_index"].fill_null(0)]
    table = pl.concat([table, best_rows], how="horizontal")
    pairs = _PairSource(work.select(*_KEY_COLUMNS, "__concurrency", "__p95"), table.select(*_KEY_COLUMNS, "__gid"))

    group_list: list[GroupMetrics] = []
    merged: dict[tuple[str, str], _Group] = {}
    best_source: dict[tuple[str, str], tuple[int, str, str]] = {}  # the merged best's row and its group
    for record in table.iter_rows(named=True):
        key = tuple(record[c] for c in _KEY_COLUMNS)
        group = _as_group(record)
        best = record["best_index"]
        group_list.append(GroupMetrics(
            workload=key[0], route=key[1], provider=key[2], model=key[3],
            p95_latency_ms_by_concurrency=LatencyPairs(pairs, record["__gid"]),
            best_cost_per_accepted_output_at_target=group.best, best_row_id=ids(best),
            cache_hit_rate=record["__hit"] if best is not None else None,
            batch_eligible=record["__batch"] if best is not None else None,
            retry_rate=record["__retry"] if best is not None else None,
            gpu_utilization=record["__util"] if best is not None else None,
            fallback_route=fallback_route, reason=group.reason(target), rows=group.rows,
            rows_without_p95=group.no_p95, rows_over_target=group.over))
        pair = (key[0], key[1])
        into = merged.setdefault(pair, _Group())
        before = into.best_row
        into.merge(group)
        if into.best_row is not before:
            best_source[pair] = (best, key[2], key[3])
    best_list = []
    for (workload, route), group in sorted(merged.items()):
        index, provider, model = best_source.get((workload, route), (None, None, None))
        best_list.append(BestAtTarget(workload, route, group.best, ids(index),
                                      provider, model, group.reason(target), group.no_p95))
    return tuple(group_list), tuple(best_list)


def _as_group(record: Mapping[str, Any]) -> _Group:
    """A reference `_Group` holding one group's totals, so the reasons read word for word the same."""
    group = _Group()
    group.rows, group.no_p95, group.over = record["rows"], record["no_p95"], record["over"]
    group.fastest = record["fastest"] if record["fastest"] is not None else float("inf")
    group.no_cost_reason = record["no_cost_reason"]
    if record["best_index"] is not None:
        group.best, group.best_p95 = record["best"], record["best_p95"]
        group.best_row = {"index": record["best_index"]}  # a marker: merge() moves it with the best
    return group


class _PairSource:
    """Every group's (concurrency, p95) pairs, sorted once, the first time any group's pairs are read (the
    recommendation and the plan never read them; a chart or the text output does)."""

    def __init__(self, rows: pl.DataFrame, groups: pl.DataFrame) -> None:
        self._rows, self._groups = rows, groups
        self._arrays: tuple[Any, Any, dict[int, tuple[int, int]]] | None = None

    def arrays(self, gid: int) -> tuple[Any, Any]:
        if self._arrays is None:
            ordered = self._rows.filter(pl.col("__p95").is_not_null()).join(
                self._groups, on=_KEY_COLUMNS, how="left").select("__gid", "__concurrency", "__p95").sort(
                ["__gid", "__concurrency", "__p95"])
            bounds, start = {}, 0
            for group, size in ordered.group_by("__gid").len().sort("__gid").iter_rows():
                bounds[group] = (start, start + size)
                start += size
            self._arrays = (ordered["__concurrency"].to_numpy(), ordered["__p95"].to_numpy(), bounds)
            self._rows = self._groups = None
        concurrency, p95, bounds = self._arrays
        start, stop = bounds.get(gid, (0, 0))
        return concurrency[start:stop], p95[start:stop]


def _sequential_sum(value: pl.Expr) -> pl.Expr:
    """The running total the reference keeps (0.0 + a + b + ...), added in row order like its loop."""
    return pl.lit(0.0) + value.cum_sum().last().fill_null(0.0)


def _workloads(work: pl.DataFrame) -> tuple[WorkloadMetrics, ...]:
    table = work.group_by("__workload").agg(
        pl.len().alias("rows"), pl.col("__batch").sum().alias("batch"),
        pl.col("__concurrency").max().alias("peak"),
        _sequential_sum(or_zero(pl.col("__output"))).alias("output")).sort("__workload")
    return tuple(WorkloadMetrics(name, batch / rows, rows, batch, max(0.0, peak), output / rows)
                 for name, rows, batch, peak, output in table.iter_rows())


def _routes(work: pl.DataFrame, ids: _Ids) -> tuple[RouteMeasures, ...]:
    util = pl.col("__util")
    table = work.group_by("__route").agg(
        pl.len().alias("rows"), _sequential_sum(util.drop_nulls()).alias("util_sum"),
        util.is_not_null().sum().alias("util_rows"))
    measured = work.select("__route", HEADROOM, _INDEX).filter(pl.col(HEADROOM).is_not_null()
                                                               & ~pl.col(HEADROOM).is_nan())
    fastest = measured.group_by("__route").agg(
        pl.col(_INDEX).sort_by([HEADROOM, _INDEX], descending=[True, False]).first())
    fastest = pl.concat([fastest, work.select(HEADROOM, "__concurrency")[fastest[_INDEX]]], how="horizontal")
    table = table.join(fastest, on="__route", how="left").sort("__route")
    return tuple(RouteMeasures(name, rows, util_sum / util_rows if util_rows else None, util_rows, headroom,
                               concurrency if index is not None else None, ids(index))
                 for name, rows, util_sum, util_rows, index, headroom, concurrency in table.iter_rows())


__all__ = ["METRIC_COLUMNS", "ROW_COLUMNS", "compute_metrics_frame", "constant_column", "number_column", "or_zero", "rows_to_frame",
           "text_column"]
