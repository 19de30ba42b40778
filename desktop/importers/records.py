"""Validating the few trace rows a benchmark result or an aggregated request log produces.

Such sources yield one row per benchmark or per group, so a plain loop over `check_value` is the simplest
faithful check. Each value remembers where it came from (a JSON key path, or the expression it was computed
with) so a problem points at the file, not at our field names.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from desktop.domain.errors import FieldError
from desktop.domain.trace import FIELDS_BY_NAME, KNOWN_EXTRA_FIELDS, TRACE_FIELDS, check_value
from desktop.importers.result import Problem, output_schema

# ---- Constants

TOOL_NEVER_RECORDS = ("route", "provider", "workload", "batchEligible", "acceptedOutputRate", "costUsd",
                      "reviewMinutes")


@dataclass(frozen=True)
class Cell:
    """A value in the field's unit and where it came from.

    Attributes:
        value: the value to validate (None: the file records this field but not for this run).
        column: the key path, or how it was computed ('total_input_tokens / completed').
        raw: the value as written in the file, for problems (defaults to value).
    """

    value: Any
    column: str
    raw: Any = None
    missing: str | None = None  # why a required value is absent, when the source can say

    @property
    def shown(self) -> Any:
        return self.value if self.raw is None else self.raw


@dataclass
class Record:
    """One would-be trace row: `cells` for trace fields and known extras, `extras` for anything else."""

    row: int
    cells: dict[str, Cell] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass
class RecordsResult:
    valid: pl.DataFrame
    problems: list[Problem]
    rows_rejected: int
    notes: list[str]


# ---- Public API

def validate_records(records: Iterable[Record], *, source: str, tool: str,
                     given: Mapping[str, tuple[Any, bool]], route_aliases: Mapping[str, str],
                     defaultable: Iterable[str] = ("cacheHitRate",), missing_row: int = 0) -> RecordsResult:
    """Check every record; a field missing from every record is one problem (at `missing_row`, 0 meaning
    the file as a whole), not one per row."""
    records = list(records)
    defaultable = set(defaultable)
    missing = _missing_everywhere(records, given, defaultable)
    problems = [Problem(source, missing_row, name, None, _missing_reason(name, tool)) for name in missing]
    notes = []
    rows, rejected = [], 0
    for record in records:
        row_problems: list[Problem] = []
        values, defaulted = _fields(record, source, tool, given, route_aliases, defaultable, missing,
                                    row_problems)
        extras = _extras(record, source, given, route_aliases, row_problems)
        problems += row_problems
        if row_problems or missing:
            rejected += 1
            continue
        rows.append((*values, json.dumps(extras, allow_nan=False) if extras else None,
                     ",".join(defaulted) or None))
    for name in sorted(defaultable):
        if records and name not in given and all(name not in r.cells for r in records):
            where = tool if tool.startswith("the ") else f"the {tool} file"
            default = FIELDS_BY_NAME[name].default
            notes.append(f"{name} is not in {where}: not observed (left empty)" if default is None else
                         f"{name} is not in {where}: set to its default {default!r} (marked as defaulted)")
    valid = pl.DataFrame(rows, schema=output_schema(), orient="row")
    problems.sort(key=lambda p: p.row)
    return RecordsResult(valid=valid, problems=problems, rows_rejected=rejected, notes=notes)


def plain(value: Any) -> Any:
    """A JSON-safe extra value: non-finite numbers become text ('inf' request rates are common)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


# ---- Private API

def _missing_everywhere(records: list[Record], given: Mapping[str, Any], defaultable: set[str]) -> list[str]:
    names = []
    if not records:  # nothing to import, so nothing is missing
        return names
    for spec in TRACE_FIELDS:
        if spec.name in given or spec.name in defaultable:
            continue
        if not records or all(spec.name not in r.cells for r in records):
            names.append(spec.name)
    return names


def _missing_reason(name: str, tool: str) -> str:
    spec = FIELDS_BY_NAME[name]
    what = "is not recorded by" if name not in TOOL_NEVER_RECORDS else "is never recorded by"
    if tool == "the request log":
        what = "has no column in"
    if spec.required:
        return f"{what} {tool}: give one value for every row (--set {name}=VALUE)"
    return (f"{what} {tool}: give one value for every row (--set {name}=VALUE) or declare it not observed "
            f"(--set {name}=)")


def _fields(record: Record, source: str, tool: str, given: Mapping[str, tuple[Any, bool]],
            route_aliases: Mapping[str, str], defaultable: set[str], missing: list[str],
            problems: list[Problem]) -> tuple[list[Any], list[str]]:
    values, defaulted = [], []
    for spec in TRACE_FIELDS:
        cell = record.cells.get(spec.name)
        value, took_default = None, False
        if spec.name in given:
            value, blank = given[spec.name]
            took_default = blank and spec.default is not None
        if cell is not None and cell.value is not None:
            try:
                checked = check_value(spec, cell.value, route_aliases)
            except FieldError as error:
                problems.append(Problem(source, record.row, cell.column, cell.shown, error.reason))
                checked = None
            if checked is not None and spec.name in given and given[spec.name][0] is not None \
                    and checked != given[spec.name][0]:
                problems.append(Problem(source, record.row, cell.column, cell.shown,
                                        f"clashes with the value given for every row "
                                        f"({spec.name}={given[spec.name][0]!r}); keep one"))
            value, took_default = checked, False
        elif spec.name not in given and spec.name not in missing:
            if spec.default is not None:
                value, took_default = spec.default, True
            elif spec.required:
                column = cell.column if cell is not None else spec.name
                reason = cell.missing if cell is not None and cell.missing else _missing_reason(spec.name, tool)
                problems.append(Problem(source, record.row, column, None, reason))
        values.append(value)
        if took_default:
            defaulted.append(spec.name)
    return values, defaulted


def _extras(record: Record, source: str, given: Mapping[str, tuple[Any, bool]],
            route_aliases: Mapping[str, str], problems: list[Problem]) -> dict[str, Any]:
    extras: dict[str, Any] = {}
    for name, spec in KNOWN_EXTRA_FIELDS.items():
        cell = record.cells.get(name)
        if cell is not None and cell.value is not None:
            try:
                extras[name] = check_value(spec, cell.value, route_aliases)
            except FieldError as error:
                problems.append(Problem(source, record.row, cell.column, cell.shown, error.reason))
        elif name in given and given[name][0] is not None:
            extras[name] = given[name][0]
    for name, value in record.extras.items():
        if value is not None:
            extras[name] = plain(value)
    return extras
