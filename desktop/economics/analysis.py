"""One consistent view of a workbook's economics: metrics, modelled costs and the route recommendation.

Pure (no storage, no Qt): `compute_economics` takes the trace rows and what the workbook stores for its
economics; `desktop.services.economics` loads those from a workbook and calls it, and the exports call it
with the rows they show.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from desktop.domain.errors import DomainError
from desktop.domain.playbook import Playbook
from desktop.domain.workbook import Workbook
from desktop.economics.catalog import Catalog
from desktop.economics.metrics import MetricsReport, compute_metrics
from desktop.economics.pricing import ModelledCost, modelled_costs
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
        return [t.row for t in self.report.traces]


def compute_economics(rows: Iterable[Mapping[str, Any]], workbook: Workbook, *,
                      scenarios: Sequence[Scenario] = (), override: RecommendationOverride | None = None,
                      catalog: Catalog | None = None, playbook: Playbook | None = None,
                      reviewer_rate: float | None = UNSET, target_p95_ms: float | None = UNSET,
                      problems: Sequence[str] = ()) -> Economics:
    """Metrics and recommendation for trace rows (dicts with `id`) and a workbook.

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
    rows = list(rows)
    modelled = modelled_costs(rows, catalog)
    report = compute_metrics(rows, rate, target, fallback_route_name(override, playbook),
                             {row_id: m.cost_usd for row_id, m in modelled.items()})
    recommendation = recommend(workbook, report, scenarios, override, playbook=playbook, catalog=catalog)
    return Economics(workbook, playbook, report, recommendation, tuple(scenarios), override, catalog, modelled,
                     tuple(problems) + recommendation.numbers.notes)
