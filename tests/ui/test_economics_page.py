"""The Economics page on the sample workbook: every plot draws data, numbers follow the reviewer rate and
target, the workload filter, hover values, PNG/SVG export, the recommendation with reasons and its
undoable override, and the same figures rendered offscreen without a window.

The page computes in the background (debounced) and draws the plots a turn at a time, so after each change
the tests wait (`settle`) until the figures match the document's latest state.

Worked values (the sample workbook with only the playbook's three template rows, reviewer rate 60 USD/h):
cost per accepted output row 1 = 0.215 / 0.84 + 3.5, row 2 = 0.046 / 0.72 + 5.0, row 3 = 0.032 / 0.78 + 2.8
(review minutes x 60 / 60). The app's sample adds illustrative rows for the decision plan; these plots are
checked on the template rows, whose values are worked out here.
"""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from PySide6.QtWidgets import QMessageBox

from desktop import paths
from desktop.domain.sample import sample_workbook, template_traces
from desktop.economics.recommend import RecommendationOverride
from desktop.resources import playbook
from desktop.storage import economics_store
from desktop.storage.working_copy import WorkingCopy
from desktop.ui import main_window as main_window_module
from desktop.ui.document import Document
from desktop.ui.economics_charts import FIGURES, ChartData, cost_volume_model, render_figure
from desktop.ui.main_window import MainWindow
from desktop.ui.pages.economics import EconomicsPage

COSTS = {1: 0.215 / 0.84 + 3.5, 2: 0.046 / 0.72 + 5.0, 3: 0.032 / 0.78 + 2.8}
ROUTES = {1: "Managed frontier API", 2: "Hosted open-weight serverless", 3: "Dedicated endpoint"}


@pytest.fixture
def document(qapp):
    """The sample workbook with the playbook's three template rows only (see the module docstring)."""
    book = playbook()
    document = Document(book, WorkingCopy.new(book, sample_workbook(book), paths.recovery_dir(),
                                              template_traces(book)))
    yield document
    document.close()


@pytest.fixture
def window(qtbot, document, monkeypatch):
    """The main window with the Economics page (whether or not build_pages wires it already)."""
    original = main_window_module.build_pages

    def build_pages(book):
        return [(key, EconomicsPage(book) if key == "economics" and not isinstance(page, EconomicsPage)
                 else page) for key, page in original(book)]

    monkeypatch.setattr(main_window_module, "build_pages", build_pages)
    window = MainWindow(playbook(), document)
    window.ask_save_changes = lambda: QMessageBox.StandardButton.Discard  # closing at teardown asks nothing
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    window.show_page("economics")
    settle(qtbot, window.pages["economics"])
    return window


@pytest.fixture
def page(window) -> EconomicsPage:
    return window.pages["economics"]


def settle(qtbot, page, timeout=30_000):
    """Wait until the page shows the figures of the document's latest state."""
    qtbot.waitUntil(lambda: not page.busy, timeout=timeout)


def items(view, kind):
    return [i for i in view.plot.items if isinstance(i, kind)]


def bar_heights(view):
    return sorted(float(h) for bar in items(view, pg.BarGraphItem) for h in bar.opts["height"])


def test_every_plot_draws_the_sample_data(page):
    charts = page.charts
    assert set(charts) == set(FIGURES)
    for kind, view in charts.items():
        assert view.figure is not None and view.figure.message is None, kind
        assert view.figure.has_data, kind

    assert bar_heights(charts["cost-by-route"]) == pytest.approx(sorted(COSTS.values()))

    latency = {}
    for item in items(charts["latency"], pg.PlotDataItem):
        xs, ys = item.getData()
        if xs is not None:
            latency.update(zip(map(float, xs), map(float, ys)))
    assert latency == {4.0: 28200.0, 16.0: 14900.0, 32.0: 8800.0}
    targets = [line.value() for line in items(charts["latency"], pg.InfiniteLine)]
    assert targets == [20000.0]

    points = set()
    for scatter in items(charts["pareto"], pg.ScatterPlotItem):
        xs, ys = scatter.getData()
        points |= {(float(x), round(float(y), 9)) for x, y in zip(xs, ys)}
    assert points == {(28200.0, round(COSTS[1], 9)), (14900.0, round(COSTS[2], 9)), (8800.0, round(COSTS[3], 9))}

    volume = charts["cost-volume"].figure.series
    xs, ys = volume["Managed frontier API"]
    assert all(y == pytest.approx(x * 0.215) for x, y in zip(xs, ys))  # per-token: a line, cost per request
    step_x, step_y = volume["Dedicated endpoint"]
    assert len(set(step_y)) > 1  # steps by replica
    assert volume["break-even"][0]  # break-even points marked
    drawn = [i for i in items(charts["cost-volume"], pg.PlotDataItem) if i.getData()[0] is not None]
    assert len(drawn) >= 4

    readiness = charts["readiness"]
    assert bar_heights(readiness) == sorted(float(d.reference_score) for d in playbook().readiness)
    assert [line.value() for line in items(readiness, pg.InfiniteLine)] == [70.0]


