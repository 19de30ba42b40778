"""The route-economics figures as plain functions, drawn into pyqtgraph PlotItems.

Each figure is first worked out as plain numbers (the `*_model` functions, tested on their own), then drawn
by `build_figure(kind, data, plot)` into a PlotItem. The Economics page shows that PlotItem in a PlotWidget;
`render_figure` draws the same figure offscreen into a PNG or SVG file for the PDF memo (no window shown).

Figures (kinds): "cost-by-route", "latency", "cost-volume", "pareto", "readiness". Each records what it
plotted (`Figure.series`) and where hovering shows exact values (`Figure.hover`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
MET_COLOR = QColor(46, 125, 50)
BELOW_COLOR = QColor(230, 145, 56)
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
        return best


def route_color(playbook: Playbook, route: str) -> QColor:
    names = list(playbook.trace_route_names())
    index = names.index(route) if route in names else len(names) + sum(map(ord, route)) % 4
    return QColor(ROUTE_COLORS[index % len(ROUTE_COLORS)])


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
    traces = data.traces()
    workloads = sorted({str(t.row.get("workload")) for t in traces})
    routes_order = list(data.book.trace_route_names())
    bars: list[CostBar] = []
    missing: list[str] = []
    for workload in workloads:
        rows = [t for t in traces if str(t.row.get("workload")) == workload]
        routes = sorted({str(t.row.get("route")) for t in rows},
                        key=lambda r: (routes_order.index(r) if r in routes_order else 99, r))
        for route in routes:
            best = report.best_at_target(workload, route)
            if best is not None and best.cost_per_accepted_output is not None:
                bars.append(CostBar(workload, route, best.cost_per_accepted_output, True, best.row_id,
                                    f"{route}, {workload}\n{usd(best.cost_per_accepted_output, 4)} per accepted "
                                    f"output at target p95 (row #{best.row_id}, {best.provider} {best.model})"))
                continue
            priced = [t for t in rows if str(t.row.get("route")) == route and t.cost_per_accepted_output is not None]
            if priced:
                cheapest = min(priced, key=lambda t: t.cost_per_accepted_output)
                why = best.reason if best is not None and best.reason else "no row meets the target p95"
                bars.append(CostBar(workload, route, cheapest.cost_per_accepted_output, False, cheapest.id,
                                    f"{route}, {workload}\n{usd(cheapest.cost_per_accepted_output, 4)} per "
                                    f"accepted output (row #{cheapest.id}) - NOT at target: {why}"))
            else:
                reason = next((t.cost_reason for t in rows if str(t.row.get("route")) == route and t.cost_reason),
                              "not observed")
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


# ---- Drawing
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


def draw_cost_by_route(data: ChartData, plot: pg.PlotItem) -> Figure:
    figure = Figure("cost-by-route", FIGURES["cost-by-route"], plot)
    _prepare(plot, figure.title)
    workloads, bars, missing = cost_by_route_model(data)
    figure.notes = missing
    if not bars:
        return _no_data(figure, "No trace row has a cost per accepted output yet" +
                        (f" ({missing[0]})" if missing else "; import traces with costUsd and acceptedOutputRate."))
    per_workload = {w: [b for b in bars if b.workload == w] for w in workloads}
    widest = max(len(v) for v in per_workload.values())
    width = 0.8 / max(widest, 1)
    seen_routes: set[str] = set()
    top = max(b.value for b in bars)
    for i, workload in enumerate(workloads):
        group = per_workload[workload]
        for j, bar in enumerate(group):
            x = i + (j - (len(group) - 1) / 2) * width
            color = route_color(data.book, bar.route)
            fill = QColor(color)
            if not bar.at_target:
                fill.setAlpha(70)
            item = pg.BarGraphItem(x=[x], height=[bar.value], width=width * 0.92, brush=pg.mkBrush(fill),
                                   pen=pg.mkPen(color.darker(130), width=1.5,
                                                style=Qt.PenStyle.SolidLine if bar.at_target
                                                else Qt.PenStyle.DashLine))
            plot.addItem(item)
            xs, ys = figure.series.setdefault(bar.route, ([], []))
            xs.append(x)
            ys.append(bar.value)
            label = pg.TextItem(usd(bar.value) + ("" if bar.at_target else "*"), color=TEXT_PEN, anchor=(0.5, 1))
            label.setPos(x, bar.value + top * 0.01)
            plot.addItem(label)
            figure.hover.append(HoverSpot(x, bar.value, bar.text,
                                          (x - width / 2, 0, x + width / 2, max(bar.value, top * 0.03))))
            if bar.route not in seen_routes:
                seen_routes.add(bar.route)
                _legend(plot, color, bar.route)
    if any(not b.at_target for b in bars):
        _legend(plot, QColor(200, 200, 200), "* pale: no row meets the target p95")
    _category_ticks(plot, [wrap(w, 20) for w in workloads])
    plot.setLabel("left", "USD per accepted output")
    plot.setXRange(-0.6, len(workloads) - 0.4, padding=0)
    plot.setYRange(0, top * 1.5, padding=0)  # head-room for the value labels and the legend
    return figure


def draw_latency(data: ChartData, plot: pg.PlotItem) -> Figure:
    figure = Figure("latency", FIGURES["latency"], plot)
    _prepare(plot, figure.title, legend_at=(10, 10))
    series = latency_model(data)
    target = data.report.target_p95_ms
    if not series:
        return _no_data(figure, "No trace row has a measured p95 latency yet.")
    seen: set[str] = set()
    ys_all = []
    xs_all = []
    for s in series:
        color = route_color(data.book, s.route)
        xs = [c for c, _ in s.points]
        ys = [ms for _, ms in s.points]
        item = pg.PlotDataItem(xs, ys, pen=pg.mkPen(color, width=2), symbol="o", symbolSize=8,
                               symbolBrush=pg.mkBrush(color), symbolPen=pg.mkPen(color.darker(130)))
        plot.addItem(item)
        if s.route not in seen:
            seen.add(s.route)
            plot.legend.addItem(item, s.route)
        figure.series[s.label] = (xs, ys)
        xs_all += xs
        ys_all += ys
        for (c, ms), (n, low) in zip(s.points, s.rows):
            over = target is not None and ms > target
            spread = f" (highest of {n} rows; lowest {low:,.0f} ms)" if n > 1 else ""
            figure.hover.append(HoverSpot(c, ms, f"{s.label}\nconcurrency {c:g}: p95 {ms:,.0f} ms{spread}"
                                          + (" (over the target)" if over else "")))
    if target is not None:
        _target_line(plot, target, 0, f"target p95 {target:,.0f} ms")
        ys_all.append(target)
    else:
        figure.notes.append("No target p95 is set in the buyer context.")
    plot.setLabel("left", "p95 latency (ms)")
    plot.setLabel("bottom", "Concurrency (concurrent requests)")
    x_hi = max(xs_all)
    plot.setXRange(0, x_hi * 1.15 + 1, padding=0)
    plot.setYRange(0, max(ys_all) * 1.5, padding=0)  # head-room for the legend
    return figure


def draw_pareto(data: ChartData, plot: pg.PlotItem) -> Figure:
    figure = Figure("pareto", FIGURES["pareto"], plot)
    _prepare(plot, figure.title)
    points, frontier = pareto_model(data)
    if not points:
        return _no_data(figure, "No trace row has both a p95 latency and a cost per accepted output yet.")
    on_frontier = {id(p) for p in frontier}
    stride = math.ceil(len(points) / MAX_SCATTER)
    shown = [p for i, p in enumerate(points) if i % stride == 0 or id(p) in on_frontier]
    if stride > 1:
        figure.notes.append(f"Showing {len(shown):,} of {len(points):,} rows (every {stride}th, and the whole "
                            "Pareto frontier).")
    by_route: dict[str, list[ParetoPoint]] = {}
    for p in shown:
        by_route.setdefault(p.route, []).append(p)
    for route, pts in by_route.items():
        color = route_color(data.book, route)
        item = pg.ScatterPlotItem([p.p95_ms for p in pts], [p.cost for p in pts], size=11,
                                  brush=pg.mkBrush(color), pen=pg.mkPen(color.darker(140)), symbol="o")
        plot.addItem(item)
        plot.legend.addItem(item, route)
        figure.series[route] = ([p.p95_ms for p in pts], [p.cost for p in pts])
        for p in pts:
            figure.hover.append(HoverSpot(p.p95_ms, p.cost, (lambda p=p: p.text + (
                "\non the Pareto frontier" if id(p) in on_frontier else ""))))
    fx, fy = [p.p95_ms for p in frontier], [p.cost for p in frontier]
    frontier_item = pg.PlotDataItem(fx, fy, pen=pg.mkPen("#333", width=1.5, style=Qt.PenStyle.DotLine),
                                    stepMode=None)
    plot.addItem(frontier_item)
    plot.legend.addItem(frontier_item, "Pareto frontier")
    figure.series["Pareto frontier"] = (fx, fy)
    target = data.report.target_p95_ms
    x_hi = max(p.p95_ms for p in points)
    if target is not None:
        _target_line(plot, target, 90, f"target {target:,.0f} ms", position=0.06)
        x_hi = max(x_hi, target)
    plot.setLabel("left", "USD per accepted output")
    plot.setLabel("bottom", "p95 latency (ms)")
    plot.setXRange(0, x_hi * 1.15, padding=0)
    plot.setYRange(0, max(p.cost for p in points) * 1.5, padding=0)  # head-room for the legend
    return figure


def draw_cost_volume(data: ChartData, plot: pg.PlotItem) -> Figure:
    figure = Figure("cost-volume", FIGURES["cost-volume"], plot)
    _prepare(plot, figure.title, log=(True, True), legend_at=(10, 10))
    model = cost_volume_model(data)
    figure.notes = list(model.notes) + [f"{s.route}: {usd(s.replica_usd_per_month)} per replica-month; {s.basis}."
                                        for s in model.steps]
    if not model.lines and not model.steps:
        plot.setLogMode(x=False, y=False)
        return _no_data(figure, "No route has a cost per request or a priced replica yet.")
    x_min, x_max = model.x_range
    xs = [x_min * (x_max / x_min) ** (i / 60) for i in range(61)]
    y_values: list[float] = []
    for line in model.lines:
        color = route_color(data.book, line.route)
        ys = [line.cost(x) for x in xs]
        item = pg.PlotDataItem(xs, ys, pen=pg.mkPen(color, width=2))
        plot.addItem(item)
        plot.legend.addItem(item, f"{line.route} (per token)")
        figure.notes.append(f"{line.route}: {usd(line.usd_per_request, 4)} per request, mean of {line.rows} "
                            "row(s).")
        figure.series[line.route] = (xs, ys)
        y_values += ys
        for x in xs[::6]:
            figure.hover.append(HoverSpot(math.log10(x), math.log10(line.cost(x)),
                                          f"{line.route}\n{count(x)} requests/month: {usd(line.cost(x))}/month "
                                          f"({usd(line.usd_per_request, 4)} per request, mean of {line.rows} row(s))"))
    for step in model.steps:
        color = route_color(data.book, step.route)
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
        item = pg.PlotDataItem(sx, sy, pen=pg.mkPen(color, width=2.5))
        plot.addItem(item)
        plot.legend.addItem(item, f"{step.route} (steps by replica)")
        figure.series[step.route] = (sx, sy)
        y_values += sy
        for x, y in zip(sx, sy):
            replicas = max(1, round(y / step.replica_usd_per_month))
            figure.hover.append(HoverSpot(math.log10(x), math.log10(y),
                                          f"{step.route}\n{replicas} replica(s): {usd(y)}/month, up to "
                                          f"{count(replicas * step.requests_per_month_per_replica)} requests/month"))
    if model.break_evens:
        bx = [b.volume for b in model.break_evens]
        by = [b.cost for b in model.break_evens]
        marks = pg.PlotDataItem(bx, by, pen=None, symbol="d", symbolSize=13, symbolBrush=pg.mkBrush("#ffd400"),
                                symbolPen=pg.mkPen("#333", width=1.5))
        plot.addItem(marks)
        plot.legend.addItem(marks, "break-even")
        figure.series["break-even"] = (bx, by)
        for b in model.break_evens:
            figure.hover.append(HoverSpot(math.log10(b.volume), math.log10(b.cost),
                                          f"Break-even: {b.gpu_route} with {b.replicas} replica(s) costs the same "
                                          f"as {b.token_route}\nat {count(b.volume)} requests/month "
                                          f"({usd(b.cost)}/month)"))
    if model.forecast:
        line = pg.InfiniteLine(pos=math.log10(model.forecast), angle=90, movable=False,
                               pen=pg.mkPen(FORECAST_COLOR, width=1.5, style=Qt.PenStyle.DashLine),
                               label=f"forecast {count(model.forecast)}/month",
                               labelOpts={"position": 0.04, "color": FORECAST_COLOR, "anchors": [(0, 1), (0, 1)]})
        plot.addItem(line)
        figure.hover.append(HoverSpot(math.log10(model.forecast), math.nan,
                                      f"Forecast volume in scope: {count(model.forecast)} requests/month"))
    plot.setLabel("left", "Monthly cost (USD)")
    plot.setLabel("bottom", "Monthly volume (requests)")
    positive = [y for y in y_values if y > 0]
    plot.setXRange(math.log10(x_min), math.log10(x_max), padding=0.02)
    if positive:  # a decade and more of head-room above the data holds the legend
        plot.setYRange(math.log10(min(positive)), math.log10(max(positive)) + 1.3, padding=0.03)
    return figure


def draw_readiness(data: ChartData, plot: pg.PlotItem) -> Figure:
    figure = Figure("readiness", FIGURES["readiness"], plot)
    _prepare(plot, figure.title)
    book = data.book
    threshold = data.workbook.context.readiness_threshold
    xs, heights = [], []
    reference_legend = None
    for i, d in enumerate(book.readiness):
        score = data.workbook.scores[d.slug].score
        xs.append(float(i))
        heights.append(float(score) if score is not None else 0.0)
        color = MET_COLOR if score is not None and score >= threshold else BELOW_COLOR
        plot.addItem(pg.BarGraphItem(x=[i], height=[heights[-1]], width=0.6, brush=pg.mkBrush(color),
                                     pen=pg.mkPen(color.darker(130))))
        if d.reference_score is not None:
            mark = pg.PlotDataItem([i - 0.35, i + 0.35], [d.reference_score] * 2,
                                   pen=pg.mkPen("#3c3c3c", width=2, style=Qt.PenStyle.DotLine))
            plot.addItem(mark)
            if reference_legend is None:
                reference_legend = mark
        text = "not scored" if score is None else str(score)
        figure.hover.append(HoverSpot(i, heights[-1], f"{d.name}: {text} (threshold {threshold}, playbook "
                                                      f"reference {d.reference_score})",
                                      (i - 0.3, 0, i + 0.3, max(heights[-1], 5))))
    figure.series["scores"] = (xs, heights)
    _legend(plot, MET_COLOR, "at or above the threshold")
    _legend(plot, BELOW_COLOR, "below")
    if reference_legend is not None:
        plot.legend.addItem(reference_legend, "playbook reference")
    _target_line(plot, threshold, 0, f"threshold {threshold}", position=0.99)
    _category_ticks(plot, [wrap(d.name, 12) + "\n" + (
        "not scored" if data.workbook.scores[d.slug].score is None else str(data.workbook.scores[d.slug].score))
        for d in book.readiness])
    plot.setLabel("left", "Score")
    plot.setXRange(-0.6, len(xs) - 0.4, padding=0)
    plot.setYRange(0, 135, padding=0)  # head-room for the legend
    plot.getAxis("left").setTicks([[(v, str(v)) for v in range(0, 101, 20)]])
    return figure


DRAW = {"cost-by-route": draw_cost_by_route, "latency": draw_latency, "cost-volume": draw_cost_volume,
        "pareto": draw_pareto, "readiness": draw_readiness}


def build_figure(kind: str, data: ChartData, plot: pg.PlotItem | None = None) -> Figure:
    """Draw figure `kind` into `plot` (cleared first; a new PlotItem when None)."""
    if kind not in DRAW:
        raise ValueError(f"unknown figure '{kind}' (choose one of: {', '.join(DRAW)})")
    return DRAW[kind](data, plot if plot is not None else pg.PlotItem())


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


__all__ = ["FIGURES", "ChartData", "Figure", "HoverSpot", "build_figure", "render_figure", "export_plot",
           "cost_by_route_model", "latency_model", "pareto_model", "cost_volume_model", "CostVolumeModel"]
