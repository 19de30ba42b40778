"""The route-economics figures drawn with pyqtgraph: prepared `FigureData` (desktop.economics.figures) into
PlotItems, and offscreen rendering of a figure to PNG or SVG (the Economics page's "save figure").

Each figure is made in two steps. `figure_data(kind, data)` (desktop.economics.figures) works out everything
it draws as plain numbers, strings and numpy arrays, without Qt, so the Economics page runs it on its worker
thread with the metrics; `draw_figure(figure_data, plot)` here only turns those into pyqtgraph items (a
handful of items per figure, arrays not per-point items). `build_figure(kind, data, plot)` does both. The
memo draws the same FigureData as vector SVG without Qt (desktop.exports.svg_charts).

Figures (kinds): "cost-by-route", "latency", "cost-volume", "pareto", "readiness". Each records what it
plotted (`Figure.series`) and where hovering shows exact values (`Figure.hover`).
"""

from __future__ import annotations

import math
import os
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor

from desktop.domain.playbook import Playbook
from desktop.domain.workbook import Workbook
from desktop.economics.catalog import Catalog
from desktop.economics.figures import (FIGURES, ChartData, FigureData, HoverPoints, HoverSpot, cost_volume_model,
                                       count, figure_data, usd)
from desktop.economics.figures.base import (BREAK_EVEN_HEX, FORECAST_HEX, REFERENCE_HEX, TARGET_HEX, in_unit,
                                            log_ticks, nice_ticks, tick_label)
from desktop.economics.metrics import MetricsReport
from desktop.economics.scenarios import Scenario
from desktop.ui.chart_labels import drop_category_labels, fit_category_labels
from desktop.ui.theme import CHART_AXIS, CHART_TEXT

# ---- Constants
TARGET_COLOR = QColor(TARGET_HEX)
FORECAST_COLOR = QColor(FORECAST_HEX)
AXIS_PEN = CHART_AXIS
TEXT_PEN = CHART_TEXT
MAX_DRAWN_POINTS = 2_000  # per scatter series on screen: enough to show the cloud, quick to draw and repaint
MAX_DRAWN_CURVES = 24  # more (one per trace group at scale) are drawn as one item per colour
MAX_HOVER_SPOTS = 500  # more are looked up with numpy rather than one by one
_DRAWN: weakref.WeakKeyDictionary[pg.PlotItem, Any] = weakref.WeakKeyDictionary()  # plot -> the model it shows


# ---- Axes that write values the way the memo does
class ValueAxis(pg.AxisItem):
    """An axis whose tick labels have thousands separators and the figure's unit ('$1,500', '20,000'); on a
    log axis the powers of ten are written out ('100,000', '1 million') instead of as exponents."""

    def __init__(self, orientation: str, unit: str | None = None) -> None:
        super().__init__(orientation)
        self.unit = unit
        # pyqtgraph would otherwise scale big values and put "(x1e+09)" by the title: "$3 (x1e+09)" to a CFO
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802 (Qt)
        if self.logMode:
            return [tick_label(10.0 ** v, self.unit, 0, log=True) if abs(v - round(v)) < 1e-6 else ""
                    for v in values]
        step = spacing * scale or 1.0
        largest = max((abs(v * scale) for v in values), default=0.0)
        for size, word in ((1e9, "billion"), (1e6, "million")):
            if largest >= size:  # "$1.5 billion", "250 million", as the log axes write powers of ten
                return [_with_unit(v * scale / size, self.unit, word) for v in values]
        return [tick_label(v * scale, self.unit, step) for v in values]


def _with_unit(amount: float, unit: str | None, word: str) -> str:
    """'$1.5 billion', '250 million', '0' (at most two decimals, none written when they are zeros)."""
    number = f"{abs(amount):,.2f}".rstrip("0").rstrip(".")
    if number == "0":
        return in_unit("0", unit)
    return in_unit(f"{number} {word}", unit, "-" if amount < 0 else "")


def value_axes(plot: pg.PlotItem, units: tuple[str | None, str | None]) -> None:
    """Give `plot` ValueAxis items (once) and set their units: (left, bottom)."""
    for name, unit in zip(("left", "bottom"), units):
        axis = plot.getAxis(name)
        if not isinstance(axis, ValueAxis):
            axis = ValueAxis(name, unit)
            plot.setAxisItems({name: axis})
        axis.unit = unit


def fit_left_axis(plot: pg.PlotItem, labels: Sequence[str], titled: bool) -> None:
    """Make the left axis wide enough for its widest tick label and its title, so the title never sits on
    the labels (pyqtgraph only widens an axis after a first paint)."""
    from PySide6.QtGui import QFontMetrics

    axis = plot.getAxis("left")
    metrics = QFontMetrics(axis.style.get("tickFont") or axis.font())
    widest = max((metrics.horizontalAdvance(text) for text in labels), default=0)
    axis.setWidth(widest + 14 + (metrics.height() + 6 if titled else 0))


