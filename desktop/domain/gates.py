"""Gate rules: verdicts, justifications for passing with open items, and progress."""

from __future__ import annotations

from dataclasses import dataclass, replace

from desktop.domain.errors import DomainError
from desktop.domain.workbook import GateAssessment, GateStatus, ItemState


class GateRuleError(DomainError):
    """A verdict the gate rules do not allow."""


def set_verdict(gate: GateAssessment, status: GateStatus, justification: str | None = None) -> GateAssessment:
    """The gate with its new verdict.

    Passing while checklist items are open needs a justification (kept, and shown in exports as an
    exception). A justification only means something for a pass, so other verdicts keep the old one in case
    the officer passes again.
    """
    new_justification = gate.justification if justification is None else justification.strip()
    if status is GateStatus.PASSED and gate.open_items and not new_justification:
        numbers = ", ".join(str(n) for n in gate.open_items)
        raise GateRuleError(
            f"gate '{gate.slug}' cannot pass while checklist item(s) {numbers} are open "
            "unless a justification is recorded")
    return replace(gate, status=status, justification=new_justification)


def set_item(gate: GateAssessment, number: int, item: ItemState) -> GateAssessment:
    """The gate with checklist item `number` (1-based) replaced.

    Reopening an item of a passed gate that has no justification would leave a pass the rules forbid,
    so that edit is refused.
    """
    check_item_number(gate, number)
    items = list(gate.items)
    items[number - 1] = item
    updated = replace(gate, items=tuple(items))
    if updated.status is GateStatus.PASSED and updated.open_items and not updated.justification:
        raise GateRuleError(
            f"item {number} cannot be reopened while gate '{gate.slug}' is passed without a justification; "
            "record a justification or change the verdict first")
    return updated


def check_item_number(gate: GateAssessment, number: int) -> None:
    if not 1 <= number <= len(gate.items):
        raise GateRuleError(f"gate '{gate.slug}' has no item {number} (items are 1 to {len(gate.items)})")


@dataclass(frozen=True)
class Progress:
    done: int
    total: int

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


def gate_progress(gate: GateAssessment) -> Progress:
    return Progress(gate.items_done, len(gate.items))


def overall_progress(gates: list[GateAssessment] | tuple[GateAssessment, ...]) -> Progress:
    return Progress(sum(g.items_done for g in gates), sum(len(g.items) for g in gates))


def gates_assessed(gates: list[GateAssessment] | tuple[GateAssessment, ...]) -> int:
    return sum(1 for g in gates if g.status is not GateStatus.NOT_ASSESSED)
