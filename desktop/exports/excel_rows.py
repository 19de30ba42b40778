"""The Traces sheets' and the Metrics sheets' per-row cells, from the trace frame's columns.

A million-row export cannot afford a formula or a Python object per trace row: the per-row metrics are
values, computed column-wise a batch at a time (`metric_frame`), and both sheets are written one batch of columns at a
time, each column turned into a plain list once (`write_trace_rows`, `write_metric_rows`). The Metrics
sheet's aggregate blocks stay live formulas over two of these columns (`base` and `reviewHours`: cost per
accepted output = base + review hours x reviewer rate), so finance can still change the rate and the target.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from desktop.domain.progress import Progress, check_cancelled
from desktop.economics.metrics import as_number
from desktop.exports.excel_text import clean_text

BATCH = 50_000
NOT_FINITE = "not a finite number"


# ---------------------------------------------------------------------------------------------- columns

def _numbers(series: Any) -> Any:
    """`as_number` over a column: numbers as Float64, text parsed (non-finite text is null), else null."""
    import polars as pl

    if series.dtype == pl.Boolean:
        return pl.Series(series.name, [None] * len(series), dtype=pl.Float64)
    if series.dtype.is_numeric():
        return series.cast(pl.Float64)
    if series.dtype == pl.String:
        parsed = series.str.strip_chars().cast(pl.Float64, strict=False)
        return parsed.set(~parsed.is_finite().fill_null(False), None)
    return pl.Series(series.name, [as_number(v) for v in series.to_list()], dtype=pl.Float64)


def _texts(series: Any) -> Any:
    """`str(value)` over a column, as the metrics' group keys are made (null -> 'None')."""
    import polars as pl

    if series.dtype == pl.String:
        return series.fill_null("None")
    return pl.Series(series.name, [str(v) for v in series.to_list()], dtype=pl.String)


def measured_columns(report: Any, frame: Any, modelled: Mapping[Any, Any]) -> dict[str, Any]:
    """Per-row cost per accepted output, burden, headroom and modelled cost from the metrics report, as
    columns aligned with `frame` (the report's own columns when it has them)."""
    import polars as pl

    columns = getattr(report, "frame", None)
    if columns is not None:
        return {name: columns[name] for name in ("costPerAcceptedOutput", "cacheAdjustedInputBurden",
                                                 "throughputHeadroom", "modelledCostUsd")}
    traces = report.traces  # the reference report (row dicts): small callers only
    return {
        "costPerAcceptedOutput": pl.Series([t.cost_per_accepted_output for t in traces], dtype=pl.Float64),
        "cacheAdjustedInputBurden": pl.Series([t.cache_adjusted_input_burden for t in traces], dtype=pl.Float64),
        "throughputHeadroom": pl.Series([t.throughput_headroom for t in traces], dtype=pl.Float64),
        "modelledCostUsd": pl.Series([getattr(modelled.get(i), "cost_usd", None) for i in frame["id"].to_list()],
                                     dtype=pl.Float64),
    }


@dataclass(frozen=True)
class Keys:
    """The aggregate blocks' rows, in order: route names, (workload, route) pairs, groups."""

    routes: list[str]
    workload_routes: list[tuple[str, str]]
    groups: list[tuple[str, str, str, str]]


def aggregate_keys(report: Any, playbook: Any) -> Keys:
    routes = [r.name for r in playbook.routes]
    routes += [r.route for r in report.routes if r.route not in routes]
    return Keys(routes, [(b.workload, b.route) for b in report.best],
                [(g.workload, g.route, g.provider, g.model) for g in report.groups])


