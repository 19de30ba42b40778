"""Route recommendation: each procurement route's status from the rule table, and the route to buy.

The rules live in resources/recommendation_rules.json so the officer (and an auditor) can read what makes a
route supported, not-yet or avoid; this module only evaluates them against the workbook's gate verdicts,
readiness scores and numbers, and writes each reason as a sentence naming the gate, score or number.
Managed API only is the baseline and is always supported, so there is always a recommendation.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from desktop import paths
from desktop.domain.economics_records import RecommendationOverride
from desktop.domain.errors import DomainError, FieldError
from desktop.domain.formatting import NOT_KNOWN, NOT_OBSERVED, format_money, format_percent
from desktop.domain.playbook import Playbook
from desktop.domain.workbook import GateStatus, Workbook
from desktop.economics.catalog import Catalog
from desktop.economics.metrics import MetricsReport
from desktop.economics.scenarios import Scenario, latest, run_scenario

SUPPORTED, NOT_YET, AVOID = "supported", "not-yet", "avoid"
BASELINE = "managed-api-only"
_STATUS_RANK = {SUPPORTED: 0, NOT_YET: 1, AVOID: 2}
_NUMBERS = {"measuredUtilization", "memoryFits", "routeCostAtTarget"}
_LIMITS = {"dedicatedBreakEvenUtilization", "ownedBreakEvenUtilization"}


class RulesError(DomainError):
    """The rule table is malformed or names a gate, score or route the playbook does not have."""


@dataclass(frozen=True)
class Reason:
    code: str
    text: str


@dataclass(frozen=True)
class RouteCost:
    """Cost per accepted output at target p95, weighted by each workload's forecast monthly volume."""

    slug: str
    cost: float | None
    per_workload: tuple[tuple[str, float | None, str | None], ...]  # (workload, cost, why none)
    missing: tuple[str, ...]  # workloads without a cost at target


@dataclass(frozen=True)
class RouteNumbers:
    measured_utilization: float | None
    utilization_rows: int
    dedicated_break_even_utilization: float | None
    dedicated_scenario: str | None
    owned_break_even_utilization: float | None
    owned_scenario: str | None
    memory_fits: bool | None
    memory_verdict: str | None
    memory_scenario: str | None
    route_costs: Mapping[str, RouteCost]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RouteStatus:
    slug: str
    route: str
    stage: str
    status: str
    reasons: tuple[Reason, ...]
    cost_at_target: float | None

    def to_json(self) -> dict[str, Any]:
        return {"slug": self.slug, "route": self.route, "status": self.status,
                "reasons": [{"code": r.code, "text": r.text} for r in self.reasons]}


@dataclass(frozen=True)
class Recommendation:
    route: str  # slug of the route to buy (the override's when there is one)
    route_name: str
    computed_route: str  # slug the rules chose
    fallback: str
    fallback_name: str
    override: RecommendationOverride | None
    basis: tuple[Reason, ...]
    statuses: tuple[RouteStatus, ...]
    numbers: RouteNumbers

    def status(self, slug: str) -> RouteStatus:
        return next(s for s in self.statuses if s.slug == slug)

    def to_json(self, detail: bool = False) -> dict[str, Any]:
        """`recommendation` as `ipw metrics --json` prints it (routes by name, as in `statuses`)."""
        override = None
        if self.override is not None and self.override.route is not None:
            override = {"route": self.route_name, "slug": self.route, "reason": self.override.reason,
                        "replaces": self.status(self.computed_route).route}
        data = {"route": self.route_name, "fallback": self.fallback_name, "override": override,
                "statuses": [s.to_json() for s in self.statuses]}
        if detail:
            data["basis"] = [{"code": r.code, "text": r.text} for r in self.basis]
        return data


# ---------------------------------------------------------------------------------------------- rule table

def load_rules_file(path: Path, playbook: Playbook) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RulesError(f"cannot read the rule table {path}: {exc}") from None
    check_rules(data, playbook)
    return data


