"""The memo's vector charts: figure models drawn as SVG text (no Qt), parsed back with xml.etree and checked
against values worked out by hand for the three-row workbook of tests/economics/figure_workbook.py
(alpha 3.25 USD per accepted output at p95 24,000 ms, missing the 20,000 ms target; beta 5.10 at 15,000 ms;
gamma 2.04 at 9,000 ms).
"""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from desktop.economics.figures import (BarSpec, ChartData, CurveSpec, FigureData, TargetLine, Tornado, TornadoRow,
                                       Waterfall, WaterfallStep, figure_data, nice_step, nice_ticks)
from desktop.economics.figures.base import tick_label as format_tick
from desktop.exports.svg_charts import figure_svg, memo_charts, tornado_svg, waterfall_svg
from desktop.exports.svg_charts.canvas import text_width
from tests.economics.figure_workbook import COSTS, P95, chart_data, gather_export_data, three_row_workbook
from tests.exports.export_helpers import new_sample

NS = {"s": "http://www.w3.org/2000/svg"}
@pytest.fixture(scope="module")
def export_data(tmp_path_factory):
    return gather_export_data(three_row_workbook(tmp_path_factory.mktemp("svg") / "three.ipwb"))


@pytest.fixture(scope="module", name="chart_data")
def chart_data_fixture(export_data) -> ChartData:
    return chart_data(export_data)


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def texts(root: ET.Element, cls: str | None = None) -> list[str]:
    return [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")
            if cls is None or t.get("class") == cls]


def elements(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in root.iter(f"{{http://www.w3.org/2000/svg}}{tag}") if e.get("class") == cls]


# ---- ticks and numbers
def test_nice_ticks_are_one_two_five_steps():
    assert nice_step(30_000, 6) == 5_000  # 30,000 / 6 = 5,000 exactly
    assert nice_step(5.7, 6) == 1.0  # 0.95 -> 1
    assert nice_step(0.7, 6) == 0.2  # 0.117 -> 0.2
    assert nice_ticks(0, 28_200 * 1.05) == [0, 5_000, 10_000, 15_000, 20_000, 25_000, 30_000]
    assert nice_ticks(0, 5.0639 * 1.14) == [0, 1, 2, 3, 4, 5, 6]
    assert nice_ticks(0, 0.3) == pytest.approx([0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3])


def test_tick_labels_have_thousands_separators_and_units():
    assert format_tick(25_000, "ms", 5_000) == "25,000"
    assert format_tick(1_500, "usd", 500) == "$1,500"
    assert format_tick(0.5, "usd", 0.5) == "$0.50"
    assert format_tick(0.05, "usd", 0.05) == "$0.05"
    assert format_tick(-2_000, "usd", 1_000) == "-$2,000"
    assert format_tick(1e6, "count", 0, log=True) == "1 million"
    assert format_tick(1e4, "usd", 0, log=True) == "$10,000"
    assert format_tick(1_000, "money:EUR", 500) == "EUR 1,000"


def test_text_is_measured_with_the_bundled_font():
    # DejaVu Sans advances (units per em 2048): "1" = 1303, "0" = 1303 -> 0.636 em each
    assert text_width("10", 10) == pytest.approx(2 * 1303 / 2048 * 10)
    assert text_width("WWW", 8) > text_width("iii", 8) * 2


# ---- the memo's figures from the sample workbook
def test_cost_by_route_bars_and_value_labels(chart_data):
    root = parse(figure_svg(figure_data("cost-by-route", chart_data)))
    bars = elements(root, "rect", "bar")
    assert len(bars) == 3
    # workloads in name order: alpha, beta, gamma
    assert texts(root, "bar-label") == ["$3.25*", "$5.10", "$2.04"]
    heights = [float(b.get("height")) for b in bars]
    assert heights[1] / heights[0] == pytest.approx(COSTS[2] / COSTS[1], rel=1e-3)
    assert heights[2] / heights[0] == pytest.approx(COSTS[3] / COSTS[1], rel=1e-3)
    # alpha misses the target p95: a pale, dashed bar; the others solid
    assert [b.get("stroke-dasharray") is not None for b in bars] == [True, False, False]
    assert texts(root, "y-tick") == ["$0", "$1", "$2", "$3", "$4", "$5", "$6"]
    assert texts(root, "x-tick") == ["alpha", "beta", "gamma"]
    assert set(texts(root, "legend")) == {"Managed frontier API", "Hosted open-weight serverless",
                                          "Dedicated endpoint", "* pale: no row meets the target p95"}
    assert texts(root, "axis-title") == ["USD per accepted output"]