def metric_frame(frame: Any, measured: Mapping[str, Any], keys: Keys, start: int = 0,
                 length: int | None = None) -> Any:
    """The Metrics sheets' per-row values for rows `start` to `start + length` of `frame` (all by default),
    in the frame's order; `measured` is `measured_columns(...)` for the whole frame.

    Columns: id, workload, route, provider, model (as the groups name them), costUsed (observed, else
    modelled), costBasis, costPerAcceptedOutput (at the workbook's reviewer rate), cacheAdjustedInputBurden,
    throughputHeadroom, routeKey, workloadRouteKey, groupKey (1-based rows of the aggregate blocks, 0 for
    none), base (cost used / acceptance, where a cost per accepted output can be had at some rate) and
    reviewHours (review minutes / 60, 0 without review time).
    """
    import polars as pl

    length = frame.height - start if length is None else length
    frame = frame.slice(start, length)
    measured = {name: column.slice(start, length) for name, column in measured.items()}
    texts = {name: _texts(frame[name]) for name in ("workload", "route", "provider", "model")}
    out = pl.DataFrame({
        "id": frame["id"], **texts,
        "observed": _numbers(frame["costUsd"]), "modelled": measured["modelledCostUsd"],
        "accepted": _numbers(frame["acceptedOutputRate"]), "review": _numbers(frame["reviewMinutes"]),
        "costPerAcceptedOutput": measured["costPerAcceptedOutput"],
        "cacheAdjustedInputBurden": measured["cacheAdjustedInputBurden"],
        "throughputHeadroom": measured["throughputHeadroom"],
    })
    used = pl.coalesce("observed", "modelled")
    base = used / pl.col("accepted")
    usable = (used.is_not_null() & pl.col("accepted").is_not_null() & pl.col("review").is_not_null()
              & (pl.col("accepted") != 0) & base.is_finite())
    sep = "\x1f"
    wr_map = {sep.join(k): i + 1 for i, k in enumerate(keys.workload_routes)}
    group_map = {sep.join(k): i + 1 for i, k in enumerate(keys.groups)}
    return out.with_columns(
        costUsed=used,
        costBasis=pl.when(pl.col("observed").is_not_null()).then(pl.lit("observed"))
        .when(used.is_not_null()).then(pl.lit("modelled")),
        routeKey=pl.col("route").replace_strict({n: i + 1 for i, n in enumerate(keys.routes)}, default=0,
                                                return_dtype=pl.Int64),
        workloadRouteKey=pl.concat_str("workload", "route", separator=sep)
        .replace_strict(wr_map, default=0, return_dtype=pl.Int64),
        groupKey=pl.concat_str("workload", "route", "provider", "model", separator=sep)
        .replace_strict(group_map, default=0, return_dtype=pl.Int64),
        base=pl.when(usable).then(base),
        reviewHours=pl.when(usable).then(pl.when(pl.col("review") > 0).then(pl.col("review") / 60).otherwise(0.0)),
    ).drop("observed", "modelled", "accepted", "review")


@dataclass(frozen=True)
class AggregateValues:
    """What the aggregate formulas evaluate to at the workbook's rate and target (their cached values)."""

    route_lowest: dict[str, float]
    route_costed: dict[str, int]
    route_lowest_at_target: dict[str, float]
    route_costed_at_target: dict[str, int]
    at_target: dict[tuple, int]  # (workload, route) and (workload, route, provider, model) -> rows


def aggregate_values(frame: Any, measured: Mapping[str, Any], target: float | None) -> AggregateValues:
    import polars as pl

    costed = pl.DataFrame({"cost": measured["costPerAcceptedOutput"], "p95": _numbers(frame["latencyP95Ms"]),
                           **{name: frame[name] for name in ("workload", "route", "provider", "model")}})
    costed = costed.filter(pl.col("cost").is_not_null())
    costed = costed.with_columns(_texts(costed[name]) for name in ("workload", "route", "provider", "model"))
    meeting = costed.filter(pl.col("p95") <= target) if target is not None else costed.clear()
    lowest = pl.col("cost").min()

    def by(frame: Any, columns: list[str]) -> Any:
        return frame.group_by(columns).agg(lowest=lowest, rows=pl.len())

    route_all, route_target = by(costed, ["route"]), by(meeting, ["route"])
    at_target: dict[tuple, int] = {}
    for columns in (["workload", "route"], ["workload", "route", "provider", "model"]):
        for row in by(meeting, columns).iter_rows():
            at_target[tuple(row[:-2])] = row[-1]
    return AggregateValues(
        dict(zip(route_all["route"], route_all["lowest"])), dict(zip(route_all["route"], route_all["rows"])),
        dict(zip(route_target["route"], route_target["lowest"])),
        dict(zip(route_target["route"], route_target["rows"])), at_target)


