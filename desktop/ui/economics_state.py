"""The economics of the open document, computed once per workbook state in the background and shared by every
view: the Overview's cards, the gate facts, the Economics page, the calculators and the plan.

One `EconomicsState` per document (`economics_state(document)`). Its result is cached in memory by what the
economics depend on (`content_key`): the traces (a generation counter moved by the document's "traces"
signal, which every trace edit and import sends), the saved scenarios, the override and the catalog entries as
stored (small tables, read again after their change signals), and the decision parts the computation reads
(buyer context, gates, readiness scores). Switching pages or reopening the Economics page
finds the result for the current key and does no work; an undo back to an earlier state finds that state's
result among the last few kept.

A change that moves the key starts a short debounce, then one background task (`compute_economics_facts`,
over the worker's own connection to the working copy); a newer change cancels the running task and only the
latest result lands (ui/tasks.py TaskRunner). Nothing here computes on the GUI thread.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop.domain.playbook import Playbook
from desktop.domain.progress import check_cancelled
from desktop.domain.workbook import Workbook
from desktop.services.economics import Economics, run_economics
from desktop.storage import economics_store
from desktop.ui.document import Document, companion
from desktop.ui.tasks import TaskRunner, single_shot

DEBOUNCE_MS = 80  # a burst of edits (typing, undo held down) starts one computation
KEPT_RESULTS = 4  # the states an undo or redo most likely returns to
COMPUTING_TEXT = "computing\u2026"
TRACE_PARTS = frozenset({"all", "traces"})
INPUT_PARTS = frozenset({"all", "scenarios", "recommendation", "catalog"})  # small tables: read for the key
DECISION_PARTS = frozenset({"context", "scores"})  # plus "gate:<slug>"
LOCKED_TEXT = "database is locked"  # another connection writes (or switches the journal) just then
LOCK_RETRIES = 20  # a background read that met a momentary lock is tried again, this many times at most


@dataclass(frozen=True, eq=False)
class EconomicsFacts:
    """One computation's outcome: the economics and the key figures (label, value) the views show."""

    economics: Economics
    key_figures: tuple[tuple[str, str], ...]


def snapshot(workbook: Workbook) -> Workbook:
    """The workbook as it is now, for the worker: later edits on the GUI thread do not reach it."""
    return Workbook(workbook.context, dict(workbook.gates), dict(workbook.scores), workbook.signoff,
                    list(workbook.audit), workbook.plan)


def compute_economics_facts(database: Path, workbook: Workbook, playbook: Playbook, control: Any) -> EconomicsFacts:
    """The economics of `workbook` with the traces in the working copy `database`, and their key figures
    (runs on the worker thread)."""
    from desktop.ui.economics_facts import key_figures

    economics = run_economics(database, workbook, playbook, control)
    check_cancelled(control)
    return EconomicsFacts(economics, tuple(key_figures(economics)))


