"""Undoable changes to the workbook's traces: switch imports on, edit a cell, delete rows or a whole import.

Every command changes the working copy through `Document.run_in_transaction(..., "traces")`, so each redo
and undo is one transaction and every page listening for "traces" hears of it. Before it does, a command
announces what kind of change it makes through `events.changing`, so the trace table can repaint a few
cells instead of re-reading a million row ids after a cell edit.

Deleting switches rows or imports off rather than removing them: undo switches them back on in O(1), and
`trace_store.purge_inactive` drops what is off once nothing can undo it any more.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand

from desktop.storage import trace_store
from desktop.ui.document import Document

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


# ---- Factories (what the page and the import dialog push) ------------------------------------------

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
