"""The trace kit's five metrics and the playbook's recommended metric, computed from trace rows.

Cost per accepted output follows the seed's formula literally: costUsd / acceptedOutputRate plus the
reviewer time cost (reviewMinutes / 60 x hourly rate), the review cost not divided by the acceptance rate.
Anything not observed stays null with a reason, never a number that looks measured.

`compute_metrics` works on row dicts, one pass in Python: it is the reference the columnar version
(`desktop.economics.metrics_frame.compute_metrics_frame`, what the app computes with) is tested against, and
it serves small in-memory callers. The report types here are shared by both.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

DEFAULT_FALLBACK_ROUTE = "Managed API only"
NO_ACCEPTED_OUTPUTS = "no accepted outputs"


@dataclass(frozen=True, slots=True)
class TraceMetrics:
    id: Any
    row: Mapping[str, Any]
    cost_per_accepted_output: float | None
    cost_reason: str | None  # why the cost is null
    cost_basis: str | None  # "observed" | "modelled" | None
    cache_adjusted_input_burden: float
    throughput_headroom: float | None  # accepted output tokens/s


@dataclass(frozen=True)
class GroupMetrics:
    workload: str
    route: str
    provider: str
    model: str
    p95_latency_ms_by_concurrency: tuple[tuple[float, float], ...]
    best_cost_per_accepted_output_at_target: float | None
    best_row_id: Any
    cache_hit_rate: float | None
    batch_eligible: bool | None
    retry_rate: float | None
    gpu_utilization: float | None
    fallback_route: str
    reason: str | None  # why there is no best cost
    rows: int
    rows_without_p95: int
    rows_over_target: int


@dataclass(frozen=True)
class WorkloadMetrics:
    workload: str
    batch_displacement_share: float
    rows: int
    batch_eligible_rows: int
    max_concurrency: float
    mean_output_tokens: float


@dataclass(frozen=True)
class BestAtTarget:
    """The recommended metric for one workload on one trace route."""

    workload: str
    route: str
    cost_per_accepted_output: float | None
    row_id: Any
    provider: str | None
    model: str | None
    reason: str | None
    rows_without_p95: int


@dataclass(frozen=True)
class RouteMeasures:
    """What the traces measured on one trace route, for the utilization proof."""

    route: str
    rows: int
    gpu_utilization: float | None  # mean over the rows that report it
    gpu_utilization_rows: int
    accepted_tokens_per_second: float | None  # highest throughput headroom measured
    at_concurrency: float | None
    row_id: Any


@dataclass(frozen=True)
class MetricsReport:
    reviewer_rate_usd_per_hour: float | None
    target_p95_ms: float | None
    fallback_route: str
    traces: Sequence[TraceMetrics]  # a tuple here; a lazy view over `frame` from `compute_metrics_frame`
    groups: tuple[GroupMetrics, ...]
    workloads: tuple[WorkloadMetrics, ...]
    best: tuple[BestAtTarget, ...]
    routes: tuple[RouteMeasures, ...]
    # The trace rows with their metric columns (see desktop.economics.metrics_frame), when computed columnar.
    frame: pl.DataFrame | None = field(default=None, repr=False, compare=False)
    _best_index: dict = field(default_factory=dict, repr=False, compare=False)

    def best_at_target(self, workload: str, route: str) -> BestAtTarget | None:
        if not self._best_index:
            self._best_index.update({(b.workload, b.route): b for b in self.best})
        return self._best_index.get((workload, route))

    def route(self, name: str) -> RouteMeasures | None:
        return next((r for r in self.routes if r.route == name), None)

    def trace_entries(self, detail: bool = False) -> Iterator[dict[str, Any]]:
        """Each row's `ipw metrics --json` entry, one at a time (a million rows are written as they come)."""
        for t in self.traces:
            entry = {"id": t.id}
            entry.update((k, _clean(v)) for k, v in t.row.items() if k != "id")
            entry["costPerAcceptedOutput"] = t.cost_per_accepted_output
            entry["cacheAdjustedInputBurden"] = t.cache_adjusted_input_burden
            entry["throughputHeadroom"] = t.throughput_headroom
            if detail:
                entry["costPerAcceptedOutputReason"] = t.cost_reason
                entry["costBasis"] = t.cost_basis
            yield entry

    def to_json(self, detail: bool = False, per_row: bool = True) -> dict[str, Any]:
        """`traces`, `groups` and `workloads` as `ipw metrics --json` prints them; `detail` adds the reasons.
        `per_row=False` (`ipw metrics --summary`) leaves out the arrays with an entry per trace row: `traces`
        and each group's `p95LatencyMsByConcurrency` (a million rows make each of them tens of megabytes)."""
        groups = []
        for g in self.groups:
            entry = {
                "workload": g.workload, "route": g.route, "provider": g.provider, "model": g.model,
                **({"p95LatencyMsByConcurrency": [[_whole(c), ms] for c, ms in g.p95_latency_ms_by_concurrency]}
                   if per_row else {}),
                "bestCostPerAcceptedOutputAtTarget": g.best_cost_per_accepted_output_at_target,
                "bestRowId": g.best_row_id, "cacheHitRate": g.cache_hit_rate, "batchEligible": g.batch_eligible,
                "retryRate": g.retry_rate, "gpuUtilization": g.gpu_utilization, "fallbackRoute": g.fallback_route,
            }
            if detail:
                entry.update(reason=g.reason, rows=g.rows, rowsWithoutP95=g.rows_without_p95,
                             rowsOverTarget=g.rows_over_target)
            groups.append(entry)
        workloads = [{"workload": w.workload, "batchDisplacementShare": w.batch_displacement_share}
                     for w in self.workloads]
        result = {"traces": list(self.trace_entries(detail))} if per_row else {}
        return {**result, "groups": groups, "workloads": workloads}


