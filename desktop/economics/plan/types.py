"""The decision plan's result types: per workload a route, a fallback and a monthly cost, with the totals.

Every amount is USD (the `_usd` suffix); the display currency is applied at the edge (`plan_json`, the
formatter). A cost that cannot be worked out is None with a reason, never 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from desktop.domain.formatting import DisplayCurrency

PER_TOKEN, CAPACITY = "per-token", "capacity"
MEASURED, MODELLED, NOT_PRICED = "measured", "modelled", "not priced"


@dataclass(frozen=True)
class Candidate:
    """One procurement route for one workload: its monthly cost at the forecast volume and whether it qualifies.

    `measured` is True only when the cost rests on an observed costUsd of a row of this workload on this
    route; `basis` says "measured", "modelled" (catalog prices, or throughput measured on another workload)
    or "not priced" (then `reason` says why).
    """

    route: str  # procurement route slug
    route_name: str
    trace_route: str | None  # the trace route whose rows it rests on
    status: str  # supported | not-yet | avoid (the recommendation rules, per workload)
    status_reasons: tuple[str, ...]
    allowed: bool
    cost_shape: str  # per-token | capacity
    basis: str  # measured | modelled | not priced
    measured: bool
    monthly_cost_usd: float | None
    monthly_model_cost_usd: float | None  # model spend (per-token) or GPU spend (capacity)
    monthly_review_cost_usd: float | None
    meets_target: bool | None  # None: latency not measured (modelled)
    rows: int  # rows of this workload on the trace route ("measured on N rows")
    row_id: Any = None
    provider: str | None = None
    model: str | None = None
    price_source: str | None = None
    replicas: int | None = None
    gpus_per_replica: int | None = None
    gpu_hour_usd: float | None = None
    unpooled_monthly_cost_usd: float | None = None  # set when the plan pools this deployment
    reason: str | None = None  # why it is not priced or does not qualify
    notes: tuple[str, ...] = ()
    # the per-output figures behind a priced candidate (for live spreadsheet formulas and the GUI):
    cost_per_request_usd: float | None = None  # model spend per request, cache lever and price knob applied
    acceptance: float | None = None
    review_minutes: float | None = None
    reviewer_rate_usd_per_hour: float | None = None
    batch_discount: float = 0.0  # the catalog's batch discount for this model (0 when it has none)
    batch_share: float = 0.0
    # capacity routes: (peak arrivals/s, service time s, slots per replica, queue-wait target s) for pooling
    sizing: tuple[float, float, int, float] | None = None

    @property
    def cost_per_accepted_output_usd(self) -> float | None:
        """Per-token routes: model spend per accepted output (batch applied) plus review per output."""
        if self.cost_per_request_usd is None or not self.acceptance or self.review_minutes is None:
            return None
        return (self.cost_per_request_usd / self.acceptance * (1 - self.batch_share * self.batch_discount)
                + self.review_minutes / 60 * (self.reviewer_rate_usd_per_hour or 0.0))

    @property
    def review_cost_per_output_usd(self) -> float | None:
        if self.review_minutes is None:
            return None
        return self.review_minutes / 60 * (self.reviewer_rate_usd_per_hour or 0.0)

    @property
    def priced(self) -> bool:
        return self.monthly_cost_usd is not None

    @property
    def qualifies(self) -> bool:
        """Supported, allowed, priced and not measured over the target p95."""
        return self.status == "supported" and self.allowed and self.priced and self.meets_target is not False


@dataclass(frozen=True)
class WorkloadPlan:
    workload: str
    volume_per_month: float
    route: str | None  # slug of the chosen route; None when no route qualifies
    route_name: str | None
    fallback: str | None
    fallback_name: str | None
    monthly_cost_usd: float | None
    monthly_model_cost_usd: float | None
    monthly_review_cost_usd: float | None
    cost_shape: str | None
    basis: str  # measured | modelled | not priced
    measured: bool
    reasons: tuple[str, ...]
    candidates: tuple[Candidate, ...]
    peak_factor: float
    budget_usd: float | None = None
    budget_breached: bool = False
    fallback_share: float = 0.0  # share of hard cases sent to the fallback (quality lever)
    fallback_reason: str | None = None  # why there is no fallback
    baseline_monthly_cost_usd: float | None = None  # this workload on Managed API only, without levers

    def candidate(self, route: str) -> Candidate | None:
        return next((c for c in self.candidates if c.route == route), None)


@dataclass(frozen=True)
class PlanTotals:
    monthly_cost_usd: float | None  # None when a workload in scope has no priced route
    yearly_cost_usd: float | None
    baseline_monthly_cost_usd: float | None
    monthly_savings_usd: float | None
    budget_usd: float | None = None  # the workbook-wide cap
    budget_breached: bool = False
    unpriced_workloads: tuple[str, ...] = ()


@dataclass(frozen=True)
class LeverEffect:
    """One lever's what-if: its monthly saving against the plan before it (levers apply in order)."""

    lever: str  # kind
    workload: str  # a workload name or "*"
    value: float
    monthly_saving_usd: float | None
    saved: bool  # stored in the workbook (else this run only)
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class WaterfallStep:
    """baseline (kind "start"), route choice and one step per lever ("step"), plan ("end")."""

    label: str
    kind: str  # start | step | end
    amount_usd: float | None  # start/end: the total; step: the change (negative = saving)


@dataclass(frozen=True)
class Pooling:
    """Workloads on one capacity route with the same model, sharing one deployment."""

    route: str
    model: str
    workloads: tuple[str, ...]
    replicas_pooled: int
    replicas_unpooled: int
    monthly_pooled_usd: float
    monthly_unpooled_usd: float


@dataclass(frozen=True)
class Assumption:
    text: str
    source: str


@dataclass(frozen=True)
class SensitivityRow:
    """One input moved down and up: the plan total at each end and the workloads whose route changes."""

    input: str
    low_label: str
    high_label: str
    low_total_usd: float | None
    high_total_usd: float | None
    low_route_changes: tuple[str, ...]
    high_route_changes: tuple[str, ...]

    @property
    def swing_usd(self) -> float:
        if self.low_total_usd is None or self.high_total_usd is None:
            return 0.0
        return abs(self.high_total_usd - self.low_total_usd)


@dataclass(frozen=True)
class VolumeRange:
    """The monthly volumes between which the workload's chosen route stays the cheapest qualifying one.

    None at an end means it holds beyond the scanned range (`scanned_low` / `scanned_high`).
    """

    workload: str
    route: str | None
    low_volume: float | None
    high_volume: float | None
    scanned_low: float
    scanned_high: float


@dataclass(frozen=True)
class Sensitivity:
    baseline_total_usd: float | None
    rows: tuple[SensitivityRow, ...]  # largest swing first (the tornado's order)
    volume_ranges: tuple[VolumeRange, ...]


@dataclass(frozen=True)
class Plan:
    workloads: tuple[WorkloadPlan, ...]
    totals: PlanTotals
    levers: tuple[LeverEffect, ...]
    waterfall: tuple[WaterfallStep, ...]
    pooling: tuple[Pooling, ...]
    assumptions: tuple[Assumption, ...]
    currency: DisplayCurrency
    target_p95_ms: float | None
    sensitivity: Sensitivity | None = None
    notes: tuple[str, ...] = ()

    def workload(self, name: str) -> WorkloadPlan | None:
        return next((w for w in self.workloads if w.workload.casefold() == name.casefold()), None)
