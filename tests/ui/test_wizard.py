"""The guided assessment through the main window: walk all eight steps, save, close, reopen, resume."""

import datetime as dt
import hashlib

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop.cli import main as ipw
from desktop.domain.workbook import GateStatus, Workload
from desktop.resources import playbook
from desktop.storage.workbook_file import open_store
from desktop.ui.document import Document
from desktop.ui.main_window import MainWindow
from desktop.ui.widgets import dialogs, workload_dialog
from desktop.ui import wizard as wizard_module
from desktop.ui.wizard import STEP_STATE_KEY, wizard_steps

GATES = [g.slug for g in playbook().gates]
EVIDENCE = b"hour,requests\n0,120\n1,80\n2,15\n"


@pytest.fixture
def workbook_path(tmp_path):
    path = tmp_path / "decision.ipwb"
    assert ipw(["new", str(path), "--sample"]) == 0
    (tmp_path / "evidence").mkdir()
    (tmp_path / "evidence" / "histogram.csv").write_bytes(EVIDENCE)
    return path


@pytest.fixture
def open_window(qtbot):
    def open_(path):
        window = MainWindow(playbook(), Document.open(playbook(), path))
        # pytest-qt closes the window at teardown: unsaved edits are dropped then (tests that care override)
        window.ask_save_changes = lambda: QMessageBox.StandardButton.Discard
        qtbot.addWidget(window)
        window.resize(1280, 800)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)
        return window

    return open_


def click(qtbot, widget):
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def tick(qtbot, box):
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


def type_line(qtbot, editor, text):
    editor.setFocus()
    editor.selectAll()
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)


def type_note(qtbot, editor, text, then_focus):
    editor.setFocus()
    qtbot.keyClicks(editor, text)
    then_focus.setFocus()


def current(window):
    return window.wizard.current_key()


def next_step(qtbot, window):
    click(qtbot, window.wizard.footer.next_button)


# ---- the whole walk ---------------------------------------------------------------------------------------

