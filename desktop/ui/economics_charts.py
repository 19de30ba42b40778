"""The route-economics figures as plain functions, drawn into pyqtgraph PlotItems.

Each figure is made in two steps. `figure_data(kind, data)` works out everything it draws as plain numbers,
strings and numpy arrays (a `FigureData`; no Qt objects, so the Economics page runs it on its worker thread
with the metrics); `draw_figure(figure_data, plot)` only turns those into pyqtgraph items (a handful of
items per figure, arrays not per-point items). `build_figure(kind, data, plot)` does both. The Economics page
shows the PlotItem in a PlotWidget; `render_figure` draws the same figure offscreen into a PNG or SVG file
for the PDF memo (no window shown).

Figures (kinds): "cost-by-route", "latency", "cost-volume", "pareto", "readiness". Each records what it
plotted (`Figure.series`) and where hovering shows exact values (`Figure.hover`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor

from desktop.domain.playbook import Playbook
from desktop.domain.workbook import Workbook
from desktop.economics.calculators.dedicated import DEFAULT_HOURS_PER_MONTH
from desktop.economics.catalog import Catalog
from desktop.economics.metrics import MetricsReport, as_number
from desktop.economics.recommend import bundled_rules, default_playbook
from desktop.economics.scenarios import Scenario, latest, run_scenario

# ---- Constants
FIGURES: dict[str, str] = {
    "cost-by-route": "Cost per accepted output by workload and route",
    "latency": "p95 latency against concurrency",
    "cost-volume": "Monthly cost against monthly volume",
    "pareto": "Cost per accepted output against p95 latency",
    "readiness": "Readiness scores against the threshold",
}
ROUTE_COLORS = ("#1f77b4", "#e07b00", "#2ca02c", "#9467bd", "#8c564b", "#d62728", "#17becf", "#7f7f7f")
TARGET_COLOR = QColor(198, 40, 40)
FORECAST_COLOR = QColor(90, 90, 90)
MET_HEX = "#2e7d32"
BELOW_HEX = "#e69138"
MET_COLOR = QColor(MET_HEX)
BELOW_COLOR = QColor(BELOW_HEX)
AXIS_PEN = "#555"
TEXT_PEN = "#222"
MAX_BREAK_EVENS = 6
MAX_STEPS = 400
MAX_SCATTER = 20_000  # points drawn in the Pareto view; more are unreadable and slow to draw


# ---- Inputs and outputs
@dataclass(frozen=True)
class ChartData:
    """What the figures draw from: the metrics report and the workbook it was computed for."""

    report: MetricsReport
    workbook: Workbook
    playbook: Playbook | None = None
    scenarios: Sequence[Scenario] = ()
    catalog: Catalog | None = None
    workload: str | None = None  # the workload filter; None = all

    @property
    def book(self) -> Playbook:
        return self.playbook or default_playbook()

    def traces(self) -> list[Any]:
        return [t for t in self.report.traces if self.workload is None or str(t.row.get("workload")) == self.workload]


@dataclass
class HoverSpot:
    """Where hovering shows `text`: near (x, y), or anywhere inside `rect` (x0, y0, x1, y1); view coordinates.

    `describe` is the text or a function making it, so a figure of many rows only words the one hovered.
    """

    x: float
    y: float
    describe: str | Callable[[], str]
    rect: tuple[float, float, float, float] | None = None

    @property
    def text(self) -> str:
        return self.describe() if callable(self.describe) else self.describe


@dataclass
class Figure:
    kind: str
    title: str
    plot: pg.PlotItem
    series: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)
    hover: list[HoverSpot] = field(default_factory=list)
    message: str | None = None  # said on the plot when there is nothing to draw
    notes: list[str] = field(default_factory=list)  # what the figure assumes, in words
    hover_points: HoverPoints | None = None  # many points hovered by nearest (the Pareto view)
    data: FigureData | None = None  # what it was drawn from

    @property
    def has_data(self) -> bool:
        return any(len(xs) for xs, _ys in self.series.values())

    def hover_text(self, x: float, y: float, tolerance: tuple[float, float] = (0.0, 0.0)) -> str | None:
        """The hover text at view point (x, y): a rectangle holding it, else the nearest spot within
        `tolerance` (dx, dy in view units)."""
        for spot in self.hover:
            if spot.rect and spot.rect[0] <= x <= spot.rect[2] and spot.rect[1] <= y <= spot.rect[3]:
                return spot.text
        best, best_d = None, math.inf
        tx, ty = tolerance
        for spot in self.hover:
            dx = abs(spot.x - x) / tx if tx else (0.0 if spot.x == x else math.inf)
            dy = abs(spot.y - y) / ty if ty else (0.0 if spot.y == y else math.inf)
            d = max(dx, dy)
            if d <= 1.0 and d < best_d:
                best, best_d = spot.text, d
        if self.hover_points is not None:
            found = self.hover_points.nearest(x, y, tolerance)
            if found is not None and found[1] < best_d:
                best = self.hover_points.describe(found[0])
        return best

    def hover_texts(self, limit: int = 12) -> list[str]:
        """The first `limit` hover texts (for the accessible description)."""
        texts = [spot.text for spot in self.hover[:limit]]
        if self.hover_points is not None:
            texts += [self.hover_points.describe(i) for i in range(min(limit - len(texts), len(self.hover_points)))]
        return texts


def route_color(playbook: Playbook, route: str) -> QColor:
    return QColor(route_hex(playbook, route))


def usd(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "n/a"
    if abs(value) >= 1000:
        return f"${value:,.0f}"
    if abs(value) < 0.01 and value != 0:
        return f"${value:.4g}"
    return f"${value:,.{digits}f}"


def count(value: float) -> str:
    if value >= 1e9:
        return f"{value / 1e9:,.2f} billion"
    if value >= 1e6:
        return f"{value / 1e6:,.2f} million"
    return f"{value:,.0f}"


def wrap(text: str, width: int = 16) -> str:
    lines: list[str] = []
    for word in text.replace("-", "- ").split():
        if lines and len(lines[-1]) + len(word) + (0 if lines[-1].endswith("-") else 1) <= width:
            lines[-1] += word if lines[-1].endswith("-") else " " + word
        else:
            lines.append(word)
    return "\n".join(lines)


# ---- Models: the numbers each figure draws
@dataclass(frozen=True)
class CostBar:
    workload: str
    route: str
    value: float  # USD per accepted output
    at_target: bool  # the recommended metric (best at target p95) or, if no row meets it, the lowest cost
    row_id: Any
    text: str


def cost_by_route_model(data: ChartData) -> tuple[list[str], list[CostBar], list[str]]:
    """(workloads, bars, notes): per workload and trace route, the cost per accepted output at the target
    p95; where no row meets the target, the lowest cost among the rows, marked as missing the target."""
    report = data.report
    grouped: dict[str, dict[str, list[Any]]] = {}  # workload -> route -> rows, in trace order
    for t in data.traces():
        row = t.row
        grouped.setdefault(str(row.get("workload")), {}).setdefault(str(row.get("route")), []).append(t)
    workloads = sorted(grouped)
    routes_order = list(data.book.trace_route_names())
    bars: list[CostBar] = []
    missing: list[str] = []
    for workload in workloads:
        by_route = grouped[workload]
        routes = sorted(by_route, key=lambda r: (routes_order.index(r) if r in routes_order else 99, r))
        for route in routes:
            route_rows = by_route[route]
            best = report.best_at_target(workload, route)
            if best is not None and best.cost_per_accepted_output is not None:
                bars.append(CostBar(workload, route, best.cost_per_accepted_output, True, best.row_id,
                                    f"{route}, {workload}\n{usd(best.cost_per_accepted_output, 4)} per accepted "
                                    f"output at target p95 (row #{best.row_id}, {best.provider} {best.model})"))
                continue
            priced = [t for t in route_rows if t.cost_per_accepted_output is not None]
            if priced:
                cheapest = min(priced, key=lambda t: t.cost_per_accepted_output)
                why = best.reason if best is not None and best.reason else "no row meets the target p95"
                bars.append(CostBar(workload, route, cheapest.cost_per_accepted_output, False, cheapest.id,
                                    f"{route}, {workload}\n{usd(cheapest.cost_per_accepted_output, 4)} per "
                                    f"accepted output (row #{cheapest.id}) - NOT at target: {why}"))
            else:
                reason = next((t.cost_reason for t in route_rows if t.cost_reason), "not observed")
                missing.append(f"{route}, {workload}: no cost per accepted output ({reason})")
    return workloads, bars, missing


@dataclass(frozen=True)
class LatencySeries:
    route: str
    label: str
    points: tuple[tuple[float, float], ...]  # (concurrency, highest p95 ms measured there)
    rows: tuple[tuple[int, float], ...]  # per point: (rows measured, lowest p95 ms)


def latency_model(data: ChartData) -> list[LatencySeries]:
    """One series per group (workload, route, provider, model) with p95 measured, ordered by concurrency;
    where several rows share a concurrency, the point is the highest p95 (the one a buyer must plan for)."""
    result = []
    for g in data.report.groups:
        if data.workload is not None and g.workload != data.workload:
            continue
        merged: dict[float, list[float]] = {}
        for c, ms in g.p95_latency_ms_by_concurrency:
            merged.setdefault(c, []).append(ms)
        if merged:
            order = sorted(merged)
            result.append(LatencySeries(g.route, f"{g.route}: {g.provider} {g.model} ({g.workload})",
                                        tuple((c, max(merged[c])) for c in order),
                                        tuple((len(merged[c]), min(merged[c])) for c in order)))
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
    traces = data.traces()
    by_route: dict[str, list[Any]] = {}
    for t in traces:
        by_route.setdefault(str(t.row.get("route")), []).append(t)
    lines, steps = [], []
    for route, rows in sorted(by_route.items()):
        if route not in gpu_routes:
            costs, modelled_n = [], 0
            for t in rows:
                cost = as_number(t.row.get("costUsd"))
                if cost is None and t.cost_basis == "modelled" and t.cost_per_accepted_output is not None:
                    accepted = as_number(t.row.get("acceptedOutputRate")) or 0
                    minutes = as_number(t.row.get("reviewMinutes")) or 0
                    rate = data.report.reviewer_rate_usd_per_hour or 0
                    cost = (t.cost_per_accepted_output - minutes / 60 * rate) * accepted
                    modelled_n += 1
                if cost is not None:
                    costs.append(cost)
            if costs:
                lines.append(PerTokenLine(route, sum(costs) / len(costs), len(costs), modelled_n))
                if modelled_n:
                    notes.append(f"{route}: {modelled_n} of {len(costs)} row cost(s) modelled from the catalog.")
            else:
                notes.append(f"{route}: no row has a cost per request, so no line is drawn.")
            continue
        best_rate, best_row, best_at_target = None, None, False
        for t in rows:
            tps = as_number(t.row.get("outputTokensPerSecond"))
            conc = as_number(t.row.get("concurrency"))
            out_tokens = as_number(t.row.get("outputTokens"))
            if not tps or not conc or not out_tokens:
                continue
            p95 = as_number(t.row.get("latencyP95Ms"))
            at_target = target is not None and p95 is not None and p95 <= target
            rate = tps * conc / out_tokens  # requests a second one replica completes
            if (at_target, rate) > (best_at_target, best_rate or 0):
                best_rate, best_row, best_at_target = rate, t, at_target
        if best_rate is None:
            notes.append(f"{route}: no row measures throughput (outputTokensPerSecond, concurrency, outputTokens), "
                         "so no replica steps are drawn.")
            continue
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


def _forecast(data: ChartData) -> float | None:
    workloads = data.workbook.context.workloads
    if data.workload is not None:
        workloads = tuple(w for w in workloads if w.name == data.workload)
    total = sum(w.monthly_requests for w in workloads)
    return total if total > 0 else None


# ---- Figure data: everything a figure draws, worked out without Qt (safe on a worker thread)
@dataclass
class HoverPoints:
    """Many hover spots as arrays (view coordinates); `describe(i)` words point i only when it is hovered."""

    xs: np.ndarray
    ys: np.ndarray
    describe: Callable[[int], str]

    def __len__(self) -> int:
        return len(self.xs)

    def nearest(self, x: float, y: float, tolerance: tuple[float, float]) -> tuple[int, float] | None:
        """(index, distance in tolerances) of the nearest point within `tolerance`, else None."""
        if not len(self.xs):
            return None
        tx, ty = tolerance

        def distance(values: np.ndarray, at: float, tol: float) -> np.ndarray:
            if tol:
                return np.abs(values - at) / tol
            return np.where(values == at, 0.0, np.inf)

        with np.errstate(invalid="ignore"):
            d = np.maximum(distance(self.xs, x, tx), distance(self.ys, y, ty))
        i = int(np.argmin(d))
        return (i, float(d[i])) if d[i] <= 1.0 else None


@dataclass(frozen=True)
class BarSpec:
    x: float
    height: float
    color: str  # "#rrggbb"
    solid: bool = True  # False: pale fill and a dashed edge
    label: str | None = None  # written above the bar


@dataclass(frozen=True)
class CurveSpec:
    xs: np.ndarray
    ys: np.ndarray
    color: str
    width: float = 2.0
    legend: str | None = None  # the legend entry, if any
    symbols: bool = False  # circles at the points


@dataclass
class FigureData:
    """What one figure draws, as plain numbers and strings (no Qt objects): made by `figure_data`, possibly
    on a worker thread, and turned into pyqtgraph items by `draw_figure` on the GUI thread."""

    kind: str
    title: str
    message: str | None = None  # no data: said on the plot instead
    notes: list[str] = field(default_factory=list)
    series: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)
    hover: list[HoverSpot] = field(default_factory=list)
    hover_points: HoverPoints | None = None
    log: tuple[bool, bool] = (False, False)
    legend_at: tuple[int, int] = (-10, 10)
    bars: list[BarSpec] = field(default_factory=list)
    bar_width: float = 0.6
    curves: list[CurveSpec] = field(default_factory=list)
    scatters: list[tuple[str, str, np.ndarray, np.ndarray]] = field(default_factory=list)  # legend, color, xs, ys
    marks: tuple[np.ndarray, np.ndarray] | None = None  # break-even diamonds
    references: list[tuple[float, float]] = field(default_factory=list)  # (x, score): dotted reference marks
    legend_swatches: list[tuple[str, str]] = field(default_factory=list)  # (color, name) for bars
    target: tuple[float, int, str, float | None] | None = None  # value, angle, label, label position
    forecast: float | None = None  # a vertical dashed line at this volume (log x)
    ticks: list[str] | None = None  # category tick labels under x = 0, 1, ...
    left_ticks: list[float] | None = None
    labels: tuple[str | None, str | None] = (None, None)  # left, bottom
    x_range: tuple[float, float, float] | None = None  # low, high, padding
    y_range: tuple[float, float, float] | None = None


def route_hex(playbook: Playbook, route: str) -> str:
    names = list(playbook.trace_route_names())
    index = names.index(route) if route in names else len(names) + sum(map(ord, route)) % 4
    return ROUTE_COLORS[index % len(ROUTE_COLORS)]


def cost_by_route_data(data: ChartData) -> FigureData:
    fd = FigureData("cost-by-route", FIGURES["cost-by-route"])
    workloads, bars, missing = cost_by_route_model(data)
    fd.notes = list(missing)
    if not bars:
        fd.message = ("No trace row has a cost per accepted output yet" +
                      (f" ({missing[0]})" if missing else "; import traces with costUsd and acceptedOutputRate."))
        return fd
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
        fd.legend_swatches.append(("#c8c8c8", "* pale: no row meets the target p95"))
    fd.bar_width = width * 0.92
    fd.ticks = [wrap(w, 20) for w in workloads]
    fd.labels = ("USD per accepted output", None)
    fd.x_range = (-0.6, len(workloads) - 0.4, 0)
    fd.y_range = (0, top * 1.5, 0)  # head-room for the value labels and the legend
    return fd


def latency_data(data: ChartData) -> FigureData:
    fd = FigureData("latency", FIGURES["latency"], legend_at=(10, 10))
    series = latency_model(data)
    target = data.report.target_p95_ms
    if not series:
        fd.message = "No trace row has a measured p95 latency yet."
        return fd
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
        fd.target = (target, 0, f"target p95 {target:,.0f} ms", None)
        ys_all.append(target)
    else:
        fd.notes.append("No target p95 is set in the buyer context.")
    fd.labels = ("p95 latency (ms)", "Concurrency (concurrent requests)")
    fd.x_range = (0, max(xs_all) * 1.15 + 1, 0)
    fd.y_range = (0, max(ys_all) * 1.5, 0)  # head-room for the legend
    return fd


_PARETO_FIELDS = ("provider", "model", "workload", "concurrency")


def _pareto_text(row_id: Any, row: dict[str, Any], route: str, p95: float, cost: float, on_frontier: bool) -> str:
    return (ParetoPoint(row_id, route, p95, cost, SimpleNamespace(row=row)).text
            + ("\non the Pareto frontier" if on_frontier else ""))


def pareto_data(data: ChartData) -> FigureData:
    """The Pareto view as arrays: at most MAX_SCATTER points (every stride-th row, and the whole frontier)
    in one scatter per route, the frontier as one dotted line; hovering words only the point hovered."""
    fd = FigureData("pareto", FIGURES["pareto"])
    traces = data.traces()
    index: list[int] = []
    p95s: list[float] = []
    costs: list[float] = []
    codes: list[int] = []
    route_codes: dict[str, int] = {}
    for i, t in enumerate(traces):
        cost = t.cost_per_accepted_output
        if cost is None:
            continue
        p95 = as_number(t.row.get("latencyP95Ms"))
        if p95 is None:
            continue
        route = str(t.row.get("route"))
        index.append(i)
        p95s.append(p95)
        costs.append(cost)
        codes.append(route_codes.setdefault(route, len(route_codes)))
    if not index:
        fd.message = "No trace row has both a p95 latency and a cost per accepted output yet."
        return fd
    n = len(index)
    x = np.asarray(p95s, dtype=float)
    y = np.asarray(costs, dtype=float)
    code = np.asarray(codes, dtype=np.int64)
    routes = list(route_codes)
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
    fd.curves.append(CurveSpec(fx, fy, "#333333", 1.5, "Pareto frontier"))
    fd.series["Pareto frontier"] = (fx.tolist(), fy.tolist())

    # what hovering words, for the shown points only: the figure keeps no reference to the trace rows
    words = [(traces[index[p]].id, {f: traces[index[p]].row.get(f) for f in _PARETO_FIELDS}) for p in shown.tolist()]

    def describe(k: int, shown=shown, repeats=repeats, words=words) -> str:
        p = int(shown[k])
        more = int(repeats[k]) - 1
        return _pareto_text(*words[k], routes[int(code[p])], float(x[p]), float(y[p]), bool(on_frontier[p])) + (
            f"\n(and {more:,} more shown row(s) with the same values)" if more else "")

    fd.hover_points = HoverPoints(x[shown], y[shown], describe)
    target = data.report.target_p95_ms
    x_hi = float(x.max())
    if target is not None:
        fd.target = (target, 90, f"target {target:,.0f} ms", 0.06)
        x_hi = max(x_hi, target)
    fd.labels = ("USD per accepted output", "p95 latency (ms)")
    fd.x_range = (0, x_hi * 1.15, 0)
    fd.y_range = (0, float(y.max()) * 1.5, 0)  # head-room for the legend
    return fd


def cost_volume_data(data: ChartData) -> FigureData:
    fd = FigureData("cost-volume", FIGURES["cost-volume"], log=(True, True), legend_at=(10, 10))
    model = cost_volume_model(data)
    fd.notes = list(model.notes) + [f"{s.route}: {usd(s.replica_usd_per_month)} per replica-month; {s.basis}."
                                    for s in model.steps]
    if not model.lines and not model.steps:
        fd.message = "No route has a cost per request or a priced replica yet."
        fd.log = (False, False)
        return fd
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
    fd.x_range = (math.log10(x_min), math.log10(x_max), 0.02)
    positive = [y for y in y_values if y > 0]
    if positive:  # a decade and more of head-room above the data holds the legend
        fd.y_range = (math.log10(min(positive)), math.log10(max(positive)) + 1.3, 0.03)
    return fd


def readiness_data(data: ChartData) -> FigureData:
    fd = FigureData("readiness", FIGURES["readiness"])
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
    fd.target = (threshold, 0, f"threshold {threshold}", 0.99)
    fd.ticks = [wrap(d.name, 12) + "\n" + ("not scored" if data.workbook.scores[d.slug].score is None
                                           else str(data.workbook.scores[d.slug].score)) for d in book.readiness]
    fd.labels = ("Score", None)
    fd.x_range = (-0.6, len(xs) - 0.4, 0)
    fd.y_range = (0, 135, 0)  # head-room for the legend
    fd.left_ticks = list(range(0, 101, 20))
    return fd


DATA: dict[str, Callable[[ChartData], FigureData]] = {
    "cost-by-route": cost_by_route_data, "latency": latency_data, "cost-volume": cost_volume_data,
    "pareto": pareto_data, "readiness": readiness_data}


def figure_data(kind: str, data: ChartData) -> FigureData:
    """The numbers figure `kind` draws (plain Python and numpy; safe to call on a worker thread)."""
    if kind not in DATA:
        raise ValueError(f"unknown figure '{kind}' (choose one of: {', '.join(DATA)})")
    return DATA[kind](data)


# ---- Drawing: prepared FigureData into pyqtgraph items (GUI thread)
def _prepare(plot: pg.PlotItem, title: str, *, log: tuple[bool, bool] = (False, False),
             legend_at: tuple[int, int] = (-10, 10)) -> None:
    """Clear `plot` for a figure; `legend_at` is the legend's offset (negative: from the right/bottom)."""
    plot.clear()
    if plot.legend is None:
        plot.addLegend(offset=legend_at, labelTextSize="8pt", labelTextColor=TEXT_PEN,
                       brush=pg.mkBrush(255, 255, 255, 225), pen=pg.mkPen("#bbb"), verSpacing=-4)
    plot.legend.clear()
    plot.legend.setOffset(legend_at)
    plot.setTitle(title, size="10pt", color=TEXT_PEN)
    plot.setLogMode(x=log[0], y=log[1])
    plot.showGrid(x=True, y=True, alpha=0.15)
    plot.enableAutoRange()
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(AXIS_PEN))
        axis.setTextPen(pg.mkPen(TEXT_PEN))
        axis.setTicks(None)
    plot.getAxis("bottom").setHeight(None)
    plot.getViewBox().setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    plot.setMenuEnabled(False)