# ---------------------------------------------------------------------------------------------- writing

class Cleaned(dict):
    """`clean_text` of each distinct text once (trace columns repeat a handful of names a million times); a
    column of texts that never repeat (a request id in an extra field) stops being kept after `LIMIT`."""

    LIMIT = 50_000

    def __missing__(self, text: Any) -> str:
        value = clean_text(text)
        if len(self) < self.LIMIT:
            self[text] = value
        return value


def _extras_columns(extras: list[Any], names: Sequence[str]) -> list[list[Any]]:
    if not names:
        return []
    parsed = [json.loads(e) if e else None for e in extras]
    return [[p.get(name) if p else None for p in parsed] for name in names]


def write_trace_rows(ws: Any, frame: Any, extra_fields: Sequence[str], first_row: int, styles: Sequence[Any],
                     text_fmt: Any, cleaned: Cleaned, tick: Callable[[int], None]) -> None:
    """The trace rows of `frame` on a Traces sheet from `first_row`: id, importId, the fields, the extras."""
    from desktop.domain.trace import FIELD_NAMES

    write_number, write_string, write_boolean = ws._write_number, ws._write_string, ws._write_boolean
    names = ["id", "importId", *FIELD_NAMES]
    for start in range(0, frame.height, BATCH):
        batch = frame.slice(start, BATCH)
        columns = [batch[name].to_list() for name in names]
        columns += _extras_columns(batch["extras"].to_list(), extra_fields)
        r = first_row + start
        for values in zip(*columns):
            for col, value in enumerate(values):
                if value is None:
                    continue
                kind = type(value)
                if kind is float or kind is int:
                    if math.isfinite(value):
                        write_number(r, col, value, styles[col])
                    else:
                        write_string(r, col, NOT_FINITE, text_fmt)
                elif kind is bool:
                    write_boolean(r, col, value, styles[col])
                else:
                    write_string(r, col, cleaned[value] if kind is str else clean_text(value), text_fmt)
            r += 1
        tick(batch.height)


METRIC_COLUMNS = ("id", "workload", "route", "provider", "model", "costUsed", "costBasis", "costPerAcceptedOutput",
                  "cacheAdjustedInputBurden", "throughputHeadroom", "routeKey", "workloadRouteKey", "groupKey",
                  "base", "reviewHours")


def write_metric_rows(ws: Any, batches: Iterator[Any], first_row: int, first_col: int, formats: Sequence[Any],
                      text_fmt: Any, cleaned: Cleaned, before_row: Callable[[int], None], rows_before: int,
                      tick: Callable[[int], None]) -> None:
    """The per-row values (METRIC_COLUMNS from `first_col`, formats in that order) of consecutive metric
    frames from `first_row`; `before_row(r)` writes what else the first `rows_before` rows hold (a
    constant-memory sheet is written row by row: each row's cells before the next row's)."""
    write_number, write_string = ws._write_number, ws._write_string
    text_columns = {1, 2, 3, 4, 6}
    rows_before += first_row
    r = first_row
    for batch in batches:
        columns = [batch[name].to_list() for name in METRIC_COLUMNS]
        for values in zip(*columns):
            if r < rows_before:
                before_row(r)
            col = first_col
            for index, value in enumerate(values):
                if value is not None:
                    if index in text_columns:
                        write_string(r, col, cleaned[value], text_fmt)
                    elif math.isfinite(value):
                        write_number(r, col, value, formats[index])
                col += 1
            r += 1
        tick(batch.height)


def metric_batches(frame: Any, measured: Mapping[str, Any], keys: Keys, start: int, length: int) -> Iterator[Any]:
    """`metric_frame` of rows `start` to `start + length`, BATCH rows at a time (bounded memory)."""
    for offset in range(start, start + length, BATCH):
        yield metric_frame(frame, measured, keys, offset, min(BATCH, start + length - offset))


def progress_ticker(progress: Progress) -> Callable[[int], None]:
    def tick(rows: int) -> None:
        check_cancelled(progress)
        progress.advance(rows)
    return tick
