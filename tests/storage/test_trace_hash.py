"""The trace content hash: column-wise bytes equal the row-dict reference, and the record kept at write time."""

import json
import random
import sqlite3

import pytest

from desktop.domain.sample import sample_traces, sample_workbook
from desktop.domain.trace import FIELD_NAMES, FIELDS_BY_NAME, Kind
from desktop.exports.content import traces_content_hash
from desktop.resources import playbook
from desktop.storage import trace_hash, trace_store
from desktop.storage.trace_frame import frame_rows, read_exact_frame, read_trace_frame
from desktop.storage.workbook_file import create_workbook_file, open_store

# Values whose canonical text polars writes differently or JSON escapes: they must still hash the same.
ODD_NUMBERS = [0.0, -0.0, 1e-7, 3.9161900052816125e-05, 0.0001, 1e16, 1.2345678901234568e17, 123.0, 0.1, 2.5e-300,
               1.7976931348623157e308, -42.125, 7.0]
REQUIRED = {"inputTokens", "outputTokens", "concurrency"}  # NOT NULL in the schema
ODD_TEXTS = ["plain", 'say "hi"', "back\\slash", "tab\there", "e\u0301", "Zürich", "控制", "", "\x7f", "line\nend"]


def _random_row(rng: random.Random) -> dict:
    row = {}
    for name in FIELD_NAMES:
        kind = FIELDS_BY_NAME[name].kind
        if kind is Kind.BOOLEAN:
            row[name] = rng.choice([0, 1])
        elif kind in (Kind.ROUTE, Kind.TEXT):
            row[name] = rng.choice(ODD_TEXTS + ["Managed frontier API", "invoice-review"])
        else:
            values = [rng.random() * 10 ** rng.randint(-6, 6), rng.randint(0, 5000) * 1.0, rng.choice(ODD_NUMBERS)]
            row[name] = rng.choice(values + ([] if name in REQUIRED else [None]))
    return row


def _workbook_with(tmp_path, rows, extras=None):
    book = playbook()
    path = tmp_path / "w.ipwb"
    create_workbook_file(path, book, sample_workbook(book), sample_traces(book))
    conn = sqlite3.connect(path)
    columns = ", ".join(f'"{n}"' for n in FIELD_NAMES)
    conn.executemany(f"INSERT INTO traces (import_id, {columns}, extras) VALUES (1, {', '.join('?' * 17)})",
                     [(*(r[n] for n in FIELD_NAMES), (extras or {}).get(i)) for i, r in enumerate(rows)])
    conn.commit()
    conn.close()
    return open_store(path, writable=True)


def test_column_wise_hash_writes_the_row_dict_bytes(tmp_path):
    rng = random.Random(16)
    rows = [_random_row(rng) for _ in range(3000)]
    extras = {5: json.dumps({"p99LatencyMs": 1234.5}), 2900: json.dumps({"note": "Zürich \"q\""})}
    store = _workbook_with(tmp_path, rows, extras)
    frame = read_exact_frame(store)
    assert frame is not None and frame.height == 8 + 3000
    assert list(frame_rows(frame)) == list(store.iter_traces())
    assert trace_hash.frame_content_hash(frame) == traces_content_hash(store.iter_traces())
    assert trace_hash.compute_traces_hash(store) == (traces_content_hash(store.iter_traces()), 3008)


def test_a_cell_of_another_type_takes_the_row_path_and_reads_as_not_observed(tmp_path):
    rows = [_random_row(random.Random(i)) for i in range(50)]
    rows[40]["costUsd"] = "twelve dollars"  # text in a number column, as another tool might write it
    store = _workbook_with(tmp_path, rows)
    assert read_exact_frame(store) is None
    assert trace_hash.compute_traces_hash(store) == (traces_content_hash(store.iter_traces()), 58)
    economics = read_trace_frame(store)
    assert economics["costUsd"][8 + 40] is None  # as desktop.economics.metrics.as_number reads it


def test_the_record_is_dropped_by_every_write_and_kept_by_refresh(tmp_path):
    store = _workbook_with(tmp_path, [_random_row(random.Random(3)) for _ in range(20)])
    assert trace_hash.stored_traces_hash(store) is None
    sha, count = trace_hash.refresh_traces_hash(store)
    assert (sha, count) == (traces_content_hash(store.iter_traces()), 28)
    assert trace_hash.stored_traces_hash(store) == (sha, count)

    row_id = store.conn.execute("SELECT max(id) FROM traces").fetchone()[0]
    for change in (lambda: trace_store.write_cell(store, row_id, "costUsd", 0.25),
                   lambda: trace_store.set_rows_active(store, [row_id], False),
                   lambda: trace_store.set_imports_active(store, [1], False)):
        with store.transaction():
            change()
        assert trace_hash.stored_traces_hash(store) is None
        assert trace_hash.refresh_traces_hash(store) == (traces_content_hash(store.iter_traces()),
                                                         store.trace_count())


def test_a_record_that_no_longer_names_the_rows_is_not_used(tmp_path):
    store = _workbook_with(tmp_path, [_random_row(random.Random(4)) for _ in range(10)])
    trace_hash.refresh_traces_hash(store)
    store.conn.execute("DELETE FROM traces WHERE id = (SELECT max(id) FROM traces)")  # outside the app
    store.conn.commit()
    assert trace_hash.stored_traces_hash(store) is None
    assert trace_hash.current_traces_hash(store) == (traces_content_hash(store.iter_traces()), 17)


@pytest.mark.parametrize("record", ["not json", json.dumps({"sha256": "ab", "count": 1, "maxId": 1}), "[]"])
def test_a_damaged_record_is_ignored(tmp_path, record):
    store = _workbook_with(tmp_path, [])
    with store.transaction():
        store.set_meta(trace_hash.RECORD_KEY, record)
    assert trace_hash.current_traces_hash(store) == (traces_content_hash(store.iter_traces()), 8)
