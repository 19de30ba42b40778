"""Monthly cost against monthly volume: per-token routes as lines, GPU-billed routes as steps by replica, and
the break-even volumes where a step meets a line (log-log axes)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from desktop.domain.playbook import Playbook
from desktop.economics.calculators.dedicated import DEFAULT_HOURS_PER_MONTH
from desktop.economics.figures.base import (FIGURES, MAX_BREAK_EVENS, MAX_STEPS, ChartData, CurveSpec, FigureData,
                                            FigureDraft, HoverSpot, count, route_hex, usd)
from desktop.economics.metrics import as_number
from desktop.economics.metrics_frame import constant_column, or_zero
from desktop.economics.recommend import bundled_rules
from desktop.economics.scenarios import latest, run_scenario


@dataclass(frozen=True)
class PerTokenLine:
    route: str
    usd_per_request: float
    rows: int
    modelled_rows: int

    def cost(self, volume: float) -> float:
        return volume * self.usd_per_request


@dataclass(frozen=True)
class ReplicaSteps:
    route: str
    replica_usd_per_month: float
    requests_per_month_per_replica: float
    basis: str  # where the replica price and capacity come from

    def replicas(self, volume: float) -> int:
        return max(1, math.ceil(volume / self.requests_per_month_per_replica - 1e-12))

    def cost(self, volume: float) -> float:
        return self.replicas(volume) * self.replica_usd_per_month


@dataclass(frozen=True)
class BreakEven:
    gpu_route: str
    token_route: str
    volume: float  # requests a month
    cost: float  # USD a month
    replicas: int


@dataclass(frozen=True)
class CostVolumeModel:
    lines: tuple[PerTokenLine, ...]
    steps: tuple[ReplicaSteps, ...]
    break_evens: tuple[BreakEven, ...]
    forecast: float | None  # requests a month in scope (the filtered workload's, or all)
    notes: tuple[str, ...]
    x_range: tuple[float, float]


def _gpu_trace_routes(book: Playbook) -> set[str]:
    billed = set(bundled_rules(book).get("gpuBilledRoutes", ()))
    return {r.name for r in book.routes if billed & set(r.matrix_routes)}


def _replica_price(route: str, book: Playbook, data: ChartData, notes: list[str]) -> tuple[float, str] | None:
    """(USD per replica-hour, basis) from the latest saved dedicated (or owned, for self-hosting) scenario."""
    route_slugs = next((set(r.matrix_routes) for r in book.routes if r.name == route), set())
    kinds = ("owned", "dedicated") if "owned-hardware" in route_slugs or "cloud-gpu-self-hosting" in route_slugs \
        else ("dedicated",)
    if "cloud-gpu-self-hosting" in route_slugs:
        kinds = ("dedicated", "owned")
    for kind in kinds:
        scenario = latest(data.scenarios, kind)
        if scenario is None:
            continue
        try:
            result = run_scenario(scenario, data.catalog)
        except ValueError as exc:
            notes.append(f"Scenario '{scenario.name}' cannot run: {exc}")
            continue
        if kind == "dedicated":
            return result.replica_usd_per_hour, f"replica {usd(result.replica_usd_per_hour)}/h from dedicated " \
                                                f"scenario '{scenario.name}'"
        return result.server_usd_per_hour, f"server {usd(result.server_usd_per_hour)}/h from owned scenario " \
                                           f"'{scenario.name}'"
    return None


def cost_volume_model(data: ChartData, hours_per_month: float = DEFAULT_HOURS_PER_MONTH) -> CostVolumeModel:
    """Monthly cost against monthly requests for each trace route in the traces.

    Per-token routes are lines: volume x the mean observed (else modelled) cost per request of the route's
    rows. GPU-billed routes are steps: ceil(volume / capacity of one replica) x its monthly price, where the
    capacity is the best measured throughput (rows at the target p95 first) converted to requests, and the
    price comes from the latest saved dedicated or owned scenario, else is implied by the rows' costUsd at
    that throughput (said so in the notes). A break-even is a volume where a step meets a line.
    """
    book = data.book
    gpu_routes = _gpu_trace_routes(book)
    target = data.report.target_p95_ms
    notes: list[str] = []
    rows = data.trace_frame()
    per_request = _costs_per_request(rows, data.report.reviewer_rate_usd_per_hour or 0)
    lines, steps = [], []
    for route in sorted(rows["route"].unique().to_list()):
        if route not in gpu_routes:
            costs, modelled_n, total = per_request.get(route, (0, 0, 0.0))
            if costs:
                lines.append(PerTokenLine(route, total / costs, costs, modelled_n))
                if modelled_n:
                    notes.append(f"{route}: {modelled_n} of {costs} row cost(s) modelled from the catalog.")
            else:
                notes.append(f"{route}: no row has a cost per request, so no line is drawn.")
            continue
        fastest = _fastest_replica(rows.filter(pl.col("route") == route), target)
        if fastest is None:
            notes.append(f"{route}: no row measures throughput (outputTokensPerSecond, concurrency, outputTokens), "
                         "so no replica steps are drawn.")
            continue
        index, best_rate, best_at_target = fastest
        best_row = data.report.traces[index]
        capacity = best_rate * 3600 * hours_per_month
        price = _replica_price(route, book, data, notes)
        if price is None:
            cost = as_number(best_row.row.get("costUsd"))
            if cost is None:
                notes.append(f"{route}: save a dedicated scenario to price a replica; row #{best_row.id} has no "
                             "costUsd to imply one.")
                continue
            hourly = cost * best_rate * 3600
            basis = (f"replica {usd(hourly)}/h implied by row #{best_row.id}'s costUsd at its measured throughput "
                     "(save a dedicated scenario to use a quoted price)")
        else:
            hourly, basis = price
        steps.append(ReplicaSteps(route, hourly * hours_per_month, capacity,
                                  f"{basis}; capacity {count(capacity)} requests/month per replica from row "
                                  f"#{best_row.id}" + ("" if best_at_target else " (not at the target p95)")))
    forecast = _forecast(data)
    break_evens: list[BreakEven] = []
    for step in steps:
        for line in lines:
            if line.usd_per_request <= 0:
                continue
            k = 1
            while len([b for b in break_evens if b.gpu_route == step.route and b.token_route == line.route]) < \
                    MAX_BREAK_EVENS and k <= MAX_STEPS:
                volume = k * step.replica_usd_per_month / line.usd_per_request
                low, high = (k - 1) * step.requests_per_month_per_replica, k * step.requests_per_month_per_replica
                if volume > high * 1.0000001 and k == 1:
                    break  # even a full replica costs more than the line: never breaks even
                if low < volume <= high * 1.0000001:
                    break_evens.append(BreakEven(step.route, line.route, volume, k * step.replica_usd_per_month, k))
                k += 1
    candidates = [forecast * 10 if forecast else 1e6]
    candidates += [b.volume * 3 for b in break_evens if b.replicas == 1]
    candidates += [s.requests_per_month_per_replica * 2.5 for s in steps]
    x_max = 10 ** math.ceil(math.log10(min(max(candidates), 1e13)))
    x_min = 10 ** math.floor(math.log10(max(min(forecast / 10 if forecast else x_max, x_max / 1e4), 1.0)))
    return CostVolumeModel(tuple(lines), tuple(steps), tuple(b for b in break_evens if b.volume <= x_max),
                           forecast, tuple(notes), (x_min, x_max))


def _costs_per_request(rows: pl.DataFrame, reviewer_rate: float) -> dict[str, tuple[int, int, float]]:
    """Per trace route: (rows with a cost per request, how many of those are modelled, their sum). Observed
    costUsd, else a modelled cost recovered from the cost per accepted output (minus the review time, times
    the acceptance), summed in row order like the reference's loop."""
    accepted = or_zero(pl.col("acceptedOutputRate"))
    minutes = or_zero(pl.col("reviewMinutes"))
    modelled = pl.col("costUsd").is_null() & (pl.col("basis") == "modelled") & pl.col("cost").is_not_null()
    recovered = (pl.col("cost") - minutes / constant_column(60.0, rows.height) * reviewer_rate) * accepted
    cost = pl.when(pl.col("costUsd").is_not_null()).then(pl.col("costUsd")).when(modelled).then(recovered)
    table = rows.with_columns(cost.alias("__cost"), modelled.fill_null(False).alias("__modelled")).group_by(
        "route").agg(pl.col("__cost").is_not_null().sum().alias("costs"), pl.col("__modelled").sum(),
                     pl.col("__cost").drop_nulls().cum_sum().last().fill_null(0.0).alias("total"))
    return {route: (costs, modelled_n, total) for route, costs, modelled_n, total in table.iter_rows()}