# ---- The drawn figure
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

    def table_data(self) -> tuple[list[str], list[list[str]]]:
        """What the figure plots as a table for "Copy data" and the table view: one row per plotted point,
        (series, x, y); a category axis gives its label, numbers are plain (no separators) so a spreadsheet
        reads them as numbers, and a point without a value stays an empty cell (not observed is not zero)."""
        data = self.data
        left, bottom = data.labels if data is not None else (None, None)
        ticks = data.ticks if data is not None else None
        headers = ["Series", (bottom or "x").replace("\n", " "), (left or "y").replace("\n", " ")]
        rows = []
        for name, (xs, ys) in self.series.items():
            for x, y in zip(xs, ys):
                index = int(round(x)) if ticks is not None and abs(x - round(x)) < 1e-9 else None
                x_text = (ticks[index].replace("\n", " ") if index is not None and 0 <= index < len(ticks)
                          else _plain(x))
                rows.append([name, x_text, _plain(y)])
        return headers, rows

    def hover_texts(self, limit: int = 12) -> list[str]:
        """The first `limit` hover texts (for the accessible description)."""
        texts = [spot.text for spot in self.hover[:limit]]
        if self.hover_points is not None:
            texts += [self.hover_points.describe(i) for i in range(min(limit - len(texts), len(self.hover_points)))]
        return texts



