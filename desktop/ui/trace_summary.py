"""How many trace rows the open document shows and what they say per route (throughput, concurrency), counted
in the background: a COUNT and two aggregates over a million rows take seconds, which the GUI thread never
spends (the window paints first; the navigation, the Overview and the Utilization proof facts fill in).

One `TraceSummaryState` per document (`trace_summary_state(document)`), recounted over the worker's own
connection when the document says its traces changed ("traces" or "all"); a newer change cancels the
running count and only the latest lands (ui/tasks.py TaskRunner). SQLite lets go of the GIL while it scans,
so this task does not slow the economics worker.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.domain.progress import check_cancelled
from desktop.services.traces import RouteUtilization, route_utilization
from desktop.ui.document import Document, companion
from desktop.ui.economics_state import LOCK_RETRIES, is_momentary_lock
from desktop.ui.tasks import TaskRunner, single_shot

TRACE_PARTS = frozenset({"all", "traces"})
COUNTING_TEXT = "counting\u2026"
RETRY_MS = 250


@dataclass(frozen=True)
class TraceSummary:
    """The visible trace rows: how many, and per route what `route_utilization` reports."""

    count: int
    routes: tuple[RouteUtilization, ...]


def summarise_traces(database: Path, control: Any) -> TraceSummary:
    """Count and aggregate the visible rows of the working copy `database` (runs on a worker thread)."""
    from desktop.storage.trace_store import open_worker_connection

    check_cancelled(control)
    store = open_worker_connection(database)
    try:
        count = store.trace_count()
        check_cancelled(control)
        routes = tuple(route_utilization(store)) if count else ()
    finally:
        store.close()
    return TraceSummary(count, routes)


class TraceSummaryState(QObject):
    """The latest trace summary of one document.

    Signals:
        updated(object): a TraceSummary for the document's traces as they are now.
    """

    updated = Signal(object)

    def __init__(self, document: Document) -> None:
        super().__init__(document)
        self.document = document
        self._generation = 0
        self._task_generation = -1
        self._latest: tuple[int, TraceSummary] | None = None
        self._failed_generation = -1
        self._lock_retries = 0
        self._runner = TaskRunner(self, on_done=self._on_done, on_failed=self._on_failed,
                                  on_finished=self._on_finished)
        # after the current event (the window's construction) has finished
        self._soon = single_shot(self, 0, self._start)
        document.changed.connect(self._on_changed)
        self._soon.start()

    def current(self) -> TraceSummary | None:
        """The summary of the traces as they are now, or None while they are counted."""
        return self._latest[1] if self._latest is not None and self._latest[0] == self._generation else None

    def latest(self) -> TraceSummary | None:
        """The newest summary landed (what a view shows while the traces are counted again)."""
        return self._latest[1] if self._latest is not None else None

    @property
    def busy(self) -> bool:
        return self.current() is None

    def _on_changed(self, part: str) -> None:
        if part in TRACE_PARTS:
            self._generation += 1
            self._runner.cancel()
            self._soon.start()

    def _start(self) -> None:
        if self._runner.busy and self._task_generation == self._generation:
            return
        try:
            database = self.document.copy.database
            self.document.store.conn.total_changes  # noqa: B018 - raises once the document is closed
        except sqlite3.Error:
            return
        if not Path(database).exists():
            return
        self._task_generation = self._generation
        self._runner.start(summarise_traces, database)

    def _on_done(self, summary: TraceSummary) -> None:
        self._lock_retries = 0
        self._latest = (self._task_generation, summary)
        if self._task_generation == self._generation:
            self.updated.emit(summary)

    def _on_failed(self, message: str) -> None:
        if is_momentary_lock(message) and self._lock_retries < LOCK_RETRIES:
            self._lock_retries += 1
            self._failed_generation = self._task_generation  # `_on_finished` waits; tried again shortly
            QTimer.singleShot(RETRY_MS, self._retry)
            return
        self._failed_generation = self._task_generation  # not retried until the traces change again

    def _retry(self) -> None:
        if self._failed_generation == self._generation:
            self._failed_generation = -1
            self._start()

    def _on_finished(self) -> None:
        if (not self._runner.busy and self.current() is None and not self._soon.isActive()
                and self._failed_generation != self._generation):
            self._soon.start()  # the traces changed while they were counted (or the count was cancelled)


def trace_summary_state(document: Document) -> TraceSummaryState:
    """The document's one TraceSummaryState (made on first use)."""
    return companion(document, TraceSummaryState)
