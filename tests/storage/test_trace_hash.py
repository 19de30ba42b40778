"""The trace content hash: column-wise bytes equal the row-dict reference, and the record kept at write time."""

import json
import random
import sqlite3
import sys

import pytest

from desktop.exports.content import traces_content_hash
from desktop.storage import trace_hash, trace_store
from desktop.storage.errors import DamagedTracesError
from desktop.storage.trace_frame import frame_rows, read_exact_frame, read_trace_frame
from desktop.storage.workbook_file import open_store
from tests.storage.raw_rows import random_row, workbook_with_raw_rows

# Values whose canonical text polars writes differently or JSON escapes: they must still hash the same.
ODD_NUMBERS = [0.0, -0.0, 1e-7, 3.9161900052816125e-05, 0.0001, 1e16, 1.2345678901234568e17, 123.0, 0.1, 2.5e-300,
               1.7976931348623157e308, -42.125, 7.0]
ODD_TEXTS = ["plain", 'say "hi"', "back\\slash", "tab\there", "e\u0301", "Zürich", "控制", "", "\x7f", "line\nend"]


def _random_row(rng: random.Random) -> dict:
    return random_row(rng, numbers=ODD_NUMBERS,
                      texts=ODD_TEXTS + ["Managed frontier API", "invoice-review"])


def _workbook_with(tmp_path, rows, extras=None):
    return open_store(workbook_with_raw_rows(tmp_path, rows, extras), writable=True)


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


def test_parts_of_a_long_table_hash_as_one_whatever_path_each_part_takes(tmp_path, monkeypatch):
    rows = [_random_row(random.Random(i)) for i in range(700)]
    rows[350]["latencyP95Ms"] = "n/a"  # one part holds a cell of another type: that part goes row by row
    store = _workbook_with(tmp_path, rows)
    from desktop.storage import trace_frame

    real = trace_frame.iter_exact_parts
    parts = []

    def small_parts(store, rows=262_144):
        for part in real(store, rows=128):
            parts.append(part[0] is None)
            yield part

    monkeypatch.setattr(trace_frame, "iter_exact_parts", small_parts)
    assert trace_hash.compute_traces_hash(store) == (traces_content_hash(store.iter_traces()), 708)
    assert len(parts) == 6 and parts.count(True) == 1


def test_a_saved_working_copy_carries_a_current_record(tmp_path):
    from desktop.storage.working_copy import WorkingCopy

    store = _workbook_with(tmp_path, [_random_row(random.Random(9)) for _ in range(30)])
    store.close()
    (tmp_path / "recovery").mkdir()
    copy = WorkingCopy.of_file(tmp_path / "w.ipwb", tmp_path / "recovery")
    try:
        row_id = copy.store.conn.execute("SELECT max(id) FROM traces").fetchone()[0]
        with copy.store.transaction():
            trace_store.write_cell(copy.store, row_id, "reviewMinutes", 1.5)
        copy.save_to(tmp_path / "saved.ipwb")
    finally:
        copy.discard()
    saved = open_store(tmp_path / "saved.ipwb", writable=False)
    try:
        assert trace_hash.stored_traces_hash(saved) == (traces_content_hash(saved.iter_traces()), 38)
    finally:
        saved.close()


def test_a_file_without_a_record_is_hashed_once_per_version(tmp_path, monkeypatch):
    store = _workbook_with(tmp_path, [_random_row(random.Random(11)) for _ in range(12)])  # no record, as old files
    store.close()
    reader = open_store(tmp_path / "w.ipwb", writable=False)
    expected = (traces_content_hash(reader.iter_traces()), 20)
    computed = []
    real = trace_hash.compute_traces_hash
    monkeypatch.setattr(trace_hash, "compute_traces_hash", lambda s: computed.append(1) or real(s))
    assert trace_hash.current_traces_hash(reader) == expected
    assert trace_hash.current_traces_hash(reader) == expected
    assert computed == [1]  # the second answer came from the user's cache
    reader.close()
    conn = sqlite3.connect(tmp_path / "w.ipwb")
    conn.execute('UPDATE traces SET "reviewMinutes" = 9.5 WHERE id = 1')  # a new version of the file
    conn.commit()
    conn.close()
    reader = open_store(tmp_path / "w.ipwb", writable=False)
    try:
        assert trace_hash.current_traces_hash(reader) == (traces_content_hash(reader.iter_traces()), 20)
        assert computed == [1, 1]
    finally:
        reader.close()


def test_without_the_arrow_driver_the_rows_are_read_row_by_row_alike(tmp_path, monkeypatch):
    store = _workbook_with(tmp_path, [_random_row(random.Random(5)) for _ in range(40)])
    with_driver = (read_trace_frame(store), trace_hash.compute_traces_hash(store))
    monkeypatch.setitem(sys.modules, "adbc_driver_sqlite", None)  # as in an install or bundle without it
    without = (read_trace_frame(store), trace_hash.compute_traces_hash(store))
    assert without[0].equals(with_driver[0]) and without[1] == with_driver[1]


ODD_CELLS = {  # column -> a value of another type than the column's, as SQL (or another tool) can store it
    "costUsd": "twelve dollars", "ttftMs": b"\x00\xff", "batchEligible": 0.5, "cacheHitRate": float("inf"),
    "route": b"Managed frontier API", "model": b"\xff\xfe",
}


@pytest.mark.parametrize("position", [3, 7_000], ids=["first batch", "past the first batch"])
@pytest.mark.parametrize("column", sorted(ODD_CELLS))
def test_a_cell_of_another_type_hashes_and_reads_as_the_checked_path_does(tmp_path, monkeypatch, column, position):
    rows = [_random_row(random.Random(i % 50)) for i in range(position + 10)]
    rows[position][column] = ODD_CELLS[column]
    store = _workbook_with(tmp_path, rows)

    def outcome():
        try:
            return trace_hash.compute_traces_hash(store)
        except DamagedTracesError:  # refused in one line (tests/cli/test_received_workbooks.py)
            return "refused"

    try:
        reference = (traces_content_hash(store.iter_traces()), len(rows) + 8)
    except (TypeError, ValueError):  # a blob or an infinity has no canonical form
        reference = "refused"
    def economics():
        try:
            return read_trace_frame(store)
        except DamagedTracesError:
            return None

    assert outcome() == reference
    fast = economics()
    from desktop.storage import trace_frame

    real_read = trace_frame._AdbcReader.read

    def checked_only(reader, query, schema, as_stored=False):  # the per-cell checked read only
        return None if as_stored else real_read(reader, query, schema)

    monkeypatch.setattr(trace_frame._AdbcReader, "read", checked_only)
    checked = economics()
    assert (fast is None and checked is None) or fast.equals(checked)
    assert (fast is None) == (ODD_CELLS[column] == b"\xff\xfe")  # only text that is not UTF-8 is refused
    assert outcome() == reference