def _plain(value: float | None) -> str:
    """A number as a spreadsheet reads it ('1500', '0.25'); '' for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{float(value):.10g}"


def legend_below(plot: pg.PlotItem) -> pg.LegendItem:
    """The plot's legend, in a row of its own under the bottom axis: outside the data, so it never covers a
    bar, a point or a label (made once per plot; entries laid out side by side in two columns)."""
    if plot.legend is None:
        legend = pg.LegendItem(labelTextSize="8pt", labelTextColor=TEXT_PEN, colCount=2, verSpacing=-4)
        plot.layout.addItem(legend, 4, 1)
        plot.legend = legend
    return plot.legend


# ---- Drawing: prepared FigureData into pyqtgraph items (GUI thread)
def thinned_for_drawing(fd: FigureData, limit: int = MAX_DRAWN_POINTS) -> FigureData:
    """`fd` made quick to draw and hover, whatever the number of trace rows (no Qt: the Economics page's worker
    calls it). Each scatter series keeps at most `limit` evenly spaced points; more than MAX_DRAWN_CURVES
    curves are drawn as one item per style (their points joined, a gap between curves); more than
    MAX_HOVER_SPOTS point spots are looked up as arrays. The figure's series (its data table) and its hover
    texts keep every point, so hovering and "Copy data" still find any row."""
    changes: dict[str, Any] = {}
    if any(len(xs) > limit for _name, _color, xs, _ys in fd.scatters):
        scatters = []
        for name, color, xs, ys in fd.scatters:
            if len(xs) > limit:
                keep = np.unique(np.linspace(0, len(xs) - 1, limit).round().astype(np.int64))
                xs, ys = np.asarray(xs)[keep], np.asarray(ys)[keep]
            scatters.append((name, color, xs, ys))
        changes["scatters"] = tuple(scatters)
    if len(fd.curves) > MAX_DRAWN_CURVES:
        changes["curves"] = _merged_curves(fd.curves)
    if fd.hover_points is None and len(fd.hover) > MAX_HOVER_SPOTS and not any(spot.rect for spot in fd.hover):
        spots = fd.hover  # worded only when hovered: a spot's text may be made on demand
        changes["hover_points"] = HoverPoints(np.array([spot.x for spot in spots], float),
                                              np.array([spot.y for spot in spots], float), lambda i: spots[i].text)
        changes["hover"] = ()
    return replace(fd, **changes) if changes else fd


def _merged_curves(curves: Sequence[Any]) -> tuple[Any, ...]:
    """One curve per (colour, width, symbols, dotted), the curves' points joined with a NaN gap between them
    (drawn with connect="finite"); the legend entry is the first one the style had. A merged curve of more
    than MAX_DRAWN_POINTS points is drawn without symbols."""
    styles: dict[tuple[Any, ...], list[Any]] = {}
    for curve in curves:
        styles.setdefault((curve.color, curve.width, curve.symbols, curve.dotted), []).append(curve)
    merged = []
    for (_color, _width, _symbols, _dotted), group in styles.items():
        gap = np.array([np.nan])
        xs = np.concatenate([part for c in group for part in (np.asarray(c.xs, float), gap)][:-1])
        ys = np.concatenate([part for c in group for part in (np.asarray(c.ys, float), gap)][:-1])
        legend = next((c.legend for c in group if c.legend is not None), None)
        symbols = group[0].symbols and len(xs) <= MAX_DRAWN_POINTS  # each symbol is an item: lines only past that
        merged.append(replace(group[0], xs=xs, ys=ys, legend=legend, symbols=symbols))
    return tuple(merged)


def _prepare(plot: pg.PlotItem, title: str, *, log: tuple[bool, bool] = (False, False),
             legend_at: tuple[int, int] = (-10, 10), units: tuple[str | None, str | None] = (None, None)) -> None:
    """Clear `plot` for a figure; `legend_at` is the legend's offset (negative: from the right/bottom)."""
    plot.clear()
    legend_below(plot).clear()  # `legend_at` placed the legend inside the data; it now sits under the axis
    plot.setTitle(title, size="10pt", color=TEXT_PEN)
    value_axes(plot, units)
    # a range valid on both scales first: a linear range of millions read as powers of ten would overflow
    plot.getViewBox().setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
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
    _prepare(plot, fd.title, log=fd.log, legend_at=fd.legend_at, units=fd.units)
    drop_category_labels(plot)
    remember_drawing(plot, fd)
    if fd.message:
        return _no_data(figure, fd.message)
    top = fd.y_range[1] / 1.5 if fd.y_range and fd.kind == "cost-by-route" else 0.0
    value_labels: list[tuple[pg.TextItem, float]] = []
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
            value_labels.append((label, bar.height))
    reference_legend = None
    for x, score in fd.references:
        mark = pg.PlotDataItem([x - 0.35, x + 0.35], [score] * 2,
                               pen=pg.mkPen(REFERENCE_HEX, width=2, style=Qt.PenStyle.DotLine))
        plot.addItem(mark)
        reference_legend = reference_legend or mark
    for name, color_hex, xs, ys in fd.scatters:
        color = QColor(color_hex)
        item = pg.ScatterPlotItem(x=xs, y=ys, size=11, brush=pg.mkBrush(color), pen=pg.mkPen(color.darker(140)),
                                  symbol="o")
        plot.addItem(item)
        plot.legend.addItem(item, name)
    for curve in fd.curves:
        if curve.dotted:
            pen = pg.mkPen(curve.color, width=curve.width, style=Qt.PenStyle.DotLine)
            item = pg.PlotDataItem(curve.xs, curve.ys, pen=pen, connect="finite")
        elif curve.symbols:
            color = QColor(curve.color)
            item = pg.PlotDataItem(curve.xs, curve.ys, pen=pg.mkPen(color, width=curve.width), symbol="o",
                                   symbolSize=8, symbolBrush=pg.mkBrush(color), symbolPen=pg.mkPen(color.darker(130)),
                                   connect="finite")
        else:
            item = pg.PlotDataItem(curve.xs, curve.ys, pen=pg.mkPen(QColor(curve.color), width=curve.width),
                                   connect="finite")
        plot.addItem(item)
        if curve.legend is not None:
            plot.legend.addItem(item, curve.legend)
    if fd.marks is not None:
        marks = pg.PlotDataItem(fd.marks[0], fd.marks[1], pen=None, symbol="d", symbolSize=13,
                                symbolBrush=pg.mkBrush(BREAK_EVEN_HEX), symbolPen=pg.mkPen(CHART_TEXT, width=1.5))
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
        _target_line(plot, fd.target.value, fd.target.angle, fd.target.label, fd.target.position)
    if fd.ticks is not None:
        _category_ticks(plot, fd.ticks)
        if fd.kind == "cost-by-route":  # many bars at scale: labels fitted to the width (before the layout)
            if fd.x_range is not None:
                plot.setXRange(fd.x_range[0], fd.x_range[1], padding=fd.x_range[2])
            fit_category_labels(plot, fd.ticks, value_labels)
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
    fit_left_axis(plot, _left_labels(fd), bool(left))
    fit_legend(plot)
    return figure


def can_log(figure: Figure) -> bool:
    """Whether the figure was designed with a logarithmic axis, so a linear / log choice applies to it."""
    return figure.data is not None and figure.message is None and any(figure.data.log)


