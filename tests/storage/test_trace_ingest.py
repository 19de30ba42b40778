import sqlite3
import tempfile
from pathlib import Path

import polars as pl
import pytest

from desktop.domain.progress import NoProgress
from desktop.domain.trace import FIELD_NAMES
from desktop.resources import playbook
from desktop.storage import trace_ingest
from desktop.storage.schema import TRACE_INSERT_COLUMNS
from desktop.storage.workbook_file import create_workbook_file, open_store
from desktop.domain.sample import sample_workbook

ROWS = trace_ingest.SMALL_ROWS + 1_234  # over the threshold: through the driver and the scratch file


@pytest.fixture
def store(tmp_path):
    book = playbook()
    path = tmp_path / "w.ipwb"
    create_workbook_file(path, book, sample_workbook(book), [])
    store = open_store(path, writable=True)
    yield store
    store.close()


def _rows(count: int) -> list[tuple]:
    """Rows in TRACE_INSERT_COLUMNS order with every kind of value: text beyond ASCII, nulls, booleans, JSON."""
    rows = []
    for i in range(count):
        rows.append((
            "Dedicated endpoint" if i % 2 else "Managed frontier API", "Fireworks", f"modèle-{i % 7}", "invoice-review",
            float(1000 + i), float(200 + i % 50), None if i % 3 else 0.25, bool(i % 2), float(1 + i % 8),
            None if i % 5 == 0 else 350.5, 4000.0, 9000.0 + i, None, 0.9, 0.001 * (i % 10), 2.0,
            '{"note": "réponse"}' if i % 4 == 0 else None, "cacheHitRate" if i % 3 else None))
    return rows


def _frame(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=list(TRACE_INSERT_COLUMNS), orient="row", infer_schema_length=None)


def _stored(store, import_id: int) -> list[tuple]:
    columns = ", ".join(f'"{c}"' for c in TRACE_INSERT_COLUMNS)
    return store.conn.execute(f"SELECT {columns} FROM traces WHERE import_id = ? ORDER BY id",
                              (import_id,)).fetchall()


def _new_import(store) -> int:
    return store.add_import(source="t.csv", format="csv", sha256="ab" * 32, size=1, rows_read=1, rows_imported=1,
                            rows_rejected=0)


def _as_stored(row: tuple) -> tuple:
    """What SQLite gives back: booleans as integers, every other value as written."""
    position = FIELD_NAMES.index("batchEligible")
    return (*row[:position], int(row[position]), *row[position + 1:])


class Counting(NoProgress):
    def __init__(self) -> None:
        self.done = 0

    def advance(self, n: int = 1) -> None:
        self.done += n


def test_a_large_frame_lands_value_for_value_in_frame_order(store):
    rows = _rows(ROWS)
    progress = Counting()
    with store.transaction():
        import_id = _new_import(store)
        written = trace_ingest.insert_trace_frame(store.conn, import_id, _frame(rows), active=True,
                                                  progress=progress)
    assert written == ROWS and progress.done == ROWS
    assert _stored(store, import_id) == [_as_stored(r) for r in rows]
    assert store.conn.execute("SELECT typeof(\"inputTokens\"), typeof(\"batchEligible\") FROM traces LIMIT 1"
                              ).fetchone() == ("real", "integer")


def test_a_small_frame_is_bound_directly_with_the_same_values(store):
    rows = _rows(10)
    with store.transaction():
        import_id = _new_import(store)
        trace_ingest.insert_trace_frame(store.conn, import_id, _frame(rows), active=True)
    assert _stored(store, import_id) == [_as_stored(r) for r in rows]


