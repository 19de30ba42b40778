"""The decision plan: for each workload the cheapest supported, allowed route that meets the target p95, a
different fallback, the monthly cost with its parts and the reasons; totals against the Managed-API-only
baseline; each lever's saving as a step of the waterfall.

Today's recommendation is one input: its gate and score rules decide supported / not-yet / avoid per route.
Its 'cost measured for every workload' rule is replaced by pricing each workload on its own.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from desktop.domain.formatting import DisplayCurrency
from desktop.domain.playbook import Playbook
from desktop.domain.workbook import WORKBOOK_WIDE, PlanLever, PlanSettings, Workbook, merge_levers
from desktop.economics import sources
from desktop.economics.calculators.replicas import ReplicasInputs, replicas
from desktop.economics.catalog import Catalog, bundled_catalog
from desktop.economics.metrics import MetricsReport
from desktop.economics.plan.evidence import PlanEvidence, gather_evidence
from desktop.economics.plan.pricing import (DEFAULT_PEAK_FACTOR, HOURS_PER_MONTH, WAIT_PERCENTILE, Knobs,
                                            levers_for, price_candidate)
from desktop.economics.plan.types import (CAPACITY, MEASURED, NOT_PRICED, Assumption, Candidate,
                                          LeverEffect, Plan, PlanTotals, Pooling, WaterfallStep, WorkloadPlan)
from desktop.economics.recommend import BASELINE, Recommendation, bundled_rules, default_playbook
from desktop.economics.scenarios import Scenario

LEVER_LABELS = {"batch": "Batch eligibility", "cache": "Prompt cache shape",
                "utilization": "Throughput and utilization",
                "peak": "Queueing and tail latency", "acceptance": "Quality-adjusted cost (acceptance)",
                "review-minutes": "Quality-adjusted cost (review minutes)",
                "fallback-share": "Quality-adjusted cost (hard cases to fallback)"}


@dataclass(frozen=True)
class Priced:
    """One pricing of every workload (the plan without the lever and sensitivity bookkeeping)."""

    workloads: tuple[WorkloadPlan, ...]
    pooling: tuple[Pooling, ...]
    total_usd: float | None
    unpriced: tuple[str, ...]


def currency_of(workbook: Workbook) -> DisplayCurrency:
    """The workbook's display currency (the context stores USD per unit; DisplayCurrency units per USD)."""
    context = workbook.context
    return DisplayCurrency.from_fx_to_usd(context.currency, context.fx_to_usd, context.fx_date, context.fx_source)


def _allowed(settings: PlanSettings, workload: str) -> set[str] | None:
    allowed: set[str] | None = None
    for name in (WORKBOOK_WIDE, workload):
        constraint = settings.constraint(name)
        if constraint is not None and constraint.allowed_routes is not None:
            routes = set(constraint.allowed_routes)
            allowed = routes if allowed is None else allowed & routes
    return allowed


def _rank(candidate: Candidate) -> tuple:
    # latency measured at target before modelled; then cheapest
    return (candidate.meets_target is not True, candidate.monthly_cost_usd)


def _exclusion(candidate: Candidate) -> str:
    if not candidate.priced:
        return f"{candidate.route_name}: not priced ({candidate.reason})"
    if not candidate.allowed:
        return f"{candidate.route_name}: not allowed by the workbook's constraints"
    if candidate.status != "supported":
        why = "; ".join(reason.rstrip(".") for reason in candidate.status_reasons[:2])
        return f"{candidate.route_name}: rated {candidate.status} by the rules" + (f" ({why})" if why else "")
    if candidate.meets_target is False:
        return f"{candidate.route_name}: over the target p95"
    return f"{candidate.route_name}: does not qualify"


def _describe(candidate: Candidate) -> str:
    if candidate.basis == MEASURED:
        where = f"measured on {candidate.rows} {candidate.trace_route} row(s)"
    else:
        where = f"modelled ({candidate.price_source})"
    shape = ("per token" if candidate.cost_shape != CAPACITY else
             f"capacity: {candidate.replicas} replica(s) x {candidate.gpus_per_replica} GPU, always-on")
    return f"{candidate.route_name}, {shape}, {where}"


