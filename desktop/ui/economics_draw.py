"""The decision plan's waterfall and tornado drawn with pyqtgraph (the plan fills the models in
desktop.economics.figures.plan; the memo draws the same models as SVG in desktop.exports.svg_charts, and
`economics_charts.export_plot` saves a plot drawn here as that SVG)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from desktop.economics.figures.base import wrap
from desktop.economics.figures.plan import WATERFALL_COLORS, Tornado, Waterfall, axis_unit, format_figure_value
from desktop.ui.economics_charts import fit_left_axis, fit_legend, legend_below, remember_drawing, value_axes
from desktop.ui.theme import CHART_AXIS, CHART_TEXT

TEXT_PEN = CHART_TEXT
AXIS_PEN = CHART_AXIS


def _prepare(plot: pg.PlotItem, title: str, value_axis: str, value_side: str, unit: str | None) -> None:
    plot.clear()
    plot.setTitle(title, size="10pt", color=TEXT_PEN)
    value_axes(plot, (unit, None) if value_side == "left" else (None, unit))
    plot.showGrid(x=value_side == "bottom", y=value_side == "left", alpha=0.15)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(AXIS_PEN))
        axis.setTextPen(pg.mkPen(TEXT_PEN))
        axis.setTicks(None)
    plot.setLabel(value_side, value_axis)
    plot.getViewBox().setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    plot.setMenuEnabled(False)


def draw_waterfall(fall: Waterfall, plot: pg.PlotItem | None = None) -> pg.PlotItem:
    """The waterfall in `plot` (cleared first; a new PlotItem when None): one floating bar per step between the
    start and end totals, each labelled with its value."""
    plot = plot if plot is not None else pg.PlotItem()
    _prepare(plot, fall.title, fall.value_axis, "left", axis_unit(fall.unit, fall.currency))
    remember_drawing(plot, fall)
    bars = fall.bars()
    xs = list(range(len(bars)))
    brushes = [pg.mkBrush(WATERFALL_COLORS[b.kind]) for b in bars]
    item = pg.BarGraphItem(x=xs, y0=[b.bottom for b in bars], height=[max(b.top - b.bottom, 0.0) for b in bars],
                           width=0.6, brushes=brushes, pens=[pg.mkPen(QColor(WATERFALL_COLORS[b.kind]).darker(130))
                                                             for b in bars])
    item.setToolTip("\n".join(f"{b.label}: {format_figure_value(b.value, fall.unit, fall.currency)}"
                              + (f" ({b.note})" if b.note else "") for b in bars))
    plot.addItem(item)
    low, high = fall.value_range()
    for x, bar in zip(xs, bars):
        text = pg.TextItem(format_figure_value(bar.value, fall.unit, fall.currency, signed=bar.kind != "total"),
                           color=TEXT_PEN, anchor=(0.5, 1))
        text.setPos(x, bar.top)
        plot.addItem(text)
    plot.getAxis("bottom").setTicks([[(x, wrap(b.label, 14)) for x, b in zip(xs, bars)]])
    plot.setXRange(-0.6, len(bars) - 0.4, padding=0)
    plot.setYRange(low, high + (high - low or 1.0) * 0.12, padding=0)
    extremes = [format_figure_value(v, fall.unit, fall.currency) for v in (low, high)]
    fit_left_axis(plot, extremes, bool(fall.value_axis))
    return plot


def draw_tornado(tornado: Tornado, plot: pg.PlotItem | None = None) -> pg.PlotItem:
    """The tornado in `plot`: per input (widest swing on top) a bar from the base to the outcome at the input's
    low value and one to its high value; the base case is a vertical line."""
    plot = plot if plot is not None else pg.PlotItem()
    _prepare(plot, tornado.title, tornado.value_axis, "bottom", axis_unit(tornado.unit, tornado.currency))
    remember_drawing(plot, tornado)
    rows = tornado.sorted_rows()
    ys = [float(len(rows) - 1 - i) for i in range(len(rows))]  # widest on top
    # a row whose two ends fall on the same side of the base is split (low above, high below): no bar hides
    same_side = [(r.low - tornado.base) * (r.high - tornado.base) > 0 for r in rows]
    for is_low, color in ((True, tornado.low_color), (False, tornado.high_color)):
        values = [r.low if is_low else r.high for r in rows]
        centres = [y + ((0.17 if is_low else -0.17) if split else 0.0) for y, split in zip(ys, same_side)]
        heights = [0.3 if split else 0.6 for split in same_side]
        if rows:
            plot.addItem(pg.BarGraphItem(x0=[min(v, tornado.base) for v in values], y=centres,
                                         width=[abs(v - tornado.base) for v in values], height=heights,
                                         brush=pg.mkBrush(color), pen=pg.mkPen(QColor(color).darker(130))))
        for value, centre, row in zip(values, centres, rows):
            side = row.low_label if is_low else row.high_label
            words = format_figure_value(value, tornado.unit, tornado.currency) + (f" ({side})" if side else "")
            left = value < tornado.base or (value == tornado.base and is_low)
            text = pg.TextItem(words, color=TEXT_PEN, anchor=(1, 0.5) if left else (0, 0.5))
            text.setPos(value, centre)
            plot.addItem(text)
    plot.addItem(pg.InfiniteLine(pos=tornado.base, angle=90, movable=False,
                                 pen=pg.mkPen(TEXT_PEN, width=1.5, style=Qt.PenStyle.SolidLine),
                                 label=f"{tornado.base_label} "
                                       f"{format_figure_value(tornado.base, tornado.unit, tornado.currency)}",
                                 labelOpts={"position": 0.98, "color": TEXT_PEN}))
    legend_below(plot).clear()
    for color, name in ((tornado.low_color, "input at its low value"), (tornado.high_color, "input at its high value")):
        plot.legend.addItem(pg.ScatterPlotItem([], [], symbol="s", size=11, brush=pg.mkBrush(color),
                                               pen=pg.mkPen(QColor(color).darker(130))), name)
    plot.getAxis("left").setTicks([[(y, row.label) for y, row in zip(ys, rows)]])
    fit_left_axis(plot, [row.label for row in rows], False)
    fit_legend(plot)
    low, high = tornado.value_range()
    span = (high - low) or abs(tornado.base) or 1.0
    plot.setXRange(low - span * 0.3, high + span * 0.3, padding=0)
    plot.setYRange(-0.7, max(len(rows), 1) - 0.3 + 0.4, padding=0)
    return plot
