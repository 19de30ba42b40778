"""The Traces page: in-place edits (validated, undoable, marked), deletes, copy as TSV, filters, sort,
provenance, templates, and the Utilization proof facts the traces give."""

import pytest
from PySide6.QtCore import QItemSelection, QItemSelectionModel, QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractItemDelegate, QComboBox, QLineEdit

from desktop.resources import playbook
from desktop.storage import trace_store
from desktop.ui import gate_facts, trace_facts
from desktop.ui.pages import traces
from desktop.ui.pages.traces import TracesPage
from desktop.ui.trace_model import EDITED_ROLE


@pytest.fixture
def page(qtbot, document):
    page = TracesPage(playbook())
    qtbot.addWidget(page)
    page.resize(1200, 760)
    page.bind(document)
    page.show()
    qtbot.waitExposed(page)
    page.model.wait_loaded()
    yield page
    page.model.shutdown()


def cell(page, row, field):
    return page.model.index(row, page.model.column_of(field))


def settle(page):
    page.model.wait_loaded()


def type_into_cell(qtbot, page, index, text):
    """Edit like an officer: open the editor, type, press Return (the delegate commits on the next loop)."""
    page.view.setCurrentIndex(index)
    page.view.edit(index)
    editor = page.view.findChild(QLineEdit)
    assert editor is not None
    before = editor.text()
    editor.setText(text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.view.findChild(QLineEdit) is None or not page.view.findChild(QLineEdit).isVisible())
    return before


def select(page, top, left_field, bottom, right_field):
    selection = QItemSelection(cell(page, top, left_field), cell(page, bottom, right_field))
    page.view.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)


# ---- editing ------------------------------------------------------------------------------------------

def test_editing_a_cell_in_the_table_is_validated_undoable_and_marked(qtbot, page, document):
    index = cell(page, 0, "costUsd")
    row_id = page.model.row_id(0)
    assert type_into_cell(qtbot, page, index, "0.5") == "0.215"
    assert trace_store.read_cell(document.store, row_id, "costUsd") == 0.5
    assert index.data() == "0.5" and index.data(EDITED_ROLE)
    assert "imported value: 0.215" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert trace_store.edited_fields(document.store, row_id)["costUsd"]["imported"] == 0.215
    assert document.undo_stack.count() == 1
    document.undo_stack.undo()
    assert cell(page, 0, "costUsd").data() == "0.215" and not cell(page, 0, "costUsd").data(EDITED_ROLE)
    document.undo_stack.redo()
    assert cell(page, 0, "costUsd").data() == "0.5"


def test_an_invalid_value_is_rejected_with_a_message(qtbot, page, document):
    type_into_cell(qtbot, page, cell(page, 0, "acceptedOutputRate"), "1.5")
    assert "must be between 0 and 1" in page.banner.text()
    assert "acceptedOutputRate" in page.banner.text()
    assert cell(page, 0, "acceptedOutputRate").data() == "0.84"
    assert document.undo_stack.count() == 0
    assert not page.model.setData(cell(page, 0, "route"), "Owned hardware")
    assert "not a trace route" in page.banner.text()
    assert not page.model.setData(cell(page, 0, "inputTokens"), "")
    assert "is required" in page.banner.text()


def test_route_and_batch_eligible_are_chosen_from_a_list(qtbot, page, document):
    index = cell(page, 0, "route")
    page.view.setCurrentIndex(index)
    page.view.edit(index)
    combo = page.view.findChild(QComboBox)
    assert combo is not None and combo.currentText() == "Managed frontier API"
    assert combo.findText("Dedicated endpoint") >= 0
    combo.setCurrentText("Dedicated endpoint")
    page.view.commitData(combo)
    page.view.closeEditor(combo, QAbstractItemDelegate.EndEditHint.NoHint)
    assert trace_store.read_cell(document.store, page.model.row_id(0), "route") == "Dedicated endpoint"
    assert page.model.setData(cell(page, 0, "batchEligible"), "yes")
    assert trace_store.read_cell(document.store, page.model.row_id(0), "batchEligible") is True
    assert cell(page, 0, "batchEligible").data() == "yes"