def _choose(name: str, volume: float, candidates: list[Candidate], levers, settings: PlanSettings) -> WorkloadPlan:
    ranked = sorted((c for c in candidates if c.qualifies), key=_rank)
    chosen = ranked[0] if ranked else None
    fallback = ranked[1] if len(ranked) > 1 else None
    reasons: list[str] = []
    fallback_reason = None
    if chosen is None:
        reasons.append("No route qualifies (supported by the rules, allowed, priced and meeting the target p95).")
        reasons += [_exclusion(c) for c in candidates]
    else:
        reasons.append(f"Chosen: {_describe(chosen)}; the cheapest supported, allowed route meeting the target p95.")
        cheaper = [c for c in candidates if c is not chosen and not c.qualifies and c.priced
                   and c.monthly_cost_usd < chosen.monthly_cost_usd]
        reasons += [f"Cheaper but excluded: {_exclusion(c)}" for c in cheaper]
        reasons += [f"Cheaper but only modelled (latency not measured at the target p95): {c.route_name}; "
                    "measured routes come first" for c in ranked[1:]
                    if c.meets_target is None and c.monthly_cost_usd < chosen.monthly_cost_usd]
        if fallback is not None:
            reasons.append(f"Fallback: {_describe(fallback)}.")
        else:
            others = [c for c in candidates if c is not chosen]
            fallback_reason = "No other route qualifies. " + "; ".join(_exclusion(c) for c in others)
            reasons.append("No fallback: " + fallback_reason)
        reasons += [note for note in chosen.notes]
    monthly = model = review = None
    share = levers.fallback_share if chosen is not None and fallback is not None else 0.0
    if chosen is not None:
        monthly, model, review = chosen.monthly_cost_usd, chosen.monthly_model_cost_usd, chosen.monthly_review_cost_usd
        if share:
            monthly = (1 - share) * monthly + share * fallback.monthly_cost_usd
            model = (1 - share) * model + share * fallback.monthly_model_cost_usd
            review = (1 - share) * review + share * fallback.monthly_review_cost_usd
            reasons.append(f"{share:.0%} of the cases (the hard ones) go to the fallback route.")
        elif levers.fallback_share:
            reasons.append("The fallback-share lever is not applied: there is no fallback route.")
    constraint = settings.constraint(name)
    budget = constraint.monthly_budget_usd if constraint is not None else None
    breached = budget is not None and monthly is not None and monthly > budget
    if breached:
        reasons.append("The monthly cost is over this workload's budget.")
    return WorkloadPlan(
        workload=name, volume_per_month=volume, route=chosen.route if chosen else None,
        route_name=chosen.route_name if chosen else None, fallback=fallback.route if fallback else None,
        fallback_name=fallback.route_name if fallback else None, monthly_cost_usd=monthly,
        monthly_model_cost_usd=model, monthly_review_cost_usd=review,
        cost_shape=chosen.cost_shape if chosen else None, basis=chosen.basis if chosen else NOT_PRICED,
        measured=chosen.measured if chosen else False, reasons=tuple(reasons), candidates=tuple(candidates),
        peak_factor=levers.peak, budget_usd=budget, budget_breached=breached, fallback_share=share,
        fallback_reason=fallback_reason if chosen is not None else "No route qualifies, so there is no fallback.")


