"""The decision plan's generic figures as vector SVG: a waterfall (start total, signed steps, end total) and a
tornado (the outcome at each input's low and high value around the base case). The plan fills the models
(desktop.economics.figures.plan); this only draws them."""

from __future__ import annotations

from desktop.economics.figures.plan import (WATERFALL_COLORS, Tornado, TornadoRow, Waterfall, axis_unit,
                                            format_figure_value)
from desktop.exports.svg_charts.canvas import (AXIS, GRID, LABEL_SIZE, MUTED, TEXT, TICK_SIZE, Axis, Svg, color,
                                               text_width)
from desktop.exports.svg_charts.figures import HEIGHT, WIDTH, LegendEntry, draw_legend, fit_categories, fit_text

MAX_BAR = 60.0


def _missing_note(svg: Svg, missing: tuple[str, ...], y: float) -> float:
    if not missing:
        return 0.0
    svg.text(0, y + TICK_SIZE, "Not known (not drawn): " + "; ".join(missing), fill=MUTED, cls="missing")
    return TICK_SIZE + 6


def waterfall_svg(fall: Waterfall, width: float = WIDTH, height: float = HEIGHT, *, show_title: bool = False) -> str:
    """The waterfall as an SVG document: totals in dark blue, rises in red, falls in green, each bar labelled
    with its value (steps signed), dotted connectors at the running total."""
    svg = Svg(width, height, title=fall.title, description=fall.caption)
    bars = fall.bars()
    unit = axis_unit(fall.unit, fall.currency)
    top = 8.0 + (14 if show_title else 0)
    if show_title:
        svg.text(0, 11, fall.title, size=9, bold=True)
    low, high = fall.value_range()
    span = (high - low) or 1.0
    probe = Axis.nice(low - (span * 0.08 if low < 0 else 0), high + span * 0.1, 0, 1, unit)
    left = max(text_width(t, TICK_SIZE) for t in probe.labels()) + 6 + (LABEL_SIZE + 6 if fall.value_axis else 0)
    right = 10.0
    slot = (width - left - right) / len(bars)
    labels = fit_categories([b.label for b in bars], slot)
    lines = max(label.count("\n") + 1 for label in labels)
    legend = [LegendEntry("box", WATERFALL_COLORS["total"], "total"),
              LegendEntry("box", WATERFALL_COLORS["increase"], "increase"),
              LegendEntry("box", WATERFALL_COLORS["decrease"], "decrease")]
    missing_h = TICK_SIZE + 6 if fall.missing else 0.0
    bottom = lines * TICK_SIZE * 1.2 + 5 + LEGEND_GAP + missing_h
    y0, y1 = top, height - bottom
    x0, x1 = left, width - right
    y_axis = Axis(probe.low, probe.high, y1, y0, probe.ticks, unit)
    for value, label in zip(y_axis.ticks, y_axis.labels()):
        y = y_axis(value)
        svg.line(x0, y, x1, y, stroke=GRID if value != 0 else AXIS, width=0.5 if value != 0 else 0.8, cls="grid")
        svg.text(x0 - 5, y + TICK_SIZE * 0.35, label, anchor="end", cls="y-tick")
    svg.line(x0, y0, x0, y1, stroke=AXIS, width=0.8)
    if fall.value_axis:
        svg.text(LABEL_SIZE, (y0 + y1) / 2, fall.value_axis, size=LABEL_SIZE, anchor="middle", rotate=-90,
                 cls="axis-title")
    w = min(slot * 0.62, MAX_BAR)
    previous_total = None
    for i, (bar, label) in enumerate(zip(bars, labels)):
        cx = x0 + slot * (i + 0.5)
        top_y, bottom_y = y_axis(bar.top), y_axis(bar.bottom)
        svg.rect(cx - w / 2, top_y, w, max(bottom_y - top_y, 0.8), fill=WATERFALL_COLORS[bar.kind], cls="bar")
        text = format_figure_value(bar.value, fall.unit, fall.currency, signed=bar.kind != "total")
        svg.text(cx, top_y - 3, text, anchor="middle", cls="bar-label")
        svg.lines(cx, y1 + TICK_SIZE + 4, label, cls="x-tick")
        running = bar.top if bar.kind == "total" or bar.kind == "increase" else bar.bottom
        if previous_total is not None:
            px, py = previous_total
            svg.line(px, py, cx - w / 2, py, stroke="#888888", width=0.6, dash="1.2 1.6", cls="connector")
        previous_total = (cx + w / 2, y_axis(running if bar.kind != "total" else bar.value))
    legend_top = y1 + lines * TICK_SIZE * 1.2 + 8
    draw_legend(svg, legend, x0, legend_top, x1 - x0)
    _missing_note(svg, fall.missing, legend_top + LEGEND_GAP - 4)
    return svg.render()


LEGEND_GAP = 18.0


def _row_labels(tornado: Tornado, row: TornadoRow) -> list[tuple[float, str, bool]]:
    """(value, label, low?) for a row's two bar ends."""
    result = []
    for value, side, is_low in ((row.low, row.low_label, True), (row.high, row.high_label, False)):
        text = format_figure_value(value, tornado.unit, tornado.currency)
        result.append((value, f"{text} ({side})" if side else text, is_low))
    return result


