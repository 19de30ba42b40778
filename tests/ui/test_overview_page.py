"""The overview page: buyer context, gate rows that follow edits, readiness chart, links to the pages."""

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt

from desktop.domain.gates import set_item, set_verdict
from desktop.domain.workbook import GateStatus, ItemState, SignOff
from desktop.resources import playbook
from desktop.ui import commands
from desktop.ui.pages.overview import OverviewPage, OverviewPanel, context_lines

GATES = [g.slug for g in playbook().gates]


@pytest.fixture
def page(qtbot, document):
    widget = OverviewPage(playbook())
    qtbot.addWidget(widget)
    widget.bind(document)
    widget.resize(1060, 760)
    widget.show()
    return widget


@pytest.fixture
def window(sample_window_on_overview):
    return sample_window_on_overview


def edit_gate(document, slug, change):
    document.push(commands.set_gate(document, change(document.workbook.gates[slug]), f"edit {slug}"))


def test_shows_buyer_context(page, document):
    context = document.workbook.context
    assert context.title in page.heading.text()
    assert page.context_values["Organisation"].text() == "Example Corp"
    assert page.context_values["Reviewer rate"].text() == "60 USD/hour"
    assert page.context_values["Target p95 latency"].text() == "20,000 ms"
    workloads = page.context_values["Workloads in scope"].text()
    assert all(f"{w.name}: 100,000 requests/month" in workloads for w in context.workloads)
    document.push(commands.set_context(document, replace(context, organisation="Acme <Ltd>", title="")))
    assert page.context_values["Organisation"].text() == "Acme <Ltd>"  # plain text, not markup
    assert "Untitled decision" in page.heading.text()


def test_context_lines_for_foreign_currency():
    from desktop.domain.workbook import BuyerContext
    lines = dict(context_lines(BuyerContext(currency="EUR", fx_to_usd=1.08, fx_date="2026-01-05")))
    assert lines["Currency"] == "EUR (1 EUR = 1.08 USD, 2026-01-05)"
    assert lines["Workloads in scope"] == "none yet" and lines["Reviewer rate"] == "not set"


def test_a_row_per_gate(page):
    assert list(page.gate_rows) == GATES
    for gate in playbook().gates:
        row = page.gate_rows[gate.slug]
        assert row.link.text() == gate.name
        assert row.verdict.text() == "Not assessed"
        assert row.progress.format() == f"0 of {len(gate.checklist)} items"
    assert page.overall.text() == "0 of 5 gates assessed, 0 passed; 0 of 26 evidence items done."


def test_rows_follow_gate_changes_and_undo(page, document):
    slug = "utilization-proof"
    edit_gate(document, slug, lambda g: set_item(g, 1, ItemState(done=True)))
    edit_gate(document, slug, lambda g: set_item(g, 3, ItemState(done=True)))
    edit_gate(document, slug, lambda g: set_verdict(g, GateStatus.AT_RISK))
    row = page.gate_rows[slug]
    assert row.verdict.text() == "At risk"
    assert row.progress.value() == 2 and row.progress.maximum() == 5
    assert row.progress.format() == "2 of 5 items"
    assert page.overall.text() == "1 of 5 gates assessed, 0 passed; 2 of 26 evidence items done."
    edit_gate(document, "demand-shape", lambda g: set_verdict(g, GateStatus.FAILED))
    assert page.gate_rows["demand-shape"].verdict.text() == "Failed"
    document.undo_stack.undo()
    assert page.gate_rows["demand-shape"].verdict.text() == "Not assessed"
    document.undo_stack.undo()
    assert row.verdict.text() == "Not assessed" and row.progress.format() == "2 of 5 items"


def test_pass_with_open_items_reads_as_exception(page, document):
    edit_gate(document, "fallback-economics",
              lambda g: set_verdict(g, GateStatus.PASSED, "vendor SLA covers the fallback"))
    row = page.gate_rows["fallback-economics"]
    assert row.verdict.text() == "Passed (exception)"
    assert "vendor SLA covers the fallback" in row.verdict.toolTip()
    assert "1 passed" in page.overall.text()


def test_rows_refresh_when_shown_after_changes_elsewhere(page, document):
    page.hide()
    edit_gate(document, "demand-shape", lambda g: set_verdict(g, GateStatus.FAILED))
    page.show()
    assert page.gate_rows["demand-shape"].verdict.text() == "Failed"


def test_readiness_chart_and_trace_count(qtbot, page, document):
    assert page.chart.heights() == [float(d.reference_score) for d in playbook().readiness]
    assert page.chart.threshold() == 70.0
    document.push(commands.set_score(document, replace(document.workbook.scores["fallback-design"], score=None),
                                     "unscore"))
    assert page.chart.heights()[3] == 0.0
    assert "1 not yet scored" in page.readiness_summary.text()
    # the sample: the playbook's three template rows and five illustrative rows
    qtbot.waitUntil(lambda: page.trace_count.text() == "<b>8</b> trace rows in this workbook.", timeout=30_000)
    assert document.store.trace_count() == 8


def test_later_parts_say_not_available_yet(page):
    for key in ("recommendation", "figures"):
        assert "Not available yet" in page.panels[key].message.text()
    assert page.panels["recommendation"].title() == "Recommended route"
    assert page.panels["figures"].title() == "Key figures"
    assert "not signed off" in page.panels["signoff"].state.text()