def _pool(plans: list[WorkloadPlan]) -> tuple[list[WorkloadPlan], list[Pooling]]:
    """Workloads whose chosen capacity route runs the same model share one deployment: one Erlang C fleet
    for their summed peak arrivals (service time weighted by arrivals), its cost split by offered load."""
    groups: dict[tuple[str, str], list[int]] = {}
    for i, plan in enumerate(plans):
        chosen = plan.candidate(plan.route) if plan.route else None
        if chosen is not None and chosen.cost_shape == CAPACITY and chosen.sizing and chosen.model:
            groups.setdefault((chosen.route, f"{chosen.provider} {chosen.model}"), []).append(i)
    pooling = []
    for (route, model), members in groups.items():
        if len(members) < 2:
            continue
        chosen = [plans[i].candidate(route) for i in members]
        arrival = sum(c.sizing[0] for c in chosen)
        load = sum(c.sizing[0] * c.sizing[1] for c in chosen)
        slots = min(c.sizing[2] for c in chosen)
        wait = min(c.sizing[3] for c in chosen)
        try:
            count = replicas(ReplicasInputs(arrival_rate=arrival, service_time_s=load / arrival if arrival else 1.0,
                                            slots_per_replica=slots, p95_wait_s=wait,
                                            percentile=WAIT_PERCENTILE)).replicas
        except ValueError:
            continue
        unpooled_replicas = sum(c.replicas for c in chosen)
        if count >= unpooled_replicas:
            continue
        per_replica = chosen[0].gpus_per_replica * chosen[0].gpu_hour_usd * HOURS_PER_MONTH
        pooled_total = count * per_replica
        for i, c in zip(members, chosen):
            share = (c.sizing[0] * c.sizing[1] / load) if load else 1 / len(members)
            spend = pooled_total * share
            pooled = replace(c, monthly_model_cost_usd=spend, monthly_cost_usd=spend + c.monthly_review_cost_usd,
                             unpooled_monthly_cost_usd=c.monthly_cost_usd,
                             notes=c.notes + (f"pooled with {', '.join(plans[j].workload for j in members if j != i)}"
                                              f" on one deployment of {model}",))
            plan = plans[i]
            difference = pooled.monthly_cost_usd - c.monthly_cost_usd
            candidates = tuple(pooled if x.route == route else x for x in plan.candidates)
            kept = 1 - plan.fallback_share  # the share of the cases the chosen route serves
            plans[i] = replace(plan, candidates=candidates,
                               monthly_cost_usd=plan.monthly_cost_usd + difference * kept,
                               monthly_model_cost_usd=plan.monthly_model_cost_usd + difference * kept,
                               reasons=plan.reasons + (f"Shares one {pooled.route_name} deployment of {model} with "
                                                       f"{', '.join(plans[j].workload for j in members if j != i)}: "
                                                       f"{count} replica(s) pooled instead of {unpooled_replicas}.",))
        pooling.append(Pooling(route, model, tuple(plans[i].workload for i in members), count, unpooled_replicas,
                               pooled_total, sum(c.monthly_model_cost_usd for c in chosen)))
    return plans, pooling


def choose_for(evidence: PlanEvidence, settings: PlanSettings, levers: Sequence[PlanLever], name: str,
               volume: float, knobs: Knobs = Knobs()) -> WorkloadPlan:
    """One workload priced on every route at `volume`, and its route and fallback chosen (no pooling)."""
    allowed = _allowed(settings, name)
    wl = levers_for(name, levers)
    candidates = [price_candidate(evidence, name, volume, route, allowed is None or route.slug in allowed, wl, knobs)
                  for route in evidence.routes]
    return _choose(name, volume, candidates, wl, settings)


def price_plan(evidence: PlanEvidence, settings: PlanSettings, levers: Sequence[PlanLever] = (),
               knobs: Knobs = Knobs(), volumes: Mapping[str, float] | None = None) -> Priced:
    """Price every workload in scope on every route and choose; `volumes` replaces forecast volumes."""
    plans = [choose_for(evidence, settings, levers, name, volumes.get(name, forecast) if volumes else forecast, knobs)
             for name, forecast in evidence.workloads]
    plans, pooling = _pool(plans)
    unpriced = tuple(p.workload for p in plans if p.monthly_cost_usd is None)
    total = None if unpriced or not plans else sum(p.monthly_cost_usd for p in plans)
    return Priced(tuple(plans), tuple(pooling), total, unpriced)


def baseline_costs(evidence: PlanEvidence, knobs: Knobs = Knobs()) -> dict[str, float | None]:
    """Each workload on Managed API only, priced from its rows or the catalog, without levers."""
    route = evidence.route(BASELINE)
    return {name: price_candidate(evidence, name, volume, route, True, levers_for(name, ()), knobs).monthly_cost_usd
            for name, volume in evidence.workloads}


