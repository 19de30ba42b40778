"""Fallback blend: what a cheap route really costs once its hard cases go back to the fallback route."""

from __future__ import annotations

from dataclasses import dataclass

from desktop.economics import sources
from desktop.economics.params import Source, inp, out, validate_inputs


@dataclass(frozen=True)
class FallbackInputs:
    fallback_share: float | None = inp(None, "share 0-1", "Share of traffic routed to the fallback route",
                                       required=True, minimum=0, maximum=1)
    primary_cost_usd: float | None = inp(None, "USD per accepted output",
                                         "Cost per accepted output on the primary route", required=True, minimum=0)
    fallback_cost_usd: float | None = inp(None, "USD per accepted output",
                                          "Cost per accepted output on the fallback route", required=True,
                                          minimum=0)

    def __post_init__(self) -> None:
        validate_inputs(self)


@dataclass(frozen=True)
class FallbackResult:
    blended_cost_usd: float = out("USD per accepted output", "Blended cost per accepted output")
    saving_vs_fallback_only_usd: float = out("USD per accepted output", "Saving against the fallback route alone")
    premium_vs_primary_usd: float = out("USD per accepted output", "Premium over the primary route alone")
    notes: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()


def fallback(inputs: FallbackInputs) -> FallbackResult:
    s = inputs.fallback_share
    blended = (1 - s) * inputs.primary_cost_usd + s * inputs.fallback_cost_usd
    notes = []
    if inputs.primary_cost_usd > inputs.fallback_cost_usd:
        notes.append("The primary route costs more per accepted output than its fallback.")
    return FallbackResult(
        blended_cost_usd=blended, saving_vs_fallback_only_usd=inputs.fallback_cost_usd - blended,
        premium_vs_primary_usd=blended - inputs.primary_cost_usd, notes=tuple(notes),
        assumptions=("Each route keeps its own cost per accepted output when the share changes.",
                     "The share counts requests that reach the fallback route, including retries."),
        sources=(sources.FALLBACK_BLEND,))
