"""The trace table's model: Qt's model contract, and a million rows without a Python object per row."""

import sys
import tracemalloc

import numpy as np
import pytest
from PySide6.QtCore import QModelIndex, Qt

from desktop.domain.sample import sample_traces
from desktop.domain.trace import FIELD_NAMES
from desktop.resources import playbook
from desktop.storage import trace_store
from desktop.storage.workbook_file import trace_row_values
from desktop.ui import commands
from desktop.ui.document import Document
from desktop.ui.trace_model import EDITED_ROLE, IMPORT_COLUMN, ROW_ID_ROLE, TraceTableModel, format_value

MILLION = 1_000_000
SAMPLE_ROWS = 3 + 5  # the sample: the playbook's three template rows, then five illustrative rows
PROVIDERS = ("OpenAI", "Together AI", "Fireworks")  # the template rows' providers, in order


def synthetic_rows(count):
    """Row i: the template row i % 3 with inputTokens = i and costUsd = (i % 1000) / 1000."""
    base = [trace_row_values(r) for r in sample_traces(playbook())]
    cost, tokens = FIELD_NAMES.index("costUsd"), FIELD_NAMES.index("inputTokens")
    for i in range(count):
        row = list(base[i % 3])
        row[tokens] = float(i)
        row[cost] = (i % 1000) / 1000
        yield tuple(row)


def add_import(document, count, *, extras=False):
    store = document.store
    rows = synthetic_rows(count)
    if extras:
        rows = ((*r[:-2], '{"gpuUtilization": 0.5, "rack": "r1"}', r[-1]) for r in rows)
    with store.transaction():
        import_id = store.add_import(source=f"synthetic-{count}.csv", format="csv", sha256=f"{count:064d}",
                                     size=1, rows_read=count, rows_imported=count, rows_rejected=0)
        store.add_traces(import_id, rows)
    return import_id


@pytest.fixture(scope="module")
def big_document(qapp):
    document = Document.new(playbook(), sample=True)
    import_id = add_import(document, MILLION)
    document.big_import_id = import_id
    yield document
    document.close()


def make_model(document, **kwargs):
    model = TraceTableModel(background=False, **kwargs)
    model.set_document(document)
    return model


def column(model, name):
    return model.column_of(name)


# ---- the Qt model contract -----------------------------------------------------------------------------

def test_model_passes_the_model_tester(qtmodeltester, document):
    add_import(document, 40, extras=True)
    model = make_model(document)
    qtmodeltester.check(model)
    qtmodeltester.check(model, force_py=True)
    model.sort(column(model, "costUsd"), Qt.SortOrder.DescendingOrder)
    model.set_filters({"provider": "OpenAI"})
    assert model.setData(model.index(0, column(model, "costUsd")), "0.25")
    model.set_filters({})
    assert model.rowCount() == SAMPLE_ROWS + 40


