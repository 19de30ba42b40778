"""The memo's charts: the same figure models the Economics page draws, as inline vector SVG (no Qt)."""

from __future__ import annotations

from typing import Any

from desktop.economics.figures import ChartData, figure_data
from desktop.exports.pdf import ChartImage
from desktop.exports.svg_charts.figures import figure_svg

MEMO_CHARTS = (
    ("cost-by-route", "The cheapest configuration of each workload on each route; pale bars marked * have no "
                      "row that meets the target p95."),
    ("latency", "Measured p95 latency at each concurrency; the red line is the target p95. Points that would "
                "hide one another are set a marker's width apart."),
)


def memo_charts(data: Any) -> tuple[list[ChartImage], str | None]:
    """The memo's figures for export data `data` as SVG charts, and, when some could not be drawn, why (the
    memo then goes without them). Figures with nothing to draw are left out."""
    economics = data.decision.economics
    chart_data = ChartData(data.metrics, data.workbook, data.playbook, tuple(economics.scenarios),
                           economics.catalog)
    charts, problems = [], []
    for kind, caption in MEMO_CHARTS:
        try:
            fd = figure_data(kind, chart_data)
            if not fd.has_data:
                continue
            if kind == "cost-by-route" and all(bar.solid for bar in fd.bars):
                caption = caption.split(";")[0] + "."  # no pale bar to explain
            charts.append(ChartImage(kind, fd.title, caption, figure_svg(fd).encode("utf-8"), "image/svg+xml"))
        except Exception as exc:  # noqa: BLE001 - one broken figure must not stop the memo
            problems.append(f"{kind}: {type(exc).__name__}: {exc}")
    return charts, ("; ".join(problems) or None)