class EconomicsState(QObject):
    """The shared, cached economics of one document.

    Signals:
        updated(object): an EconomicsFacts for the document as it is now.
        failed(str): the economics cannot be computed for the document as it is now, in words.
        busyChanged(bool): a computation is needed (True) or the latest outcome has landed (False).
    """

    updated = Signal(object)
    failed = Signal(str)
    busyChanged = Signal(bool)

    def __init__(self, document: Document) -> None:
        super().__init__(document)
        self.document = document
        self.error: str | None = None
        self.computations = 0  # background computations started (for tests and the benchmark)
        self._generation = 0  # moves with every change to the traces
        self._inputs: tuple[Any, ...] | None = None  # scenarios, override, catalog entries as stored (read lazily)
        self._kept: list[tuple[tuple[Any, ...], EconomicsFacts]] = []  # newest last
        self._error_key: tuple[Any, ...] | None = None
        self._lock_retries = 0
        self._task_key: tuple[Any, ...] | None = None
        self._runner = TaskRunner(self, on_done=self._on_done, on_failed=self._on_failed,
                                  on_finished=self._on_finished)
        self._debounce = single_shot(self, DEBOUNCE_MS, self._start)
        self._busy = False
        document.changed.connect(self._on_changed)
        self.request()

    # ---- Public API
    def content_key(self) -> tuple[Any, ...]:
        """What the economics of the document depend on, as it is now."""
        workbook = self.document.workbook
        if self._inputs is None:
            store = self.document.store
            self._inputs = (tuple(economics_store.list_scenarios(store)), economics_store.get_override(store),
                            tuple(economics_store.catalog_overrides(store)))
        return (self._generation, self._inputs, workbook.context, tuple(workbook.gates.values()),
                tuple(workbook.scores.values()))

    def current(self) -> EconomicsFacts | None:
        """The result for the document as it is now, or None while it is (to be) computed. Never computes."""
        return self._lookup(self.content_key())

    def latest(self) -> EconomicsFacts | None:
        """The newest result landed, whatever state it was for (what a view shows while it recomputes)."""
        return self._kept[-1][1] if self._kept else None

    @property
    def busy(self) -> bool:
        """True until the result (or failure) for the document as it is now has landed."""
        return self._busy

    def failure(self) -> str | None:
        """Why the economics of the current state could not be computed (None while they can or are unknown)."""
        return self.error if self.error is not None and self._error_key == self.content_key() else None

    def request(self) -> None:
        """Make sure the result for the current state is, or will be, computed (soon, debounced)."""
        key = self.content_key()
        if self._lookup(key) is not None or (key == self._error_key and self.error is not None):
            self._set_busy(False)
            return
        self._set_busy(True)
        if self._runner.busy and self._task_key == key:
            return  # already under way
        self._runner.cancel()
        self._debounce.start()

    def refresh(self) -> None:
        """The stored inputs changed without a document signal: compute again (soon)."""
        self._on_changed("all")

    def remember(self, key: tuple[Any, ...], facts: EconomicsFacts) -> None:
        """Keep `facts` as the result for the state `key` (computed elsewhere for that very state)."""
        self._kept = [(k, f) for k, f in self._kept if k != key][-(KEPT_RESULTS - 1):] + [(key, facts)]

    def wait(self, ms: int = 60_000) -> bool:
        """Process events until the result for the current state has landed (for scripts)."""
        return self._runner.wait_while(lambda: self.busy, ms)

    # ---- Private API
    def _lookup(self, key: tuple[Any, ...]) -> EconomicsFacts | None:
        for kept_key, facts in reversed(self._kept):
            if kept_key == key:
                return facts
        return None

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busyChanged.emit(busy)

    def _on_changed(self, part: str) -> None:
        if part in TRACE_PARTS:
            self._generation += 1
        if part in INPUT_PARTS:
            self._inputs = None
        if part not in TRACE_PARTS | INPUT_PARTS | DECISION_PARTS and not part.startswith("gate:"):
            return
        facts = self.current()
        if facts is not None:  # back to a state already computed (an undo): no work
            self._runner.cancel()
            self._debounce.stop()
            self._set_busy(False)
            self.updated.emit(facts)
            return
        self.request()

    def _start(self) -> None:
        document = self.document
        try:
            database = document.copy.database
            document.store.conn.total_changes  # noqa: B018 - raises once the document is closed
        except sqlite3.Error:  # closed meanwhile
            self._set_busy(False)
            return
        if not Path(database).exists():
            self._set_busy(False)
            return
        key = self.content_key()
        if self._lookup(key) is not None:
            self._set_busy(False)
            return
        self._task_key = key
        self.computations += 1
        self._runner.start(compute_economics_facts, database, snapshot(document.workbook), document.playbook)

    def _on_done(self, facts: EconomicsFacts) -> None:
        self._lock_retries = 0
        self.remember(self._task_key, facts)
        if self._task_key == self.content_key():
            self.error = self._error_key = None
            self._set_busy(False)
            self.updated.emit(facts)

    def _on_failed(self, message: str) -> None:
        if is_momentary_lock(message) and self._lock_retries < LOCK_RETRIES:
            self._lock_retries += 1
            return  # still busy: `_on_finished` starts it again after the debounce
        self._lock_retries = 0
        if self._task_key == self.content_key():
            self.error, self._error_key = message, self._task_key
            self._set_busy(False)
            self.failed.emit(message)

    def _on_finished(self) -> None:
        if not self._runner.busy and self._busy and not self._debounce.isActive():
            self.request()  # the state moved on while the task ran (or it was cancelled): compute again


def is_momentary_lock(message: str) -> bool:
    """Whether a background read failed only because another connection held the working copy just then (worth
    trying again shortly, not telling the officer)."""
    return LOCKED_TEXT in message


def economics_state(document: Document) -> EconomicsState:
    """The document's one EconomicsState (made on first use)."""
    return companion(document, EconomicsState)


__all__ = ["COMPUTING_TEXT", "LOCK_RETRIES", "is_momentary_lock", "EconomicsFacts", "EconomicsState", "compute_economics_facts", "economics_state",
           "snapshot"]


def follow(current: Any, state: Any, on_updated: Any, on_failed: Any) -> Any:
    """Move a view's `updated`/`failed` connections from `current` (or None) to `state`; returns `state`."""
    if current is not None:
        for signal, slot in ((current.updated, on_updated), (current.failed, on_failed)):
            try:
                signal.disconnect(slot)
            except (RuntimeError, TypeError):  # never connected, or already gone with its object
                pass
    state.updated.connect(on_updated)
    state.failed.connect(on_failed)
    return state
