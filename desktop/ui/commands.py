"""Every undoable edit of a workbook, in one place and one pattern.

A command stores what it needs to restore exactly, and changes the document only through its primitives:
`apply_*` for the small immutable decision parts, `run_in_transaction(action, topic)` for the tables in
the working copy (scenarios, the recommendation override, traces), so each redo and undo is one
transaction and every page listening for the topic hears of it. Pages build commands with the factory
functions and push them with `document.push`.

Traces: before a trace command changes anything it announces what kind of change it makes through
`events.changing`, so the trace table can repaint a few cells instead of re-reading a million row ids
after a cell edit. Deleting switches rows or imports off rather than removing them: undo switches them
back on in O(1), and `trace_store.purge_inactive` drops what is off once nothing can undo it any more.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand

from desktop.domain.workbook import BuyerContext, GateAssessment, ReadinessScore
from desktop.economics.recommend import RecommendationOverride
from desktop.economics.scenarios import Scenario
from desktop.storage import economics_store, trace_store
from desktop.ui.document import Document

NOTE_COMMAND_ID = 0x5C0E  # QUndoCommand.id() of note edits, so keystrokes of one session merge


class ReplaceCommand(QUndoCommand):
    """Swap an old value for a new one through `apply` (the document's apply_* or a transaction)."""

    def __init__(self, text: str, old: Any, new: Any, apply: Callable[[Any], None]) -> None:
        super().__init__(text)
        self.old = old
        self.new = new
        self._apply = apply

    def redo(self) -> None:
        self._apply(self.new)

    def undo(self) -> None:
        self._apply(self.old)


# ---- context, gates, scores -------------------------------------------------------------------------

def set_context(document: Document, new: BuyerContext, text: str = "Edit buyer context") -> ReplaceCommand:
    return ReplaceCommand(text, document.workbook.context, new, document.apply_context)


def set_gate(document: Document, new: GateAssessment, text: str) -> ReplaceCommand:
    return ReplaceCommand(text, document.workbook.gates[new.slug], new, document.apply_gate)


def set_score(document: Document, new: ReadinessScore, text: str) -> ReplaceCommand:
    return ReplaceCommand(text, document.workbook.scores[new.slug], new, document.apply_score)


class EditScoreNoteCommand(ReplaceCommand):
    """Change a dimension's note. The keystrokes of one edit session merge into this one undo step.

    Args:
        document: the document to edit.
        new: the score with its new note.
        session: the edit session; commands of the same dimension and session merge.
        name: the dimension's name, for the undo text.
    """

    def __init__(self, document: Document, new: ReadinessScore, session: int, name: str) -> None:
        super().__init__(f"Edit note on {name}", document.workbook.scores[new.slug], new, document.apply_score)
        self.session = session

    def id(self) -> int:  # noqa: A003 (Qt naming)
        return NOTE_COMMAND_ID

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt naming)
        if not isinstance(other, EditScoreNoteCommand) or (other.session, other.new.slug) != (
                self.session, self.new.slug):
            return False
        self.new = other.new
        if self.new == self.old:
            self.setObsolete(True)
        return True


# ---- economics: scenarios and the recommendation override -------------------------------------------

def save_scenario(document: Document, scenario: Scenario) -> ReplaceCommand:
    """Save (or replace, by name) a scenario; undo restores what was there under that name, or nothing."""
    def apply(value: Scenario | None) -> None:
        def change(store: Any) -> None:
            economics_store.delete_scenario(store, scenario.name)
            if value is not None:
                economics_store.save_scenario(store, value)
        document.run_in_transaction(change, "scenarios")
    previous = economics_store.get_scenario(document.store, scenario.name)
    return ReplaceCommand(f"Save scenario '{scenario.name}'", previous, scenario, apply)


def delete_scenario(document: Document, scenario: Scenario) -> ReplaceCommand:
    """Delete a scenario; undo saves it again."""
    def apply(value: Scenario | None) -> None:
        def change(store: Any) -> None:
            if value is None:
                economics_store.delete_scenario(store, scenario.name)
            else:
                economics_store.save_scenario(store, value)
        document.run_in_transaction(change, "scenarios")
    return ReplaceCommand(f"Delete scenario '{scenario.name}'", scenario, None, apply)