def test_walk_the_whole_wizard_then_save_close_reopen_and_resume(qtbot, workbook_path, open_window, monkeypatch):
    window = open_window(workbook_path)
    footer = window.wizard.footer
    assert current(window) == "overview"
    assert footer.resume_button.isVisible() and footer.resume_button.text() == "&Start assessment"

    # step 1: buyer context
    click(qtbot, footer.resume_button)
    assert current(window) == "context"
    assert footer.position_label.text() == "<b>Step 1 of 8</b>: Buyer context"
    assert not footer.back_button.isEnabled() and footer.next_button.isVisible()
    assert not footer.finish_button.isVisible()
    context_page = window.pages["context"]
    type_line(qtbot, context_page.organisation, "Acme Logistics")
    type_line(qtbot, context_page.title_edit, "How should Acme buy LLM inference in 2027?")
    type_line(qtbot, context_page.currency, "EUR")
    type_line(qtbot, context_page.fx_rate, "1.085")
    type_line(qtbot, context_page.fx_date, "2026-11-02")
    type_line(qtbot, context_page.reviewer_rate, "72")
    monkeypatch.setattr(workload_dialog, "ask_new_workload", lambda *a: ("contract-summaries", 0.0))
    click(qtbot, context_page.add_button)
    assert window.document.workbook.context.workloads[-1] == Workload("contract-summaries", 0.0)

    # step 2: Demand shape, passed with a justification, evidence attached and embedded
    next_step(qtbot, window)
    assert current(window) == "gate:demand-shape" and footer.back_button.isEnabled()
    assert footer.position_label.text() == "<b>Gate 1 of 5 \u00b7 Step 2 of 8</b>: Demand shape"
    page = window.pages["gate:demand-shape"]
    evidence = workbook_path.parent / "evidence" / "histogram.csv"
    monkeypatch.setattr(dialogs, "ask_open_file", lambda *a, **k: evidence)
    click(qtbot, page.items[0].evidence.attach_button)
    click(qtbot, page.items[0].evidence.embed_button)
    tick(qtbot, page.items[0].done_box)
    tick(qtbot, page.items[1].done_box)
    type_line(qtbot, page.items[0].owner_edit, "Ana (platform)")
    type_line(qtbot, page.items[0].note_edit, "Gateway logs, last 90 days")
    type_note(qtbot, page.note_edit, "Histogram reviewed with finance.", page.items[1].owner_edit)
    monkeypatch.setattr(dialogs, "ask_text", lambda *a, **k: "Pilot scope only; the rest by Q2")
    click(qtbot, page.verdict.buttons[GateStatus.PASSED])
    assert page.window().document.workbook.gates["demand-shape"].is_exception
    assert not page.warning.isVisible()

    # step 3: Utilization proof, every item done, passed cleanly
    next_step(qtbot, window)
    page = window.pages["gate:utilization-proof"]
    for item in page.items:
        tick(qtbot, item.done_box)
    type_line(qtbot, page.items[0].owner_edit, "Ben (SRE)")
    click(qtbot, page.verdict.buttons[GateStatus.PASSED])
    assert page.warning.isHidden()

    # step 4: Memory and context fit, left failed
    next_step(qtbot, window)
    page = window.pages["gate:memory-and-context-fit"]
    tick(qtbot, page.items[0].done_box)
    type_note(qtbot, page.note_edit, "The 70B model does not fit one card at 128k context.",
              page.items[0].owner_edit)
    click(qtbot, page.verdict.buttons[GateStatus.FAILED])
    assert page.warning.isVisible()

    # step 5: Operations maturity, at risk, a document id as evidence
    next_step(qtbot, window)
    page = window.pages["gate:operations-maturity"]
    monkeypatch.setattr(dialogs, "ask_line", lambda *a, **k: "RUNBOOK-112")
    click(qtbot, page.items[0].evidence.text_button)
    type_line(qtbot, page.items[4].owner_edit, "Security office")
    click(qtbot, page.verdict.buttons[GateStatus.AT_RISK])

    # step 6: Fallback economics, two items done, not assessed yet
    next_step(qtbot, window)
    page = window.pages["gate:fallback-economics"]
    tick(qtbot, page.items[0].done_box)
    tick(qtbot, page.items[3].done_box)
    type_line(qtbot, page.items[3].note_edit, "12 review minutes per failed case")

    # step 7: readiness, step 8: summary
    next_step(qtbot, window)
    assert current(window) == "readiness" and footer.position_label.text().startswith("<b>Step 7 of 8</b>")
    next_step(qtbot, window)
    assert current(window) == "summary"
    assert footer.finish_button.isVisible() and not footer.next_button.isVisible()
    summary = window.pages["summary"]
    verdicts = [summary.table.item(row, 1).text() for row in range(5)]
    assert verdicts == ["Passed", "Passed", "Failed", "At risk", "Not assessed"]
    assert [summary.table.item(row, 2).text() for row in range(5)] == ["2 of 5", "5 of 5", "1 of 6", "0 of 5",
                                                                       "2 of 5"]
    assert "1 embedded" in summary.table.item(0, 3).text()
    findings = summary.findings_label.text()
    assert "Exception:" in findings and "Pilot scope only" in findings
    assert "Failed:" in findings and "At risk:" in findings

    # back to the Operations maturity gate, and stop there
    click(qtbot, footer.back_button)
    click(qtbot, footer.back_button)
    click(qtbot, footer.back_button)
    assert current(window) == "gate:operations-maturity"
    assert footer.position_label.text() == "<b>Gate 4 of 5 \u00b7 Step 5 of 8</b>: Operations maturity"

    entered_context = window.document.workbook.context
    entered_gates = dict(window.document.workbook.gates)
    assert window.isWindowModified()
    assert window.on_save()
    assert not window.isWindowModified()
    window.close()
    assert not window.isVisible()

    # reopen: the same step, everything as entered
    again = open_window(workbook_path)
    assert current(again) == "gate:operations-maturity"
    assert again.wizard.footer.position_label.text() == "<b>Gate 4 of 5 \u00b7 Step 5 of 8</b>: Operations maturity"
    assert again.wizard.start_action.text() == "&Resume assessment"
    assert not again.isWindowModified()
    assert again.document.workbook.context == entered_context
    assert dict(again.document.workbook.gates) == entered_gates
    demand = again.document.workbook.gates["demand-shape"]
    ref = demand.items[0].evidence
    assert ref.path == "evidence/histogram.csv" and ref.embedded
    assert ref.sha256 == hashlib.sha256(EVIDENCE).hexdigest()
    assert again.document.store.get_blob(ref.sha256) == EVIDENCE
    assert demand.justification == "Pilot scope only; the rest by Q2"
    assert again.document.workbook.gates["memory-and-context-fit"].status is GateStatus.FAILED
    page = again.pages["gate:operations-maturity"]
    assert page.verdict.status() is GateStatus.AT_RISK
    assert page.items[0].evidence.summary.text().endswith("RUNBOOK-112")
    assert page.items[4].owner_edit.text() == "Security office"
    again.show_page("gate:demand-shape")
    page = again.pages["gate:demand-shape"]
    assert page.items[0].done_box.isChecked() and page.items[0].owner_edit.text() == "Ana (platform)"
    assert "Unchanged since attached" in page.items[0].evidence.check_label.text()
    assert page.note_edit.toPlainText() == "Histogram reviewed with finance."
    assert again.pages["context"].organisation.text() == "Acme Logistics"
    # the embedded copy survives the file going away
    evidence_file = workbook_path.parent / "evidence" / "histogram.csv"
    evidence_file.unlink()
    page.refresh()
    assert "embedded copy is in the workbook" in page.items[0].evidence.check_label.text()


