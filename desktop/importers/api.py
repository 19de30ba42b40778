"""The one entry point the GUI and the CLI call: parse and validate a source, write nothing.

Every failure that concerns the file reaches the caller as ImportFailed with a message for the officer;
problems with individual values are not failures but `ParsedSource.problems`, so the caller can show all of
them and let the officer decide whether to import only the valid rows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from desktop.importers import benchmarks, columnar, request_log, sql_aggregate
from desktop.importers.benchmarks import csv_summary, per_request
from desktop.importers.detect import classifier, json_kind
from desktop.importers.amplification import check_columns, check_line_lengths
from desktop.importers.plausibility import plausibility_warnings
from desktop.importers.preflight import Limits, SourceFile, check_workbook, read_source, refuse_ole
from desktop.domain.progress import Cancelled, FractionTicker, Progress
from desktop.importers.records import validate_records
from desktop.importers.result import ImportFailed, ParsedSource, cap_problems
from desktop.importers.sheets import read_sheet, sheet_names
from desktop.importers.tabular import resolve_set_values, validate_table
from desktop.importers.textfile import NotUtf8, decode_text, find_header, read_table, transcode

# ---- Constants

LARGE_LOG_ROWS = 5_000_000  # above this a Parquet request log goes through the shipped SQL query
FORMATS = ("auto", "csv", "tsv", "xlsx", "ods", *benchmarks.BENCHMARK_FORMATS, "requests")


# ---- Public API

def parse_source(path: Path | str, *, format: str = "auto", sheet: str | None = None,
                 set_values: Mapping[str, Any] | None = None, decimal_comma: bool | None = None,
                 progress: Progress | None = None,
                 route_aliases: Mapping[str, str] | None = None, limits: Limits | None = None) -> ParsedSource:
    """Read, detect, map and validate one source.

    Args:
        path: the file.
        format: 'auto' (detect from content) or one of FORMATS to insist on.
        sheet: sheet name for XLSX/ODS (default: the first sheet with a trace-kit header).
        set_values: field -> value for every row (--set); '' declares a nullable field not observed.
        decimal_comma: read '4,5' as 4.5 (None: only in ';'-separated files that write numbers so).
        progress: told how far reading got (one stage named after the file); when it asks to cancel,
            Cancelled is raised.
        route_aliases: accepted route spellings (default: the playbook's).
        limits: size caps (default: Limits()).

    Raises:
        ImportFailed: the file cannot be imported at all (message for the officer).
        Cancelled: `progress` asked to stop.
    """
    if format not in FORMATS:
        raise ImportFailed(f"unknown format '{format}' (use one of: {', '.join(FORMATS)})")
    ticker = FractionTicker(progress, f"Reading {Path(path).name}")
    ticker(0.0)
    if route_aliases is None:
        from desktop.resources import playbook
        route_aliases = playbook().trace_route_aliases()
    name = Path(path).name
    try:
        source = read_source(path, limits or Limits())
        try:
            ticker(0.1)
            parsed = _parse(source, format=format, sheet=sheet, set_values=set_values,
                            decimal_comma=decimal_comma, route_aliases=route_aliases, limits=limits or Limits(),
                            ticker=ticker.sub(0.1, 1.0))
            parsed.warnings, warning_count = plausibility_warnings(parsed.valid, parsed.source)
            parsed.warnings_omitted = warning_count - len(parsed.warnings)
            aggregated = sql_aggregate.provenance_note(parsed.valid)
            if aggregated:
                parsed.notes.insert(0, aggregated)
            ticker(1.0)
        except BaseException:
            source.abandon()
            raise
        return parsed
    except (ImportFailed, Cancelled):
        raise
    except MemoryError:
        raise ImportFailed(f"{name} is too large to import with the memory available") from None
    except RecursionError:
        raise ImportFailed(f"{name} nests too deeply to be a result file") from None
    except Exception as error:  # a malformed file must never crash the app
        raise ImportFailed(f"{name} could not be read ({type(error).__name__}: {str(error)[:300]})") from error


def list_sheets(path: Path | str, *, limits: Limits | None = None) -> list[str]:
    """Sheet names of an XLSX/ODS workbook (after the same safety checks), for the officer to pick one."""
    name = Path(path).name
    try:
        source = read_source(path, limits or Limits())
        if source.kind == "ole":
            refuse_ole(source)
        if source.kind != "zip":
            return []
        check_workbook(source, limits or Limits())
        return sheet_names(source)
    except (ImportFailed, Cancelled):
        raise
    except Exception as error:
        raise ImportFailed(f"{name} could not be read ({type(error).__name__}: {str(error)[:300]})") from error


# ---- Private API

def _parse(source: SourceFile, *, format: str, sheet: str | None, set_values: Mapping[str, Any] | None,
           decimal_comma: bool | None, route_aliases: Mapping[str, str], limits: Limits,
           ticker: FractionTicker) -> ParsedSource:
    kind = source.kind
    if kind == "empty":
        raise ImportFailed(f"{source.name} is empty")
    binary = columnar.binary_kind(source.head)
    if binary in ("gzip", "zstd"):  # read what it holds, with the same checks and messages
        inner, note = columnar.decompressed(source, binary, limits)
        parsed = _parse(inner, format=format, sheet=sheet, set_values=set_values, decimal_comma=decimal_comma,
                        route_aliases=route_aliases, limits=limits, ticker=ticker)
        parsed.notes.insert(0, note)
        return parsed
    if binary in ("parquet", "arrow"):
        return _columnar(source, binary, format, set_values=set_values, route_aliases=route_aliases,
                         ticker=ticker, limits=limits)
    if kind == "ole":
        refuse_ole(source)
    options = dict(set_values=set_values, route_aliases=route_aliases, ticker=ticker)
    if kind == "zip":
        if format not in ("auto", "xlsx", "ods"):
            raise ImportFailed(f"{source.name} is a workbook (XLSX/ODS), not a {format} file")
        return _workbook(source, format, sheet, decimal_comma, limits, **options)
    if format in ("xlsx", "ods"):
        raise ImportFailed(f"{source.name} is not an {format.upper()} workbook (it is a text file)")
    if kind == "json" or format in benchmarks.BENCHMARK_FORMATS:
        return _json(source, format, limits, **options)
    check_line_lengths(source.path, source.name, limits.max_line_bytes)
    return _delimited(source, format, decimal_comma, limits=limits, **options)


def _columnar(source: SourceFile, kind: str, format: str, *, set_values, route_aliases,
              ticker: FractionTicker, limits: Limits) -> ParsedSource:
    """Parquet / Arrow IPC: the column names are the header; request log or trace table as for CSV."""
    if format not in ("auto", "requests", "csv"):
        raise ImportFailed(f"{source.name} is a {columnar.label(kind)} file, not a {format} file")
    # the same column cap as a CSV header, read from the file's schema before any column is loaded
    check_columns(source.name, columnar.column_count(source, kind), limits.max_columns, "the file's schema")
    if kind == "parquet" and format != "csv":
        large = _large_parquet_log(source, set_values, route_aliases, ticker)
        if large is not None:
            return large
    frame = columnar.read_frame(source, kind)
    ticker(0.3)
    forced = "requests" if format == "requests" else None
    what = classifier(forced)(list(frame.columns))
    if what is None:
        raise ImportFailed(f"{source.name}: the {columnar.label(kind)} columns ({', '.join(frame.columns[:8])}) "
                           f"name neither a trace table (route, provider, model, inputTokens...) nor a request "
                           f"log (latency, input and output tokens per request)")
    table = request_log.table_from_records(frame, list(range(1, frame.height + 1)))
    note = f"read from {columnar.label(kind)} ({frame.height:,} records; row numbers are record numbers)"
    if what == "requests":
        result = request_log.aggregate(table.frame, table.headers, 0, source=source.name, set_values=set_values,
                                       route_aliases=route_aliases, ticker=ticker.sub(0.3, 1.0))
        result.notes = [note, *table.notes, *result.notes]
        return _assemble(source, "requests", result)
    result = validate_table(table, source=source.name, set_values=set_values, decimal_comma=False,
                            route_aliases=route_aliases, ticker=ticker.sub(0.3, 1.0))
    result.notes = [note, *result.notes]
    return _assemble(source, kind, result, header_row=0)


def _large_parquet_log(source: SourceFile, set_values, route_aliases, ticker: FractionTicker) -> ParsedSource | None:
    """A Parquet request log over LARGE_LOG_ROWS rows is aggregated by the shipped SQL query on polars'
    streaming engine (bounded memory), then its rows are validated as a trace table; None for others."""
    try:
        headers = list(pl.read_parquet_schema(source.path))
    except (pl.exceptions.PolarsError, OSError):
        return None  # read_frame names what is wrong with the file

    if classifier("requests")(headers) != "requests" or classifier(None)(headers) != "requests":
        return None
    rows = pl.scan_parquet(source.path).select(pl.len()).collect().item()
    if rows <= LARGE_LOG_ROWS:
        return None
    given = {name: value for name, (value, _) in resolve_set_values(set_values, route_aliases).items()}
    view = sql_aggregate.requests_view(pl.scan_parquet(source.path), headers, given, route_aliases)
    ticker(0.1)
    out = sql_aggregate.run_polars(view)
    ticker(0.8)
    table = request_log.table_from_records(out, list(range(1, out.height + 1)))
    keep = {k: v for k, v in (set_values or {}).items() if k not in sql_aggregate.KEYS_IN_OUTPUT}
    result = validate_table(table, source=source.name, set_values=keep, decimal_comma=False,
                            route_aliases=route_aliases, ticker=ticker.sub(0.8, 1.0))
    result.rows_read = rows
    result.notes = [f"{rows:,} requests in Parquet, aggregated by the shipped request-log query "
                    f"(resources/sql/request_log_aggregate.sql) on polars' streaming engine; at this size cells "
                    f"are typed by the file's schema, not checked one by one", *result.notes]
    return _assemble(source, "requests", result)


def _workbook(source: SourceFile, format: str, sheet: str | None, decimal_comma: bool | None,
              limits: Limits, *, set_values, route_aliases, ticker: FractionTicker) -> ParsedSource:
    real, notes = check_workbook(source, limits)
    if format != "auto" and format != real:
        raise ImportFailed(f"{source.name} is an {real.upper()} workbook, not {format.upper()}")
    table, sheet_name, names = read_sheet(source, sheet=sheet, classify=classifier("xlsx"), limits=limits,
                                          ticker=ticker.sub(0.0, 0.5))
    table.notes += notes
    result = validate_table(table, source=source.name, set_values=set_values, decimal_comma=decimal_comma,
                            route_aliases=route_aliases, ticker=ticker.sub(0.5, 1.0))
    return _assemble(source, real, result, sheet=sheet_name, sheet_names=names, header_row=table.header_row)


def _delimited(source: SourceFile, format: str, decimal_comma: bool | None, *, set_values, route_aliases,
               ticker: FractionTicker, limits: Limits) -> ParsedSource:
    text = decode_text(source)
    tool = csv_summary.is_csv_summary(text.sample) if format in ("auto", "aiperf", "genai-perf") else None
    if tool is not None:
        return _csv_summary(source, format if format != "auto" else tool, set_values=set_values,
                            route_aliases=route_aliases, ticker=ticker)
    hint = "\t" if format == "tsv" or source.name.casefold().endswith((".tsv", ".tab")) else None
    guess = find_header(text.sample, classifier(format if format != "auto" else None), hint, source.name)
    check_columns(source.name, len(guess.cells), limits.max_columns)
    if guess.kind == "requests":
        return _request_csv(source, text, guess, decimal_comma, set_values=set_values,
                            route_aliases=route_aliases, ticker=ticker)
    try:
        table = read_table(text, guess, ticker.sub(0.0, 0.4))
    except NotUtf8:
        text = transcode(source)
        table = read_table(text, guess, ticker.sub(0.0, 0.4))
    result = validate_table(table, source=source.name, set_values=set_values, decimal_comma=decimal_comma,
                            route_aliases=route_aliases, ticker=ticker.sub(0.4, 1.0))
    fmt = "tsv" if guess.delimiter == "\t" else "csv"
    return _assemble(source, fmt, result, header_row=table.header_row)


def _csv_summary(source: SourceFile, fmt: str, *, set_values, route_aliases,
                 ticker: FractionTicker) -> ParsedSource:
    """AIPerf / GenAI-Perf CSV export: its statistics in the JSON's shape, read by the JSON's reader."""
    try:
        document = csv_summary.summary_document(source.data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ImportFailed(f"{source.name} is not UTF-8 text") from None
    notes = [f"{benchmarks.TOOL_NAMES[fmt]} CSV export: the statistics table read as the tool's JSON summary"]
    found = per_request.aiperf_settings_beside(source.path)
    for name, (value, where) in found.items():
        notes.append(f"{name} = {value!r}, read from {where} beside the CSV (the CSV does not hold it)")
    beside = {name: value for name, (value, _) in found.items()}
    records = benchmarks.read(fmt, [(1, document)], notes, source.name)
    ticker(0.7)
    given = resolve_set_values({**beside, **(set_values or {})}, route_aliases)
    result = validate_records(records, source=source.name, tool=benchmarks.TOOL_NAMES[fmt], given=given,
                              route_aliases=route_aliases)
    mapping = {cell.column: name for record in records for name, cell in record.cells.items()}
    problems, omitted = cap_problems(result.problems)
    return ParsedSource(source=source.name, path=source.path, format=fmt, sha256=source.sha256, size=source.size,
                        rows_read=len(records), rows_rejected=result.rows_rejected, problems=problems,
                        dropped_columns=[], mapping=mapping, notes=notes + result.notes, valid=result.valid,
                        problems_omitted=omitted)


def _request_csv(source: SourceFile, text, guess, decimal_comma: bool | None, *, set_values, route_aliases,
                 ticker: FractionTicker) -> ParsedSource:
    """Only the used columns, numbers typed where polars can; quoted line breaks or unreadable bytes send it
    down the slower path that reads every cell as text."""
    frame = None if decimal_comma else request_log.read_csv_columns(text, guess)
    broken: dict = {}
    if frame is None:
        try:
            table = read_table(text, guess, ticker.sub(0.0, 0.3))
        except NotUtf8:
            text = transcode(source)
            table = read_table(text, guess, ticker.sub(0.0, 0.3))
        frame, broken = table.frame, table.broken_rows
    comma = bool(decimal_comma)
    if decimal_comma is None and guess.delimiter == ";":
        columns = [c for c in request_log.number_columns(list(guess.cells)) if frame.schema.get(c) == pl.String]
        comma = bool(columns) and frame.select(pl.any_horizontal(
            [pl.col(c).str.contains(r"^\s*[+-]?[0-9]+,[0-9]+").any() for c in columns])).item()
    ticker(0.3)
    result = request_log.aggregate(frame, list(guess.cells), guess.line, source=source.name,
                                   set_values=set_values, route_aliases=route_aliases,
                                   ticker=ticker.sub(0.3, 1.0), decimal_comma=comma, broken=broken)
    result.notes = list(text.notes) + (["numbers read with a decimal comma"] if comma else []) + result.notes
    return _assemble(source, "requests", result, header_row=guess.line)


def _json(source: SourceFile, format: str, limits: Limits, *, set_values, route_aliases,
          ticker: FractionTicker) -> ParsedSource:
    if source.size > limits.max_json_bytes:
        raise ImportFailed(f"{source.name} is too large for a result file "
                           f"({source.size / 1024 ** 2:,.0f} MiB)")
    text = _json_text(source)
    ticker(0.2)
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    try:
        document = json.loads(text)
        lines = False
    except json.JSONDecodeError:
        try:
            document = json.loads(first_line)
        except json.JSONDecodeError as error:
            raise ImportFailed(f"{source.name} is not valid JSON: {error.msg} at line {error.lineno}") from None
        lines = True
    tool = per_request.detect_per_request(document) if format in ("auto", "requests") else None
    fmt = format if format != "auto" else ("requests" if tool else json_kind(document))
    if fmt == "requests":
        return _json_requests(source, text, document, lines, set_values=set_values, route_aliases=route_aliases,
                              ticker=ticker, tool=tool)
    if fmt is None:
        reason = per_request.why_not_per_request(document)
        if reason:
            raise ImportFailed(f"{source.name}: {reason}")
        keys = ", ".join(list(document)[:8]) if isinstance(document, dict) else type(document).__name__
        raise ImportFailed(f"{source.name}: JSON not recognised as a result of vLLM, llmperf, SGLang, GenAI-Perf, "
                           f"AIPerf, GuideLLM or inference-perf, nor as a request log (it starts with: {keys}). "
                           f"Choose the format if you know it")
    objects, problems, _ = benchmarks.load_json(text, source.name)
    notes: list[str] = []
    records = benchmarks.read(fmt, objects, notes, source.name)
    ticker(0.7)
    given = resolve_set_values(set_values, route_aliases)
    result = validate_records(records, source=source.name, tool=benchmarks.TOOL_NAMES[fmt], given=given,
                              route_aliases=route_aliases)
    mapping = {cell.column: name for record in records for name, cell in record.cells.items()}
    problems, omitted = cap_problems(problems + result.problems)
    rejected = result.rows_rejected + sum(1 for p in problems if p.column == "(line)")
    return ParsedSource(source=source.name, path=source.path, format=fmt, sha256=source.sha256, size=source.size,
                        rows_read=len(records) + sum(1 for p in problems if p.column == "(line)"),
                        rows_rejected=rejected, problems=problems, dropped_columns=[], mapping=mapping,
                        notes=notes + result.notes, valid=result.valid, problems_omitted=omitted)


def _json_text(source: SourceFile) -> str:
    data = source.data
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFailed(f"{source.name} is not UTF-8 text; JSON files must be UTF-8") from None


def _json_requests(source: SourceFile, text: str, document: Any, lines: bool, *, set_values, route_aliases,
                   ticker: FractionTicker, tool: str | None = None) -> ParsedSource:
    if lines:
        data = source.data if not source.data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) \
            else text.encode("utf-8")
        count = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
        blank_lines = b"\n\n" in data or b"\n\r\n" in data or data.startswith((b"\n", b"\r\n"))
        numbers = [i for i, line in enumerate(text.splitlines(), start=1) if line.strip()] if blank_lines \
            else list(range(1, count + 1))
        try:
            frame = pl.read_ndjson(data, infer_schema_length=None)
        except pl.exceptions.PolarsError as error:
            raise ImportFailed(f"{source.name}: a line is not a JSON object ({str(error)[:200]})") from None
        if len(numbers) != frame.height:  # lines of spaces: number the non-blank lines one by one
            numbers = [i for i, line in enumerate(text.splitlines(), start=1) if line.strip()]
        if len(numbers) != frame.height:
            raise ImportFailed(f"{source.name}: every non-blank line must hold one JSON object")
    else:
        items = document if isinstance(document, list) else [document]
        if not all(isinstance(item, dict) for item in items):
            raise ImportFailed(f"{source.name}: a request log in JSON must be a list of objects")
        numbers = list(range(1, len(items) + 1))
        frame = pl.from_dicts(items, infer_schema_length=None)
    tool_notes: list[str] = []
    if tool is not None:  # a benchmark tool's own per-request names: one column per request field
        frame, beside = per_request.request_columns(tool, frame, source.path, tool_notes)
        set_values = {**beside, **(set_values or {})}
    table = request_log.table_from_records(frame, numbers)
    table.notes = tool_notes + table.notes
    ticker(0.4)
    result = request_log.aggregate(table.frame, table.headers, 0, source=source.name,
                                   set_values=set_values, route_aliases=route_aliases,
                                   ticker=ticker.sub(0.4, 1.0))
    result.notes = table.notes + result.notes
    return _assemble(source, "requests", result)


def _assemble(source: SourceFile, fmt: str, result, *, sheet: str | None = None,
              sheet_names: list[str] | None = None, header_row: int | None = None) -> ParsedSource:
    problems, omitted = cap_problems(result.problems)
    return ParsedSource(source=source.name, path=source.path, format=fmt, sha256=source.sha256, size=source.size,
                        rows_read=result.rows_read, rows_rejected=result.rows_rejected, problems=problems,
                        dropped_columns=list(result.dropped), mapping=dict(result.mapping), notes=list(result.notes),
                        valid=result.valid, sheet=sheet, sheet_names=list(sheet_names or []), header_row=header_row,
                        problems_omitted=omitted + result.problems_omitted)
