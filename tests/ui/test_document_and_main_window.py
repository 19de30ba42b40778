import json
import sqlite3
from dataclasses import replace

import pytest
from PySide6.QtWidgets import QMessageBox

from desktop import paths
from desktop.cli import main as ipw
from desktop.domain.errors import SignedWorkbookError
from desktop.resources import playbook
from desktop.storage.working_copy import find_recoverable
from desktop.storage.workbook_file import open_store
from desktop.ui import commands
from desktop.ui.document import Document, ReadOnlyError
from desktop.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot, sample_path):
    document = Document.open(playbook(), sample_path)
    win = MainWindow(playbook(), document)
    qtbot.addWidget(win)
    win.show()
    # pytest-qt closes the window before fixtures are torn down; unsaved test edits are discarded then.
    win.ask_save_changes = lambda: QMessageBox.StandardButton.Discard
    yield win
    if win.isVisible():  # a test refused the close: close it here, before monkeypatch restores anything
        win.ask_save_changes = lambda: QMessageBox.StandardButton.Discard
        win.close()


def retitle(document, title):
    document.push(commands.set_context(document, replace(document.workbook.context, title=title)))


def test_title_shows_file_and_modified_marker(window):
    assert window.windowTitle().startswith("sample.ipwb[*]")
    assert not window.isWindowModified()
    retitle(window.document, "New title")
    assert window.isWindowModified()
    window.document.undo_stack.undo()
    assert not window.isWindowModified()  # the marker follows the undo stack's clean state


def test_undo_redo_of_an_edit(window):
    document = window.document
    old = document.workbook.context.title
    retitle(document, "Changed")
    assert document.workbook.context.title == "Changed"
    window.undo_action.trigger()
    assert document.workbook.context.title == old
    window.redo_action.trigger()
    assert document.workbook.context.title == "Changed"


def test_save_writes_the_file_and_clears_modified(window, sample_path):
    retitle(window.document, "Saved title")
    assert window.on_save()
    assert not window.isWindowModified()
    store = open_store(sample_path, writable=False)
    assert store.load(playbook()).context.title == "Saved title"
    store.close()


@pytest.mark.parametrize("answer, closes, saved", [
    (QMessageBox.StandardButton.Cancel, False, False),
    (QMessageBox.StandardButton.Discard, True, False),
    (QMessageBox.StandardButton.Save, True, True),
])
def test_close_prompt(window, sample_path, monkeypatch, answer, closes, saved):
    asked = []
    monkeypatch.setattr(window, "ask_save_changes", lambda: asked.append(1) or answer)
    retitle(window.document, "Unsaved")
    assert window.close() is closes
    assert asked == [1]
    store = open_store(sample_path, writable=False)
    assert (store.load(playbook()).context.title == "Unsaved") is saved
    store.close()


def test_close_without_changes_does_not_ask(window, monkeypatch):
    monkeypatch.setattr(window, "ask_save_changes", lambda: pytest.fail("asked"))
    assert window.close()


def test_second_writer_gets_read_only(window, sample_path, qtbot):
    second = Document.open(playbook(), sample_path)
    try:
        assert second.read_only
        assert "being edited by" in second.read_only_reason
        with pytest.raises(ReadOnlyError):
            retitle(second, "nope")
        other = MainWindow(playbook(), second)
        qtbot.addWidget(other)
        assert "(read-only)" in other.windowTitle()
    finally:
        second.close()


def test_signed_workbook_refuses_gui_edits(tmp_path, qtbot):
    path = tmp_path / "signed.ipwb"
    assert ipw(["new", str(path), "--sample"]) == 0
    conn = sqlite3.connect(path)
    conn.execute("INSERT OR REPLACE INTO parts VALUES ('signoff', ?)", (json.dumps({
        "approver": "Dana", "role": "CFO", "decision": "approve", "conditions": "", "date": "2026-11-28",
        "fingerprint": "ab" * 32, "signedAt": "2026-11-28T10:00:00+00:00"}),))
    conn.commit()
    conn.close()
    document = Document.open(playbook(), path)
    try:
        assert document.read_only
        with pytest.raises(SignedWorkbookError):
            retitle(document, "nope")
        assert document.undo_stack.count() == 0
    finally:
        document.close()


def test_autosave_then_crash_offers_recovery(sample_path):
    document = Document.open(playbook(), sample_path)
    retitle(document, "Typed before the crash")
    assert document.autosave()
    # Simulate the crash: the process "dies" without closing; its sidecar names a dead pid.
    sidecar = document.copy.sidecar
    data = json.loads(sidecar.read_text())
    data["pid"] = 2 ** 22 + 4321
    sidecar.write_text(json.dumps(data))
    document.copy.store.close()
    document.lock.release()
    candidates = find_recoverable(paths.recovery_dir())
    assert [c.origin for c in candidates] == [sample_path.resolve()]
    recovered = Document.recover(playbook(), candidates[0])
    try:
        assert recovered.workbook.context.title == "Typed before the crash"
        assert recovered.is_modified()
        recovered.save()
        assert not recovered.is_modified()
    finally:
        recovered.close()
    store = open_store(sample_path, writable=False)
    assert store.load(playbook()).context.title == "Typed before the crash"
    store.close()


def test_new_document_is_untitled_and_save_as(window, tmp_path, monkeypatch):
    monkeypatch.setattr(window, "ask_save_changes", lambda: QMessageBox.StandardButton.Discard)
    window.on_new()
    assert window.document.path is None
    assert window.windowTitle().startswith("Untitled")
    target = tmp_path / "mine.ipwb"
    from desktop.ui import main_window as module
    monkeypatch.setattr(module.QFileDialog, "getSaveFileName", lambda *a, **k: (str(target)[:-5], ""))
    assert window.on_save()  # no path yet: Save asks for one
    assert target.exists() and window.document.path == target.resolve()


def test_ui_state_is_stored_without_marking_modified(window, sample_path):
    window.document.set_ui_state("wizardStep", "gate:utilization-proof")
    assert not window.document.is_modified()
    store = open_store(sample_path, writable=False)
    assert store.get_meta("ui.wizardStep") == '"gate:utilization-proof"'
    store.close()


def test_geometry_is_restored(window, sample_path, qtbot, monkeypatch):
    window.resize(1100, 700)
    assert window.close()
    saved = bytes(window.saveGeometry())
    restored = []
    monkeypatch.setattr(MainWindow, "restoreGeometry", lambda self, data: restored.append(bytes(data)) or True)
    again = MainWindow(playbook(), Document.open(playbook(), sample_path))
    qtbot.addWidget(again)
    assert restored == [saved]
    again.document.close()


def test_open_error_is_shown_not_raised(window, tmp_path, monkeypatch):
    bad = tmp_path / "bad.ipwb"
    bad.write_text("not a workbook")
    shown = []
    monkeypatch.setattr(window, "show_error", lambda title, message: shown.append(message))
    assert not window.open_path(bad)
    assert "not a workbook" in shown[0]
    assert window.document.path.name == "sample.ipwb"


def test_export_is_reachable_from_the_menu_and_the_signoff_page(window, monkeypatch):
    opened = []
    monkeypatch.setattr(MainWindow, "open_export_dialog", lambda self: opened.append("dialog"))
    window.export_action.trigger()
    window.show_page("signoff")
    page = window.pages["signoff"]
    assert page.export_button.isEnabled()
    page.export_button.click()
    assert opened == ["dialog", "dialog"]