def test_signed_workbook_shows_sign_off_and_banner(page, document):
    from desktop.exports.content import content_fingerprint
    document.workbook.signoff = SignOff("Dana", "CFO", "approve", "", "2026-11-28", "",
                                        "2026-11-28T10:00:00+00:00")
    # the fingerprint of the content as signed (a made-up one would show the sign-off as TAMPERED)
    fingerprint = content_fingerprint(document.store, document.workbook, document.playbook)
    document.workbook.signoff = replace(document.workbook.signoff, fingerprint=fingerprint)
    document.changed.emit("signoff")
    page.refresh()
    assert "Signed off" in page.panels["signoff"].state.text() and "Dana" in page.panels["signoff"].state.text()
    assert page.banner.isVisibleTo(page)
    document.workbook.signoff = None  # let the fixture close it normally


def test_install_panel_replaces_a_placeholder(page, document):
    class Figures(OverviewPanel):
        refreshed = 0

        def refresh(self, doc):
            Figures.refreshed += 1

    panel = Figures("Key figures")
    page.install_panel("figures", panel)
    assert page.panels["figures"] is panel and Figures.refreshed == 1
    page.refresh()
    assert Figures.refreshed == 2
    with_signal = []
    page.sig_page_requested.connect(with_signal.append)
    panel.sig_page_requested.emit("economics")
    assert with_signal == ["economics"]


# ---- links through the main window -------------------------------------------------------------
def current_key(window):
    return next(k for k, p in window.pages.items() if p is window.stack.currentWidget())


def test_gate_rows_link_to_their_pages(window, qtbot):
    overview = window.pages["overview"]
    for slug in GATES:
        window.show_page("overview")
        qtbot.mouseClick(overview.gate_rows[slug].link, Qt.MouseButton.LeftButton)
        assert current_key(window) == f"gate:{slug}"


@pytest.mark.parametrize("attr, key", [("context_box", "context"), ("readiness_box", "readiness"),
                                       ("traces_box", "traces")])
def test_boxes_link_to_their_pages(window, attr, key):
    overview = window.pages["overview"]
    from PySide6.QtWidgets import QPushButton
    getattr(overview, attr).findChild(QPushButton).click()
    assert current_key(window) == key


def test_placeholders_link_to_their_pages(page):
    requested = []
    page.sig_page_requested.connect(requested.append)
    for key in ("recommendation", "figures", "signoff"):
        page.panels[key].link.click()
    assert requested == ["summary", "economics", "signoff"]


def test_panel_links_open_pages_in_the_window(window):
    """Whatever fills the decision row (placeholders or live panels), its links open real pages."""
    from PySide6.QtWidgets import QPushButton
    overview = window.pages["overview"]
    requested = []
    overview.sig_page_requested.connect(requested.append)
    for panel in overview.panels.values():
        for button in panel.findChildren(QPushButton):
            window.show_page("overview")
            button.click()
            assert requested and requested[-1] in window.pages
            assert current_key(window) == requested[-1]
    assert len(requested) >= 3


def test_start_then_resume_assessment_on_its_own(page, document):
    requested = []
    page.sig_page_requested.connect(requested.append)
    assert page.resume.isVisibleTo(page) and page.resume.text() == "Start assessment"
    page.resume.click()
    document.set_ui_state("wizardStep", "gate:memory-and-context-fit")
    assert not document.is_modified()
    page.hide()
    page.show()  # the remembered step changes without a document signal: showing the page re-reads it
    assert page.resume.text() == "Resume assessment"
    page.resume.click()
    assert requested == ["context", "gate:memory-and-context-fit"]


def test_in_the_window_the_wizard_footer_offers_start_and_resume(window):
    overview = window.pages["overview"]
    assert window.wizard is not None
    assert not overview.resume.isVisibleTo(overview)  # no second Start button on the same screen
    window.document.set_ui_state("wizardStep", "gate:memory-and-context-fit")
    overview._on_resume_clicked()  # what the hidden button would do: the wizard's own start
    assert current_key(window) == "gate:memory-and-context-fit"


def test_resume_key_falls_back_to_the_context(window):
    overview = window.pages["overview"]
    assert overview.resume_key() == "context"
    window.document.set_ui_state("wizardStep", "gate:no-such-gate")
    assert overview.resume_key() == "context"
    window.document.set_ui_state("wizardStep", "readiness")
    assert overview.resume_key() == "readiness"


def test_keyboard_reaches_every_link(page):
    controls = [page.resume] + [r.link for r in page.gate_rows.values()] + [p.link for p in page.panels.values()]
    assert page.resume.isVisibleTo(page)  # on its own, the page offers Start/Resume itself
    for control in controls:
        assert control.focusPolicy() & Qt.FocusPolicy.TabFocus
        assert control.accessibleName()
    assert page.gate_rows["demand-shape"].link.accessibleName() == "Open gate Demand shape"
    order = page.focus_order()
    assert order[0] is page.resume and order[-1] is page.readiness_link
    widget, seen = page.resume, []
    for _ in range(len(order)):
        seen.append(widget)
        widget = widget.nextInFocusChain()
        while widget not in order:
            widget = widget.nextInFocusChain()
    assert seen == order  # Tab follows reading order: decision row, context, gates, traces, readiness
