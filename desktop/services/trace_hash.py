"""The trace hash record of a working copy, computed in the background and stored only if still current.

The GUI's own connection must not read a million rows on the GUI thread; a worker hashes the copy over a
read connection of its own (`refresh_working_copy_hash`), and the GUI thread stores the result (`keep_traces_hash`)
only when nothing has written to the copy since the worker started, so Save finds the record current instead
of hashing every row first (desktop.storage.working_copy.WorkingCopy.save_to).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.domain.progress import Cancelled, check_cancelled
from desktop.storage.trace_hash import RECORD_KEY, compute_traces_hash, stored_traces_hash
from desktop.storage.trace_queries import change_marker
from desktop.storage.workbook_file import WorkbookStore, connect_for_reading


@dataclass(frozen=True)
class TracesHash:
    sha256: str
    count: int
    highest_id: int


def refresh_working_copy_hash(database: Path, control: Any) -> TracesHash | None:
    """Hash the visible rows of the working copy `database` over a read connection of its own (worker thread),
    or None when the copy's record is current already (told here too: that takes a count of the rows, 0.12 s at
    a million, which the GUI thread must not do). Raises Cancelled when the copy is gone or `control` asks to
    stop."""
    if not Path(database).exists():
        raise Cancelled("the document was closed")
    conn = connect_for_reading(Path(database))
    try:
        store = WorkbookStore(conn, Path(database), writable=False)
        if stored_traces_hash(store) is not None:
            return None
        sha, count = compute_traces_hash(store)
        check_cancelled(control)
        return TracesHash(sha, count, store.visible_shape()[1])
    finally:
        conn.close()


def keep_traces_hash(store: WorkbookStore, result: TracesHash, marker: Any) -> bool:
    """Store `result` when the copy is as it was when the worker started (`marker`, from `change_marker`, taken
    before it read); False when it came too late (nothing written). The rows are then those the worker hashed,
    so their count and highest id come with the result instead of a count on the GUI thread."""
    if store.conn.in_transaction or change_marker(store) != marker:
        return False
    with store.transaction():
        store.set_meta(RECORD_KEY, json.dumps({"sha256": result.sha256, "count": result.count,
                                               "maxId": result.highest_id}))
        store.note_visible_shape(result.count, result.highest_id)
        store.note_rows_hash(result.sha256, result.count)
    return True
