"""Keeps the working copy's trace hash record current in the background, so that saving a big workbook after an
import or a cell edit does not hash every row on the GUI thread first (a million rows: about 2.5 s).

After the traces change (and once the shared economics of the new state have landed, so the two never compete
for the two cores the figures need), one background task hashes the copy over its own read connection
(desktop.services.trace_hash); the GUI thread stores the record only if nothing wrote to the copy meanwhile,
and otherwise tries again after the next pause. Save still computes the record itself when it is missing.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject

from desktop.services.trace_hash import TracesHash, keep_traces_hash, refresh_working_copy_hash
from desktop.services.traces import change_marker, is_closed
from desktop.ui.document import Document, companion
from desktop.ui.economics_state import economics_state, is_momentary_lock
from desktop.ui.tasks import TaskRunner, single_shot

PAUSE_MS = 1_000  # after the last trace change: a run of edits is hashed once
TRACE_PARTS = frozenset({"all", "traces"})


class TraceHashKeeper(QObject):
    def __init__(self, document: Document) -> None:
        super().__init__(document)
        self.document = document
        self.computations = 0  # for tests: how many hashes ran
        self._marker: Any = None
        self._current_at: Any = None  # the change marker at which the copy's record was found current
        self._runner = TaskRunner(self, on_done=self._on_done, on_failed=self._on_failed)
        self._pause = single_shot(self, PAUSE_MS, self._start)
        economics = economics_state(document)
        economics.updated.connect(self._on_economics_landed)
        economics.failed.connect(self._on_economics_landed)
        document.changed.connect(self._on_changed)
        self._pause.start()

    @property
    def busy(self) -> bool:
        return self._runner.busy or self._pause.isActive()

    def _on_changed(self, part: str) -> None:
        if part in TRACE_PARTS:
            self._runner.cancel()
            self._pause.start()

    def _on_economics_landed(self, _outcome: Any) -> None:
        if not self._pause.isActive() and not self._runner.busy:
            self._start()

    def _start(self) -> None:
        store = self.document.store
        if is_closed(store) or self._runner.busy or not store.writable:
            return
        if economics_state(self.document).busy:
            return  # the figures first: `_on_economics_landed` starts it
        marker = change_marker(store)
        if marker == self._current_at:
            return  # nothing written since the record was found current
        self._marker = marker
        self._runner.start(refresh_working_copy_hash, self.document.copy.database)

    def _on_done(self, result: TracesHash | None) -> None:
        store = self.document.store
        if is_closed(store):
            return
        if result is None:  # the record was current
            self._current_at = self._marker
            return
        self.computations += 1
        if keep_traces_hash(store, result, self._marker):
            self._current_at = change_marker(store)
        else:
            self._pause.start()  # something wrote meanwhile: after the next pause

    def _on_failed(self, message: str) -> None:
        if is_momentary_lock(message):
            self._pause.start()
        # any other failure: Save computes the record itself (and says what is wrong, if anything is)


def trace_hash_keeper(document: Document) -> TraceHashKeeper:
    """The document's one keeper (made on first use)."""
    return companion(document, TraceHashKeeper)