def metrics_json(report: MetricsReport, recommendation: Any, detail: bool = False) -> dict[str, Any]:
    """The whole `ipw metrics --json` object: the report's keys plus `recommendation`."""
    return {**report.to_json(detail), "recommendation": recommendation.to_json(detail) if recommendation else None}


def _clean(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _whole(value: float) -> float | int:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def as_number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().casefold() in ("true", "yes", "y", "1")
    return bool(value)


def cost_per_accepted_output(cost_usd: float | None, accepted_rate: float | None, review_minutes: float | None,
                             reviewer_rate: float | None) -> tuple[float | None, str | None]:
    """(value, reason it is null). The seed's formula, literally: cost / acceptance + review minutes x rate."""
    if accepted_rate == 0:
        return None, NO_ACCEPTED_OUTPUTS
    missing = [name for name, value in (("costUsd", cost_usd), ("acceptedOutputRate", accepted_rate),
                                        ("reviewMinutes", review_minutes)) if value is None]
    if missing:
        return None, "not observed: " + ", ".join(missing)
    if reviewer_rate is None and review_minutes:
        return None, "no reviewer hourly rate set"
    value = cost_usd / accepted_rate + (review_minutes / 60 * reviewer_rate if review_minutes else 0.0)
    if not math.isfinite(value):
        return None, "not a finite number"
    return value, None


class _Group:
    __slots__ = ("pairs", "best", "best_row", "best_p95", "rows", "no_p95", "over", "fastest", "no_cost_reason")

    def __init__(self) -> None:
        self.pairs: list[tuple[float, float]] = []
        self.best: float | None = None
        self.best_row: Mapping[str, Any] | None = None
        self.best_p95 = math.inf
        self.rows = self.no_p95 = self.over = 0
        self.fastest = math.inf
        self.no_cost_reason: str | None = None

    def add(self, row: Mapping[str, Any], concurrency: float, p95: float | None, cost: float | None,
            cost_reason: str | None, target: float | None) -> None:
        self.rows += 1
        if p95 is None:
            self.no_p95 += 1
            return
        self.pairs.append((concurrency, p95))
        self.fastest = min(self.fastest, p95)
        if target is None:
            return
        if p95 > target:
            self.over += 1
            return
        if cost is None:
            self.no_cost_reason = self.no_cost_reason or cost_reason
            return
        if self.best is None or cost < self.best or (cost == self.best and p95 < self.best_p95):
            self.best, self.best_row, self.best_p95 = cost, row, p95

    def merge(self, other: _Group) -> None:
        self.rows += other.rows
        self.no_p95 += other.no_p95
        self.over += other.over
        self.fastest = min(self.fastest, other.fastest)
        self.no_cost_reason = self.no_cost_reason or other.no_cost_reason
        if other.best is not None and (self.best is None or other.best < self.best or (
                other.best == self.best and other.best_p95 < self.best_p95)):
            self.best, self.best_row, self.best_p95 = other.best, other.best_row, other.best_p95

    def reason(self, target: float | None) -> str | None:
        if self.best is not None:
            return None
        if target is None:
            return "no target p95 is set, so no cost at target can be chosen"
        if self.no_p95 == self.rows:
            return f"no row has a measured p95 latency ({self.no_p95} row(s) excluded)"
        if self.over == self.rows - self.no_p95:
            return (f"no row meets the target p95 of {target:,.0f} ms (fastest measured {self.fastest:,.0f} ms"
                    + (f"; {self.no_p95} row(s) without p95 excluded)" if self.no_p95 else ")"))
        return f"rows meeting the target p95 have no cost per accepted output ({self.no_cost_reason})"


def compute_metrics(rows: Iterable[Mapping[str, Any]], reviewer_rate_usd_per_hour: float | None,
                    target_p95_ms: float | None, fallback_route: str = DEFAULT_FALLBACK_ROUTE,
                    modelled_costs: Mapping[Any, float | None] | None = None) -> MetricsReport:
    """Metrics for trace rows keyed by the trace kit's camelCase names, each with an `id`.

    `modelled_costs` (row id -> USD per request) fills costUsd only where it was not observed; such rows are
    marked `cost_basis="modelled"` and the row's own costUsd stays null.
    """
    rate = reviewer_rate_usd_per_hour
    target = target_p95_ms
    modelled = modelled_costs or {}
    traces: list[TraceMetrics] = []
    groups: dict[tuple[str, str, str, str], _Group] = {}
    workloads: dict[str, list] = {}  # rows, batch rows, max concurrency, output tokens
    routes: dict[str, list] = {}  # rows, util sum, util rows, best headroom, its concurrency, its row id
    for row in rows:
        get = row.get
        row_id = get("id")
        cost = as_number(get("costUsd"))
        basis = "observed" if cost is not None else None
        if cost is None and row_id in modelled and modelled[row_id] is not None:
            cost, basis = float(modelled[row_id]), "modelled"
        accepted = as_number(get("acceptedOutputRate"))
        value, reason = cost_per_accepted_output(cost, accepted, as_number(get("reviewMinutes")), rate)
        if value is None:
            basis = None
        hit = as_number(get("cacheHitRate")) or 0.0  # the playbook's "0 if unavailable", inside this formula only
        burden = (as_number(get("inputTokens")) or 0.0) * (1 - hit)
        tps = as_number(get("outputTokensPerSecond"))
        concurrency = as_number(get("concurrency")) or 0.0
        headroom = tps * concurrency * accepted if tps is not None and accepted is not None else None
        traces.append(TraceMetrics(row_id, row, value, reason, basis, burden, headroom))

        workload, route = str(get("workload")), str(get("route"))
        key = (workload, route, str(get("provider")), str(get("model")))
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group()
        group.add(row, concurrency, as_number(get("latencyP95Ms")), value, reason, target)

        w = workloads.get(workload)
        if w is None:
            w = workloads[workload] = [0, 0, 0.0, 0.0]
        w[0] += 1
        w[1] += _flag(get("batchEligible"))
        w[2] = max(w[2], concurrency)
        w[3] += as_number(get("outputTokens")) or 0.0

        r = routes.get(route)
        if r is None:
            r = routes[route] = [0, 0.0, 0, None, None, None]
        r[0] += 1
        util = as_number(get("gpuUtilization"))
        if util is not None:
            r[1] += util
            r[2] += 1
        if headroom is not None and (r[3] is None or headroom > r[3]):
            r[3], r[4], r[5] = headroom, concurrency, row_id

    group_list = []
    by_workload_route: dict[tuple[str, str], _Group] = {}
    for key in sorted(groups):
        g = groups[key]
        best = g.best_row
        group_list.append(GroupMetrics(
            workload=key[0], route=key[1], provider=key[2], model=key[3],
            p95_latency_ms_by_concurrency=tuple(sorted(g.pairs)),
            best_cost_per_accepted_output_at_target=g.best, best_row_id=best.get("id") if best else None,
            cache_hit_rate=as_number(best.get("cacheHitRate")) if best else None,
            batch_eligible=_flag(best.get("batchEligible")) if best else None,
            retry_rate=as_number(best.get("retryRate")) if best else None,
            gpu_utilization=as_number(best.get("gpuUtilization")) if best else None,
            fallback_route=fallback_route, reason=g.reason(target), rows=g.rows, rows_without_p95=g.no_p95,
            rows_over_target=g.over))
        merged = by_workload_route.setdefault((key[0], key[1]), _Group())
        merged.merge(g)

    best_list = []
    for (workload, route), g in sorted(by_workload_route.items()):
        row = g.best_row
        best_list.append(BestAtTarget(workload, route, g.best, row.get("id") if row else None,
                                      str(row.get("provider")) if row else None,
                                      str(row.get("model")) if row else None, g.reason(target), g.no_p95))
    return MetricsReport(
        reviewer_rate_usd_per_hour=rate, target_p95_ms=target, fallback_route=fallback_route,
        traces=tuple(traces), groups=tuple(group_list),
        workloads=tuple(WorkloadMetrics(name, w[1] / w[0], w[0], w[1], w[2], w[3] / w[0])
                        for name, w in sorted(workloads.items())),
        best=tuple(best_list),
        routes=tuple(RouteMeasures(name, r[0], r[1] / r[2] if r[2] else None, r[2], r[3], r[4], r[5])
                     for name, r in sorted(routes.items())))
