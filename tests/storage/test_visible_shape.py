"""The visible rows' (count, highest id) is counted once and remembered until something may change which rows
are visible: a write on the store's connection (trace rows, imports, anything storage does not know leaves the
rows alone), a rollback, or another connection's commit. A write the store knows leaves the rows alone (the
document's parts such as a score or the context, meta) does not make it count again."""

from __future__ import annotations

import pytest

from desktop.resources import playbook
from desktop.storage import trace_store


@pytest.fixture
def store(sample_store):
    return sample_store


def counts(store) -> list[str]:
    """The statements that count rows while `visible_shape` answers."""
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    try:
        shape = store.visible_shape()
    finally:
        store.conn.set_trace_callback(None)
    counted = [sql for sql in statements if "count(*)" in sql]
    return shape, counted


def test_an_edit_of_other_parts_does_not_count_again(store):
    assert counts(store)[0] == (8, 8)
    with store.transaction():
        store.set_meta("somethingElse", "1")
        store.write_document(store.load(playbook()))
    assert counts(store) == ((8, 8), [])


def test_a_row_switched_off_is_counted_again(store):
    store.visible_shape()
    with store.transaction():
        trace_store.set_rows_active(store, [8], False)
    shape, counted = counts(store)
    assert shape == (7, 7) and counted


def test_an_import_switched_off_is_counted_again(store):
    store.visible_shape()
    with store.transaction():
        trace_store.set_imports_active(store, trace_store.import_ids(store), False)
    assert counts(store)[0] == (0, 0)


def test_a_rolled_back_change_is_counted_again(store):
    with pytest.raises(RuntimeError), store.transaction():
        trace_store.set_rows_active(store, [1, 2], False)
        assert store.visible_shape() == (6, 8)
        raise RuntimeError("cancelled")
    shape, counted = counts(store)
    assert shape == (8, 8) and counted


def test_another_connections_commit_is_counted_again(store):
    store.visible_shape()
    other = trace_store.open_worker_connection(store.path)
    try:
        with other.transaction():
            trace_store.set_rows_active(other, [3], False)
    finally:
        other.close()
    shape, counted = counts(store)
    assert shape == (7, 8) and counted


def test_a_write_storage_does_not_know_is_counted_again(store):
    store.visible_shape()
    with store.transaction():
        store.conn.execute("UPDATE traces SET active = 0 WHERE id = 8")  # not through the storage functions
    shape, counted = counts(store)
    assert shape == (7, 7) and counted


def test_the_rows_hash_this_app_computed_lasts_as_long_as_the_rows(store):
    from desktop.storage import trace_hash

    sha, count = trace_hash.compute_traces_hash(store)
    assert store.known_rows_hash() == (sha, count) and count == 8
    with store.transaction():
        store.write_document(store.load(playbook()))
    assert store.known_rows_hash() == (sha, count)
    with store.transaction():
        trace_store.set_rows_active(store, [8], False)
    assert store.known_rows_hash() is None


def test_reading_the_rows_for_the_economics_counts_them(store):
    from desktop.storage.trace_frame import read_trace_frame

    with store.transaction():
        trace_store.set_rows_active(store, [8], False)
    frame = read_trace_frame(store)
    shape, counted = counts(store)
    assert shape == (frame.height, 7) == (7, 7) and counted == []


# -- between commands: remembered for each version of the file ----------------------------------------------

def _reopened(store):
    from desktop.storage.workbook_file import open_store

    path = store.path
    store.close()
    return open_store(path, writable=True)


def test_the_next_command_on_the_same_file_does_not_count_again(store):
    """A count is remembered for the file version it counted (user cache): a five-million-row `ipw info` spent
    0.6 s of its 0.7 s on it."""
    assert counts(store)[0] == (8, 8)
    again = _reopened(store)
    try:
        assert counts(again) == ((8, 8), [])
    finally:
        again.close()


def test_what_this_app_wrote_is_known_to_the_next_command(store):
    with store.transaction():
        trace_store.set_rows_active(store, [8], False)
    assert store.visible_shape() == (7, 7)  # counted inside this store, after its own write
    again = _reopened(store)  # closing remembers it for the version the write made
    try:
        assert counts(again) == ((7, 7), [])
    finally:
        again.close()


def test_a_remembered_count_never_describes_other_bytes(store):
    """Another tool's write makes a new version of the file: what was remembered for the old one is not used,
    even when that tool puts the file's modification time back."""
    import os
    import sqlite3

    store.visible_shape()
    path = store.path
    store.close()
    before = path.stat()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE traces SET active = 0 WHERE id = 8")
    conn.commit()
    conn.close()
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    from desktop.storage.workbook_file import open_store

    again = open_store(path, writable=False)
    try:
        shape, counted = counts(again)
        assert shape == (7, 7) and counted
    finally:
        again.close()


def test_a_planted_cache_entry_of_the_wrong_shape_is_ignored(store):
    from desktop.storage import derived_cache, file_versions

    version = file_versions.file_identity(store.path)
    try:
        for planted in (["7", 7], [7], [-1, 7], [True, 8], "7,7", None):
            derived_cache.put(file_versions.SHAPE_KIND, version, planted)
            store = _reopened(store)
            shape, counted = counts(store)
            assert shape == (8, 8) and counted
            # the count just made replaced the planted entry under the same version: the entry was consulted
            assert file_versions.remembered_shape(version) == (8, 8)
    finally:
        store.close()
