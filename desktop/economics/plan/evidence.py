"""What the plan prices from: each workload's best row at target per trace route, the catalog prices that
can model a route without rows, GPU-hour prices for capacity routes, and the rule statuses per route.

Gathered once from the metrics report, the recommendation, the catalog and the saved scenarios, so that
pricing a candidate (done many times for levers and sensitivity) is plain arithmetic on small values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from desktop.domain.errors import DomainError
from desktop.domain.playbook import Playbook
from desktop.economics.catalog import Catalog, TokenPrice
from desktop.economics.metrics import MetricsReport, as_number
from desktop.economics.recommend import AVOID, NOT_YET, SUPPORTED, Recommendation
from desktop.economics.scenarios import Scenario, latest, run_scenario

PER_TOKEN_ROUTES = ("managed-api-only", "hosted-open-weight-serverless")
_RANK = {SUPPORTED: 0, NOT_YET: 1, AVOID: 2}
# Catalog GPU-hour rows used for a capacity route when no dedicated/owned scenario is saved: a vendor-run
# dedicated H100 endpoint, and an on-demand single H100 rental for running the engine yourself.
DEFAULT_GPU_HOUR_KEYS = {"dedicated-hosted-endpoint": "together-ai-dedicated-endpoint-h100-sxm",
                         "cloud-gpu-self-hosting": "lambda-on-demand-1x-h100-sxm"}


@dataclass(frozen=True)
class RowFacts:
    """The numbers of one trace row the plan needs (None: not observed)."""

    id: Any
    workload: str
    trace_route: str
    provider: str
    model: str
    cost_usd: float | None  # per request: observed, or modelled from the catalog (see cost_observed)
    cost_observed: bool
    input_tokens: float
    output_tokens: float
    cache_hit_rate: float
    acceptance: float | None
    review_minutes: float | None
    concurrency: float
    ttft_ms: float | None
    p50_ms: float | None
    p95_ms: float | None
    tokens_per_second: float | None
    price: TokenPrice | None  # the catalog's price row for its provider and model


@dataclass(frozen=True)
class GpuPrice:
    usd_per_gpu_hour: float
    gpus_per_replica: int
    source: str


@dataclass(frozen=True)
class RouteInfo:
    slug: str
    name: str
    trace_routes: tuple[str, ...]
    per_token: bool
    status: str  # from the gate/score rules (the per-workload cost rule is the plan's own)
    status_reasons: tuple[str, ...]
    gpu_price: GpuPrice | None = None
    gpu_price_reason: str | None = None


@dataclass(frozen=True)
class PlanEvidence:
    routes: tuple[RouteInfo, ...]
    workloads: tuple[tuple[str, float], ...]  # (name, monthly requests) in scope
    best: Mapping[tuple[str, str], RowFacts]  # (workload, trace route) -> best row at target
    why_none: Mapping[tuple[str, str], str]  # (workload, trace route) -> why there is no best row
    row_counts: Mapping[tuple[str, str], int]
    route_reference: Mapping[str, RowFacts]  # trace route -> a priced row (any workload), for modelling
    reviewer_rate: float | None
    target_p95_ms: float | None
    notes: tuple[str, ...] = field(default=())
    capacity_best: Mapping[tuple[str, str], RowFacts] = field(default_factory=dict)  # GPU-billed trace routes:
    # (workload, trace route) -> the row at target with the most accepted tokens/s (cost is not needed)
    any_row: Mapping[str, RowFacts] = field(default_factory=dict)  # workload -> a row of it (token profile)

    def route(self, slug: str) -> RouteInfo:
        return next(r for r in self.routes if r.slug == slug)

    def profile(self, workload: str) -> RowFacts | None:
        """The workload's own token profile: its cheapest row at target on any trace route."""
        rows = [f for (w, _), f in self.best.items() if w == workload]
        rows.sort(key=lambda f: (_cpa(f) is None, _cpa(f) or 0.0))
        return rows[0] if rows else self.any_row.get(workload)


def _cpa(facts: RowFacts) -> float | None:
    if facts.cost_usd is None or not facts.acceptance:
        return None
    return facts.cost_usd / facts.acceptance


def _rule_statuses(recommendation: Recommendation, rules: Mapping[str, Any]) -> dict[str, tuple[str, tuple]]:
    """Each route's status from the rules except the 'cost measured for every workload' rule, which the plan
    replaces by pricing each workload on its own."""
    per_code: dict[str, dict[str, Any]] = {}
    for entry in rules["routes"]:
        per_code[entry["route"]] = {rule["code"]: rule for rule in entry["rules"]}
    result = {}
    for status in recommendation.statuses:
        if status.status == SUPPORTED:
            result[status.slug] = (SUPPORTED, ())
            continue
        kept = []
        for reason in status.reasons:
            rule = per_code[status.slug].get(reason.code.removesuffix("-unknown"))
            if rule is None or rule["when"].get("number") == "routeCostAtTarget":
                continue
            kept.append((rule["status"], reason.text))
        worst = max((s for s, _ in kept), key=_RANK.__getitem__, default=SUPPORTED)
        result[status.slug] = (worst, tuple(text for _, text in kept))
    return result


