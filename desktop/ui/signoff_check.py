"""Whether the open document's sign-off still holds, told in the background and shared by every view: the main
window's tamper banner and status line, the Overview's sign-off panel and banner, the Sign-off page.

One `SignoffCheck` per document (`signoff_check(document)`). A draft needs no work. For a signed workbook the
decision fingerprint is recomputed and compared with the signed one; from the decision parts cached for this
state that takes no trace row (`desktop.services.tamper.cached_signoff_state`), otherwise it needs the economics:
the check waits for the document's shared economics (desktop.ui.economics_state, computed once per state, never
here) and builds the fingerprint from them. Both steps run on a worker thread over its own connection to the
working copy, through one TaskRunner: a change to what the fingerprint rests on cancels the check under way and
only the newest outcome lands. Until it lands the state is CHECKING, which no caller may take for a draft
(nothing is refused or allowed on it: editing a signed workbook is refused because it is signed, whatever the
check says).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.domain.playbook import Playbook
from desktop.domain.progress import Cancelled, check_cancelled
from desktop.domain.workbook import Workbook
from desktop.services.tamper import DRAFT, SIGNED, TAMPERED
from desktop.ui.document import Document, SIGNOFF_PARTS, companion
from desktop.ui.economics_facts import cached_economics
from desktop.ui.economics_state import LOCK_RETRIES, economics_state, is_momentary_lock, snapshot
from desktop.ui.tasks import TaskRunner, single_shot

CHECKING = "checking"  # signed; whether the content still matches is being worked out
UNCHECKED = "unchecked"  # signed; the check itself failed (told in `error`)
CHECKING_TEXT = "checking sign-off\u2026"
DEBOUNCE_MS = 0  # the signals of one edit arrive together: one check for them
LOCK_RETRY_MS = 250


def check_signoff(database: Path, workbook: Workbook, playbook: Playbook, economics: Any, control: Any) -> str | None:
    """The sign-off state of `workbook` (a snapshot) with the working copy `database` ('signed' or 'tampered'),
    or None when it needs the economics and `economics` is None (runs on a worker thread)."""
    from desktop.services.tamper import cached_signoff_state, signoff_state
    from desktop.storage.trace_store import open_worker_connection

    check_cancelled(control)
    if not Path(database).exists():  # the document was closed meanwhile
        raise Cancelled("closed")
    store = open_worker_connection(database)
    try:
        state = cached_signoff_state(store, workbook, playbook)
        if state is None and economics is not None:
            check_cancelled(control)
            state = signoff_state(store, workbook, playbook, economics=economics)
    finally:
        store.close()
    check_cancelled(control)
    return state


def check_signoff_alone(database: Path, workbook: Workbook, playbook: Playbook, control: Any) -> str:
    """The sign-off state computed from scratch (when the shared economics cannot be computed: content that
    cannot be computed is not what was signed, so this says 'tampered' then)."""
    from desktop.services.tamper import signoff_state
    from desktop.storage.trace_store import open_worker_connection

    check_cancelled(control)
    if not Path(database).exists():
        raise Cancelled("closed")
    store = open_worker_connection(database)
    try:
        return signoff_state(store, workbook, playbook)
    finally:
        store.close()


class SignoffCheck(QObject):
    """The sign-off state of one document, told in the background.

    Signals:
        updated(str): the state for the document as it is now changed (DRAFT, CHECKING, SIGNED, TAMPERED or
            UNCHECKED).
    """

    updated = Signal(str)

    def __init__(self, document: Document) -> None:
        super().__init__(document)
        self.document = document
        self.error: str | None = None
        self.checks = 0  # background checks started (for tests and the benchmark)
        self._result: tuple[int, str] | None = None  # (generation, state) of the newest check landed
        self._task_generation = -1
        self._waiting = False  # for the shared economics of the current state
        self._lock_retries = 0
        self._shown: str | None = None
        self._runner = TaskRunner(self, on_done=self._on_done, on_failed=self._on_failed,
                                  on_finished=self._on_finished)
        self._debounce = single_shot(self, DEBOUNCE_MS, self._start)
        self._economics_followed = False  # the shared economics are listened to once a check needs them
        document.changed.connect(self._on_changed)
        self._request()

    # ---- Public API
    @property
    def state(self) -> str:
        """DRAFT, SIGNED, TAMPERED, UNCHECKED, or CHECKING until the check for the document as it is now lands.
        Never computes."""
        if self.document.workbook.signoff is None:
            return DRAFT
        if self._result is not None and self._result[0] == self._generation:
            return self._result[1]
        return CHECKING

    def settle(self, state: str) -> None:
        """The state of the document as it is now is known without a check (it was just signed from it)."""
        self._runner.cancel()
        self._debounce.stop()
        self._waiting = False
        self._land(self._generation, state)

    @property
    def busy(self) -> bool:
        return self.state == CHECKING

    def wait(self, ms: int = 60_000) -> bool:
        """Process events until the state for the current document has landed (for scripts)."""
        return self._runner.wait_while(lambda: self.busy, ms)

    # ---- Private API
    @property
    def _generation(self) -> int:
        return self.document.signoff_generation

    def _on_changed(self, part: str) -> None:
        if part not in SIGNOFF_PARTS and not part.startswith("gate:"):
            return
        self._waiting = False
        self._lock_retries = 0
        self._runner.cancel()
        self._request()

    def _request(self) -> None:
        self._announce()
        if self.state == CHECKING:
            self._debounce.start()

    def _announce(self) -> None:
        state = self.state
        if state != self._shown:
            self._shown = state
            self.updated.emit(state)

    def _start(self) -> None:
        if self.state != CHECKING or (self._runner.busy and self._task_generation == self._generation):
            return
        document = self.document
        try:
            database = document.copy.database
            document.store.conn.total_changes  # noqa: B018 - raises once the document is closed
        except sqlite3.Error:
            return
        if not Path(database).exists():
            return
        economics = cached_economics(document)
        self._task_generation = self._generation
        self.checks += 1
        self._runner.start(check_signoff, database, snapshot(document.workbook), document.playbook, economics)

    def _land(self, generation: int, state: str, error: str | None = None) -> None:
        if generation != self._generation:
            return
        self._result, self.error = (generation, state), error
        self._announce()

    def _on_done(self, state: str | None) -> None:
        self._lock_retries = 0
        if state is not None:
            self._land(self._task_generation, state)
            return
        if self._task_generation == self._generation:  # needs the economics: the shared ones, when they land
            self._waiting = True
            economics = economics_state(self.document)
            if not self._economics_followed:
                self._economics_followed = True
                economics.updated.connect(self._on_economics)
                economics.failed.connect(self._on_economics_failed)
            economics.request()
            if cached_economics(self.document) is not None:
                self._on_economics(None)

    def _on_failed(self, message: str) -> None:
        if is_momentary_lock(message) and self._lock_retries < LOCK_RETRIES:
            self._lock_retries += 1
            QTimer.singleShot(LOCK_RETRY_MS, self, self._start)
            return
        self._lock_retries = 0
        self._land(self._task_generation, UNCHECKED, message)

    def _on_finished(self) -> None:
        if not self._runner.busy and not self._waiting and self.state == CHECKING and not self._debounce.isActive():
            if self._task_generation != self._generation:
                self._debounce.start()  # the state moved on while the check ran: check again

    def _on_economics(self, _facts: Any) -> None:
        if self._waiting and not self._runner.busy and cached_economics(self.document) is not None:
            self._waiting = False
            self._start()

    def _on_economics_failed(self, _message: str) -> None:
        if self._waiting and not self._runner.busy:
            self._waiting = False
            document = self.document
            self._task_generation = self._generation
            self.checks += 1
            self._runner.start(check_signoff_alone, document.copy.database, snapshot(document.workbook),
                               document.playbook)


def signoff_state_note(state: str, signed: bool) -> str:
    """What a line about a signed workbook adds while its state is not known: ' (checking sign-off…)' or
    ' (the sign-off could not be checked)'; '' once it is."""
    if not signed:
        return ""
    if state == CHECKING:
        return f" ({CHECKING_TEXT})"
    if state == UNCHECKED:
        return " (the sign-off could not be checked)"
    return ""


def signoff_check(document: Document) -> SignoffCheck:
    """The document's one SignoffCheck (made on first use)."""
    return companion(document, SignoffCheck)


__all__ = ["CHECKING", "CHECKING_TEXT", "DRAFT", "SIGNED", "SignoffCheck", "TAMPERED", "UNCHECKED",
           "check_signoff", "signoff_check", "signoff_state_note"]