def set_log_scale(figure: Figure, log: bool) -> None:
    """Show `figure` on its designed logarithmic axes (log=True) or on linear axes from zero with thousands
    separators (log=False, what a spreadsheet user expects first). Only the axes the figure made logarithmic
    change; the forecast line moves with the scale (it is placed in view units)."""
    if not can_log(figure):
        return
    fd, plot = figure.data, figure.plot
    x_log, y_log = fd.log[0] and log, fd.log[1] and log
    plot.setLogMode(x=x_log, y=y_log)
    for item in plot.items:
        if isinstance(item, pg.InfiniteLine) and item.angle == 90 and fd.forecast:
            item.setValue(math.log10(fd.forecast) if x_log else fd.forecast)
    if log:
        if fd.x_range is not None:
            plot.setXRange(fd.x_range[0], fd.x_range[1], padding=fd.x_range[2])
        if fd.y_range is not None:
            plot.setYRange(fd.y_range[0], fd.y_range[1], padding=fd.y_range[2])
        fit_left_axis(plot, _left_labels(fd), bool(fd.labels[0]))
        return
    highs = [float(np.nanmax(ys)) for _xs, ys in figure.series.values() if len(ys) and np.isfinite(ys).any()]
    top = max(highs, default=1.0)
    plot.enableAutoRange()
    plot.setYRange(0, top * 1.05, padding=0)
    ticks = nice_ticks(0, top, 8)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    fit_left_axis(plot, [tick_label(t, fd.units[0], step) for t in ticks], bool(fd.labels[0]))


def fit_legend(plot: pg.PlotItem) -> None:
    """Two legend columns when the entries are short, else one: a legend wider than the plot would push the
    plot past its view's right edge."""
    names = sorted((label.text for _sample, label in plot.legend.items), key=len, reverse=True)
    plot.legend.setColumnCount(2 if sum(len(n) for n in names[:2]) <= 56 else 1)


def _left_labels(fd: FigureData) -> list[str]:
    """The tick labels the left axis will show (about: the range's nice ticks), for sizing it."""
    if fd.left_ticks is not None:
        return [str(v) for v in fd.left_ticks]
    if fd.y_range is None:
        return ["0"]
    low, high = fd.y_range[0], fd.y_range[1]
    if fd.log[1]:
        ticks = log_ticks(10.0 ** low, 10.0 ** high)
        return [tick_label(t, fd.units[0], 0, log=True) for t in ticks]
    ticks = nice_ticks(low, high, 8)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    return [tick_label(t, fd.units[0], step) for t in ticks]


def build_figure(kind: str, data: ChartData | FigureData, plot: pg.PlotItem | None = None) -> Figure:
    """Draw figure `kind` into `plot` (cleared first; a new PlotItem when None), from the chart data or from
    figure data prepared beforehand (e.g. on a worker thread)."""
    if isinstance(data, FigureData):
        if data.kind != kind:
            raise ValueError(f"figure data for '{data.kind}', not '{kind}'")
        return draw_figure(data, plot)
    return draw_figure(figure_data(kind, data), plot)


# ---- Export
def remember_drawing(plot: pg.PlotItem, model: Any) -> None:
    """Note what `plot` now shows (a FigureData, Waterfall or Tornado), so `export_plot` can save it as SVG
    the way the memo draws it."""
    _DRAWN[plot] = model


def _memo_svg(model: Any) -> str | None:
    from desktop.economics.figures import Tornado, Waterfall
    from desktop.exports.svg_charts import figure_svg, tornado_svg, waterfall_svg

    if isinstance(model, FigureData):
        return figure_svg(model, show_title=True) if model.has_data else None
    if isinstance(model, Waterfall):
        return waterfall_svg(model, show_title=True)
    if isinstance(model, Tornado):
        return tornado_svg(model, show_title=True)
    return None


def export_plot(plot: pg.PlotItem, path: Path | str, dpi: int = 150, width_in: float | None = None) -> Path:
    """Write the plot as PNG (at `dpi`) or SVG, chosen by the file's suffix. A figure drawn by `draw_figure`
    is saved as SVG the way the memo draws it (desktop.exports.svg_charts); anything else through pyqtgraph."""
    import pyqtgraph.exporters as exporters

    path = Path(path)
    suffix = path.suffix.lower()
    svg = _memo_svg(_DRAWN.get(plot)) if suffix == ".svg" else None
    if svg is not None:  # the memo's vector drawing of the same figure: real text, separators, legend below
        from desktop.exports.atomic import atomic_path

        with atomic_path(path) as temp:
            Path(temp).write_text(svg, encoding="utf-8")
    elif suffix == ".svg":
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



__all__ = ["FIGURES", "ChartData", "Figure", "FigureData", "HoverSpot", "HoverPoints", "figure_data", "draw_figure",
           "build_figure", "render_figure", "export_plot", "cost_volume_model", "usd", "count", "thinned_for_drawing",
           "MAX_DRAWN_POINTS", "MAX_DRAWN_CURVES", "MAX_HOVER_SPOTS"]
