"""The figures' data step (`figure_data`): plain numbers and arrays, no Qt objects, checked against values
worked out independently for a three-row workbook of the tests' own (tests/economics/figure_workbook.py: the
rows, and each cost per accepted output worked out there), and the Pareto view's cap and frontier against a
brute-force frontier on many synthetic rows.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from types import SimpleNamespace

import numpy as np
import pytest

from desktop.economics import figures as charts
from desktop.economics.figures import FIGURES, ChartData, FigureData, figure_data
from desktop.economics.figures.base import BELOW_HEX, MAX_SCATTER, MET_HEX
from desktop.resources import playbook
from desktop.ui.economics_charts import build_figure, draw_figure
from tests.economics.figure_workbook import (CONCURRENCY, COST_PER_REQUEST, COSTS, P95,
                                             REPLICA_REQUESTS_PER_SECOND, ROUTES, SCORES, WORKLOADS, chart_data,
                                             gather_export_data, three_row_workbook)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> ChartData:
    return chart_data(gather_export_data(three_row_workbook(tmp_path_factory.mktemp("figures") / "three.ipwb")))


def qt_objects(value, seen=None) -> list[str]:
    """The Qt/pyqtgraph objects reachable from `value` through dataclasses, containers and closures' data."""
    seen = seen if seen is not None else set()
    if id(value) in seen:
        return []
    seen.add(id(value))
    module = type(value).__module__ or ""
    if module.startswith(("PySide6", "shiboken6", "pyqtgraph")):
        return [f"{type(value).__module__}.{type(value).__name__}"]
    found = []
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            found += qt_objects(getattr(value, f.name), seen)
    elif isinstance(value, dict):
        for k, v in value.items():
            found += qt_objects(k, seen) + qt_objects(v, seen)
    elif isinstance(value, (list, tuple, set)):
        for v in value:
            found += qt_objects(v, seen)
    return found


@pytest.mark.parametrize("kind", list(FIGURES))
def test_figure_data_holds_no_qt_objects(data, kind):
    fd = figure_data(kind, data)
    assert isinstance(fd, FigureData) and fd.kind == kind and fd.message is None
    assert qt_objects(fd) == []


def test_figure_data_can_be_prepared_on_a_worker_thread(data):
    results = {}
    thread = threading.Thread(target=lambda: results.update({k: figure_data(k, data) for k in FIGURES}))
    thread.start()
    thread.join(30)
    assert set(results) == set(FIGURES)
    for kind, fd in results.items():
        assert fd.series == figure_data(kind, data).series, kind


def test_cost_by_route_bars(data):
    fd = figure_data("cost-by-route", data)
    # three workloads, one route each: a bar at each category, at 0, 1, 2 in workload-name order
    assert [(b.x, b.height) for b in fd.bars] == [(float(i), pytest.approx(COSTS[row])) for i, row in
                                                   enumerate(sorted(WORKLOADS, key=WORKLOADS.get))]
    target = data.report.target_p95_ms
    assert target == 20000.0
    assert [b.solid for b in fd.bars] == [P95[row] <= target for row in (1, 2, 3)]  # row 1 misses the target
    assert [b.label for b in fd.bars] == ["$3.25*", "$5.10", "$2.04"]
    assert {route: ys for route, (_xs, ys) in fd.series.items()} == {
        ROUTES[r]: [pytest.approx(COSTS[r])] for r in ROUTES}
    assert ("#c8c8c8", "* pale: no row meets the target p95") in fd.legend_swatches
    assert fd.y_range == (0, pytest.approx(max(COSTS.values()) * 1.5), 0)
    assert fd.units == ("usd", None) and fd.labels == ("USD per accepted output", None)
    assert "row #2" in fd.hover[1].text and "$5.1000" in fd.hover[1].text


def test_latency_points_and_target(data):
    fd = figure_data("latency", data)
    points = {(float(x), float(y)) for c in fd.curves for x, y in zip(c.xs, c.ys)}
    assert points == {(CONCURRENCY[r], P95[r]) for r in (1, 2, 3)}
    assert (fd.target.value, fd.target.angle) == (20000.0, 0)
    assert fd.x_range == (0, pytest.approx(32 * 1.15 + 1), 0)
    assert fd.y_range == (0, pytest.approx(24000 * 1.5), 0)
    assert any("(over the target)" in s.text and s.x == 4 for s in fd.hover)


def test_pareto_points_frontier_and_hover(qapp, data):
    fd = figure_data("pareto", data)
    scattered = {(float(x), round(float(y), 9)) for _r, _c, xs, ys in fd.scatters for x, y in zip(xs, ys)}
    assert scattered == {(P95[r], round(COSTS[r], 9)) for r in ROUTES}
    # row 3 is both the fastest and the cheapest: it alone is on the frontier
    assert fd.series["Pareto frontier"] == ([P95[3]], [pytest.approx(COSTS[3])])
    assert [name for name, *_ in fd.scatters] == [ROUTES[1], ROUTES[2], ROUTES[3]]
    figure = draw_figure(fd)
    text = figure.hover_text(P95[3], COSTS[3], (50, 0.05))
    assert "Row #3" in text and "p95 9,000 ms" in text and "on the Pareto frontier" in text
    assert "Row #1" in (text := figure.hover_text(P95[1], COSTS[1], (50, 0.05))) and "Pareto" not in text
    assert figure.hover_text(20000, 4.5, (50, 0.05)) is None
    assert fd.x_range == (0, pytest.approx(24000 * 1.15), 0)


