"""A received workbook whose trace cell holds text that is not UTF-8 (no import or edit writes it; SQL can):
the window shows the row with U+FFFD in place of the bad bytes and says why the economics cannot be computed,
instead of crashing (before: a Rust panic in the economics worker and a segmentation fault on the Traces page)."""

import sqlite3

from PySide6.QtWidgets import QMessageBox

from desktop.resources import playbook
from desktop.ui.document import Document
from desktop.ui.main_window import MainWindow


def test_text_that_is_not_utf8_is_shown_and_refused_in_words(qtbot, sample_path):
    conn = sqlite3.connect(sample_path)
    conn.execute("UPDATE traces SET route = CAST(x'ff41' AS TEXT) WHERE id = 3")
    conn.execute("DELETE FROM meta WHERE key = 'tracesContentHash'")
    conn.commit()
    conn.close()
    win = MainWindow(playbook(), Document.open(playbook(), sample_path))
    win.ask_save_changes = lambda: QMessageBox.StandardButton.Discard
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    economics = win.pages["economics"]
    win.show_page("economics")
    qtbot.waitUntil(lambda: "not UTF-8" in economics.summary.text(), timeout=30_000)
    assert "cannot be computed" in economics.summary.text() and "column &#x27;route&#x27;" in economics.summary.text()
    win.show_page("overview")
    qtbot.waitUntil(lambda: "plan cannot be computed" in _plan_text(win), timeout=30_000)
    assert "not UTF-8" in _plan_text(win)
    win.show_page("traces")
    traces = win.pages["traces"]
    qtbot.waitUntil(lambda: not traces.model.loading, timeout=30_000)
    texts = {traces.model.text(row, traces.model.column_of("route")) for row in range(traces.model.rowCount())}
    assert "\ufffdA" in texts and "Managed frontier API" in texts
    win.grab()  # paints every visible row (this is where it crashed)


def _plan_text(win):
    from desktop.ui.plan_card import PlanOverviewPanel

    (panel,) = win.pages["overview"].findChildren(PlanOverviewPanel)
    return panel.text()
