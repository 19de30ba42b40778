"""Undoable edits. Each command stores the value before and after, so undo restores exactly.

The small decision parts (context, a gate, a score) are immutable values, so one command shape serves
them all: swap the old value for the new one through the document's `apply_*` primitive.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QUndoCommand

from desktop.domain.workbook import BuyerContext, GateAssessment, ReadinessScore
from desktop.ui.document import Document


class ReplaceCommand(QUndoCommand):
    def __init__(self, text: str, old: Any, new: Any, apply: Callable[[Any], None]) -> None:
        super().__init__(text)
        self.old = old
        self.new = new
        self._apply = apply

    def redo(self) -> None:
        self._apply(self.new)

    def undo(self) -> None:
        self._apply(self.old)


def set_context(document: Document, new: BuyerContext, text: str = "Edit buyer context") -> ReplaceCommand:
    return ReplaceCommand(text, document.workbook.context, new, document.apply_context)


def set_gate(document: Document, new: GateAssessment, text: str) -> ReplaceCommand:
    return ReplaceCommand(text, document.workbook.gates[new.slug], new, document.apply_gate)


def set_score(document: Document, new: ReadinessScore, text: str) -> ReplaceCommand:
    return ReplaceCommand(text, document.workbook.scores[new.slug], new, document.apply_score)
