"""The trace figures' models and prepared data: cost per accepted output by workload and route, p95 latency
against concurrency, the Pareto view (cost against latency) and the readiness scores.

`*_model` functions return the figure's numbers as small frozen records (checked by the tests against values
worked out by hand); `*_data` functions turn them into a `FigureData` that any renderer draws.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np
import polars as pl

from desktop.economics.figures.base import (BELOW_HEX, FIGURES, FRONTIER_HEX, MAX_SCATTER, MET_HEX, PALE_HEX,
                                            ChartData, CurveSpec, FigureData, FigureDraft, HoverPoints, HoverSpot,
                                            BarSpec, TargetLine, route_hex, usd, wrap)
from desktop.economics.metrics import as_number


# ---- Models: the numbers each figure draws
@dataclass(frozen=True)
class CostBar:
    workload: str
    route: str
    value: float  # USD per accepted output
    at_target: bool  # the recommended metric (best at target p95) or, if no row meets it, the lowest cost
    row_id: Any
    text: str
    provider: str | None = None  # the configuration the bar prices (as the metrics' groups name it)
    model: str | None = None

    @property
    def configuration(self) -> tuple[str, str, str | None, str | None]:
        """(workload, route, provider, model): the key of this configuration's latency series."""
        return self.workload, self.route, self.provider, self.model


def cost_by_route_model(data: ChartData) -> tuple[list[str], list[CostBar], list[str]]:
    """(workloads, bars, notes): per workload and trace route, the cost per accepted output at the target
    p95; where no row meets the target, the lowest cost among the rows (the first of equal ones), marked as
    missing the target. One group_by over the rows' columns; only the rows named become objects."""
    report = data.report
    rows = data.trace_frame()
    priced = pl.col("cost").is_not_null()
    table = rows.group_by("workload", "route").agg(
        pl.col("index").filter(priced).sort_by([pl.col("cost").filter(priced), pl.col("index").filter(priced)])
        .first().alias("cheapest"),
        pl.col("cost").min().alias("lowest"),
        pl.col("reason").filter(pl.col("reason").is_not_null() & (pl.col("reason") != "")).first().alias("reason"))
    routes_order = list(data.book.trace_route_names())
    by_workload: dict[str, list[tuple[str, int | None, float | None, str | None]]] = {}
    for workload, route, cheapest, lowest, reason in table.iter_rows():
        by_workload.setdefault(workload, []).append((route, cheapest, lowest, reason))
    workloads = sorted(by_workload)
    bars: list[CostBar] = []
    missing: list[str] = []
    for workload in workloads:
        for route, cheapest, lowest, reason in sorted(
                by_workload[workload], key=lambda r: (routes_order.index(r[0]) if r[0] in routes_order else 99, r[0])):
            best = report.best_at_target(workload, route)
            if best is not None and best.cost_per_accepted_output is not None:
                bars.append(CostBar(workload, route, best.cost_per_accepted_output, True, best.row_id,
                                    f"{route}, {workload}\n{usd(best.cost_per_accepted_output, 4)} per accepted "
                                    f"output at target p95 (row #{best.row_id}, {best.provider} {best.model})",
                                    best.provider, best.model))
            elif cheapest is not None:
                trace = report.traces[cheapest]
                row_id = trace.id
                why = best.reason if best is not None and best.reason else "no row meets the target p95"
                bars.append(CostBar(workload, route, lowest, False, row_id,
                                    f"{route}, {workload}\n{usd(lowest, 4)} per accepted output (row #{row_id}) "
                                    f"- NOT at target: {why}", str(trace.row.get("provider")),
                                    str(trace.row.get("model"))))
            else:
                missing.append(f"{route}, {workload}: no cost per accepted output ({reason or 'not observed'})")
    return workloads, bars, missing


@dataclass(frozen=True)
class LatencySeries:
    route: str
    label: str
    points: tuple[tuple[float, float], ...]  # (concurrency, highest p95 ms measured there)
    rows: tuple[tuple[int, float], ...]  # per point: (rows measured, lowest p95 ms)


