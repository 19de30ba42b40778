"""Trace rows <-> the trace frame, until `desktop.storage.trace_frame` (read column-wise from SQLite) lands.

The frame's form is that module's: "id", "importId" (Int64), the sixteen fields in FIELD_NAMES order
(text String, batchEligible Boolean, numbers Float64; a column holding values of mixed types, which only a
hostile file has, keeps them as Python objects), "extras" (the row's extras as JSON text, or null).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from desktop.domain.trace import FIELD_NAMES, FIELDS_BY_NAME, Kind

_TYPED = {Kind.TEXT: "String", Kind.ROUTE: "String", Kind.BOOLEAN: "Boolean"}
_KEYS = frozenset(("id", "importId", *FIELD_NAMES))


def _series(name: str, values: list[Any], dtype: Any) -> Any:
    import polars as pl

    try:
        return pl.Series(name, values, dtype=dtype, strict=True)
    except (TypeError, ValueError, pl.exceptions.PolarsError):
        return pl.Series(name, values, dtype=pl.Object)


def rows_frame(rows: Sequence[Mapping[str, Any]]) -> Any:
    """The frame of trace rows as `WorkbookStore.iter_traces` gives them."""
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


def frame_rows(frame: Any) -> Iterator[dict[str, Any]]:
    """The frame's rows as `WorkbookStore.iter_traces` gives them."""
    names = ["id", "importId", *FIELD_NAMES]
    columns = [frame[name].to_list() for name in names]
    for values, extras in zip(zip(*columns), frame["extras"].to_list()):
        row = dict(zip(names, values))
        if extras:
            row.update(json.loads(extras))
        yield row