def _gpu_price(slug: str, scenarios: Sequence[Scenario], catalog: Catalog,
               notes: list[str]) -> tuple[GpuPrice | None, str | None]:
    if slug == "owned-hardware":
        scenario = latest(scenarios, "owned")
        if scenario is None:
            return None, "no owned-hardware scenario is saved (ipw calc owned ... --save NAME)"
        try:
            result = run_scenario(scenario, catalog)
        except (DomainError, ValueError) as exc:
            notes.append(f"Owned scenario '{scenario.name}' cannot run: {exc}")
            return None, f"the owned-hardware scenario '{scenario.name}' cannot run"
        return GpuPrice(result.usd_per_gpu_hour, 1, f"owned-hardware scenario '{scenario.name}' "
                        f"(${result.usd_per_gpu_hour:,.2f} per GPU-hour)"), None
    scenario = latest(scenarios, "dedicated")
    if scenario is not None:
        price, gpus = as_number(scenario.inputs.get("gpuHourUsd")), scenario.inputs.get("gpus", 1)
        if price is not None:
            return GpuPrice(price, int(gpus or 1), f"dedicated scenario '{scenario.name}' (${price:,.2f} per "
                            f"GPU-hour x {int(gpus or 1)} GPU per replica)"), None
    key = DEFAULT_GPU_HOUR_KEYS.get(slug)
    try:
        entry = catalog.gpu_hour_price(key) if key else None
    except DomainError:
        entry = None
    if entry is None:
        return None, "no GPU-hour price in the catalog or a saved scenario"
    return GpuPrice(entry.usd_per_gpu_hour, 1, f"catalog: {entry.provenance()} (${entry.usd_per_gpu_hour:,.2f} "
                    "per GPU-hour, 1 GPU per replica)"), None


def gather_evidence(report: MetricsReport, recommendation: Recommendation, workloads: Sequence[tuple[str, float]],
                    catalog: Catalog, playbook: Playbook, rules: Mapping[str, Any],
                    scenarios: Sequence[Scenario] = (),
                    modelled_costs: Mapping[Any, float | None] | None = None) -> PlanEvidence:
    """The plan's evidence. A report computed columnar carries its modelled costs in its frame
    (`modelled_costs` is then not read); a report of row dicts takes them from `modelled_costs` by row id."""
    notes: list[str] = []
    statuses = _rule_statuses(recommendation, rules)
    routes = []
    for route in playbook.procurement_routes:
        trace_routes = tuple(r.name for r in playbook.routes if route.slug in route_slugs(r))
        status, reasons = statuses.get(route.slug, (SUPPORTED, ()))
        per_token = route.slug in PER_TOKEN_ROUTES
        price, why = (None, None) if per_token else _gpu_price(route.slug, scenarios, catalog, notes)
        routes.append(RouteInfo(route.slug, route.name, trace_routes, per_token, status, reasons, price, why))

    wanted = {b.row_id: (b.workload, b.route) for b in report.best if b.row_id is not None}
    why_none = {(b.workload, b.route): b.reason or "no row meets the target" for b in report.best
                if b.row_id is None}
    counts: dict[tuple[str, str], int] = {}
    for g in report.groups:
        counts[(g.workload, g.route)] = counts.get((g.workload, g.route), 0) + g.rows
    gpu_billed = set(rules.get("gpuBilledRoutes", ()))
    capacity_routes = {r.name for r in playbook.routes if gpu_billed & set(route_slugs(r))}
    if report.frame is not None:
        best, capacity_best, any_row = _picks_from_frame(report, wanted, capacity_routes, catalog)
    else:
        best, capacity_best, any_row = _picks_from_rows(report, wanted, capacity_routes, catalog,
                                                        modelled_costs or {})
    reference: dict[str, RowFacts] = {}
    for (workload, trace_route), facts in sorted(best.items()) + sorted(capacity_best.items()):
        current = reference.get(trace_route)
        if current is None or (current.price is None and facts.price is not None):
            reference[trace_route] = facts
    return PlanEvidence(tuple(routes), tuple(workloads), best, why_none, counts, reference,
                        report.reviewer_rate_usd_per_hour, report.target_p95_ms, tuple(notes), capacity_best, any_row)


def route_slugs(trace_route: Any) -> tuple[str, ...]:
    return tuple(trace_route.matrix_routes)