def test_a_rolled_back_ingest_leaves_no_rows_no_scratch_file_and_the_next_one_works(store, monkeypatch):
    folders = []
    real = tempfile.TemporaryDirectory

    def recording(*args, **kwargs):
        folder = real(*args, **kwargs)
        folders.append(Path(folder.name))
        return folder

    monkeypatch.setattr(trace_ingest.tempfile, "TemporaryDirectory", recording)
    with pytest.raises(RuntimeError):
        with store.transaction():
            import_id = _new_import(store)
            trace_ingest.insert_trace_frame(store.conn, import_id, _frame(_rows(ROWS)), active=True)
            raise RuntimeError("the officer's machine lost power here")
    assert store.conn.execute("SELECT count(*) FROM traces").fetchone()[0] == 0
    assert folders and not any(f.exists() for f in folders)
    with store.transaction():
        import_id = _new_import(store)
        trace_ingest.insert_trace_frame(store.conn, import_id, _frame(_rows(ROWS)), active=True)
    # the first scratch file was detached when the second ingest began; only the second is still attached
    attached = [name for _, name, _ in store.conn.execute("PRAGMA database_list")]
    assert attached == ["main", f"{trace_ingest.SCRATCH_PREFIX}{import_id}"]
    assert store.conn.execute("SELECT count(*) FROM traces").fetchone()[0] == ROWS


def test_more_sources_in_one_transaction_than_sqlite_can_attach_all_land(store):
    limit = store.conn.getlimit(sqlite3.SQLITE_LIMIT_ATTACHED)
    frame = _frame(_rows(ROWS))
    with store.transaction():
        ids = [_new_import(store) for _ in range(limit + 2)]
        for import_id in ids:
            trace_ingest.insert_trace_frame(store.conn, import_id, frame, active=True)
    counts = dict(store.conn.execute("SELECT import_id, count(*) FROM traces GROUP BY import_id").fetchall())
    assert counts == {import_id: ROWS for import_id in ids}


def test_without_the_driver_a_large_frame_lands_row_by_row_alike(store, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "adbc_driver_sqlite", None)  # an install or a bundle without it
    trace_ingest._driver_loads.cache_clear()
    try:
        rows = _rows(ROWS)
        with store.transaction():
            import_id = _new_import(store)
            assert trace_ingest.insert_trace_frame(store.conn, import_id, _frame(rows), active=True) == ROWS
        assert _stored(store, import_id) == [_as_stored(row) for row in rows]
    finally:
        trace_ingest._driver_loads.cache_clear()


def test_scratch_folders_of_killed_imports_are_swept_and_nothing_else(store, tmp_path, monkeypatch):
    import os
    import subprocess
    import sys

    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    # a process that wrote a scratch file and was killed before it could delete it (os._exit skips clean-up)
    killed = subprocess.run([sys.executable, "-c", (
        "import os, tempfile; folder = tempfile.mkdtemp(prefix=f'ipw-import-{os.getpid()}-', dir=%r); "
        "open(os.path.join(folder, 'rows.sqlite'), 'wb').write(b'x' * 4096); os._exit(9)") % str(temp)])
    assert killed.returncode == 9
    (abandoned,) = temp.iterdir()
    alive = temp / f"ipw-import-{os.getppid()}-kept"  # the test runner's parent: a process still running
    mine = temp / f"ipw-import-{os.getpid()}-kept"
    odd = temp / "ipw-import-someone-kept"
    for folder in (alive, mine, odd):
        folder.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("not ours to delete")
    dead_pid = abandoned.name.split("-")[2]
    link = temp / f"ipw-import-{dead_pid}-link"
    link.symlink_to(elsewhere, target_is_directory=True)

    with store.transaction():
        import_id = _new_import(store)
        trace_ingest.insert_trace_frame(store.conn, import_id, _frame(_rows(ROWS)), active=True)

    assert not abandoned.exists()
    assert alive.is_dir() and mine.is_dir() and odd.is_dir()
    assert link.is_symlink() and (elsewhere / "keep.txt").read_text() == "not ours to delete"
    assert sorted(p.name for p in temp.iterdir()) == sorted([alive.name, mine.name, odd.name, link.name])