def latency_model(data: ChartData, only: Collection[tuple[str, str, str | None, str | None]] | None = None
                  ) -> list[LatencySeries]:
    """One series per group (workload, route, provider, model) with p95 measured, ordered by concurrency;
    where several rows share a concurrency, the point is the highest p95 (the one a buyer must plan for).
    `only`: just the groups with these (workload, route, provider, model) keys."""
    result = []
    for g in data.report.groups:
        if data.workload is not None and g.workload != data.workload:
            continue
        if only is not None and (g.workload, g.route, g.provider, g.model) not in only:
            continue
        pairs = g.p95_latency_ms_by_concurrency
        if hasattr(pairs, "arrays"):  # a columnar report's pairs: two arrays, sorted by concurrency then p95
            concurrency, p95 = pairs.arrays()
        else:
            ordered = sorted(pairs)
            concurrency = np.array([c for c, _ in ordered], dtype=float)
            p95 = np.array([ms for _, ms in ordered], dtype=float)
        if len(p95):
            # sorted by (concurrency, p95): each concurrency is one run, its lowest p95 first, its highest last
            levels, first, rows = np.unique(concurrency, return_index=True, return_counts=True)
            last = first + rows - 1
            result.append(LatencySeries(g.route, f"{g.route}: {g.provider} {g.model} ({g.workload})",
                                        tuple(zip(levels.tolist(), p95[last].tolist())),
                                        tuple(zip(rows.tolist(), p95[first].tolist()))))
    return result


@dataclass(frozen=True, eq=False)
class ParetoPoint:
    row_id: Any
    route: str
    p95_ms: float
    cost: float
    trace: Any = field(repr=False, default=None)

    @property
    def text(self) -> str:
        row = self.trace.row if self.trace is not None else {}
        return (f"Row #{self.row_id}: {self.route}, {row.get('provider')} {row.get('model')}\n"
                f"{row.get('workload')} at concurrency {as_number(row.get('concurrency')) or 0:g}\n"
                f"p95 {self.p95_ms:,.0f} ms, {usd(self.cost, 4)} per accepted output")


def pareto_model(data: ChartData) -> tuple[list[ParetoPoint], list[ParetoPoint]]:
    """(all points, the Pareto frontier): rows with both a p95 and a cost per accepted output; the frontier
    holds the rows no other row beats on both latency and cost, ordered by latency."""
    points = []
    for t in data.traces():
        p95 = as_number(t.row.get("latencyP95Ms"))
        if p95 is None or t.cost_per_accepted_output is None:
            continue
        points.append(ParetoPoint(t.id, str(t.row.get("route")), p95, t.cost_per_accepted_output, t))
    frontier: list[ParetoPoint] = []
    for point in sorted(points, key=lambda p: (p.p95_ms, p.cost)):
        if not frontier or point.cost < frontier[-1].cost:
            frontier.append(point)
    return points, frontier



def cost_by_route_data(data: ChartData) -> FigureData:
    fd = FigureDraft("cost-by-route", FIGURES["cost-by-route"])
    workloads, bars, missing = cost_by_route_model(data)
    fd.notes = list(missing)
    if not bars:
        fd.message = ("No trace row has a cost per accepted output yet" +
                      (f" ({missing[0]})" if missing else "; import traces with costUsd and acceptedOutputRate."))
        return fd.freeze()
    per_workload = {w: [b for b in bars if b.workload == w] for w in workloads}
    widest = max(len(v) for v in per_workload.values())
    width = 0.8 / max(widest, 1)
    top = max(b.value for b in bars)
    seen: set[str] = set()
    for i, workload in enumerate(workloads):
        group = per_workload[workload]
        for j, bar in enumerate(group):
            x = i + (j - (len(group) - 1) / 2) * width
            color = route_hex(data.book, bar.route)
            fd.bars.append(BarSpec(x, bar.value, color, bar.at_target, usd(bar.value) + ("" if bar.at_target else "*")))
            xs, ys = fd.series.setdefault(bar.route, ([], []))
            xs.append(x)
            ys.append(bar.value)
            fd.hover.append(HoverSpot(x, bar.value, bar.text,
                                      (x - width / 2, 0, x + width / 2, max(bar.value, top * 0.03))))
            if bar.route not in seen:
                seen.add(bar.route)
                fd.legend_swatches.append((color, bar.route))
    if any(not b.at_target for b in bars):
        fd.legend_swatches.append((PALE_HEX, "* pale: no row meets the target p95"))
    fd.bar_width = width * 0.92
    fd.ticks = [wrap(w, 20) for w in workloads]
    fd.labels = ("USD per accepted output", None)
    fd.units = ("usd", None)
    fd.x_range = (-0.6, len(workloads) - 0.4, 0)
    fd.y_range = (0, top * 1.5, 0)  # head-room for the value labels and the legend
    return fd.freeze()