def test_cost_volume_break_even_is_where_a_replica_costs_as_much_as_the_per_token_route(page):
    model = cost_volume_model(page.chart_data())
    step = next(s for s in model.steps if s.route == "Dedicated endpoint")
    # one replica: 108 tokens/s per stream x 32 streams / 520 tokens per request, always-on 730 h
    capacity = 108 * 32 / 520 * 3600 * 730
    assert step.requests_per_month_per_replica == pytest.approx(capacity)
    hourly = 0.032 * 108 * 32 / 520 * 3600  # implied by row 3's cost per request at that throughput
    assert step.replica_usd_per_month == pytest.approx(hourly * 730)
    managed = next(b for b in model.break_evens if b.token_route == "Managed frontier API" and b.replicas == 1)
    assert managed.volume == pytest.approx(hourly * 730 / 0.215)
    assert model.forecast == 300_000


def test_changing_the_reviewer_rate_updates_the_numbers_and_undoes(qtbot, page, document):
    view = page.charts["cost-by-route"]
    page.rate_edit.setText("0")
    page.rate_edit.editingFinished.emit()
    settle(qtbot, page)
    assert document.workbook.context.reviewer_rate_usd_per_hour == 0.0
    assert bar_heights(view) == pytest.approx(sorted([0.215 / 0.84, 0.046 / 0.72, 0.032 / 0.78]))
    assert "$0.0410" in page.figures_label.text()  # key figures follow too
    document.undo_stack.undo()
    assert document.workbook.context.reviewer_rate_usd_per_hour == 60.0
    assert page.rate_edit.text() == "60"
    settle(qtbot, page)
    assert bar_heights(view) == pytest.approx(sorted(COSTS.values()))


def test_a_bad_rate_is_refused_and_the_workbook_is_unchanged(page, document):
    page.rate_edit.setText("-5")
    page.rate_edit.editingFinished.emit()
    assert document.workbook.context.reviewer_rate_usd_per_hour == 60.0
    assert page.field_message.text()
    assert page.rate_edit.text() == "60"
    page.rate_edit.setText("abc")
    page.rate_edit.editingFinished.emit()
    assert "must be a number" in page.field_message.text()
    assert document.undo_stack.count() == 0


def test_changing_the_target_moves_the_line_and_the_cost_at_target(qtbot, page, document):
    page.target_edit.setText("30000")
    page.target_edit.editingFinished.emit()
    settle(qtbot, page)
    assert document.workbook.context.target_p95_ms == 30000.0
    assert [line.value() for line in items(page.charts["latency"], pg.InfiniteLine)] == [30000.0]
    coding = next(b for b in page.economics.report.best if b.workload == "coding-agent-maintenance")
    assert coding.cost_per_accepted_output == pytest.approx(COSTS[1])
    [solid] = [bar for bar in items(page.charts["cost-by-route"], pg.BarGraphItem)
               if bar.opts["height"][0] == pytest.approx(COSTS[1])]
    assert solid.opts["brush"].color().alpha() == 255  # meets the target now: drawn solid


def test_workload_filter_narrows_the_plots(qtbot, page):
    page.set_workload("invoice-review")
    settle(qtbot, page)
    assert bar_heights(page.charts["cost-by-route"]) == pytest.approx([COSTS[2]])
    assert list(page.charts["pareto"].figure.series) == ["Hosted open-weight serverless", "Pareto frontier"]
    page.set_workload(None)
    settle(qtbot, page)
    assert len(bar_heights(page.charts["cost-by-route"])) == 3


def test_hover_shows_exact_values(page):
    view = page.charts["cost-by-route"]
    spot = next(s for s in view.figure.hover if "Hosted open-weight serverless" in s.text)
    text = view.hover_at(spot.x, spot.y / 2)
    assert "$5.0639 per accepted output at target p95" in text and "row #2" in text
    latency = page.charts["latency"]
    assert "p95 28,200 ms (over the target)" in latency.hover_at(4, 28200)
    pareto = page.charts["pareto"]
    assert "p95 8,800 ms" in pareto.hover_at(8800, COSTS[3]) and "Pareto frontier" in pareto.hover_at(8800, COSTS[3])


def test_each_plot_saves_as_png_and_svg(page, tmp_path):
    for kind, view in page.charts.items():
        png = view.save(tmp_path / f"{kind}.png")
        svg = view.save(tmp_path / f"{kind}.svg")
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert b"<svg" in svg.read_bytes()[:2000]
    with pytest.raises(ValueError):
        page.charts["latency"].save(tmp_path / "x.jpg")


