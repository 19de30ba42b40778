"""Reading delimited text (CSV, TSV, request logs): encoding, delimiter, header row, cells as text.

Encodings are decided, never guessed silently: UTF-8 (with or without BOM), UTF-16 with a BOM (Excel's
"Unicode Text"), or Windows-1252 with a note. The delimiter and the header row are found together: the
first row, under some delimiter, that names enough known columns. polars parses the rest; a ragged file
(rows longer than the header) falls back to the csv module so every such row is reported, not cut.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from desktop.importers.amplification import check_columns
from desktop.importers.preflight import SourceFile
from desktop.domain.progress import FractionTicker
from desktop.importers.result import ImportFailed
from desktop.importers.tabular import ROW, RawTable

# ---- Constants

DELIMITERS = (",", ";", "\t", "|")
SAMPLE_BYTES = 1024 * 1024
HEADER_SEARCH_ROWS = 50
FIELD_LIMIT = 1024 * 1024  # the csv module's default 128 KiB would fail on long prompt cells
MAX_RAGGED_COLUMNS = 1_000  # Limits.max_columns: a row far wider than its header is refused, not kept


@dataclass(frozen=True)
class HeaderGuess:
    kind: str            # what the classifier said the header is (e.g. 'trace' or 'requests')
    delimiter: str
    cells: list[str]
    line: int            # 1-based line number where the header row ends


@dataclass
class TextInput:
    """What polars reads (the path, or UTF-8 bytes after a conversion), a decoded sample and the line count.

    The line count is asked for only after parsing, so a large file's count (from the hashing thread) is
    ready by then.
    """

    source: Path | bytes
    sample: str
    count_lines: Callable[[], int]
    notes: list[str]

    @property
    def lines(self) -> int:
        return self.count_lines()


# ---- Public API

def decode_text(source: SourceFile) -> TextInput:
    """UTF-8 files are read from disk as they are; UTF-16 and Windows-1252 files are converted, with a note."""
    head = source.head
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = source.data.decode("utf-16")
        except UnicodeDecodeError:
            raise ImportFailed(f"{source.name} starts like UTF-16 text but is not; save it as CSV UTF-8") from None
        return _converted(text, ["decoded from UTF-16"])
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    try:
        sample = head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # not just a character cut at the end of the sample
            return transcode(source)
        sample = head[:error.start].decode("utf-8")
    target: Path | bytes = source.path
    if source.in_memory:
        target = source.data[3:] if source.data.startswith(b"\xef\xbb\xbf") else source.data
    return TextInput(source=target, sample=sample, count_lines=lambda: source.lines, notes=[])


def transcode(source: SourceFile) -> TextInput:
    """A file that is not UTF-8: Windows-1252 (Excel's 'CSV' on Western systems), never a silent replace."""
    try:
        text = source.data.decode("cp1252")
    except UnicodeDecodeError:
        raise ImportFailed(f"{source.name} is neither UTF-8 nor Windows-1252 text; save it as CSV UTF-8") \
            from None
    return _converted(text, ["not UTF-8: read as Windows-1252 (Western European)"])


def find_header(sample: str, classify: Callable[[list[str]], str | None], hint: str | None,
                source_name: str) -> HeaderGuess:
    """The first row, under the delimiter that finds one earliest, that `classify` recognises."""
    candidates = ((hint,) if hint else ()) + tuple(d for d in DELIMITERS if d != hint)
    best: tuple[int, int, HeaderGuess] | None = None
    for delimiter in candidates:
        found = _scan(sample, delimiter, classify)
        if found is None:
            continue
        index, guess = found
        key = (index, -len([c for c in guess.cells if c.strip()]))
        if best is None or key < best[:2]:
            best = (*key, guess)
    if best is None:
        raise ImportFailed(f"{source_name}: no header row found (no row among the first {HEADER_SEARCH_ROWS} "
                           f"names at least four trace-kit columns such as route, provider, model, "
                           f"inputTokens). Download the CSV template to see the expected columns")
    return best[2]


def read_table(text: TextInput, guess: HeaderGuess, ticker: FractionTicker) -> RawTable:
    """All cells as text; a ragged file falls back to the csv module (raises NotUtf8 to ask for a conversion)."""
    width = len(guess.cells)
    schema = {f"c{i}": pl.String for i in range(width)}
    broken: dict[int, tuple[str, str, str]] = {}
    try:
        frame = pl.read_csv(text.source, has_header=False, skip_lines=guess.line, separator=guess.delimiter,
                            schema=schema, quote_char='"', raise_if_empty=False, encoding="utf8")
        frame = frame.with_columns(_row_numbers(frame, text.lines, guess.line))
    except pl.exceptions.PolarsError as error:
        if "utf-8" in str(error).casefold():
            raise NotUtf8() from None
        frame, broken = _read_with_csv_module(text, guess, width)
    ticker(1.0)
    table = empty_table(text, guess)
    table.frame, table.broken_rows = frame, broken
    return table


def empty_table(text: TextInput, guess: HeaderGuess) -> RawTable:
    """The table's header, labels and notes, with no rows yet (columns c0..cN as text, and ROW)."""
    schema: dict[str, pl.DataType] = {f"c{i}": pl.String for i in range(len(guess.cells))}
    labels = [cell.strip() or f"column {i + 1}" for i, cell in enumerate(guess.cells)]
    return RawTable(frame=pl.DataFrame(schema={**schema, ROW: pl.Int64}), headers=list(guess.cells),
                    labels=labels, header_row=guess.line, delimiter=guess.delimiter, notes=list(text.notes))


class NotUtf8(Exception):
    """polars met bytes that are not UTF-8: the caller converts the file and reads again."""


# ---- Private API

def _converted(text: str, notes: list[str]) -> TextInput:
    text = text.lstrip("\ufeff")
    lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    return TextInput(source=text.encode("utf-8"), sample=text[:SAMPLE_BYTES], count_lines=lambda: lines,
                     notes=notes)


def _scan(sample: str, delimiter: str, classify: Callable[[list[str]], str | None]):
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    try:
        for index, row in enumerate(reader):
            if index >= HEADER_SEARCH_ROWS:
                return None
            kind = classify(row) if len(row) > 1 else None
            if kind:
                return index, HeaderGuess(kind=kind, delimiter=delimiter, cells=row, line=reader.line_num)
    except csv.Error:
        return None
    return None


def _row_numbers(frame: pl.DataFrame, lines: int, header_line: int) -> pl.Expr:
    """File line of each row; rows holding quoted line breaks push the following rows down."""
    index = pl.int_range(pl.len(), dtype=pl.Int64)
    if lines == header_line + frame.height or frame.width == 0:
        return (index + header_line + 1).alias(ROW)
    breaks = pl.sum_horizontal([pl.col(c).str.count_matches("\n").fill_null(0) for c in frame.columns])
    before = breaks.cum_sum() - breaks
    return (index + header_line + 1 + before).cast(pl.Int64).alias(ROW)


def _read_with_csv_module(source: TextInput, guess: HeaderGuess,
                          width: int) -> tuple[pl.DataFrame, dict[int, tuple[str, str, str]]]:
    """Slow path for ragged files: every over-long row becomes a problem instead of being cut."""
    raw = source.source if isinstance(source.source, bytes) else source.source.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotUtf8() from None
    previous = csv.field_size_limit(FIELD_LIMIT)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=guess.delimiter)
        columns: list[list[str | None]] = [[] for _ in range(width)]
        rows: list[int] = []
        broken: dict[int, tuple[str, str, str]] = {}
        last_line = 0
        try:
            for row in reader:
                start, last_line = last_line + 1, reader.line_num
                if start <= guess.line:
                    continue
                if len(row) > MAX_RAGGED_COLUMNS:
                    check_columns(guess_name(source), len(row), MAX_RAGGED_COLUMNS, f"line {start:,}")
                if len(row) > width and any(cell.strip() for cell in row[width:]):
                    broken[start] = (f"column {width + 1}", row[width],
                                     f"the row has {len(row)} cells but the header has {width}")
                rows.append(start)
                for i in range(width):
                    columns[i].append(row[i] if i < len(row) else None)
        except csv.Error as error:
            raise ImportFailed(f"line {reader.line_num}: {error} (an unclosed quote?)") from None
    finally:
        csv.field_size_limit(previous)
    data = {f"c{i}": pl.Series(values, dtype=pl.String) for i, values in enumerate(columns)}
    return pl.DataFrame({**data, ROW: pl.Series(rows, dtype=pl.Int64)}), broken


def guess_name(source: TextInput) -> str:
    return source.source.name if isinstance(source.source, Path) else "the file"
