"""Fixtures shared by the GUI tests."""

from __future__ import annotations

import json
import sqlite3

import pytest
from PySide6.QtWidgets import QMessageBox

from desktop.cli import main as ipw
from desktop.resources import playbook
from desktop.ui.document import Document
from desktop.ui.main_window import MainWindow


@pytest.fixture(autouse=True)
def _every_test_here_uses_the_application(qapp):
    """The tests in tests/ui drive Qt objects (a Document alone owns timers, which need the application's
    event dispatcher), so each one runs with the application and is marked gui."""


@pytest.fixture
def sample_path(tmp_path):
    """A sample workbook file written by `ipw new --sample` (modules with their own sample_path override it)."""
    path = tmp_path / "sample.ipwb"
    assert ipw(["new", str(path), "--sample"]) == 0
    return path


@pytest.fixture
def document(qapp):
    """The sample workbook as an untitled document; its working copy is removed afterwards.
    A Document owns Qt timers, which need the application's event dispatcher."""
    document = Document.new(playbook(), sample=True)
    yield document
    document.close()


@pytest.fixture
def sample_window_on_overview(qtbot):
    """The main window on an untitled copy of the sample, at 1280x800, showing the Overview (closing it
    discards the changes instead of asking)."""
    win = MainWindow(playbook(), Document.new(playbook(), sample=True))
    win.ask_save_changes = lambda: QMessageBox.StandardButton.Discard
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    win.show_page("overview")
    return win


@pytest.fixture
def dialog(qtbot, document):
    """The import dialog on the sample document, shown; a task still running at the end is cancelled."""
    from desktop.ui.import_dialog import ImportDialog

    dialog = ImportDialog(document)
    qtbot.addWidget(dialog)
    dialog.show()
    yield dialog
    if dialog.busy:
        dialog.cancel_task()
        qtbot.waitUntil(lambda: not dialog.busy, timeout=30_000)


@pytest.fixture
def tamper():
    """Change a signed workbook's content behind the app's back: a readiness score, by SQL."""
    def change(path):
        conn = sqlite3.connect(path)
        scores = json.loads(conn.execute("SELECT json FROM parts WHERE name = 'scores'").fetchone()[0])
        scores[0]["score"] = 99 if scores[0].get("score") != 99 else 98
        conn.execute("UPDATE parts SET json = ? WHERE name = 'scores'", (json.dumps(scores),))
        conn.commit()
        conn.close()
    return change
