"""The read-only questions the screens ask of a store (desktop.storage.trace_queries)."""

from __future__ import annotations

from desktop.domain.sample import sample_traces, sample_workbook
from desktop.resources import playbook
from desktop.storage import trace_queries
from desktop.storage.workbook_file import create_workbook_file, open_store


def _store(tmp_path, writable=True):
    path = tmp_path / "w.ipwb"
    create_workbook_file(path, playbook(), sample_workbook(playbook()), sample_traces(playbook()))
    return open_store(path, writable=writable)


def test_original_file_is_the_kept_copy_or_none(tmp_path):
    store = _store(tmp_path)
    try:
        with store.transaction():
            kept = store.add_import(source="kept.csv", format="csv", sha256="cd" * 32, size=5, rows_read=0,
                                    rows_imported=0, rows_rejected=0, original=b"a,b\n")
            not_kept = store.add_import(source="big.csv", format="csv", sha256="ef" * 32, size=5, rows_read=0,
                                        rows_imported=0, rows_rejected=0, original=None)
        assert trace_queries.original_file(store, kept) == b"a,b\n"
        assert trace_queries.original_file(store, not_kept) is None
        assert trace_queries.original_file(store, 9999) is None
    finally:
        store.close()


def test_change_marker_moves_with_a_write_and_is_closed_after_close(tmp_path):
    store = _store(tmp_path)
    before = trace_queries.change_marker(store)
    assert trace_queries.change_marker(store) == before
    with store.transaction():
        store.add_import(source="x.csv", format="csv", sha256="ab" * 32, size=1, rows_read=0, rows_imported=0,
                         rows_rejected=0, original=None)
    assert trace_queries.change_marker(store) != before
    assert not trace_queries.is_closed(store)
    store.close()
    assert trace_queries.is_closed(store)


def test_route_utilization_counts_the_visible_rows_per_route(tmp_path):
    store = _store(tmp_path)
    try:
        routes = trace_queries.route_utilization(store)
        rows = list(store.iter_traces())
        assert sum(r.rows for r in routes) == len(rows)
        assert [r.route for r in routes] == sorted({row["route"] for row in rows})
        for r in routes:
            mine = [row for row in rows if row["route"] == r.route]
            measured = [row["outputTokensPerSecond"] * row["concurrency"] * row["acceptedOutputRate"]
                        for row in mine if None not in (row["outputTokensPerSecond"], row["concurrency"],
                                                        row["acceptedOutputRate"])]
            assert r.measured_rows == len(measured)
            assert r.best_accepted_tps == (max(measured) if measured else None)
    finally:
        store.close()
