"""Small files that would cost huge memory, refused before any parser sees them.

A 1.3 MB CSV with 100,000 columns, a 2 GB CSV on one line, and a 1.1 KB ODS whose one row says
`table:number-rows-repeated="1048575"` each cost gigabytes once parsed (issue 15 measured 12 GiB, 8 GiB and
2.4 GiB). The zip pre-check bounds inflated bytes, not what they describe, so these checks count lines,
columns and rows by streaming the bytes (4 MiB at a time; repeat attributes are added up, never expanded).
tests/perf/bench_amplification.py measures the peak memory of each refusal (README, "Hostile imports").
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

from desktop.importers.result import ImportFailed

CHUNK_BYTES = 4 * 1024 * 1024
# A value cell written out costs an ODS file ~60 bytes of XML, so a sheet whose repeat attributes describe
# more than this many values per byte (beyond a floor for small files) is an amplifier, not a table.
REPEAT_CELLS_PER_BYTE = 16
REPEAT_FLOOR_CELLS = 1_000_000
MiB = 1024 * 1024


def check_columns(name: str, columns: int, max_columns: int, where: str = "the header row") -> None:
    if columns > max_columns:
        raise ImportFailed(f"{name}: {where} has {columns:,} columns, more than {max_columns:,}; it is not a "
                           f"trace table (keep only the trace columns and import that)")


def check_line_lengths(path: Path, name: str, max_line_bytes: int) -> None:
    """Refuse a text file with a line longer than `max_line_bytes`, reading it in bounded chunks.

    `max_line_bytes` is at least one chunk, so a line inside a chunk is always short enough; only the run
    of bytes across chunk boundaries without a line break needs counting.
    """
    limit = max(max_line_bytes, CHUNK_BYTES)
    run, offset, line_start = 0, 0, 0  # bytes since the last line break; where the current line starts
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK_BYTES):
                first = chunk.find(b"\n")
                if first < 0:
                    run += len(chunk)
                elif run + first > limit:
                    run += first
                else:
                    last = chunk.rfind(b"\n")
                    run, line_start = len(chunk) - last - 1, offset + last + 1
                offset += len(chunk)
                if run > limit:
                    _too_long(name, _line_number(handle, line_start), limit)
    except OSError as error:
        raise ImportFailed(f"cannot read {name}: {error.strerror or error}") from None


def _line_number(handle, line_start: int) -> int:
    """The 1-based number of the line starting at byte `line_start` (counted only for the message)."""
    handle.seek(0)
    breaks, read = 0, 0
    while read < line_start:
        chunk = handle.read(min(CHUNK_BYTES, line_start - read))
        if not chunk:
            break
        breaks += chunk.count(b"\n")
        read += len(chunk)
    return breaks + 1


def _too_long(name: str, line: int, limit: int) -> None:
    raise ImportFailed(f"{name}: line {line:,} is longer than {limit / MiB:,.0f} MiB (a file on one line, or not "
                       f"a table); it was not read")


# ---- Workbook sheets: extents counted from the XML, repeats added up

_XLSX_CELL = re.compile(rb"<(?:\w+:)?c\b[^>]*?\br=\"([A-Z]{1,4})([0-9]{1,9})\"")
_ODS_TOKEN = re.compile(rb"<table:table\b(?!-)|<table:table-row\b([^>]*?)(/?)>|</table:table-row>|"
                        rb"<table:(?:covered-)?table-cell\b([^>]*?)(/?)>")
_ROWS_REPEATED = re.compile(rb"table:number-rows-repeated=\"([0-9]{1,12})\"")
_COLUMNS_REPEATED = re.compile(rb"table:number-columns-repeated=\"([0-9]{1,12})\"")
_HAS_VALUE = re.compile(rb"office:value-type=")


def check_sheet_extents(name: str, archive: zipfile.ZipFile, kind: str, max_rows: int, max_columns: int) -> None:
    """Refuse a workbook whose sheets reach past `max_rows` rows or `max_columns` columns of content."""
    if kind == "xlsx":
        for member in sorted(n for n in archive.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")):
            rows, columns = _xlsx_extent(_tokens_source(archive, member))
            _refuse_extent(name, member.rsplit("/", 1)[-1].removesuffix(".xml"), rows, columns, max_rows, max_columns)
    elif kind == "ods" and "content.xml" in archive.namelist():
        stored = archive.getinfo("content.xml").file_size
        budget = max(REPEAT_FLOOR_CELLS, REPEAT_CELLS_PER_BYTE * stored)
        for index, (rows, columns, cells) in enumerate(_ods_extents(_tokens_source(archive, "content.xml")),
                                                       start=1):
            _refuse_extent(name, f"sheet {index}", rows, columns, max_rows, max_columns)
            if cells > budget:
                raise ImportFailed(f"{name}: sheet {index} repeats its rows and cells to {cells:,} values from "
                                   f"{stored:,} bytes of sheet description (more than {budget:,}); it is not a "
                                   f"normal workbook and was not opened")


def _refuse_extent(name: str, sheet: str, rows: int, columns: int, max_rows: int, max_columns: int) -> None:
    if rows > max_rows:
        raise ImportFailed(f"{name}: {sheet} reaches row {rows:,}, more than {max_rows:,} rows (counted from "
                           f"its repeat attributes and cell positions); it was not opened")
    if columns > max_columns:
        raise ImportFailed(f"{name}: {sheet} reaches column {columns:,}, more than {max_columns:,}; it is not a "
                           f"trace table and was not opened")


def _tokens_source(archive: zipfile.ZipFile, member: str) -> Iterator[bytes]:
    """The member's bytes in chunks; each chunk ends before the last '<', which starts the next one."""
    carry = b""
    try:
        with archive.open(member) as handle:
            while chunk := handle.read(CHUNK_BYTES):
                data = carry + chunk
                cut = data.rfind(b"<")
                if cut <= 0 or len(data) - cut > 64 * 1024:  # no tag start, or a tag over 64 KiB: not a sheet
                    cut = len(data)
                yield data[:cut]
                carry = data[cut:]
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError):
        raise ImportFailed(f"{archive.filename or 'the workbook'}: part {member} is damaged") from None
    if carry:
        yield carry


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + (letter - 64)
    return number