def _outward(value: float, base: float, is_low: bool) -> bool:
    """Whether a bar end's label goes to the left (the bar reaches left of the base)."""
    return value < base or (value == base and is_low)


def tornado_svg(tornado: Tornado, width: float = WIDTH, row_height: float = 20.0, *,
                show_title: bool = False) -> str:
    """The tornado as an SVG document: one row per input (widest swing on top), a bar from the base outcome
    to the outcome at the input's low value and one to its high value, each end labelled. Where both ends
    fall on the same side of the base, the row is split: low above, high below, so neither hides the other.
    The value axis is widened until every end label fits beside its bar."""
    rows = tornado.sorted_rows()
    unit = axis_unit(tornado.unit, tornado.currency)
    top = 8.0 + (14 if show_title else 0)
    label_w = max((text_width(r.label, TICK_SIZE) for r in rows), default=40.0)
    left = min(label_w + 10, width * 0.35)
    low, high = tornado.value_range()
    span = (high - low) or abs(tornado.base) or 1.0
    low, high = low - span * 0.05, high + span * 0.05
    for _attempt in range(4):  # widen the axis until the end labels fit
        probe = Axis.nice(low, high, 0, 1, unit, max_ticks=6)
        right = max(14.0, text_width(probe.labels()[-1], TICK_SIZE) / 2 + 2)  # the last tick label stays on
        x0, x1 = left, width - right
        x_axis = Axis(probe.low, probe.high, x0, x1, probe.ticks, unit)
        per_pt = (probe.high - probe.low) / (x1 - x0)
        need_left = need_right = 0.0
        for row in rows:
            for value, text, is_low in _row_labels(tornado, row):
                w = text_width(text, 7.0) + 4
                if _outward(value, tornado.base, is_low):
                    need_left = max(need_left, x0 + 2 - (x_axis(value) - w))
                else:
                    need_right = max(need_right, x_axis(value) + w - (x1 - 2))
        if need_left <= 0 and need_right <= 0:
            break
        low -= max(need_left, 0.0) * per_pt * 1.1
        high += max(need_right, 0.0) * per_pt * 1.1
    plot_h = max(len(rows), 1) * row_height
    missing_h = TICK_SIZE + 6 if tornado.missing else 0.0
    height = top + plot_h + TICK_SIZE + 6 + (LABEL_SIZE + 8 if tornado.value_axis else 0) + LEGEND_GAP + missing_h
    svg = Svg(width, height, title=tornado.title, description=tornado.caption)
    if show_title:
        svg.text(0, 11, tornado.title, size=9, bold=True)
    y0, y1 = top, top + plot_h
    for value, label in zip(x_axis.ticks, x_axis.labels()):
        x = x_axis(value)
        svg.line(x, y0, x, y1, stroke=GRID, width=0.5, cls="grid")
        svg.text(x, y1 + TICK_SIZE + 4, label, anchor="middle", cls="x-tick")
    svg.line(x0, y1, x1, y1, stroke=AXIS, width=0.8)
    base_x = x_axis(tornado.base)
    low_fill, high_fill = color(tornado.low_color), color(tornado.high_color)
    for i, row in enumerate(rows):
        cy = y0 + row_height * (i + 0.5)
        same_side = (row.low - tornado.base) * (row.high - tornado.base) > 0
        svg.text(x0 - 6, cy + TICK_SIZE * 0.35, fit_text(row.label, x0 - 8), anchor="end", cls="row-label")
        for value, text, is_low in _row_labels(tornado, row):
            bar_h = row_height * (0.4 if same_side else 0.62)
            mid = cy + (row_height * (-0.21 if is_low else 0.21) if same_side else 0.0)
            x = x_axis(value)
            svg.rect(min(x, base_x), mid - bar_h / 2, max(abs(x - base_x), 0.8), bar_h,
                     fill=low_fill if is_low else high_fill, cls="bar")
            outward = _outward(value, tornado.base, is_low)
            svg.text(x + (-3 if outward else 3), mid + 7.0 * 0.35, text, anchor="end" if outward else "start",
                     size=7.0, cls="bar-label")
    svg.line(base_x, y0 - 2, base_x, y1, stroke=TEXT, width=1.0, cls="base")
    if tornado.value_axis:
        svg.text((x0 + x1) / 2, y1 + TICK_SIZE + 6 + LABEL_SIZE + 2, tornado.value_axis, size=LABEL_SIZE,
                 anchor="middle", cls="axis-title")
    legend_top = y1 + TICK_SIZE + 6 + (LABEL_SIZE + 8 if tornado.value_axis else 0)
    base_text = f"{tornado.base_label} {format_figure_value(tornado.base, tornado.unit, tornado.currency)}"
    draw_legend(svg, [LegendEntry("box", low_fill, "input at its low value"),
                      LegendEntry("box", high_fill, "input at its high value"),
                      LegendEntry("line", TEXT, base_text)], x0, legend_top, x1 - x0)
    _missing_note(svg, tornado.missing, legend_top + LEGEND_GAP - 4)
    return svg.render()