def test_recommendation_panel_shows_each_route_with_reasons(page):
    text = page.recommendation.reasons_text()
    assert "Recommended route: Managed API only" in text
    assert "Utilization model scores 68, below the workbook threshold of 70." in text
    # Each procurement route names the trace rows it rests on (one route vocabulary, issue 11 item 5).
    assert "Dedicated hosted endpoint (Production lane, rests on Dedicated endpoint rows): not-yet" in text
    assert ("Managed API only (Baseline, rests on Managed frontier API rows): supported  [recommended, fallback]"
            in text)
    assert "Owned hardware (Strategic capacity, rests on Self-hosted GPU stack rows)" in text


def test_override_needs_a_reason_is_undoable_and_updates_the_page(qtbot, page, document):
    panel = page.recommendation
    panel.route_combo.setCurrentIndex(panel.route_combo.findData("dedicated-hosted-endpoint"))
    panel.reason_edit.setText("")
    assert not panel.apply_override()
    assert "needs a reason" in panel.override_message.text()
    assert document.undo_stack.count() == 0
    panel.reason_edit.setText("Capacity contract already signed")
    assert panel.apply_override()
    settle(qtbot, page)
    assert page.economics.recommendation.route_name == "Dedicated hosted endpoint"
    assert "officer override" in page.summary.text()
    assert "Capacity contract already signed" in panel.reasons_text()
    document.undo_stack.undo()
    settle(qtbot, page)
    assert page.economics.recommendation.route_name == "Managed API only"
    assert panel.route_combo.currentData() is None
    document.undo_stack.redo()
    settle(qtbot, page)
    assert page.economics.recommendation.route_name == "Dedicated hosted endpoint"
    assert panel.clear_override()
    settle(qtbot, page)
    assert page.economics.override is None


def test_new_traces_redraw_the_plots(qtbot, page, document):
    from desktop.domain.trace import make_trace_row
    from desktop.storage.workbook_file import trace_row_values

    row = make_trace_row({"route": "Managed frontier API", "provider": "OpenAI", "model": "m",
                          "workload": "invoice-review", "inputTokens": "1000", "outputTokens": "100",
                          "concurrency": "8", "latencyP95Ms": "9000", "acceptedOutputRate": "0.5",
                          "costUsd": "0.01", "reviewMinutes": "1"}, playbook().trace_route_aliases())

    def add(store):
        import_id = store.add_import(source="test", format="csv", sha256="0" * 64, size=1, rows_read=1,
                                     rows_imported=1, rows_rejected=0)
        store.add_traces(import_id, [trace_row_values(row)])

    document.run_in_transaction(add, "traces")
    settle(qtbot, page)
    assert len(bar_heights(page.charts["cost-by-route"])) == 4
    assert 0.01 / 0.5 + 1.0 == pytest.approx(min(bar_heights(page.charts["cost-by-route"])))


@pytest.mark.parametrize("kind", list(FIGURES))
def test_figures_render_offscreen_without_a_window(tmp_path, document, kind):
    from desktop.ui.economics_facts import document_economics

    economics = document_economics(document)
    png = tmp_path / f"{kind}.png"
    figure = render_figure(kind, economics.report, economics.workbook, png, dpi=120, playbook=playbook())
    assert figure.has_data
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    assert width == int(8.0 * 120)  # 8 inches at the requested dpi
    svg = render_figure(kind, economics.report, economics.workbook, tmp_path / f"{kind}.svg", playbook=playbook())
    assert svg.has_data and (tmp_path / f"{kind}.svg").read_text(encoding="utf-8").lstrip().startswith("<")


def test_figures_say_so_when_there_is_nothing_to_draw(qtbot):
    document = Document.new(playbook())
    try:
        from desktop.ui.economics_facts import document_economics
        from desktop.ui.economics_charts import build_figure

        economics = document_economics(document)
        data = ChartData(economics.report, economics.workbook, playbook())
        for kind in ("cost-by-route", "latency", "cost-volume", "pareto"):
            figure = build_figure(kind, data)
            assert figure.message and not figure.has_data, kind
    finally:
        document.close()


def test_overview_panels_show_the_recommendation_and_key_figures(qtbot, window, document):
    from desktop.ui.economics_facts import install_overview_panels

    overview = window.pages["overview"]
    install_overview_panels(overview)
    recommendation = overview.panels["recommendation"].text()
    assert "<b>Managed API only</b>, fallback <b>Managed API only</b>" in recommendation
    assert "Dedicated hosted endpoint: not-yet" in recommendation
    figures = overview.panels["figures"].text()
    assert "$5.0639 per accepted output at target p95" in figures
    document.run_in_transaction(
        lambda store: economics_store.set_override(store, RecommendationOverride("owned-hardware", "board decision")),
        "recommendation")
    window.show_page("overview")
    qtbot.waitUntil(lambda: "Officer override" in overview.panels["recommendation"].text(), timeout=30_000)


