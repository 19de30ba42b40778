"""An import leaves the trace hash record computed from the rows it stores (no read-back), and it equals the
hash of the stored rows read back (the row-dict reference and the column-wise refresh)."""

import json
import math
import random
from pathlib import Path

import polars as pl
import pytest

from desktop.domain.sample import sample_traces, sample_workbook
from desktop.domain.trace import FIELD_NAMES, FIELDS_BY_NAME, Kind
from desktop.exports.content import traces_content_hash
from desktop.resources import playbook
from desktop.services.imports import ImportOptions, ImportRefused, run_parse, run_store
from desktop.storage import trace_hash, trace_store
from desktop.storage.schema import TRACE_INSERT_COLUMNS
from desktop.storage.workbook_file import create_workbook_file, open_store
from tests.importers.test_import_real_outputs import USER
from tests.storage.test_trace_hash import ODD_TEXTS, _random_row

# Files the tools write that are refused as trace imports (tests/importers checks their messages).
NOT_RESULTS = {"profile_export.json", "benchmarks.csv"}  # perf_analyzer raw export; GuideLLM CSV tables
REAL_FILES = Path(__file__).parents[1] / "fixtures" / "importers" / "real"


def _workbook(tmp_path, traces=None):
    book = playbook()
    path = tmp_path / "w.ipwb"
    create_workbook_file(path, book, sample_workbook(book), sample_traces(book) if traces is None else traces)
    return open_store(path, writable=True)


def _frame(rows, extras=None, categorical=False):
    columns = {}
    for name in FIELD_NAMES:
        kind = FIELDS_BY_NAME[name].kind
        values = [row[name] for row in rows]
        if kind is Kind.BOOLEAN:
            columns[name] = pl.Series(name, [None if v is None else bool(v) for v in values], dtype=pl.Boolean)
        elif kind in (Kind.ROUTE, Kind.TEXT):
            columns[name] = pl.Series(name, values, dtype=pl.Categorical if categorical else pl.String)
        else:
            columns[name] = pl.Series(name, values, dtype=pl.Float64)
    columns["extras"] = pl.Series("extras", [(extras or {}).get(i) for i in range(len(rows))], dtype=pl.String)
    columns["defaulted"] = pl.Series("defaulted", [None] * len(rows), dtype=pl.String)
    return pl.DataFrame(columns).select(list(TRACE_INSERT_COLUMNS))


def _stage(store, frame, active=True):
    with store.transaction():
        return trace_stage(store, frame, active)


def trace_stage(store, frame, active):
    return trace_store.stage_import(store, source="t.csv", format="csv", sha256="0" * 64, size=1,
                                    rows_read=frame.height, rows_rejected=0, rows=frame, details={}, original=None,
                                    active=active)


def _record_equals_the_stored_rows(store):
    record = trace_hash.stored_traces_hash(store)
    reference = traces_content_hash(store.iter_traces())
    assert record == (reference, store.trace_count())
    assert trace_hash.compute_traces_hash(store) == record


@pytest.mark.parametrize("categorical", [False, True])
def test_the_record_of_an_import_of_odd_values_is_the_stored_rows_hash(tmp_path, categorical):
    rng = random.Random(9)
    rows = [_random_row(rng) for _ in range(3000)]
    extras = {7: json.dumps({"p99LatencyMs": 812.5}), 2999: json.dumps({"note": 'Zürich "q"'})}
    store = _workbook(tmp_path)
    _stage(store, _frame(rows, extras, categorical))
    _record_equals_the_stored_rows(store)
    assert store.trace_count() == 8 + 3000


def test_an_import_of_usual_values_hashes_column_wise_to_the_same_bytes(tmp_path):
    rng = random.Random(4)
    rows = [_random_row(rng) for _ in range(300_000)]
    for row in rows:  # values polars writes as Python does: the CSV-joined fast path for every slice
        for name in FIELD_NAMES:
            kind = FIELDS_BY_NAME[name].kind
            if kind in (Kind.ROUTE, Kind.TEXT):
                row[name] = "Managed frontier API" if row[name] in ODD_TEXTS else row[name]
            elif kind is not Kind.BOOLEAN and row[name] is not None:
                row[name] = round(rng.random() * 5000, rng.randint(0, 4)) + 1
    store = _workbook(tmp_path)
    _stage(store, _frame(rows))
    _record_equals_the_stored_rows(store)


