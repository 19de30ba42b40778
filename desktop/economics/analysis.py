"""One consistent view of a workbook's economics: metrics, modelled costs and the route recommendation.

Pure (no storage, no Qt): `compute_economics` takes the trace rows and what the workbook stores for its
economics; `desktop.services.economics` loads those from a workbook and calls it, and the exports call it
with the rows they show.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from desktop.domain.errors import DomainError
from desktop.domain.playbook import Playbook
from desktop.domain.workbook import Workbook
from desktop.economics.catalog import Catalog, TokenPrice
from desktop.economics.metrics import MetricsReport
from desktop.economics.metrics_frame import compute_metrics_frame, rows_to_frame
from desktop.economics.pricing import ModelledCost, ModelledCosts, modelled_costs_frame
from desktop.economics.recommend import (Recommendation, RecommendationOverride, default_playbook,
                                         fallback_route_name, normalize_override, recommend)
from desktop.economics.scenarios import Scenario, usable

UNSET: Any = object()  # 'use the workbook's value' (None means not known)


@dataclass(frozen=True)
class Economics:
    """One consistent view of a workbook's economics."""

    workbook: Workbook
    playbook: Playbook
    report: MetricsReport
    recommendation: Recommendation
    scenarios: tuple[Scenario, ...]
    override: RecommendationOverride | None
    catalog: Catalog
    modelled: Mapping[Any, ModelledCost] = field(default_factory=dict)
    problems: tuple[str, ...] = ()  # saved data that could not be used, in words

    @property
    def reviewer_rate(self) -> float | None:
        return self.report.reviewer_rate_usd_per_hour

    @property
    def target_p95_ms(self) -> float | None:
        return self.report.target_p95_ms

    def rows(self) -> list[Mapping[str, Any]]:
        """Every row dict: for small callers only (a million rows are a million dicts); read `report.frame`."""
        return [t.row for t in self.report.traces]

    def price_entries_used(self) -> list[TokenPrice]:
        """The catalog token-price rows that priced trace rows without an observed cost, each once."""
        if isinstance(self.modelled, ModelledCosts):
            return self.modelled.price_entries_used()
        by_key = {e.key: e for e in self.catalog.token_prices}
        keys = sorted({m.price_entry for m in self.modelled.values() if m.price_entry in by_key})
        return [by_key[key] for key in keys]


def compute_economics(rows: Iterable[Mapping[str, Any]] | pl.DataFrame, workbook: Workbook, *,
                      scenarios: Sequence[Scenario] = (), override: RecommendationOverride | None = None,
                      catalog: Catalog | None = None, playbook: Playbook | None = None,
                      reviewer_rate: float | None = UNSET, target_p95_ms: float | None = UNSET,
                      problems: Sequence[str] = ()) -> Economics:
    """Metrics and recommendation for trace rows and a workbook: a trace frame (see
    `desktop.storage.trace_frame`), or row dicts with `id` (made into one; `report.traces` hands them back).

    `reviewer_rate` and `target_p95_ms` default to the workbook's context; passing them applies to this
    computation only (the CLI's one-off options), the workbook is not changed.
    """
    from desktop.economics.catalog import bundled_catalog

    playbook = playbook or default_playbook()
    catalog = catalog or bundled_catalog()
    problems = list(problems)
    unusable: list[tuple[str, str]] = []
    scenarios = usable(scenarios, unusable)  # storage keeps scenarios as saved; the calculators check them here
    problems += [f"Saved scenario '{name}' cannot be used: {why}" for name, why in unusable]
    context = workbook.context
    rate = context.reviewer_rate_usd_per_hour if reviewer_rate is UNSET else reviewer_rate
    target = context.target_p95_ms if target_p95_ms is UNSET else target_p95_ms
    try:
        override = normalize_override(override, playbook)
    except DomainError as exc:  # a route renamed or removed by a newer playbook
        problems.append(f"The recorded recommendation override is ignored: {exc}")
        override = None
    if isinstance(rows, pl.DataFrame):
        frame, row_dicts = rows, None
    else:
        row_dicts = list(rows)
        frame = rows_to_frame(row_dicts)
    ids = [row.get("id") for row in row_dicts] if row_dicts is not None else None
    modelled = modelled_costs_frame(frame, catalog, ids)
    report = compute_metrics_frame(frame, rate, target, fallback_route_name(override, playbook), modelled.cost_usd,
                                   rows=row_dicts)
    recommendation = recommend(workbook, report, scenarios, override, playbook=playbook, catalog=catalog)
    return Economics(workbook, playbook, report, recommendation, tuple(scenarios), override, catalog, modelled,
                     tuple(problems) + recommendation.numbers.notes)
