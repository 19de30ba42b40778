"""What an import hands to its caller: the valid rows, every problem, and the provenance to record.

Storage inserts the valid rows as tuples and never re-validates them, so the tuple layout is fixed here
(`OUTPUT_COLUMNS`) and derived from the one trace-row definition in `desktop.domain.trace`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from desktop.domain.trace import FIELD_NAMES, TRACE_FIELDS, Kind

# ---- Constants

EXTRAS_COLUMN = "extras"
DEFAULTED_COLUMN = "defaulted"
OUTPUT_COLUMNS: tuple[str, ...] = (*FIELD_NAMES, EXTRAS_COLUMN, DEFAULTED_COLUMN)

# A file where every cell is wrong would otherwise build millions of Problem objects; past this many the
# count is still exact (`problems_omitted`) but the objects are not kept.
MAX_PROBLEMS = 100_000

_KIND_DTYPES = {Kind.ROUTE: pl.String, Kind.TEXT: pl.String, Kind.NUMBER: pl.Float64, Kind.RATE: pl.Float64,
                Kind.BOOLEAN: pl.Boolean}


def output_schema() -> dict[str, pl.DataType]:
    """Column types of the valid-row frame, in tuple order."""
    schema: dict[str, Any] = {spec.name: _KIND_DTYPES[spec.kind] for spec in TRACE_FIELDS}
    schema[EXTRAS_COLUMN] = pl.String
    schema[DEFAULTED_COLUMN] = pl.String
    return schema


def empty_output() -> pl.DataFrame:
    return pl.DataFrame(schema=output_schema())


# ---- Public API

class ImportFailed(Exception):
    """The source cannot be imported at all; `str(error)` is the message to show the officer."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Problem:
    """One bad value, located the way the officer finds it in the file.

    Attributes:
        source: file name.
        row: the row a spreadsheet user sees (file line or sheet row); for JSON sources the benchmark or line
            index (1-based); 0 means the file as a whole (e.g. a field the tool never records).
        column: the header as written in the file (the key path for JSON), or the field name when the
            column is missing altogether.
        value: the value as written in the file (None when there is none).
        reason: what is wrong, in words the officer can act on.
    """

    source: str
    row: int
    column: str
    value: Any
    reason: str

    def __str__(self) -> str:
        text = "" if self.value is None else str(self.value)
        return f"{self.source}:{self.row}:{self.column}: {self.reason} (value {text!r})"

    def as_dict(self) -> dict[str, Any]:
        value = self.value if isinstance(self.value, (str, int, float, bool)) or self.value is None \
            else str(self.value)
        return {"source": self.source, "row": self.row, "column": self.column, "value": value,
                "reason": self.reason}


@dataclass
class ParsedSource:
    """A parsed and validated source, before anything is written.

    Attributes:
        source: file name as the officer knows it.
        path: where it was read from.
        format: the detected (or forced) format: csv, tsv, xlsx, ods, vllm, llmperf, sglang, genai-perf,
            aiperf, guidellm, inference-perf or requests.
        sha256: hex digest of the file's bytes; size: its length in bytes.
        rows_read: data rows read (requests for a request log, benchmarks for a result file).
        rows_rejected: rows with at least one problem (all rows when the header itself is wrong).
        problems: every problem found, sorted by row (at most MAX_PROBLEMS; see problems_omitted).
        dropped_columns: columns read but not kept (prompt/response text, unused request-log columns).
        mapping: header (or JSON key path) as written -> trace field or extra field name.
        notes: provenance remarks (unit conversions, computed percentiles, defaults).
        sheet: the sheet read, and sheet_names all sheets of the workbook (spreadsheets only).
        header_row: the row holding the header (tabular sources only).
        warnings: plausibility warnings on valid rows; row = the row's place among the valid rows (at most
            plausibility.MAX_WARNINGS; warnings_omitted counts the others, warning_count all of them).
        valid: the valid rows, columns OUTPUT_COLUMNS typed as output_schema() says, except that a CSV read
            in pieces (desktop/importers/pieces.py) keeps route, provider, model and workload as categoricals.
    """

    source: str
    path: Path
    format: str
    sha256: str
    size: int
    rows_read: int
    rows_rejected: int
    problems: list[Problem]
    dropped_columns: list[str]
    mapping: dict[str, str]
    notes: list[str]
    valid: pl.DataFrame = field(repr=False)
    sheet: str | None = None
    sheet_names: list[str] = field(default_factory=list)
    header_row: int | None = None
    problems_omitted: int = 0
    # Implausible values in valid rows (p50 above p95, a unit slip): shown, never a reason to refuse.
    warnings: list[Problem] = field(default_factory=list)
    warnings_omitted: int = 0

    @property
    def rows_valid(self) -> int:
        return self.valid.height

    def release_rows(self) -> None:
        """Drop the valid rows once they are stored, keeping their count (a column of nulls holds no memory);
        the counts, problems and warnings stay."""
        import polars as pl

        self.valid = self.valid.select(pl.repeat(None, self.valid.height, dtype=pl.Null).alias("released"))

    @property
    def warning_count(self) -> int:
        return len(self.warnings) + self.warnings_omitted

    @property
    def ok(self) -> bool:
        """No problem at all: importing needs no 'valid rows only' choice."""
        return not self.problems and not self.problems_omitted

    def rows(self, batch_size: int = 65_536) -> Iterator[tuple[Any, ...]]:
        """Valid rows as tuples in OUTPUT_COLUMNS order, built a batch at a time to bound memory."""
        for batch in self.valid.iter_slices(batch_size):
            yield from batch.iter_rows()

    def preview(self, limit: int = 20) -> list[dict[str, Any]]:
        """The first valid rows as {field: value, extra: value}, like TraceRow.as_dict()."""
        result = []
        for row in self.valid.head(limit).iter_rows(named=True):
            extras = json.loads(row.pop(EXTRAS_COLUMN) or "{}")
            row.pop(DEFAULTED_COLUMN)
            result.append({**row, **extras})
        return result

    def problem_lines(self) -> list[str]:
        """`SOURCE:ROW:COLUMN: reason (value 'x')`, one per problem, as the CLI prints them."""
        lines = [str(p) for p in self.problems]
        if self.problems_omitted:
            lines.append(f"{self.source}: {self.problems_omitted} more problems not listed")
        return lines


def cap_problems(problems: list[Problem]) -> tuple[list[Problem], int]:
    """Sort problems the way the officer reads the file and keep at most MAX_PROBLEMS of them."""
    problems.sort(key=lambda p: p.row)
    if len(problems) <= MAX_PROBLEMS:
        return problems, 0
    return problems[:MAX_PROBLEMS], len(problems) - MAX_PROBLEMS