def _facts(row: Mapping[str, Any], workload: str, trace_route: str, modelled_cost: float | None,
           catalog: Catalog) -> RowFacts:
    observed = as_number(row.get("costUsd"))
    provider, model = str(row.get("provider") or ""), str(row.get("model") or "")
    return RowFacts(
        id=row.get("id"), workload=workload, trace_route=trace_route, provider=provider, model=model,
        cost_usd=observed if observed is not None else modelled_cost, cost_observed=observed is not None,
        input_tokens=as_number(row.get("inputTokens")) or 0.0, output_tokens=as_number(row.get("outputTokens")) or 0.0,
        cache_hit_rate=as_number(row.get("cacheHitRate")) or 0.0, acceptance=as_number(row.get("acceptedOutputRate")),
        review_minutes=as_number(row.get("reviewMinutes")), concurrency=as_number(row.get("concurrency")) or 1.0,
        ttft_ms=as_number(row.get("ttftMs")), p50_ms=as_number(row.get("latencyP50Ms")),
        p95_ms=as_number(row.get("latencyP95Ms")), tokens_per_second=as_number(row.get("outputTokensPerSecond")),
        price=catalog.find_token_price(provider, model))


_Picks = tuple[dict[tuple[str, str], RowFacts], dict[tuple[str, str], RowFacts], dict[str, RowFacts]]


def _picks_from_frame(report: MetricsReport, wanted: Mapping[Any, tuple[str, str]], capacity_routes: set[str],
                      catalog: Catalog) -> _Picks:
    """The rows the plan keeps, found with column expressions: the best rows at target (by id), per GPU-billed
    (workload, trace route) the first row at target with the most accepted tokens/s, and each workload's first
    row. Only those few rows become dicts."""
    import polars as pl

    from desktop.economics.metrics_frame import number_column, text_column

    frame = report.frame
    target = report.target_p95_ms
    work = frame.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("index"), pl.col("id"),
                        text_column(frame, "workload").alias("workload"), text_column(frame, "route").alias("route"),
                        number_column(frame, "latencyP95Ms").alias("p95"), pl.col("throughputHeadroom"))
    modelled = frame["modelledCostUsd"]

    def facts(index: int, workload: str, trace_route: str) -> RowFacts:
        return _facts(report.traces[index].row, workload, trace_route, modelled[index], catalog)

    best = {}
    if wanted:
        for index, row_id in work.filter(pl.col("id").is_in(list(wanted))).select("index", "id").iter_rows():
            best[wanted[row_id]] = facts(index, *wanted[row_id])
    capacity_best = {}
    if capacity_routes and target is not None:
        at_target = work.filter(pl.col("route").is_in(sorted(capacity_routes)) & (pl.col("p95") <= target)
                                & pl.col("throughputHeadroom").is_not_null())
        top = at_target.group_by(["workload", "route"], maintain_order=True).agg(
            pl.col("index").sort_by(["throughputHeadroom", "index"], descending=[True, False]).first())
        for workload, trace_route, index in top.iter_rows():
            capacity_best[(workload, trace_route)] = facts(index, workload, trace_route)
    firsts = work.unique("workload", keep="first", maintain_order=True).select("index", "workload", "route")
    any_row = {workload: facts(index, workload, trace_route) for index, workload, trace_route in firsts.iter_rows()}
    return best, capacity_best, any_row


def _picks_from_rows(report: MetricsReport, wanted: Mapping[Any, tuple[str, str]], capacity_routes: set[str],
                     catalog: Catalog, modelled: Mapping[Any, float | None]) -> _Picks:
    """The same picks in one pass over a report's row dicts."""
    target = report.target_p95_ms
    best: dict[tuple[str, str], RowFacts] = {}
    capacity: dict[tuple[str, str], tuple[float, Any]] = {}  # key -> (accepted tokens/s, trace)
    first: dict[str, Any] = {}
    for trace in report.traces:  # one pass; only a few rows per (workload, route) are kept
        row = trace.row
        workload, trace_route = str(row.get("workload")), str(row.get("route"))
        first.setdefault(workload, trace)
        if trace.id in wanted:
            best[wanted[trace.id]] = _facts(row, *wanted[trace.id], modelled.get(trace.id), catalog)
        if trace_route in capacity_routes and target is not None:
            p95 = as_number(row.get("latencyP95Ms"))
            headroom = trace.throughput_headroom
            if p95 is not None and p95 <= target and headroom is not None:
                key = (workload, trace_route)
                if key not in capacity or headroom > capacity[key][0]:
                    capacity[key] = (headroom, trace)
    capacity_best = {key: _facts(trace.row, *key, modelled.get(trace.id), catalog)
                     for key, (_, trace) in capacity.items()}
    any_row = {w: _facts(t.row, w, str(t.row.get("route")), modelled.get(t.id), catalog) for w, t in first.items()}
    return best, capacity_best, any_row
