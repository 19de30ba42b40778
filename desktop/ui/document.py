"""The open workbook as the GUI sees it: domain state, working copy, undo stack and change signals.

Every edit goes through `Document.push`, as a QUndoCommand from `desktop.ui.commands`; widgets never
change the workbook directly. The modified marker follows the undo stack's clean state.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from desktop import paths
from desktop.domain.errors import DomainError
from desktop.domain.playbook import Playbook
from desktop.domain.sample import sample_traces, sample_workbook
from desktop.domain.workbook import BuyerContext, GateAssessment, PlanSettings, ReadinessScore, Workbook
from desktop.storage.errors import WorkbookFileError
from desktop.storage.location import location_warning
from desktop.storage.lock import WorkbookLock
from desktop.storage.places import read_only_reason
from desktop.storage.workbook_file import WorkbookStore, newer_note, remove_orphan_temps
from desktop.storage.working_copy import RecoveryCandidate, WorkingCopy

AUTOSAVE_INTERVAL_MS = 3 * 60 * 1000
# What the decision fingerprint rests on: the sign-off itself, the decision parts, the traces and the stored
# economics inputs (a signed workbook refuses edits to them, but an undo of an import, a revoke or a re-sign move them)
SIGNOFF_PARTS = frozenset({"all", "signoff", "traces", "scores", "context", "scenarios", "recommendation", "catalog"})


class ReadOnlyError(DomainError):
    """An edit of a document opened read-only."""


class ReadOnlyTargetError(ReadOnlyError):
    """Save over a file (or into a folder) that is read-only: nothing was written; Save As is the way out."""


class Document(QObject):
    """One open workbook.

    Signals:
        changed(str): a part changed: "context", "gate:<slug>", "scores", "plan", "traces", "signoff" or "all".
        modifiedChanged(bool): unsaved edits appeared or were saved.
        pathChanged(): the file the document stands for changed (Save As).
    """

    changed = Signal(str)
    modifiedChanged = Signal(bool)
    pathChanged = Signal()

    def __init__(self, playbook: Playbook, copy: WorkingCopy, *, lock: WorkbookLock | None = None,
                 read_only_reason: str | None = None, recovered: bool = False) -> None:
        super().__init__()
        self.playbook = playbook
        self.copy = copy
        self.lock = lock
        self.workbook: Workbook = copy.store.load(playbook)
        self.read_only_reason = read_only_reason
        self.undo_stack = QUndoStack(self)
        self._recovered = recovered
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.warning = location_warning(copy.origin) if copy.origin else None
        # moves with every change the sign-off fingerprint rests on; connected first, so every other listener
        # of `changed` already sees it moved (desktop.ui.signoff_check keys its result by it)
        self.signoff_generation = 0
        self._ui_raw: dict[str, str | None] = {}  # ui.* values as read or set (JSON text; None: not stored)
        self._ui_unwritten: dict[str, str] = {}  # set, not yet in the working copy (see `set_ui_state`)
        self.changed.connect(self._move_signoff_generation)
        self._autosave = QTimer(self)
        self._autosave.setInterval(AUTOSAVE_INTERVAL_MS)
        self._autosave.timeout.connect(self.autosave)
        self._autosave.start()

    # -- opening -----------------------------------------------------------------------------------
    @classmethod
    def open(cls, playbook: Playbook, path: Path) -> Document:
        """Open `path`; read-only with a reason when another process edits it."""
        path = Path(path).resolve()
        lock = WorkbookLock(path)
        reason = None
        if not path.exists():
            raise WorkbookFileError(f"{path}: no such file")
        if not lock.acquire():  # a hostile lock path (link, folder, another user's file) raises LockRefused
            if lock.read_only_place:
                reason = f"{lock.refusal}, so it is open read-only (Save As keeps a changed copy elsewhere)."
            else:
                reason = f"{path.name} is being edited by {lock.describe_holder()}; it is open read-only."
            lock = None
        else:
            remove_orphan_temps(path)
        try:
            copy = WorkingCopy.of_file(path, paths.recovery_dir())
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        newer = newer_note(copy.store)
        if newer is not None:
            reason = newer
            if lock is not None:
                lock.release()
                lock = None
        document = cls(playbook, copy, lock=lock, read_only_reason=reason)
        return document

    @classmethod
    def new(cls, playbook: Playbook, *, sample: bool = False) -> Document:
        if sample:
            copy = WorkingCopy.new(playbook, sample_workbook(playbook), paths.recovery_dir(),
                                   sample_traces(playbook))
        else:
            copy = WorkingCopy.new(playbook, Workbook.empty(playbook), paths.recovery_dir())
        return cls(playbook, copy)

    @classmethod
    def recover(cls, playbook: Playbook, candidate: RecoveryCandidate) -> Document:
        lock = None
        if candidate.origin is not None and candidate.origin.exists():
            lock = WorkbookLock(candidate.origin)
            if not lock.acquire():
                raise WorkbookFileError(f"{candidate.origin} is being edited by {lock.describe_holder()}")
        document = cls(playbook, WorkingCopy.recover(candidate), lock=lock, recovered=True)
        return document

    # -- state -------------------------------------------------------------------------------------
    @property
    def store(self) -> WorkbookStore:
        return self.copy.store

    @property
    def path(self) -> Path | None:
        return self.copy.origin

    @property
    def read_only(self) -> bool:
        return self.read_only_reason is not None or self.workbook.signed

    def signoff_state(self) -> str:
        """'draft', 'signed', 'tampered' (the content no longer matches the sign-off), 'unchecked' (the check
        failed) or 'checking' while it is worked out in the background (desktop.ui.signoff_check: it may read
        every trace row). Never computes; 'checking' is not a draft."""
        from desktop.ui.signoff_check import signoff_check

        return signoff_check(self).state

    @property
    def tampered(self) -> bool:
        """The check has landed and says the signed content changed (False while it is still checking)."""
        return self.workbook.signed and self.signoff_state() == "tampered"

    def _move_signoff_generation(self, part: str) -> None:
        if part in SIGNOFF_PARTS or part.startswith("gate:"):
            self.signoff_generation += 1

    def display_name(self) -> str:
        return self.path.name if self.path else "Untitled"

    def is_modified(self) -> bool:
        return self._recovered or not self.undo_stack.isClean()

    def _on_clean_changed(self, clean: bool) -> None:
        self.copy.mark(dirty=not clean or self._recovered)
        self.modifiedChanged.emit(self.is_modified())

    # -- editing -----------------------------------------------------------------------------------
    def check_editable(self) -> None:
        if self.read_only_reason:
            raise ReadOnlyError(self.read_only_reason)
        self.workbook.ensure_editable()

    def push(self, command: QUndoCommand) -> None:
        """Run an edit as one undo step; refused (nothing changes) on a read-only document."""
        self.check_editable()
        self.undo_stack.push(command)

    # The primitives below are what commands call on redo/undo; they validate through the domain.
    def apply_context(self, context: BuyerContext) -> None:
        self.workbook.set_context(context)
        self.changed.emit("context")

    def apply_gate(self, assessment: GateAssessment) -> None:
        self.workbook.set_gate(assessment)
        self.changed.emit(f"gate:{assessment.slug}")

    def apply_score(self, score: ReadinessScore) -> None:
        self.workbook.set_score(score)
        self.changed.emit("scores")

    def apply_plan(self, plan: PlanSettings) -> None:
        self.workbook.set_plan(plan)
        self.changed.emit("plan")

    def run_in_transaction(self, action: Callable[[WorkbookStore], Any], part: str) -> Any:
        """Apply a change to the working copy's tables (traces, imports) as one transaction."""
        with self.store.transaction():
            result = action(self.store)
        self.changed.emit(part)
        return result

    # -- sign-off: explicit actions, recorded in the audit log, not undoable edits; each saves the file --
    def sign(self, **fields: Any) -> Any:
        """Sign off (see desktop.services.signoff.run_sign for `fields`), clear the undo history and save."""
        from desktop.services.signoff import run_sign
        if self.read_only_reason:
            raise ReadOnlyError(self.read_only_reason)
        if self.path is None:
            raise WorkbookFileError("save the workbook to a file before signing it off")
        result = run_sign(self.store, self.workbook, self.playbook, **fields)
        self._after_signoff_change()
        from desktop.ui.signoff_check import SIGNED, signoff_check

        signoff_check(self).settle(SIGNED)  # the fingerprint was just computed from this very content
        return result

    def revoke(self, *, by: str, reason: str) -> Any:
        """Revoke the sign-off (desktop.services.signoff.run_revoke), clear the undo history and save."""
        from desktop.services.signoff import run_revoke
        if self.read_only_reason:
            raise ReadOnlyError(self.read_only_reason)
        entry = run_revoke(self.store, self.workbook, by=by, reason=reason)
        self._after_signoff_change()
        return entry

    def _after_signoff_change(self) -> None:
        self.undo_stack.clear()
        self._recovered = True  # unsaved without an undo step: stays "modified" until the save below succeeds
        self.copy.mark(dirty=True)
        self.changed.emit("signoff")
        if self.path is not None:
            self.save()

    # -- UI state stored in the workbook without marking it modified --------------------------------
    # Kept in memory once read or set. The workbook's own file is written at once (no background task reads
    # it); the working copy, which a background task may be reading (a commit would wait for it, up to the
    # connection's two-second timeout, on the GUI thread), gets the values with the next save or autosave
    # (`_flush`), before it is copied over the file.
    def ui_state(self, key: str, default: Any = None) -> Any:
        if key not in self._ui_raw:
            self._ui_raw[key] = self.store.get_meta(f"ui.{key}")
        raw = self._ui_raw[key]
        return default if raw is None else json.loads(raw)

    def set_ui_state(self, key: str, value: Any) -> None:
        raw = json.dumps(value)
        self._ui_raw[key] = self._ui_unwritten[key] = raw
        if self.path is not None and self.lock is not None and self.lock.held:
            from desktop.storage.workbook_file import open_store
            try:
                target = open_store(self.path, writable=True)
            except DomainError:
                return
            try:
                with target.transaction():
                    target.set_meta(f"ui.{key}", raw)
            finally:
                target.close()

    # -- saving ------------------------------------------------------------------------------------
    def _flush(self) -> None:
        unwritten = dict(self._ui_unwritten)
        with self.store.transaction():
            self.store.write_document(self.workbook)
            for key, raw in unwritten.items():
                self.store.set_meta(f"ui.{key}", raw)
        for key, raw in unwritten.items():
            if self._ui_unwritten.get(key) == raw:
                del self._ui_unwritten[key]

    def save(self, path: Path | None = None) -> None:
        """Write the document to `path` (or its own file) atomically and mark it clean."""
        target = Path(path).resolve() if path else self.path
        if target is None:
            raise WorkbookFileError("choose a file name first (Save As)")
        if self.read_only_reason and (path is None or target == self.path):
            raise ReadOnlyError(self.read_only_reason)
        place = read_only_reason(target)
        if place is not None and (target == self.path or target.exists()):
            raise ReadOnlyTargetError(f"{place}; it was not overwritten (nothing was changed). Use Save As to "
                                      "save a copy somewhere else.")
        if place is not None:
            raise ReadOnlyTargetError(f"cannot save {target.name}: {place}. Choose another folder.")
        new_lock = None
        if target != self.path:
            new_lock = WorkbookLock(target)
            if not new_lock.acquire():
                raise WorkbookFileError(f"{target} is being edited by {new_lock.describe_holder()}")
        try:
            self._flush()
            self.copy.save_to(target)
        except BaseException:
            if new_lock is not None:
                new_lock.release()
            raise
        if new_lock is not None:
            if self.lock is not None:
                self.lock.release()
            self.lock = new_lock
            self.read_only_reason = None
            self.warning = location_warning(target)
            self.pathChanged.emit()
        self._recovered = False
        self.undo_stack.setClean()
        self.copy.mark(dirty=False)
        self.modifiedChanged.emit(False)

    def autosave(self) -> bool:
        """Bring the recovery copy up to date while there are unsaved edits."""
        if not self.is_modified():
            return False
        self._flush()
        self.copy.mark(dirty=True)
        return True

    def close(self) -> None:
        """Drop the working copy (the caller has asked about unsaved edits) and release the lock."""
        self._autosave.stop()
        self.copy.discard()
        if self.lock is not None:
            self.lock.release()
            self.lock = None


_Companion = TypeVar("_Companion", bound=QObject)
_companions: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def companion(document: Document, kind: type[_Companion]) -> _Companion:
    """The document's one `kind` (a background state made as `kind(document)` on first use, living as long as
    the document: the shared economics, the plan, the trace count, the sign-off check, the hash keeper)."""
    made = _companions.setdefault(document, {})
    found = made.get(kind)
    if found is None or not shiboken6.isValid(found):
        found = made[kind] = kind(document)
    return found


def follow(receiver: QObject, signal: Any, slot: Callable[..., Any]) -> None:
    """Connect `slot` (a lambda that uses `receiver`) to `signal` of a document's background state for as long
    as `receiver` lives. A lambda is no Qt receiver, so Qt would go on calling it after the window or page it
    uses was deleted, while the document and its states live on (a late sign-off check raised "Internal C++
    object already deleted"); the connection goes when `receiver` does."""
    connection = signal.connect(slot)

    def drop(*_: Any) -> None:
        try:
            QObject.disconnect(connection)
        except (RuntimeError, TypeError):  # the sender went first: nothing is connected any more
            pass

    receiver.destroyed.connect(drop)
