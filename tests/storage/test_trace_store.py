import polars as pl
import pytest

from desktop.domain.errors import FieldError
from desktop.domain.progress import Cancelled, NoProgress
from desktop.domain.sample import sample_traces
from desktop.resources import playbook
from desktop.storage import trace_store
from desktop.storage.schema import TRACE_INSERT_COLUMNS
from desktop.storage.workbook_file import trace_row_values


@pytest.fixture
def store(sample_store):
    return sample_store


def _stage(store, active):
    rows = _frame([trace_row_values(r) for r in sample_traces(playbook())])
    with store.transaction():
        return trace_store.stage_import(store, source="x.csv", format="csv", sha256="ab" * 32, size=10,
                                        rows_read=3, rows_rejected=0, rows=rows, details={},
                                        original=b"bytes", active=active)


def _frame(rows):
    return pl.DataFrame(rows, schema=list(TRACE_INSERT_COLUMNS), orient="row", infer_schema_length=None)


SAMPLE_ROWS = 3 + 5  # the sample: the playbook's three template rows and five illustrative rows


def test_staged_import_is_invisible_until_switched_on(store):
    import_id = _stage(store, active=False)
    assert store.trace_count() == SAMPLE_ROWS
    with store.transaction():
        trace_store.set_imports_active(store, [import_id], True)
    assert store.trace_count() == 2 * SAMPLE_ROWS
    assert [i["importId"] for i in store.imports()] == [1, import_id]
    assert store.imports()[1]["originalKept"] is True
    with store.transaction():
        trace_store.set_imports_active(store, [import_id], False)
        trace_store.purge_inactive(store)
    assert store.trace_count() == SAMPLE_ROWS
    assert store.conn.execute("SELECT count(*) FROM traces").fetchone()[0] == SAMPLE_ROWS


class CancelAtOnce(NoProgress):
    def cancelled(self) -> bool:
        return True


def test_cancelled_staging_rolls_back(store):
    rows = _frame([trace_row_values(r) for r in sample_traces(playbook())] * 40_000)
    with pytest.raises(Cancelled):
        with store.transaction():
            trace_store.stage_import(store, source="big.csv", format="csv", sha256="cd" * 32, size=1,
                                     rows_read=rows.height, rows_rejected=0, rows=rows,
                                     details={}, original=None, active=True, progress=CancelAtOnce())
    assert store.trace_count() == SAMPLE_ROWS
    assert len(store.imports()) == 1


def test_cell_edit_keeps_the_imported_value(store):
    aliases = playbook().trace_route_aliases()
    value = trace_store.validate_cell("costUsd", "0.5", aliases)
    with store.transaction():
        trace_store.write_cell(store, 1, "costUsd", value)
    assert trace_store.read_cell(store, 1, "costUsd") == 0.5
    assert trace_store.edited_fields(store, 1)["costUsd"]["imported"] == 0.215
    with store.transaction():
        trace_store.write_cell(store, 1, "costUsd", 0.215)
    assert trace_store.edited_fields(store, 1) == {}
    with pytest.raises(FieldError):
        trace_store.validate_cell("acceptedOutputRate", "1.5", aliases)
    with pytest.raises(FieldError):
        trace_store.validate_cell("route", "Owned hardware", aliases)


def test_queries_for_the_table(store):
    ids = trace_store.ordered_ids(store, sort_field="costUsd", descending=True)
    # template rows 0.215, 0.046, 0.032; illustrative #4 0.01730875, #6 0.01186375, #7 0.0069675,
    # #5 0.0048804, #8 0.0005241 (desktop/domain/sample.py)
    assert ids.tolist() == [1, 2, 3, 4, 6, 7, 5, 8]
    assert trace_store.ordered_ids(store, filters={"workload": "invoice-review"}).tolist() == [2, 6]
    assert trace_store.distinct_values(store, "provider") == ["Fireworks", "OpenAI", "Together AI"]
    rows = trace_store.fetch_rows(store, [3, 1])
    assert rows[3][3] == "Fireworks" and rows[1][3] == "OpenAI"
    with store.transaction():
        trace_store.set_rows_active(store, [2], False)
    assert trace_store.ordered_ids(store).tolist() == [1, 3, 4, 5, 6, 7, 8]