def _no_data(figure: Figure, message: str) -> Figure:
    figure.message = message
    text = pg.TextItem(message, color=TEXT_PEN, anchor=(0.5, 0.5))
    figure.plot.addItem(text)
    text.setPos(0.5, 0.5)
    figure.plot.setXRange(0, 1)
    figure.plot.setYRange(0, 1)
    figure.plot.getAxis("left").setTicks([[]])
    figure.plot.getAxis("bottom").setTicks([[]])
    return figure


def _legend(plot: pg.PlotItem, color: QColor, name: str, symbol: str = "s") -> None:
    """A legend entry for something drawn without a legend of its own (bars)."""
    sample = pg.ScatterPlotItem([], [], symbol=symbol, size=11, brush=pg.mkBrush(color),
                                pen=pg.mkPen(color.darker(130)))
    plot.legend.addItem(sample, name)


def _category_ticks(plot: pg.PlotItem, labels: Sequence[str]) -> None:
    """Tick labels under categories, with room for as many lines as the longest label has."""
    axis = plot.getAxis("bottom")
    axis.setTicks([[(i, text) for i, text in enumerate(labels)]])
    lines = max((text.count("\n") + 1 for text in labels), default=1)
    axis.setHeight(18 * lines + 12)


def _target_line(plot: pg.PlotItem, value: float, angle: int, label: str,
                 position: float | None = None) -> pg.InfiniteLine:
    """A dashed red line at `value` (angle 0: horizontal, 90: vertical) labelled inside the plot."""
    position = position if position is not None else (0.92 if angle == 90 else 0.12)
    if angle == 90:
        anchors = [(1, 1), (1, 1)] if position < 0.5 else [(1, 0), (1, 0)]
    else:
        anchors = [(1, 1), (1, 1)] if position > 0.5 else [(0, 1), (0, 1)]
    line = pg.InfiniteLine(pos=value, angle=angle, movable=False,
                           pen=pg.mkPen(TARGET_COLOR, width=2, style=Qt.PenStyle.DashLine),
                           label=label, labelOpts={"position": position, "color": TARGET_COLOR,
                                                   "anchors": anchors})
    plot.addItem(line)
    return line