def check_rules(data: Any, playbook: Playbook) -> None:
    """Refuse a table that would mislead: unknown names, bad statuses, or a blocked baseline."""
    if not isinstance(data, dict) or not isinstance(data.get("routes"), list):
        raise RulesError("the rule table must be an object with a list of routes")
    gates = {g.slug for g in playbook.gates}
    dims = {d.slug for d in playbook.readiness}
    routes = {r.slug for r in playbook.procurement_routes}
    seen = set()
    for i, entry in enumerate(data["routes"]):
        where = f"routes[{i}]"
        slug = entry.get("route") if isinstance(entry, dict) else None
        if slug not in routes:
            raise RulesError(f"{where}.route: '{slug}' is not a procurement route")
        seen.add(slug)
        rules = entry.get("rules")
        if not isinstance(rules, list):
            raise RulesError(f"{where}.rules: must be a list")
        if slug == BASELINE and rules:
            raise RulesError(f"{where}: the baseline route must stay reachable, so it takes no blocking rules")
        for j, rule in enumerate(rules):
            here = f"{where}.rules[{j}]"
            if not isinstance(rule, dict):
                raise RulesError(f"{here}: must be an object")
            for key in ("code", "text", "okText"):
                if not isinstance(rule.get(key), str) or not rule[key]:
                    raise RulesError(f"{here}.{key}: must be non-empty text")
            if rule.get("status") not in (NOT_YET, AVOID):
                raise RulesError(f"{here}.status: must be not-yet or avoid")
            when = rule.get("when")
            if not isinstance(when, dict):
                raise RulesError(f"{here}.when: must be an object")
            if "gate" in when:
                if when["gate"] not in gates:
                    raise RulesError(f"{here}.when.gate: '{when['gate']}' is not a gate")
                values = when.get("in", when.get("notIn"))
                if not isinstance(values, list) or not set(values) <= {s.value for s in GateStatus}:
                    raise RulesError(f"{here}.when: needs 'in' or 'notIn' with gate statuses")
            elif "score" in when:
                if when["score"] not in dims:
                    raise RulesError(f"{here}.when.score: '{when['score']}' is not a readiness dimension")
            elif when.get("number") not in _NUMBERS:
                raise RulesError(f"{here}.when: needs a gate, score or number ({', '.join(sorted(_NUMBERS))})")
            elif isinstance(when.get("below"), str) and when["below"] not in _LIMITS:
                raise RulesError(f"{here}.when.below: '{when['below']}' is not a known number")
    missing = routes - seen
    if missing:
        raise RulesError(f"the rule table has no entry for: {', '.join(sorted(missing))}")


@cache
def _bundled_rules_text() -> str:
    return paths.resource("recommendation_rules.json").read_text(encoding="utf-8")


def bundled_rules(playbook: Playbook | None = None) -> dict[str, Any]:
    """The bundled rule table, checked against the playbook (read from disk once per process)."""
    data = json.loads(_bundled_rules_text())
    check_rules(data, playbook or default_playbook())
    return data


def default_playbook() -> Playbook:
    from desktop.resources import playbook
    return playbook()


# ---------------------------------------------------------------------------------------------- numbers

def _weights(workbook: Workbook, metrics: MetricsReport | None) -> dict[str, float]:
    """Forecast monthly volume per workload in scope; equal weights when no volume is forecast."""
    scoped = {w.name: w.monthly_requests for w in workbook.context.workloads}
    if scoped and any(v > 0 for v in scoped.values()):
        return {name: v for name, v in scoped.items() if v > 0}
    if scoped:
        return {name: 1.0 for name in scoped}
    return {w.workload: 1.0 for w in (metrics.workloads if metrics else ())}


def route_cost(slug: str, playbook: Playbook, workbook: Workbook, metrics: MetricsReport | None) -> RouteCost:
    trace_routes = [r.name for r in playbook.routes if slug in r.matrix_routes]
    weights = _weights(workbook, metrics)
    per, missing = [], []
    for workload in weights:
        best, reason = None, "no trace rows on this route"
        for trace_route in trace_routes:
            found = metrics.best_at_target(workload, trace_route) if metrics else None
            if found is None:
                continue
            if found.cost_per_accepted_output is not None and (
                    best is None or found.cost_per_accepted_output < best):
                best, reason = found.cost_per_accepted_output, None
            elif best is None:
                reason = found.reason
        per.append((workload, best, reason))
        if best is None:
            missing.append(workload)
    cost = None
    if weights and not missing:
        cost = sum(weights[w] * c for w, c, _ in per) / sum(weights.values())
    return RouteCost(slug, cost, tuple(per), tuple(missing))


def _safe_run(scenario: Scenario | None, catalog: Catalog | None, notes: list[str]) -> Any:
    if scenario is None:
        return None
    try:
        return run_scenario(scenario, catalog)
    except (DomainError, ValueError) as exc:
        notes.append(f"Scenario '{scenario.name}' ({scenario.kind}) cannot run: {exc}")
        return None


