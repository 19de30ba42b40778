"""The export service both front ends run: gather over its own connection, charts and files, each read back."""

from __future__ import annotations

import json

import pytest
from pypdf import PdfReader

from desktop.domain.progress import Cancelled, NoProgress
from desktop.resources import playbook
from desktop.services.exports import ExportFailed, record_exports, run_export, run_gather
from desktop.storage.signoff_store import export_records
from desktop.storage.workbook_file import open_store
from tests.exports.export_helpers import new_sample


class Recorder(NoProgress):
    def __init__(self, cancel_at: str | None = None) -> None:
        self.stages: list[str] = []
        self.cancel_at = cancel_at

    def stage(self, name: str, total: int | None = None) -> None:
        self.stages.append(name)

    def cancelled(self) -> bool:
        return self.cancel_at is not None and self.cancel_at in self.stages


@pytest.fixture
def data(tmp_path):
    path = new_sample(tmp_path / "w.ipwb")
    store = open_store(path, writable=False)
    try:
        workbook = store.load(playbook())
    finally:
        store.close()
    return run_gather(path, workbook, playbook())


def test_run_export_draws_the_charts_writes_each_file_and_reports_its_stages(data, tmp_path):
    targets = {"json": tmp_path / "m.json", "pdf": tmp_path / "m.pdf"}
    progress = Recorder()
    result = run_export(data, targets, "a4", progress)
    assert result.chart_problem is None
    assert [w.kind for w in result.written] == ["json", "pdf"]
    assert all(w.fingerprint == data.fingerprint and w.status == "draft" for w in result.written)
    assert json.loads(targets["json"].read_text(encoding="utf-8"))  # a matrix that parses
    text = "".join(page.extract_text() for page in PdfReader(str(targets["pdf"])).pages)
    assert "Figure 1." in text  # the SVG chart's caption and text are in the memo
    assert progress.stages[:2] == ["Drawing the charts", "Writing the procurement matrix (JSON)"]
    assert "Writing the PDF memo" in progress.stages and "Laying out the memo" in progress.stages


def test_a_cancel_stops_before_the_next_file(data, tmp_path):
    targets = {"json": tmp_path / "m.json", "xlsx": tmp_path / "m.xlsx"}
    with pytest.raises(Cancelled):
        run_export(data, targets, "a4", Recorder(cancel_at="Writing the trace rows"))
    assert (tmp_path / "m.json").exists() and not (tmp_path / "m.xlsx").exists()


def test_a_failure_names_the_file_and_keeps_what_was_written(data, tmp_path):
    targets = {"json": tmp_path / "m.json", "markdown": tmp_path / "missing" / "m.md"}
    with pytest.raises(ExportFailed) as caught:
        run_export(data, targets)
    assert "procurement matrix (Markdown)" in str(caught.value)
    assert [w.kind for w in caught.value.written] == ["json"]


def test_record_exports_lands_in_the_exports_table(data, tmp_path):
    path = tmp_path / "w.ipwb"
    result = run_export(data, {"json": tmp_path / "m.json"})
    store = open_store(path, writable=True)
    try:
        record_exports(store, result.written)
        records = export_records(store)
    finally:
        store.close()
    assert [(r["kind"], r["sha256"], r["path"]) for r in records] == [
        ("json", result.written[0].sha256, str(tmp_path / "m.json"))]
