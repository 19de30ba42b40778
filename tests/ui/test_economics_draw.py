"""The plan's waterfall and tornado drawn with pyqtgraph: the drawn bars read back from the items and checked
against running totals worked out by hand; a grab of each is saved for looking at."""

from __future__ import annotations

import pyqtgraph as pg
import pytest

from desktop.economics.figures import Tornado, TornadoRow, Waterfall, WaterfallStep
from desktop.ui.economics_draw import draw_tornado, draw_waterfall

# 12,000 today; -4,500 batch; +800 review time -> 8,300 plan
FALL = Waterfall("Monthly cost: today to plan", "Today", 12_000.0,
                 (WaterfallStep("Batch", -4_500.0), WaterfallStep("Review time", 800.0)), "Plan")
TORNADO = Tornado("What moves the monthly cost", 10_000.0,
                  (TornadoRow("Volume", 8_000.0, 13_000.0, "-20%", "+30%"),
                   TornadoRow("Acceptance", 14_000.0, 7_000.0)))


def items_of(plot: pg.PlotItem, kind: type) -> list:
    return [item for item in plot.items if isinstance(item, kind)]


def test_waterfall_bars_float_between_running_totals(qapp):
    plot = draw_waterfall(FALL)
    (bars,) = items_of(plot, pg.BarGraphItem)
    spans = list(zip(bars.opts["y0"], bars.opts["height"]))
    assert spans == [(0.0, 12_000.0), (7_500.0, 4_500.0), (7_500.0, 800.0), (0.0, 8_300.0)]
    labels = [t.toPlainText() for t in items_of(plot, pg.TextItem)]
    assert labels == ["$12,000", "-$4,500", "+$800", "$8,300"]
    ticks = plot.getAxis("bottom")._tickLevels[0]
    assert [text for _x, text in ticks] == ["Today", "Batch", "Review time", "Plan"]


def test_tornado_rows_widest_on_top_around_the_base(qapp):
    plot = draw_tornado(TORNADO)
    low, high = items_of(plot, pg.BarGraphItem)
    # rows bottom to top: Volume (swing 5,000) at y 0, Acceptance (7,000) on top at y 1
    assert list(low.opts["y"]) == [1.0, 0.0]
    assert list(low.opts["x0"]) == [10_000.0, 8_000.0] and list(low.opts["width"]) == [4_000.0, 2_000.0]
    assert list(high.opts["x0"]) == [7_000.0, 10_000.0] and list(high.opts["width"]) == [3_000.0, 3_000.0]
    (base,) = items_of(plot, pg.InfiniteLine)
    assert base.value() == 10_000.0
    assert "$8,000 (-20%)" in [t.toPlainText() for t in items_of(plot, pg.TextItem)]


@pytest.mark.parametrize("draw, model", [(draw_waterfall, FALL), (draw_tornado, TORNADO)])
def test_drawing_into_an_existing_plot_replaces_what_was_there(qapp, tmp_path, draw, model):
    widget = pg.PlotWidget(background="w")
    widget.resize(900, 420)
    draw(model, widget.getPlotItem())
    first = len(widget.getPlotItem().items)
    draw(model, widget.getPlotItem())
    assert len(widget.getPlotItem().items) == first
    assert widget.grab().save(str(tmp_path / "figure.png"))


def test_a_tornado_row_with_both_ends_on_one_side_is_split(qapp):
    # both outcomes above the base 10,000: the low bar (10,500) would hide under the high one (12,000)
    plot = draw_tornado(Tornado("t", 10_000.0, (TornadoRow("GPU price", 10_500.0, 12_000.0),)))
    low, high = items_of(plot, pg.BarGraphItem)
    assert list(low.opts["y"]) == [0.17] and list(high.opts["y"]) == [-0.17]
    assert list(low.opts["height"]) == [0.3] == list(high.opts["height"])  # 0.17 - 0.15 > -0.17 + 0.15: apart
    assert list(low.opts["width"]) == [500.0] and list(high.opts["width"]) == [2_000.0]


def test_a_drawn_plan_figure_saves_as_the_memo_svg(qapp, tmp_path):
    import xml.etree.ElementTree as ET

    from desktop.ui.economics_charts import export_plot

    widget = pg.PlotWidget(background="w")
    draw_waterfall(FALL, widget.getPlotItem())
    root = ET.fromstring(export_plot(widget.getPlotItem(), tmp_path / "fall.svg").read_text(encoding="utf-8"))
    labels = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text") if t.get("class") == "bar-label"]
    assert labels == ["$12,000", "-$4,500", "+$800", "$8,300"]
