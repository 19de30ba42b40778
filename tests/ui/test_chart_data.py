"""Charts an Excel user reads (issue 14): keyboard focus, "Copy data" as tab-separated text that pastes into a
spreadsheet, and the same numbers as an accessible table."""

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop.economics.figures import FigureData
from desktop.ui.charts import ChartTableDialog, ReadinessBar, ReadinessChart, tsv
from desktop.ui.economics_charts import draw_figure


def test_tsv_has_a_header_line_and_keeps_cells_in_their_columns():
    text = tsv(["Series", "x"], [["a\tb", "1500"], ["line\nbreak", ""]])
    assert text == "Series\tx\na b\t1500\nline break\t\n"
    assert [line.split("\t") for line in text.splitlines()] == [["Series", "x"], ["a b", "1500"], ["line break", ""]]


def test_readiness_chart_copy_data_puts_its_numbers_on_the_clipboard(qtbot):
    chart = ReadinessChart()
    qtbot.addWidget(chart)
    chart.set_data([ReadinessBar("Ops ownership", 55, 60), ReadinessBar("Data rights", None, 70)], threshold=60)
    chart.show()
    assert chart.plot_widget.focusPolicy() & Qt.FocusPolicy.TabFocus  # reachable from the keyboard
    QApplication.clipboard().clear()
    chart.plot_widget.setFocus()
    qtbot.waitUntil(chart.plot_widget.hasFocus)
    qtbot.keyClick(chart.plot_widget, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    rows = [line.split("\t") for line in QApplication.clipboard().text().splitlines()]
    assert rows == [["Dimension", "Score", "Playbook reference", "Threshold", "Against threshold"],
                    ["Ops ownership", "55", "60", "60", "below"],
                    ["Data rights", "", "70", "60", "not scored"]]  # not scored stays empty, never 0
    names = [a.text() for a in chart.plot_widget.actions()]
    assert names == ["&Copy data", "Show as &table"]


def test_the_table_view_shows_the_same_cells_and_copies_them(qtbot):
    chart = ReadinessChart()
    qtbot.addWidget(chart)
    chart.set_data([ReadinessBar("Ops ownership", 82, 60)], threshold=60)
    dialog = ChartTableDialog("Readiness", chart.table_data())
    qtbot.addWidget(dialog)
    table = dialog.table
    assert table.accessibleName() == "Data of Readiness"
    assert [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())][:2] == ["Dimension", "Score"]
    assert [table.item(0, c).text() for c in range(table.columnCount())] == ["Ops ownership", "82", "60", "60",
                                                                            "meets"]
    dialog.copy_button.click()
    assert QApplication.clipboard().text().splitlines()[1] == "Ops ownership\t82\t60\t60\tmeets"


def test_an_economics_figure_gives_one_row_per_plotted_point_with_category_names():
    """Two routes' costs per accepted output on a category axis: x comes back as the route's name, y as the
    plain number that was drawn (a missing value is an empty cell)."""
    data = FigureData(kind="cost-by-route", title="Cost per accepted output",
                      series={"cost": ([0.0, 1.0], [1234.5, float("nan")])},
                      ticks=("Managed API\nonly", "Dedicated"), labels=("USD per accepted output", None))
    figure = draw_figure(data)
    headers, rows = figure.table_data()
    assert headers == ["Series", "x", "USD per accepted output"]
    assert rows == [["cost", "Managed API only", "1234.5"], ["cost", "Dedicated", ""]]
    numeric = FigureData(kind="latency", title="p95", labels=("p95 latency (ms)", "Concurrency"),
                         series={"vLLM": (np.array([1.0, 8.0]), np.array([950.0, 20000.0]))})
    assert draw_figure(numeric).table_data()[1] == [["vLLM", "1", "950"], ["vLLM", "8", "20000"]]


