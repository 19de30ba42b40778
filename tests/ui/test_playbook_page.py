"""The playbook page: every part of the seed shown read-only, search filters and highlights."""

import pytest
from PySide6.QtCore import Qt

from desktop.resources import playbook
from desktop.ui import theme
from desktop.ui.document import Document
from desktop.ui.pages.playbook_page import (PlaybookPage, filter_entries, highlight, playbook_entries,
                                            render_html, search_terms)

BOOK = playbook()


@pytest.fixture
def page(qtbot):
    widget = PlaybookPage(BOOK)
    qtbot.addWidget(widget)
    doc = Document.new(BOOK, sample=True)
    widget.bind(doc)
    widget.resize(1060, 760)
    widget.show()
    yield widget
    doc.close()


def shown_text(page):
    return page.browser.toPlainText()


# ---- pure functions ----------------------------------------------------------------------------
def test_entries_cover_the_whole_playbook():
    entries = playbook_entries(BOOK)
    by_section = {}
    for entry in entries:
        by_section.setdefault(entry.section, []).append(entry.title)
    assert by_section["Routes"] == [r.name for r in BOOK.routes]
    assert by_section["Levers"] == [lv.name for lv in BOOK.levers]
    assert by_section["Procurement routes"] == [r.name for r in BOOK.procurement_routes]
    assert [f.name for f in BOOK.trace_fields] == by_section["Trace kit"][:len(BOOK.trace_fields)]
    assert [f"Metric: {m.name}" for m in BOOK.metrics] == by_section["Trace kit"][len(BOOK.trace_fields):-1]
    assert by_section["Trace kit"][-1] == "Recommended metric"
    assert by_section["Source trail"] == [s.label for s in BOOK.sources]


def test_search_terms_and_filter():
    entries = playbook_entries(BOOK)
    assert search_terms('  Batch "tail latency" ') == ["batch", "tail latency"]
    assert [e.title for e in filter_entries(entries, "batch eligibility")] == ["Batch eligibility",
                                                                              "Recommended metric"]
    assert [e.title for e in filter_entries(entries, '"Batch eligibility"')] == ["Batch eligibility",
                                                                                "Recommended metric"]
    assert {e.section for e in filter_entries(entries, "", "Levers")} == {"Levers"}
    assert len(filter_entries(entries, "")) == len(entries)
    assert filter_entries(entries, "zzzz-nothing") == []
    assert [e.title for e in filter_entries(entries, '"platform and operations"')] == ["Dedicated hosted endpoint"]
    assert [e.title for e in filter_entries(entries, "operations platform")] == ["Dedicated hosted endpoint"]
    assert len(filter_entries(entries, "cache latency")) > len(filter_entries(entries, "\"cache latency\""))


def test_highlight_escapes_and_marks():
    background, text = theme.highlight_colours()
    assert highlight("a <b> & batch", ["batch"]) == (
        f'a &lt;b&gt; &amp; <span style="background-color:{background}; color:{text}">batch</span>')
    assert highlight("Batch batch", ["batch"]).count("<span") == 2
    assert highlight("x<y", []) == "x&lt;y"


def test_render_has_no_links():
    html = render_html(BOOK, playbook_entries(BOOK))
    assert "href" not in html
    for source in BOOK.sources:
        assert source.url in html


# ---- the page ----------------------------------------------------------------------------------
def test_shows_routes_levers_procurement_routes_trace_kit_and_sources(page):
    text = shown_text(page)
    for route in BOOK.routes:
        assert route.name in text and route.best_for in text and route.watchouts in text
        assert route.buyer_decision in text and ", ".join(route.cost_drivers) in text
    for lever in BOOK.levers:
        assert lever.question in text and lever.evidence in text and lever.impact in text
    for route in BOOK.procurement_routes:
        for value in (route.stage, route.use_when, route.minimum_evidence, route.avoid_when, route.owner):
            assert value in text
    for spec in BOOK.trace_fields:
        assert spec.name in text and spec.description in text
    assert "tokens/s per stream" in text and "share 0-1" in text  # units
    for metric in BOOK.metrics:
        assert metric.formula in text and metric.why in text
    assert BOOK.recommended_metric in text
    for source in BOOK.sources:
        assert source.label in text and source.url in text and source.signal in text
    assert page.result.text() == f"{len(page.entries)} entries"


def test_read_only_and_opens_no_url(page):
    assert page.browser.isReadOnly()
    assert not page.browser.openLinks() and not page.browser.openExternalLinks()
    assert "href" not in page.browser.toHtml()
    assert page.browser.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse


def test_search_finds_a_lever(page, qtbot):
    page.search.setFocus()
    qtbot.keyClicks(page.search, "prompt cache")
    titles = [e.title for e in page.visible_entries()]
    assert "Prompt cache shape" in titles
    assert all(e.section != "Source trail" or "cache" in e.text().lower() for e in page.visible_entries())
    assert "Prompt cache shape" in shown_text(page)
    assert "Batch eligibility" not in titles and "Batch eligibility" not in shown_text(page)
    assert theme.highlight_colours()[0] in page.browser.toHtml().lower()
    assert page.result.text() == f"{len(titles)} entries match"


def test_search_one_match_and_no_match(page, qtbot):
    page.search.setText('"Quality-adjusted cost"')
    assert [e.title for e in page.visible_entries()] == ["Quality-adjusted cost"]
    assert page.result.text() == "1 entry matches"
    page.search.setText("qwertyuiop")
    assert page.visible_entries() == []
    assert page.result.text() == "Nothing matches; try fewer words."
    qtbot.keyClick(page, Qt.Key.Key_Escape)
    assert page.search.text() == "" and len(page.visible_entries()) == len(page.entries)


def test_section_filter(page):
    page.section.setCurrentIndex(page.section.findText("Levers"))
    assert [e.title for e in page.visible_entries()] == [lv.name for lv in BOOK.levers]
    text = shown_text(page)
    assert "Levers" in text and BOOK.routes[0].best_for not in text
    page.search.setText("review")
    assert {e.section for e in page.visible_entries()} == {"Levers"}
    assert len(page.visible_entries()) >= 1


def test_ctrl_f_focuses_the_search(page, qtbot):
    page.browser.setFocus()
    qtbot.keyClick(page.browser, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert page.search.hasFocus()


def test_controls_have_accessible_names(page):
    for control in (page.search, page.section, page.browser, page.result):
        assert control.accessibleName()
