"""The import dialog: background reading, a preview with every problem, and imports that are one undo step."""

import threading

import pytest
from PySide6.QtCore import Qt

from desktop.domain.progress import Cancelled
from desktop.domain.trace import FIELD_NAMES
from desktop.services import imports
from desktop.ui import import_dialog
from desktop.ui.import_dialog import ImportDialog, remembered_set_values
from tests.importers.request_logs import write_request_log

GOOD = ["Managed frontier API", "OpenAI", "m1", "coding", "6200", "1200", "0.35", "false", "4", "1900", "14800",
        "28200", "48", "0.84", "0.215", "3.5"]


def write_csv(path, rows, header=FIELD_NAMES):
    path.write_text("\n".join(",".join(map(str, r)) for r in [list(header), *rows]) + "\n", encoding="utf-8")
    return path


def good_rows(count, model="m1"):
    return [GOOD[:2] + [model] + GOOD[3:4] + [str(100 + i)] + GOOD[5:] for i in range(count)]


def bad_csv(tmp_path, name="bad.csv"):
    rows = good_rows(3)
    rows[1][FIELD_NAMES.index("inputTokens")] = "-5"  # file line 3
    rows[2][FIELD_NAMES.index("acceptedOutputRate")] = "1.4"  # file line 4
    return write_csv(tmp_path / name, rows)


@pytest.fixture
def errors(monkeypatch):
    shown = []
    monkeypatch.setattr(import_dialog, "show_error", lambda parent, title, text: shown.append((title, text)))
    return shown


def read(qtbot, dialog, paths):
    dialog.set_paths(paths)
    assert dialog.start_parse()
    qtbot.waitUntil(lambda: dialog.stage != "parsing", timeout=30_000)
    return dialog.stage


def store_and_wait(qtbot, dialog, *, valid_only):
    assert dialog.start_store(valid_only=valid_only)
    qtbot.waitUntil(lambda: dialog.stage != "storing", timeout=60_000)
    return dialog.stage


def all_trace_rows(document):
    """Rows in the working copy, visible or not (a cancelled import must leave no staged rows either)."""
    return document.store.conn.execute("SELECT count(*) FROM traces").fetchone()[0]


def problems_as_rows(dialog):
    model = dialog.problem_model
    return [tuple(model.data(model.index(r, c)) for c in range(model.columnCount())) for r in range(model.rowCount())]


def test_preview_shows_every_problem_with_file_row_column_value_and_reason(qtbot, qtmodeltester, dialog, tmp_path):
    assert read(qtbot, dialog, [bad_csv(tmp_path)]) == "preview"
    qtmodeltester.check(dialog.problem_model)
    assert problems_as_rows(dialog) == [
        ("bad.csv", "3", "Input tokens", "-5", "must not be negative"),
        ("bad.csv", "4", "Accepted output rate", "1.4", "must be between 0 and 1"),
    ]
    assert [dialog.problem_model.headerData(c, Qt.Orientation.Horizontal)
            for c in range(5)] == ["File", "Row", "Column", "Value", "Reason"]
    assert dialog.preview_table.rowCount() == 1  # the one valid row
    assert not dialog.import_button.isEnabled()
    assert dialog.valid_only_button.isEnabled()
    assert "2 problem(s)" in dialog.summary_label.text()


def test_a_clean_file_previews_its_first_50_rows_and_imports_as_one_undo_step(qtbot, dialog, document, tmp_path):
    before, steps = document.store.trace_count(), document.undo_stack.count()
    assert read(qtbot, dialog, [write_csv(tmp_path / "clean.csv", good_rows(120))]) == "preview"
    assert dialog.preview_table.rowCount() == 50
    assert dialog.problem_model.rowCount() == 0
    assert dialog.import_button.isEnabled() and not dialog.valid_only_button.isEnabled()
    assert store_and_wait(qtbot, dialog, valid_only=False) == "done"
    assert document.store.trace_count() == before + 120
    assert document.undo_stack.count() == steps + 1
    entry = document.store.imports()[-1]
    assert (entry["source"], entry["format"], entry["rowsImported"], entry["originalKept"]) == \
        ("clean.csv", "csv", 120, True)
    assert entry["details"]["importedValidRowsOnly"] is False


