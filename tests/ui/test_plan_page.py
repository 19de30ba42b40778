"""The Plan page and the Overview's plan card: table values, levers and constraints as undoable edits that
recompute the plan in the background, the waterfall's data, and the plan total on the Overview."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop.domain.formatting import DisplayCurrency, format_money
from desktop.domain.workbook import PlanLever
from desktop.resources import playbook
from desktop.services.plan import run_plan
from desktop.storage.trace_store import open_worker_connection
from desktop.ui.document import Document
from desktop.ui.pages.plan import COLUMNS, PlanPage
from desktop.ui.plan_state import plan_state, snapshot


def expected_plan(document, levers=()):
    """The plan worked out apart from the page: the service on its own connection to the working copy."""
    store = open_worker_connection(document.copy.database)
    try:
        return run_plan(store, workbook=snapshot(document.workbook), playbook=document.playbook,
                        levers=levers).to_json()
    finally:
        store.close()


def currency_of(plan):
    return DisplayCurrency(plan["currency"]["code"], plan["currency"]["perUsd"])


@pytest.fixture
def page(qtbot, document):
    widget = PlanPage(playbook())
    qtbot.addWidget(widget)
    widget.bind(document)
    widget.resize(1280, 800)
    widget.show()
    qtbot.waitUntil(lambda: not widget.state.busy and widget.plan is not None, timeout=60_000)
    return widget


def wait_plan(qtbot, page):
    qtbot.waitUntil(lambda: not page.state.busy, timeout=60_000)


def test_table_shows_each_workload_with_route_fallback_and_monthly_cost(page, document):
    plan = expected_plan(document)
    currency = currency_of(plan)
    model = page.model
    assert model.columnCount() == len(COLUMNS) and model.rowCount() == len(document.workbook.context.workloads) == 3
    for row, w in enumerate(plan["workloads"]):
        assert model.cell(row, 0) == w["workload"]
        assert model.cell(row, 1) == f"{w['volumePerMonth']:,.0f} requests"
        assert model.cell(row, 2) == f"{w['route']}, measured on {w['measuredOn']} rows"  # measured on the sample
        assert model.cell(row, 3).startswith(w["fallback"]) and w["fallback"] != w["route"]
        assert model.cell(row, 4) == format_money(w["monthlyCostUsd"], currency)
        assert model.cell(row, 6) == "Measured"
        assert model.cell(row, 7) == "; ".join(w["reasons"])
    assert sum(w["monthlyCostUsd"] for w in plan["workloads"]) == pytest.approx(plan["totals"]["monthlyCostUsd"])
    assert page.total_text() == format_money(plan["totals"]["monthlyCostUsd"], currency)
    assert "All amounts in US dollars (USD)." in page.currency_note.text()
    # The selected workload's every route, its monthly cost and why it is or is not chosen.
    page.table.selectRow(2)
    w = plan["workloads"][2]
    table = page.candidates
    assert table.rowCount() == len(w["candidates"]) == 5
    routes = [table.item(r, 0).text() for r in range(table.rowCount())]
    assert sum("(chosen)" in text for text in routes) == 1
    chosen = next(r for r in range(table.rowCount()) if "(chosen)" in routes[r])
    assert table.item(chosen, 1).text() == format_money(w["monthlyCostUsd"], currency)
    assert routes[chosen].startswith(w["route"])


def test_a_lever_recomputes_the_total_and_the_waterfall_as_one_undoable_edit(qtbot, page, document, monkeypatch):
    """Setting review minutes to 0 for support-policy removes its review cost: the plan total falls by the same
    amount as the service computes with that lever, and the waterfall gains a step for the lever. A lever edit
    reuses the economics already loaded: it reads no trace rows."""
    from desktop.services import plan as plan_service

    def no_storage(*args, **kwargs):
        raise AssertionError("a lever edit must not read the working copy again")

    before = page.plan["totals"]["monthlyCostUsd"]
    steps_before = [s.label for s in page.waterfall.model.steps]
    levers = page.levers
    levers.workload.setCurrentText("support-policy")
    spin = levers.spins["review-minutes"]
    monkeypatch.setattr(plan_service, "run_plan", no_storage)
    spin.setValue(0.0)  # the officer types 0 minutes; committed after a short pause
    qtbot.waitUntil(lambda: any(lv.kind == "review-minutes" for lv in document.workbook.plan.levers), timeout=5_000)
    wait_plan(qtbot, page)
    lever = PlanLever("review-minutes", "support-policy", 0.0)
    assert lever in document.workbook.plan.levers and page.state.error is None
    monkeypatch.undo()
    expected = expected_plan(document)
    after = page.plan["totals"]["monthlyCostUsd"]
    assert after == pytest.approx(expected["totals"]["monthlyCostUsd"], rel=1e-12)
    assert after < before
    support = next(w for w in expected["workloads"] if w["workload"] == "support-policy")
    assert support["monthlyReviewCostUsd"] == 0.0
    steps = page.waterfall.model.steps
    assert len(steps) == len(steps_before) + 1
    assert page.waterfall.model.end == pytest.approx(after)  # amounts in USD here: the sample is in USD
    saving = next(e for e in expected["levers"] if e["lever"] == "review-minutes")["monthlySavingUsd"]
    assert steps[-1].delta == pytest.approx(-saving)
    assert levers.savings["review-minutes"].text() == f"saves {format_money(saving)}"
    # One edit, one undo step: undo restores the total.
    assert document.undo_stack.undoText().startswith("Set lever review minutes per output (support-policy)")
    document.undo_stack.undo()
    wait_plan(qtbot, page)
    assert lever not in document.workbook.plan.levers
    assert page.plan["totals"]["monthlyCostUsd"] == pytest.approx(before, rel=1e-12)


def test_ruling_out_the_chosen_route_moves_the_workload_to_another(qtbot, page, document):
    """A data boundary: unticking support-policy's chosen route in the constraints editor makes the plan choose
    another allowed route for it (as the service does with the same constraint)."""
    table = page.constraints.table
    row = next(r for r in range(table.rowCount()) if table.verticalHeaderItem(r).text() == "support-policy")
    chosen = next(w for w in page.plan["workloads"] if w["workload"] == "support-policy")["routeSlug"]
    col = [r.slug for r in page.constraints.routes].index(chosen)
    table.item(row, col).setCheckState(Qt.CheckState.Unchecked)
    wait_plan(qtbot, page)
    constraint = document.workbook.plan.constraint("support-policy")
    assert constraint is not None and chosen not in constraint.allowed_routes
    expected = expected_plan(document)
    now = next(w for w in page.plan["workloads"] if w["workload"] == "support-policy")
    assert now["routeSlug"] != chosen
    assert now["routeSlug"] == next(w for w in expected["workloads"] if w["workload"] == "support-policy")["routeSlug"]
    document.undo_stack.undo()
    wait_plan(qtbot, page)
    assert document.workbook.plan.constraint("support-policy") is None


def test_budget_caps_under_the_costs_are_flagged(qtbot, page, document):
    """A workbook-wide cap at half the total and a cap for support-policy at half its monthly cost: both are
    breached, stored in USD, shown in words, and each is one undo step."""
    total = page.plan["totals"]["monthlyCostUsd"]
    support = next(w for w in page.plan["workloads"] if w["workload"] == "support-policy")["monthlyCostUsd"]
    page.constraints.set_budget("*", f"{round(total / 2):,}")
    wait_plan(qtbot, page)
    assert document.workbook.plan.constraint("*").monthly_budget_usd == round(total / 2)
    assert page.plan["totals"]["budgetBreached"] is True
    assert "Over the budget cap: the plan's total" in page.constraints.budget_state.text()
    assert dict((label.text(), value.text()) for label, value in page.total_labels)["Monthly budget cap:"].endswith(
        "the plan is over it</b>")
    page.constraints.set_budget("support-policy", str(round(support / 2)))
    wait_plan(qtbot, page)
    assert next(w for w in page.plan["workloads"] if w["workload"] == "support-policy")["budgetBreached"] is True
    assert "support-policy" in page.constraints.budget_state.text()
    assert document.undo_stack.undoText() == "Set the monthly budget cap (support-policy)"
    page.constraints.set_budget("support-policy", "not a number")  # refused: the cell shows the stored cap again
    assert page.constraints.table.item(3, page.constraints.budget_column).text() == f"{round(support / 2):,}"
    document.undo_stack.undo()
    document.undo_stack.undo()
    wait_plan(qtbot, page)
    assert document.workbook.plan.constraint("*") is None and page.plan["totals"]["budgetBreached"] is False


def test_a_read_only_workbook_offers_no_edits(qtbot, page, document):
    document.read_only_reason = "opened read-only for this test"
    page.refresh()
    assert not page.levers.spins["batch"].isEnabled()
    table = page.constraints.table
    assert not any(table.item(r, c).flags() & Qt.ItemFlag.ItemIsEnabled
                   for r in range(table.rowCount()) for c in range(table.columnCount()))


@pytest.fixture
def window(sample_window_on_overview):
    return sample_window_on_overview


def test_plan_follows_economics_in_the_navigation_and_the_overview_shows_the_plan_total(qtbot, window):
    keys = list(window.pages)
    assert keys.index("plan") == keys.index("economics") + 1
    state = plan_state(window.document)
    qtbot.waitUntil(lambda: not state.busy and state.plan is not None, timeout=60_000)
    plan = expected_plan(window.document)
    card = window.pages["overview"].panels["plan"]
    assert list(window.pages["overview"].panels)[0] == "plan"  # the first card
    text = card.text()
    assert format_money(plan["totals"]["monthlyCostUsd"]) in text
    assert format_money(plan["totals"]["monthlySavingsUsd"]) in text
    for w in plan["workloads"]:
        assert w["workload"] in text and w["route"] in text
    card.link.click()
    assert window.stack.currentWidget() is window.pages["plan"]


def test_amounts_follow_the_display_currency_with_the_rate_stated_once(qtbot, page, document):
    """EUR at 1.25 USD per euro: 0.8 EUR per USD, so each amount is its USD value x 0.8."""
    from dataclasses import replace

    from desktop.ui import commands

    context = replace(document.workbook.context, currency="EUR", fx_to_usd=1.25, fx_date="2026-12-01",
                      fx_source="ECB reference rate")
    document.push(commands.set_context(document, context))
    wait_plan(qtbot, page)
    eur = DisplayCurrency("EUR", 0.8)
    plan = expected_plan(document)
    assert plan["currency"]["code"] == "EUR" and plan["currency"]["perUsd"] == pytest.approx(0.8)
    for row, w in enumerate(plan["workloads"]):
        assert page.model.cell(row, 4) == format_money(w["monthlyCostUsd"], eur)
        assert page.model.cell(row, 4).startswith("EUR ")
    assert page.total_text() == format_money(plan["totals"]["monthlyCostUsd"], eur)
    assert page.currency_note.text() == ("All amounts in EUR, converted from USD at 1 USD = 0.8 EUR (2026-12-01, "
                                         "ECB reference rate).")
    assert page.waterfall.model.currency == "EUR"
    assert page.waterfall.model.end == pytest.approx(plan["totals"]["monthlyCostUsd"] * 0.8)


def test_a_lever_typed_just_before_switching_workload_is_kept_for_its_workload(qtbot, page, document):
    levers = page.levers
    levers.workload.setCurrentText("support-policy")
    levers.spins["acceptance"].setValue(90.0)  # 90% shown; its commit is still waiting for the pause
    levers.workload.setCurrentText("invoice-review")
    assert PlanLever("acceptance", "support-policy", 0.9) in document.workbook.plan.levers
    assert not any(lv.workload == "invoice-review" and lv.kind == "acceptance" for lv in document.workbook.plan.levers)
    assert levers.value("acceptance") is None  # invoice-review's own value: as measured
    wait_plan(qtbot, page)


def test_an_empty_workbook_says_what_the_plan_needs(qtbot):
    document = Document.new(playbook())
    try:
        widget = PlanPage(playbook())
        qtbot.addWidget(widget)
        widget.bind(document)
        widget.show()
        qtbot.waitUntil(lambda: not widget.state.busy and widget.plan is not None, timeout=60_000)
        assert widget.model.rowCount() == 0
        assert "No workloads in scope yet" in widget.message.text() and widget.message.isVisibleTo(widget)
        assert widget.total_text() == "not known"
        assert widget.waterfall.model is None and widget.waterfall.note.text().startswith("No waterfall")
    finally:
        document.close()
