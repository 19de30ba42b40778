"""The monthly cost of one workload on one procurement route, with its parts.

Per-token routes: monthly = volume x cost per accepted output (costUsd / acceptance + review minutes / 60 x
reviewer rate, the seed's formula as `ipw metrics` computes it), split into model spend and review cost.
Capacity routes: the requests actually served (volume / acceptance, rejected outputs are asked again) arrive
at peak at `peak` x the monthly average; the Erlang C replicas calculator sizes the fleet so that 95% of
requests wait no longer than the head-room between the measured p95 and the target p95; the fleet runs
always-on: replicas x GPUs per replica x GPU-hour price x 730 hours, plus the same review cost.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace

from desktop.domain.errors import DomainError
from desktop.domain.workbook import PlanLever
from desktop.economics.calculators.replicas import ReplicasInputs, replicas
from desktop.economics.pricing import request_cost
from desktop.economics.plan.evidence import PlanEvidence, RouteInfo, RowFacts
from desktop.economics.plan.types import CAPACITY, MEASURED, MODELLED, NOT_PRICED, PER_TOKEN, Candidate

HOURS_PER_MONTH = 730.0
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
DEFAULT_PEAK_FACTOR = 3.0
WAIT_PERCENTILE = 0.95


@dataclass(frozen=True)
class Knobs:
    """Whole-plan changes for the sensitivity analysis (1.0 / 0 / None: as entered)."""

    volume_factor: float = 1.0
    token_price_factor: float = 1.0
    gpu_price_factor: float = 1.0
    acceptance_delta: float = 0.0  # added to every acceptance rate (clipped to 0.01..1)
    reviewer_rate_factor: float = 1.0
    utilization: float | None = None  # target utilization for every capacity route


@dataclass(frozen=True)
class WorkloadLevers:
    """The levers in force for one workload (later levers in the list win)."""

    batch: float = 0.0
    cache: float | None = None
    utilization: float | None = None
    peak: float = DEFAULT_PEAK_FACTOR
    acceptance: float | None = None
    review_minutes: float | None = None
    fallback_share: float = 0.0


_FIELDS = {"batch": "batch", "cache": "cache", "utilization": "utilization", "peak": "peak",
           "acceptance": "acceptance", "review-minutes": "review_minutes", "fallback-share": "fallback_share"}


def levers_for(workload: str, levers: Iterable[PlanLever]) -> WorkloadLevers:
    result = WorkloadLevers()
    for lever in levers:
        if lever.applies_to(workload):
            result = replace(result, **{_FIELDS[lever.kind]: float(lever.value)})
    return result


def _not_priced(route: RouteInfo, shape: str, allowed: bool, rows: int, reason: str, **extra) -> Candidate:
    return Candidate(route.slug, route.name, route.trace_routes[0] if route.trace_routes else None, route.status,
                     route.status_reasons, allowed, shape, NOT_PRICED, False, None, None, None, None, rows,
                     reason=reason, **extra)


def _best_facts(evidence: PlanEvidence, workload: str, route: RouteInfo) -> RowFacts | None:
    found = [evidence.best[(workload, t)] for t in route.trace_routes if (workload, t) in evidence.best]
    found.sort(key=lambda f: (f.cost_usd is None, (f.cost_usd or 0.0) / (f.acceptance or 1.0)))
    return found[0] if found else None


def _why_none(evidence: PlanEvidence, workload: str, route: RouteInfo) -> str:
    for trace_route in route.trace_routes:
        why = evidence.why_none.get((workload, trace_route))
        if why:
            return f"{trace_route} rows: {why}"
    return f"no {' or '.join(route.trace_routes)} rows for this workload"


def _modelled_meets(rows: int) -> bool | None:
    """A modelled candidate's latency: unknown, unless this workload's own rows on the route exist and none
    meets the target (then it is measured over the target)."""
    return False if rows else None


def _quality(facts: RowFacts, profile: RowFacts | None, levers: WorkloadLevers, knobs: Knobs,
             evidence: PlanEvidence) -> tuple[float | None, float | None, float | None, str | None]:
    """(acceptance, review minutes, reviewer rate, why not priced)."""
    source = facts if facts.acceptance is not None or profile is None else profile
    acceptance = levers.acceptance if levers.acceptance is not None else source.acceptance
    review = levers.review_minutes if levers.review_minutes is not None else source.review_minutes
    if acceptance is None:
        return None, None, None, "acceptance rate not observed"
    acceptance = min(1.0, max(0.01, acceptance + knobs.acceptance_delta)) if knobs.acceptance_delta else acceptance
    if acceptance <= 0:
        return None, None, None, "no accepted outputs"
    if review is None:
        return None, None, None, "review minutes not observed"
    rate = evidence.reviewer_rate
    if rate is None and review:
        return None, None, None, "no reviewer hourly rate set"
    return acceptance, review, (rate or 0.0) * knobs.reviewer_rate_factor, None


def price_per_token(evidence: PlanEvidence, workload: str, volume: float, route: RouteInfo, allowed: bool,
                    levers: WorkloadLevers, knobs: Knobs) -> Candidate:
    rows = sum(evidence.row_counts.get((workload, t), 0) for t in route.trace_routes)
    facts = _best_facts(evidence, workload, route)
    profile = evidence.profile(workload)
    notes: list[str] = []
    if facts is not None and facts.cost_usd is not None:
        basis = MEASURED if facts.cost_observed else MODELLED
        meets, cost, price = True, facts.cost_usd, facts.price
        tokens = facts
        source = (f"measured costUsd of row {facts.id}" if facts.cost_observed else
                  f"row {facts.id} tokens x catalog price {facts.price.key if facts.price else ''}".strip())
    else:
        reference = next((evidence.route_reference[t] for t in route.trace_routes
                          if t in evidence.route_reference and evidence.route_reference[t].price is not None), None)
        if reference is None or profile is None:
            why = _why_none(evidence, workload, route) if facts is None else f"row {facts.id} has no cost"
            return _not_priced(route, PER_TOKEN, allowed, rows,
                               why + "; no catalog token price on this route to model it from")
        price = reference.price
        tokens = profile
        cost = request_cost(price, profile.input_tokens, profile.output_tokens, profile.cache_hit_rate)
        if cost is None:
            return _not_priced(route, PER_TOKEN, allowed, rows, f"{price.key} publishes no cache read price to "
                               f"model {workload}'s cached input on this route")
        basis, meets, facts = MODELLED, _modelled_meets(rows), profile
        source = (f"modelled: {profile.workload}'s tokens (row {profile.id}) x catalog price {price.key}; "
                  + ("its rows on this route are over the target p95" if rows else
                     "latency not measured on this route"))
    acceptance, review, rate, why = _quality(facts, profile, levers, knobs, evidence)
    if why:
        return _not_priced(route, PER_TOKEN, allowed, rows, why)
    cost *= knobs.token_price_factor
    if levers.cache is not None:
        if price is None or price.cache_read_usd_per_million is None:
            notes.append("cache lever not applied: the catalog has no cache-read price for this route's model")
        else:
            saving = (tokens.input_tokens * (levers.cache - tokens.cache_hit_rate)
                      * (price.input_usd_per_million - price.cache_read_usd_per_million) / 1e6)
            cost = max(0.0, cost - saving * knobs.token_price_factor)
    discount = 0.0
    if levers.batch:
        if price is None or price.batch_input_usd_per_million is None or price.batch_output_usd_per_million is None:
            notes.append("batch lever not applied: the catalog has no batch price for this route's model")
        else:
            full = (tokens.input_tokens * price.input_usd_per_million
                    + tokens.output_tokens * price.output_usd_per_million)
            batch = (tokens.input_tokens * price.batch_input_usd_per_million
                     + tokens.output_tokens * price.batch_output_usd_per_million)
            discount = 1 - batch / full if full else 0.0
    volume *= knobs.volume_factor
    spend = volume * cost / acceptance * (1 - levers.batch * discount)
    review_cost = volume * review / 60 * rate
    return Candidate(route.slug, route.name, facts.trace_route, route.status, route.status_reasons, allowed,
                     PER_TOKEN, basis, basis == MEASURED, spend + review_cost, spend, review_cost, meets, rows,
                     row_id=facts.id, provider=facts.provider, model=facts.model,
                     price_source=price.provenance() if price is not None and basis != MEASURED else source,
                     notes=tuple(notes), cost_per_request_usd=cost, acceptance=acceptance, review_minutes=review,
                     reviewer_rate_usd_per_hour=rate, batch_discount=discount, batch_share=levers.batch)


def price_capacity(evidence: PlanEvidence, workload: str, volume: float, route: RouteInfo, allowed: bool,
                   levers: WorkloadLevers, knobs: Knobs) -> Candidate:
    rows = sum(evidence.row_counts.get((workload, t), 0) for t in route.trace_routes)
    found = [evidence.capacity_best[(workload, t)] for t in route.trace_routes
             if (workload, t) in evidence.capacity_best]
    facts = found[0] if found else None
    profile = evidence.profile(workload)
    if route.gpu_price is None:
        return _not_priced(route, CAPACITY, allowed, rows, route.gpu_price_reason or "no GPU-hour price")
    target = evidence.target_p95_ms
    if target is None:
        return _not_priced(route, CAPACITY, allowed, rows, "no target p95 is set")
    if facts is not None:
        basis, meets, engine, tokens = MEASURED, True, facts, facts
    else:
        engine = next((f for (_, t), f in sorted(evidence.capacity_best.items()) if t in route.trace_routes), None)
        if engine is None or profile is None:
            return _not_priced(route, CAPACITY, allowed, rows,
                               _why_none(evidence, workload, route) + "; no throughput measured on this route")
        basis, meets, tokens = MODELLED, _modelled_meets(rows), profile
    acceptance, review, rate, why = _quality(tokens, profile, levers, knobs, evidence)
    if why:
        return _not_priced(route, CAPACITY, allowed, rows, why)
    if engine.tokens_per_second:
        service = (engine.ttft_ms or 0.0) / 1000 + tokens.output_tokens / engine.tokens_per_second
    elif engine.p50_ms is not None:
        service = engine.p50_ms / 1000
    else:
        return _not_priced(route, CAPACITY, allowed, rows, f"row {engine.id} has no throughput or median latency")
    wait = max(0.0, (target - (engine.p95_ms or target)) / 1000)
    volume *= knobs.volume_factor
    arrival = volume / acceptance / SECONDS_PER_MONTH * levers.peak
    slots = max(1, int(engine.concurrency))
    utilization = knobs.utilization if knobs.utilization is not None else levers.utilization
    load = arrival * service
    notes = []
    if utilization is not None:
        stable = math.ceil((math.floor(load) + 1) / slots)
        count = max(stable, math.ceil(load / (slots * utilization)) if load else 1)
        notes.append(f"sized at a target slot utilization of {utilization:.0%} at peak instead of the wait target")
    else:
        try:
            count = replicas(ReplicasInputs(arrival_rate=arrival, service_time_s=service, slots_per_replica=slots,
                                            p95_wait_s=wait, percentile=WAIT_PERCENTILE)).replicas
        except DomainError as exc:
            return _not_priced(route, CAPACITY, allowed, rows, f"the replicas calculator refuses the load: {exc}")
    gpu = route.gpu_price
    hourly = gpu.usd_per_gpu_hour * knobs.gpu_price_factor
    spend = count * gpu.gpus_per_replica * hourly * HOURS_PER_MONTH
    review_cost = volume * review / 60 * rate
    source = gpu.source if basis == MEASURED else (
        f"{gpu.source}; throughput measured on {engine.workload}'s row {engine.id}, latency not measured for "
        "this workload")
    return Candidate(route.slug, route.name, engine.trace_route, route.status, route.status_reasons, allowed,
                     CAPACITY, basis, basis == MEASURED, spend + review_cost, spend, review_cost, meets, rows,
                     row_id=engine.id, provider=engine.provider, model=engine.model, price_source=source,
                     replicas=count, gpus_per_replica=gpu.gpus_per_replica, gpu_hour_usd=hourly,
                     notes=tuple(notes), sizing=(arrival, service, slots, wait), acceptance=acceptance,
                     review_minutes=review, reviewer_rate_usd_per_hour=rate)


def price_candidate(evidence: PlanEvidence, workload: str, volume: float, route: RouteInfo, allowed: bool,
                    levers: WorkloadLevers, knobs: Knobs = Knobs()) -> Candidate:
    if route.per_token:
        return price_per_token(evidence, workload, volume, route, allowed, levers, knobs)
    return price_capacity(evidence, workload, volume, route, allowed, levers, knobs)