def test_legends_sit_under_the_axis_outside_the_data():
    """The legend is a row of the plot's layout below the bottom axis, not an overlay on the view box, so it
    cannot cover a bar, a point or the target label; long entries fall back to one column."""
    data = FigureData(kind="latency", title="p95", series={"a": ([1.0], [2.0])},
                      scatters=(("Managed frontier API", "#1f77b4", np.array([1.0]), np.array([2.0])),
                                ("Dedicated endpoint", "#2ca02c", np.array([2.0]), np.array([3.0]))))
    plot = draw_figure(data).plot
    legend = plot.legend
    assert legend.parentItem() is plot and legend.parentItem() is not plot.getViewBox()
    assert plot.layout.itemAt(4, 1) is legend  # the row under the bottom axis (row 3)
    assert legend.columnCount == 2
    long = FigureData(kind="latency", title="p95", series={"a": ([1.0], [2.0])},
                      scatters=(("Hosted open-weight serverless (per token)", "#ff7f0e", np.array([1.0]),
                                 np.array([2.0])),
                                ("Dedicated endpoint (steps by replica)", "#2ca02c", np.array([2.0]),
                                 np.array([3.0]))))
    assert draw_figure(long).plot.legend.columnCount == 1


def test_a_figure_designed_on_log_axes_starts_linear_and_switches_to_log():
    """Monthly cost against volume spans powers of ten: it opens on linear axes with separators (what a
    spreadsheet user expects), and the Log scale choice puts back the designed axes; the forecast line
    (placed in view units) follows: at 300,000 on the linear axis, at log10(300,000) = 5.477 on the log one."""
    import math

    from desktop.ui.economics_charts import can_log, set_log_scale

    volumes = np.array([1e3, 1e5, 1e7])
    data = FigureData(kind="cost-volume", title="Monthly cost", log=(True, True), forecast=300_000.0,
                      series={"api": (volumes, volumes * 0.05)}, x_range=(3.0, 7.0, 0.0), y_range=(1.0, 6.0, 0.0),
                      units=("usd", "count"), labels=("Monthly cost (USD)", "Monthly volume"))
    figure = draw_figure(data)
    assert can_log(figure)
    forecast = next(i for i in figure.plot.items if isinstance(i, pg.InfiniteLine) and i.angle == 90)
    set_log_scale(figure, False)
    assert not figure.plot.getAxis("bottom").logMode and not figure.plot.getAxis("left").logMode
    assert forecast.value() == 300_000.0
    assert figure.plot.getAxis("left").tickStrings([250_000.0], 1.0, 250_000.0) == ["$250,000"]
    # big amounts in words, never pyqtgraph's "(x1e+09)" scale by the axis title
    left, bottom = figure.plot.getAxis("left"), figure.plot.getAxis("bottom")
    assert left.tickStrings([0.0, 1.5e9, 3e9], 1.0, 1.5e9) == ["$0", "$1.5 billion", "$3 billion"]
    assert bottom.tickStrings([0.0, 2.5e8, 5e8], 1.0, 2.5e8) == ["0", "250 million", "500 million"]
    left.setRange(0, 3e9)
    left.setLabel("Monthly cost (USD)")
    assert "x1e" not in left.labelString() and left.autoSIPrefixScale == 1.0
    set_log_scale(figure, True)
    assert figure.plot.getAxis("bottom").logMode and figure.plot.getAxis("left").logMode
    assert forecast.value() == pytest.approx(math.log10(300_000))
    assert not can_log(draw_figure(FigureData(kind="latency", title="p95", series={"a": ([1.0], [2.0])})))


def test_the_economics_chart_view_offers_log_scale_only_where_it_applies(qtbot):
    from desktop.ui.pages.economics_views import ChartView

    view = ChartView("cost-volume")
    qtbot.addWidget(view)
    view.show()
    volumes = np.array([1e3, 1e7])
    view.draw(FigureData(kind="cost-volume", title="Monthly cost", log=(True, True),
                         series={"api": (volumes, volumes * 0.05)}))
    assert view.log_box.isVisible() and not view.log_box.isChecked()
    assert not view.plot.getAxis("bottom").logMode  # linear first
    view.log_box.click()
    assert view.plot.getAxis("bottom").logMode
    view.draw(FigureData(kind="latency", title="p95", series={"a": ([1.0], [2.0])}))
    assert not view.log_box.isVisible()
