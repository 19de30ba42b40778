"""The import service: parse every source first, then stage all of it in one transaction or nothing."""

from __future__ import annotations

import pytest

from desktop.domain.progress import Cancelled, NoProgress
from desktop.importers import write_csv_template
from desktop.services.imports import ImportOptions, ImportRefused, run_parse, run_stage, run_store
from desktop.storage.workbook_file import open_store
from tests.exports.export_helpers import new_sample


class Recorder(NoProgress):
    def __init__(self, cancel_at: str | None = None) -> None:
        self.stages: list[tuple[str, int | None]] = []
        self.done = 0
        self.cancel_at = cancel_at

    def stage(self, name: str, total: int | None = None) -> None:
        self.stages.append((name, total))

    def advance(self, n: int = 1) -> None:
        self.done += n

    def cancelled(self) -> bool:
        return self.cancel_at is not None and any(name == self.cancel_at for name, _ in self.stages)


@pytest.fixture
def files(tmp_path):
    workbook = new_sample(tmp_path / "w.ipwb")
    source = tmp_path / "t.csv"
    write_csv_template(source)  # the trace kit's template: three valid example rows
    return workbook, source


def _imports(path):
    store = open_store(path, writable=False)
    try:
        return store.imports(), store.trace_count()
    finally:
        store.close()


def test_run_stage_writes_the_import_switched_off_and_reports_each_stage(files):
    workbook, source = files
    options = ImportOptions(allow_duplicate=True)
    progress = Recorder()
    parsed = run_parse([source], options, progress)
    assert [p.rows_valid for p in parsed] == [3]
    before, visible = _imports(workbook)
    ids = run_stage(workbook, parsed, options, progress)
    assert progress.stages == [("Reading t.csv", 100), ("Storing t.csv", 3)]
    after, still_visible = _imports(workbook)
    assert len(ids) == 1 and len(after) == len(before)  # staged switched off: not listed as active
    assert still_visible == visible


def test_run_store_lands_the_rows_and_a_repeat_is_refused_whole(files):
    workbook, source = files
    parsed = run_parse([source], ImportOptions())
    store = open_store(workbook, writable=True)
    try:
        rows = store.trace_count()
        with store.transaction():
            run_store(store, parsed, ImportOptions(allow_duplicate=True))
        assert store.trace_count() == rows + 3
        with pytest.raises(ImportRefused, match="already imported: t.csv"):
            with store.transaction():
                run_store(store, parsed, ImportOptions())
        assert store.trace_count() == rows + 3
    finally:
        store.close()


def test_a_cancel_while_reading_stops_with_cancelled(files):
    _workbook, source = files
    with pytest.raises(Cancelled):
        run_parse([source], ImportOptions(), Recorder(cancel_at="Reading t.csv"))
