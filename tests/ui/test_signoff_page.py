"""The Sign-off page: what is signed, signing and revoking as confirmed actions, the audit log."""

import os
import stat
from dataclasses import replace

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QAbstractButton, QApplication, QLineEdit, QScrollArea, QWidget

from desktop.cli import main as ipw
from desktop.domain.errors import SignedWorkbookError
from desktop.exports.verify import verify_path
from desktop.resources import playbook
from desktop.services.signoff import group_fingerprint
from desktop.ui import commands
from desktop.ui.document import Document
from desktop.ui.main_window import MainWindow
from desktop.ui.widgets import dialogs


@pytest.fixture
def sample_path(tmp_path):
    path = tmp_path / "sample.ipwb"
    assert ipw(["new", str(path), "--sample"]) == 0
    assert ipw(["gate", str(path), "demand-shape", "--status", "passed", "--justification",
                "Volumes confirmed by finance"]) == 0
    return path


@pytest.fixture
def answers(monkeypatch):
    """Scripted answers to the page's confirmation questions (True unless a test says otherwise)."""
    state = {"confirm": True, "asked": [], "told": []}

    def confirm(parent, title, text):
        state["asked"].append((title, text))
        return state["confirm"]

    monkeypatch.setattr(dialogs, "confirm", confirm)
    monkeypatch.setattr(dialogs, "inform", lambda parent, title, text: state["told"].append((title, text)))
    return state


@pytest.fixture
def window(qtbot, sample_path):
    document = Document.open(playbook(), sample_path)
    win = MainWindow(playbook(), document)
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    win.show_page("signoff")
    settle(qtbot, win)
    yield win
    try:
        win.document.close()
    except Exception:
        pass


def page_of(window):
    return window.pages["signoff"]


def settle(qtbot, window):
    """Wait for the decision content the page computes in the background (it reads every trace row)."""
    qtbot.waitUntil(lambda: not page_of(window).computing, timeout=30_000)


def _cells(table):
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


def _fill_form(page, name="Dana Søren", role="CFO"):
    page.name_edit.setText(name)
    page.role_edit.setText(role)


