"""The decision plan of the open document, computed in the background and shared by every view of it.

One `PlanState` per document (`plan_state(document)`): a change to the workbook (a lever, a constraint, the
context, traces) starts a short debounce, then one background task computes the plan from the document's
shared economics (desktop.ui.economics_state: computed once per state, never here; the plan waits for them
when they are being computed) with the workbook as it is at that moment; a newer change cancels the running
one, and only the latest result is delivered. The Plan page and the Overview's plan card both
listen to `updated`, so a change is computed once, never on the GUI thread.

The plan arrives as the JSON object `ipw plan --json` prints (desktop.economics.plan / services.plan), the
one shape every view and export reads through `desktop.exports.plan_text`.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop.domain.playbook import Playbook
from desktop.domain.progress import Cancelled
from desktop.domain.workbook import Workbook
from desktop.ui.document import Document, companion
from desktop.ui.economics_facts import cached_economics, economics_key
from desktop.ui.economics_state import economics_state, snapshot
from desktop.ui.tasks import TaskRunner, single_shot

log = logging.getLogger(__name__)

DEBOUNCE_MS = 120
PLAN_PARTS = ("all", "context", "plan", "traces", "scores", "recommendation", "catalog", "scenarios")


def compute_plan(database: Path, workbook: Workbook, playbook: Playbook, sensitivity: bool, economics: Any,
                 control: Any) -> tuple[Any, dict[str, Any]]:
    """(economics, the plan's JSON object) for `workbook` (run in a worker thread). With `economics` from an
    earlier run for the same traces and context (a lever or constraint edit), only the plan is recomputed;
    otherwise the working copy's traces are read over the worker's own connection."""
    from desktop.services.plan import replan, run_plan
    from desktop.storage.trace_store import open_worker_connection

    if control.cancelled():
        raise Cancelled("superseded")
    if economics is not None:
        report = replan(economics, workbook, sensitivity=sensitivity, progress=control)
        return report.economics, report.to_json()
    if not Path(database).exists():
        raise Cancelled("superseded")
    store = open_worker_connection(database)
    try:
        report = run_plan(store, workbook=workbook, playbook=playbook, sensitivity=sensitivity, progress=control)
    finally:
        store.close()
    return report.economics, report.to_json()


class PlanState(QObject):
    """The latest plan of one document.

    Signals:
        updated(object): a new plan (dict in the `ipw plan --json` shape) for the document as it is now.
        failed(str): the plan cannot be computed, in words.
        busyChanged(bool): a computation started (True) or the shown plan is up to date (False).
    """

    updated = Signal(object)
    failed = Signal(str)
    busyChanged = Signal(bool)

    def __init__(self, document: Document) -> None:
        super().__init__(document)
        self.document = document
        self.plan: dict[str, Any] | None = None
        self.error: str | None = None
        self._runner = TaskRunner(self)  # one computation at a time; only the latest one's result lands
        self._runner.sig_done.connect(self._on_done)
        self._runner.sig_failed.connect(self._on_failed)
        self._runner.sig_finished.connect(self._done)
        self._task_generation = 0
        self._task_key: tuple[Any, ...] | None = None
        self._economics: tuple[tuple[Any, ...], Any] | None = None  # (economics_key, Economics) of the last run
        self._pending = True
        self._generation = 0
        self._debounce = single_shot(self, DEBOUNCE_MS, self._start)
        self._waiting = False  # for the shared economics of the current state (never computed here)
        economics = economics_state(document)
        economics.updated.connect(self._on_economics)
        economics.failed.connect(self._on_economics_failed)
        document.changed.connect(self._on_changed)
        self._debounce.start()

    @property
    def busy(self) -> bool:
        return self._pending or self._runner.busy or self._debounce.isActive()

    def refresh(self) -> None:
        """Recompute soon (debounced): the workbook changed in a way the document did not signal."""
        self._on_changed("all")

    def _on_changed(self, part: str) -> None:
        if part not in PLAN_PARTS and not part.startswith("gate:"):
            return
        self._generation += 1
        self._runner.cancel()
        if not self._pending:
            self._pending = True
            self.busyChanged.emit(True)
        self._debounce.start()

    def _start(self) -> None:
        document = self.document
        try:
            database = document.copy.database
            document.store.conn.total_changes  # noqa: B018 - raises once the document is closed
        except sqlite3.Error:  # closed meanwhile
            self._pending = False
            return
        self._task_generation = self._generation
        key = economics_key(document)
        economics = self._economics[1] if self._economics is not None and self._economics[0] == key else None
        if economics is None:  # the one shared computation (economics_state) for this state
            economics = cached_economics(document)
        if economics is None and (failure := economics_state(document).failure()) is not None:
            self._waiting = False  # the economics of this state failed before the plan asked: say why at once
            self._fail(self._task_generation, failure)
            return
        if economics is None:  # not landed yet: the plan starts when it does
            self._waiting = True
            economics_state(document).request()
            return
        self._waiting = False
        self._task_key = key
        self._runner.start(compute_plan, database, snapshot(document.workbook), document.playbook, True, economics)

    def _on_economics(self, _facts: Any) -> None:
        if self._waiting and not self._debounce.isActive() and not self._runner.busy:
            self._start()

    def _on_economics_failed(self, message: str) -> None:
        if self._waiting:
            self._waiting = False
            self._fail(self._generation, message)

    def _on_done(self, result: tuple[Any, dict[str, Any]]) -> None:
        economics, plan = result
        self._economics = (self._task_key, economics)  # a lever edit next time needs no storage access
        self._apply(self._task_generation, plan)

    def _on_failed(self, message: str) -> None:
        self._fail(self._task_generation, message)

    def _apply(self, generation: int, plan: dict[str, Any]) -> None:
        if generation != self._generation:
            return
        self.plan, self.error = plan, None
        self._pending = False
        self.updated.emit(plan)
        self.busyChanged.emit(False)

    def _fail(self, generation: int, message: str) -> None:
        if generation != self._generation:
            return
        self.error = message
        self._pending = False
        self.failed.emit(message)
        self.busyChanged.emit(False)

    def _done(self) -> None:
        if self._runner.busy:
            return
        if self._pending and not self._debounce.isActive() and not self._waiting:
            self._start()  # a change came in while it ran

    def wait(self, ms: int = 60_000) -> bool:
        """Process events until the plan matches the document (for scripts; tests use qtbot.waitUntil)."""
        return self._runner.wait_while(lambda: self.busy, ms)


def plan_state(document: Document) -> PlanState:
    """The document's one PlanState (made on first use)."""
    return companion(document, PlanState)