def latency_data(data: ChartData, only: Collection[tuple[str, str, str | None, str | None]] | None = None
                 ) -> FigureData:
    fd = FigureDraft("latency", FIGURES["latency"], legend_at=(10, 10))
    series = latency_model(data, only)
    target = data.report.target_p95_ms
    if not series:
        fd.message = "No trace row has a measured p95 latency yet."
        return fd.freeze()
    seen: set[str] = set()
    xs_all: list[float] = []
    ys_all: list[float] = []
    for s in series:
        xs = [c for c, _ in s.points]
        ys = [ms for _, ms in s.points]
        fd.curves.append(CurveSpec(np.asarray(xs, float), np.asarray(ys, float), route_hex(data.book, s.route),
                                   2.0, None if s.route in seen else s.route, symbols=True))
        seen.add(s.route)
        fd.series[s.label] = (xs, ys)
        xs_all += xs
        ys_all += ys
        for (c, ms), (n, low) in zip(s.points, s.rows):
            over = target is not None and ms > target
            spread = f" (highest of {n} rows; lowest {low:,.0f} ms)" if n > 1 else ""
            fd.hover.append(HoverSpot(c, ms, f"{s.label}\nconcurrency {c:g}: p95 {ms:,.0f} ms{spread}"
                                      + (" (over the target)" if over else "")))
    if target is not None:
        fd.target = TargetLine(target, 0, f"target p95 {target:,.0f} ms")
        ys_all.append(target)
    else:
        fd.notes.append("No target p95 is set in the buyer context.")
    fd.labels = ("p95 latency (ms)", "Concurrency (concurrent requests)")
    fd.units = ("ms", "count")
    fd.x_range = (0, max(xs_all) * 1.15 + 1, 0)
    fd.y_range = (0, max(ys_all) * 1.5, 0)  # head-room for the legend
    return fd.freeze()


_PARETO_FIELDS = ("provider", "model", "workload", "concurrency")


def _pareto_text(row_id: Any, row: dict[str, Any], route: str, p95: float, cost: float, on_frontier: bool) -> str:
    return (ParetoPoint(row_id, route, p95, cost, SimpleNamespace(row=row)).text
            + ("\non the Pareto frontier" if on_frontier else ""))