def test_latency_points_target_and_readable_layout(chart_data):
    root = parse(figure_svg(figure_data("latency", chart_data)))
    points = elements(root, "circle", "point")
    assert len(points) == 3
    ticks = {t.text: t for t in root.iter("{http://www.w3.org/2000/svg}text") if t.get("class") == "y-tick"}
    assert list(ticks) == ["0", "5,000", "10,000", "15,000", "20,000", "25,000", "30,000"]

    def y_of(value: float) -> float:  # from the drawn ticks: 0 and 30,000 ms
        y0 = float(ticks["0"].get("y"))
        y30 = float(ticks["30,000"].get("y"))
        return y0 + (y30 - y0) * value / 30_000 - 7.5 * 0.35

    assert sorted(float(p.get("cy")) for p in points) == pytest.approx(
        sorted(y_of(v) for v in P95.values()), abs=0.02)
    assert texts(root, "target-label") == ["target p95 20,000 ms"]
    assert texts(root, "x-tick")[-1] == "35"  # 32 with a margin: no point on the frame
    # every text at 7 pt or more
    assert min(float(t.get("font-size")) for t in root.iter("{http://www.w3.org/2000/svg}text")) >= 7
    # the rotated y-axis title sits left of the widest tick label, not over it
    title = next(t for t in root.iter("{http://www.w3.org/2000/svg}text") if t.get("class") == "axis-title"
                 and t.get("transform"))
    tick_left = min(float(t.get("x")) - text_width(t.text, 7.5) for t in ticks.values())
    assert float(title.get("x")) + 8.0 * 0.3 < tick_left
    # the legend is under the plot: below the x-axis title
    x_title = next(t for t in root.iter("{http://www.w3.org/2000/svg}text") if t.get("class") == "axis-title"
                   and not t.get("transform"))
    assert all(float(t.get("y")) > float(x_title.get("y")) for t in root.iter("{http://www.w3.org/2000/svg}text")
               if t.get("class") == "legend")


def test_every_figure_kind_draws_and_cost_volume_marks_break_evens(chart_data):
    from desktop.economics.figures import FIGURES

    for kind in FIGURES:
        root = parse(figure_svg(figure_data(kind, chart_data)))
        assert texts(root), kind
        sizes = [float(t.get("font-size")) for t in root.iter("{http://www.w3.org/2000/svg}text")]
        assert min(sizes) >= 7, kind  # readable on paper: the old memo's legends were 4 pt
        for t in root.iter("{http://www.w3.org/2000/svg}text"):  # every number with thousands separators
            assert not re.search(r"\d{4}", (t.text or "").replace("p95", "")), (kind, t.text)
    root = parse(figure_svg(figure_data("cost-volume", chart_data)))
    fd = figure_data("cost-volume", chart_data)
    assert len(elements(root, "polygon", "break-even")) == len(fd.marks[0])
    assert texts(root, "forecast-label") == ["forecast 303,000/month"]  # 1,000 + 2,000 + 300,000


def test_user_text_is_escaped_and_no_data_is_said():
    hostile = '</text></svg><script>alert(1)</script> & "x"'
    fd = FigureData("cost-by-route", "t", bars=[BarSpec(0.0, 2.0, "#1f77b4", True, "$2.00")], ticks=[hostile],
                    legend_swatches=[("javascript:alert(1)", hostile)], series={"r": ([0.0], [2.0])},
                    units=("usd", None), labels=("USD", None))
    svg = figure_svg(fd)
    root = parse(svg)
    assert hostile in texts(root, "legend")
    assert "<script>" not in svg and "javascript" not in svg  # colours outside #rrggbb are replaced
    empty = FigureData("latency", "t", message="No trace row has a measured p95 latency yet.")
    assert texts(parse(figure_svg(empty))) == ["No trace row has a measured p95 latency yet."]


def test_log_and_linear_curves_stay_inside_the_plot():
    xs = np.array([1.0, 10.0, 100.0])
    fd = FigureData("latency", "t", curves=[CurveSpec(xs, xs * 3, "#1f77b4", legend="line", symbols=True)],
                    series={"line": (list(xs), list(xs * 3))}, target=TargetLine(250.0, 0, "target"),
                    units=("ms", "count"), labels=("ms", "n"))
    root = parse(figure_svg(fd))
    ys = [float(p.get("cy")) for p in elements(root, "circle", "point")]
    axis_top = min(float(t.get("y")) for t in root.iter("{http://www.w3.org/2000/svg}text")
                   if t.get("class") == "y-tick")
    assert all(y > axis_top - 7.5 for y in ys)


