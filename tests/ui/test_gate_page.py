"""The gate page: checklist items, evidence, verdict rules, notes, facts panel; undo/redo of every edit."""

import hashlib

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget

from desktop.domain.workbook import GateStatus
from desktop.resources import playbook
from desktop.ui import gate_facts
from desktop.ui.gate_facts import Fact
from desktop.ui.pages.gate import GatePage
from desktop.ui.widgets import dialogs

SLUG = "demand-shape"


@pytest.fixture(autouse=True)
def own_providers(monkeypatch):
    """The panel's behaviour with only this module's Demand-shape provider (other features register more)."""
    monkeypatch.setattr(gate_facts, "_providers", {"demand-shape": [gate_facts.demand_shape_facts]})


@pytest.fixture
def page(qtbot, document):
    page = GatePage(playbook(), playbook().gate(SLUG))
    qtbot.addWidget(page)
    page.bind(document)
    page.resize(1060, 700)
    page.show()
    qtbot.waitExposed(page)
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow)
    return page


@pytest.fixture
def opened(monkeypatch):
    """Records what would have been handed to the system viewer."""
    calls = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: calls.append(url) or True)
    return calls


def gate(document):
    return document.workbook.gates[SLUG]


def evidence_file(tmp_path, name="histogram.csv", data=b"hour,requests\n0,12\n"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def commit_line(qtbot, editor, text):
    editor.setFocus()
    editor.selectAll()
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)


