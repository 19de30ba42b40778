"""Read-only questions the screens ask of a workbook store: per-route utilization aggregates over the
visible trace rows, the kept copy of an import's source file, and whether the store changed or closed.

The SQL the GUI needs lives here (no SQL outside desktop/storage/); `desktop.services.traces` is the way in.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from desktop.storage.workbook_file import VISIBLE, WorkbookStore, lenient_text

_HEADROOM = '"outputTokensPerSecond" * "concurrency" * "acceptedOutputRate"'


@dataclass(frozen=True)
class RouteUtilization:
    """What the visible trace rows of one route say about its utilization."""

    route: str
    rows: int
    measured_rows: int  # rows with outputTokensPerSecond and acceptedOutputRate
    best_accepted_tps: float | None
    best_concurrency: float | None
    best_model: str | None
    best_workload: str | None
    concurrency_min: float | None
    concurrency_max: float | None
    measured_concurrency_mean: float | None
    measured_concurrency_rows: int


def route_utilization(store: WorkbookStore) -> list[RouteUtilization]:
    """Per route, from the visible trace rows (two aggregate queries): the highest accepted output tokens
    per second (outputTokensPerSecond x concurrency x acceptedOutputRate) with where it was measured, and
    the concurrency the rows cover."""
    with lenient_text(store.conn):
        return _route_utilization(store)


def _route_utilization(store: WorkbookStore) -> list[RouteUtilization]:
    totals = store.conn.execute(
        f'SELECT route, count(*), count({_HEADROOM}), min(concurrency), max(concurrency), '
        f"avg(json_extract(extras, '$.concurrencyMeasured')), "
        f"count(json_extract(extras, '$.concurrencyMeasured')) "
        f"FROM traces WHERE {VISIBLE} GROUP BY route ORDER BY route").fetchall()
    # SQLite takes the bare columns from the row holding the max() when the query has one aggregate.
    best = {r[0]: r[1:] for r in store.conn.execute(
        f'SELECT route, max({_HEADROOM}), concurrency, model, workload FROM traces '
        f'WHERE {VISIBLE} AND {_HEADROOM} IS NOT NULL GROUP BY route')}
    result = []
    for route, rows, measured, c_min, c_max, m_mean, m_rows in totals:
        top = best.get(route, (None, None, None, None))
        result.append(RouteUtilization(route, rows, measured, top[0], top[1], top[2], top[3], c_min, c_max,
                                       m_mean, m_rows))
    return result


def original_file(store: WorkbookStore, import_id: int) -> bytes | None:
    """The copy of an import's source file kept in the workbook (None when none was kept)."""
    row = store.conn.execute("SELECT blob_sha256 FROM imports WHERE id = ?", (import_id,)).fetchone()
    return store.get_blob(row[0]) if row and row[0] else None


def change_marker(store: WorkbookStore) -> tuple[int, int, int]:
    """A value that changes whenever the store's data may have: a write through this connection moves
    `total_changes`, a commit by another connection moves `PRAGMA data_version`."""
    return (id(store.conn), *store.change_state())


def is_closed(store: WorkbookStore) -> bool:
    """Whether the store's connection was closed (e.g. its document closed while work was pending)."""
    try:
        store.conn.total_changes  # noqa: B018 - raises once the connection is closed
    except sqlite3.Error:
        return True
    return False