# ---- background computation ---------------------------------------------------------------------------

def set_rate(page, value):
    page.rate_edit.setText(value)
    page.rate_edit.editingFinished.emit()


def no_review(rate):
    """Sample costs per accepted output at reviewer rate `rate` (USD/h)."""
    review = {1: 3.5 / 60, 2: 5.0 / 60, 3: 2.8 / 60}
    base = {1: 0.215 / 0.84, 2: 0.046 / 0.72, 3: 0.032 / 0.78}
    return sorted(base[i] + review[i] * rate for i in base)


def test_a_change_while_computing_ends_with_the_figures_of_the_latest_state(qtbot, page, document, monkeypatch):
    import threading

    from desktop.ui import economics_state

    release = threading.Event()
    started: list[float] = []
    compute = economics_state.compute_economics_facts

    def held(database, workbook, book, control):
        started.append(workbook.context.reviewer_rate_usd_per_hour)
        if len(started) == 1:
            release.wait(10)  # the first computation is still running when the next change comes in
        return compute(database, workbook, book, control)

    monkeypatch.setattr(economics_state, "compute_economics_facts", held)
    view = page.charts["cost-by-route"]
    set_rate(page, "0")
    qtbot.waitUntil(lambda: page.state._runner.busy and started == [0.0], timeout=10_000)
    assert page.updating.isVisible() and page.busy
    assert bar_heights(view) == pytest.approx(sorted(COSTS.values()))  # the last figures stay meanwhile
    set_rate(page, "30")
    release.set()
    settle(qtbot, page)
    assert started == [0.0, 30.0]
    assert not page.updating.isVisible()
    assert page.economics.report.reviewer_rate_usd_per_hour == 30.0
    assert bar_heights(view) == pytest.approx(no_review(30))
    assert page.rate_edit.text() == "30"


def test_a_burst_of_changes_is_computed_once(qtbot, page, document, monkeypatch):
    from desktop.ui import economics_state

    rates: list[float] = []
    compute = economics_state.compute_economics_facts

    def counted(database, workbook, book, control):
        rates.append(workbook.context.reviewer_rate_usd_per_hour)
        return compute(database, workbook, book, control)

    monkeypatch.setattr(economics_state, "compute_economics_facts", counted)
    for rate in ("10", "20", "40"):
        set_rate(page, rate)
    assert page.updating.isVisible()
    settle(qtbot, page)
    assert rates == [40.0]
    assert bar_heights(page.charts["cost-by-route"]) == pytest.approx(no_review(40))


def test_plots_are_redrawn_only_while_their_tab_is_shown(qtbot, page, document):
    view = page.charts["cost-by-route"]
    page.tabs.setCurrentWidget(page.recommendation)
    set_rate(page, "0")
    settle(qtbot, page)
    assert page.economics.report.reviewer_rate_usd_per_hour == 0.0
    assert "$0.0410" in page.figures_label.text()
    assert bar_heights(view) == pytest.approx(sorted(COSTS.values()))  # not redrawn behind another tab
    page.tabs.setCurrentWidget(page.charts_scroll)
    settle(qtbot, page)
    assert bar_heights(view) == pytest.approx(no_review(0))


def test_the_result_is_shared_with_the_other_economics_views(qtbot, page, document):
    from desktop.ui.economics_facts import document_economics

    set_rate(page, "0")
    settle(qtbot, page)
    assert document_economics(document) is page.economics  # no second computation for the overview


def test_the_plots_data_are_prepared_off_the_gui_thread(qtbot, page, monkeypatch):
    """The worker prepares what the plots draw (also for another workload filter); the GUI thread only draws."""
    import threading

    from desktop.ui.pages import economics as economics_page

    threads: list[tuple[str, bool]] = []
    prepare = economics_page.figure_data

    def recorded(kind, data):
        threads.append((kind, threading.current_thread() is threading.main_thread()))
        return prepare(kind, data)

    monkeypatch.setattr(economics_page, "figure_data", recorded)
    set_rate(page, "0")
    settle(qtbot, page)
    assert bar_heights(page.charts["cost-by-route"]) == pytest.approx(no_review(0))
    page.set_workload("invoice-review")
    settle(qtbot, page)
    assert bar_heights(page.charts["cost-by-route"]) == pytest.approx([0.046 / 0.72])
    assert list(page.charts["pareto"].figure.series) == ["Hosted open-weight serverless", "Pareto frontier"]
    assert sorted(kind for kind, _main in threads) == sorted(list(FIGURES) * 2)
    assert not any(main for _kind, main in threads)
