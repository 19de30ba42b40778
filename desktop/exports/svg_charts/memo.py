"""The memo's charts: the same figure models the Economics page draws, as inline vector SVG (no Qt)."""

from __future__ import annotations

from typing import Any

from desktop.economics.figures import ChartData, figure_data
from desktop.economics.figures.traces import cost_by_route_model, latency_data
from desktop.exports.pdf import ChartImage
from desktop.exports.svg_charts.figures import figure_svg

MEMO_CHARTS = (
    ("cost-by-route", "The cheapest configuration of each workload on each route; pale bars marked * have no "
                      "row that meets the target p95."),
    ("latency", "Measured p95 latency at each concurrency; the red line is the target p95. Points that would "
                "hide one another are set a marker's width apart."),
)
# More latency series than a reader can tell apart on a page (and each one costs the PDF, and every later
# reading of it, thousands of drawing operations): beyond this the memo draws the configurations it prices.
MEMO_MAX_SERIES = 24


def memo_figures(data: Any) -> list[tuple[str, Any, str]]:
    """(kind, figure data, caption) of each memo figure for export data `data`, in the memo's order, those
    with nothing to draw left out. Raises what a broken figure raises (`memo_charts` turns it into a reason)."""
    return [figure for figure in (_memo_figure(kind, caption, data) for kind, caption in MEMO_CHARTS)
            if figure[1].has_data]


def memo_charts(data: Any) -> tuple[list[ChartImage], str | None]:
    """The memo's figures for export data `data` as SVG charts, and, when some could not be drawn, why (the
    memo then goes without them). Figures with nothing to draw are left out."""
    charts, problems = [], []
    for kind, caption in MEMO_CHARTS:
        try:
            kind, fd, caption = _memo_figure(kind, caption, data)
            if fd.has_data:
                charts.append(ChartImage(kind, fd.title, caption, figure_svg(fd).encode("utf-8"), "image/svg+xml"))
        except Exception as exc:  # noqa: BLE001 - one broken figure must not stop the memo
            problems.append(f"{kind}: {type(exc).__name__}: {exc}")
    return charts, ("; ".join(problems) or None)


def _chart_data(data: Any) -> ChartData:
    economics = data.decision.economics
    return ChartData(data.metrics, data.workbook, data.playbook, tuple(economics.scenarios), economics.catalog)


def _memo_figure(kind: str, caption: str, data: Any) -> tuple[str, Any, str]:
    chart_data = _chart_data(data)
    measured = _measured_configurations(chart_data) if kind == "latency" else 0
    if measured > MEMO_MAX_SERIES:  # without building the thousands of series first
        fd, caption = _priced_latency(chart_data, measured)
    else:
        fd = figure_data(kind, chart_data)
    if kind == "cost-by-route" and all(bar.solid for bar in fd.bars):
        caption = caption.split(";")[0] + "."  # no pale bar to explain
    return kind, fd, caption


def _measured_configurations(chart_data: ChartData) -> int:
    """How many latency series the figure would draw: the configurations with a p95 measured."""
    return sum(1 for g in chart_data.report.groups if g.rows > g.rows_without_p95)


def _priced_latency(chart_data: ChartData, measured: int) -> tuple[Any, str]:
    """The latency figure of the configurations the cost chart prices (one per workload and route), or, when
    it prices none, of the MEMO_MAX_SERIES configurations with the most rows measured; with a caption that
    says which, and how many of the measured configurations it shows."""
    _, bars, _ = cost_by_route_model(chart_data)
    if bars:
        chosen = {bar.configuration for bar in bars}
        which = "priced in the chart above"
    else:
        measured_groups = sorted((g for g in chart_data.report.groups if g.rows > g.rows_without_p95),
                                 key=lambda g: (-(g.rows - g.rows_without_p95), g.workload, g.route, g.provider,
                                                g.model))
        chosen = {(g.workload, g.route, g.provider, g.model) for g in measured_groups[:MEMO_MAX_SERIES]}
        which = "with the most rows measured"
    fd = latency_data(chart_data, only=chosen)
    caption = (f"Measured p95 latency at each concurrency of the {len(fd.curves):,} configurations {which}, "
               f"of {measured:,} measured (the Economics page draws them all); the red line is the target p95. "
               "Points that would hide one another are set a marker's width apart.")
    return fd, caption
