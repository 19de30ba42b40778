"""Everything the economics layer needs, loaded from a workbook store, and what it makes of it.

`desktop.economics` is pure (no storage, no Qt); this module joins it to storage for the CLI, the GUI and
the exports: it reads the trace rows, saved scenarios, the recommendation override and the catalog with
the workbook's overrides, models the cost of rows without an observed costUsd, and returns the metrics
report and the route recommendation together.
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
from desktop.economics.scenarios import Scenario
from desktop.storage import economics_store
from desktop.storage.workbook_file import WorkbookStore

_UNSET: Any = object()


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
                      reviewer_rate: float | None = _UNSET, target_p95_ms: float | None = _UNSET,
                      problems: Sequence[str] = ()) -> Economics:
    """Metrics and recommendation for trace rows (dicts with `id`) and a workbook.

    `reviewer_rate` and `target_p95_ms` default to the workbook's context; passing them applies to this
    computation only (the CLI's one-off options), the workbook is not changed.
    """
    from desktop.economics.catalog import bundled_catalog

    playbook = playbook or default_playbook()
    catalog = catalog or bundled_catalog()
    problems = list(problems)
    context = workbook.context
    rate = context.reviewer_rate_usd_per_hour if reviewer_rate is _UNSET else reviewer_rate
    target = context.target_p95_ms if target_p95_ms is _UNSET else target_p95_ms
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


@dataclass(frozen=True)
class EconomicsInputs:
    """What a workbook stores for its economics besides the trace rows (see `desktop.storage.economics_store`)."""

    scenarios: tuple[Scenario, ...]
    override: RecommendationOverride | None
    catalog: Catalog
    problems: tuple[str, ...] = ()


def load_inputs(store: WorkbookStore) -> EconomicsInputs:
    """Saved scenarios, the recorded override and the catalog with the workbook's overrides.

    Saved data that no longer validates is left out and named in `problems`, never raised: a workbook must
    still open to be repaired.
    """
    scenario_problems: list[tuple[str, str]] = []
    catalog_problems: list[str] = []
    scenarios = economics_store.list_scenarios(store, scenario_problems)
    catalog = economics_store.workbook_catalog(store, problems=catalog_problems)
    override = economics_store.get_override(store)
    problems = [f"Saved scenario '{name}' cannot be used: {why}" for name, why in scenario_problems]
    problems += [f"A catalog override cannot be used: {why}" for why in catalog_problems]
    return EconomicsInputs(tuple(scenarios), override, catalog, tuple(problems))


def load_economics(store: WorkbookStore, workbook: Workbook, playbook: Playbook | None = None, *,
                   reviewer_rate: float | None = _UNSET, target_p95_ms: float | None = _UNSET,
                   override: RecommendationOverride | None = _UNSET) -> Economics:
    """Read traces, scenarios, the override and the catalog from `store` and compute the economics.

    `override` replaces the recorded one for this computation (e.g. to preview an override).
    """
    inputs = load_inputs(store)
    return compute_economics(store.iter_traces(), workbook, scenarios=inputs.scenarios,
                             override=inputs.override if override is _UNSET else override,
                             catalog=inputs.catalog, playbook=playbook, reviewer_rate=reviewer_rate,
                             target_p95_ms=target_p95_ms, problems=inputs.problems)