def pareto_data(data: ChartData) -> FigureData:
    """The Pareto view as arrays: at most MAX_SCATTER points (every stride-th row, and the whole frontier)
    in one scatter per route, the frontier as one dotted line; hovering words only the point hovered."""
    fd = FigureDraft("pareto", FIGURES["pareto"])
    points = data.trace_frame().filter(pl.col("cost").is_not_null() & pl.col("p95").is_not_null())
    if points.is_empty():
        fd.message = "No trace row has both a p95 latency and a cost per accepted output yet."
        return fd.freeze()
    routes = points["route"].unique(maintain_order=True).to_list()  # in the order they first appear
    index = points["index"].to_numpy()
    n = len(index)
    x = points["p95"].to_numpy()
    y = points["cost"].to_numpy()
    code = points["route"].replace_strict(routes, list(range(len(routes))), return_dtype=pl.Int64).to_numpy()
    order = np.lexsort((y, x))  # by latency, then cost; stable, like sorted(key=(p95, cost))
    sorted_y = y[order]
    lower = np.empty(n, dtype=bool)
    lower[0] = True
    lower[1:] = sorted_y[1:] < np.minimum.accumulate(sorted_y)[:-1]  # beats every faster-or-equal row on cost
    frontier = order[lower]
    on_frontier = np.zeros(n, dtype=bool)
    on_frontier[frontier] = True
    stride = math.ceil(n / MAX_SCATTER)
    shown = np.flatnonzero((np.arange(n) % stride == 0) | on_frontier)
    if stride > 1:
        fd.notes.append(f"Showing {len(shown):,} of {n:,} rows (every {stride}th, and the whole Pareto frontier).")
    # rows of one route with the same p95 and cost are one point on screen: draw (and word) it once
    _same, first_of, repeats = np.unique(np.column_stack((code[shown], x[shown], y[shown])), axis=0,
                                         return_index=True, return_counts=True)
    keep = np.argsort(first_of)
    shown, repeats = shown[first_of[keep]], repeats[keep]
    shown_codes = code[shown]
    present, first = np.unique(shown_codes, return_index=True)
    for c in present[np.argsort(first)]:  # routes in the order they first appear
        at = shown[shown_codes == c]
        route = routes[int(c)]
        xs, ys = x[at], y[at]
        fd.scatters.append((route, route_hex(data.book, route), xs, ys))
        fd.series[route] = (xs.tolist(), ys.tolist())
    fx, fy = x[frontier], y[frontier]
    fd.curves.append(CurveSpec(fx, fy, FRONTIER_HEX, 1.5, "Pareto frontier", dotted=True))
    fd.series["Pareto frontier"] = (fx.tolist(), fy.tolist())

    # what hovering words, built for the hovered point only from the report's rows (a view: no row objects kept)
    traces = data.report.traces

    def describe(k: int, shown=shown, repeats=repeats) -> str:
        p = int(shown[k])
        more = int(repeats[k]) - 1
        trace = traces[int(index[p])]
        words = (trace.id, {f: trace.row.get(f) for f in _PARETO_FIELDS})
        return _pareto_text(*words, routes[int(code[p])], float(x[p]), float(y[p]), bool(on_frontier[p])) + (
            f"\n(and {more:,} more shown row(s) with the same values)" if more else "")

    fd.hover_points = HoverPoints(x[shown], y[shown], describe)
    target = data.report.target_p95_ms
    x_hi = float(x.max())
    if target is not None:
        fd.target = TargetLine(target, 90, f"target {target:,.0f} ms", 0.06)
        x_hi = max(x_hi, target)
    fd.labels = ("USD per accepted output", "p95 latency (ms)")
    fd.units = ("usd", "ms")
    fd.x_range = (0, x_hi * 1.15, 0)
    fd.y_range = (0, float(y.max()) * 1.5, 0)  # head-room for the legend
    return fd.freeze()



def readiness_data(data: ChartData) -> FigureData:
    fd = FigureDraft("readiness", FIGURES["readiness"])
    book = data.book
    threshold = data.workbook.context.readiness_threshold
    xs, heights = [], []
    for i, d in enumerate(book.readiness):
        score = data.workbook.scores[d.slug].score
        xs.append(float(i))
        heights.append(float(score) if score is not None else 0.0)
        fd.bars.append(BarSpec(float(i), heights[-1],
                               MET_HEX if score is not None and score >= threshold else BELOW_HEX))
        if d.reference_score is not None:
            fd.references.append((float(i), d.reference_score))
        text = "not scored" if score is None else str(score)
        fd.hover.append(HoverSpot(i, heights[-1], f"{d.name}: {text} (threshold {threshold}, playbook "
                                                  f"reference {d.reference_score})",
                                  (i - 0.3, 0, i + 0.3, max(heights[-1], 5))))
    fd.series["scores"] = (xs, heights)
    fd.legend_swatches = [(MET_HEX, "at or above the threshold"), (BELOW_HEX, "below")]
    fd.target = TargetLine(threshold, 0, f"threshold {threshold}", 0.99)
    fd.ticks = [wrap(d.name, 12) + "\n" + ("not scored" if data.workbook.scores[d.slug].score is None
                                           else str(data.workbook.scores[d.slug].score)) for d in book.readiness]
    fd.labels = ("Score", None)
    fd.units = ("score", None)
    fd.x_range = (-0.6, len(xs) - 0.4, 0)
    fd.y_range = (0, 135, 0)  # head-room for the legend
    fd.left_ticks = list(range(0, 101, 20))
    return fd.freeze()


