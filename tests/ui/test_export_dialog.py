"""The Export dialog: formats, folder remembered, export in the background, recorded, opened on request."""

import sqlite3

import pytest

from desktop.cli import main as ipw
from desktop.exports.verify_export import verify_export
from desktop.resources import playbook
from desktop.services import exports
from desktop.ui import export_dialog, settings
from desktop.ui.document import Document
from desktop.ui.export_dialog import ExportDialog


@pytest.fixture
def document(tmp_path):
    path = tmp_path / "sample.ipwb"
    assert ipw(["new", str(path), "--sample"]) == 0
    doc = Document.open(playbook(), path)
    yield doc
    doc.close()


def _run_export(qtbot, dialog):
    assert dialog.start_export()
    qtbot.waitUntil(lambda: not dialog._runner.busy and bool(dialog.written or dialog.message), timeout=120_000)


def test_export_writes_records_and_opens(qtbot, document, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    opened = []
    monkeypatch.setattr(export_dialog, "open_file", lambda path: opened.append(path) or True)
    dialog = ExportDialog(document)
    qtbot.addWidget(dialog)
    assert "DRAFT - not signed off" in dialog.state.label.text()
    dialog.folder_edit.setText(str(out))
    dialog.name_edit.setText("Decision")
    for kind, box in dialog.checks.items():
        box.setChecked(True)
    dialog.paper_combo.setCurrentIndex(dialog.paper_combo.findData("letter"))
    dialog.open_check.setChecked(True)
    _run_export(qtbot, dialog)
    assert dialog.message.startswith("Exported 4 file(s)"), dialog.message
    names = sorted(p.name for p in out.iterdir())
    assert names == ["Decision - decision memo.pdf", "Decision - procurement matrix.json",
                     "Decision - procurement matrix.md", "Decision - procurement workbook.xlsx"]
    assert opened == [out / "Decision - decision memo.pdf"]
    # Recorded in the file itself (this window holds the lock), so verify --workbook matches.
    conn = sqlite3.connect(document.path)
    kinds = sorted(r[0] for r in conn.execute("SELECT kind FROM exports"))
    conn.close()
    assert kinds == ["json", "markdown", "pdf", "xlsx"]
    for name in ("Decision - decision memo.pdf", "Decision - procurement workbook.xlsx"):
        report = verify_export(out / name, document.path)
        assert report.exit_code == 4 and not report.differences  # a consistent draft: nothing was signed
        assert next(c for c in report.checks if c.name == "export record").ok is True
    assert settings.last_folder("export") == str(out)


def test_folder_is_remembered_and_needs_a_format(qtbot, document, tmp_path):
    settings.set_last_folder("export", tmp_path)
    dialog = ExportDialog(document)
    qtbot.addWidget(dialog)
    assert dialog.folder_edit.text() == str(tmp_path)
    for box in dialog.checks.values():
        box.setChecked(False)
    assert not dialog.export_button.isEnabled()
    assert "at least one format" in dialog.files_label.text()
    dialog.checks["json"].setChecked(True)
    assert dialog.export_button.isEnabled()
    dialog.folder_edit.setText(str(tmp_path / "missing"))
    assert not dialog.export_button.isEnabled()


def test_a_failure_is_reported_in_words(qtbot, document, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        from desktop.exports.atomic import ExportError
        raise ExportError("disk full")

    monkeypatch.setattr(exports, "run_export", broken)  # what the dialog runs in its second task
    dialog = ExportDialog(document)
    qtbot.addWidget(dialog)
    dialog.folder_edit.setText(str(tmp_path))
    for kind, box in dialog.checks.items():
        box.setChecked(kind == "json")
    _run_export(qtbot, dialog)
    assert dialog.message == "Export failed: disk full"
    assert dialog.error.isVisibleTo(dialog)
    assert dialog.export_button.isEnabled()


@pytest.mark.parametrize("kinds, with_sheet", [(("pdf", "markdown", "json"), False), (("xlsx",), True)])
def test_the_rows_as_stored_are_read_only_for_the_excel_workbook(qtbot, document, tmp_path, monkeypatch,
                                                                kinds, with_sheet):
    """Checking every row against the trace hash (1.3 s at a million rows) is for the Traces sheets alone."""
    from desktop.exports import shown_traces

    shown = []
    real = shown_traces.shown_trace_frame
    monkeypatch.setattr(shown_traces, "shown_trace_frame", lambda *a: shown.append(1) or real(*a))
    dialog = ExportDialog(document)
    qtbot.addWidget(dialog)
    dialog.folder_edit.setText(str(tmp_path))
    for kind, box in dialog.checks.items():
        box.setChecked(kind in kinds)
    _run_export(qtbot, dialog)
    assert dialog.message.startswith(f"Exported {len(kinds)} file(s)"), dialog.message
    assert sorted(w.kind for w in dialog.written) == sorted(kinds)
    assert shown == ([1] if with_sheet else [])