# ---- navigation ------------------------------------------------------------------------------------------

def test_steps_are_the_context_the_five_gates_readiness_and_summary(qtbot, workbook_path, open_window):
    window = open_window(workbook_path)
    assert window.wizard.steps == ["context", *[f"gate:{s}" for s in GATES], "readiness", "summary"]
    assert wizard_steps(playbook(), ["summary", "context"]) == ["context", "summary"]


def test_back_next_finish_and_keyboard_shortcuts(qtbot, workbook_path, open_window):
    window = open_window(workbook_path)
    wizard, footer = window.wizard, window.wizard.footer
    wizard.start_action.trigger()
    assert current(window) == "context"
    assert not wizard.back_action.isEnabled()
    qtbot.keyClick(window, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert current(window) == "gate:demand-shape"
    qtbot.keyClick(window, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert current(window) == "context"
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)  # Next's mnemonic
    qtbot.waitUntil(lambda: current(window) == "gate:demand-shape")  # a mnemonic clicks after a short delay
    for _ in range(10):
        wizard.next()
    assert current(window) == "summary" and not wizard.next_action.isEnabled()
    click(qtbot, footer.finish_button)
    assert current(window) == "overview"
    assert "finished" in window.statusBar().currentMessage()
    # the completed state replaces "Resume": the day, the verdicts, and Review
    assert footer.resume_button.isVisible() and footer.resume_button.text() == "Re&view"
    today = dt.date.today()
    counts = wizard_module.verdict_counts(window.document.workbook.gates.values())
    assert footer.position_label.text() == f"Assessment complete on {today.day} {today:%b}: {counts}."
    assert window.document.ui_state(wizard_module.COMPLETED_STATE_KEY) == today.isoformat()
    click(qtbot, footer.resume_button)
    assert current(window) == "summary"


def test_choosing_a_step_in_the_navigation_moves_the_wizard(qtbot, workbook_path, open_window):
    window = open_window(workbook_path)
    window.navigation.setCurrentRow(window.navigation.row_of("gate:fallback-economics"))
    assert window.wizard.footer.position_label.text() == "<b>Gate 5 of 5 \u00b7 Step 6 of 8</b>: Fallback economics"
    assert window.document.ui_state(STEP_STATE_KEY) == "gate:fallback-economics"
    window.navigation.setCurrentRow(window.navigation.row_of("playbook"))  # not a step: the stored step stays
    assert window.document.ui_state(STEP_STATE_KEY) == "gate:fallback-economics"
    assert not window.wizard.footer.isVisible()  # no footer on a page that is not a step
    window.show_page("overview")  # the Overview offers the way back in
    assert window.wizard.footer.isVisible() and "step 6 of 8" in window.wizard.footer.position_label.text()


def test_summary_links_open_the_pages(qtbot, workbook_path, open_window):
    window = open_window(workbook_path)
    window.show_page("summary")
    summary = window.pages["summary"]
    summary.table.setCurrentCell(2, 0)
    click(qtbot, summary.open_gate_button)
    assert current(window) == "gate:memory-and-context-fit"
    window.show_page("summary")
    click(qtbot, summary.context_button)
    assert current(window) == "context"
    window.show_page("summary")
    click(qtbot, summary.readiness_button)
    assert current(window) == "readiness"


def test_the_step_is_remembered_without_saving_or_marking_modified(qtbot, workbook_path, open_window,
                                                                   monkeypatch):
    window = open_window(workbook_path)
    window.wizard.start()
    window.wizard.next()
    window.wizard.next()
    assert current(window) == "gate:utilization-proof"
    assert not window.isWindowModified() and window.document.undo_stack.count() == 0
    monkeypatch.setattr(window, "ask_save_changes", lambda: pytest.fail("asked to save an unmodified workbook"))
    window.close()
    store = open_store(workbook_path, writable=False)
    assert store.get_meta(f"ui.{STEP_STATE_KEY}") == '"gate:utilization-proof"'
    store.close()
    again = open_window(workbook_path)
    assert current(again) == "gate:utilization-proof"


def test_an_untitled_workbook_remembers_the_step_once_saved(qtbot, tmp_path, monkeypatch):
    window = MainWindow(playbook(), Document.new(playbook(), sample=True))
    qtbot.addWidget(window)
    window.show()
    window.wizard.start()
    window.wizard.next()
    target = tmp_path / "new.ipwb"
    monkeypatch.setattr("desktop.ui.main_window.QFileDialog.getSaveFileName", lambda *a, **k: (str(target), ""))
    assert window.on_save()
    window.close()
    reopened = MainWindow(playbook(), Document.open(playbook(), target))
    qtbot.addWidget(reopened)
    try:
        assert reopened.wizard.current_key() == "gate:demand-shape"
    finally:
        reopened.document.close()


# ---- undo, pending edits ---------------------------------------------------------------------------------

def test_edit_menu_undo_and_redo_walk_back_edits_across_pages(qtbot, workbook_path, open_window):
    window = open_window(workbook_path)
    window.wizard.start()
    type_line(qtbot, window.pages["context"].sponsor, "CFO")
    window.wizard.next()
    page = window.pages["gate:demand-shape"]
    tick(qtbot, page.items[2].done_box)
    click(qtbot, page.verdict.buttons[GateStatus.FAILED])
    assert window.undo_action.text() == "&Undo Set verdict of Demand shape to failed"
    window.undo_action.trigger()
    assert page.verdict.status() is GateStatus.NOT_ASSESSED
    window.undo_action.trigger()
    assert not page.items[2].done_box.isChecked()
    window.undo_action.trigger()
    assert window.document.workbook.context.sponsor == "Executive sponsor"
    assert not window.isWindowModified()
    window.redo_action.trigger()
    window.redo_action.trigger()
    assert window.document.workbook.context.sponsor == "CFO" and page.items[2].done_box.isChecked()
    assert window.isWindowModified()


def test_closing_the_window_commits_the_note_being_typed(qtbot, workbook_path, open_window, monkeypatch):
    window = open_window(workbook_path)
    window.show_page("gate:demand-shape")
    page = window.pages["gate:demand-shape"]
    page.note_edit.setFocus()
    qtbot.keyClicks(page.note_edit, "typed right before closing")
    seen = []

    def ask():
        seen.append(window.document.workbook.gates["demand-shape"].note)
        return QMessageBox.StandardButton.Save

    monkeypatch.setattr(window, "ask_save_changes", ask)
    window.close()
    assert seen == ["typed right before closing"]
    store = open_store(workbook_path, writable=False)
    assert store.load(playbook()).gates["demand-shape"].note == "typed right before closing"
    store.close()


def test_ctrl_s_saves_the_note_being_typed(qtbot, workbook_path, open_window):
    window = open_window(workbook_path)
    window.show_page("gate:operations-maturity")
    editor = window.pages["gate:operations-maturity"].items[0].note_edit
    editor.setFocus()
    qtbot.keyClicks(editor, "runbook owner named")
    qtbot.keyClick(editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not window.isWindowModified()
    store = open_store(workbook_path, writable=False)
    assert store.load(playbook()).gates["operations-maturity"].items[0].note == "runbook owner named"
    store.close()


# ---- accessibility ---------------------------------------------------------------------------------------

def test_footer_controls_are_named_and_reachable(qtbot, workbook_path, open_window):
    window = open_window(workbook_path)
    window.wizard.start()
    footer = window.wizard.footer
    for button in (footer.back_button, footer.next_button, footer.finish_button, footer.resume_button):
        assert button.accessibleName() and button.focusPolicy() & Qt.FocusPolicy.TabFocus
    assert window.wizard.menu.title() == "&Assessment"
    names = [a.text() for a in window.menuBar().actions()]
    assert names.index("&Assessment") < names.index("&Help")
    # moving to a step puts the keyboard focus on that page
    window.wizard.next()
    assert window.pages["gate:demand-shape"].isAncestorOf(QApplication.focusWidget())


# -- issue 16: a step change never waits for a background read of the working copy ----------------------------

def test_a_step_change_while_a_background_read_holds_the_working_copy_returns_at_once(qtbot, workbook_path,
                                                                                       open_window):
    import sqlite3
    import time

    window = open_window(workbook_path)
    document = window.document
    window.wizard.start()
    assert current(window) == "context"
    reader = sqlite3.connect(document.copy.database, isolation_level=None)  # what a worker's long read holds
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM traces").fetchone()[0] > 0  # a shared lock until it ends
    try:
        writer = sqlite3.connect(document.copy.database, timeout=0.05, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):  # a commit to the copy would wait now
            writer.execute("BEGIN IMMEDIATE")
            writer.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('probe', '1')")
            writer.execute("COMMIT")
        writer.close()
        started = time.perf_counter()
        window.wizard.next()
        elapsed = time.perf_counter() - started
        assert current(window) == "gate:demand-shape"
        assert elapsed < 0.1, f"the step change took {elapsed * 1000:.0f} ms"
        assert window.statusBar().currentMessage() == ""  # nothing failed to be remembered
        assert document.ui_state(STEP_STATE_KEY) == "gate:demand-shape"
    finally:
        reader.execute("COMMIT")
        reader.close()
    store = open_store(workbook_path, writable=False)  # the file itself has it at once (no task reads it)
    assert store.get_meta(f"ui.{STEP_STATE_KEY}") == '"gate:demand-shape"'
    store.close()
    assert not window.isWindowModified()
    document.save()  # the working copy gets it with the next save, before it is copied over the file
    store = open_store(workbook_path, writable=False)
    assert store.get_meta(f"ui.{STEP_STATE_KEY}") == '"gate:demand-shape"'
    store.close()
    window.close()
    again = open_window(workbook_path)
    assert current(again) == "gate:demand-shape"