def test_cancel_in_the_preview_writes_nothing(qtbot, dialog, document, tmp_path):
    rows, imports = all_trace_rows(document), len(document.store.imports())
    assert read(qtbot, dialog, [bad_csv(tmp_path)]) == "preview"
    dialog.preview_cancel.click()
    assert not dialog.isVisible()
    assert all_trace_rows(document) == rows and len(document.store.imports()) == imports
    assert document.undo_stack.count() == 0
    assert "nothing was imported" in dialog.message


def test_import_valid_rows_only_is_recorded_and_undo_redo_switch_it(qtbot, dialog, document, tmp_path):
    before = document.store.trace_count()
    read(qtbot, dialog, [bad_csv(tmp_path)])
    assert store_and_wait(qtbot, dialog, valid_only=True) == "done"
    entry = document.store.imports()[-1]
    assert entry["details"]["importedValidRowsOnly"] is True
    assert entry["details"]["problemCount"] == 2
    assert (entry["rowsRead"], entry["rowsImported"], entry["rowsRejected"]) == (3, 1, 2)
    assert document.store.trace_count() == before + 1
    assert dialog.imported_ids == [entry["importId"]]
    document.undo_stack.undo()
    assert document.store.trace_count() == before
    assert entry["importId"] not in [i["importId"] for i in document.store.imports()]
    document.undo_stack.redo()
    assert document.store.trace_count() == before + 1
    assert document.store.imports()[-1]["importId"] == entry["importId"]


def test_several_files_are_one_transaction_and_one_undo_step(qtbot, dialog, document, tmp_path):
    before = document.store.trace_count()
    first = write_csv(tmp_path / "a.csv", good_rows(4, "a"))
    second = write_csv(tmp_path / "b.csv", good_rows(6, "b"))
    read(qtbot, dialog, [first, second])
    assert store_and_wait(qtbot, dialog, valid_only=False) == "done"
    assert [i["source"] for i in document.store.imports()[-2:]] == ["a.csv", "b.csv"]
    assert document.undo_stack.count() == 1
    assert document.store.trace_count() == before + 10
    document.undo_stack.undo()
    assert document.store.trace_count() == before
    assert [i["source"] for i in document.store.imports()] == ["playbook template rows"]


def test_reimporting_the_same_file_asks_first(qtbot, document, tmp_path, monkeypatch):
    source = write_csv(tmp_path / "same.csv", good_rows(2))
    first = ImportDialog(document)
    qtbot.addWidget(first)
    read(qtbot, first, [source])
    store_and_wait(qtbot, first, valid_only=False)
    count = document.store.trace_count()
    asked = []
    answer = [False]
    monkeypatch.setattr(import_dialog, "confirm_duplicate", lambda parent, text: asked.append(text) or answer[0])
    again = ImportDialog(document)
    qtbot.addWidget(again)
    read(qtbot, again, [source])
    assert "Imported before" in again.summary_label.text()
    assert not again.start_store(valid_only=False)
    assert len(asked) == 1 and "same.csv" in asked[0] and "SHA-256" in asked[0]
    assert again.stage == "preview" and document.store.trace_count() == count
    answer[0] = True
    assert store_and_wait(qtbot, again, valid_only=False) == "done"
    assert document.store.trace_count() == count + 2
    assert len(asked) == 2


def test_a_failing_file_reaches_the_officer_as_a_message(qtbot, dialog, document, tmp_path, errors):
    broken = tmp_path / "results.json"
    broken.write_text('{"hello": "world"}', encoding="utf-8")
    assert read(qtbot, dialog, [broken]) == "options"
    assert len(errors) == 1
    title, text = errors[0]
    assert title == "Import failed"
    assert "results.json" in text and "Nothing was imported" in text and "Traceback" not in text
    assert len(document.store.imports()) == 1


def test_a_file_that_is_not_a_spreadsheet_reaches_the_officer_as_a_message(qtbot, dialog, tmp_path, errors):
    fake = tmp_path / "traces.xlsx"
    fake.write_bytes(b"PK\x03\x04 this is not a zip archive at all" * 10)
    assert read(qtbot, dialog, [fake]) == "options"
    assert errors and "traces.xlsx" in errors[0][1]