def test_the_record_is_written_in_the_import_transaction(tmp_path, monkeypatch):
    store = _workbook(tmp_path)
    refreshes = []
    monkeypatch.setattr(trace_hash, "compute_traces_hash", lambda s: refreshes.append(s))
    _stage(store, _frame([_random_row(random.Random(i)) for i in range(40)]))
    assert trace_hash.stored_traces_hash(store) is not None and refreshes == []


def test_after_an_import_describing_the_rows_needs_no_pass_over_the_table(tmp_path):
    """The import knows how many rows are visible and the highest id: the record is checked against that, with
    no count over the table, and it is what a count over the table says (two sources in one transaction too)."""
    store = _workbook(tmp_path)
    with store.transaction():
        trace_stage(store, _frame([_random_row(random.Random(i)) for i in range(30)]), True)
        trace_stage(store, _frame([_random_row(random.Random(100 + i)) for i in range(50)]), True)
    statements = []
    store.conn.set_trace_callback(statements.append)
    record = trace_hash.stored_traces_hash(store)
    store.conn.set_trace_callback(None)
    assert record is not None and record[1] == 88  # 8 sample rows + 30 + 50
    assert not [sql for sql in statements if "FROM traces" in sql]
    counted = store.conn.execute("SELECT count(*), max(id) FROM traces WHERE active = 1").fetchone()
    assert store.visible_shape() == tuple(counted) == (88, 88)
    _record_equals_the_stored_rows(store)


def test_a_value_storage_changes_leaves_the_record_to_the_refresh(tmp_path):
    rows = [_random_row(random.Random(i)) for i in range(30)]
    rows[12]["costUsd"] = math.nan  # SQLite stores NaN as NULL: the frame's bytes would not be the stored ones
    store = _workbook(tmp_path)
    _stage(store, _frame(rows))
    assert trace_hash.stored_traces_hash(store) is None
    sha, count = trace_hash.refresh_traces_hash(store)
    assert (sha, count) == (traces_content_hash(store.iter_traces()), 38)


def test_more_rows_already_there_than_coming_in_leaves_the_record_to_the_refresh(tmp_path):
    store = _workbook(tmp_path)
    _stage(store, _frame([_random_row(random.Random(i)) for i in range(3)]))  # 8 rows there, 3 coming in
    assert trace_hash.stored_traces_hash(store) is None
    assert trace_hash.refresh_traces_hash(store) == (traces_content_hash(store.iter_traces()), 11)


def test_an_import_staged_switched_off_leaves_no_record(tmp_path):
    store = _workbook(tmp_path)
    trace_hash.refresh_traces_hash(store)
    _stage(store, _frame([_random_row(random.Random(i)) for i in range(20)]), active=False)
    assert trace_hash.stored_traces_hash(store) is None  # the GUI switches it on later, which drops it anyway


def test_ids_below_the_rows_there_leave_the_record_to_the_refresh(tmp_path, monkeypatch):
    store = _workbook(tmp_path)
    frame = _frame([_random_row(random.Random(i)) for i in range(20)])
    record = trace_hash.ImportHash.before_import(store, frame.height)
    monkeypatch.setattr(record, "_highest", 10 ** 9)  # as if the new rows' ids were not above the old ones
    with store.transaction():
        import_id = trace_stage(store, frame, True)
        store.traces_changed()
        assert not record.record_import(store, import_id, frame)
    assert trace_hash.stored_traces_hash(store) is None


@pytest.mark.parametrize("source", sorted(p for p in REAL_FILES.rglob("*") if p.suffix in (".json", ".jsonl", ".csv")
                                          and p.parent != REAL_FILES), ids=lambda p: str(p.relative_to(REAL_FILES)))
def test_the_record_of_a_real_tool_file_is_the_stored_rows_hash(tmp_path, source):
    for extra in ({}, {"model": "mock-llm"}, {"model": "mock-llm", "concurrency": "2"}):
        options = ImportOptions(set_values={**USER, **extra}, accept_warnings_reason="test")
        try:
            parsed = run_parse([source], options)
        except ImportRefused:
            continue
        if not parsed[0].problems and parsed[0].rows_valid:
            break
    else:
        assert source.name in NOT_RESULTS
        return
    store = _workbook(tmp_path, traces=[])
    with store.transaction():
        run_store(store, parsed, options)
    assert store.trace_count() == parsed[0].rows_valid > 0
    _record_equals_the_stored_rows(store)