def tick(qtbot, box):
    """Click a check box on its indicator (a wide box does not react to clicks right of its text)."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


def undo_redo(document, check_after, check_before):
    check_after()
    document.undo_stack.undo()
    check_before()
    document.undo_stack.redo()
    check_after()


# ---- checklist items -----------------------------------------------------------------------------------

def test_page_shows_question_checklist_and_skip_warning(page):
    spec = playbook().gate(SLUG)
    assert [e.done_box.text() for e in page.items] == [f"{c.number}. {c.text}" for c in spec.checklist]
    assert page.warning.isVisible()
    assert spec.failure_if_skipped in page.warning.label.text()
    assert page.progress.value() == 0 and "0 of 5 items done" in page.progress_label.text()


def test_ticking_an_item_is_one_undoable_step(qtbot, page, document):
    tick(qtbot, page.items[1].done_box)
    assert document.undo_stack.count() == 1
    assert document.undo_stack.undoText() == "Tick item 2 of Demand shape"
    undo_redo(document, lambda: gate(document).items[1].done and page.items[1].done_box.isChecked(),
              lambda: not gate(document).items[1].done)
    assert not document.undo_stack.isClean() and document.is_modified()
    document.undo_stack.undo()
    assert not page.items[1].done_box.isChecked()
    assert not document.is_modified()  # the modified marker follows the undo stack's clean state
    assert page.progress.value() == 0


def test_typing_a_note_is_one_step_per_edit_session(qtbot, page, document):
    commit_line(qtbot, page.items[0].note_edit, "from the gateway logs")
    commit_line(qtbot, page.items[0].owner_edit, "Ana")
    assert document.undo_stack.count() == 2  # not one per keystroke
    assert gate(document).items[0].note == "from the gateway logs"
    assert gate(document).items[0].owner == "Ana"
    document.undo_stack.undo()
    assert gate(document).items[0].owner == "" and page.items[0].owner_edit.text() == ""
    document.undo_stack.undo()
    assert gate(document).items[0].note == "" and page.items[0].note_edit.text() == ""
    document.undo_stack.redo()
    assert page.items[0].note_edit.text() == "from the gateway logs"


def test_a_note_commits_when_focus_leaves_it(qtbot, page, document):
    editor = page.items[2].note_edit
    editor.setFocus()
    qtbot.keyClicks(editor, "batch share from finance")
    assert document.undo_stack.count() == 0
    page.items[2].owner_edit.setFocus()
    qtbot.waitUntil(lambda: document.undo_stack.count() == 1)
    assert gate(document).items[2].note == "batch share from finance"


def test_gate_note_commits_on_focus_out_as_one_step(qtbot, page, document):
    page.note_edit.setFocus()
    qtbot.keyClicks(page.note_edit, "Spoke to the platform team.")
    qtbot.keyClick(page.note_edit, Qt.Key.Key_Return)
    qtbot.keyClicks(page.note_edit, "Histogram pending.")
    assert document.undo_stack.count() == 0
    page.items[0].owner_edit.setFocus()
    qtbot.waitUntil(lambda: document.undo_stack.count() == 1)
    assert gate(document).note == "Spoke to the platform team.\nHistogram pending."
    undo_redo(document, lambda: page.note_edit.toPlainText() == gate(document).note != "",
              lambda: gate(document).note == "" and page.note_edit.toPlainText() == "")


def test_a_keyboard_shortcut_commits_the_pending_note_first(qtbot, page, document):
    from PySide6.QtGui import QAction, QKeySequence

    seen = []
    action = QAction("Save", page)
    action.setShortcut(QKeySequence("Ctrl+S"))
    action.triggered.connect(lambda: seen.append(gate(document).items[0].note))
    page.addAction(action)
    editor = page.items[0].note_edit
    editor.setFocus()
    qtbot.keyClicks(editor, "typed just before saving")
    qtbot.keyClick(editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert seen == ["typed just before saving"]


# ---- verdict ---------------------------------------------------------------------------------------------

def test_passing_with_open_items_asks_for_a_justification_and_cancel_keeps_the_verdict(qtbot, page, document,
                                                                                       monkeypatch):
    asked = []
    monkeypatch.setattr(dialogs, "ask_text", lambda *a, **k: asked.append(a) or None)
    qtbot.mouseClick(page.verdict.buttons[GateStatus.PASSED], Qt.MouseButton.LeftButton)
    assert asked and "1, 2, 3, 4, 5" in asked[0][2]
    assert gate(document).status is GateStatus.NOT_ASSESSED
    assert page.verdict.status() is GateStatus.NOT_ASSESSED
    assert page.message.isVisible() and "needs a justification" in page.message.label.text()
    assert document.undo_stack.count() == 0


def test_passing_with_a_justification_is_one_step_and_hides_the_warning(qtbot, page, document, monkeypatch):
    monkeypatch.setattr(dialogs, "ask_text", lambda *a, **k: "Pilot only; histogram follows in Q2")
    qtbot.mouseClick(page.verdict.buttons[GateStatus.PASSED], Qt.MouseButton.LeftButton)
    assert gate(document).status is GateStatus.PASSED and gate(document).is_exception
    assert gate(document).justification == "Pilot only; histogram follows in Q2"
    assert not page.warning.isVisible()
    assert page.verdict.justification_edit.isVisible()
    assert "exception" in page.progress_label.text()
    assert document.undo_stack.count() == 1
    document.undo_stack.undo()
    assert gate(document).status is GateStatus.NOT_ASSESSED and gate(document).justification == ""
    assert page.warning.isVisible() and page.verdict.status() is GateStatus.NOT_ASSESSED
    document.undo_stack.redo()
    assert page.verdict.status() is GateStatus.PASSED


def test_failing_and_at_risk_need_no_justification(qtbot, page, document, monkeypatch):
    monkeypatch.setattr(dialogs, "ask_text", lambda *a, **k: pytest.fail("asked for a justification"))
    qtbot.mouseClick(page.verdict.buttons[GateStatus.FAILED], Qt.MouseButton.LeftButton)
    assert gate(document).status is GateStatus.FAILED and page.warning.isVisible()
    qtbot.mouseClick(page.verdict.buttons[GateStatus.AT_RISK], Qt.MouseButton.LeftButton)
    assert gate(document).status is GateStatus.AT_RISK
    document.undo_stack.undo()
    assert page.verdict.status() is GateStatus.FAILED


def test_passing_with_every_item_done_asks_nothing(qtbot, page, document, monkeypatch):
    monkeypatch.setattr(dialogs, "ask_text", lambda *a, **k: pytest.fail("asked for a justification"))
    for editor in page.items:
        tick(qtbot, editor.done_box)
    qtbot.mouseClick(page.verdict.buttons[GateStatus.PASSED], Qt.MouseButton.LeftButton)
    assert gate(document).status is GateStatus.PASSED and not gate(document).is_exception
    assert not page.verdict.justification_edit.isVisible()


def test_reopening_an_item_of_a_clean_pass_is_refused_and_the_box_springs_back(qtbot, page, document):
    for editor in page.items:
        tick(qtbot, editor.done_box)
    qtbot.mouseClick(page.verdict.buttons[GateStatus.PASSED], Qt.MouseButton.LeftButton)
    count = document.undo_stack.count()
    tick(qtbot, page.items[2].done_box)
    assert page.items[2].done_box.isChecked() and gate(document).items[2].done
    assert "cannot be reopened" in page.message.label.text()
    assert document.undo_stack.count() == count


def test_editing_and_clearing_the_justification(qtbot, page, document, monkeypatch):
    monkeypatch.setattr(dialogs, "ask_text", lambda *a, **k: "first reason")
    qtbot.mouseClick(page.verdict.buttons[GateStatus.PASSED], Qt.MouseButton.LeftButton)
    box = page.verdict.justification_edit
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, "better reason")
    page.note_edit.setFocus()
    qtbot.waitUntil(lambda: gate(document).justification == "better reason")
    box.setFocus()
    box.selectAll()
    qtbot.keyClick(box, Qt.Key.Key_Delete)
    page.note_edit.setFocus()
    qtbot.waitUntil(lambda: "cannot be removed" in page.message.label.text())
    assert gate(document).justification == "better reason" and box.toPlainText() == "better reason"


# ---- evidence ----------------------------------------------------------------------------------------

def test_attach_a_file_with_the_file_dialog(qtbot, page, document, tmp_path, monkeypatch):
    file = evidence_file(tmp_path)
    monkeypatch.setattr(dialogs, "ask_open_file", lambda *a, **k: file)
    qtbot.mouseClick(page.items[0].evidence.attach_button, Qt.MouseButton.LeftButton)
    ref = gate(document).items[0].evidence
    assert ref.kind == "file" and ref.path == str(file.resolve())  # an untitled workbook has no folder yet
    assert ref.sha256 == hashlib.sha256(file.read_bytes()).hexdigest() and ref.size == file.stat().st_size
    assert "Unchanged since attached" in page.items[0].evidence.check_label.text()
    assert "histogram.csv" in page.items[0].evidence.summary.text()
    assert page.items[0].evidence.attach_button.text() == "Replace file\u2026"
    undo_redo(document, lambda: gate(document).items[0].evidence == ref,
              lambda: gate(document).items[0].evidence is None)


def _drag_events(page, path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    target = page.items[3]
    where = QPointF(target.rect().center())
    enter = QDragEnterEvent(where.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    drop = QDropEvent(where, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    return target, enter, drop, mime


def test_drop_a_file_on_an_item_attaches_it(page, document, tmp_path):
    file = evidence_file(tmp_path, "peaks.csv")
    target, enter, drop, _mime = _drag_events(page, file)
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(target, drop)
    assert gate(document).items[3].evidence.path == str(file.resolve())
    assert document.undo_stack.undoText() == "Attach peaks.csv to item 4 of Demand shape"


def test_folders_and_several_files_are_not_accepted_as_drops(page, tmp_path):
    target, enter, _drop, _ = _drag_events(page, tmp_path)
    QApplication.sendEvent(target, enter)
    assert not enter.isAccepted()


def test_embed_the_attached_file(qtbot, page, document, tmp_path, monkeypatch):
    file = evidence_file(tmp_path)
    page.attach_file(1, file)
    picker = page.items[0].evidence
    assert picker.embed_button.isVisible() and "20 MB" in picker.embed_button.text()
    qtbot.mouseClick(picker.embed_button, Qt.MouseButton.LeftButton)
    ref = gate(document).items[0].evidence
    assert ref.embedded and document.store.get_blob(ref.sha256) == file.read_bytes()
    assert picker.save_copy_button.isVisible() and not picker.embed_button.isVisible()
    document.undo_stack.undo()
    assert not gate(document).items[0].evidence.embedded
    document.undo_stack.redo()
    file.unlink()
    page.refresh()
    assert "embedded copy is in the workbook" in picker.check_label.text()
    target = tmp_path / "copy.csv"
    monkeypatch.setattr(dialogs, "ask_save_file", lambda *a, **k: target)
    qtbot.mouseClick(picker.save_copy_button, Qt.MouseButton.LeftButton)
    assert target.read_bytes() == b"hour,requests\n0,12\n"


def test_embedding_a_file_over_the_cap_is_refused(page, document, tmp_path, monkeypatch):
    from desktop.storage import evidence

    monkeypatch.setattr(evidence, "DEFAULT_EMBED_CAP_BYTES", 4)
    page.attach_file(1, evidence_file(tmp_path))
    page.embed_evidence(1)
    assert not gate(document).items[0].evidence.embedded
    assert "can be embedded" in page.message.label.text()


def test_a_changed_file_is_flagged(page, document, tmp_path):
    file = evidence_file(tmp_path)
    page.attach_file(2, file)
    file.write_bytes(b"someone edited this")
    page.refresh()
    picker = page.items[1].evidence
    assert "Changed since attached" in picker.check_label.text()
    assert not picker.embed_button.isEnabled()  # only what was attached may be embedded


def test_opening_asks_first_and_uses_the_system_viewer(qtbot, page, tmp_path, monkeypatch, opened):
    file = evidence_file(tmp_path, "report.pdf", b"%PDF-1.4")
    page.attach_file(1, file)
    answers = [False, True]
    questions = []
    monkeypatch.setattr(dialogs, "confirm", lambda parent, title, text: questions.append(text) or answers.pop(0))
    qtbot.mouseClick(page.items[0].evidence.open_button, Qt.MouseButton.LeftButton)
    assert opened == [] and len(questions) == 1  # declined: nothing opened
    qtbot.mouseClick(page.items[0].evidence.open_button, Qt.MouseButton.LeftButton)
    assert opened == [QUrl.fromLocalFile(str(file.resolve()))]


def test_programs_are_never_opened_only_their_folder(page, tmp_path, monkeypatch, opened):
    script = evidence_file(tmp_path, "install.sh", b"#!/bin/sh\nrm -rf /\n")
    page.attach_file(1, script)
    monkeypatch.setattr(dialogs, "confirm", lambda *a: True)
    page.open_evidence(1)
    assert opened == [QUrl.fromLocalFile(str(script.resolve().parent))]


def test_a_document_id_instead_of_a_file(qtbot, page, document, monkeypatch, opened):
    monkeypatch.setattr(dialogs, "ask_line", lambda *a, **k: "https://intranet/doc/4411")
    picker = page.items[4].evidence
    qtbot.mouseClick(picker.text_button, Qt.MouseButton.LeftButton)
    ref = gate(document).items[4].evidence
    assert ref.kind == "text" and ref.text == "https://intranet/doc/4411"
    assert not picker.open_button.isVisible() and picker.copy_button.isVisible()
    qtbot.mouseClick(picker.copy_button, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == "https://intranet/doc/4411"
    assert opened == []  # a URL is never opened by the app
    qtbot.mouseClick(picker.remove_button, Qt.MouseButton.LeftButton)
    assert gate(document).items[4].evidence is None
    document.undo_stack.undo()
    assert gate(document).items[4].evidence == ref


def test_missing_file_is_reported_not_attached(page, document, tmp_path):
    page.attach_file(1, tmp_path / "gone.csv")
    assert gate(document).items[0].evidence is None
    assert "does not exist" in page.message.label.text()


# ---- facts panel ---------------------------------------------------------------------------------------

def test_demand_shape_facts_show_workloads_and_volumes(page, document):
    text = page.facts.text()
    for workload in document.workbook.context.workloads:
        assert workload.name in text
    assert "100,000 requests per month" in text and "300,000" in text


def test_other_gates_say_no_data_yet_until_a_provider_is_registered(qtbot, document):
    page = GatePage(playbook(), playbook().gate("utilization-proof"))
    qtbot.addWidget(page)
    page.bind(document)
    assert page.facts.text().startswith("No data yet:")

    def provider(doc):
        return [Fact("Accepted output tokens per second", "412", "ok")]

    gate_facts.register_gate_facts("utilization-proof", provider)
    try:
        page.refresh()
        assert page.facts.text() == "Accepted output tokens per second: 412"
    finally:
        gate_facts.unregister_gate_facts("utilization-proof", provider)
    page.refresh()
    assert page.facts.text().startswith("No data yet:")


def test_a_failing_provider_shows_as_a_problem_not_a_crash(qtbot, document):
    def broken(doc):
        raise RuntimeError("no metrics table")

    gate_facts.register_gate_facts("fallback-economics", broken)
    try:
        page = GatePage(playbook(), playbook().gate("fallback-economics"))
        qtbot.addWidget(page)
        page.bind(document)
        assert "no metrics table" in page.facts.text()
        assert page.facts.facts[0].status == "problem"
    finally:
        gate_facts.unregister_gate_facts("fallback-economics", broken)


def test_empty_workloads_say_no_data_yet(page, document):
    from dataclasses import replace

    from desktop.ui import commands

    document.push(commands.set_context(document, replace(document.workbook.context, workloads=())))
    page.refresh()
    assert page.facts.text().startswith("No data yet: add the workloads")


# ---- read-only, keyboard, accessibility ----------------------------------------------------------------

def test_read_only_document_disables_edits(page, document):
    document.read_only_reason = "held by someone else"
    page.refresh()
    assert page.read_only_banner.isVisible()
    assert not page.items[0].done_box.isEnabled() and page.items[0].note_edit.isReadOnly()
    assert not page.verdict.buttons[GateStatus.FAILED].isEnabled() and page.note_edit.isReadOnly()
    document.read_only_reason = None


def test_every_focusable_control_has_an_accessible_name(page):
    missing = [w for w in page.findChildren(QWidget)
               if w.focusPolicy() & Qt.FocusPolicy.TabFocus and w.isVisibleTo(page)
               and not w.accessibleName() and not (hasattr(w, "text") and callable(w.text) and w.text())
               and w.metaObject().className() not in ("QScrollBar", "QScrollArea")]
    assert missing == []


def test_tab_walks_each_item_then_the_verdict_and_note(qtbot, page):
    first = page.items[0]
    first.done_box.setFocus()
    order = [first.done_box]
    for _ in range(8):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        order.append(QApplication.focusWidget())
    assert order[:6] == [first.done_box, first.owner_edit, first.note_edit, first.evidence.attach_button,
                         first.evidence.text_button, page.items[1].done_box]
    last = page.items[-1].evidence.text_button
    last.setFocus()
    qtbot.keyClick(last, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is page.verdict.buttons[GateStatus.NOT_ASSESSED]
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is page.note_edit


def test_space_ticks_the_focused_item(qtbot, page, document):
    page.items[0].done_box.setFocus()
    qtbot.keyClick(page.items[0].done_box, Qt.Key.Key_Space)
    assert gate(document).items[0].done


# ---- verdicts from the keyboard (issue 14) -----------------------------------------------------------------

def test_arrow_keys_move_between_verdicts_without_committing(qtbot, page, document, monkeypatch):
    """Right from "Not assessed" passes over "Passed" to "At risk" and "Failed" without setting any verdict and
    without the justification dialog; only Space (or Enter) commits the one that has the focus."""
    monkeypatch.setattr(dialogs, "ask_text", lambda *a, **k: pytest.fail("asked for a justification"))
    buttons = page.verdict.buttons
    buttons[GateStatus.NOT_ASSESSED].setFocus()
    steps_before = document.undo_stack.count()
    qtbot.keyClick(buttons[GateStatus.NOT_ASSESSED], Qt.Key.Key_Right)
    assert buttons[GateStatus.PASSED].hasFocus() and gate(document).status is GateStatus.NOT_ASSESSED
    qtbot.keyClick(buttons[GateStatus.PASSED], Qt.Key.Key_Right)
    qtbot.keyClick(buttons[GateStatus.AT_RISK], Qt.Key.Key_Right)
    assert buttons[GateStatus.FAILED].hasFocus()
    assert gate(document).status is GateStatus.NOT_ASSESSED and document.undo_stack.count() == steps_before
    assert page.verdict.status() is GateStatus.NOT_ASSESSED
    qtbot.keyClick(buttons[GateStatus.FAILED], Qt.Key.Key_Left)
    assert buttons[GateStatus.AT_RISK].hasFocus()
    qtbot.keyClick(buttons[GateStatus.AT_RISK], Qt.Key.Key_Space)
    assert gate(document).status is GateStatus.AT_RISK and document.undo_stack.count() == steps_before + 1
    qtbot.keyClick(buttons[GateStatus.AT_RISK], Qt.Key.Key_Down)
    qtbot.keyClick(buttons[GateStatus.FAILED], Qt.Key.Key_Return)
    assert gate(document).status is GateStatus.FAILED and document.undo_stack.count() == steps_before + 2


def test_the_justification_dialog_appears_on_commit_only_and_cancel_returns_focus(qtbot, page, document,
                                                                                   monkeypatch):
    asked = []
    monkeypatch.setattr(dialogs, "ask_text", lambda *a, **k: asked.append(a) or None)
    buttons = page.verdict.buttons
    buttons[GateStatus.NOT_ASSESSED].setFocus()
    qtbot.keyClick(buttons[GateStatus.NOT_ASSESSED], Qt.Key.Key_Right)
    assert asked == []  # moving onto "Passed" asks nothing
    qtbot.keyClick(buttons[GateStatus.PASSED], Qt.Key.Key_Space)
    assert len(asked) == 1  # committing does
    assert gate(document).status is GateStatus.NOT_ASSESSED and page.verdict.status() is GateStatus.NOT_ASSESSED
    assert buttons[GateStatus.PASSED].hasFocus()  # Cancel leaves the officer on the verdict they tried
    qtbot.keyClick(buttons[GateStatus.PASSED], Qt.Key.Key_Right)
    assert buttons[GateStatus.AT_RISK].hasFocus() and len(asked) == 1