def baseline_total(evidence: PlanEvidence, knobs: Knobs = Knobs()) -> float | None:
    """The baseline's monthly total; None when a workload cannot be priced on Managed API only."""
    costs = baseline_costs(evidence, knobs)
    if not costs or any(cost is None for cost in costs.values()):
        return None
    return sum(costs.values())


def _difference(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else before - after


def _assumptions(evidence: PlanEvidence, currency: DisplayCurrency,
                 plans: Iterable[WorkloadPlan]) -> tuple[Assumption, ...]:
    items = [
        Assumption("Per-token routes: monthly cost = monthly volume x cost per accepted output (costUsd / "
                   "acceptance rate + review minutes / 60 x reviewer hourly rate).",
                   "playbook recommended metric (resources/playbook.json); ipw metrics"),
        Assumption("Capacity routes run always-on, 730 hours a month; monthly cost = replicas x GPUs per replica x "
                   "GPU-hour price x 730, plus the review cost.", sources.HOURS_PER_MONTH.text()),
        Assumption(f"Replicas from Erlang C (M/M/c, one server per concurrency slot) at the peak arrival rate "
                   f"(peak-to-average factor, default {DEFAULT_PEAK_FACTOR:g}); 95% of requests wait no longer than "
                   "the head-room between the measured p95 and the target p95.", sources.ERLANG_C.text()),
        Assumption("Requests served = monthly volume / acceptance rate (rejected outputs are asked again).",
                   "plan model (desktop/economics/plan/pricing.py)"),
        Assumption("Routes without a measured row for a workload are priced from the catalog (the workload's own "
                   "tokens x the route's token price, or throughput measured on another workload) and marked "
                   "modelled.", "bundled price catalog (resources/catalog/)"),
        Assumption("Baseline: every workload on Managed API only, without levers.", "issue 11; playbook"),
    ]
    for route in evidence.routes:
        if route.gpu_price is not None:
            items.append(Assumption(f"{route.name}: GPU-hour price from {route.gpu_price.source}.",
                                    route.gpu_price.source))
    if not currency.is_usd:
        items.append(Assumption(f"Amounts are computed in USD and shown in {currency.code} at {currency.per_usd:g} "
                                f"{currency.code} per USD" + (f" ({currency.date})" if currency.date else ""),
                                currency.source or "entered by the officer"))
    if evidence.reviewer_rate is not None:
        items.append(Assumption("Reviewer hourly rate as entered in the buyer context.", "workbook buyer context"))
    if any(p.basis != MEASURED and p.route for p in plans):
        items.append(Assumption("At least one chosen route is modelled, not measured: measure it before buying.",
                                "plan model"))
    return tuple(items)


def plan_from_evidence(evidence: PlanEvidence, settings: PlanSettings, currency: DisplayCurrency,
                       extra_levers: Sequence[PlanLever] = (), knobs: Knobs = Knobs(),
                       notes: Sequence[str] = ()) -> Plan:
    """The plan: saved levers with `extra_levers` (this run only) replacing those of the same kind and workload."""
    levers = merge_levers(settings.levers, extra_levers)
    saved = {(lv.kind, lv.workload.casefold(), lv.value) for lv in settings.levers}
    steps = [price_plan(evidence, settings, (), knobs)]
    for i in range(len(levers)):
        steps.append(price_plan(evidence, settings, levers[:i + 1], knobs))
    final = steps[-1]
    per_workload = baseline_costs(evidence, knobs)
    baseline = None if not per_workload or None in per_workload.values() else sum(per_workload.values())
    effects, waterfall = [], [WaterfallStep("Baseline: Managed API only", "start", baseline)]
    route_change = None if baseline is None or steps[0].total_usd is None else steps[0].total_usd - baseline
    waterfall.append(WaterfallStep("Route per workload", "step", route_change))
    for i, lever in enumerate(levers):
        saving = _difference(steps[i].total_usd, steps[i + 1].total_usd)
        lever_notes = tuple(sorted({n for w in steps[i + 1].workloads if lever.applies_to(w.workload)
                                    for n in (w.candidate(w.route).notes if w.route else ()) if "lever" in n}))
        effects.append(LeverEffect(lever.kind, lever.workload, lever.value, saving,
                                   (lever.kind, lever.workload.casefold(), lever.value) in saved, lever_notes))
        target = "every workload" if lever.workload == WORKBOOK_WIDE else lever.workload
        waterfall.append(WaterfallStep(f"{LEVER_LABELS[lever.kind]}: {target} = {lever.value:g}", "step",
                                       None if saving is None else -saving))
    waterfall.append(WaterfallStep("Plan", "end", final.total_usd))
    wide = settings.constraint(WORKBOOK_WIDE)
    budget = wide.monthly_budget_usd if wide is not None else None
    total = final.total_usd
    totals = PlanTotals(
        monthly_cost_usd=total, yearly_cost_usd=None if total is None else total * 12,
        baseline_monthly_cost_usd=baseline, monthly_savings_usd=_difference(baseline, total),
        budget_usd=budget, budget_breached=budget is not None and total is not None and total > budget,
        unpriced_workloads=final.unpriced)
    plan_notes = list(notes) + list(evidence.notes) + list(settings.problems)
    if not evidence.workloads:
        plan_notes.append("No workloads are in scope: add them with their monthly volume (ipw context --workload).")
    if totals.budget_breached:
        plan_notes.append("The plan's monthly total is over the workbook's budget.")
    workloads = tuple(replace(w, baseline_monthly_cost_usd=per_workload.get(w.workload)) for w in final.workloads)
    return Plan(workloads, totals, tuple(effects), tuple(waterfall), final.pooling,
                _assumptions(evidence, currency, workloads), currency, evidence.target_p95_ms,
                notes=tuple(plan_notes))


def build_plan(workbook: Workbook, report: MetricsReport, recommendation: Recommendation, *,
               catalog: Catalog | None = None, scenarios: Sequence[Scenario] = (), playbook: Playbook | None = None,
               rules: Mapping[str, Any] | None = None, modelled_costs: Mapping[Any, float | None] | None = None,
               levers: Sequence[PlanLever] = (), sensitivity: bool = False, progress=None) -> Plan:
    """The decision plan for a workbook, from its metrics report and recommendation (see `Economics`).

    `levers` apply to this computation only, over the saved ones; `sensitivity` adds the tornado rows and
    volume ranges (`progress(done, total)` is called while they are computed, if given).
    """
    playbook = playbook or default_playbook()
    rules = rules or bundled_rules(playbook)
    catalog = catalog or bundled_catalog()
    volumes = [(w.name, w.monthly_requests) for w in workbook.context.workloads]
    evidence = gather_evidence(report, recommendation, volumes, catalog, playbook, rules, scenarios, modelled_costs)
    plan = plan_from_evidence(evidence, workbook.plan, currency_of(workbook), levers)
    if sensitivity:
        from desktop.economics.plan.sensitivity import sensitivity_of
        plan = replace(plan, sensitivity=sensitivity_of(evidence, workbook.plan, plan, levers, progress))
    return plan


def plan_of(economics: Any, workbook: Workbook | None = None, *, levers: Sequence[PlanLever] = (),
            sensitivity: bool = False, progress=None) -> Plan:
    """The plan from an `Economics` (the service layer's bundle of report, recommendation, scenarios, catalog,
    modelled costs and playbook), for callers below the service layer such as the exports.

    `workbook` defaults to the one the economics were computed for.
    """
    return build_plan(workbook or economics.workbook, economics.report, economics.recommendation,
                      catalog=economics.catalog, scenarios=economics.scenarios, playbook=economics.playbook,
                      modelled_costs=None if economics.report.frame is not None else
                      {row_id: m.cost_usd for row_id, m in economics.modelled.items()},
                      levers=levers, sensitivity=sensitivity, progress=progress)


def total_is_sum(plan: Plan) -> bool:
    """The invariant the exports rely on: the total equals the sum of the workloads' monthly costs."""
    if plan.totals.monthly_cost_usd is None:
        return True
    return math.isclose(plan.totals.monthly_cost_usd, sum(w.monthly_cost_usd or 0.0 for w in plan.workloads),
                        rel_tol=1e-9, abs_tol=1e-9)
