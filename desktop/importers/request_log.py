"""Request-level logs (one row per request) aggregated into trace rows per (route, provider, model, workload,
concurrency).

Latency percentiles use linear interpolation (numpy's default) over successful requests; ttft is the median;
token counts are means over successful requests; cache hit rate is the sum of cached over the sum of input
tokens; a failed request counts as not accepted. Prompt and response text columns are never read (privacy).

A CSV is read once, only the columns used: numbers typed (a number column polars cannot type, with a word
or decimal commas in it, is read as text and checked cell by cell, vectorised) and text columns as
categories, which keeps five million rows well under 2 GB. Text columns (route, provider, accepted,
error...) have few distinct values, which are read in Python with the domain's own rules and mapped back.
Groups are taken by a flag on the whole frame, never from a filtered copy. Quoted line breaks (only the
whole table read as text can number such rows as the file shows them) take the slow path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from desktop.domain.trace import MAX_MAGNITUDE, Kind, TraceField
from desktop.importers import cells
from desktop.domain.progress import FractionTicker
from desktop.importers.records import Cell, Record, validate_records
from desktop.importers.result import MAX_PROBLEMS, Problem
from desktop.importers.request_columns import (
    GROUP_KEYS, REQUIRED_COLUMNS, Plan, is_numeric, plan_columns, spec_of,
)
from desktop.importers.tabular import ROW, RawTable, resolve_set_values
from desktop.importers.textfile import HeaderGuess, TextInput

# ---- Constants

_FAILED_WORDS = r"(?i)error|fail|timeout|timed out|cancel|abort|reject|refused|rate.?limit"
_NOT_AN_ERROR = {"", "0", "none", "null", "ok", "false", "no", "nan", "success"}


@dataclass
class RequestLogResult:
    valid: pl.DataFrame
    problems: list[Problem]
    problems_omitted: int
    rows_read: int
    rows_rejected: int
    mapping: dict[str, str]
    dropped: list[str]
    notes: list[str] = field(default_factory=list)


# ---- Public API

def number_columns(headers: list[str]) -> list[str]:
    """The c<i> names of the columns read as numbers (for deciding on decimal commas)."""
    return [f"c{i}" for i, (name, _) in plan_columns(headers).columns.items() if is_numeric(spec_of(name))]


def read_csv_columns(text: TextInput, guess: HeaderGuess) -> pl.DataFrame | None:
    """Only the used columns of a request-log CSV, numbered by file line; numbers typed where they can be.

    A number column polars cannot type (a word in it, decimal commas) is read again as text, that column
    only, and checked cell by cell. None when quoted line breaks make line numbers unknowable without
    reading every column (the caller then reads the whole table as text), or polars cannot read it.
    """
    plan = plan_columns(guess.cells)
    as_text: set[str] = set()
    for _ in range(len(plan.columns) + 1):
        schema = {}
        for index in range(len(guess.cells)):
            target = plan.columns.get(index)
            numeric = target is not None and is_numeric(spec_of(target[0]))
            name = f"c{index}"
            # Text columns repeat a few values (routes, models, 'true'): categories keep 5M rows in a few MB.
            schema[name] = (pl.String if name in as_text else pl.Float64) if numeric else pl.Categorical
        try:
            frame = pl.read_csv(text.source, has_header=False, skip_lines=guess.line, separator=guess.delimiter,
                                schema=schema, columns=sorted([*plan.columns, *plan.more_errors]), quote_char='"',
                                raise_if_empty=False)
            break
        except pl.exceptions.PolarsError as error:
            column = re.search(r"at column '(c[0-9]+)'", str(error))
            if column is None or column.group(1) in as_text:
                return None
            as_text.add(column.group(1))
    else:
        return None
    if text.lines != guess.line + frame.height:
        return None
    return frame.with_row_index(ROW, offset=guess.line + 1).with_columns(pl.col(ROW).cast(pl.Int64))


def aggregate(frame: pl.DataFrame, headers: list[str], header_row: int, *, source: str,
              set_values: Mapping[str, Any] | None, route_aliases: Mapping[str, str], ticker: FractionTicker,
              decimal_comma: bool = False,
              broken: Mapping[int, tuple[str, Any, str]] | None = None) -> RequestLogResult:
    """Validate every request row and aggregate the good ones; see the module docstring.

    Number columns may come typed (Float64) or as text; each is checked the way it came.
    """
    plan = plan_columns(headers)
    given = resolve_set_values(set_values, route_aliases)
    problems = [Problem(source, header_row, headers[i], headers[i], reason) for i, reason in plan.header_problems]
    missing = [n for n in REQUIRED_COLUMNS if n not in plan.names]
    problems += [Problem(source, header_row, name, None, f"column missing: a request log needs {name} for every "
                                                         f"request") for name in missing]
    lookups = _lookups(frame, plan, route_aliases)
    typed = {name for name, dtype in frame.schema.items() if dtype == pl.Float64}
    padded = _padded_numbers(frame, plan, typed)
    ticker(0.2)
    checked, flags = _checked(frame.lazy(), plan, given, lookups, typed, decimal_comma, broken or {}, padded)
    bad = pl.any_horizontal([pl.col(f) for f in flags]) if flags else pl.lit(False)
    checked = checked.with_columns(bad.alias(_BAD), (~bad & ~pl.col(_BLANK)).alias(_GOOD))
    raw_columns = [f"c{i}" for i in sorted(plan.columns)]
    # One query plan, three results: polars evaluates the shared checks once, and the groups take their
    # rows by a flag instead of from a filtered copy of five million rows.
    groups, bad_rows, totals = pl.collect_all([
        _groups(checked, plan, given).filter(pl.col(_GOOD)).drop(_GOOD),
        checked.filter(pl.col(_BAD)).select(ROW, *raw_columns, *flags).head(MAX_PROBLEMS),
        checked.select((~pl.col(_BLANK)).sum().alias("rows"), pl.col(_BAD).sum().alias("bad"),
                       *[pl.col(f).sum().alias(f) for f in flags])])
    totals = totals.row(0, named=True)
    ticker(0.8)
    row_problems = _row_problems(bad_rows, plan, headers, source, decimal_comma, route_aliases,
                                 broken or {}, given)
    records = [_record(group, plan, headers) for group in groups.iter_rows(named=True)]
    result = validate_records(records, source=source, tool="the request log", given=given,
                              route_aliases=route_aliases, missing_row=header_row,
                              defaultable=("cacheHitRate",) if "cachedTokens" not in plan.names else ())
    valid = result.valid.clear() if missing or plan.header_problems else result.valid
    return RequestLogResult(valid=valid, problems=problems + row_problems + result.problems,
                            problems_omitted=sum(int(totals[f]) for f in flags) - len(row_problems),
                            rows_read=int(totals["rows"]), rows_rejected=int(totals["bad"]),
                            mapping={**{headers[i]: n for i, (n, _) in plan.columns.items()},
                                     **{headers[i]: "error" for i in plan.more_errors}},
                            dropped=plan.dropped + plan.unused,
                            notes=_notes(plan, headers, int(totals["rows"]), groups.height) + result.notes)


def table_from_records(frame: pl.DataFrame, rows: list[int]) -> RawTable:
    """JSON request records (nested objects flattened) as a text table numbered by line or element."""
    frame = flatten_structs(frame)
    dropped = [c for c, t in frame.schema.items() if isinstance(t, (pl.List, pl.Array, pl.Object))]
    frame = frame.drop(dropped)
    headers = list(frame.columns)
    data = {f"c{i}": _json_column(frame.get_column(name)) for i, name in enumerate(headers)}
    table = pl.DataFrame({**data, ROW: pl.Series(rows, dtype=pl.Int64)})
    return RawTable(frame=table, headers=headers, labels=headers, header_row=0,
                    notes=[f"list-valued keys not read: {', '.join(dropped)}"] if dropped else [])


# ---- Private API

_BAD = "__bad"
_GOOD = "__good"
_BLANK = "__blank"
def _lookups(frame: pl.DataFrame, plan: Plan, route_aliases: Mapping[str, str]) -> dict[str, cells.Lookup]:
    columns = {name: f"c{index}" for index, (name, _) in plan.columns.items() if not is_numeric(spec_of(name))}
    columns.update({f"error@{index}": f"c{index}" for index in plan.more_errors})
    if not columns:
        return {}
    distinct = frame.select([pl.col(c).drop_nulls().unique().cast(pl.String).implode().alias(n)
                             for n, c in columns.items()])
    return {n: cells.lookup(spec_of(n.split("@")[0]), distinct.get_column(n)[0].to_list(), route_aliases)
            for n in columns}


def _checked(frame: pl.LazyFrame, plan: Plan, given: Mapping[str, tuple[Any, bool]],
             lookups: dict[str, cells.Lookup], typed: set[str], comma: bool,
             broken: Mapping[int, tuple[str, Any, str]], padded: set[str]) -> tuple[pl.LazyFrame, list[str]]:
    """Values (v:name), bad flags (b:...) and the failure flag, as lazy steps.

    A row with any bad flag is left out whole, so values are not nulled cell by cell; a typed number column
    in its own unit is used as read (no copy).
    """
    values, bads, blanks = {}, {}, {}
    for index, (name, factor) in plan.columns.items():
        spec, raw, value = spec_of(name), f"c{index}", f"v:{name}"
        if is_numeric(spec) and raw in typed:
            values[name] = pl.col(raw) if factor == 1.0 else cells.scaled(pl.col(raw), factor)
            bads[name] = pl.col(raw).is_not_null() & (~pl.col(value).is_finite() | _breach(pl.col(value), spec))
            blanks[name] = pl.col(raw).is_null()
        elif is_numeric(spec):
            text = cells.blank_to_null(raw) if name in padded else pl.col(raw)
            values[name], bads[name] = cells.number(text, value, spec, factor=factor, decimal_comma=comma)
            blanks[name] = text.is_null()
        else:
            dtype = pl.Boolean if spec.kind is Kind.BOOLEAN else pl.String
            values[name], bads[name], blanks[name] = lookups[name].expressions(raw, value, dtype)
    for name, (value, _) in given.items():
        if name in values and value is not None:
            column = pl.col(f"v:{name}").cast(pl.String) if plan.names.get(name) is not None and \
                lookups.get(name) and lookups[name].identity else pl.col(f"v:{name}")
            bads[f"{name}:clash"] = ~bads[name] & column.is_not_null() & (column != pl.lit(value))
    later = {}
    for name in REQUIRED_COLUMNS:
        if name in plan.names:
            later[f"{name}:required"] = ~pl.col("failed") & blanks[name]
    for name in GROUP_KEYS:
        if name in plan.names and name not in given:
            later[f"{name}:required"] = blanks[name]
    if "cachedTokens" in plan.names and "inputTokens" in plan.names:
        later["cachedTokens:over"] = (pl.col("v:cachedTokens") > pl.col("v:inputTokens")).fill_null(False)
    if broken:
        later["__broken"] = pl.col(ROW).is_in(list(broken))
    raw_columns = [f"c{i}" for i in plan.columns]
    blank = pl.all_horizontal([pl.col(c).is_null() for c in raw_columns]) if raw_columns else pl.lit(False)
    later = {name: ~pl.col(_BLANK) & flag for name, flag in later.items()}
    checked = (frame.with_columns([blank.alias(_BLANK)] + [e.alias(f"v:{n}") for n, e in values.items()])
               .with_columns([(~pl.col(_BLANK) & e).alias(f"b:{n}") for n, e in bads.items()]
                             + [_failed(plan, lookups).alias("failed")])
               .with_columns([e.alias(f"b:{n}") for n, e in later.items()]))
    return checked, [f"b:{n}" for n in (*bads, *later)]


def _padded_numbers(frame: pl.DataFrame, plan: Plan, typed: set[str]) -> set[str]:
    """Number columns read as text with cells that need stripping: only those pay for it."""
    names = [n for n, i in plan.names.items() if is_numeric(spec_of(n)) and f"c{i}" not in typed]
    if not names:
        return set()
    checks = []
    for name in names:
        raw = pl.col(f"c{plan.names[name]}")
        unparsed = raw.is_not_null() & raw.cast(pl.Float64, strict=False).is_null()
        checks.append(raw.filter(unparsed).str.contains(r"^\s|\s$|^$").any().alias(name))
    found = frame.select(checks).row(0, named=True)
    return {name for name, hit in found.items() if hit}


def _breach(value: pl.Expr, spec: TraceField) -> pl.Expr:
    breach = pl.lit(False)
    if spec.minimum is not None:
        breach = breach | (value < spec.minimum)
    if spec.whole:
        breach = breach | (value != value.floor())
    limit = MAX_MAGNITUDE if spec.maximum is None else min(spec.maximum, MAX_MAGNITUDE)
    breach = breach | (value.abs() > limit)
    return breach.fill_null(False)


def _failed(plan: Plan, lookups: dict[str, cells.Lookup]) -> pl.Expr:
    """A request failed if it has an error text, success false, or an error status (HTTP >= 400, 'timeout')."""
    failed = pl.lit(False)
    for name, judge in (("error", _is_error), ("success", _is_unsuccessful), ("status", _is_error_status)):
        if name in plan.names:
            verdicts = {raw: judge(value) for raw, value in lookups[name].values.items()}
            raw = pl.col(f"c{plan.names[name]}").cast(pl.String)
            failed = failed | raw.replace_strict(verdicts, default=False, return_dtype=pl.Boolean)
    for index in plan.more_errors:
        verdicts = {raw: _is_error(raw) for raw in lookups[f"error@{index}"].values}
        failed = failed | pl.col(f"c{index}").cast(pl.String).replace_strict(verdicts, default=False,
                                                                             return_dtype=pl.Boolean)
    return failed.fill_null(False)


def _is_error(text: str) -> bool:
    return text.strip().casefold() not in _NOT_AN_ERROR


def _is_unsuccessful(value: bool) -> bool:
    return value is False


def _is_error_status(text: str) -> bool:
    try:
        return float(text) >= 400
    except ValueError:
        return re.search(_FAILED_WORDS, text) is not None


def _groups(checked: pl.LazyFrame, plan: Plan, given: Mapping[str, tuple[Any, bool]]) -> pl.LazyFrame:
    """One row per group and good flag (the caller keeps the good groups). Values of failed requests are
    nulled first, which aggregations skip; cheaper than filtering inside every aggregation."""
    keys = [pl.col(_GOOD)]
    for name in (*GROUP_KEYS, "batchEligible"):
        if name in plan.names:
            value = pl.col(f"v:{name}")
            if name in given:
                value = value.fill_null(pl.lit(given[name][0]))
            keys.append(value.alias(name))
    has = plan.names.__contains__
    succeeded = [n for n in ("latencyMs", "ttftMs", "inputTokens", "outputTokens", "reviewMinutes",
                             "cachedTokens", "outputTokensPerSecond") if has(n)]
    ok = {n: pl.col(f"ok:{n}") for n in succeeded}
    prepared = checked.with_columns([pl.when(pl.col("failed")).then(None).otherwise(pl.col(f"v:{n}"))
                                     .alias(f"ok:{n}") for n in succeeded])
    aggs = [pl.len().alias("requests"), pl.col("failed").sum().alias("failed"), pl.col(ROW).min().alias("row")]
    if has("latencyMs"):
        aggs += [ok["latencyMs"].quantile(q, "linear").alias(f"p{round(q * 100)}") for q in (0.5, 0.95, 0.99)]
    if has("ttftMs"):
        aggs.append(ok["ttftMs"].median().alias("ttft"))
    for name in ("inputTokens", "outputTokens", "reviewMinutes"):
        if has(name):
            aggs.append(ok[name].mean().alias(name))
    if has("costUsd"):
        aggs.append(pl.col("v:costUsd").mean().alias("costUsd"))
    if has("cachedTokens") and has("inputTokens"):
        tokens = pl.when(ok["cachedTokens"].is_not_null()).then(ok["inputTokens"]).sum()
        aggs.append(pl.when(tokens > 0).then(ok["cachedTokens"].sum() / tokens).alias("cacheHitRate"))
    if has("accepted"):
        aggs.append((pl.col("v:accepted").fill_null(False) & ~pl.col("failed")).mean().alias("acceptedOutputRate"))
    if has("outputTokensPerSecond"):
        aggs.append(ok["outputTokensPerSecond"].mean().alias("tps"))
    elif has("latencyMs") and has("ttftMs") and has("outputTokens"):
        # One definition for every source: 1000 / mean time per output token after the first (vLLM's TPOT,
        # AIPerf's inter-token latency), over requests with more than one output token.
        per_token = (ok["latencyMs"] - ok["ttftMs"]) / (ok["outputTokens"] - 1)
        mean_ms = pl.when((ok["outputTokens"] > 1) & (per_token > 0)).then(per_token).mean()
        aggs.append(pl.when(mean_ms > 0).then(1000.0 / mean_ms).alias("tps"))
    return prepared.group_by(keys).agg(aggs).sort("row")


def _record(group: dict[str, Any], plan: Plan, headers: list[str]) -> Record:
    record = Record(row=group["row"])
    n = group["requests"]
    none_succeeded = f"no successful request in this group (all {n:,} failed)" if group["failed"] == n else None

    def label(name: str, how: str) -> str:
        return f"{headers[plan.names[name]]} ({how} of {n:,} requests)"

    for name in (*GROUP_KEYS, "batchEligible"):
        if name in group:
            record.cells[name] = Cell(group[name], headers[plan.names[name]])
    for field_name, key, how, source_name in (
            ("latencyP50Ms", "p50", "p50", "latencyMs"), ("latencyP95Ms", "p95", "p95", "latencyMs"),
            ("latencyP99Ms", "p99", "p99", "latencyMs"), ("ttftMs", "ttft", "median", "ttftMs"),
            ("inputTokens", "inputTokens", "mean", "inputTokens"),
            ("outputTokens", "outputTokens", "mean", "outputTokens"),
            ("costUsd", "costUsd", "mean", "costUsd"), ("reviewMinutes", "reviewMinutes", "mean", "reviewMinutes"),
            ("cacheHitRate", "cacheHitRate", "sum cached / sum input", "cachedTokens"),
            ("acceptedOutputRate", "acceptedOutputRate", "share accepted", "accepted")):
        if key in group:
            record.cells[field_name] = Cell(group[key], label(source_name, how), missing=none_succeeded)
    if "tps" in group:
        source_name = "outputTokensPerSecond" if "outputTokensPerSecond" in plan.names else "outputTokens"
        how = "mean per-request rate" if source_name == "outputTokensPerSecond" else \
            "1000 / mean (latency - TTFT) / (output tokens - 1)"
        record.cells["outputTokensPerSecond"] = Cell(group["tps"], label(source_name, how))
    for measured in ("ttftMs", "outputTokensPerSecond"):  # not measured without the columns: left empty
        record.cells.setdefault(measured, Cell(None, measured))
    record.extras.update(requestCount=n, failedRequests=group["failed"])
    return record


def _row_problems(bad_rows: pl.DataFrame, plan: Plan, headers: list[str], source: str,
                  comma: bool, route_aliases: Mapping[str, str], broken: Mapping[int, tuple[str, Any, str]],
                  given: Mapping[str, tuple[Any, bool]] | None = None) -> list[Problem]:
    found: list[tuple[int, int, Problem]] = []  # (row, column index, problem): sorted as the file reads
    given = given or {}
    for flag in [c for c in bad_rows.columns if c.startswith("b:")]:
        hits = bad_rows.filter(pl.col(flag))
        room = max(MAX_PROBLEMS - len(found), 0)
        if flag == "b:__broken":
            found += [(row, len(headers), Problem(source, row, *broken[row]))
                      for row in hits.get_column(ROW).head(room).to_list()]
            continue
        parts = flag.split(":")
        name, kind = parts[1], (parts[2] if len(parts) > 2 else "cell")
        index = plan.names[name]
        reasons: dict[Any, str] = {}
        for row, raw in hits.select(ROW, f"c{index}").head(room).iter_rows():
            reason = reasons.get(raw)
            if reason is None:
                reason = reasons[raw] = _reason(name, kind, raw, plan.columns[index][1], comma,
                                                route_aliases, given)
            shown = int(raw) if isinstance(raw, float) and raw.is_integer() else raw
            found.append((row, index, Problem(source, row, headers[index], shown, reason)))
    found.sort(key=lambda item: item[:2])
    return [problem for _, _, problem in found]


def _reason(name: str, kind: str, raw: Any, factor: float, comma: bool,
            route_aliases: Mapping[str, str], given: Mapping[str, tuple[Any, bool]]) -> str:
    spec = spec_of(name)
    if kind == "required":
        return "is required" if name in GROUP_KEYS else "is required for a successful request"
    if kind == "clash":
        return f"clashes with the value given for every row ({name}={given[name][0]!r}); keep one"
    if kind == "over":
        return "cached tokens exceed the request's input tokens"
    if isinstance(raw, float):  # read as a number: the value polars parsed
        return cells.cell_reason(spec, repr(raw) if raw == raw else "nan", factor=factor)
    return cells.cell_reason(spec, str(raw or ""), factor=factor, decimal_comma=comma, route_aliases=route_aliases)


def _notes(plan: Plan, headers: list[str], requests: int, groups: int) -> list[str]:
    notes = [f"{requests:,} requests aggregated into {groups:,} trace rows per "
             f"({', '.join(GROUP_KEYS)}); p50/p95/p99 latency by linear interpolation (numpy's default) over "
             f"successful requests; failed requests count as not accepted"]
    if "ttftMs" not in plan.names:
        notes.append("ttftMs and outputTokensPerSecond not measured: the log has no time-to-first-token column")
    if plan.dropped:
        notes.append(f"prompt/response text columns dropped for privacy: {', '.join(plan.dropped)}")
    if plan.unused:
        notes.append(f"columns not used by the aggregation: {', '.join(plan.unused)}")
    for index, (name, factor) in plan.columns.items():
        if factor != 1.0:
            notes.append(f"'{headers[index]}' converted to {spec_of(name).unit} (x{factor:g})")
    return notes


def _json_column(series: pl.Series) -> pl.Series:
    """JSON numbers stay numbers (checked like a typed CSV column); everything else becomes text."""
    if series.dtype.is_numeric() and not series.dtype == pl.Boolean:
        return series.cast(pl.Float64)
    return series.cast(pl.String)


def flatten_structs(frame: pl.DataFrame) -> pl.DataFrame:
    """Nested JSON objects as flat columns named `outer.inner`, to any depth."""
    while True:
        structs = [c for c, t in frame.schema.items() if isinstance(t, pl.Struct)]
        if not structs:
            return frame
        for column in structs:
            fields = [f.name for f in frame.schema[column].fields]
            frame = frame.with_columns(pl.col(column).struct.rename_fields([f"{column}.{f}" for f in fields]))
            frame = frame.unnest(column)
