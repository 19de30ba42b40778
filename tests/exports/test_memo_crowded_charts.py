"""The memo's latency chart when more configurations were measured than a page can tell apart: it draws the
ones the cost chart prices (or, with no cost, the most measured), says so in its caption, and the collision
check that sets markers apart gives the same answer as comparing every pair.

Workbook (worked out by hand): target p95 20,000 ms, reviewer rate 60 USD/h, review 0 minutes, accepted rate 1,
so a row's cost per accepted output is its costUsd.
- alpha on Managed frontier API, models a0..a12, costUsd 0.10 + 0.01 k, p95 10,000 + 100 k (all meet the target):
  the cheapest at target is a0 (p95 10,000 ms);
- alpha on Dedicated endpoint, models d0..d12, costUsd 0.22 - 0.01 k, p95 11,000 + 100 k: d12 is the cheapest
  (0.10, p95 12,200 ms);
- beta on Dedicated endpoint, models b0..b1, p95 30,000 (no row meets the target): the bar is the cheapest row,
  b1 (costUsd 0.05 against 0.06), not at target.
28 configurations measured, more than MEMO_MAX_SERIES (24); the cost chart has 3 bars, so 3 latency series.
"""

from __future__ import annotations

import math
import random
import xml.etree.ElementTree as ET

from desktop.cli import main
from desktop.exports.svg_charts import MEMO_MAX_SERIES, memo_charts, memo_figures
from desktop.exports.svg_charts.figures import _PlacedMarkers
from tests.economics.figure_workbook import gather_export_data
from tests.exports.export_helpers import add_rows, base_row

SVG = "{http://www.w3.org/2000/svg}"


def _row(workload, route, model, cost, p95, concurrency=4):
    return base_row(workload=workload, route=route, provider="P", model=model, costUsd=cost, latencyP95Ms=p95,
                    latencyP50Ms=1000, ttftMs=100, acceptedOutputRate=1.0, reviewMinutes=0, concurrency=concurrency)


def crowded_workbook(path, *, priced: bool = True):
    assert main(["new", str(path)]) == 0
    assert main(["context", str(path), "--reviewer-rate", "60", "--target-p95-ms", "20000",
                 "--workload", "alpha=1000", "--workload", "beta=1000"]) == 0
    cost = (lambda c: c) if priced else (lambda c: None)
    rows = [_row("alpha", "Managed frontier API", f"a{k}", cost(0.10 + 0.01 * k), 10_000 + 100 * k) for k in range(13)]
    rows += [_row("alpha", "Dedicated endpoint", f"d{k}", cost(0.22 - 0.01 * k), 11_000 + 100 * k) for k in range(13)]
    rows += [_row("beta", "Dedicated endpoint", "b0", cost(0.06), 30_000),
             _row("beta", "Dedicated endpoint", "b1", cost(0.05), 30_000)]
    if not priced:  # two configurations measured twice: they are among the 24 with the most rows
        rows += [_row("alpha", "Dedicated endpoint", "d5", None, 11_900, concurrency=8),
                 _row("beta", "Dedicated endpoint", "b0", None, 31_000, concurrency=8)]
    add_rows(path, rows)
    return path


def test_the_memo_draws_the_priced_configurations_when_too_many_were_measured(tmp_path):
    data = gather_export_data(crowded_workbook(tmp_path / "crowded.ipwb"))
    (_, cost, _), (kind, latency, caption) = memo_figures(data)
    assert len(cost.bars) == 3
    assert kind == "latency"
    assert set(latency.series) == {"Managed frontier API: P a0 (alpha)", "Dedicated endpoint: P d12 (alpha)",
                                   "Dedicated endpoint: P b1 (beta)"}
    assert sorted(latency.series.values()) == [([4.0], [10_000.0]), ([4.0], [12_200.0]), ([4.0], [30_000.0])]
    assert caption.startswith("Measured p95 latency at each concurrency of the 3 configurations priced in the "
                              "chart above, of 28 measured (the Economics page draws them all)")
    charts, problem = memo_charts(data)
    assert problem is None
    svg = ET.fromstring(charts[1].data)
    assert len(svg.findall(f".//{SVG}polyline[@class='curve']")) == 3
    assert len(svg.findall(f".//{SVG}circle[@class='point']")) == 3
    assert charts[1].caption == caption


def test_without_costs_the_memo_draws_the_most_measured_configurations(tmp_path):
    data = gather_export_data(crowded_workbook(tmp_path / "unpriced.ipwb", priced=False))
    [(kind, latency, caption)] = memo_figures(data)  # no cost: the cost chart has nothing to draw
    assert kind == "latency"
    assert len(latency.series) == MEMO_MAX_SERIES
    assert {"Dedicated endpoint: P d5 (alpha)", "Dedicated endpoint: P b0 (beta)"} <= set(latency.series)
    assert latency.series["Dedicated endpoint: P d5 (alpha)"] == ([4.0, 8.0], [11_500.0, 11_900.0])
    assert caption.startswith(f"Measured p95 latency at each concurrency of the {MEMO_MAX_SERIES} configurations "
                              "with the most rows measured, of 28 measured")


def test_a_few_configurations_are_all_drawn(tmp_path):
    path = tmp_path / "few.ipwb"
    assert main(["new", str(path)]) == 0
    add_rows(path, [_row("alpha", "Managed frontier API", f"a{k}", 0.1, 10_000 + k) for k in range(MEMO_MAX_SERIES)])
    (_, _, _), (_, latency, caption) = memo_figures(gather_export_data(path))
    assert len(latency.series) == MEMO_MAX_SERIES
    assert caption.startswith("Measured p95 latency at each concurrency; the red line")


def test_the_marker_index_finds_exactly_the_markers_a_new_one_would_hide():
    rng = random.Random(7)
    placed = [(rng.uniform(0, 300), rng.uniform(0, 200)) for _ in range(400)]
    index = _PlacedMarkers()
    index.add(placed)
    for _ in range(3000):
        x, y = rng.uniform(-10, 310), rng.uniform(-10, 210)
        by_pairs = any(math.hypot(x - px, y - py) < _PlacedMarkers.REACH for px, py in placed)
        assert index.hides(x, y) == by_pairs
    # on the reach itself a marker is not hidden; just inside it is
    index = _PlacedMarkers()
    index.add([(0.0, 0.0)])
    assert not index.hides(_PlacedMarkers.REACH, 0.0) and not index.hides(0.0, -_PlacedMarkers.REACH)
    assert index.hides(_PlacedMarkers.REACH - 1e-6, 0.0) and index.hides(0.0, 1e-6 - _PlacedMarkers.REACH)
