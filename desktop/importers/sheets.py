"""Reading one sheet of an XLSX or ODS workbook as cell text, with python-calamine.

calamine returns cached cell values only (a formula is never evaluated, a formula without a cached value
reads as empty) and refuses XML entities; `preflight` has already bounded what it may inflate. Cells become
text so that spreadsheets and CSV files share one validator: numbers keep their exact value (a whole
number reads '3', not '3.0'), booleans read 'true'/'false', dates read ISO and fail in number columns.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import polars as pl

from desktop.importers.preflight import Limits, SourceFile
from desktop.domain.progress import FractionTicker
from desktop.importers.result import ImportFailed
from desktop.importers.tabular import ROW, RawTable

# ---- Constants

HEADER_SEARCH_ROWS = 50


# ---- Public API

def sheet_names(source: SourceFile) -> list[str]:
    with _open(source) as workbook:
        return list(workbook.sheet_names)


def read_sheet(source: SourceFile, *, sheet: str | None, classify: Callable[[list[Any]], str | None],
               limits: Limits, ticker: FractionTicker) -> tuple[RawTable, str, list[str]]:
    """The chosen (or first recognisable) sheet as a RawTable, its name, and all sheet names."""
    with _open(source) as workbook:
        names = list(workbook.sheet_names)
        candidates = _candidates(workbook, names, sheet, source.name)
        for name in candidates:
            rows, offset = _rows(workbook, name, source.name, limits)
            header_index = _header_index(rows, classify)
            if header_index is not None:
                ticker(0.6)
                table = _table(rows, header_index, *offset)
                if sheet is None:  # chosen automatically: say which other sheets hold traces too
                    table.notes += _other_trace_sheets(workbook, candidates[candidates.index(name) + 1:], classify)
                return table, name, names
            if sheet is not None:
                raise ImportFailed(f"{source.name}: sheet '{name}' has no header row (no row among the first "
                                   f"{HEADER_SEARCH_ROWS} names at least four trace-kit columns)")
    raise ImportFailed(f"{source.name}: no sheet has a header row naming at least four trace-kit columns "
                       f"(sheets: {', '.join(repr(n) for n in names)}). Pick the sheet, or start from the XLSX "
                       f"template")


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: how a spreadsheet user names a column."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


# ---- Private API

def _open(source: SourceFile):
    from python_calamine import CalamineWorkbook
    try:
        # Parse the bytes that were hashed, not the path again: the file may have changed since.
        return CalamineWorkbook.from_filelike(io.BytesIO(source.data))
    except Exception as error:  # calamine raises its own zoo (ZipError, XmlError, CalamineError, ...)
        raise ImportFailed(_calamine_message(source.name, error)) from None


def _calamine_message(name: str, error: Exception) -> str:
    text = str(error)
    if "entity" in text.casefold():
        return f"{name} contains XML entities; it is not a normal workbook and was not opened"
    if "password" in text.casefold() or type(error).__name__ == "PasswordError":
        return f"{name} is password-protected; save a copy without a password and import that"
    return f"{name} is damaged and cannot be read ({type(error).__name__}: {text[:200]})"


def _candidates(workbook: Any, names: list[str], sheet: str | None, source_name: str) -> list[str]:
    if sheet is not None:
        for wanted in (sheet, sheet.casefold()):
            for name in names:
                if name == wanted or name.casefold() == wanted:
                    return [name]
        raise ImportFailed(f"{source_name} has no sheet named {sheet!r} (sheets: "
                           f"{', '.join(repr(n) for n in names)})")
    from python_calamine import SheetTypeEnum, SheetVisibleEnum
    return [meta.name for meta in workbook.sheets_metadata
            if meta.typ == SheetTypeEnum.WorkSheet and meta.visible == SheetVisibleEnum.Visible]


def _rows(workbook: Any, name: str, source_name: str,
          limits: Limits) -> tuple[list[list[Any]], tuple[int, int]]:
    try:
        sheet = workbook.get_sheet_by_name(name)
        if sheet.height > limits.max_sheet_rows:
            raise ImportFailed(f"{source_name}: sheet '{name}' has {sheet.height:,} rows, more than "
                               f"{limits.max_sheet_rows:,}; split it or save it as CSV")
        rows = sheet.to_python(skip_empty_area=True)
        start = sheet.start
    except ImportFailed:
        raise
    except Exception as error:
        raise ImportFailed(_calamine_message(source_name, error)) from None
    return rows, (tuple(start) if start else (0, 0))


def _other_trace_sheets(workbook: Any, others: list[str], classify: Callable[[list[Any]], str | None]) -> list[str]:
    """A note for each further sheet whose first rows hold a trace header (it is not imported with this one)."""
    notes = []
    for other in others:
        try:
            head = workbook.get_sheet_by_name(other).to_python(skip_empty_area=True, nrows=HEADER_SEARCH_ROWS)
        except Exception:  # an unreadable extra sheet is not this import's business
            continue
        if _header_index(head, classify) is not None:
            notes.append(f"sheet '{other}' also has a trace header row and was not imported; import it on its "
                         f"own (choose the sheet '{other}')")
    return notes


def _header_index(rows: list[list[Any]], classify: Callable[[list[Any]], str | None]) -> int | None:
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if classify(row):
            return index
    return None


def _table(rows: list[list[Any]], header_index: int, row_offset: int, column_offset: int) -> RawTable:
    header = [_header_text(cell) for cell in rows[header_index]]
    data = rows[header_index + 1:]
    width = len(header)
    columns = list(zip(*data, strict=False)) if data else [()] * width  # calamine rows share one width
    frame = pl.DataFrame({f"c{i}": _as_text(columns[i]) for i in range(width)})
    first = row_offset + header_index + 2  # 1-based sheet row of the first data row
    frame = frame.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).add(first).alias(ROW))
    labels = [h.strip() or f"Column {column_letter(column_offset + i)}" for i, h in enumerate(header)]
    return RawTable(frame=frame, headers=header, labels=labels, header_row=first - 1)


def _header_text(cell: Any) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return "" if cell is None else str(cell)


def _as_text(values: tuple) -> pl.Series:
    """One column of cells: all-number columns as Float64, anything else as text (blanks null, whole
    numbers without '.0', booleans 'true'/'false').

    The cell types are looked at first so that the common columns (all text, all numbers, all booleans)
    convert inside polars; only a column mixing kinds (a TRUE among numbers, a date) goes cell by cell,
    so a boolean is never silently read as 1.
    """
    kinds = set(map(type, values))
    if kinds == {str}:
        text = pl.Series(values, dtype=pl.String)
        return pl.select(pl.when(text.str.len_bytes() == 0).then(None).otherwise(text)).to_series()
    if str in kinds:
        values = [None if v == "" else v for v in values]
        kinds = set(map(type, values))
    kinds.discard(type(None))
    if kinds <= {str}:
        return pl.Series(values, dtype=pl.String)
    if kinds <= {float, int}:  # kept as numbers: number fields need no text round trip
        return pl.Series(values, dtype=pl.Float64)
    if kinds == {bool}:
        return pl.Series(values, dtype=pl.Boolean).cast(pl.String)
    return pl.Series([_cell_text(v) for v in values], dtype=pl.String)


def _cell_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
