"""A large delimited trace table read and checked a piece at a time, so memory stays bounded.

A file over STREAM_BYTES (UTF-8 on disk, or text already in memory) is cut at line breaks outside quotes into pieces of about PIECE_BYTES.

Pass 1 reads each piece and keeps only its witnesses: the few cells per column on which the decisions that
need every row turn (`tabular.decide`): every distinct text of a route, boolean or text column and of a '%'
number column; the first cell that looks like a decimal comma; and, for any other column, its first non-blank
cell and the first cell that keeps it from being a number, a whole number or a finite number as an extra.
Each decision is an "any", "all", "max" or set of distinct values, so deciding on the witnesses gives what
deciding on every row gives. Pass 2 reads each piece again and checks it under those decisions, carrying the
cap on listed problems across pieces (`tabular.validate_part`, `tabular.combine`). The valid rows of the
pieces are kept with their route/provider/model/workload columns as categoricals (a few distinct values
over millions of rows).

Returns None, and the caller reads the whole file as before, when polars cannot read a piece (ragged rows,
bytes that are not UTF-8), when no line break outside quotes falls within a piece, or when rows and lines
do not correspond one to one (quoted line breaks, blank lines): row numbers then need the whole file.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import polars as pl

from desktop.domain.progress import FractionTicker
from desktop.domain.trace import TRACE_FIELDS, Kind
from desktop.importers import cells
from desktop.importers.result import MAX_PROBLEMS
from desktop.importers.tabular import ROW, TableResult, column_roles, combine, decide, validate_part
from desktop.importers.textfile import HeaderGuess, TextInput, empty_table

# ---- Constants

MiB = 1024 * 1024
# Up to this (about a million kit rows) the whole file is read at once: ~12% faster than in pieces, and its peak
# (about 5.5x the file: 643 MB for the 116 MiB million-row file) stays under the 800 MB a 5M-row import may take.
STREAM_BYTES = 128 * MiB
PIECE_BYTES = 4 * MiB
_MAX_CUT_TRIES = 10_000  # line breaks tried, from a piece's end back, for one outside quotes
_COMMA_DECIMAL = r"^\s*[+-]?[0-9]+,[0-9]+"  # as tabular._decide_decimal_comma looks for it
_CATEGORICAL = [spec.name for spec in TRACE_FIELDS if spec.kind in (Kind.ROUTE, Kind.TEXT)]


# ---- Public API

def validate_in_pieces(text: TextInput, guess: HeaderGuess, *, source: str, set_values: Mapping[str, Any] | None,
                       decimal_comma: bool | None, route_aliases: Mapping[str, str], ticker: FractionTicker,
                       piece_bytes: int | None = None) -> TableResult | None:
    """The same result as reading the whole table and `validate_table`, or None (see the module docstring)."""
    path, piece_bytes = text.source, piece_bytes or PIECE_BYTES
    size = path.stat().st_size if isinstance(path, Path) else len(path)
    template = empty_table(text, guess)
    roles = column_roles(template)
    comma_possible = decimal_comma is True or (decimal_comma is None and guess.delimiter == ";")
    bounds, witnesses, rows = [], [], 0
    try:
        for start, end, frame in _pieces(path, guess, _header_end(path, guess.line), piece_bytes):
            bounds.append((start, end))
            witnesses.append(frame.select(_witness_expressions(roles, comma_possible)))
            rows += frame.height
            ticker(0.4 * end / max(size, 1))
    except (pl.exceptions.PolarsError, _NoCut):
        return None
    if rows != text.lines - guess.line:
        return None
    template.frame = _witness_frame(witnesses, roles)
    decisions = decide(template, source=source, set_values=set_values, decimal_comma=decimal_comma,
                       route_aliases=route_aliases)
    parts, offset, cells_so_far = [], guess.line + 1, 0
    for index, (start, end) in enumerate(bounds):
        frame = _read(path, start, end, guess)
        frame = frame.with_columns(pl.int_range(offset, offset + frame.height, dtype=pl.Int64).alias(ROW))
        part = validate_part(frame, {}, decisions, source=source, route_aliases=route_aliases,
                             problem_budget=MAX_PROBLEMS - cells_so_far)
        part.valid = part.valid.with_columns(pl.col(_CATEGORICAL).cast(pl.Categorical))
        parts.append(part)
        offset += frame.height
        cells_so_far += part.problem_cells
        ticker(0.4 + 0.6 * (index + 1) / len(bounds))
    if not parts:
        return None
    return combine(decisions, parts)


# ---- Private API

class _NoCut(Exception):
    """No line break outside quotes within a piece."""


def _open(source: Path | bytes) -> BinaryIO:
    """The file on disk, or the text already in memory (a small or a converted file)."""
    return open(source, "rb") if isinstance(source, Path) else io.BytesIO(source)


def _header_end(path: Path | bytes, header_line: int) -> int:
    """The byte offset just after the header's last line (polars' skip_lines counts the same line breaks)."""
    offset, seen = 0, 0
    with _open(path) as handle:
        while seen < header_line:
            block = handle.read(MiB)
            if not block:
                return offset
            position = -1
            while seen < header_line:
                position = block.find(b"\n", position + 1)
                if position < 0:
                    break
                seen += 1
            if seen == header_line:
                return offset + position + 1
            offset += len(block)
    return offset


def _pieces(path: Path | bytes, guess: HeaderGuess, start: int,
            piece_bytes: int) -> Iterator[tuple[int, int, pl.DataFrame]]:
    size = path.stat().st_size if isinstance(path, Path) else len(path)
    with _open(path) as handle:
        while start < size:
            handle.seek(start)
            block = handle.read(piece_bytes)
            cut = len(block) if start + len(block) >= size else _cut(block)
            yield start, start + cut, _parse(block[:cut], guess)
            start += cut


def _cut(block: bytes) -> int:
    """Just after the last line break of `block` with an even number of quotes before it (outside quotes)."""
    end = block.rfind(b"\n")
    for _ in range(_MAX_CUT_TRIES):
        if end < 0:
            break
        if block.count(b'"', 0, end + 1) % 2 == 0:
            return end + 1
        end = block.rfind(b"\n", 0, end)
    raise _NoCut()


def _read(path: Path | bytes, start: int, end: int, guess: HeaderGuess) -> pl.DataFrame:
    with _open(path) as handle:
        handle.seek(start)
        return _parse(handle.read(end - start), guess)


def _parse(data: bytes, guess: HeaderGuess) -> pl.DataFrame:
    schema = {f"c{i}": pl.String for i in range(len(guess.cells))}
    return pl.read_csv(data, has_header=False, separator=guess.delimiter, schema=schema, quote_char='"',
                       raise_if_empty=False, encoding="utf8")


def _first(column: str, condition: pl.Expr) -> pl.Expr:
    return pl.col(column).filter(condition).head(1)


def _witness_expressions(roles: dict[str, str], comma_possible: bool) -> list[pl.Expr]:
    """One list of witness cells per column (see the module docstring)."""
    expressions = []
    for column, role in roles.items():
        raw = pl.col(column)
        if role in ("text", "percent"):
            found = [raw.drop_nulls().unique()]
        elif role == "number":
            found = [_first(column, raw.str.contains(_COMMA_DECIMAL))] if comma_possible else []
        else:
            text = cells.blank_to_null(column)
            found = [_first(column, text.str.strip_chars().str.len_bytes() > 0)]
            for comma in (False, True) if comma_possible else (False,):
                body = text.str.replace(",", ".", literal=True) if comma else text
                number = body.cast(pl.Float64, strict=False)
                found += [_first(column, ~(body.is_null() | body.str.contains(cells.NUMBER_PATTERN))),
                          _first(column, ~((number == number.floor()) & (number.abs() < 2 ** 53)).fill_null(True)),
                          _first(column, ~number.is_finite().fill_null(True))]
        if not found:
            expressions.append(pl.lit([], dtype=pl.List(pl.String)).alias(column))
            continue
        expressions.append(pl.concat_list([f.implode() for f in found]).alias(column))
    return expressions


def _witness_frame(witnesses: list[pl.DataFrame], roles: dict[str, str]) -> pl.DataFrame:
    """The witnesses of every piece as one frame of text columns, padded with nulls (which no decision counts)."""
    columns: dict[str, list[str | None]] = {}
    for column, role in roles.items():
        values = [v for frame in witnesses for v in frame.get_column(column)[0].to_list()]
        columns[column] = list(dict.fromkeys(values)) if role in ("text", "percent") else values
    height = max((len(v) for v in columns.values()), default=0)
    data = {c: pl.Series(c, v + [None] * (height - len(v)), dtype=pl.String) for c, v in columns.items()}
    return pl.DataFrame({**data, ROW: pl.Series(ROW, [None] * height, dtype=pl.Int64)})