def _info_fingerprint(path, capsys):
    import json
    capsys.readouterr()
    assert ipw(["info", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)["fingerprint"]


def test_shows_what_is_being_signed(window, sample_path, capsys):
    page = page_of(window)
    assert "Managed API only" in page.route_label.text()
    gates = _cells(page.gates_table)
    assert [row[0] for row in gates] == [g.name for g in playbook().gates]
    assert gates[0][1] == "Passed (exception)"
    assert "Exception" in gates[0][3] and "Volumes confirmed by finance" in gates[0][3]
    readiness = _cells(page.readiness_table)
    assert [row[0] for row in readiness] == [d.name for d in playbook().readiness]
    assert readiness[0][1] == str(playbook().readiness[0].reference_score)
    figures = _cells(page.metrics_table)
    assert [row[0] for row in figures] == [r.name for r in playbook().procurement_routes]
    assert figures[0][1] == "supported"
    assert "8 trace row(s)" in page.numbers_label.text()  # 3 template + 5 illustrative sample rows
    current = page.current_fingerprint()
    assert current == _info_fingerprint(sample_path, capsys)  # the GUI and `ipw info` agree
    assert page.fingerprint_label.text() == group_fingerprint(current)
    assert "Draft" in page.state_banner.label.text()


def test_the_approver_sees_the_plans_monthly_total_and_saving(qtbot, window):
    page = page_of(window)
    window.show_page("signoff")
    # the sample plan, as `ipw plan` prints it: $1,081,805.11 a month, $2,588.12 less than the baseline
    qtbot.waitUntil(lambda: "$1,081,805.11" in page.plan_line.text(), timeout=30_000)
    assert "3 workloads" in page.plan_line.text() and "$2,588.12" in page.plan_line.text()


def test_draft_fingerprint_warning(window):
    page = page_of(window)
    page.draft_edit.setText(group_fingerprint(page.current_fingerprint()))
    assert not page.warning.isVisible()
    page.draft_edit.setText("ab" * 32)
    assert page.warning.isVisible() and "changed since this draft" in page.warning.label.text()
    page.draft_edit.setText("not a fingerprint")
    assert page.warning.isVisible() and "not a fingerprint" in page.warning.label.text()
    page.draft_edit.clear()
    assert not page.warning.isVisible()


def test_sign_makes_the_workbook_read_only_saved_and_logged(window, sample_path, answers, qtbot):
    page = page_of(window)
    document = window.document
    assert not page.sign_button.isEnabled()
    _fill_form(page)
    page.decision_combo.setCurrentIndex(page.decision_combo.findData("approve-with-conditions"))
    assert not page.sign_button.isEnabled()  # conditions are required
    page.conditions_edit.setPlainText("Review utilization in Q3")
    draft = page.current_fingerprint()
    page.draft_edit.setText(draft)
    assert page.sign_button.isEnabled()
    with qtbot.waitSignal(document.changed, timeout=5000):
        page.sign_button.click()
    assert answers["asked"] and answers["asked"][0][0] == "Sign off"
    signoff = document.workbook.signoff
    assert signoff is not None and signoff.decision == "approve-with-conditions"
    assert signoff.conditions == "Review utilization in Q3" and signoff.draft_fingerprint == draft
    assert signoff.signature is None  # not asked to sign with a key
    assert document.read_only and not document.is_modified()
    assert document.undo_stack.count() == 0
    assert "(read-only)" in window.windowTitle()
    # saved: the file itself verifies as intact
    assert verify_path(sample_path).exit_code == 0
    # every edit is refused now
    with pytest.raises(SignedWorkbookError):
        document.push(commands.set_context(document, replace(document.workbook.context, title="nope")))
    assert document.undo_stack.count() == 0
    assert not page.sign_button.isVisible() and page.name_edit.isReadOnly() and not page.name_edit.hasFrame()
    assert page.revoke_box.isVisible()
    assert "Signed off" in page.state_banner.label.text()
    assert page.fingerprint_label.text() == group_fingerprint(signoff.fingerprint)
    assert _cells(page.audit_table)[0][2:4] == ["sign", "Dana Søren"]
    assert "hash chain intact" in page.chain_label.text()
    context_page = window.pages["context"]
    window.show_page("context")
    assert all(edit.isReadOnly() for edit in context_page.findChildren(QLineEdit) if edit.isVisible()
               and edit.isEnabled())


def test_declined_confirmation_changes_nothing(window, sample_path, answers):
    page = page_of(window)
    before = sample_path.read_bytes()
    _fill_form(page)
    answers["confirm"] = False
    page.sign_button.click()
    assert not window.document.workbook.signed and window.document.workbook.audit == []
    assert sample_path.read_bytes() == before


def test_sign_with_my_key_creates_one_after_asking(window, sample_path, answers, user_dirs):
    page = page_of(window)
    _fill_form(page)
    page.key_check.setChecked(True)
    page.sign_button.click()
    assert [title for title, _ in answers["asked"]] == ["Create a signing key", "Sign off"]
    key = user_dirs.data / "keys" / "signing-key.pem"
    assert key.exists() and stat.S_IMODE(os.stat(key).st_mode) == 0o600
    pdf_key = user_dirs.data / "keys" / "signing-key.pdf-key.pem"  # and the certificate that signs the memo
    assert pdf_key.exists() and stat.S_IMODE(os.stat(pdf_key).st_mode) == 0o600
    assert (user_dirs.data / "keys" / "signing-key.pdf-cert.pem").exists()
    signoff = window.document.workbook.signoff
    assert signoff.signature and signoff.public_key
    report = verify_path(sample_path)
    assert report.exit_code == 0 and {c.name: c.ok for c in report.checks}["signature"] is True
    assert "Signed with key" in page.state_banner.label.text()


def test_revoke_records_who_and_why_and_allows_edits(qtbot, window, sample_path, answers):
    page = page_of(window)
    document = window.document
    _fill_form(page)
    page.sign_button.click()
    assert document.workbook.signed and page.revoke_button.isEnabled() is False  # who and why first
    page.revoke_by_edit.setText("Lee Chen")
    page.revoke_reason_edit.setPlainText("New traces arrived")
    assert page.revoke_button.isEnabled()
    page.revoke_button.click()
    assert answers["asked"][-1][0] == "Revoke the sign-off"
    assert not document.workbook.signed and not document.read_only
    assert [e.action for e in document.workbook.audit] == ["sign", "revoke"]
    assert document.workbook.audit[1].actor == "Lee Chen"
    assert document.workbook.audit[1].detail["reason"] == "New traces arrived"
    assert [row[2] for row in _cells(page.audit_table)] == ["sign", "revoke"]
    assert verify_path(sample_path).exit_code == 4  # saved: a draft again
    document.push(commands.set_context(document, replace(document.workbook.context, title="Reworked")))
    assert document.workbook.context.title == "Reworked"
    assert not page.sign_button.isEnabled()  # until the new content's fingerprint is known
    settle(qtbot, window)
    assert page.sign_button.isEnabled()
    document.undo_stack.undo()  # leave nothing unsaved for the window's close


def test_untitled_workbook_is_saved_before_signing(qtbot, answers, monkeypatch):
    document = Document.new(playbook(), sample=True)
    win = MainWindow(playbook(), document)
    qtbot.addWidget(win)
    win.show()
    win.show_page("signoff")
    settle(qtbot, win)
    page = page_of(win)
    _fill_form(page)
    monkeypatch.setattr(win, "on_save_as", lambda: False)
    page.sign_button.click()
    assert answers["told"] and answers["told"][0][0] == "Save first"
    assert not document.workbook.signed
    document.close()


def test_export_button_opens_the_windows_export_dialog(window, monkeypatch):
    page = page_of(window)
    calls = []
    monkeypatch.setattr(window, "open_export_dialog", lambda: calls.append(True), raising=False)
    page.refresh()
    assert page.export_button.isEnabled()
    page.export_button.click()
    assert calls == [True]


def _wait_for_stable_layout(qtbot, widget, rounds=50):
    """Let the event loop run until no child widget's geometry changes between two turns (at most `rounds`)."""
    def geometry():
        return [child.geometry().getRect() for child in widget.findChildren(QWidget)]
    before = geometry()
    for _ in range(rounds):
        qtbot.wait(10)
        now = geometry()
        if now == before:
            return
        before = now


def test_layout_has_no_clipped_or_overlapping_controls(qtbot, window, answers):
    page = page_of(window)
    _fill_form(page)
    page.sign_button.click()  # the signed state shows the most text
    # Measured as the user sees it: once the background check of the signed state has landed and the layouts
    # it asked for have run. Right after the click, or after one round of events, a button could still have
    # its height from before (19 px for a 22 px hint: seen in 1 of 6 runs of this file, before this session's
    # changes too); nested layouts settle over a few rounds. A layout that stays wrong still fails below.
    from desktop.ui.signoff_check import CHECKING, signoff_check

    qtbot.waitUntil(lambda: signoff_check(window.document).state != CHECKING and not page.computing, timeout=30_000)
    _wait_for_stable_layout(qtbot, page)
    area = page.findChild(QScrollArea)
    content = area.widget()
    assert content.width() <= area.viewport().width()  # no horizontal overflow at 1280x800
    controls = [w for w in content.findChildren(QAbstractButton) + content.findChildren(QLineEdit) if w.isVisible()]
    assert controls
    rects = []
    for widget in controls:
        assert widget.height() >= widget.minimumSizeHint().height() - 1, widget.accessibleName()
        assert widget.width() >= min(widget.minimumSizeHint().width(), 40), widget.accessibleName()
        top_left = widget.mapTo(content, widget.rect().topLeft())
        rects.append((widget.accessibleName() or widget.text(), QRect(top_left, widget.size())))
    for i, (name, rect) in enumerate(rects):
        assert content.rect().contains(rect), name
        for other, other_rect in rects[i + 1:]:
            assert not rect.intersects(other_rect), (name, other)


def test_a_failed_save_after_signing_keeps_the_document_modified(window, sample_path, answers, monkeypatch):
    page = page_of(window)
    document = window.document
    before = sample_path.read_bytes()

    def fail(path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(document.copy, "save_to", fail)
    _fill_form(page)
    page.sign_button.click()
    assert document.workbook.signed and document.is_modified()
    assert "could not be saved" in page.message.label.text()
    assert sample_path.read_bytes() == before
    monkeypatch.undo()
    document.save()
    assert not document.is_modified() and verify_path(sample_path).exit_code == 0


# ---- layout at a laptop's size (issue 14) ----------------------------------------------------------------

def _visible_in_viewport(widget, area):
    top_left = widget.mapTo(area.viewport(), widget.rect().topLeft())
    return area.viewport().rect().contains(QRect(top_left, widget.size()))


def test_the_form_and_its_button_are_in_view_at_1366x768_without_scrolling(qtbot, window, answers):
    window.resize(1366, 768)
    window.show_page("signoff")
    page = page_of(window)
    qtbot.waitUntil(lambda: page.route_label.text() != "")
    area = page.findChild(QScrollArea)
    assert area.verticalScrollBar().value() == 0
    assert not page.details.isVisible()  # the gates, readiness and figures are folded away
    assert not page.revoke_box.isVisible()  # nothing to revoke before a sign-off
    for widget in (page.name_edit, page.role_edit, page.decision_combo, page.sign_button):
        assert widget.isVisible() and _visible_in_viewport(widget, area), widget.accessibleName()
    page.details_button.click()
    assert page.details.isVisible() and "Hide" in page.details_button.text()
    page.details_button.click()
    _fill_form(page)
    page.sign_button.click()
    assert page.document.workbook.signed
    assert page.revoke_box.isVisible() and not page.sign_button.isVisible()
    assert _visible_in_viewport(page.revoke_button, area)
    for edit in (page.name_edit, page.role_edit, page.draft_edit):
        assert edit.isReadOnly() and not edit.hasFrame()
        # read-only text sits on the window's own background, not on the white of an editable field
        assert edit.palette().color(QPalette.ColorRole.Base) == QApplication.palette().color(QPalette.ColorRole.Window)