def synthetic(n: int, seed: int = 3) -> ChartData:
    rng = np.random.default_rng(seed)
    p95 = rng.integers(1000, 40000, n).astype(float)
    cost = np.round(rng.random(n) * 10, 3)
    routes = ("Managed frontier API", "Hosted open-weight serverless", "Dedicated endpoint")
    traces = [SimpleNamespace(id=i + 1, cost_per_accepted_output=float(cost[i]) if i % 17 else None,
                              row={"latencyP95Ms": float(p95[i]), "route": routes[i % 3], "workload": "w",
                                   "provider": "p", "model": "m", "concurrency": 4})
              for i in range(n)]
    report = SimpleNamespace(traces=traces, target_p95_ms=20000.0)
    return ChartData(report, None, playbook())


def brute_frontier(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Points no other point beats: faster-or-equal and strictly cheaper, or equal and listed first."""
    result = []
    for p95, cost in sorted(set(points)):
        if not any(q95 <= p95 and qc < cost for q95, qc in points):
            result.append((p95, cost))
    return result


def test_pareto_frontier_matches_brute_force():
    data = synthetic(1500)
    fd = figure_data("pareto", data)
    points = [(float(t.row["latencyP95Ms"]), t.cost_per_accepted_output) for t in data.report.traces
              if t.cost_per_accepted_output is not None]
    fx, fy = fd.series["Pareto frontier"]
    assert list(zip(fx, fy)) == brute_frontier(points)
    assert sum(len(xs) for _r, _c, xs, _ys in fd.scatters) == len(points)  # under the cap: every row


def test_pareto_caps_the_scatter_and_keeps_the_whole_frontier():
    data = synthetic(100_000)
    fd = figure_data("pareto", data)
    points, frontier = charts.pareto_model(data)  # the per-row reference
    assert fd.series["Pareto frontier"] == ([p.p95_ms for p in frontier], [p.cost for p in frontier])
    stride = math.ceil(len(points) / MAX_SCATTER)
    expected = {(p.p95_ms, p.cost) for i, p in enumerate(points) if i % stride == 0} | {
        (p.p95_ms, p.cost) for p in frontier}
    shown = {(float(x), float(y)) for _r, _c, xs, ys in fd.scatters for x, y in zip(xs, ys)}
    assert shown == expected
    assert len(fd.hover_points) == sum(len(xs) for _r, _c, xs, _ys in fd.scatters) <= MAX_SCATTER + len(frontier)
    assert f"of {len(points):,} rows (every {stride}th" in fd.notes[0]


def test_cost_volume_lines_steps_and_break_even(data):
    fd = figure_data("cost-volume", data)
    xs, ys = fd.series["Managed frontier API"]
    assert all(y == pytest.approx(x * COST_PER_REQUEST[1]) for x, y in zip(xs, ys))
    capacity = REPLICA_REQUESTS_PER_SECOND * 3600 * 730  # requests a month one replica serves
    monthly = COST_PER_REQUEST[3] * capacity  # no saved scenario: the price implied by row 3's costUsd
    sx, sy = fd.series["Dedicated endpoint"]
    assert sy[0] == pytest.approx(monthly)  # one replica at the lowest volume
    assert sx[1] == pytest.approx(capacity) and sy[1:3] == [pytest.approx(monthly), pytest.approx(2 * monthly)]
    bx, by = fd.series["break-even"]
    # one replica costs as much as a per-token route at monthly / (cost per request): managed and hosted
    for per_request in (COST_PER_REQUEST[1], COST_PER_REQUEST[2]):
        assert any(v == pytest.approx(monthly / per_request) and c == pytest.approx(monthly) for v, c in zip(bx, by))
    assert fd.forecast == 303_000  # 1,000 + 2,000 + 300,000
    assert fd.log == (True, True) and fd.units == ("usd", "count")


def test_readiness_scores_colours_and_threshold(data):
    fd = figure_data("readiness", data)
    scores = [SCORES[d.slug] for d in playbook().readiness]
    assert [b.height for b in fd.bars] == [float(s) for s in scores]
    assert [b.color for b in fd.bars] == [MET_HEX if s >= 70 else BELOW_HEX for s in scores]
    assert (fd.target.value, fd.target.angle) == (70, 0)
    assert [score for _x, score in fd.references] == [d.reference_score for d in playbook().readiness]


def test_drawing_prepared_data_matches_building_from_the_chart_data(qapp, data):
    for kind in FIGURES:
        drawn = draw_figure(figure_data(kind, data))
        built = build_figure(kind, data)
        assert drawn.series == built.series and [s.text for s in drawn.hover] == [s.text for s in built.hover], kind
        assert len(drawn.plot.items) == len(built.plot.items), kind


def test_saving_a_drawn_figure_as_svg_writes_the_memo_drawing(qapp, data, tmp_path):
    import xml.etree.ElementTree as ET

    import pyqtgraph as pg

    from desktop.ui.economics_charts import export_plot

    widget = pg.PlotWidget(background="w")
    figure = draw_figure(figure_data("cost-by-route", data), widget.getPlotItem())
    path = export_plot(figure.plot, tmp_path / "cost.svg")
    root = ET.fromstring(path.read_text(encoding="utf-8"))
    labels = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text") if t.get("class") == "bar-label"]
    assert labels == ["$3.25*", "$5.10", "$2.04"]  # row 1 (alpha) misses the target p95: starred
    assert "Cost per accepted output by workload and route" in [t.text for t in
                                                                root.iter("{http://www.w3.org/2000/svg}text")]
    png = export_plot(figure.plot, tmp_path / "cost.png", dpi=96)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