# ---- the plan's generic figures
def test_waterfall_svg_labels_each_bar_with_its_signed_value():
    fall = Waterfall("Monthly cost", "Today", 12_000.0, (WaterfallStep("Batch", -4_500.0),
                                                          WaterfallStep("Review", 800.0)), "Plan",
                     missing=("GPU price",))
    root = parse(waterfall_svg(fall))
    assert texts(root, "bar-label") == ["$12,000", "-$4,500", "+$800", "$8,300"]  # 12,000 - 4,500 + 800
    bars = elements(root, "rect", "bar")
    heights = [float(b.get("height")) for b in bars]
    assert heights[1] / heights[0] == pytest.approx(4_500 / 12_000, rel=1e-3)
    assert heights[3] / heights[0] == pytest.approx(8_300 / 12_000, rel=1e-3)
    assert [b.get("fill") for b in bars] == ["#1f3864", "#2e7d32", "#c0504d", "#1f3864"]
    assert texts(root, "missing") == ["Not known (not drawn): GPU price"]


def test_tornado_svg_rows_widest_first_around_the_base():
    tornado = Tornado("Sensitivity", 10_000.0, (TornadoRow("Volume", 8_000.0, 13_000.0),
                                                 TornadoRow("Acceptance", 14_000.0, 7_000.0, "0.6", "0.95")),
                      unit="money", currency="EUR", value_axis="EUR per month")
    root = parse(tornado_svg(tornado))
    assert texts(root, "row-label") == ["Acceptance", "Volume"]  # swings 7,000 and 5,000
    assert texts(root, "bar-label") == ["EUR 14,000 (0.6)", "EUR 7,000 (0.95)", "EUR 8,000", "EUR 13,000"]
    bars = elements(root, "rect", "bar")
    widths = [float(b.get("width")) for b in bars]
    assert widths[0] / widths[2] == pytest.approx(4_000 / 2_000, rel=1e-3)  # |14,000-10,000| vs |8,000-10,000|
    assert all(label.startswith("EUR ") for label in texts(root, "x-tick"))


# ---- in the memo
def test_memo_charts_are_inline_svg(export_data):
    charts, problem = memo_charts(export_data)
    assert problem is None
    assert [c.kind for c in charts] == ["cost-by-route", "latency"]
    assert all(c.mime == "image/svg+xml" and c.is_svg for c in charts)
    from desktop.exports.pdf import memo_assets, memo_context, render_memo_html

    html = render_memo_html(memo_context(export_data, charts))
    assert html.count("<svg ") == 2 and "app:charts/" not in html
    assert not any(name.startswith("app:charts/") for name in memo_assets(charts))


def test_memo_pdf_chart_text_is_extractable(export_data, tmp_path):
    from desktop.exports.pdf import export_pdf

    charts, _ = memo_charts(export_data)
    pdf = export_pdf(tmp_path / "memo.pdf", export_data, charts=charts)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    for expected in ("$3.25*", "$5.10", "$2.04", "USD per accepted output", "target p95 20,000 ms",
                     "Concurrency (concurrent requests)", "30,000", "Hosted open-weight serverless"):
        assert expected in text, expected
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.findall(r"^\S+\s.*\b(yes|no)\s+(yes|no)\s+(yes|no)", fonts, re.M)
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:] if line.strip())  # all embedded


def test_headless_export_never_imports_qt(tmp_path):
    """`ipw export --pdf --xlsx` in a fresh interpreter leaves PySide6 and pyqtgraph out of sys.modules."""
    sample = new_sample(tmp_path / "sample.ipwb")
    probe = ("import sys; from desktop.cli import main; "
             f"code = main(['export', {str(sample)!r}, '--pdf', {str(tmp_path / 'm.pdf')!r}, "
             f"'--xlsx', {str(tmp_path / 'm.xlsx')!r}]); "
             "print('exit', code, 'PySide6' in sys.modules, 'pyqtgraph' in sys.modules)")
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=180,
                               cwd=Path(__file__).resolve().parents[2])
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip().splitlines()[-1] == "exit 0 False False"
    assert (tmp_path / "m.pdf").stat().st_size > 0 and (tmp_path / "m.xlsx").stat().st_size > 0