def route_numbers(workbook: Workbook, metrics: MetricsReport | None, scenarios: Sequence[Scenario] = (),
                  playbook: Playbook | None = None, rules: Mapping[str, Any] | None = None,
                  catalog: Catalog | None = None) -> RouteNumbers:
    """The numbers the rules compare: measured utilization, break-evens, memory fit, costs at target."""
    playbook = playbook or default_playbook()
    rules = rules or bundled_rules(playbook)
    gpu_routes = set(rules.get("gpuBilledRoutes", ()))
    gpu_trace_routes = {r.name for r in playbook.routes if gpu_routes & set(r.matrix_routes)}
    total = rows = 0.0
    for measures in (metrics.routes if metrics else ()):
        if measures.route in gpu_trace_routes and measures.gpu_utilization is not None:
            total += measures.gpu_utilization * measures.gpu_utilization_rows
            rows += measures.gpu_utilization_rows
    notes: list[str] = []
    dedicated_s, owned_s, memory_s = (latest(scenarios, k) for k in ("dedicated", "owned", "memory"))
    dedicated_r = _safe_run(dedicated_s, catalog, notes)
    owned_r = _safe_run(owned_s, catalog, notes)
    memory_r = _safe_run(memory_s, catalog, notes)
    return RouteNumbers(
        measured_utilization=total / rows if rows else None, utilization_rows=int(rows),
        dedicated_break_even_utilization=dedicated_r.break_even_utilization if dedicated_r else None,
        dedicated_scenario=dedicated_s.name if dedicated_s else None,
        owned_break_even_utilization=owned_r.break_even_utilization if owned_r else None,
        owned_scenario=owned_s.name if owned_s else None,
        memory_fits=memory_r.fits if memory_r else None, memory_verdict=memory_r.verdict if memory_r else None,
        memory_scenario=memory_s.name if memory_s else None,
        route_costs={r.slug: route_cost(r.slug, playbook, workbook, metrics) for r in playbook.procurement_routes},
        notes=tuple(notes))


# ---------------------------------------------------------------------------------------------- evaluation

def _pct(value: float | None) -> str:
    return format_percent(value, missing=NOT_OBSERVED)  # a utilization no trace recorded


def _cost_text(cost: RouteCost) -> str:
    if cost.cost is not None:
        return f"{format_money(cost.cost)} per accepted output (forecast-weighted)"
    if not cost.per_workload:
        return "no workloads in scope and no traces"
    return "; ".join(f"{w}: {why}" for w, c, why in cost.per_workload if c is None)


def _evaluate(rule: Mapping[str, Any], slug: str, route_name: str, workbook: Workbook, playbook: Playbook,
              numbers: RouteNumbers) -> tuple[bool, str, bool]:
    """(triggered, the sentence for this outcome, whether it triggered because a value is not known)."""
    when = rule["when"]
    fill: dict[str, Any] = {"route": route_name}

    def outcome(hit: bool) -> tuple[bool, str, bool]:
        return hit, (rule["text"] if hit else rule["okText"]).format(**fill), False

    def unknown() -> tuple[bool, str, bool]:
        return True, rule.get("unknownText", rule["text"]).format(**fill), True

    if "gate" in when:
        gate = workbook.gates.get(when["gate"])
        status = gate.status if gate else GateStatus.NOT_ASSESSED
        fill.update(gate=playbook.gate(when["gate"]).name, status=status.label.lower())
        return outcome(status.value in when["in"] if "in" in when else status.value not in when["notIn"])
    if "score" in when:
        score = workbook.scores.get(when["score"])
        value = score.score if score else None
        threshold = workbook.context.readiness_threshold if when["below"] == "threshold" else int(when["below"])
        fill.update(dimension=playbook.dimension(when["score"]).name, score=value, threshold=threshold)
        return unknown() if value is None else outcome(value < threshold)
    number = when["number"]
    if number == "routeCostAtTarget":
        cost = numbers.route_costs[slug]
        fill["value"] = _cost_text(cost)
        return outcome(cost.cost is None)
    if number == "memoryFits":
        verdict = numbers.memory_verdict or ""
        if numbers.memory_scenario:
            verdict = f"scenario '{numbers.memory_scenario}': {verdict}"
        fill["value"] = verdict
        return unknown() if numbers.memory_fits is None else outcome(numbers.memory_fits == when["is"])
    value = numbers.measured_utilization
    below = when["below"]
    limit = below if not isinstance(below, str) else (
        numbers.dedicated_break_even_utilization if below == "dedicatedBreakEvenUtilization"
        else numbers.owned_break_even_utilization)
    fill.update(value=_pct(value), limit=_pct(limit) if limit is not None else NOT_KNOWN)
    return unknown() if value is None or limit is None else outcome(value < limit)