def _xlsx_extent(chunks: Iterator[bytes]) -> tuple[int, int]:
    rows = columns = 0
    for chunk in chunks:
        for match in _XLSX_CELL.finditer(chunk):
            columns = max(columns, _column_number(match.group(1)))
            rows = max(rows, int(match.group(2)))
    return rows, columns


def _repeat(pattern: re.Pattern[bytes], attributes: bytes | None) -> int:
    found = pattern.search(attributes or b"")
    return int(found.group(1)) if found else 1


def _ods_extents(chunks: Iterator[bytes]) -> Iterator[tuple[int, int, int]]:
    """(rows, columns, value cells) of content in each table: a repeated row counts only when it holds a
    value; value cells count every repeat."""
    row = used_rows = used_columns = column = cells = row_cells = 0
    row_repeat, row_has_value, started = 1, False, False
    for chunk in chunks:
        for match in _ODS_TOKEN.finditer(chunk):
            token = match.group(0)
            if token.startswith(b"<table:table") and not token.startswith((b"<table:table-row", b"<table:table-cell")):
                if started:
                    yield used_rows, used_columns, cells
                row = used_rows = used_columns = cells = 0
                started = True
            elif token.startswith(b"<table:table-row"):
                row_repeat, row_has_value, column = _repeat(_ROWS_REPEATED, match.group(1)), False, 0
                row_cells = 0
                if match.group(2):  # an empty self-closed row
                    row += row_repeat
            elif token == b"</table:table-row>":
                if row_has_value:
                    used_rows = row + row_repeat
                    cells += row_cells * row_repeat
                row += row_repeat
            else:
                attributes, closed = match.group(3), match.group(4)
                span = _repeat(_COLUMNS_REPEATED, attributes)
                column += span
                if _HAS_VALUE.search(attributes or b"") or not closed:
                    row_has_value = True
                    used_columns = max(used_columns, column)
                    row_cells += span
    if started:
        yield used_rows, used_columns, cells
