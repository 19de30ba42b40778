"""Issue 15 in the GUI: read-only places, Save keeping modes, private working copies, tamper shown, lock links.

Failures 5, 6 and 7 reproduced through the widgets: a 0444 workbook was silently overwritten and came back
0644, a 0600 one came back 0644, working copies were 0644 in a 0755 folder, and a tampered signed workbook
showed "Signed off by ..." with no warning.
"""

import os
import sqlite3
import stat
from dataclasses import replace

import pytest
from PySide6.QtWidgets import QMessageBox

from desktop import paths
from desktop.cli import main as ipw
from desktop.resources import playbook
from desktop.storage.lock import LockRefused, lock_path
from desktop.ui import commands
from desktop.ui.document import Document
from desktop.ui.main_window import MainWindow


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def open_window(qtbot, path):
    window = MainWindow(playbook(), Document.open(playbook(), path))
    qtbot.addWidget(window)
    window.show()
    window.ask_save_changes = lambda: QMessageBox.StandardButton.Discard
    return window


def retitle(document, title):
    document.push(commands.set_context(document, replace(document.workbook.context, title=title)))


@pytest.mark.parametrize("file_mode", [0o600, 0o640])
def test_save_keeps_the_files_mode(qtbot, sample_path, file_mode):
    os.chmod(sample_path, file_mode)
    window = open_window(qtbot, sample_path)
    retitle(window.document, "Saved with its mode")
    assert window.on_save()
    assert mode(sample_path) == file_mode
    assert "Saved with its mode" in sqlite3.connect(sample_path).execute(
        "SELECT json FROM parts WHERE name = 'context'").fetchone()[0]


def test_read_only_file_opens_read_only_and_save_goes_to_save_as(qtbot, sample_path, monkeypatch, tmp_path):
    os.chmod(sample_path, 0o444)
    before = sample_path.read_bytes()
    window = open_window(qtbot, sample_path)
    assert window.document.read_only
    assert "read-only file" in window.document.read_only_reason
    assert "(read-only)" in window.windowTitle()
    overview = window.pages["overview"]
    assert "read-only file" in overview.banner.text() and overview.banner.isVisible()
    asked = []
    target = tmp_path / "copy.ipwb"
    monkeypatch.setattr("desktop.ui.main_window.QFileDialog.getSaveFileName",
                        lambda *a, **k: asked.append(a[1]) or (str(target), ""))
    assert window.on_save()
    assert asked == ["Save workbook as"]
    assert sample_path.read_bytes() == before and mode(sample_path) == 0o444
    assert target.exists() and window.document.path == target.resolve()
    assert not lock_path(sample_path).exists()


def test_file_made_read_only_while_open_is_not_overwritten(qtbot, sample_path, monkeypatch, tmp_path):
    window = open_window(qtbot, sample_path)
    retitle(window.document, "Edited while open")
    os.chmod(sample_path, 0o444)  # a colleague, or the share, makes it read-only meanwhile
    before = sample_path.read_bytes()
    offered = []
    monkeypatch.setattr(window, "offer_save_as", lambda message: offered.append(message) or True)
    target = tmp_path / "elsewhere.ipwb"
    monkeypatch.setattr("desktop.ui.main_window.QFileDialog.getSaveFileName", lambda *a, **k: (str(target), ""))
    assert window.on_save()
    assert len(offered) == 1 and "read-only file" in offered[0] and "Save As" in offered[0]
    assert sample_path.read_bytes() == before and mode(sample_path) == 0o444
    assert "Edited while open" in sqlite3.connect(target).execute(
        "SELECT json FROM parts WHERE name = 'context'").fetchone()[0]


def test_read_only_folder_opens_read_only_with_a_banner(qtbot, sample_path):
    folder = sample_path.parent
    os.chmod(folder, 0o555)
    try:
        window = open_window(qtbot, sample_path)
        reason = window.document.read_only_reason
        assert reason and "read-only" in reason
        assert window.pages["overview"].banner.isVisible()
        assert reason.split(":")[0] in window.status_label.text()
        with pytest.raises(Exception, match="read-only"):
            retitle(window.document, "nope")
        assert sorted(p.name for p in folder.iterdir()) == ["sample.ipwb"]  # no lock file, no journal
    finally:
        os.chmod(folder, 0o755)


def test_working_copies_are_private(qtbot, sample_path):
    window = open_window(qtbot, sample_path)
    copy = window.document.copy
    assert mode(paths.recovery_dir()) == 0o700
    assert mode(copy.database) == 0o600
    assert mode(copy.sidecar) == 0o600
    retitle(window.document, "autosaved")
    window.document.autosave()
    assert mode(copy.sidecar) == 0o600 and mode(copy.database) == 0o600