def test_a_point_is_never_drawn_over_another():
    # two series measured at the same place (concurrency 8, 1,000 ms): the second is set a marker's width aside
    same = np.array([8.0])
    fd = FigureData("latency", "t", curves=[CurveSpec(same, np.array([1000.0]), "#1f77b4", symbols=True),
                                            CurveSpec(same, np.array([1000.0]), "#e07b00", symbols=True)],
                    series={"a": ([8.0], [1000.0]), "b": ([8.0], [1000.0])}, units=("ms", "count"))
    (first, second) = [(float(p.get("cx")), float(p.get("cy"))) for p in elements(parse(figure_svg(fd)), "circle",
                                                                                    "point")]
    assert second[1] == first[1] and abs(second[0] - first[0]) >= 2 * 2.8


def test_the_caption_explains_pale_bars_only_when_there_are_some(export_data):
    charts, _ = memo_charts(export_data)
    assert "pale bars marked *" in charts[0].caption  # alpha misses the target p95
    assert "set a marker's width apart" in charts[1].caption


def test_crowded_value_labels_turn_upright_instead_of_overlapping():
    # 8 workloads x 4 routes: bars 0.2 category units apart, about 11 pt, narrower than "$1,234.56"
    bars = [BarSpec(i + (j - 1.5) * 0.2, 1234.56 + i, "#1f77b4", True, "$1,234.56") for i in range(8) for j in range(4)]
    fd = FigureData("cost-by-route", "t", bars=bars, bar_width=0.18, ticks=[f"w{i}" for i in range(8)],
                    series={"r": ([b.x for b in bars], [b.height for b in bars])}, units=("usd", None))
    labels = [t for t in parse(figure_svg(fd)).iter("{http://www.w3.org/2000/svg}text")
              if t.get("class") == "bar-label"]
    assert len(labels) == 32 and all("rotate(-90" in (t.get("transform") or "") for t in labels)
    assert all(float(t.get("y")) - text_width(t.text, 7.5) >= 0 for t in labels)  # the turned label stays inside
    roomy = FigureData("cost-by-route", "t", bars=bars[:2], ticks=["a"], series={"r": ([0.0], [1.0])})
    assert not any(t.get("transform") for t in parse(figure_svg(roomy)).iter("{http://www.w3.org/2000/svg}text")
                   if t.get("class") == "bar-label")


def test_long_names_are_cut_to_their_room_with_an_ellipsis():
    long_word = "x" * 300  # one word: cannot be wrapped
    fd = FigureData("cost-by-route", "t", bars=[BarSpec(0.0, 1.0, "#1f77b4", True, "$1.00"),
                                                BarSpec(1.0, 2.0, "#1f77b4", True, "$2.00")],
                    ticks=[long_word, "short"], legend_swatches=[("#1f77b4", "route " + long_word)],
                    series={"r": ([0.0, 1.0], [1.0, 2.0])}, units=("usd", None))
    root = parse(figure_svg(fd))
    (legend,) = texts(root, "legend")
    assert legend.startswith("route xxx") and legend.endswith("\u2026")
    assert 18 + text_width(legend, 7.5) <= 482
    first_tick = texts(root, "x-tick")[0]
    assert first_tick.endswith("\u2026") and text_width(first_tick, 7.5) < 482 / 2
    assert texts(root, "x-tick")[-1] == "short"


def test_tornado_rows_with_both_ends_on_one_side_are_split_and_labels_stay_on_the_page():
    tornado = Tornado("Sensitivity", 1_000_000.0, (TornadoRow("GPU price", 1_000_500.0, 1_400_000.0, "-20%", "+20%"),
                                                    TornadoRow("Volume", 540_903.0, 2_163_610.0, "x0.5", "x2")))
    root = parse(tornado_svg(tornado))
    bars = elements(root, "rect", "bar")
    volume_low, volume_high, gpu_low, gpu_high = bars  # widest swing (volume) first
    assert float(volume_low.get("y")) == float(volume_high.get("y"))  # on both sides of the base: one line
    assert float(gpu_low.get("y")) < float(gpu_high.get("y"))  # both above the base: low on top, high below
    assert float(gpu_low.get("y")) + float(gpu_low.get("height")) <= float(gpu_high.get("y"))
    left_edge = min(float(t.get("x")) for t in root.iter("{http://www.w3.org/2000/svg}text")
                    if t.get("class") == "bar-label" and t.get("text-anchor") == "end")
    for t in root.iter("{http://www.w3.org/2000/svg}text"):
        if t.get("class") == "bar-label":
            w = text_width(t.text, 7.0)
            x = float(t.get("x"))
            assert (x - w if t.get("text-anchor") == "end" else x + w) <= 482 and \
                (x - w if t.get("text-anchor") == "end" else x) >= 0, t.text
    assert left_edge > 0
