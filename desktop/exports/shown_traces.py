"""The trace rows as the Traces sheets show them: every stored value exactly, so `ipw verify` can hash the
sheets back to the content's trace hash.

The economics read the rows with anything but a finite number as null (`read_trace_frame`); the sheets must
show what is stored. When the economics' frame hashes to the content's trace hash it holds exactly what is
stored (the hash covers every value), so it is shown and no second million-row copy is read. Otherwise (a
file whose cells hold values of another type than their column's, written by another tool) the rows are read
one by one, odd columns kept as Python objects.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from desktop.domain.trace import FIELD_NAMES, FIELDS_BY_NAME, Kind
from desktop.storage.workbook_file import WorkbookStore

_TYPED = {Kind.TEXT: "String", Kind.ROUTE: "String", Kind.BOOLEAN: "Boolean"}
_KEYS = frozenset(("id", "importId", *FIELD_NAMES))


def shown_trace_frame(store: WorkbookStore, decision: Any) -> Any:
    """Visible rows in id order with their stored values: id, importId, the sixteen fields, extras (JSON).
    `decision` is `desktop.exports.content.Decision` built from the same store."""
    from desktop.storage.trace_hash import frame_content_hash

    frame = decision.frame
    if frame_content_hash(frame) == (decision.content.get("traces") or {}).get("contentSha256"):
        return frame
    return rows_frame(list(store.iter_traces()))


def _series(name: str, values: list[Any], dtype: Any) -> Any:
    import polars as pl

    try:
        return pl.Series(name, values, dtype=dtype, strict=True)
    except (TypeError, ValueError, OverflowError, pl.exceptions.PolarsError):
        return pl.Series(name, values, dtype=pl.Object)


def rows_frame(rows: Sequence[Mapping[str, Any]]) -> Any:
    """The frame of trace rows as `WorkbookStore.iter_traces` gives them, a column of mixed values as objects."""
    import polars as pl

    columns = [_series("id", [r.get("id") for r in rows], pl.Int64),
               _series("importId", [r.get("importId") for r in rows], pl.Int64)]
    for name in FIELD_NAMES:
        dtype = getattr(pl, _TYPED.get(FIELDS_BY_NAME[name].kind, "Float64"))
        columns.append(_series(name, [r.get(name) for r in rows], dtype))
    extras = []
    for row in rows:
        extra = {k: v for k, v in row.items() if k not in _KEYS} if not _KEYS.issuperset(row) else None
        extras.append(json.dumps(extra, ensure_ascii=False) if extra else None)
    columns.append(pl.Series("extras", extras, dtype=pl.String))
    return pl.DataFrame(columns)