def draw_figure(fd: FigureData, plot: pg.PlotItem | None = None) -> Figure:
    """Turn prepared figure data into pyqtgraph items in `plot` (cleared first; a new PlotItem when None)."""
    plot = plot if plot is not None else pg.PlotItem()
    figure = Figure(fd.kind, fd.title, plot, dict(fd.series), list(fd.hover), None, list(fd.notes),
                    fd.hover_points, fd)
    _prepare(plot, fd.title, log=fd.log, legend_at=fd.legend_at)
    if fd.message:
        return _no_data(figure, fd.message)
    top = fd.y_range[1] / 1.5 if fd.y_range and fd.kind == "cost-by-route" else 0.0
    for bar in fd.bars:
        color = QColor(bar.color)
        fill = QColor(color)
        if not bar.solid:
            fill.setAlpha(70)
        edge = (pg.mkPen(color.darker(130), width=1.5,
                         style=Qt.PenStyle.SolidLine if bar.solid else Qt.PenStyle.DashLine)
                if bar.label is not None else pg.mkPen(color.darker(130)))
        plot.addItem(pg.BarGraphItem(x=[bar.x], height=[bar.height], width=fd.bar_width, brush=pg.mkBrush(fill),
                                     pen=edge))
        if bar.label is not None:
            label = pg.TextItem(bar.label, color=TEXT_PEN, anchor=(0.5, 1))
            label.setPos(bar.x, bar.height + top * 0.01)
            plot.addItem(label)
    reference_legend = None
    for x, score in fd.references:
        mark = pg.PlotDataItem([x - 0.35, x + 0.35], [score] * 2,
                               pen=pg.mkPen("#3c3c3c", width=2, style=Qt.PenStyle.DotLine))
        plot.addItem(mark)
        reference_legend = reference_legend or mark
    for name, color_hex, xs, ys in fd.scatters:
        color = QColor(color_hex)
        item = pg.ScatterPlotItem(x=xs, y=ys, size=11, brush=pg.mkBrush(color), pen=pg.mkPen(color.darker(140)),
                                  symbol="o")
        plot.addItem(item)
        plot.legend.addItem(item, name)
    for curve in fd.curves:
        if fd.kind == "pareto":
            pen = pg.mkPen(curve.color, width=curve.width, style=Qt.PenStyle.DotLine)
            item = pg.PlotDataItem(curve.xs, curve.ys, pen=pen)
        elif curve.symbols:
            color = QColor(curve.color)
            item = pg.PlotDataItem(curve.xs, curve.ys, pen=pg.mkPen(color, width=curve.width), symbol="o",
                                   symbolSize=8, symbolBrush=pg.mkBrush(color), symbolPen=pg.mkPen(color.darker(130)))
        else:
            item = pg.PlotDataItem(curve.xs, curve.ys, pen=pg.mkPen(QColor(curve.color), width=curve.width))
        plot.addItem(item)
        if curve.legend is not None:
            plot.legend.addItem(item, curve.legend)
    if fd.marks is not None:
        marks = pg.PlotDataItem(fd.marks[0], fd.marks[1], pen=None, symbol="d", symbolSize=13,
                                symbolBrush=pg.mkBrush("#ffd400"), symbolPen=pg.mkPen("#333", width=1.5))
        plot.addItem(marks)
        plot.legend.addItem(marks, "break-even")
    if fd.forecast:
        line = pg.InfiniteLine(pos=math.log10(fd.forecast), angle=90, movable=False,
                               pen=pg.mkPen(FORECAST_COLOR, width=1.5, style=Qt.PenStyle.DashLine),
                               label=f"forecast {count(fd.forecast)}/month",
                               labelOpts={"position": 0.04, "color": FORECAST_COLOR, "anchors": [(0, 1), (0, 1)]})
        plot.addItem(line)
    for color_hex, name in fd.legend_swatches:
        _legend(plot, QColor(color_hex), name)
    if reference_legend is not None:
        plot.legend.addItem(reference_legend, "playbook reference")
    if fd.target is not None:
        _target_line(plot, *fd.target)
    if fd.ticks is not None:
        _category_ticks(plot, fd.ticks)
    left, bottom = fd.labels
    if left:
        plot.setLabel("left", left)
    if bottom:
        plot.setLabel("bottom", bottom)
    if fd.x_range is not None:
        plot.setXRange(fd.x_range[0], fd.x_range[1], padding=fd.x_range[2])
    if fd.y_range is not None:
        plot.setYRange(fd.y_range[0], fd.y_range[1], padding=fd.y_range[2])
    if fd.left_ticks is not None:
        plot.getAxis("left").setTicks([[(v, str(v)) for v in fd.left_ticks]])
    return figure


