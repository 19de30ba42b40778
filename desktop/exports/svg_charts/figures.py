"""A route-economics figure (`FigureData`) as vector SVG for the memo.

Layout, in pt: the legend sits under the plot (never over data), the value axis title is placed left of the
widest tick label (never over it), the axes are widened to nice 1/2/5 ticks with a margin so no point or
marker touches the frame, bars carry their value labels, and category labels are wrapped to their slot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from desktop.economics.figures import FigureData, count, wrap
from desktop.economics.figures.base import BREAK_EVEN_HEX, FORECAST_HEX, PALE_HEX, REFERENCE_HEX, TARGET_HEX
from desktop.exports.svg_charts.canvas import (AXIS, GRID, LABEL_SIZE, MUTED, TEXT, TICK_SIZE, Axis, Svg, color,
                                               text_width)

WIDTH = 482.0  # pt: fits the memo's text column on A4 and US Letter
HEIGHT = 250.0
LEGEND_ROW = 11.5
MAX_BAR = 60.0  # pt: one bar per category stays a bar, not a block
MARKER = 2.8  # pt: the radius of a point on a line
MAX_CATEGORY_LINES = 3


@dataclass(frozen=True)
class LegendEntry:
    mark: str  # box | pale-box | line | line-dot | dot | diamond | dotted | dashed
    color: str
    label: str


def legend_entries(fd: FigureData) -> list[LegendEntry]:
    entries = []
    for swatch_color, name in fd.legend_swatches:
        entries.append(LegendEntry("pale-box" if swatch_color == PALE_HEX else "box", color(swatch_color), name))
    for name, scatter_color, _xs, _ys in fd.scatters:
        entries.append(LegendEntry("dot", color(scatter_color), name))
    for curve in fd.curves:
        if curve.legend:
            mark = "dotted" if curve.dotted else "line-dot" if curve.symbols else "line"
            entries.append(LegendEntry(mark, color(curve.color), curve.legend))
    if fd.marks is not None and len(fd.marks[0]):
        entries.append(LegendEntry("diamond", BREAK_EVEN_HEX, "break-even"))
    if fd.references:
        entries.append(LegendEntry("dotted", REFERENCE_HEX, "playbook reference"))
    return entries


def _legend_layout(entries: Sequence[LegendEntry], width: float) -> list[list[tuple[float, LegendEntry]]]:
    rows: list[list[tuple[float, LegendEntry]]] = [[]]
    x = 0.0
    for entry in entries:
        entry = LegendEntry(entry.mark, entry.color, fit_text(entry.label, width - 30))
        w = 18 + text_width(entry.label, TICK_SIZE) + 12
        if rows[-1] and x + w > width:
            rows.append([])
            x = 0.0
        rows[-1].append((x, entry))
        x += w
    return rows if rows[0] else []


def draw_legend(svg: Svg, entries: Sequence[LegendEntry], left: float, top: float, width: float) -> float:
    """Legend rows under the plot, from (left, top); returns the height used."""
    rows = _legend_layout(entries, width)
    for r, row in enumerate(rows):
        y = top + r * LEGEND_ROW + TICK_SIZE
        for x, entry in row:
            sx, cy = left + x, y - TICK_SIZE * 0.35
            if entry.mark in ("box", "pale-box"):
                pale = entry.mark == "pale-box"
                svg.rect(sx + 2, cy - 4, 10, 8, fill=entry.color, stroke="#777777" if pale else None,
                         dash="2 1.5" if pale else None, opacity=0.55 if pale else None, cls="legend-mark")
            elif entry.mark == "dot":
                svg.circle(sx + 7, cy, 3, fill=entry.color, stroke="#333333", width=0.4, cls="legend-mark")
            elif entry.mark == "diamond":
                svg.diamond(sx + 7, cy, 4, fill=entry.color, cls="legend-mark")
            else:
                dash = {"dotted": "1.2 1.6", "dashed": "4 2.5"}.get(entry.mark)
                svg.line(sx, cy, sx + 14, cy, stroke=entry.color, width=1.6, dash=dash, cls="legend-mark")
                if entry.mark == "line-dot":
                    svg.circle(sx + 7, cy, 2.6, fill=entry.color, stroke="#ffffff", cls="legend-mark")
            svg.text(sx + 18, y, entry.label, cls="legend")
    return len(rows) * LEGEND_ROW


def fit_categories(labels: Sequence[str], slot: float) -> list[str]:
    """Category labels re-wrapped until every line fits its slot (down to 8 characters a line)."""
    result = []
    for label in labels:
        flat = " ".join(label.split("\n"))
        text = label
        for width in range(24, 7, -2):
            if max(text_width(line, TICK_SIZE) for line in text.split("\n")) <= slot * 0.96:
                break
            text = wrap(flat, width)
        lines = text.split("\n")
        if len(lines) > MAX_CATEGORY_LINES:
            lines = lines[:MAX_CATEGORY_LINES - 1] + [" ".join(lines[MAX_CATEGORY_LINES - 1:])]
        result.append("\n".join(fit_text(line, slot * 0.96) for line in lines))
    return result


def fit_text(text: str, width: float, size: float = TICK_SIZE) -> str:
    """`text`, cut with an ellipsis if it is wider than `width` pt (names in full are in the memo's tables)."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "\u2026", size) > width:
        text = text[:-1]
    return text.rstrip() + "\u2026"


def _values(fd: FigureData) -> tuple[list[float], list[float]]:
    xs: list[float] = []
    ys: list[float] = []
    for bar in fd.bars:
        xs.append(bar.x)
        ys += [bar.height, 0.0]
    for curve in fd.curves:
        xs += [float(v) for v in curve.xs]
        ys += [float(v) for v in curve.ys]
    for _name, _color, sx, sy in fd.scatters:
        xs += [float(v) for v in sx]
        ys += [float(v) for v in sy]
    if fd.marks is not None:
        xs += [float(v) for v in fd.marks[0]]
        ys += [float(v) for v in fd.marks[1]]
    ys += [score for _x, score in fd.references]
    if fd.target is not None:
        (ys if fd.target.angle == 0 else xs).append(fd.target.value)
    if fd.forecast:
        xs.append(fd.forecast)
    finite = [v for v in xs if math.isfinite(v)], [v for v in ys if math.isfinite(v)]
    return finite


def figure_svg(fd: FigureData, width: float = WIDTH, height: float = HEIGHT, *, show_title: bool = False) -> str:
    """`fd` drawn as an SVG document (a string); `height` is the plot's, the legend adds rows under it."""
    svg = Svg(width, height, title=fd.title, description=" ".join(fd.notes))
    top = 8.0
    if show_title:
        svg.text(0, 11, fd.title, size=9, bold=True)
        top += 14
    if not fd.has_data:
        svg.rect(0.5, top, width - 1, height - top - 1, stroke="#bbbbbb")
        svg.text(width / 2, (top + height) / 2, fd.message or "No data to draw.", anchor="middle", fill=MUTED,
                 size=LABEL_SIZE)
        return svg.render()
    log_x, log_y = fd.log
    y_unit, x_unit = fd.units
    y_title, x_title = fd.labels
    xs, ys = _values(fd)
    categorical = fd.ticks is not None
    # -- the value (y) axis: from 0 (or the lowest positive value on a log axis) to the top, with head-room
    if log_y:
        positive = [v for v in ys if v > 0] or [1.0]
        y_low, y_high = min(positive), max(positive)
    else:
        y_low, y_high = min(0.0, min(ys, default=0.0)), max(ys, default=1.0)
        headroom = 1.14 if any(b.label for b in fd.bars) else 1.05
        y_high = y_high * headroom if y_high > 0 else 1.0
    entries = legend_entries(fd)
    # -- margins worked out from what sits in them
    probe = Axis.nice(y_low, y_high, 0, 1, y_unit, log=log_y)
    if fd.left_ticks:
        probe = Axis(min(fd.left_ticks), max(fd.left_ticks), 0, 1, tuple(fd.left_ticks), y_unit)
    tick_w = max(text_width(t, TICK_SIZE) for t in probe.labels())
    left = tick_w + 6 + (LABEL_SIZE + 6 if y_title else 0)
    right = 10.0
    if categorical:
        n = len(fd.ticks or ())
        slot = (width - left - right) / max(n, 1)
        categories = fit_categories(fd.ticks or (), slot)
        tick_lines = max((c.count("\n") + 1 for c in categories), default=1)
    else:
        categories, tick_lines = [], 1
    legend_h = len(_legend_layout(entries, width - left - right)) * LEGEND_ROW
    tick_block = tick_lines * TICK_SIZE * 1.2 + 5
    bottom = tick_block + (LABEL_SIZE + 8 if x_title else 2) + (legend_h + 6 if entries else 0)
    upright = categorical and _labels_collide(fd, (width - left - right) / max(len(fd.ticks or ()), 1))
    if upright:  # value labels turned to read upwards: room above the tallest bar for the longest one
        longest = max(text_width(b.label or "", TICK_SIZE) for b in fd.bars)
        top += max(0.0, longest - 0.1 * (svg.height - bottom - top))  # the axis' head-room holds part of it
    svg.height = height + (legend_h if entries else 0)
    x0, x1, y0, y1 = left, width - right, top, svg.height - bottom
    y_axis = Axis.nice(y_low, y_high, y1, y0, y_unit, log=log_y)
    if fd.left_ticks:
        y_axis = Axis(min(fd.left_ticks), max(fd.left_ticks), y1, y0, tuple(fd.left_ticks), y_unit)
    if categorical:
        n = len(fd.ticks or ())
        x_axis = Axis(-0.5, n - 0.5, x0, x1, tuple(float(i) for i in range(n)), None)
    elif log_x:
        positive = [v for v in xs if v > 0] or [1.0]
        lo, hi = (fd.x_range[0], fd.x_range[1]) if fd.x_range else (min(positive), max(positive))
        x_axis = Axis.nice(10 ** lo if fd.x_range else lo, 10 ** hi if fd.x_range else hi, x0, x1, x_unit, log=True)
    else:
        x_axis = Axis.nice(min(0.0, min(xs, default=0.0)), max(xs, default=1.0) * 1.04, x0, x1, x_unit,
                           max_ticks=8)
    if not categorical:  # the last tick label is centred on the right edge: keep it on the page
        last = text_width(x_axis.labels()[-1], TICK_SIZE) / 2
        if last > right:
            x1 = width - last - 2
            x_axis = Axis(x_axis.low, x_axis.high, x0, x1, x_axis.ticks, x_axis.unit, x_axis.log)
    # -- grid and axes
    for value, label in zip(y_axis.ticks, y_axis.labels()):
        y = y_axis(value)
        if value != y_axis.low:
            svg.line(x0, y, x1, y, stroke=GRID, width=0.5, cls="grid")
        svg.line(x0 - 3, y, x0, y, stroke=AXIS)
        svg.text(x0 - 5, y + TICK_SIZE * 0.35, label, anchor="end", fill=TEXT, cls="y-tick")
    label_y = y1 + TICK_SIZE + 4
    if categorical:
        for i, label in enumerate(categories):
            svg.lines(x_axis(i), label_y, label, cls="x-tick")
    else:
        for value, label in zip(x_axis.ticks, x_axis.labels()):
            x = x_axis(value)
            if value != x_axis.low:
                svg.line(x, y0, x, y1, stroke=GRID, width=0.5, cls="grid")
            svg.line(x, y1, x, y1 + 3, stroke=AXIS)
            svg.text(x, label_y, label, anchor="middle", cls="x-tick")
    svg.line(x0, y1, x1, y1, stroke=AXIS, width=0.8)
    svg.line(x0, y0, x0, y1, stroke=AXIS, width=0.8)
    if y_title:
        svg.text(LABEL_SIZE, (y0 + y1) / 2, y_title, size=LABEL_SIZE, anchor="middle", rotate=-90, fill=TEXT,
                 cls="axis-title")
    if x_title:
        svg.text((x0 + x1) / 2, y1 + tick_block + LABEL_SIZE + 2, x_title, size=LABEL_SIZE, anchor="middle",
                 cls="axis-title")
    # -- data
    _draw_data(svg, fd, x_axis, y_axis, (x0, y0, x1, y1), categorical, upright)
    if entries:
        draw_legend(svg, entries, x0, svg.height - legend_h - 2, x1 - x0)
    return svg.render()


def _labels_collide(fd: FigureData, unit_px: float) -> bool:
    """Whether side-by-side value labels would run into each other (bars closer than their labels are wide)."""
    xs = sorted(b.x for b in fd.bars if b.label)
    if len(xs) < 2:
        return False
    spacing = min(b - a for a, b in zip(xs, xs[1:])) * unit_px
    return max(text_width(b.label or "", TICK_SIZE) for b in fd.bars) > spacing - 2


def _draw_data(svg: Svg, fd: FigureData, x_axis: Axis, y_axis: Axis, box: tuple[float, float, float, float],
               categorical: bool, upright: bool = False) -> None:
    x0, y0, x1, y1 = box
    base = y_axis(max(y_axis.low, 0.0)) if not y_axis.log else y1
    scale = abs(x_axis(1) - x_axis(0)) if categorical else 1.0
    for bar in fd.bars:
        w = min(fd.bar_width * scale, MAX_BAR)
        cx, top_y = x_axis(bar.x), y_axis(bar.height)
        fill = color(bar.color)
        svg.rect(cx - w / 2, min(top_y, base), w, abs(base - top_y), fill=fill,
                 stroke=fill if bar.solid else "#777777", dash=None if bar.solid else "3 2",
                 opacity=None if bar.solid else 0.35, stroke_width=0.8, cls="bar")
        if bar.label and upright:
            svg.text(cx + TICK_SIZE * 0.35, min(top_y, base) - 3, bar.label, rotate=-90, cls="bar-label")
        elif bar.label:
            svg.text(cx, min(top_y, base) - 3, bar.label, anchor="middle", cls="bar-label")
    for x, score in fd.references:
        w = (fd.bar_width + 0.1) * scale
        svg.line(x_axis(x) - w / 2, y_axis(score), x_axis(x) + w / 2, y_axis(score), stroke=REFERENCE_HEX,
                 width=1.6, dash="1.2 1.6", cls="reference")
    placed = _PlacedMarkers()  # marker centres drawn so far
    for curve in fd.curves:
        points = [(x_axis(float(x)), y_axis(float(y))) for x, y in zip(curve.xs, curve.ys)
                  if math.isfinite(float(x)) and math.isfinite(float(y))]
        if not points:
            continue
        if curve.symbols:
            points = _dodge(points, placed)
            placed.add(points)
        stroke = color(curve.color)
        svg.polyline(points, stroke=stroke, width=curve.width * 0.7, dash="1.2 1.8" if curve.dotted else None,
                     cls="curve")
        if curve.symbols:
            for px, py in points:
                svg.circle(px, py, MARKER, fill=stroke, cls="point")
    for _name, scatter_color, sx, sy in fd.scatters:
        fill = color(scatter_color)
        for x, y in zip(sx, sy):
            svg.circle(x_axis(float(x)), y_axis(float(y)), 3.0, fill=fill, stroke="#333333", width=0.4, cls="point")
    if fd.marks is not None:
        for x, y in zip(fd.marks[0], fd.marks[1]):
            svg.diamond(x_axis(float(x)), y_axis(float(y)), 4.2, fill=BREAK_EVEN_HEX, cls="break-even")
    if fd.target is not None:
        t = fd.target
        if t.angle == 0 and y_axis.contains(t.value):
            y = y_axis(t.value)
            svg.line(x0, y, x1, y, stroke=TARGET_HEX, width=1.1, dash="5 3", cls="target")
            svg.text(x1 - 3, y - 3, t.label, anchor="end", fill=TARGET_HEX, halo=True, cls="target-label")
        elif t.angle == 90 and x_axis.contains(t.value):
            x = x_axis(t.value)
            svg.line(x, y0, x, y1, stroke=TARGET_HEX, width=1.1, dash="5 3", cls="target")
            svg.text(x + 3, y0 + TICK_SIZE + 2, t.label, fill=TARGET_HEX, halo=True, cls="target-label")
    if fd.forecast and x_axis.contains(fd.forecast):
        x = x_axis(fd.forecast)
        svg.line(x, y0, x, y1, stroke=FORECAST_HEX, width=1.0, dash="4 2.5", cls="forecast")
        label = f"forecast {count(fd.forecast)}/month"
        anchor = "start" if x + text_width(label, TICK_SIZE) + 4 < x1 else "end"
        svg.text(x + (3 if anchor == "start" else -3), y1 - 4, label, anchor=anchor, fill=FORECAST_HEX, halo=True,
                 cls="forecast-label")


class _PlacedMarkers:
    """Marker centres drawn so far, filed in square cells as wide as two markers (and the gap between them), so
    asking whether a new marker would hide one looks at the nine cells around it instead of every marker: a
    chart of thousands of series stays linear."""

    REACH = 2 * MARKER + 0.8  # centres closer than this: one marker hides the other

    def __init__(self) -> None:
        self._cells: dict[tuple[int, int], list[tuple[float, float]]] = {}

    def add(self, points: Sequence[tuple[float, float]]) -> None:
        for x, y in points:
            self._cells.setdefault(self._cell(x, y), []).append((x, y))

    def hides(self, x: float, y: float) -> bool:
        cx, cy = self._cell(x, y)
        return any(math.hypot(x - px, y - py) < self.REACH
                   for dx in (-1, 0, 1) for dy in (-1, 0, 1) for px, py in self._cells.get((cx + dx, cy + dy), ()))

    def _cell(self, x: float, y: float) -> tuple[int, int]:
        return math.floor(x / self.REACH), math.floor(y / self.REACH)


def _dodge(points: list[tuple[float, float]], placed: _PlacedMarkers) -> list[tuple[float, float]]:
    """`points` (one series) moved sideways as a whole, by a marker's width or two, if a marker would hide
    one drawn before; unchanged if none would or no nearby offset is free."""
    def hidden(candidate: list[tuple[float, float]]) -> bool:
        return any(placed.hides(x, y) for x, y in candidate)

    if not hidden(points):
        return points
    step = 2 * MARKER + 1.0
    for dx in (step, -step, 2 * step, -2 * step):
        moved = [(x + dx, y) for x, y in points]
        if not hidden(moved):
            return moved
    return points