def test_a_read_only_document_cannot_be_edited(page, document):
    document.read_only_reason = "open elsewhere"
    page.refresh()
    assert not (page.model.flags(cell(page, 0, "costUsd")) & Qt.ItemFlag.ItemIsEditable)
    assert not page.import_button.isEnabled()
    assert not page.model.setData(cell(page, 0, "costUsd"), "0.1")


# ---- deleting ------------------------------------------------------------------------------------------

def test_deleting_selected_rows_is_undoable(qtbot, page, document):
    select(page, 0, "route", 1, "model")
    assert page.delete_rows_button.isEnabled()
    page.view.setFocus()
    qtbot.keyClick(page.view, Qt.Key.Key_Delete)
    settle(page)
    # the sample has 3 template + 5 illustrative rows; rows 0 and 1 are deleted
    assert page.model.rowCount() == 6 and document.store.trace_count() == 6
    assert page.count_label.text() == "6 rows"
    document.undo_stack.undo()
    settle(page)
    assert page.model.rowCount() == 8


def test_deleting_a_whole_import_is_undoable(qtbot, page, document):
    page.select_import(1)
    assert "playbook template rows" in page.details.toPlainText()
    page.delete_import_button.click()
    settle(page)
    assert page.model.rowCount() == 0 and document.store.imports() == []
    assert page.imports_table.rowCount() == 0
    document.undo_stack.undo()
    settle(page)
    assert page.model.rowCount() == 8 and page.imports_table.rowCount() == 1
    document.undo_stack.redo()
    settle(page)
    assert page.model.rowCount() == 0


# ---- copy, filter, sort --------------------------------------------------------------------------------

