"""Validating a table of cell text (CSV, TSV, XLSX, ODS) against the trace kit, all rows at once.

Readers (`textfile`, `sheets`) hand over a `RawTable`: every cell as text, plus the row number the officer
sees. This module maps headers to fields, applies units, values given for the whole source (`--set`),
decimal commas and percentages, and returns the valid rows and a problem for every bad cell. Each field is
one polars expression, so a million rows cost a few column passes, not a million Python calls.

What must see every row (the decimal comma, '%' columns, the distinct texts of route and boolean columns,
the kind of each extra) is decided once (`decide`); rows are then checked under those decisions
(`validate_part`), all at once or a piece at a time (`desktop.importers.pieces`), and `combine` joins the
parts as if the rows had been checked together.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from desktop.domain.errors import FieldError
from desktop.domain.trace import FIELDS_BY_NAME, KNOWN_EXTRA_FIELDS, TRACE_FIELDS, Kind, TraceField, check_value
from desktop.importers import cells
from desktop.importers.headers import HeaderMatch, trace_spec, trace_vocabulary
from desktop.domain.progress import FractionTicker
from desktop.importers.result import (
    DEFAULTED_COLUMN, EXTRAS_COLUMN, MAX_PROBLEMS, OUTPUT_COLUMNS, ImportFailed, Problem, empty_output,
    output_schema,
)

# ---- Constants

ROW = "__row"
_BROKEN = "__broken:row"
_BLANK = "__blank"
_ANY_BAD = "__bad"
MIN_HEADER_FIELDS = 4
TEXT_PAYLOAD_KEYS = frozenset({"prompt", "prompts", "response", "responses", "completion", "completiontext",
                               "generatedtext", "generatedtexts", "outputtext", "inputtext", "responsetext",
                               "prompttext", "messages", "requestdata", "responsedata", "output", "input"})


@dataclass
class RawTable:
    """Cells as text, columns named c0..cN, plus ROW (the row number the officer sees).

    Attributes:
        headers: the header cells as written ('' where blank).
        labels: how a column is named in problems (the header, or 'column 3' / 'Column C' when blank).
        header_row: the row number of the header.
        delimiter: the CSV delimiter (None for spreadsheets).
        (Columns are text, except that a reader may hand over all-number columns as Float64.)
        broken_rows: row number -> (column label, value, reason) for rows the reader could not read whole.
    """

    frame: pl.DataFrame
    headers: list[str]
    labels: list[str]
    header_row: int
    delimiter: str | None = None
    notes: list[str] = field(default_factory=list)
    broken_rows: dict[int, tuple[str, Any, str]] = field(default_factory=dict)


@dataclass
class TableResult:
    valid: pl.DataFrame
    problems: list[Problem]
    problems_omitted: int
    rows_read: int
    rows_rejected: int
    mapping: dict[str, str]
    dropped: list[str]
    notes: list[str]


@dataclass
class _Target:
    spec: TraceField
    column: str | None = None   # c<i> in the raw frame
    label: str | None = None
    match: HeaderMatch | None = None
    has_set: bool = False
    set_value: Any = None
    set_blank: bool = False
    typed: bool = False  # the reader handed the column over as numbers


# ---- Public API

def resolve_set_values(set_values: Mapping[str, Any] | None,
                       route_aliases: Mapping[str, str]) -> dict[str, tuple[Any, bool]]:
    """Field -> (validated value, declared not observed); a bad value or name fails the whole import."""
    resolved: dict[str, tuple[Any, bool]] = {}
    for name, raw in (set_values or {}).items():
        spec = trace_spec(name)
        if spec is None:
            known = ", ".join((*FIELDS_BY_NAME, *KNOWN_EXTRA_FIELDS))
            raise ImportFailed(f"cannot set '{name}': not a trace field (fields: {known})")
        blank = raw is None or (isinstance(raw, str) and not raw.strip())
        if blank and spec.required:
            raise ImportFailed(f"cannot declare {name} not observed: it is required; give a value")
        try:
            resolved[name] = (cells.scalar(spec, raw, route_aliases), blank)
        except FieldError as error:
            raise ImportFailed(f"value given for {name}: {error.reason} (value {raw!r})") from None
    return resolved


def validate_table(table: RawTable, *, source: str, set_values: Mapping[str, Any] | None,
                   decimal_comma: bool | None, route_aliases: Mapping[str, str], ticker: FractionTicker) -> TableResult:
    """Map, convert and check every cell; see the module docstring."""
    decisions = decide(table, source=source, set_values=set_values, decimal_comma=decimal_comma,
                       route_aliases=route_aliases)
    ticker(0.2)
    part = validate_part(table.frame, table.broken_rows, decisions, source=source, route_aliases=route_aliases,
                         problem_budget=MAX_PROBLEMS)
    ticker(0.8)
    return combine(decisions, [part])


@dataclass
class Decisions:
    """What holds for the whole table and is decided once: the mapping, decimal comma, lookups, extra kinds."""

    targets: dict[str, _Target]
    extras: list[tuple[str, str]]
    header_problems: list[Problem]
    mapping: dict[str, str]
    dropped: list[str]
    notes: list[str]
    comma: bool
    lookups: dict[str, cells.Lookup]
    kinds: dict[str, str]


@dataclass
class Part:
    """The outcome for some of the rows (all of them, or one piece of a large file)."""

    valid: pl.DataFrame
    problems: list[Problem]
    problem_cells: int   # bad cells in all, listed or not
    rows_read: int
    rows_rejected: int
    cleaned: int         # text cells that lost control characters


def decide(table: RawTable, *, source: str, set_values: Mapping[str, Any] | None, decimal_comma: bool | None,
           route_aliases: Mapping[str, str]) -> Decisions:
    """The decisions that need every row: made on `table.frame`, the whole table or its witnesses
    (`desktop.importers.pieces`)."""
    given = resolve_set_values(set_values, route_aliases)
    targets, extras, header_problems, mapping, dropped = _plan(table, given, source)
    table.frame = _numbers_as_text_unless_numeric(table.frame, targets)
    frame = table.frame
    for target in targets.values():
        target.typed = bool(target.column) and frame.schema[target.column] == pl.Float64
    notes = list(table.notes)
    comma = _decide_decimal_comma(frame, targets, table.delimiter, decimal_comma, notes)
    header_problems += _percent_ambiguity(frame, targets, table, source)
    lookups = _lookups(frame, targets, route_aliases)
    kinds = extra_kinds(frame, extras, comma)
    return Decisions(targets, extras, header_problems, mapping, dropped, notes, comma, lookups, kinds)


def validate_part(frame: pl.DataFrame, broken_rows: dict[int, tuple[str, Any, str]], decisions: Decisions, *,
                  source: str, route_aliases: Mapping[str, str], problem_budget: int) -> Part:
    """Check the rows of `frame` (raw cells and ROW) under `decisions`; Problem objects only for the bad rows
    whose running count of bad cells stays within `problem_budget`."""
    targets, extras, lookups, comma = decisions.targets, decisions.extras, decisions.lookups, decisions.comma
    frame = _numbers_as_text_unless_numeric(frame, targets)
    checked, keys = _check(frame, broken_rows, targets, extras, lookups, comma, padded=set())
    padded = _padded_numbers(checked, targets)
    if padded:  # numbers written with spaces around them: parse those columns again, stripped
        checked, keys = _check(frame, broken_rows, targets, extras, lookups, comma, padded)
    rows_read = checked.height - int(checked.get_column(_BLANK).sum())
    if decisions.header_problems:
        valid = empty_output()
    else:
        valid = checked.lazy().filter(~pl.col(_ANY_BAD) & ~pl.col(_BLANK)).select(
            _output(targets, extras, decisions.kinds, comma)).collect()
    needed = [ROW, *{t.column for t in targets.values() if t.column}, *(f"b:{k}" for k in keys)]
    bad_rows = checked.lazy().filter(pl.col(_ANY_BAD) & ~pl.col(_BLANK)).select(needed).collect()
    problems, cells_in_all = _problems(bad_rows, targets, keys, source, comma, route_aliases, broken_rows,
                                       problem_budget)
    return Part(valid=valid, problems=problems, problem_cells=cells_in_all, rows_read=rows_read,
                rows_rejected=bad_rows.height, cleaned=_cleaned_cells(frame, targets, extras, lookups))


def combine(decisions: Decisions, parts: list[Part]) -> TableResult:
    """One result from the parts, in row order, as if the rows had been checked at once."""
    rows_read = sum(p.rows_read for p in parts)
    problems = [problem for part in parts for problem in part.problems]
    omitted = sum(p.problem_cells for p in parts) - len(problems)
    notes = list(decisions.notes)
    _note_cleaning(sum(p.cleaned for p in parts), decisions.targets, notes)
    valid = parts[0].valid if len(parts) == 1 else pl.concat([p.valid for p in parts], rechunk=False)
    header_problems = decisions.header_problems
    return TableResult(valid=valid, problems=header_problems + problems, problems_omitted=omitted,
                       rows_read=rows_read,
                       rows_rejected=rows_read if header_problems else sum(p.rows_rejected for p in parts),
                       mapping=decisions.mapping, dropped=decisions.dropped, notes=notes)


def column_roles(table: RawTable) -> dict[str, str]:
    """From the header alone, what each raw column feeds: 'text' (a route, boolean or text field), 'number',
    'percent' (a number field whose header says %), or 'other' (an extra, a blank header, a dropped column)."""
    targets = _plan(table, {}, "")[0]
    roles = {f"c{index}": "other" for index in range(len(table.headers))}
    for target in targets.values():
        if target.column:
            roles[target.column] = ("percent" if target.match and target.match.percent else "number") \
                if _numeric(target.spec) else "text"
    return roles


# ---- Private API

_VOCABULARY = None


def _vocabulary():
    global _VOCABULARY
    if _VOCABULARY is None:
        _VOCABULARY = trace_vocabulary()
    return _VOCABULARY


def _plan(table: RawTable, given: dict[str, tuple[Any, bool]], source: str):
    """Which column feeds which field, which are extras, and what is wrong with the header itself."""
    vocabulary = _vocabulary()
    targets: dict[str, _Target] = {}
    extras: list[tuple[str, str]] = []   # (column, extra name)
    problems: list[Problem] = []
    mapping: dict[str, str] = {}
    dropped: list[str] = []
    used_names: set[str] = set()
    for index, (header, label) in enumerate(zip(table.headers, table.labels, strict=True)):
        column = f"c{index}"
        if not header.strip():
            if _has_values(table.frame, column):
                extras.append((column, _unique(label, used_names)))
                mapping[label] = extras[-1][1]
            continue
        match = vocabulary.match(header)
        if match.name is None:
            if match.header and _is_payload(header):
                dropped.append(header)
                continue
            extras.append((column, _unique(header.strip(), used_names)))
            mapping[header] = extras[-1][1]
            continue
        if match.problem:
            problems.append(Problem(source, table.header_row, label, header, match.problem))
        if match.name in targets:
            first = targets[match.name].label
            problems.append(Problem(source, table.header_row, label, header,
                                    f"a second column for {match.name} (first: '{first}'); keep one"))
            continue
        targets[match.name] = _Target(spec=trace_spec(match.name), column=column, label=label, match=match)
        used_names.add(match.name)
        mapping[header] = match.name
    for name, (value, blank) in given.items():
        target = targets.setdefault(name, _Target(spec=trace_spec(name)))
        target.has_set, target.set_value, target.set_blank = True, value, blank
    for spec in TRACE_FIELDS:
        if spec.name not in targets:
            problems.append(Problem(source, table.header_row, spec.name, None, _missing_reason(spec)))
    return targets, extras, problems, mapping, dropped


def _missing_reason(spec: TraceField) -> str:
    if spec.required:
        return f"column missing: add it, or give one value for every row (--set {spec.name}=VALUE)"
    return (f"column missing: add it, give one value for every row (--set {spec.name}=VALUE), "
            f"or declare it not observed (--set {spec.name}=)")


def _is_payload(header: str) -> bool:
    from desktop.importers.headers import header_key
    return header_key(header) in TEXT_PAYLOAD_KEYS


def _unique(name: str, used: set[str]) -> str:
    candidate, number = name, 2
    while candidate in used or candidate in FIELDS_BY_NAME or candidate in (EXTRAS_COLUMN, DEFAULTED_COLUMN):
        candidate, number = f"{name} ({number})", number + 1
    used.add(candidate)
    return candidate


def _text(column: str) -> pl.Expr:
    return cells.blank_to_null(column)


def _has_values(frame: pl.DataFrame, column: str) -> bool:
    series = frame.get_column(column)
    if series.dtype == pl.String:
        return bool(series.str.strip_chars().str.len_bytes().fill_null(0).max() or 0)
    return series.is_not_null().any()


def _numbers_as_text_unless_numeric(frame: pl.DataFrame, targets: dict[str, _Target]) -> pl.DataFrame:
    """Number columns stay numbers only where a number field reads them; routes, booleans, text and extras
    read text (a 1 in batchEligible means true)."""
    numeric = {t.column for t in targets.values() if t.column and _numeric(t.spec)}
    convert = [c for c, dtype in frame.schema.items() if dtype == pl.Float64 and c not in numeric]
    return frame.with_columns([cells.number_text(pl.col(c)).alias(c) for c in convert]) if convert else frame


def _is_text(frame: pl.DataFrame, column: str) -> bool:
    return frame.schema[column] == pl.String


def _check(frame: pl.DataFrame, broken_rows: dict[int, tuple[str, Any, str]], targets: dict[str, _Target],
           extras: list[tuple[str, str]], lookups: dict[str, cells.Lookup], comma: bool,
           padded: set[str]) -> tuple[pl.DataFrame, list[str]]:
    """Parsed values (r:), bad flags (b:) and row flags, in one polars query.

    Successive steps so that each cell is parsed once (polars runs a step's columns in parallel); the bad
    flags read the parsed values back by name. Values of bad cells are not nulled: their rows are left out.
    """
    parsed, bads = _expressions(targets, lookups, comma, padded)
    if broken_rows:
        bads[_BROKEN] = pl.col(ROW).is_in(list(broken_rows))
    data_columns = [c for c in frame.columns if c != ROW]
    blank = pl.all_horizontal([pl.col(c).is_null() for c in data_columns]) if data_columns else pl.lit(True)
    any_bad = pl.any_horizontal([pl.col(f"b:{k}") for k in bads]) if bads else pl.lit(False)
    checked = (frame.lazy()
               .with_columns([v.alias(f"r:{n}") for n, v in parsed.items()]
                             + [cells.blank_to_null(c).alias(f"t:{c}") for c, _ in extras])
               .with_columns([b.alias(f"b:{k}") for k, b in bads.items()] + [blank.alias(_BLANK)])
               .with_columns(any_bad.alias(_ANY_BAD))
               .collect())
    return checked, list(bads)


def _padded_numbers(checked: pl.DataFrame, targets: dict[str, _Target]) -> set[str]:
    """Number columns with unparsed cells that have spaces around them (' 12 ', or a cell of spaces)."""
    names = [n for n, t in targets.items() if t.column and _numeric(t.spec) and _is_text(checked, t.column)]
    if not names:
        return set()
    flags = checked.select([
        pl.col(targets[n].column).filter(pl.col(f"r:{n}").is_null() & pl.col(targets[n].column).is_not_null())
        .str.contains(r"^\s|\s$|^$").any().alias(n) for n in names]).row(0, named=True)
    return {n for n, hit in flags.items() if hit}


def _numeric(spec: TraceField) -> bool:
    return spec.kind in (Kind.NUMBER, Kind.RATE)


def _decide_decimal_comma(frame: pl.DataFrame, targets: dict[str, _Target], delimiter: str | None,
                          choice: bool | None, notes: list[str]) -> bool:
    """Decimal commas only in ';' files (or when chosen), and only if the numbers are written that way."""
    if choice is not None:
        if choice:
            notes.append("numbers read with a decimal comma (chosen)")
        return choice
    if delimiter != ";":
        return False
    columns = [t.column for t in targets.values() if t.column and _numeric(t.spec) and _is_text(frame, t.column)]
    if not columns:
        return False
    found = frame.select(pl.any_horizontal(
        [pl.col(c).str.contains(r"^\s*[+-]?[0-9]+,[0-9]+").any() for c in columns])).item()
    if found:
        notes.append("numbers read with a decimal comma (';'-separated file)")
    return bool(found)


def _percent_ambiguity(frame: pl.DataFrame, targets: dict[str, _Target], table: RawTable,
                       source: str) -> list[Problem]:
    """A '%' column whose bare numbers are all at most 1 may hold shares (0.35) or tiny percentages."""
    problems = []
    for target in targets.values():
        if not (target.column and target.match and target.match.percent):
            continue
        if not _is_text(frame, target.column):
            top = frame.get_column(target.column).max()
        else:
            text = _text(target.column)
            top = frame.select(text.filter(~text.str.ends_with("%")).str.replace(",", ".", literal=True)
                               .cast(pl.Float64, strict=False).max()).item()
        if top is not None and 0 < top <= 1:
            problems.append(Problem(source, table.header_row, target.label, target.match.header,
                                    "the header says % but every value is at most 1: write 35 or 35% for "
                                    "35 percent, or drop % from the header if the values are shares"))
    return problems


def _lookups(frame: pl.DataFrame, targets: dict[str, _Target],
             route_aliases: Mapping[str, str]) -> dict[str, cells.Lookup]:
    columns = {n: t for n, t in targets.items() if t.column and not _numeric(t.spec)}
    if not columns:
        return {}
    distinct = frame.select([pl.col(t.column).drop_nulls().unique().implode().alias(n) for n, t in columns.items()])
    return {n: cells.lookup(t.spec, distinct.get_column(n)[0].to_list(), route_aliases) for n, t in columns.items()}


def _expressions(targets: dict[str, _Target], lookups: dict[str, cells.Lookup], comma: bool, padded: set[str]):
    """Per field: the parsed value (r:name), and bad-cell flags (cell, clash with --set, required but empty)."""
    parsed: dict[str, pl.Expr] = {}
    bads: dict[str, pl.Expr] = {}
    for name, target in targets.items():
        spec = target.spec
        if target.column is None:
            continue
        value = f"r:{name}"
        if _numeric(spec) and target.typed:
            parsed[name], bad = cells.typed_number(target.column, value, spec, factor=target.match.factor)
            blank = pl.col(target.column).is_null()
        elif _numeric(spec):
            text = cells.blank_to_null(target.column) if name in padded else pl.col(target.column)
            parsed[name], bad = cells.number(text, value, spec, factor=target.match.factor, decimal_comma=comma)
            blank = text.is_null()
        else:
            dtype = pl.Boolean if spec.kind is Kind.BOOLEAN else pl.String
            parsed[name], bad, blank = lookups[name].expressions(target.column, value, dtype)
        bads[f"{name}:cell"] = bad
        if target.has_set and target.set_value is not None:
            bads[f"{name}:clash"] = ~bad & pl.col(value).is_not_null() & (pl.col(value) != pl.lit(target.set_value))
        if spec.required and not target.has_set:
            bads[f"{name}:required"] = blank
    return parsed, bads


def _output(targets: dict[str, _Target], extras: list[tuple[str, str]], kinds: dict[str, str],
            comma: bool) -> list[pl.Expr]:
    schema = output_schema()
    columns = []
    defaulted = []
    for spec in TRACE_FIELDS:
        target = targets[spec.name]
        value, took_default = _final_value(target)
        columns.append(value.cast(schema[spec.name]).alias(spec.name))
        if spec.default is not None:
            defaulted.append(pl.when(took_default).then(pl.lit(spec.name)))
    columns.append(_extras_json(targets, extras, kinds, comma).alias(EXTRAS_COLUMN))
    names = pl.concat_str(defaulted, separator=",", ignore_nulls=True) if defaulted else pl.lit("")
    columns.append(pl.when(names == "").then(None).otherwise(names).cast(pl.String).alias(DEFAULTED_COLUMN))
    return columns


def _final_value(target: _Target) -> tuple[pl.Expr, pl.Expr]:
    spec = target.spec
    literal = pl.lit(target.set_value)
    if target.column is None:
        value = literal if target.has_set else pl.lit(None)
        took_default = pl.lit(target.has_set and target.set_blank and spec.default is not None)
        return value, took_default
    value = pl.col(f"r:{spec.name}")
    if target.has_set:
        filled = pl.when(value.is_null()).then(literal).otherwise(value)
        return filled, value.is_null() & pl.lit(target.set_blank and spec.default is not None)
    if spec.default is not None:
        return value.fill_null(pl.lit(spec.default)), value.is_null()
    return value, pl.lit(False)


def _extras_json(targets: dict[str, _Target], extras: list[tuple[str, str]], kinds: dict[str, str],
                 comma: bool) -> pl.Expr:
    parts = []
    for name, target in targets.items():
        if name in FIELDS_BY_NAME:
            continue
        value, _ = _final_value(target)
        parts.append(value.cast(pl.Float64).alias(name))
    parts += [_typed_extra(column, kinds[column], comma).alias(name) for column, name in extras]
    if not parts:
        return pl.lit(None, pl.String)
    everything_null = pl.all_horizontal([p.is_null() for p in parts])
    return pl.when(everything_null).then(None).otherwise(pl.struct(parts).struct.json_encode())


def extra_kinds(frame: pl.DataFrame, extras: list[tuple[str, str]], comma: bool) -> dict[str, str]:
    """Numbers stay numbers and text stays text: a column of plain numbers becomes a number extra.

    Whole numbers become integers so JSON shows 12, not 12.0.
    """
    if not extras:
        return {}
    checks = []
    for column, _ in extras:
        body = _text(column).str.replace(",", ".", literal=True) if comma else _text(column)
        number = body.cast(pl.Float64, strict=False)
        checks.append((body.is_null() | body.str.contains(cells.NUMBER_PATTERN)).all().alias(f"n:{column}"))
        checks.append(((number == number.floor()) & (number.abs() < 2 ** 53)).fill_null(True).all()
                      .alias(f"w:{column}"))
        checks.append(number.is_finite().fill_null(True).all().alias(f"f:{column}"))
    row = frame.select(checks).row(0, named=True)
    kinds = {}
    for column, _ in extras:
        numeric = row[f"n:{column}"] and row[f"f:{column}"]
        kinds[column] = ("int" if row[f"w:{column}"] else "float") if numeric else "text"
    return kinds


def _typed_extra(column: str, kind: str, comma: bool) -> pl.Expr:
    text = pl.col(f"t:{column}")
    if kind == "text":
        return text.str.replace_all(cells.CONTROL_PATTERN, "")
    body = text.str.replace(",", ".", literal=True) if comma else text
    number = body.cast(pl.Float64, strict=False)
    return number.cast(pl.Int64) if kind == "int" else number


def _problems(bad_rows: pl.DataFrame, targets: dict[str, _Target], keys: list[str], source: str, comma: bool,
              route_aliases: Mapping[str, str],
              broken: dict[int, tuple[str, Any, str]], budget: int) -> tuple[list[Problem], int]:
    """Every bad cell as a Problem, sorted by row, and how many bad cells there are in all; objects only
    for the rows whose running count of bad cells stays within `budget`."""
    if not keys or bad_rows.height == 0:
        return [], 0
    flags = [f"b:{key}" for key in keys]
    counted = bad_rows.with_columns(
        pl.sum_horizontal([pl.col(c).cast(pl.Int32) for c in flags]).alias("__count")).with_columns(
        pl.col("__count").cum_sum().alias("__upto"))
    total = int(counted.get_column("__count").sum() or 0)
    kept = counted.filter(pl.col("__upto") <= budget)
    problems: list[Problem] = []
    for key in keys:
        if key == _BROKEN:
            rows_hit = kept.filter(pl.col(f"b:{key}")).get_column(ROW).to_list()
            problems += [Problem(source, row, *broken[row]) for row in rows_hit]
            continue
        name, kind = key.split(":")
        target = targets[name]
        hits = kept.filter(pl.col(f"b:{key}")).select(ROW, target.column)
        reasons: dict[str | None, str] = {}
        for row, raw in hits.iter_rows():
            text = _as_written(raw)
            reason = reasons.get(text)
            if reason is None:
                reason = reasons[text] = _reason(kind, target, text, comma, route_aliases)
            shown = text.strip() if isinstance(text, str) and text.strip() else None
            problems.append(Problem(source, row, target.label, shown, reason))
    problems.sort(key=lambda p: p.row)
    return problems, total


def _as_written(raw: Any) -> str | None:
    """A cell as its text (a number cell the way a spreadsheet shows it)."""
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() and abs(raw) < 1e15 else repr(raw)
    return raw


def _reason(kind: str, target: _Target, text: str | None, comma: bool, route_aliases: Mapping[str, str]) -> str:
    spec = target.spec
    if kind == "required":
        try:
            check_value(spec, None)
        except FieldError as error:
            return error.reason
        return "is required"
    if kind == "clash":
        return f"clashes with the value given for every row ({spec.name}={target.set_value!r}); keep one"
    return cells.cell_reason(spec, text or "", factor=target.match.factor, decimal_comma=comma,
                             route_aliases=route_aliases)


def _cleaned_cells(frame: pl.DataFrame, targets: dict[str, _Target], extras: list[tuple[str, str]],
                   lookups: dict[str, cells.Lookup]) -> int:
    counts = [pl.col(targets[n].column).is_in(lookup.cleaned).sum() for n, lookup in lookups.items() if lookup.cleaned]
    counts += [pl.col(column).str.contains(cells.CONTROL_PATTERN).sum() for column, _ in extras]
    return int(frame.select(pl.sum_horizontal(counts)).item() or 0) if counts and frame.height else 0


def _note_cleaning(count: int, targets: dict[str, _Target], notes: list[str]) -> None:
    if count:
        notes.append(f"control characters removed from {count} text cells")
    for target in targets.values():
        if target.match and target.match.factor != 1.0:
            notes.append(f"'{target.match.header}' converted from {target.match.unit} "
                         f"to {target.spec.unit} (x{target.match.factor:g})")


assert OUTPUT_COLUMNS[:len(TRACE_FIELDS)] == tuple(s.name for s in TRACE_FIELDS)