def test_columns_are_the_import_the_sixteen_fields_then_extras(document):
    add_import(document, 5, extras=True)
    model = make_model(document)
    assert model.fields()[:17] == [IMPORT_COLUMN, *FIELD_NAMES]
    # extras in the order first seen: the sample's illustrative rows carry "provenance"
    assert model.fields()[17:] == ["provenance", "gpuUtilization", "rack"]
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Import"
    assert "ms" in model.headerData(column(model, "ttftMs"), Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    # the playbook's words in the header, the field name first in the tooltip
    assert model.headerData(column(model, "costUsd"), Qt.Orientation.Horizontal) == "Cost (USD)"
    assert model.headerData(column(model, "acceptedOutputRate"), Qt.Orientation.Horizontal) == "Accepted output rate"
    assert model.headerData(column(model, "costUsd"), Qt.Orientation.Horizontal,
                            Qt.ItemDataRole.ToolTipRole).startswith("costUsd")
    last = model.rowCount() - 1
    assert model.data(model.index(last, column(model, "rack"))) == "r1"
    assert model.headerData(last, Qt.Orientation.Vertical) == str(model.row_id(last))


def test_values_are_shown_as_an_officer_reads_them(document):
    model = make_model(document)
    first = model.index(0, column(model, "inputTokens"))
    assert model.data(first) == "6200"  # not 6200.0
    assert model.data(model.index(0, column(model, "batchEligible"))) == "no"
    assert model.data(model.index(0, column(model, "costUsd"))) == "0.215"
    assert (format_value(None), format_value(True), format_value(0.1), format_value(3e20)) == ("", "yes", "0.1",
                                                                                               "3e+20")
    assert model.data(first, Qt.ItemDataRole.TextAlignmentRole) & Qt.AlignmentFlag.AlignRight


def test_an_edit_is_validated_marked_and_undoable(document):
    model = make_model(document)
    cost = model.index(0, column(model, "costUsd"))
    row_id = model.data(cost, ROW_ID_ROLE)
    rejected = []
    model.editRejected.connect(rejected.append)
    assert not model.setData(model.index(0, column(model, "acceptedOutputRate")), "1.5")
    assert "between 0 and 1" in rejected[-1]
    assert document.undo_stack.count() == 0
    assert model.setData(cost, "0.5")
    assert trace_store.read_cell(document.store, row_id, "costUsd") == 0.5
    assert model.data(cost) == "0.5"
    assert model.data(cost, EDITED_ROLE) is True
    assert "imported value: 0.215" in model.data(cost, Qt.ItemDataRole.ToolTipRole)
    assert model.data(cost, Qt.ItemDataRole.BackgroundRole) is not None
    document.undo_stack.undo()
    assert model.data(cost) == "0.215"
    assert model.data(cost, EDITED_ROLE) is False
    document.undo_stack.redo()
    assert model.data(cost) == "0.5"


def test_a_cell_edit_repaints_the_row_without_reloading(document):
    model = make_model(document)
    resets, changed = [], []
    model.modelReset.connect(lambda: resets.append(1))
    model.dataChanged.connect(lambda a, b: changed.append((a.row(), b.row())))
    assert model.setData(model.index(1, column(model, "reviewMinutes")), "7")
    assert resets == [] and changed == [(1, 1)]
    document.undo_stack.push(commands.delete_rows(document, [model.row_id(0)]))
    assert resets == [1] and model.rowCount() == SAMPLE_ROWS - 1


# ---- a million rows --------------------------------------------------------------------------------------

def test_a_million_rows_count_and_the_last_row(big_document):
    model = make_model(big_document)
    assert model.rowCount() == MILLION + SAMPLE_ROWS
    last = model.rowCount() - 1
    assert model.data(model.index(last, column(model, "inputTokens"))) == str(MILLION - 1)
    assert model.data(model.index(last, column(model, "provider"))) == PROVIDERS[(MILLION - 1) % 3]
    assert model.data(model.index(last, column(model, IMPORT_COLUMN))) == str(big_document.big_import_id)
    assert model.data(model.index(0, column(model, "inputTokens"))) == "6200"  # the sample's first row


def test_a_million_rows_sort_and_filter(big_document):
    model = make_model(big_document)
    cost = column(model, "costUsd")
    model.sort(cost, Qt.SortOrder.DescendingOrder)
    top = [float(model.data(model.index(r, cost))) for r in range(50)]
    assert top == sorted(top, reverse=True) and top[0] == 0.999
    assert float(model.data(model.index(model.rowCount() - 1, cost))) == 0.0
    model.sort(column(model, "inputTokens"), Qt.SortOrder.AscendingOrder)
    assert model.data(model.index(0, column(model, "inputTokens"))) == "0"
    model.set_filters({"provider": "Fireworks"})
    # i % 3 == 2, plus the sample's three Fireworks rows (template #3, illustrative #5 and #8)
    assert model.rowCount() == MILLION // 3 + 3
    assert {model.data(model.index(r, column(model, "provider"))) for r in (0, 1, model.rowCount() - 1)} == \
        {"Fireworks"}
    model.set_filters({"import": str(big_document.big_import_id), "provider": "OpenAI"})
    assert model.rowCount() == (MILLION + 2) // 3
    model.set_filters({})
    model.sort(-1)
    assert model.rowCount() == MILLION + SAMPLE_ROWS


def test_a_million_rows_keep_memory_bounded(big_document):
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        model = make_model(big_document, block_size=500, max_blocks=40)
        provider = column(model, "provider")
        for row in np.linspace(0, model.rowCount() - 1, 400).astype(int):
            model.data(model.index(int(row), provider))
            model.data(model.index(int(row), provider), Qt.ItemDataRole.ToolTipRole)
        peak_held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # the id order is one int64 array; the cache holds at most 40 blocks of 500 rows
    assert isinstance(model._ids, np.ndarray) and model._ids.dtype == np.int64
    assert model.cache_rows() <= 500 * 40
    assert peak_held < 40 * 1024 * 1024, f"model holds {peak_held / 1e6:.0f} MB"
    for name, value in vars(model).items():
        if isinstance(value, (list, tuple, dict, set)):
            assert len(value) <= 1000, f"model.{name} holds {len(value)} items: a per-row Python container"
    assert sys.getsizeof(model._ids) < 9 * (MILLION + SAMPLE_ROWS)


def test_a_million_rows_load_in_the_background(qtbot, big_document):
    model = TraceTableModel(background=True)
    with qtbot.waitSignal(model.reloaded, timeout=60_000):
        model.set_document(big_document)
    assert model.rowCount() == MILLION + SAMPLE_ROWS and not model.loading
    # a newer query supersedes one still running; only the last one's order is applied
    model.sort(column(model, "costUsd"), Qt.SortOrder.AscendingOrder)
    model.sort(column(model, "costUsd"), Qt.SortOrder.DescendingOrder)
    assert model.loading
    model.wait_loaded()
    assert model.data(model.index(0, column(model, "costUsd"))) == "0.999"
    model.shutdown()


def test_the_model_tester_walks_several_cache_blocks(qtmodeltester, document):
    """Qt's C++ tester visits every index (on a million rows that takes minutes, so 5,000 rows here: ten
    blocks of the cache, evicted and fetched again)."""
    add_import(document, 5_000)
    model = make_model(document, block_size=500, max_blocks=4)
    qtmodeltester.check(model)
    model.sort(column(model, "provider"), Qt.SortOrder.DescendingOrder)
    model.set_filters({"workload": "invoice-review"})
    assert model.cache_rows() <= 500 * 4
    assert model.index(model.rowCount(), 0) == QModelIndex()
