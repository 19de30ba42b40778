"""What kind of source a file is, from its content: a trace-kit table, a request log, or a benchmark result.

The file name only hints at the delimiter (.tsv); a renamed file imports the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from desktop.importers.benchmarks import detect as detect_benchmark
from desktop.importers.benchmarks.keys import flatten
from desktop.importers.headers import trace_vocabulary
from desktop.importers.request_columns import count_request_columns
from desktop.importers.tabular import MIN_HEADER_FIELDS

# ---- Constants

MIN_REQUEST_COLUMNS = 3
_PERCENTILE_FIELDS = {"latencyP50Ms", "latencyP95Ms"}
_VOCABULARY = trace_vocabulary()


# ---- Public API

def trace_names(row: list[Any]) -> set[str]:
    """The trace-kit fields (not extras) a row of cells names."""
    from desktop.domain.trace import FIELDS_BY_NAME
    names = {_VOCABULARY.match(str(c)).name for c in row if isinstance(c, str) and c.strip()}
    return names & set(FIELDS_BY_NAME)


def classify_header(row: list[Any], forced: str | None = None) -> str | None:
    """'trace', 'requests' or None for one candidate header row.

    A row with a per-request latency column and no p50/p95 column is a request log; otherwise four
    trace-kit fields make a trace table.
    """
    names = trace_names(row)
    count, per_request_latency = count_request_columns(row)
    if forced == "requests":
        return "requests" if count >= MIN_REQUEST_COLUMNS else None
    if forced in ("csv", "tsv", "xlsx", "ods"):
        return "trace" if len(names) >= MIN_HEADER_FIELDS else None
    if per_request_latency and not names & _PERCENTILE_FIELDS and count >= MIN_REQUEST_COLUMNS:
        return "requests"
    return "trace" if len(names) >= MIN_HEADER_FIELDS else None


def classifier(forced: str | None) -> Callable[[list[Any]], str | None]:
    return lambda row: classify_header(row, forced)


def json_kind(document: Any) -> str | None:
    """A benchmark format name, 'requests' for per-request records, or None."""
    fmt = detect_benchmark(document)
    if fmt:
        return fmt
    sample = document[0] if isinstance(document, list) and document else document
    if isinstance(sample, dict):
        keys = [found.path.rsplit(".", 1)[-1] for found in flatten(sample).values()]
        count, latency = count_request_columns(keys)
        if count >= MIN_REQUEST_COLUMNS and latency:
            return "requests"
    return None
