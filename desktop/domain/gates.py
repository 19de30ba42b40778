"""Gate rules: verdicts, justifications for passing with open items, and progress."""

from __future__ import annotations

from dataclasses import dataclass, replace

from desktop.domain.errors import DomainError
from desktop.domain.playbook import Playbook
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


def set_note(gate: GateAssessment, note: str) -> GateAssessment:
    """The gate with its officer's note replaced (kept as typed, trailing blanks dropped)."""
    return replace(gate, note=note.rstrip())


def set_justification(gate: GateAssessment, justification: str) -> GateAssessment:
    """The gate with a new justification for passing with open items.

    Clearing it while the gate is passed with open items would leave a pass the rules forbid.
    """
    text = justification.strip()
    if not text and gate.status is GateStatus.PASSED and gate.open_items:
        raise GateRuleError(
            f"the justification of gate '{gate.slug}' cannot be removed while it is passed with open items; "
            "change the verdict first")
    return replace(gate, justification=text)


def needs_justification(gate: GateAssessment, status: GateStatus) -> bool:
    """True when giving `gate` the verdict `status` needs a justification that is not recorded yet."""
    return status is GateStatus.PASSED and bool(gate.open_items) and not gate.justification


def shows_skip_warning(gate: GateAssessment) -> bool:
    """While a gate is not passed, the playbook's 'failure if skipped' is shown as a warning."""
    return gate.status is not GateStatus.PASSED


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


@dataclass(frozen=True)
class Finding:
    """Something the summary and the exports point out about one gate."""

    slug: str
    kind: str  # "exception" | "failed" | "at-risk" | "not-assessed"
    text: str


def findings(playbook: Playbook, gates: dict[str, GateAssessment]) -> list[Finding]:
    """Exceptions (passed with open items), failed and at-risk gates and gates not assessed, in gate order."""
    result = []
    for definition in playbook.gates:
        gate = gates[definition.slug]
        if gate.is_exception:
            items = ", ".join(str(n) for n in gate.open_items)
            result.append(Finding(gate.slug, "exception",
                                  f"{definition.name} passed with open item(s) {items}. "
                                  f"Justification: {gate.justification}"))
        elif gate.status is GateStatus.FAILED:
            result.append(Finding(gate.slug, "failed",
                                  f"{definition.name} failed. If skipped: {definition.failure_if_skipped}"))
        elif gate.status is GateStatus.AT_RISK:
            result.append(Finding(gate.slug, "at-risk",
                                  f"{definition.name} is at risk. If skipped: {definition.failure_if_skipped}"))
        elif gate.status is GateStatus.NOT_ASSESSED:
            result.append(Finding(gate.slug, "not-assessed", f"{definition.name} is not assessed yet."))
    return result
