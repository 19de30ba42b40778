"""Turning cell text into trace values, for a million cells at once (polars) or one at a time.

The vectorised path decides which cells are valid; the officer-facing reason for a bad cell comes from
`desktop.domain.trace.check_value` itself wherever it can, so the two paths cannot drift apart. Numbers
follow one strict grammar (digits, optional sign, one decimal point, optional exponent): Python's float()
would also take '1_000', ' 12 ' or Arabic-Indic digits, which a spreadsheet user never means as numbers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from desktop.domain.errors import FieldError
from desktop.domain.trace import MAX_MAGNITUDE, NONZERO_MANTISSA_PATTERN, Kind, TraceField, check_value

# ---- Constants

NUMBER_PATTERN = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
_NUMBER = re.compile(NUMBER_PATTERN)
_COMMA_DECIMAL = re.compile(r"^[+-]?[0-9]+,[0-9]+(?:[eE][+-]?[0-9]+)?%?$")
CONTROL_PATTERN = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]"
MAX_TEXT = 1000  # longer provider/model/workload text is almost always an unterminated quote
PERCENT = 0.01


# ---- Public API

def blank_to_null(column: str) -> pl.Expr:
    """Stripped text, with empty cells as null (a cell of spaces is a blank cell)."""
    text = pl.col(column).str.strip_chars()
    return pl.when(text.str.len_bytes() == 0).then(None).otherwise(text)


def number(text: pl.Expr, value: str, spec: TraceField, *, factor: float,
           decimal_comma: bool) -> tuple[pl.Expr, pl.Expr]:
    """(value in the field's unit, bad-cell flag) for a column of number text.

    The flag reads the value back from column `value`, so callers compute the two in successive
    with_columns steps and polars parses each cell once. '35%' is read as 0.35 in rate columns only; in a
    '%' column a bare 35 is 0.35 as well (factor 0.01).
    """
    rate = spec.kind is Kind.RATE
    is_percent = text.str.ends_with("%")
    # Only rates read '35%'; elsewhere a '%' simply fails to parse, so the column is parsed as it is.
    body = pl.when(is_percent).then(text.str.strip_suffix("%").str.strip_chars_end()).otherwise(text) if rate \
        else text
    if decimal_comma:
        body = body.str.replace(",", ".", literal=True)
    number = body.cast(pl.Float64, strict=False)
    # polars parses exactly NUMBER_PATTERN plus inf/nan spellings, which the finiteness check refuses
    # (tests/importers/test_import_cells.py holds it to that); no regex pass over a million cells is needed.
    if rate:
        parsed = pl.when(is_percent).then(scaled(number, PERCENT)).otherwise(scaled(number, factor))
    else:
        parsed = scaled(number, factor)
    result = pl.col(value)
    # 1e-400 parses to 0: an underflow, not a zero (the mantissa has a non-zero digit)
    underflow = (result == 0) & body.str.contains(NONZERO_MANTISSA_PATTERN)
    bad = ~result.is_finite() | _range_breach(result, spec) | underflow.fill_null(False)
    if decimal_comma:
        bad = bad | text.str.contains(".", literal=True)
    return parsed, text.is_not_null() & bad.fill_null(True)


def typed_number(column: str, value: str, spec: TraceField, *, factor: float) -> tuple[pl.Expr, pl.Expr]:
    """(value, bad flag) for a column a reader already typed as numbers (spreadsheet cells, typed CSV)."""
    raw = pl.col(column)
    parsed = raw if factor == 1.0 else scaled(raw, factor)
    result = pl.col(value)
    return parsed, raw.is_not_null() & (~result.is_finite() | _range_breach(result, spec)).fill_null(True)


def number_text(number: pl.Expr) -> pl.Expr:
    """Numbers as the text a spreadsheet shows: 3 for 3.0, 0.35 for 0.35."""
    whole = (number == number.floor()) & (number.abs() < 1e15)
    return pl.when(whole).then(number.cast(pl.Int64, strict=False).cast(pl.String)).otherwise(number.cast(pl.String))


@dataclass(frozen=True)
class Lookup:
    """Distinct cell texts of a column -> value; texts that are blank after stripping, and bad ones.

    Routes, booleans and text fields have few distinct values, so reading them in Python (the domain's own
    check_value, NFC, control characters) costs little for any number of rows.
    """

    values: dict[str, Any]
    blanks: list[str]
    cleaned: list[str]  # texts that lost control characters
    identity: bool = False  # every text is valid and already its own value: no mapping needed

    def expressions(self, raw: str, value: str, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
        """(value, bad flag, blank flag) for raw column `raw`; the flag reads the value from `value`."""
        cell = pl.col(raw)
        if self.identity and dtype == pl.String:  # a Categorical column stays one (cheap to group by)
            return cell, pl.lit(False), cell.is_null()
        text = cell.cast(pl.String)
        parsed = text.replace_strict(self.values, default=None, return_dtype=dtype) if self.values \
            else pl.lit(None, dtype)
        blank = cell.is_null() | text.is_in(self.blanks) if self.blanks else cell.is_null()
        return parsed, ~blank & pl.col(value).is_null(), blank


def lookup(spec: TraceField, distinct: list[str], route_aliases: Mapping[str, str]) -> Lookup:
    values: dict[str, Any] = {}
    blanks, cleaned = [], []
    for raw in distinct:
        text = unicodedata.normalize("NFC", raw)
        stripped = re.sub(CONTROL_PATTERN, "", text)
        if stripped != text:
            cleaned.append(raw)
        if not stripped.strip():
            blanks.append(raw)
            continue
        if spec.kind is Kind.TEXT:
            if len(stripped.strip()) <= MAX_TEXT:
                values[raw] = stripped.strip()
            continue
        try:
            values[raw] = check_value(spec, stripped, route_aliases)
        except FieldError:
            pass
    identity = not blanks and len(values) == len(distinct) and all(k == v for k, v in values.items())
    return Lookup(values, blanks, cleaned, identity)


def cell_reason(spec: TraceField, text: str, *, factor: float = 1.0, decimal_comma: bool = False,
                route_aliases: Mapping[str, str] | None = None) -> str:
    """Why a cell the vectorised check refused is wrong, in the domain's own words where possible."""
    stripped = text.strip()
    if spec.kind in (Kind.ROUTE, Kind.BOOLEAN):
        return _domain_reason(spec, stripped, route_aliases) or "is not a valid value"
    if spec.kind is Kind.TEXT:
        return f"is longer than {MAX_TEXT} characters (an unclosed quote?)"
    return _number_reason(spec, stripped, factor=factor, decimal_comma=decimal_comma)


def scalar(spec: TraceField, value: Any, route_aliases: Mapping[str, str]) -> Any:
    """A value given for a whole source (--set, the import dialog), read with the same tolerance as a cell.

    Raises FieldError. An empty text means 'not observed': null for nullable fields, the default otherwise.
    """
    if isinstance(value, str) and spec.kind in (Kind.NUMBER, Kind.RATE):
        text = value.strip()
        if not text:
            return check_value(spec, None, route_aliases)
        percent = text.endswith("%")
        body = text[:-1].strip() if percent else text
        if not _NUMBER.match(body) or (percent and spec.kind is not Kind.RATE):
            raise FieldError(spec.name, value, _number_reason(spec, text, factor=1.0, decimal_comma=False))
        return check_value(spec, scaled(float(body), PERCENT if percent else 1.0), route_aliases)
    return check_value(spec, value, route_aliases)


def scaled(value: Any, factor: float) -> Any:
    """value x factor, dividing for factors below 1 so that 35% is exactly 0.35 (35 * 0.01 is not).

    Works on numbers and polars expressions alike; + 0.0 turns -0 into 0.
    """
    if factor == 1.0:
        return value + 0.0
    if factor < 1.0:
        divisor = round(1.0 / factor)
        if isinstance(value, pl.Expr):
            # polars divides by a scalar as x * (1/d), which makes 35 -> 0.35000000000000003; dividing by a
            # column of d is exact.
            return value / (value * 0 + divisor) + 0.0
        return value / divisor + 0.0
    return value * factor + 0.0


def looks_comma_decimal(text: str) -> bool:
    return bool(_COMMA_DECIMAL.match(text.strip()))


# ---- Private API

def _range_breach(value: pl.Expr, spec: TraceField) -> pl.Expr:
    breach = pl.lit(False)
    if spec.kind is Kind.RATE:
        breach = breach | (value < 0) | (value > 1)
    if spec.minimum is not None:
        breach = breach | (value < spec.minimum)
    if spec.whole:
        breach = breach | (value != value.floor())
    limit = MAX_MAGNITUDE if spec.maximum is None else min(spec.maximum, MAX_MAGNITUDE)
    return breach | (value.abs() > limit)


def _domain_reason(spec: TraceField, value: Any, route_aliases: Mapping[str, str] | None) -> str | None:
    try:
        check_value(spec, value, route_aliases)
    except FieldError as error:
        return error.reason
    return None


def _number_reason(spec: TraceField, text: str, *, factor: float, decimal_comma: bool) -> str:
    percent = text.endswith("%")
    body = text[:-1].strip() if percent else text
    if percent and spec.kind is not Kind.RATE:
        return "must be a number (a percentage fits only a 0-1 rate)"
    if decimal_comma:
        if "." in body:
            return "must use a decimal comma like the rest of this file (no '.' in numbers)"
        body = body.replace(",", ".")
    elif looks_comma_decimal(text):
        return "must be a number (a decimal comma is read only in ';'-separated files or when chosen)"
    if not _NUMBER.match(body):
        reason = _domain_reason(spec, body, None)
        return reason or "must be a plain number (digits, an optional sign and one decimal point)"
    if float(body) == 0 and re.match(NONZERO_MANTISSA_PATTERN, body):
        return "is too small to represent (it would become 0)"
    return _domain_reason(spec, scaled(float(body), PERCENT if percent else factor), None) or "is not a valid value"
