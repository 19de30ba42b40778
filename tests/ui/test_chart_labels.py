"""Issue 16: the cost-by-route chart at a million rows has ten workloads and 28 bars; its workload names and bar
values stay legible (no two overlap, none is cut off at the axis's ends) at the width the chart is shown at
(desktop.ui.chart_labels), the full names on the axis's tooltip."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from PySide6.QtGui import QFontMetrics

from desktop.ui.chart_labels import fit_category_labels, unwrap
from desktop.ui.economics_charts import draw_figure
from desktop.economics.figures import figure_data
from tests.economics.figure_workbook import chart_data, gather_export_data, three_row_workbook

NAMES = ["coding-agent-maintenance", "invoice-review", "support-policy"] + [f"workload-{i}" for i in range(7)]
BARS_PER_NAME = 3
BAR_STEP = 0.8 / BARS_PER_NAME


def chart(qtbot, width: int):
    """A bar chart drawn like cost-by-route: categories 0..9, three bars each with a value label above it."""
    widget = pg.PlotWidget(background="w")
    qtbot.addWidget(widget)
    widget.resize(width, 420)
    widget.show()
    qtbot.waitExposed(widget)
    plot = widget.getPlotItem()
    plot.showGrid(x=True, y=True)
    values = []
    for i in range(len(NAMES)):
        for j in range(BARS_PER_NAME):
            x = i + (j - 1) * BAR_STEP
            plot.addItem(pg.BarGraphItem(x=[x], height=[1 + i], width=BAR_STEP * 0.92))
            label = pg.TextItem(f"${0.0123 * (i + 1):.4f}", anchor=(0.5, 1))
            label.setPos(x, 1 + i)
            plot.addItem(label)
            values.append((label, 1 + i))
    plot.setXRange(-0.6, len(NAMES) - 0.4, padding=0)
    fitter = fit_category_labels(plot, [n.replace("-", "-\n", 1) for n in NAMES], values)
    assert all(not label.isVisible() for label, _ in values)  # nothing overlaps before the first fit
    qtbot.waitUntil(lambda: fitter.shown is not None)  # once the figures around it are drawn
    qtbot.wait(20)
    return widget, plot, fitter


def tick_boxes(plot, fitter):
    """(row, left px, right px, text) of each tick label as drawn on the bottom axis."""
    axis = plot.getAxis("bottom")
    fm = QFontMetrics(axis.font())
    (low, high), _ = plot.vb.viewRange()
    scale = plot.vb.width() / (high - low)
    labels, spots = fitter.shown
    boxes = []
    for text, spot in zip(labels, spots):
        lines = text.split("\n")
        row = 0 if lines[0] else 1  # staggered ones start with blank lines
        width = max(fm.horizontalAdvance(line) for line in lines if line)
        centre = (spot - low) * scale
        boxes.append((row, centre - width / 2, centre + width / 2, "\n".join(line for line in lines if line)))
    return boxes


@pytest.mark.parametrize("width", [520, 800, 1400])
def test_names_never_overlap_and_stay_on_the_axis(qtbot, width):
    widget, plot, fitter = chart(qtbot, width)
    boxes = tick_boxes(plot, fitter)
    assert len(boxes) == len(NAMES)
    for _row, left, right, _text in boxes:
        assert left >= 0 and right <= plot.vb.width() + 0.5
    for row in (0, 1):
        spans = sorted((left, right) for r, left, right, _ in boxes if r == row)
        for (_, right), (left, _) in zip(spans, spans[1:]):
            assert right <= left, f"two names overlap at {width} px"
    for (_row, _left, _right, text), name in zip(boxes, NAMES):
        if "\u2026" not in text:
            assert unwrap(text) == name
    assert plot.getAxis("bottom").toolTip() == "\n".join(NAMES)


def test_a_wide_chart_shows_every_name_in_full_in_one_row(qtbot):
    _widget, plot, fitter = chart(qtbot, 1800)
    boxes = tick_boxes(plot, fitter)
    assert {row for row, *_ in boxes} == {0}
    assert [unwrap(text) for *_, text in boxes] == NAMES


@pytest.mark.parametrize("width", [520, 1000, 1400, 2600])
def test_bar_values_are_shown_only_where_they_fit(qtbot, width):
    _widget, plot, fitter = chart(qtbot, width)
    (low, high), _ = plot.vb.viewRange()
    slot = plot.vb.width() / (high - low) * BAR_STEP  # pixels between two neighbouring bars
    labels = [label for label, _ in fitter.values]
    fm = QFontMetrics(labels[0].textItem.font())
    widest = max(fm.horizontalAdvance(label.toPlainText()) for label in labels)
    shown = [label for label in labels if label.isVisible()]
    if widest < slot:
        assert len(shown) == len(labels) and all(label.angle == 0 for label in shown)
    elif fm.height() < slot:
        assert len(shown) == len(labels) and all(label.angle == 90 for label in shown)  # upright
    else:
        assert shown == []  # hovering a bar gives its value
    if width == 520:
        assert shown == []
    if width == 2600:
        assert len(shown) == len(labels)


def test_resizing_fits_the_labels_again(qtbot):
    widget, plot, fitter = chart(qtbot, 520)
    assert any(row == 1 for row, *_ in tick_boxes(plot, fitter))  # staggered when narrow
    widget.resize(1800, 420)
    qtbot.waitUntil(lambda: {row for row, *_ in tick_boxes(plot, fitter)} == {0})


def test_the_cost_by_route_figure_fits_its_labels_and_other_figures_do_not(qtbot, tmp_path):
    data = chart_data(gather_export_data(three_row_workbook(tmp_path / "three.ipwb")))
    widget = pg.PlotWidget(background="w")
    qtbot.addWidget(widget)
    plot = widget.getPlotItem()
    draw_figure(figure_data("cost-by-route", data), plot)
    assert plot._category_labels is not None
    assert plot.getAxis("bottom").toolTip() == "\n".join(unwrap(t) for t in figure_data("cost-by-route", data).ticks)
    draw_figure(figure_data("latency", data), plot)  # the same plot drawn as another figure
    assert plot._category_labels is None
