"""`MetricsReport.traces` over a metrics frame: a read-only sequence that builds a `TraceMetrics` (and its row
dict) only for the rows it is asked for, so a million-row report costs columns, not a million objects.

Old callers index it, slice it, take its length and iterate it as they did the tuple it replaces; code that
needs every row reads the frame's columns instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, overload

import polars as pl

from desktop.domain.trace import FIELD_NAMES
from desktop.economics.metrics import TraceMetrics

ROW_COLUMNS = ("id", "importId", *FIELD_NAMES)  # a row dict's own keys, in `iter_traces` order; extras follow
_METRICS = ("costPerAcceptedOutput", "costPerAcceptedOutputReason", "costBasis", "cacheAdjustedInputBurden",
            "throughputHeadroom")
BATCH_ROWS = 20_000  # rows turned into Python objects at a time while iterating


class TraceView(Sequence[TraceMetrics]):
    """The report's per-row metrics, built on access from `frame` (and from `rows` when given)."""

    __slots__ = ("frame", "rows", "_row_columns")

    def __init__(self, frame: pl.DataFrame, rows: Sequence[Mapping[str, Any]] | None = None) -> None:
        self.frame = frame
        self.rows = rows
        self._row_columns = [c for c in ROW_COLUMNS if c in frame.columns] + (
            ["extras"] if "extras" in frame.columns else [])

    def __len__(self) -> int:
        return self.frame.height

    @overload
    def __getitem__(self, index: int) -> TraceMetrics: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[TraceMetrics, ...]: ...

    def __getitem__(self, index: int | slice) -> TraceMetrics | tuple[TraceMetrics, ...]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return tuple(self[i] for i in range(start, stop, step))
            return tuple(self._build(start, max(0, stop - start)))
        length = len(self)
        if index < 0:
            index += length
        if not 0 <= index < length:
            raise IndexError("trace index out of range")
        return next(self._build(index, 1))

    def __iter__(self) -> Iterator[TraceMetrics]:
        for start in range(0, len(self), BATCH_ROWS):
            yield from self._build(start, BATCH_ROWS)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TraceView) and other.frame is self.frame and other.rows is self.rows:
            return True
        return isinstance(other, Sequence) and len(other) == len(self) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"TraceView({len(self)} rows)"

    def _build(self, start: int, length: int) -> Iterator[TraceMetrics]:
        part = self.frame.slice(start, length)
        metrics = zip(*(part[name].to_list() for name in _METRICS))
        if self.rows is not None:
            for offset, values in enumerate(metrics):
                row = self.rows[start + offset]
                yield TraceMetrics(row.get("id"), row, *values)
            return
        for row, values in zip(row_dicts(part.select(self._row_columns)), metrics):
            yield TraceMetrics(row.get("id"), row, *values)


def row_dicts(frame: pl.DataFrame) -> Iterator[dict[str, Any]]:
    """Row dicts as `WorkbookStore.iter_traces` gives them: the row's own columns, then its extras by name."""
    names = [c for c in frame.columns if c != "extras"]
    has_extras = "extras" in frame.columns
    if has_extras:
        frame = frame.select(*names, "extras")
    for values in frame.iter_rows():
        if has_extras:
            row = dict(zip(names, values[:-1]))
            if values[-1]:
                row.update(json.loads(values[-1]))
        else:
            row = dict(zip(names, values))
        yield row


class LatencyPairs(Sequence[tuple[float, float]]):
    """One group's (concurrency, p95 ms) pairs in sorted order, as tuples built on access from two arrays that
    `source.arrays(group)` gives the first time they are needed."""

    __slots__ = ("_source", "_group", "_arrays")

    def __init__(self, source: Any, group: int) -> None:
        self._source, self._group = source, group
        self._arrays: tuple[Any, Any] | None = None

    def arrays(self) -> tuple[Any, Any]:
        """(concurrency, p95 ms) as two numpy arrays, sorted by concurrency then p95."""
        return self._pair_arrays()

    def _pair_arrays(self) -> tuple[Any, Any]:
        if self._arrays is None:
            self._arrays = self._source.arrays(self._group)
            self._source = None
        return self._arrays

    def __len__(self) -> int:
        return len(self._pair_arrays()[1])

    def __getitem__(self, index: Any) -> Any:
        concurrency, p95 = self._pair_arrays()
        if isinstance(index, slice):
            return tuple(zip(concurrency[index].tolist(), p95[index].tolist()))
        return (float(concurrency[index]), float(p95[index]))

    def __iter__(self) -> Iterator[tuple[float, float]]:
        concurrency, p95 = self._pair_arrays()
        return zip(concurrency.tolist(), p95.tolist())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and len(other) == len(self) and all(a == b for a, b in zip(self, other))

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"LatencyPairs({len(self)} pairs)"