def test_cancel_while_reading_stops_and_writes_nothing(qtbot, dialog, document, tmp_path, monkeypatch):
    started = threading.Event()

    def slow_parse(paths, options, control):
        started.set()
        control.stage("reading", 10)
        while not control.cancelled():
            control.advance()
            threading.Event().wait(0.01)
        raise Cancelled()

    monkeypatch.setattr(imports, "run_parse", slow_parse)  # what the dialog runs in its task
    dialog.set_paths([bad_csv(tmp_path)])
    assert dialog.start_parse()
    assert started.wait(10)
    assert dialog.stage == "parsing" and dialog.progress_cancel.isEnabled()
    dialog.progress_cancel.click()
    qtbot.waitUntil(lambda: dialog.stage == "options", timeout=10_000)
    assert "Cancelled" in dialog.options_banner.text()
    assert len(document.store.imports()) == 1


def test_cancel_while_storing_rolls_the_transaction_back(qtbot, dialog, document, tmp_path):
    rows = all_trace_rows(document)
    read(qtbot, dialog, [write_csv(tmp_path / "big.csv", good_rows(120_000))])
    assert dialog.start_store(valid_only=False)
    dialog.cancel_task()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=60_000)
    assert dialog.stage == "preview"
    assert "Cancelled" in dialog.message
    assert all_trace_rows(document) == rows
    assert len(document.store.imports()) == 1 and document.undo_stack.count() == 0


def test_values_for_missing_fields_fill_every_row_and_are_remembered(qtbot, dialog, document, tmp_path):
    lacking = [n for n in FIELD_NAMES if n not in ("route", "provider", "workload", "concurrency")]
    rows = [[v for n, v in zip(FIELD_NAMES, row) if n in lacking] for row in good_rows(3)]
    source = write_csv(tmp_path / "bench.csv", rows, header=lacking)
    assert read(qtbot, dialog, [source]) == "preview"
    assert {p[2] for p in problems_as_rows(dialog)} >= {"Route", "Provider", "Workload", "Concurrency"}
    dialog.back_button.click()
    dialog.set_value("route", "dedicated endpoint")  # an alias: the canonical route is chosen
    dialog.set_value("provider", "Fireworks")
    dialog.set_value("workload", "support")
    dialog.set_value("concurrency", "8")
    assert read(qtbot, dialog, [source]) == "preview"
    assert dialog.problem_model.rowCount() == 0
    assert store_and_wait(qtbot, dialog, valid_only=False) == "done"
    entry = document.store.imports()[-1]
    assert entry["details"]["setValues"] == {"route": "Dedicated endpoint", "provider": "Fireworks",
                                             "workload": "support", "concurrency": "8"}
    remembered = remembered_set_values()
    assert remembered["provider"] == (True, "Fireworks") and remembered["costUsd"][0] is False
    later = ImportDialog(document)
    qtbot.addWidget(later)
    assert later.set_values() == entry["details"]["setValues"]


def test_a_bad_given_value_is_refused_before_reading(qtbot, dialog, tmp_path):
    dialog.set_paths([bad_csv(tmp_path)])
    dialog.set_value("concurrency", "two")
    assert not dialog.start_parse()
    assert "concurrency" in dialog.options_banner.text() and dialog.stage == "options"
    dialog.set_value("concurrency", "")
    assert not dialog.start_parse()
    assert "give a value or untick it" in dialog.options_banner.text()


def test_several_sheets_the_officer_picks_one(qtbot, dialog, tmp_path):
    xlsxwriter = pytest.importorskip("xlsxwriter")
    path = tmp_path / "runs.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Read me").write(0, 0, "Fill in the Runs sheets")
    for name, model, count in (("Runs A", "ma", 2), ("Runs B", "mb", 3)):
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, FIELD_NAMES)
        for r, row in enumerate(good_rows(count, model), start=1):
            sheet.write_row(r, 0, [float(v) if v.replace(".", "").isdigit() else v for v in row])
    book.close()
    assert read(qtbot, dialog, [path]) == "preview"
    assert dialog.parsed[0].sheet == "Runs A" and dialog.preview_table.rowCount() == 2
    assert dialog.sheet_row_host.isVisibleTo(dialog)
    combo = dialog.preview_sheet_combo
    assert [combo.itemText(i) for i in range(combo.count())] == ["Read me", "Runs A", "Runs B"]
    combo.setCurrentIndex(2)
    combo.activated.emit(2)
    qtbot.waitUntil(lambda: dialog.stage == "preview" and dialog.parsed and dialog.parsed[0].sheet == "Runs B",
                    timeout=30_000)
    assert dialog.preview_table.rowCount() == 3


