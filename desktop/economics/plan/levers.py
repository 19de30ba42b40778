"""The plan inputs in their command-line form: levers KIND:WORKLOAD=VALUE ("batch:invoice-review=0.5",
"peak:*=2") and lists of allowed procurement routes."""

from __future__ import annotations

import math

from desktop.domain.errors import FieldError
from desktop.domain.workbook import LEVER_KINDS, PlanLever

LEVER_HELP = ("KIND:WORKLOAD=VALUE, KIND one of batch (share 0-1 moved to the batch lane), cache (target cache hit "
              "rate 0-1), utilization (target slot utilization 0-1 for capacity routes), peak (peak-to-average "
              "factor), acceptance (rate 0-1), review-minutes (per output), fallback-share (share 0-1 of hard cases "
              "sent to the fallback route); WORKLOAD * means every workload")


def parse_lever(text: str, workloads: list[str] | tuple[str, ...] | None = None) -> PlanLever:
    """One lever from its text; `workloads` (the names in scope) resolves the name ignoring case."""
    kind, colon, rest = text.partition(":")
    workload, equals, value_text = rest.rpartition("=")
    kind = kind.strip().casefold()
    if not colon or not equals or not workload.strip() or not value_text.strip():
        raise FieldError("--lever", text, f"must be {LEVER_HELP.split(',')[0]}")
    if kind not in LEVER_KINDS:
        raise FieldError("--lever", text, f"'{kind}' is not a lever (choose one of: {', '.join(LEVER_KINDS)})")
    try:
        value = float(value_text)
    except ValueError:
        raise FieldError("--lever", text, f"'{value_text.strip()}' is not a number") from None
    if not math.isfinite(value):
        raise FieldError("--lever", text, "the value must be a finite number")
    name = workload.strip()
    if name != "*" and workloads is not None:
        match = next((w for w in workloads if w.casefold() == name.casefold()), None)
        if match is None:
            raise FieldError("--lever", text, f"'{name}' is not a workload in scope (choose one of: "
                             f"{', '.join(workloads) or 'none'}, or *)")
        name = match
    return PlanLever(kind, name, value)


def parse_routes(text: str, playbook) -> tuple[str, ...]:
    """Procurement routes by slug or name, comma-separated ("managed-api-only,Owned hardware") -> slugs."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise FieldError("--allow", text, "needs at least one procurement route")
    slugs = []
    for name in names:
        slug = playbook.procurement_route(name).slug
        if slug not in slugs:
            slugs.append(slug)
    return tuple(slugs)
