import json
import os
from dataclasses import replace

from desktop.domain.sample import sample_traces, sample_workbook
from desktop.resources import playbook
from desktop.storage.working_copy import WorkingCopy, find_recoverable
from desktop.storage.workbook_file import create_workbook_file, open_store
from tests.storage.raw_rows import tripled_cost_log_beside


def _copy_of_sample(tmp_path):
    """A sample workbook file, its working copy, and the recovery folder the copy lives in."""
    origin = tmp_path / "w.ipwb"
    create_workbook_file(origin, playbook(), sample_workbook(playbook()), sample_traces(playbook()))
    recovery = tmp_path / "recovery"
    recovery.mkdir()
    return origin, recovery, WorkingCopy.of_file(origin, recovery)


def test_working_copy_saves_atomically_and_leaves_origin_alone_until_then(tmp_path):
    book = playbook()
    origin, recovery, copy = _copy_of_sample(tmp_path)
    workbook = copy.store.load(book)
    workbook.context = replace(workbook.context, title="Edited")
    with copy.store.transaction():
        copy.store.write_document(workbook)
    assert open_store(origin, writable=False).load(book).context.title != "Edited"
    copy.save_to(origin)
    assert open_store(origin, writable=False).load(book).context.title == "Edited"
    copy.discard()
    assert list(recovery.iterdir()) == []


def test_dirty_copy_of_a_dead_process_is_offered_for_recovery(tmp_path):
    book = playbook()
    recovery = tmp_path / "recovery"
    recovery.mkdir()
    dirty = WorkingCopy.new(book, sample_workbook(book), recovery)
    dirty.mark(dirty=True)
    clean = WorkingCopy.new(book, sample_workbook(book), recovery)
    dirty.store.close()
    clean.store.close()
    for copy in (dirty, clean):  # pretend their process died
        data = json.loads(copy.sidecar.read_text())
        data["pid"] = 2 ** 22 + 12345
        copy.sidecar.write_text(json.dumps(data))
    found = find_recoverable(recovery)
    assert [c.database for c in found] == [dirty.database]
    assert not clean.database.exists()  # nothing to recover: cleaned up


def test_copy_of_a_running_process_is_not_offered(tmp_path):
    book = playbook()
    recovery = tmp_path / "recovery"
    recovery.mkdir()
    copy = WorkingCopy.new(book, sample_workbook(book), recovery)
    copy.mark(dirty=True)
    data = json.loads(copy.sidecar.read_text())
    data["pid"] = os.getppid()
    copy.sidecar.write_text(json.dumps(data))
    assert find_recoverable(recovery) == []
    copy.discard()


def test_saved_file_leaves_out_switched_off_rows_but_the_copy_keeps_them(tmp_path):
    from desktop.storage import trace_store

    origin, _recovery, copy = _copy_of_sample(tmp_path)
    with copy.store.transaction():
        trace_store.set_rows_active(copy.store, [2], False)
    copy.save_to(origin)
    saved = open_store(origin, writable=False)
    sample_rows = 3 + 5  # the playbook's three template rows and five illustrative rows
    assert saved.conn.execute("SELECT count(*) FROM traces").fetchone()[0] == sample_rows - 1
    saved.close()
    with copy.store.transaction():  # undo in the app still finds the row
        trace_store.set_rows_active(copy.store, [2], True)
    assert copy.store.trace_count() == sample_rows
    copy.discard()


def test_the_copy_of_a_file_whose_rows_this_app_hashed_knows_their_hash(tmp_path):
    """Opening a workbook this app hashed (it wrote it, or described it before) gives a working copy whose rows'
    hash is known without a pass over them; a file nobody here hashed gives a copy that must be hashed."""
    from desktop.storage import trace_hash
    from desktop.storage.file_versions import remembered_rows_hash

    path = tmp_path / "w.ipwb"
    create_workbook_file(path, playbook(), sample_workbook(playbook()), sample_traces(playbook()))
    (tmp_path / "recovery").mkdir()
    copy = WorkingCopy.of_file(path, tmp_path / "recovery")
    assert remembered_rows_hash(copy.database) is None
    copy.discard()
    store = open_store(path, writable=False)
    expected = trace_hash.rows_hash(store)  # computed once, remembered for this version of the file
    store.close()
    copy = WorkingCopy.of_file(path, tmp_path / "recovery")
    assert remembered_rows_hash(copy.database) == expected
    assert trace_hash.known_rows_hash(copy.store) == expected
    copy.discard()


def test_save_over_a_file_with_a_stale_log_beside_it_is_read_as_saved(tmp_path):
    """The saved workbook is what the window showed: before, the log left beside the file was laid over the new
    file on its next open (row 1 read three times its cost, in a file that said nothing changed)."""
    import sqlite3

    book = playbook()
    origin, recovery, copy = _copy_of_sample(tmp_path)
    cost = copy.store.conn.execute("SELECT costUsd FROM traces WHERE id = 1").fetchone()[0]
    workbook = copy.store.load(book)
    workbook.context = replace(workbook.context, title="Edited")
    with copy.store.transaction():
        copy.store.write_document(workbook)
    tripled_cost_log_beside(origin, tmp_path)
    copy.save_to(origin)
    copy.discard()
    conn = sqlite3.connect(f"file:{origin}?mode=ro", uri=True)
    try:
        assert conn.execute("SELECT costUsd FROM traces WHERE id = 1").fetchone()[0] == cost
        assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    assert not origin.with_name(origin.name + "-wal").exists()
    assert open_store(origin, writable=False).load(book).context.title == "Edited"


def test_a_new_file_never_takes_a_log_left_under_its_name(tmp_path):
    from desktop.storage.workbook_file import check_is_workbook

    book = playbook()
    old, reference = tmp_path / "old.ipwb", tmp_path / "reference.ipwb"
    for path in (old, reference):
        create_workbook_file(path, book, sample_workbook(book), sample_traces(book))
    tripled_cost_log_beside(old, tmp_path)
    old.unlink()  # the file went; its log stayed
    create_workbook_file(old, book, sample_workbook(book), sample_traces(book))
    check_is_workbook(old)
    costs = []
    for path in (old, reference):
        store = open_store(path, writable=False)
        try:
            costs.append(store.conn.execute("SELECT costUsd FROM traces WHERE id = 1").fetchone()[0])
        finally:
            store.close()
    assert costs[0] == costs[1]