def set_override(document: Document, new: RecommendationOverride | None, text: str) -> ReplaceCommand:
    """Record (or clear, with None) the officer's recommendation override."""
    def apply(value: RecommendationOverride | None) -> None:
        document.run_in_transaction(lambda store: economics_store.set_override(store, value), "recommendation")
    return ReplaceCommand(text, economics_store.get_override(document.store), new, apply)


# ---- traces ----------------------------------------------------------------------------------------

# What a change does to the table: "cells" (values of known rows change, no row comes or goes) or "rows".
CELLS, ROWS = "cells", "rows"


class TraceEvents(QObject):
    """Signals:
        changing(object document, str kind, object row_ids): emitted just before a command changes traces;
            kind is CELLS (row_ids: the rows whose values change) or ROWS (row_ids: None).
    """

    changing = Signal(object, str, object)


events = TraceEvents()


class _TraceCommand(QUndoCommand):
    kind = ROWS

    def __init__(self, document: Document, text: str) -> None:
        super().__init__(text)
        self.document = document

    def _row_ids(self) -> Any:
        return None

    def _run(self, action) -> None:
        events.changing.emit(self.document, self.kind, self._row_ids())
        self.document.run_in_transaction(action, "traces")


class ActivateImportsCommand(_TraceCommand):
    """Switch staged imports on (redo) and off again (undo): one undo step for a whole multi-file import."""

    def __init__(self, document: Document, import_ids: Sequence[int], text: str) -> None:
        super().__init__(document, text)
        self.import_ids = [int(i) for i in import_ids]

    def redo(self) -> None:
        self._run(lambda store: trace_store.set_imports_active(store, self.import_ids, True))

    def undo(self) -> None:
        self._run(lambda store: trace_store.set_imports_active(store, self.import_ids, False))


class DeleteImportCommand(ActivateImportsCommand):
    """Remove whole imports (undo brings them back)."""

    def redo(self) -> None:
        super().undo()

    def undo(self) -> None:
        super().redo()


class DeleteRowsCommand(_TraceCommand):
    def __init__(self, document: Document, row_ids: Sequence[int], text: str | None = None) -> None:
        self.row_ids = [int(i) for i in row_ids]
        count = len(self.row_ids)
        super().__init__(document, text or f"Delete {count:,} trace row{'s' if count != 1 else ''}")

    def redo(self) -> None:
        self._run(lambda store: trace_store.set_rows_active(store, self.row_ids, False))

    def undo(self) -> None:
        self._run(lambda store: trace_store.set_rows_active(store, self.row_ids, True))


class EditCellCommand(_TraceCommand):
    """Set one validated value; the first edit of a cell keeps the imported value (see trace_store)."""

    kind = CELLS

    def __init__(self, document: Document, row_id: int, field: str, old: Any, new: Any) -> None:
        super().__init__(document, f"Edit {field} of trace row {row_id}")
        self.row_id, self.field, self.old, self.new = int(row_id), field, old, new

    def _row_ids(self) -> Any:
        return [self.row_id]

    def redo(self) -> None:
        self._run(lambda store: trace_store.write_cell(store, self.row_id, self.field, self.new))

    def undo(self) -> None:
        self._run(lambda store: trace_store.write_cell(store, self.row_id, self.field, self.old))


# trace factories: what the Traces page and the import dialog push

def activate_imports(document: Document, import_ids: Sequence[int], sources: Sequence[str]) -> ActivateImportsCommand:
    names = ", ".join(sources[:3]) + (f" and {len(sources) - 3} more" if len(sources) > 3 else "")
    return ActivateImportsCommand(document, import_ids, f"Import traces from {names}")


def delete_import(document: Document, import_id: int, source: str) -> DeleteImportCommand:
    return DeleteImportCommand(document, [import_id], f"Delete import {import_id} ({source})")


def delete_rows(document: Document, row_ids: Sequence[int]) -> DeleteRowsCommand:
    return DeleteRowsCommand(document, row_ids)


def edit_cell(document: Document, row_id: int, field: str, new: Any) -> EditCellCommand | None:
    """A command setting a validated value, or None when the cell holds that value already."""
    old = trace_store.read_cell(document.store, row_id, field)
    if old == new:
        return None
    return EditCellCommand(document, row_id, field, old, new)
