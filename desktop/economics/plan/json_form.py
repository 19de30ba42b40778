"""`ipw plan --json`: the plan as one JSON object, amounts in the display currency with USD beside them.

Every amount `x` appears twice: `x` in the display currency and `xUsd` in US dollars (canonical).
"""

from __future__ import annotations

from typing import Any

from desktop.domain.formatting import DisplayCurrency
from desktop.economics.plan.pricing import HOURS_PER_MONTH
from desktop.economics.plan.types import Candidate, Plan, WorkloadPlan


def _money(key: str, usd: float | None, currency: DisplayCurrency) -> dict[str, float | None]:
    return {key: None if usd is None else currency.from_usd(usd), key + "Usd": usd}


def _candidate(c: Candidate, currency: DisplayCurrency) -> dict[str, Any]:
    return {
        "route": c.route_name, "slug": c.route, "traceRoute": c.trace_route,
        **_money("monthlyCost", c.monthly_cost_usd, currency),
        **_money("monthlyModelCost", c.monthly_model_cost_usd, currency),
        **_money("monthlyReviewCost", c.monthly_review_cost_usd, currency),
        "meetsTarget": c.meets_target, "status": c.status, "allowed": c.allowed, "qualifies": c.qualifies,
        "costShape": c.cost_shape, "measured": c.measured, "basis": c.basis, "rows": c.rows, "rowId": c.row_id,
        "provider": c.provider, "model": c.model, "priceSource": c.price_source,
        **_money("costPerRequest", c.cost_per_request_usd, currency),
        **_money("costPerAcceptedOutput", c.cost_per_accepted_output_usd, currency),
        **_money("reviewCostPerOutput", c.review_cost_per_output_usd, currency),
        "acceptance": c.acceptance, "reviewMinutes": c.review_minutes,
        **_money("reviewerRate", c.reviewer_rate_usd_per_hour, currency),
        "batchDiscount": c.batch_discount, "batchShare": c.batch_share,
        "replicas": c.replicas, "gpusPerReplica": c.gpus_per_replica, **_money("gpuHour", c.gpu_hour_usd, currency),
        "hoursPerMonth": HOURS_PER_MONTH if c.replicas is not None else None,
        "pooled": c.unpooled_monthly_cost_usd is not None,
        **_money("unpooledMonthlyCost", c.unpooled_monthly_cost_usd, currency),
        "reason": c.reason, "statusReasons": list(c.status_reasons), "notes": list(c.notes),
    }


def _workload(w: WorkloadPlan, currency: DisplayCurrency) -> dict[str, Any]:
    chosen = w.candidate(w.route) if w.route else None
    return {
        "workload": w.workload, "volumePerMonth": w.volume_per_month, "route": w.route_name, "routeSlug": w.route,
        "measuredOn": chosen.trace_route if chosen else None,
        "fallback": w.fallback_name, "fallbackSlug": w.fallback, "fallbackReason": w.fallback_reason,
        **_money("monthlyCost", w.monthly_cost_usd, currency),
        **_money("monthlyModelCost", w.monthly_model_cost_usd, currency),
        **_money("monthlyReviewCost", w.monthly_review_cost_usd, currency),
        "costShape": w.cost_shape, "measured": w.measured, "basis": w.basis, "reasons": list(w.reasons),
        "peakFactor": w.peak_factor, "fallbackShare": w.fallback_share,
        **_money("budgetMonthlyCost", w.budget_usd, currency), "budgetBreached": w.budget_breached,
        **_money("baselineMonthlyCost", w.baseline_monthly_cost_usd, currency),
        "candidates": [_candidate(c, currency) for c in w.candidates],
    }


def plan_json(plan: Plan, currency: DisplayCurrency | None = None) -> dict[str, Any]:
    """The whole `ipw plan --json` object; `currency` defaults to the workbook's display currency."""
    currency = currency or plan.currency
    totals = plan.totals
    data: dict[str, Any] = {
        "currency": {"code": currency.code, "perUsd": currency.per_usd, "date": currency.date,
                     "source": currency.source},
        "targetP95Ms": plan.target_p95_ms,
        "hoursPerMonth": HOURS_PER_MONTH,
        "workloads": [_workload(w, currency) for w in plan.workloads],
        "totals": {
            **_money("monthlyCost", totals.monthly_cost_usd, currency),
            **_money("yearlyCost", totals.yearly_cost_usd, currency),
            **_money("baselineMonthlyCost", totals.baseline_monthly_cost_usd, currency),
            **_money("monthlySavings", totals.monthly_savings_usd, currency),
            **_money("budgetMonthlyCost", totals.budget_usd, currency), "budgetBreached": totals.budget_breached,
            "unpricedWorkloads": list(totals.unpriced_workloads),
        },
        "levers": [{"lever": e.lever, "workload": e.workload, "value": e.value,
                    **_money("monthlySaving", e.monthly_saving_usd, currency), "saved": e.saved,
                    "notes": list(e.notes)} for e in plan.levers],
        "waterfall": [{"label": s.label, "kind": s.kind, **_money("amount", s.amount_usd, currency)}
                      for s in plan.waterfall],
        "pooling": [{"route": p.route, "model": p.model, "workloads": list(p.workloads),
                     "replicasPooled": p.replicas_pooled, "replicasUnpooled": p.replicas_unpooled,
                     **_money("monthlyPooled", p.monthly_pooled_usd, currency),
                     **_money("monthlyUnpooled", p.monthly_unpooled_usd, currency)} for p in plan.pooling],
        "assumptions": [{"text": a.text, "source": a.source} for a in plan.assumptions],
        "notes": list(plan.notes),
    }
    if plan.sensitivity is not None:
        s = plan.sensitivity
        data["sensitivity"] = {
            **_money("monthlyCost", s.baseline_total_usd, currency),
            "tornado": [{"input": r.input, "lowLabel": r.low_label, "highLabel": r.high_label,
                         **_money("lowMonthlyCost", r.low_total_usd, currency),
                         **_money("highMonthlyCost", r.high_total_usd, currency),
                         "lowRouteChanges": list(r.low_route_changes),
                         "highRouteChanges": list(r.high_route_changes)} for r in s.rows],
            "volumeRanges": [{"workload": v.workload, "route": v.route, "lowVolume": v.low_volume,
                              "highVolume": v.high_volume, "scannedLow": v.scanned_low,
                              "scannedHigh": v.scanned_high} for v in s.volume_ranges],
        }
    return data
