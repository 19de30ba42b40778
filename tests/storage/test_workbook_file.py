import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from desktop.domain.gates import set_item, set_verdict
from desktop.domain.sample import sample_traces, sample_workbook
from desktop.domain.workbook import GateStatus, ItemState, Workbook
from desktop.resources import playbook
from desktop.storage.errors import WorkbookFileError
from desktop.storage.schema import APPLICATION_ID, SCHEMA_VERSION, migrate
from desktop.storage.workbook_file import (check_is_workbook, create_workbook_file, open_store,
                                           remove_orphan_temps)


@pytest.fixture
def sample_file(tmp_path):
    path = tmp_path / "sample.ipwb"
    book = playbook()
    create_workbook_file(path, book, sample_workbook(book), sample_traces(book))
    return path


def test_round_trip_keeps_every_part(tmp_path):
    book = playbook()
    workbook = sample_workbook(book)
    gate = set_item(workbook.gates["demand-shape"], 2, ItemState(done=True, note="p95 agreed", owner="Ana"))
    workbook.gates["demand-shape"] = set_verdict(gate, GateStatus.PASSED, "histogram due next week")
    path = tmp_path / "w.ipwb"
    create_workbook_file(path, book, workbook, sample_traces(book))
    store = open_store(path, writable=False)
    loaded = store.load(book)
    assert loaded.context == workbook.context
    assert loaded.gates == workbook.gates
    assert loaded.scores == workbook.scores
    rows = list(store.iter_traces())
    store.close()
    # the playbook's three template rows, then the sample's five illustrative rows
    assert [r["provider"] for r in rows][:3] == ["OpenAI", "Together AI", "Fireworks"] and len(rows) == 3 + 5
    assert rows[1]["batchEligible"] is True
    assert rows[2]["latencyP95Ms"] == 8800.0


def test_file_is_marked_and_versioned(sample_file):
    conn = sqlite3.connect(sample_file)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


def test_new_refuses_existing_file(sample_file):
    before = sample_file.read_bytes()
    with pytest.raises(WorkbookFileError, match="already exists"):
        create_workbook_file(sample_file, playbook(), Workbook.empty(playbook()))
    assert sample_file.read_bytes() == before


def _make_v1_file(path: Path) -> None:
    book = playbook()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    migrate(conn, target=1)
    conn.execute("INSERT INTO parts VALUES ('context', ?)", (json.dumps({"title": "Old decision"}),))
    conn.execute("INSERT INTO parts VALUES ('scores', ?)",
                 (json.dumps([{"slug": d.slug, "score": 40, "note": "old"} for d in book.readiness]),))
    conn.execute("COMMIT")
    conn.close()


def test_migration_from_version_1(tmp_path):
    path = tmp_path / "old.ipwb"
    _make_v1_file(path)
    reader = open_store(path, writable=False)  # migrates an in-memory copy only
    assert reader.load(playbook()).context.title == "Old decision"
    reader.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 1
    writer = open_store(path, writable=True)
    workbook = writer.load(playbook())
    writer.close()
    assert workbook.scores["ops-ownership"].score == 40
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"audit", "scenarios", "exports"} <= tables


def test_failed_migration_leaves_file_unchanged(tmp_path, monkeypatch):
    path = tmp_path / "old.ipwb"
    _make_v1_file(path)
    before = path.read_bytes()
    from desktop.storage import schema

    def broken(conn):
        conn.execute("CREATE TABLE audit (x)")
        raise RuntimeError("power cut")
    monkeypatch.setattr(schema, "MIGRATIONS", (schema.MIGRATIONS[0], broken))
    with pytest.raises(RuntimeError):
        open_store(path, writable=True)
    assert path.read_bytes() == before


def test_audit_log_is_append_only(sample_file):
    store = open_store(sample_file, writable=True)
    with store.transaction():
        store.conn.execute("INSERT INTO audit (action, actor, at, detail, previous_hash, entry_hash) "
                           "VALUES ('sign', 'a', 't', '{}', '0', '1')")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        with store.transaction():
            store.conn.execute("DELETE FROM audit")
    store.close()


@pytest.mark.parametrize("content, message", [
    (b"", "is not a workbook"),
    (b"organisation,title\nA,B\n", "is not a workbook"),
    (b"PK\x03\x04" + b"\0" * 100, "is not a workbook"),
])
def test_non_workbook_files_are_refused(tmp_path, content, message):
    path = tmp_path / "x.ipwb"
    path.write_bytes(content)
    with pytest.raises(WorkbookFileError, match=message):
        open_store(path, writable=True)
    assert path.read_bytes() == content


def test_other_sqlite_database_is_refused(tmp_path):
    path = tmp_path / "other.ipwb"
    sqlite3.connect(path).execute("CREATE TABLE t (x)")
    with pytest.raises(WorkbookFileError, match="not a workbook"):
        check_is_workbook(path)


def test_corrupt_workbook_gives_clear_error(sample_file):
    data = bytearray(sample_file.read_bytes())
    page = 4096
    for offset in range(page, len(data), 97):  # scribble over everything after the header page
        data[offset] = 0xA5
    sample_file.write_bytes(bytes(data))
    before = sample_file.read_bytes()
    with pytest.raises(WorkbookFileError, match="damaged"):
        open_store(sample_file, writable=True)
    assert sample_file.read_bytes() == before


def test_newer_version_is_refused(sample_file):
    conn = sqlite3.connect(sample_file)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(WorkbookFileError, match="newer version"):
        open_store(sample_file, writable=True)


def test_missing_file(tmp_path):
    with pytest.raises(WorkbookFileError, match="no such file"):
        open_store(tmp_path / "nope.ipwb", writable=False)


def test_orphan_temp_files_are_removed(sample_file):
    orphan = sample_file.with_name(f".{sample_file.name}.abc123.tmp")
    orphan.write_bytes(b"half")
    assert remove_orphan_temps(sample_file) == 1
    assert not orphan.exists()


_CHILD = textwrap.dedent("""
    import sys, time
    from dataclasses import replace
    from pathlib import Path
    from desktop.resources import playbook
    from desktop.storage.workbook_file import open_store, trace_row_values, copy_database
    from desktop.domain.sample import sample_traces
    path, mode = Path(sys.argv[1]), sys.argv[2]
    rows = [trace_row_values(r) for r in sample_traces(playbook())] * 2000
    store = open_store(path, writable=True)
    round_ = 0
    print("ready", flush=True)
    while True:
        round_ += 1
        if mode == "transaction":
            with store.transaction():
                workbook = store.load(playbook())
                workbook.context = replace(workbook.context, title=f"round {round_}")
                store.write_document(workbook)
                store.add_traces(1, rows)
        else:
            copy_database(store.conn, path, replace=True)
""")


@pytest.mark.parametrize("mode", ["transaction", "save-copy"])
def test_kill_during_save_leaves_a_workbook_that_opens(sample_file, mode):
    rng = random.Random(7)
    for _ in range(6):
        child = subprocess.Popen([sys.executable, "-c", _CHILD, str(sample_file), mode],
                                 stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": os.getcwd()})
        assert child.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.05, 0.6))
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        check_is_workbook(sample_file)  # opens and passes quick_check
        store = open_store(sample_file, writable=True)  # also rolls back a hot journal
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        title = store.load(playbook()).context.title
        count = store.trace_count()
        store.close()
        if title.startswith("round "):  # title and rows are written in one transaction
            sample_rows = len(sample_traces(playbook()))  # each round adds the sample's rows x 2000
            assert (count - sample_rows) % (2000 * sample_rows) == 0
        remove_orphan_temps(sample_file)