def test_symlinked_lock_is_refused_in_the_gui_and_its_target_kept(qtbot, sample_path, tmp_path, monkeypatch):
    target = tmp_path / "bashrc"
    target.write_text("alias ll='ls -l'\n")
    lock_path(sample_path).symlink_to(target)
    with pytest.raises(LockRefused):
        Document.open(playbook(), sample_path)
    window = MainWindow(playbook(), Document.new(playbook()))
    qtbot.addWidget(window)
    shown = []
    monkeypatch.setattr(window, "show_error", lambda title, message: shown.append(message))
    assert not window.open_path(sample_path, asked=True)
    assert "symbolic link" in shown[0]
    assert target.read_text() == "alias ll='ls -l'\n"


# -- 7. tamper shown where people look ------------------------------------------------------------------------

@pytest.fixture
def signed_path(sample_path):
    assert ipw(["sign", str(sample_path), "--name", "Dana", "--role", "CFO", "--decision", "approve"]) == 0
    return sample_path


def checked(qtbot, window):
    """The window once the background sign-off check has landed (it is "checking sign-off…" until then)."""
    qtbot.waitUntil(lambda: window.document.signoff_state() != "checking", timeout=30_000)
    return window


def test_tampered_signed_workbook_is_red_on_every_page(qtbot, signed_path, tamper):
    tamper(signed_path)
    window = checked(qtbot, open_window(qtbot, signed_path))
    assert window.document.signoff_state() == "tampered"
    assert len(window.pages) > 10
    for key, page in window.pages.items():
        window.show_page(key)
        assert window.stack.currentWidget() is page
        assert window.tamper_banner.isVisible(), key
        assert window.tamper_banner.text().startswith("<b>TAMPERED</b>")
    assert window.tamper_banner.kind == "error"
    window.show_page("overview")
    assert "TAMPERED" in window.pages["overview"].panels["signoff"].state.text()
    window.show_page("signoff")
    page = window.pages["signoff"]
    page.refresh()
    assert page.state_banner.kind == "error"
    assert page.state_banner.text().startswith("<b>TAMPERED</b>")
    assert "TAMPERED" in window.status_label.text()


def test_intact_signed_workbook_shows_no_tamper_banner(qtbot, signed_path):
    window = checked(qtbot, open_window(qtbot, signed_path))
    assert window.document.signoff_state() == "signed"
    assert "checking" not in window.status_label.text()
    assert not window.tamper_banner.isVisible()
    assert "TAMPERED" not in window.pages["overview"].panels["signoff"].state.text()
    assert window.navigation.item(window.navigation.row_of("signoff")).text().endswith("\u2713 signed")
    window.show_page("signoff")
    window.pages["signoff"].refresh()
    assert window.pages["signoff"].state_banner.kind == "info"


# -- 3. evidence outside the workbook's folder, through the gate page ------------------------------------------

@pytest.fixture
def gate_page(qtbot, document):
    from desktop.ui.pages.gate import GatePage
    page = GatePage(playbook(), playbook().gate("demand-shape"))
    qtbot.addWidget(page)
    page.bind(document)
    page.show()
    return page


@pytest.mark.parametrize("answer", [True, False])
def test_outside_evidence_is_not_checked_until_the_officer_confirms(gate_page, tmp_path, monkeypatch, answer):
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    from desktop.storage import evidence_places
    from desktop.ui.widgets import dialogs
    file = tmp_path / "elsewhere" / "histogram.csv"
    file.parent.mkdir()
    file.write_bytes(b"hour,requests\n0,12\n")
    gate_page.attach_file(1, file)
    evidence_places.forget_session()  # as if the workbook came from someone else: nothing confirmed yet
    gate_page.refresh()
    picker = gate_page.items[0].evidence
    assert "Outside the workbook&#x27;s folder: not checked" in picker.check_label.text()
    asked, opened = [], []
    monkeypatch.setattr(dialogs, "confirm", lambda parent, title, text: asked.append(title) or answer)
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    gate_page.open_evidence(1)
    assert asked[0] == "Evidence outside the workbook's folder"
    if answer:
        assert opened == [QUrl.fromLocalFile(str(file.resolve()))]
        assert "Unchanged since attached" in picker.check_label.text()
    else:
        assert opened == [] and "not checked" in picker.check_label.text()
    evidence_places.forget_session()


def test_newer_version_workbook_opens_read_only_in_the_gui(qtbot, sample_path):
    from desktop.storage.schema import SCHEMA_VERSION
    conn = sqlite3.connect(sample_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    window = open_window(qtbot, sample_path)
    assert window.document.read_only and "newer version" in window.document.read_only_reason
    assert "newer version" in window.pages["overview"].banner.text()
    assert not lock_path(sample_path).exists()