def test_copy_the_selection_as_tab_separated_text(qtbot, page):
    select(page, 0, "provider", 1, "workload")
    page.view.setFocus()
    qtbot.keyClick(page.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == (
        "provider\tmodel\tworkload\n"
        "OpenAI\tfrontier-reasoning-model-id\tcoding-agent-maintenance\n"
        "Together AI\topen-weight-model-id\tinvoice-review\n")
    select(page, 2, "costUsd", 2, "costUsd")
    page.copy_button.click()
    assert QGuiApplication.clipboard().text() == "0.032"


def test_filters_by_provider_and_by_import(qtbot, page, document):
    combo = page.filter_combos["provider"]
    combo.load_choices()
    assert [combo.itemText(i) for i in range(combo.count())] == ["All", "Fireworks", "OpenAI", "Together AI"]
    page.set_filter("provider", "OpenAI")
    settle(page)
    # OpenAI: template row #1 and illustrative rows #4, #6 and #7 (desktop/domain/sample.py)
    assert page.model.rowCount() == 4 and "(filtered)" in page.count_label.text()
    assert cell(page, 0, "provider").data() == "OpenAI"
    page.clear_filters()
    settle(page)
    assert page.model.rowCount() == 8
    page.select_import(1)
    page.show_import_button.click()
    settle(page)
    assert page.model.filters == {"import": "1"} and page.model.rowCount() == 8


def test_clicking_a_header_sorts(qtbot, page):
    header = page.view.horizontalHeader()
    column = page.model.column_of("costUsd")
    page.view.scrollTo(cell(page, 0, "costUsd"))
    position = QPoint(header.sectionViewportPosition(column) + 10, header.height() // 2)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=position)
    settle(page)
    first = [cell(page, r, "costUsd").data() for r in range(3)]
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=position)
    settle(page)
    second = [cell(page, r, "costUsd").data() for r in range(3)]
    # cheapest: illustrative #8 0.0005241, #5 0.0048804, #7 0.0069675; dearest: the template's 0.215, 0.046, 0.032
    assert sorted([first, second]) == [["0.0005241", "0.0048804", "0.0069675"], ["0.215", "0.046", "0.032"]]


# ---- provenance, templates -----------------------------------------------------------------------------

def test_provenance_of_an_import_is_shown(page, document):
    with document.store.transaction():
        import_id = document.store.add_import(
            source="bench.csv", format="csv", sha256="ab" * 32, size=1234, rows_read=5, rows_imported=3,
            rows_rejected=2, original=b"bytes", details={
                "mapping": {"TTFT (ms)": "ttftMs"}, "droppedColumns": ["prompt"], "notes": ["TTFT (s) to ms"],
                "importedValidRowsOnly": True, "problemCount": 2, "keepOriginalLimitBytes": 50_000_000,
                "problems": [{"source": "bench.csv", "row": 4, "column": "TTFT (ms)", "value": "x",
                              "reason": "must be a number"}]})
    document.changed.emit("traces")
    page.select_import(import_id)
    text = page.details.toPlainText()
    for expected in ("bench.csv", "ab" * 32, "1,234 bytes", "5 read, 3 imported, 2 rejected", "valid rows only",
                     "TTFT (ms) → ttftMs", "prompt", "TTFT (s) to ms", "must be a number", "yes, in the workbook"):
        assert expected in text, expected
    assert page.save_original_button.isEnabled()


def test_save_the_kept_original_file(page, document, tmp_path, monkeypatch):
    with document.store.transaction():
        import_id = document.store.add_import(source="kept.csv", format="csv", sha256="cd" * 32, size=5,
                                              rows_read=0, rows_imported=0, rows_rejected=0, original=b"a,b\n")
    page.refresh()
    page.select_import(import_id)
    target = tmp_path / "out.csv"
    monkeypatch.setattr(traces, "ask_save_path", lambda *args: target)
    assert page.save_original() == target and target.read_bytes() == b"a,b\n"


def test_templates_are_written_from_the_page(page, tmp_path, monkeypatch):
    pytest.importorskip("desktop.importers.templates")
    for kind, name in (("csv", "t.csv"), ("xlsx", "t.xlsx"), ("schema", "t.json"), ("runbook", "t.md")):
        monkeypatch.setattr(traces, "ask_save_path", lambda *args, n=name: tmp_path / n)
        assert page.on_template(kind) == tmp_path / name
        assert (tmp_path / name).stat().st_size > 0
    assert "Wrote" in page.info.text()


def test_import_button_opens_the_dialog(qtbot, page):
    dialog = page.on_import()
    assert dialog is not None and dialog.isVisible() and dialog.stage == "options"
    dialog.reject()


# ---- the Utilization proof panel -----------------------------------------------------------------------

def trace_figures(qtbot, document):
    """The Utilization proof's trace facts once the background count has landed (desktop.ui.trace_summary)."""
    from desktop.ui.trace_summary import trace_summary_state

    qtbot.waitUntil(lambda: trace_summary_state(document).current() is not None, timeout=30_000)
    return {f.label: f.value for f in gate_facts.gate_facts("utilization-proof", document)}


def test_utilization_proof_facts_come_from_the_traces(qtbot, page, document):
    assert trace_facts.utilization_facts in gate_facts.providers_for("utilization-proof")
    facts = trace_figures(qtbot, document)
    # the sample's Managed frontier API rows, tokens/s per stream x concurrency x acceptance: template #1
    # 48 x 4 x 0.84 = 161.28; illustrative #4 52 x 1 x 0.84 = 43.68, #6 64 x 16 x 0.80 = 819.2, #7 60 x 8 x 0.82 = 393.6
    value = facts["Accepted output tokens/s from traces, Managed frontier API"]
    assert value.startswith("819 tokens/s at concurrency 16")
    assert facts["Concurrency from traces, Managed frontier API"] == "configured 1 to 16"
    row_6 = next(r for r in range(page.model.rowCount()) if page.model.row_id(r) == 6)
    page.model.setData(cell(page, row_6, "acceptedOutputRate"), "0.5")  # 64 x 16 x 0.5 = 512, still the highest
    facts = trace_figures(qtbot, document)
    assert facts["Accepted output tokens/s from traces, Managed frontier API"].startswith("512 tokens/s")
    page.select_import(1)
    page.delete_import_button.click()
    assert not [label for label in trace_figures(qtbot, document) if "from traces" in label]
