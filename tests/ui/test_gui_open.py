"""The main window opens before any economics run, and the economics are computed once per workbook state in the
background and shared (desktop.ui.economics_state): the Overview's cards, the gate facts, the Economics page and
the plan all wait for the one result, say "computing…" meanwhile, and fill in when it lands; a newer change
cancels the running computation and only the latest result lands.

Worked values (the sample workbook with only the playbook's three template rows, reviewer rate 60 USD/h): the
invoice-review workload's cost per accepted output is row 2's 0.046 / 0.72 + 5.0 (review minutes x 60 / 60);
at a reviewer rate r it is 0.046 / 0.72 + 5.0 * r / 60.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from desktop import paths
from desktop.domain.sample import sample_workbook, template_traces
from desktop.economics.figures import CurveSpec, FigureData, HoverSpot
from desktop.resources import playbook
from desktop.services import plan as plan_service
from desktop.storage.working_copy import WorkingCopy
from desktop.ui import economics_state
from desktop.ui.document import Document
from desktop.ui.economics_charts import MAX_DRAWN_POINTS, draw_figure, thinned_for_drawing
from desktop.ui.economics_state import economics_state as state_of
from desktop.ui.main_window import MainWindow
from desktop.ui.plan_state import plan_state

INVOICE_COST_AT_60 = 0.046 / 0.72 + 5.0


def invoice_cost(rate: float) -> float:
    return 0.046 / 0.72 + 5.0 * rate / 60


@pytest.fixture
def document(qapp):
    book = playbook()
    document = Document(book, WorkingCopy.new(book, sample_workbook(book), paths.recovery_dir(),
                                              template_traces(book)))
    yield document
    document.close()


class Gate:
    """Holds every background economics computation until released, and counts them."""

    def __init__(self, monkeypatch) -> None:
        self.release = threading.Event()
        self.controls: list = []
        self.rates: list[float | None] = []
        compute = economics_state.compute_economics_facts

        def held(database, workbook, book, control):
            self.controls.append(control)
            self.rates.append(workbook.context.reviewer_rate_usd_per_hour)
            self.release.wait(20)
            return compute(database, workbook, book, control)

        monkeypatch.setattr(economics_state, "compute_economics_facts", held)


def open_window(qtbot, document) -> MainWindow:
    window = MainWindow(playbook(), document)
    window.ask_save_changes = lambda: QMessageBox.StandardButton.Discard
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    return window


def settle(qtbot, window, timeout=30_000):
    document = window.document
    qtbot.waitUntil(lambda: not state_of(document).busy and not plan_state(document).busy
                    and not window.pages["economics"].busy, timeout=timeout)


def set_rate(page, value: str) -> None:
    page.rate_edit.setText(value)
    page.rate_edit.editingFinished.emit()


def test_the_window_paints_before_the_economics_and_every_panel_fills_in_when_they_land(qtbot, document,
                                                                                        monkeypatch):
    gate = Gate(monkeypatch)
    window = open_window(qtbot, document)
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: len(gate.controls) == 1, timeout=10_000)  # the one computation is held
    assert window.isVisible()
    overview = window.pages["overview"]
    assert overview.panels["recommendation"].text() == "<i>Computing\u2026</i>"
    assert overview.panels["figures"].text() == "<i>Computing\u2026</i>"
    assert "Working out the plan" in overview.panels["plan"].text()
    window.show_page("gate:fallback-economics")
    assert window.pages["gate:fallback-economics"].facts.text() == "Economics: computing\u2026"
    window.show_page("economics")
    page = window.pages["economics"]
    assert page.updating.isVisible() and page.economics is None and page.busy
    assert page.summary.text() == page.figures_label.text() == "<i>Computing\u2026</i>"

    gate.release.set()
    settle(qtbot, window)
    assert gate.rates == [60.0]  # one computation for every view
    assert f"${INVOICE_COST_AT_60:.4f} per accepted output at target p95" in overview.panels["figures"].text()
    assert "fallback <b>" in overview.panels["recommendation"].text()
    qtbot.waitUntil(lambda: "a month" in overview.panels["plan"].text(), timeout=30_000)
    assert f"${INVOICE_COST_AT_60:.4f}" in page.figures_label.text() and not page.updating.isVisible()
    window.show_page("gate:fallback-economics")  # a hidden page fills in when shown again
    assert "computing" not in window.pages["gate:fallback-economics"].facts.text()


def test_switching_pages_runs_one_computation_and_the_plan_reuses_it(qtbot, document, monkeypatch):
    gate = Gate(monkeypatch)
    gate.release.set()

    def no_second_computation(*_args, **_kwargs):
        raise AssertionError("the plan computed the economics again")

    monkeypatch.setattr(plan_service, "run_plan", no_second_computation)
    window = open_window(qtbot, document)
    settle(qtbot, window)
    for key in ("economics", "overview", "economics", "gate:utilization-proof", "plan", "signoff", "economics"):
        window.show_page(key)
        settle(qtbot, window)
    assert len(gate.rates) == 1 and state_of(document).computations == 1
    assert plan_state(document).plan is not None and plan_state(document).error is None


def test_a_rate_edit_cancels_the_running_computation_and_only_the_latest_lands(qtbot, document, monkeypatch):
    gate = Gate(monkeypatch)
    gate.release.set()
    window = open_window(qtbot, document)
    window.show_page("economics")
    settle(qtbot, window)
    page = window.pages["economics"]
    landed: list[float] = []
    state_of(document).updated.connect(lambda facts: landed.append(facts.economics.report.reviewer_rate_usd_per_hour))
    gate.release.clear()
    set_rate(page, "0")
    qtbot.waitUntil(lambda: gate.rates[-1:] == [0.0], timeout=10_000)
    running = gate.controls[-1]
    assert not running.cancelled()
    set_rate(page, "30")
    assert running.cancelled()  # the newer edit cancels it at once
    gate.release.set()
    settle(qtbot, window)
    assert gate.rates == [60.0, 0.0, 30.0]
    assert landed == [30.0]  # the cancelled one never landed
    assert page.economics.report.reviewer_rate_usd_per_hour == 30.0
    assert f"${invoice_cost(30):.4f}" in page.figures_label.text()


def test_undo_returns_to_a_computed_state_without_computing(qtbot, document, monkeypatch):
    gate = Gate(monkeypatch)
    gate.release.set()
    window = open_window(qtbot, document)
    window.show_page("economics")
    settle(qtbot, window)
    page = window.pages["economics"]
    set_rate(page, "0")
    settle(qtbot, window)
    assert gate.rates == [60.0, 0.0]
    document.undo_stack.undo()  # back to 60 USD/h: that result is kept
    assert not state_of(document).busy
    assert state_of(document).current().economics.report.reviewer_rate_usd_per_hour == 60.0
    settle(qtbot, window)
    assert gate.rates == [60.0, 0.0]
    assert f"${INVOICE_COST_AT_60:.4f}" in page.figures_label.text()


# ---- drawing many points -----------------------------------------------------------------------------------

def test_a_scatter_of_many_points_is_thinned_for_drawing_but_keeps_every_point_for_its_table():
    xs = np.arange(10_000, dtype=float)
    ys = xs * 2
    fd = FigureData("pareto", "t", series={"all": (list(xs), list(ys))}, scatters=(("all", "#000000", xs, ys),))
    thin = thinned_for_drawing(fd)
    name, color, drawn_x, drawn_y = thin.scatters[0]
    assert (name, color) == ("all", "#000000") and len(drawn_x) == MAX_DRAWN_POINTS
    assert drawn_x[0] == 0 and drawn_x[-1] == 9_999 and np.all(np.diff(drawn_x) > 0)  # evenly spread, ends kept
    assert np.array_equal(drawn_y, drawn_x * 2)
    assert len(thin.series["all"][0]) == 10_000
    small = FigureData("pareto", "t", scatters=(("a", "#000000", xs[:10], ys[:10]),))
    assert thinned_for_drawing(small) is small


def test_many_curves_draw_as_one_item_per_colour_and_many_spots_hover_by_lookup(qapp):
    colours = ("#1f77b4", "#e07b00")
    curves = [CurveSpec(np.array([1.0, 2.0]), np.array([10.0 + i, 20.0 + i]), colours[i % 2], 2.0,
                        f"route {i % 2}" if i < 2 else None, symbols=True) for i in range(100)]
    made: list[int] = []

    def worded(i: int):
        def text() -> str:
            made.append(i)
            return f"curve {i}"
        return text

    hover = [HoverSpot(1.0, 10.0 + i, worded(i)) for i in range(600)]
    fd = FigureData("latency", "t", curves=tuple(curves), hover=tuple(hover))
    thin = thinned_for_drawing(fd)
    assert [c.color for c in thin.curves] == list(colours)
    assert [c.legend for c in thin.curves] == ["route 0", "route 1"]
    first = thin.curves[0]
    assert len(first.xs) == 50 * 2 + 49  # 50 curves of 2 points, a gap between neighbours
    assert np.isnan(first.xs[2]) and first.ys[3] == 12.0  # curve 2 follows curve 0 after the gap
    assert made == []  # no hover text worded before hovering
    assert thin.hover == () and len(thin.hover_points) == 600
    figure = draw_figure(thin)
    assert figure.hover_text(1.0, 15.2, (0.1, 0.3)) == "curve 5"
    assert made == [5]


def test_a_momentary_lock_is_tried_again_instead_of_shown(qtbot, document, monkeypatch):
    import sqlite3

    compute = economics_state.compute_economics_facts
    tries: list[int] = []

    def locked_twice(database, workbook, book, control):
        tries.append(1)
        if len(tries) <= 2:
            raise sqlite3.OperationalError("database is locked")
        return compute(database, workbook, book, control)

    monkeypatch.setattr(economics_state, "compute_economics_facts", locked_twice)
    failures: list[str] = []
    state = state_of(document)
    state.failed.connect(failures.append)
    window = open_window(qtbot, document)
    settle(qtbot, window)
    assert len(tries) == 3 and failures == [] and state.error is None
    assert f"${INVOICE_COST_AT_60:.4f} per accepted output" in window.pages["overview"].panels["figures"].text()