def build_figure(kind: str, data: ChartData | FigureData, plot: pg.PlotItem | None = None) -> Figure:
    """Draw figure `kind` into `plot` (cleared first; a new PlotItem when None), from the chart data or from
    figure data prepared beforehand (e.g. on a worker thread)."""
    if isinstance(data, FigureData):
        if data.kind != kind:
            raise ValueError(f"figure data for '{data.kind}', not '{kind}'")
        return draw_figure(data, plot)
    return draw_figure(figure_data(kind, data), plot)


# ---- Export
def export_plot(plot: pg.PlotItem, path: Path | str, dpi: int = 150, width_in: float | None = None) -> Path:
    """Write the plot as PNG (at `dpi`) or SVG, chosen by the file's suffix."""
    import pyqtgraph.exporters as exporters

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        exporters.SVGExporter(plot).export(str(path))
    elif suffix == ".png":
        exporter = exporters.ImageExporter(plot)
        logical = plot.sceneBoundingRect().width() or 800
        exporter.parameters()["width"] = int(round((width_in * dpi) if width_in else logical * dpi / 96))
        exporter.parameters()["antialias"] = True
        if not exporter.export(str(path)) and not path.exists():
            raise OSError(f"could not write {path}")
    else:
        raise ValueError(f"save a figure as .png or .svg, not '{path.suffix or path.name}'")
    return path