def route_statuses(workbook: Workbook, numbers: RouteNumbers, playbook: Playbook,
                   rules: Mapping[str, Any]) -> tuple[RouteStatus, ...]:
    by_slug = {entry["route"]: entry for entry in rules["routes"]}
    statuses = []
    for route in playbook.procurement_routes:
        entry = by_slug[route.slug]
        triggered: list[tuple[str, Reason]] = []
        ok: list[Reason] = []
        for rule in entry["rules"]:
            hit, text, unknown = _evaluate(rule, route.slug, route.name, workbook, playbook, numbers)
            if hit:
                code = rule["code"] + ("-unknown" if unknown else "")
                triggered.append((rule["status"], Reason(code, text)))
            else:
                ok.append(Reason(rule.get("okCode") or rule["code"] + "-ok", text))
        cost = numbers.route_costs[route.slug]
        if triggered:
            status = max((s for s, _ in triggered), key=_STATUS_RANK.__getitem__)
            reasons = tuple(r for s, r in sorted(triggered, key=lambda t: -_STATUS_RANK[t[0]]))
        else:
            status = SUPPORTED
            reasons = tuple(ok) or (Reason("baseline", entry.get("supportedText") or f"{route.name} is the "
                                           "baseline."),)
            reasons += (Reason("cost-at-target" if cost.cost is not None else "cost-at-target-unknown",
                               f"Cost per accepted output at the target p95: {_cost_text(cost)}."),)
        statuses.append(RouteStatus(route.slug, route.name, route.stage, status, reasons, cost.cost))
    return tuple(statuses)


def _choose(statuses: Sequence[RouteStatus]) -> tuple[RouteStatus, tuple[Reason, ...]]:
    supported = [s for s in statuses if s.status == SUPPORTED]  # the baseline is always among them
    order = {s.slug: i for i, s in enumerate(statuses)}
    priced = [s for s in supported if s.cost_at_target is not None]
    unpriced = [s.route for s in supported if s.cost_at_target is None]
    if priced:
        best = min(priced, key=lambda s: (s.cost_at_target, order[s.slug]))
        text = (f"{best.route} has the lowest cost per accepted output at the target p95 among the supported "
                f"routes ({format_money(best.cost_at_target)}, weighted by forecast monthly volume).")
        if unpriced:
            text += f" Not compared for lack of a cost at target: {', '.join(unpriced)}."
        return best, (Reason("cheapest-supported", text),)
    best = min(supported, key=lambda s: order[s.slug])
    return best, (Reason("earliest-stage", f"No supported route has a cost per accepted output at the target "
                                           f"p95 for every workload in scope, so the earliest-stage supported "
                                           f"route is recommended: {best.route} ({best.stage})."),)


def normalize_override(override: RecommendationOverride | Mapping[str, Any] | None,
                       playbook: Playbook) -> RecommendationOverride | None:
    """Resolve names to slugs and insist on a reason for a route override."""
    if override is None:
        return None
    if isinstance(override, Mapping):
        override = RecommendationOverride.from_json(override)
    route = playbook.procurement_route(override.route).slug if override.route else None
    fallback = playbook.procurement_route(override.fallback).slug if override.fallback else None
    reason = override.reason.strip()
    if route and not reason:
        raise FieldError("--reason", override.reason, "an override of the recommended route needs a reason")
    if route is None and fallback is None:
        return None
    return RecommendationOverride(route, reason, fallback)


def recommend(workbook: Workbook, metrics: MetricsReport | None, scenarios: Sequence[Scenario] = (),
              override: RecommendationOverride | Mapping[str, Any] | None = None, playbook: Playbook | None = None,
              rules: Mapping[str, Any] | None = None, catalog: Catalog | None = None) -> Recommendation:
    """Statuses of the five procurement routes and the route to buy, with the reasons for each."""
    playbook = playbook or default_playbook()
    rules = rules or bundled_rules(playbook)
    override = normalize_override(override, playbook)
    numbers = route_numbers(workbook, metrics, scenarios, playbook, rules, catalog)
    statuses = route_statuses(workbook, numbers, playbook, rules)
    chosen, basis = _choose(statuses)
    final = chosen
    if override is not None and override.route is not None:
        final = next(s for s in statuses if s.slug == override.route)
        text = f"The officer chose {final.route} instead of {chosen.route}: {override.reason}"
        if final.status != SUPPORTED:
            text += f" (the rules rate {final.route} '{final.status}')"
        basis = basis + (Reason("officer-override", text),)
    fallback_slug = override.fallback if override is not None and override.fallback else BASELINE
    fallback = playbook.procurement_route(fallback_slug)
    return Recommendation(route=final.slug, route_name=final.route, computed_route=chosen.slug,
                          fallback=fallback.slug, fallback_name=fallback.name, override=override, basis=basis,
                          statuses=statuses, numbers=numbers)


def fallback_route_name(override: RecommendationOverride | Mapping[str, Any] | None,
                        playbook: Playbook | None = None) -> str:
    """The fallback route's name for the metrics' groups: Managed API only unless the officer named another."""
    playbook = playbook or default_playbook()
    normalized = normalize_override(override, playbook)
    slug = normalized.fallback if normalized is not None and normalized.fallback else BASELINE
    return playbook.procurement_route(slug).name