def _fastest_replica(rows: pl.DataFrame, target: float | None) -> tuple[int, float, bool] | None:
    """(row index, requests a second one replica completes, at the target p95) of the first row with the
    highest (at target, rate), among rows measuring throughput; None when none beats (not at target, 0)."""
    tps, concurrency, tokens = pl.col("outputTokensPerSecond"), pl.col("concurrency"), pl.col("outputTokens")
    measured = rows.filter(*((c.is_not_null() & (c != 0)) for c in (tps, concurrency, tokens)))
    at_target = pl.lit(False) if target is None else (pl.col("p95").is_not_null() & (pl.col("p95") <= target))
    ranked = measured.select("index", (tps * concurrency / tokens).alias("rate"),
                             at_target.fill_null(False).alias("at_target")).sort(
        ["at_target", "rate", "index"], descending=[True, True, False])
    if ranked.is_empty():
        return None
    index, rate, at = ranked.row(0)
    return (index, rate, at) if at or rate > 0 else None


def _forecast(data: ChartData) -> float | None:
    workloads = data.workbook.context.workloads
    if data.workload is not None:
        workloads = tuple(w for w in workloads if w.name == data.workload)
    total = sum(w.monthly_requests for w in workloads)
    return total if total > 0 else None



def cost_volume_data(data: ChartData) -> FigureData:
    fd = FigureDraft("cost-volume", FIGURES["cost-volume"], log=(True, True), legend_at=(10, 10))
    model = cost_volume_model(data)
    fd.notes = list(model.notes) + [f"{s.route}: {usd(s.replica_usd_per_month)} per replica-month; {s.basis}."
                                    for s in model.steps]
    if not model.lines and not model.steps:
        fd.message = "No route has a cost per request or a priced replica yet."
        fd.log = (False, False)
        return fd.freeze()
    x_min, x_max = model.x_range
    xs = [x_min * (x_max / x_min) ** (i / 60) for i in range(61)]
    y_values: list[float] = []
    for line in model.lines:
        ys = [line.cost(x) for x in xs]
        fd.curves.append(CurveSpec(np.asarray(xs), np.asarray(ys), route_hex(data.book, line.route), 2.0,
                                   f"{line.route} (per token)"))
        fd.notes.append(f"{line.route}: {usd(line.usd_per_request, 4)} per request, mean of {line.rows} row(s).")
        fd.series[line.route] = (list(xs), ys)
        y_values += ys
        for x in xs[::6]:
            fd.hover.append(HoverSpot(math.log10(x), math.log10(line.cost(x)),
                                      f"{line.route}\n{count(x)} requests/month: {usd(line.cost(x))}/month "
                                      f"({usd(line.usd_per_request, 4)} per request, mean of {line.rows} row(s))"))
    for step in model.steps:
        sx, sy = [x_min], [step.cost(x_min)]
        k = step.replicas(x_min)
        while True:
            edge = k * step.requests_per_month_per_replica
            if edge >= x_max or k > MAX_STEPS:
                break
            sx += [edge, edge]
            sy += [k * step.replica_usd_per_month, (k + 1) * step.replica_usd_per_month]
            k += 1
        sx.append(x_max)
        sy.append(step.cost(x_max))
        fd.curves.append(CurveSpec(np.asarray(sx), np.asarray(sy), route_hex(data.book, step.route), 2.5,
                                   f"{step.route} (steps by replica)"))
        fd.series[step.route] = (sx, sy)
        y_values += sy
        for x, y in zip(sx, sy):
            replicas = max(1, round(y / step.replica_usd_per_month))
            fd.hover.append(HoverSpot(math.log10(x), math.log10(y),
                                      f"{step.route}\n{replicas} replica(s): {usd(y)}/month, up to "
                                      f"{count(replicas * step.requests_per_month_per_replica)} requests/month"))
    if model.break_evens:
        bx = [b.volume for b in model.break_evens]
        by = [b.cost for b in model.break_evens]
        fd.marks = (np.asarray(bx), np.asarray(by))
        fd.series["break-even"] = (bx, by)
        for b in model.break_evens:
            fd.hover.append(HoverSpot(math.log10(b.volume), math.log10(b.cost),
                                      f"Break-even: {b.gpu_route} with {b.replicas} replica(s) costs the same "
                                      f"as {b.token_route}\nat {count(b.volume)} requests/month "
                                      f"({usd(b.cost)}/month)"))
    if model.forecast:
        fd.forecast = model.forecast
        fd.hover.append(HoverSpot(math.log10(model.forecast), math.nan,
                                  f"Forecast volume in scope: {count(model.forecast)} requests/month"))
    fd.labels = ("Monthly cost (USD)", "Monthly volume (requests)")
    fd.units = ("usd", "count")
    fd.x_range = (math.log10(x_min), math.log10(x_max), 0.02)
    positive = [y for y in y_values if y > 0]
    if positive:  # a decade and more of head-room above the data holds the legend
        fd.y_range = (math.log10(min(positive)), math.log10(max(positive)) + 1.3, 0.03)
    return fd.freeze()