def test_a_read_only_document_refuses_to_import(qtbot, document, tmp_path, errors):
    document.read_only_reason = "someone else has it open"
    dialog = ImportDialog(document)
    qtbot.addWidget(dialog)
    dialog.set_paths([bad_csv(tmp_path)])
    assert not dialog.start_parse()
    assert errors and "someone else" in errors[0][1]


def test_a_row_with_p50_above_p95_is_a_warning_in_the_preview_not_a_refusal(qtbot, dialog, tmp_path):
    rows = good_rows(3)
    rows[1][FIELD_NAMES.index("latencyP50Ms")] = "30000"  # above its p95 of 28200
    assert read(qtbot, dialog, [write_csv(tmp_path / "odd.csv", rows)]) == "preview"
    text = dialog.summary_label.text()
    assert "Warning</b>, valid row 2, p50 latency (ms): p50 latency is above the p95 latency (28200 ms)" in text
    assert dialog.problem_model.rowCount() == 0
    dialog.warnings_reason.setText("checked with the vendor")  # a warning asks for a reason, never refuses
    assert dialog.import_button.isEnabled()


def test_a_blank_cache_hit_rate_previews_as_not_observed(qtbot, dialog, tmp_path):
    rows = good_rows(2)
    rows[0][FIELD_NAMES.index("cacheHitRate")] = ""
    assert read(qtbot, dialog, [write_csv(tmp_path / "blank.csv", rows)]) == "preview"
    column = 1 + FIELD_NAMES.index("cacheHitRate")  # after the File column
    assert dialog.preview_table.horizontalHeaderItem(column).text() == "Cache hit rate"
    assert [dialog.preview_table.item(r, column).text() for r in range(2)] == ["not observed", "0.35"]


def read_request_logs(qtbot, dialog, paths):
    dialog.set_value("batchEligible", "no")
    dialog.set_value("reviewMinutes", "")  # not observed
    return read(qtbot, dialog, paths)


def test_a_request_log_says_it_summarised_its_requests_into_trace_rows(qtbot, dialog, document, tmp_path):
    before = document.store.trace_count()
    assert read_request_logs(qtbot, dialog, [write_request_log(tmp_path / "log.csv", 1200)]) == "preview"
    text = dialog.summary_label.text()
    assert "<b>log.csv</b> (requests, header on row 1): 1,200 requests read, 0 rejected, summarised into 3 trace rows" in text
    assert "Total: 3 trace rows to import." in text
    assert store_and_wait(qtbot, dialog, valid_only=False) == "done"
    assert dialog.message == "Summarised 1,200 requests into 3 trace rows from log.csv."
    assert document.store.trace_count() == before + 3


def test_rejected_requests_show_in_the_preview_and_the_result(qtbot, dialog, document, tmp_path):
    log = write_request_log(tmp_path / "log.csv", 1200, bad_latency_every=240)  # requests 0, 240, ... 960
    assert read_request_logs(qtbot, dialog, [log]) == "preview"
    assert "1,200 requests read, 5 rejected, summarised into 3 trace rows" in dialog.summary_label.text()
    assert store_and_wait(qtbot, dialog, valid_only=True) == "done"
    assert dialog.message == "Summarised 1,195 of 1,200 requests into 3 trace rows from log.csv."


def test_a_trace_table_and_a_request_log_each_say_what_they_brought_in(qtbot, dialog, tmp_path):
    table = write_csv(tmp_path / "a.csv", good_rows(1, "a"))
    assert read_request_logs(qtbot, dialog, [table, write_request_log(tmp_path / "log.csv", 2)]) == "preview"
    text = dialog.summary_label.text()
    assert "<b>a.csv</b> (csv, header on row 1): 1 row read, 1 valid, 0 rejected" in text
    assert "<b>log.csv</b> (requests, header on row 1): 2 requests read, 0 rejected, summarised into 2 trace rows" \
        in text
    assert store_and_wait(qtbot, dialog, valid_only=False) == "done"
    assert dialog.message == "Imported 1 of 1 row from a.csv; summarised 2 requests into 2 trace rows from log.csv."
