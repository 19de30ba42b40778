"""`ipw traces` written a part of the trace table at a time, so memory does not grow with the rows.

Each part of the visible rows (`desktop.storage.trace_frame.iter_exact_parts`: the stored values, column by
column) becomes its lines through polars expressions: a TSV cell is `str()` of the value the row dict of
`WorkbookStore.iter_traces` holds ("" for None, True/False for batchEligible), a JSON row is what
`print_json` writes for that dict. The rows these expressions do not cover are written from their row dicts
as the whole-list listing wrote them, so the text is the same byte for byte:
- a part with a cell of another type than its column's (a file another tool wrote) is read row by row;
- JSON: rows with extras (their keys follow the fields and their values may have any JSON shape) and rows
  whose names a JSON string escapes (quotes, backslashes, control characters);
- TSV: rows whose extras could name one of the listed columns (an extra replaces that cell in the row dict).
Numbers are written the way Python writes a float; polars' cast to text agrees except for magnitudes below
1e-4 (0.00001 and 1e-9 where Python writes 1e-05 and 1e-09) and NaN, so those cells take Python's text.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import polars as pl

from desktop.cli.common import print_json_with_row_texts, row_json
from desktop.domain.trace import FIELD_NAMES, FIELDS_BY_NAME, Kind
from desktop.storage.trace_frame import frame_rows, iter_exact_parts
from desktop.storage.workbook_file import WorkbookStore

COLUMNS = ("id", "importId", *FIELD_NAMES)
PART_ROWS = 8_192  # read and turned into cells at once
TEXT_ROWS = 2_048  # joined into rows at once: a larger batch is hardly faster and holds more (JSON: +15 MB at 4096)
_POLARS_AGREES_FROM = 1e-4
_NEEDS_JSON_ESCAPE = r'[\x00-\x1f"\\]'
# An extra can only replace a listed column's cell if its JSON key spells that name, plainly or escaped.
_MAY_NAME_A_COLUMN = r'\\|"(?:' + "|".join(map(re.escape, COLUMNS)) + ')"'


def write_tsv(store: WorkbookStore) -> bool:
    """The header and every visible row as tab-separated text on stdout; False (nothing written) when there
    are no rows."""
    write = sys.stdout.buffer.write
    written = False
    for lines in _parts(store, TSV):
        if not written:
            write(("\t".join(COLUMNS) + "\n").encode("utf-8"))
            written = True
        write((lines + "\n").encode("utf-8"))
    sys.stdout.flush()
    return written


def print_json_traces(store: WorkbookStore) -> None:
    """`{"traces": [...]}` as `print_json` writes the whole list, a part at a time."""
    print_json_with_row_texts({}, "traces", _parts(store, JSON))


@dataclass(frozen=True)
class _Layout:
    json: bool
    separator: str  # between rows
    row_text: Callable[[dict[str, Any]], str]  # a row dict's text, as the whole-list listing wrote it
    extras_by_row: str  # rows whose extras match take row_text
    names_by_row: str | None  # and those with a name that matches


def _parts(store: WorkbookStore, layout: _Layout) -> Iterator[str]:
    """Each part's rows as text joined by the layout's separator, `TEXT_ROWS` rows at a time: cells column-wise,
    the rows the layout names (and every row of a part with odd cells) from their row dicts."""
    by_row = pl.col("extras").is_not_null() & pl.col("extras").str.contains(layout.extras_by_row)
    if layout.names_by_row is not None:
        by_row = by_row | pl.any_horizontal(pl.col(n).str.contains(layout.names_by_row) for n in _TEXT_FIELDS)
    for frame, first, last in iter_exact_parts(store, PART_ROWS):
        if frame is None:
            yield layout.separator.join(map(layout.row_text, store.iter_traces(first - 1, last)))
            continue
        cells = _cells(frame, json=layout.json)
        slow = frame.select(by_row.fill_null(False).arg_true()).to_series()
        for offset in range(0, frame.height, TEXT_ROWS):
            lines = _joined_cells(cells.slice(offset, TEXT_ROWS), layout.json)
            here = slow.filter((slow >= offset) & (slow < offset + TEXT_ROWS))
            if len(here):
                lines = lines.scatter(here - offset, [layout.row_text(row) for row in frame_rows(frame[here])])
            yield lines.str.join(layout.separator).item()


# ---- cells ------------------------------------------------------------------------------------------

_TEXT_FIELDS = [name for name in FIELD_NAMES if FIELDS_BY_NAME[name].kind in (Kind.ROUTE, Kind.TEXT)]
_BOOLEAN_FIELDS = [name for name in FIELD_NAMES if FIELDS_BY_NAME[name].kind is Kind.BOOLEAN]


def _number_text(values: pl.Series) -> pl.Series:
    """Each float as Python's `str` writes it (null stays null)."""
    text = values.cast(pl.String)
    python_writes = ((values.abs() < _POLARS_AGREES_FROM) & (values != 0)) | values.is_nan()
    where = python_writes.fill_null(False).arg_true()
    if len(where):
        text = text.scatter(where, [repr(value) for value in values.gather(where).to_list()])
    return text


def _cells(frame: pl.DataFrame, *, json: bool) -> pl.DataFrame:
    """The listed columns' cells as text: `str(value)` ("" for None), or the JSON value."""
    missing = "null" if json else ""
    true, false = ("true", "false") if json else ("True", "False")
    cells = []
    for name in COLUMNS:
        values = frame[name]
        if name in _BOOLEAN_FIELDS:  # the row dicts hold bool(value): None is False
            text = pl.Series(name, [true, false]).gather((~values.fill_null(False)).cast(pl.UInt32))
        elif name in _TEXT_FIELDS:
            text = ('"' + values + '"') if json else values
        elif values.dtype == pl.Float64:
            text = _number_text(values)
            if json:  # print_json writes NaN and infinities as null
                text = pl.select(pl.when(values.is_finite()).then(text)).to_series()
        else:
            text = values.cast(pl.String)
        cells.append(text.fill_null(missing).alias(name))
    return pl.DataFrame(cells)


_JSON_KEYS = [f'\n      "{name}": ' for name in COLUMNS]


def _joined_cells(cells: pl.DataFrame, json: bool) -> pl.Series:
    """Each row's text: the cells tab-separated, or the JSON object as `row_json` writes it."""
    if not json:
        return cells.select(pl.concat_str(pl.all(), separator="\t")).to_series()
    parts: list[Any] = []
    for key, name in zip(_JSON_KEYS, COLUMNS):
        parts += [pl.lit(("    {" if not parts else ",") + key), pl.col(name)]
    parts.append(pl.lit("\n    }"))
    return cells.select(pl.concat_str(parts)).to_series()


def _tsv_line(row: dict[str, Any]) -> str:
    return "\t".join("" if row.get(c) is None else str(row.get(c)) for c in COLUMNS)


TSV = _Layout(json=False, separator="\n", row_text=_tsv_line, extras_by_row=_MAY_NAME_A_COLUMN, names_by_row=None)
# Any extras: their keys follow the fields, and their values may have any JSON shape.
JSON = _Layout(json=True, separator=",\n", row_text=row_json, extras_by_row=".", names_by_row=_NEEDS_JSON_ESCAPE)
