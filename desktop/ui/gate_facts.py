"""The facts the workbook knows that bear on each gate, shown in the gate page's facts panel.

A feature that computes numbers (trace metrics, calculators, the fallback blend) registers a provider for
the gate its numbers bear on; the wizard never changes for it:

    register_gate_facts("utilization-proof", my_provider)

A provider takes the open document and returns facts, or None / an empty list when it has nothing yet,
in which case the panel says so plainly with the gate's "no data yet" text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desktop.ui.document import Document

FACT_STATUSES = ("info", "ok", "warning", "problem")


@dataclass(frozen=True)
class Fact:
    """One line of the panel: a label, its value, and how it reads for the gate."""

    label: str
    value: str
    status: str = "info"  # one of FACT_STATUSES

    def __post_init__(self) -> None:
        if self.status not in FACT_STATUSES:
            raise ValueError(f"fact status must be one of {', '.join(FACT_STATUSES)}, not {self.status!r}")


FactProvider = Callable[["Document"], Sequence[Fact] | None]

# What each gate's panel will show, said while there is nothing to show yet.
NO_DATA_YET: dict[str, str] = {
    "demand-shape": "add the workloads in scope and their forecast monthly volume on the Buyer context page.",
    "utilization-proof": "measured accepted output tokens per second and concurrency appear here once traces "
                         "or benchmark results with those measurements are imported.",
    "memory-and-context-fit": "the memory and context calculator's verdict appears here once it has been run "
                              "for the planned hardware.",
    "operations-maturity": "no figures in the workbook bear on this gate; its checklist carries the evidence.",
    "fallback-economics": "the fallback blend (share routed to the fallback model and its cost per accepted "
                          "output) appears here once the fallback calculator has been run.",
}

_providers: dict[str, list[FactProvider]] = {}


def register_gate_facts(slug: str, provider: FactProvider) -> None:
    """Add `provider` to the gate's panel (registering the same provider twice has no effect)."""
    providers = _providers.setdefault(slug, [])
    if provider not in providers:
        providers.append(provider)


def unregister_gate_facts(slug: str, provider: FactProvider) -> None:
    if provider in _providers.get(slug, []):
        _providers[slug].remove(provider)


def providers_for(slug: str) -> tuple[FactProvider, ...]:
    return tuple(_providers.get(slug, ()))


def no_data_message(slug: str) -> str:
    return "No data yet: " + NO_DATA_YET.get(slug, "nothing in the workbook bears on this gate yet.")


def gate_facts(slug: str, document: Document) -> list[Fact]:
    """All registered providers' facts for the gate; a provider that fails shows as one problem fact."""
    facts: list[Fact] = []
    for provider in providers_for(slug):
        try:
            facts.extend(provider(document) or ())
        except Exception as exc:  # a broken provider must not take the gate page down
            name = getattr(provider, "__name__", "provider")
            facts.append(Fact(f"{name} failed", f"{type(exc).__name__}: {exc}", "problem"))
    return facts


# ---- Demand shape: the workloads in scope and their forecast volumes ---------------------------------

def demand_shape_facts(document: Document) -> list[Fact]:
    context = document.workbook.context
    if not context.workloads:
        return []
    facts = [Fact(f"Workload: {w.name}", f"{w.monthly_requests:,.0f} requests per month",
                  "info" if w.monthly_requests > 0 else "warning") for w in context.workloads]
    total = sum(w.monthly_requests for w in context.workloads)
    facts.append(Fact("Forecast volume in scope", f"{total:,.0f} requests per month ({total / 30:,.0f} per day "
                                                  "on average)", "info" if total > 0 else "warning"))
    if context.target_p95_ms is None:
        facts.append(Fact("Target p95 latency", "not set (Buyer context)", "warning"))
    else:
        facts.append(Fact("Target p95 latency", f"{context.target_p95_ms:,.0f} ms", "info"))
    return facts


register_gate_facts("demand-shape", demand_shape_facts)