def _ensure_app() -> Any:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = pg.mkQApp()
    return app


def render_figure(kind: str, report: MetricsReport, workbook: Workbook, path: Path | str, dpi: int = 150, *,
                  scenarios: Sequence[Scenario] = (), playbook: Playbook | None = None,
                  catalog: Catalog | None = None, workload: str | None = None,
                  size_in: tuple[float, float] = (8.0, 4.5)) -> Figure:
    """Draw a figure offscreen and write it to `path` (.png at `dpi`, or .svg); no window is shown."""
    from PySide6.QtCore import QCoreApplication, QEvent

    _ensure_app()
    canvas = pg.GraphicsLayoutWidget()
    canvas.setBackground("w")
    width, height = int(size_in[0] * 96), int(size_in[1] * 96)
    canvas.resize(width, height)
    canvas.ci.setContentsMargins(6, 6, 6, 6)
    plot = canvas.addPlot()
    data = ChartData(report, workbook, playbook, tuple(scenarios), catalog, workload)
    try:
        figure = build_figure(kind, data, plot)
        canvas.ci.setGeometry(QRectF(0, 0, width, height))  # lay out without showing the widget
        canvas.ci.layout.activate()
        export_plot(plot, path, dpi, size_in[0])
    finally:
        canvas.clear()
        canvas.close()
        canvas.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return figure


def figure_kinds() -> list[str]:
    return list(FIGURES)


def summary_rows(model: CostVolumeModel) -> list[tuple[str, str]]:
    """The cost-volume figure in words, for the memo and accessibility."""
    rows = [(line.route, f"{usd(line.usd_per_request, 4)} per request") for line in model.lines]
    rows += [(s.route, f"{usd(s.replica_usd_per_month)} per replica-month for {count(s.requests_per_month_per_replica)}"
                       " requests") for s in model.steps]
    rows += [(f"Break-even {b.gpu_route} vs {b.token_route}", f"{count(b.volume)} requests/month")
             for b in model.break_evens]
    return rows


__all__ = ["FIGURES", "ChartData", "Figure", "FigureData", "HoverSpot", "HoverPoints", "figure_data", "draw_figure",
           "build_figure", "render_figure", "export_plot",
           "cost_by_route_model", "latency_model", "pareto_model", "cost_volume_model", "CostVolumeModel"]
