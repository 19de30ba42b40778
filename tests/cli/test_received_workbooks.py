"""Issue 15, failures 1, 2, 5 and 8: workbooks, lock files and places as a colleague or an outsider sends them.

Each test first builds the hostile file the issue describes, then checks the app refuses it in one line
(exit 1) and leaves every file untouched.
"""

import json
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time

import pytest

from desktop.storage.lock import WorkbookLock, lock_path
from desktop.storage.schema import SCHEMA_VERSION


def _sql(path, *statements):
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in statements:
        conn.execute(statement)
    conn.close()


def _score(path):
    return {s["slug"]: s["score"] for s in json.loads(sqlite3.connect(path).execute(
        "SELECT json FROM parts WHERE name = 'scores'").fetchone()[0])}


# -- 1. a symlinked lock file ---------------------------------------------------------------------------------

@pytest.fixture
def precious(tmp_path):
    target = tmp_path / "home" / ".bashrc"
    target.parent.mkdir()
    target.write_text("export PATH=$PATH:/opt/tools\n")
    return target


def test_symlinked_lock_never_empties_its_target_on_edit(sample, precious, ipw):
    lock_path(sample).symlink_to(precious)
    result = ipw("score", sample, "demand-forecast", "75")
    assert result.code == 1
    assert "symbolic link" in result.err and "not followed" in result.err
    assert precious.read_text() == "export PATH=$PATH:/opt/tools\n"
    assert os.path.islink(lock_path(sample))
    assert _score(sample)["demand-forecast"] != 75


def test_symlinked_lock_does_not_stop_an_export(sample, precious, ipw, tmp_path):
    lock_path(sample).symlink_to(precious)
    result = ipw("export", sample, "--json", tmp_path / "m.json")
    assert result.code == 0, result.err
    assert "symbolic link" in result.err  # the warning says why the export was not recorded
    assert json.loads((tmp_path / "m.json").read_text())
    assert precious.read_text() == "export PATH=$PATH:/opt/tools\n"


def test_dangling_symlink_lock_creates_nothing(sample, tmp_path, ipw):
    elsewhere = tmp_path / "outside" / "planted"
    elsewhere.parent.mkdir()
    lock_path(sample).symlink_to(elsewhere)
    assert ipw("score", sample, "demand-forecast", "75").code == 1
    assert not elsewhere.exists()


def test_lock_path_that_is_a_folder_is_a_clear_refusal(sample, ipw):
    lock_path(sample).mkdir()
    result = ipw("score", sample, "demand-forecast", "75")
    assert result.code == 1 and "is a folder" in result.err and "internal error" not in result.err


def test_lock_file_of_another_user_is_a_clear_refusal(sample, ipw, monkeypatch):
    lock_path(sample).write_text(json.dumps({"user": "colleague", "host": "their-pc", "pid": 4242}))
    from desktop.storage import lock
    monkeypatch.setattr(lock, "_current_uid", lambda: os.getuid() + 1)  # the file now belongs to "someone else"
    result = ipw("score", sample, "demand-forecast", "75")
    assert result.code == 1
    assert "belongs to another user colleague" in result.err and "internal error" not in result.err
    assert json.loads(lock_path(sample).read_text())["user"] == "colleague"  # untouched


def test_concurrent_refusals_name_this_user_on_this_computer(sample):
    """Failure 8: 7 of 32 concurrent refusals said "another user on another computer" (an empty lock file)."""
    child = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from desktop.storage.lock import WorkbookLock
        lock = WorkbookLock(Path({str(sample)!r}))
        start = float(sys.argv[1])
        while time.time() < start:
            pass
        if lock.acquire():
            time.sleep(0.3)
            lock.release()
            print("HELD")
        else:
            print("REFUSED " + lock.describe_holder())
    """)
    start = time.time() + 1.5
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    children = [subprocess.Popen([sys.executable, "-c", child, str(start)], stdout=subprocess.PIPE, text=True,
                                 env=env) for _ in range(32)]
    lines = [c.communicate(timeout=60)[0].strip() for c in children]
    refused = [line for line in lines if line.startswith("REFUSED")]
    assert any(line == "HELD" for line in lines)
    assert all("you on this computer" in line for line in refused), refused
    assert not lock_path(sample).exists()


def test_lock_file_is_complete_before_it_appears(tmp_path):
    """The holder's identity is written under a private name and linked into place: never an empty file."""
    workbook = tmp_path / "w.ipwb"
    lock = WorkbookLock(workbook)
    assert lock.acquire()
    holder = json.loads(lock_path(workbook).read_text())
    assert holder["pid"] == os.getpid()
    assert [p.name for p in tmp_path.iterdir()] == [lock_path(workbook).name]  # no private file left
    lock.release()
    assert not lock_path(workbook).exists()


# -- 2. a received workbook's own SQL ---------------------------------------------------------------------------

HOSTILE_SCHEMA = {
    "trigger deleting traces": "CREATE TRIGGER wipe AFTER UPDATE ON parts BEGIN DELETE FROM traces; END",
    "recursive trigger": "CREATE TRIGGER spin AFTER UPDATE ON parts BEGIN SELECT count(*) FROM ("
                         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1e9) "
                         "SELECT i FROM n); END",
    "licence message": "CREATE TRIGGER nag BEFORE UPDATE ON parts BEGIN SELECT RAISE(ABORT, "
                       "'Your licence expired: email pay@example.invalid'); END",
    "trigger on the audit log": "CREATE TRIGGER forge AFTER INSERT ON audit BEGIN UPDATE parts SET json = "
                                "replace(json, '\"score\": 40', '\"score\": 95') WHERE name = 'scores'; END",
    "view": "CREATE VIEW summary AS SELECT * FROM traces",
    "extra table": "CREATE TABLE exfil (data TEXT)",
    "changed app trigger": None,  # the app's own trigger name with the sender's SQL
}


@pytest.mark.parametrize("case", sorted(HOSTILE_SCHEMA))
def test_workbook_with_foreign_sql_is_refused_untouched(sample, ipw, case):
    if case == "changed app trigger":
        _sql(sample, "DROP TRIGGER audit_append_only_update",
             "CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit BEGIN DELETE FROM traces; END")
    else:
        _sql(sample, HOSTILE_SCHEMA[case])
    before = sample.read_bytes()
    started = time.monotonic()
    result = ipw("score", sample, "demand-forecast", "75")
    assert result.code == 1
    assert time.monotonic() - started < 10
    assert "is refused" in result.err and "licence" not in result.err
    assert result.err.count("\n") == 1
    assert sample.read_bytes() == before
    for command in (("info", sample), ("sign", sample, "--name", "Dana", "--role", "CFO", "--decision",
                                       "approve")):
        again = ipw(*command)
        assert again.code == 1 and "is refused" in again.err
    assert sample.read_bytes() == before


def test_the_apps_own_workbooks_pass_the_schema_check(sample, ipw):
    """The check is built from the app's own migrations, so every version it writes opens (and is edited)."""
    assert ipw("score", sample, "demand-forecast", "75").code == 0
    assert ipw("info", sample).code == 0


def test_connections_run_with_untrusted_schema_settings(sample):
    from desktop.storage.received import MAX_VALUE_BYTES
    from desktop.storage.workbook_file import open_store
    store = open_store(sample, writable=True)
    try:
        assert store.conn.execute("PRAGMA trusted_schema").fetchone()[0] == 0
        assert store.conn.getlimit(sqlite3.SQLITE_LIMIT_LENGTH) == MAX_VALUE_BYTES
    finally:
        store.close()


def test_newer_version_opens_read_only_with_a_message(sample, ipw):
    _sql(sample, f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = sample.read_bytes()
    info = ipw("info", sample)
    assert info.code == 0 and "newer version" in info.err and "read-only" in info.err
    edit = ipw("score", sample, "demand-forecast", "75")
    assert edit.code == 1 and "newer version" in edit.err
    assert sample.read_bytes() == before


def test_newer_version_with_a_view_in_place_of_a_table_is_refused(sample, ipw):
    _sql(sample, "ALTER TABLE parts RENAME TO parts_old", "CREATE VIEW parts AS SELECT * FROM parts_old",
         f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    result = ipw("info", sample)
    assert result.code == 1 and "view 'parts'" in result.err


# -- 5. read-only places --------------------------------------------------------------------------------------

@pytest.fixture
def read_only_folder(sample):
    folder = sample.parent
    os.chmod(folder, 0o555)  # a read-only share, as far as the app can tell (the mode counts even for root)
    yield folder
    os.chmod(folder, 0o755)


def test_read_only_folder_reads_and_exports_but_refuses_edits(sample, read_only_folder, ipw, tmp_path_factory):
    before = sample.read_bytes()
    assert ipw("info", sample).code == 0
    out = tmp_path_factory.mktemp("out") / "memo.json"
    exported = ipw("export", sample, "--json", out)
    assert exported.code == 0, exported.err
    assert out.exists() and "read-only" in exported.err  # not recorded, and it says why
    edit = ipw("score", sample, "demand-forecast", "75")
    assert edit.code == 1 and "read-only" in edit.err and "internal error" not in edit.err
    assert sample.read_bytes() == before
    assert sorted(p.name for p in read_only_folder.iterdir()) == [sample.name]  # no lock, no journal


def test_read_only_file_refuses_edits_in_one_line(sample, ipw):
    os.chmod(sample, 0o444)
    before = sample.read_bytes()
    edit = ipw("score", sample, "demand-forecast", "75")
    assert edit.code == 1 and "read-only file" in edit.err
    assert sample.read_bytes() == before
    assert stat.S_IMODE(os.stat(sample).st_mode) == 0o444


def test_read_only_file_system_is_a_refusal_not_an_internal_error(sample, ipw, monkeypatch):
    """EROFS (a read-only mount) where the lock file would be created: the edit is refused, exit 1."""
    import errno

    from desktop.storage import lock
    real_open = os.open

    def read_only_mount(path, flags, *args, **kwargs):
        if flags & os.O_CREAT:
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, flags, *args, **kwargs)
    monkeypatch.setattr(lock.os, "open", read_only_mount)
    result = ipw("score", sample, "demand-forecast", "75")
    assert result.code == 1 and "cannot be written" in result.err


# -- 8. a full disk ---------------------------------------------------------------------------------------------

def test_full_disk_during_a_write_says_no_space(sample):
    from desktop.storage.failures import explain
    from desktop.storage.workbook_file import open_store
    store = open_store(sample, writable=True)
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full from here on
    with pytest.raises(sqlite3.DatabaseError) as failure:
        with store.transaction():
            store.put_blob(os.urandom(2_000_000))
    assert not store.conn.in_transaction
    assert explain(failure.value).startswith("no space left on the device")
    store.close()
    assert sqlite3.connect(sample).execute("PRAGMA quick_check").fetchone()[0] == "ok"


# -- 7. tamper shown by `ipw info` -----------------------------------------------------------------------------

def test_info_of_a_tampered_signed_workbook_says_so_and_exits_3(sample, ipw):
    assert ipw("sign", sample, "--name", "Dana", "--role", "CFO", "--decision", "approve").code == 0
    intact = ipw("info", sample)
    assert intact.code == 0 and "signed off:     yes" in intact.out
    scores = json.loads(sqlite3.connect(sample).execute("SELECT json FROM parts WHERE name = 'scores'").fetchone()[0])
    scores[0]["score"] = 99 if scores[0].get("score") != 99 else 98
    _sql(sample, f"UPDATE parts SET json = '{json.dumps(scores)}' WHERE name = 'scores'")
    result = ipw("info", sample)
    assert result.code == 3
    assert "signed off:     content changed since sign-off" in result.out and "TAMPERED" in result.err
    as_json = ipw("info", sample, "--json")
    assert as_json.code == 3 and as_json.json["signoffState"] == "tampered"


# -- 8. smaller items -------------------------------------------------------------------------------------------

def test_leftovers_of_killed_saves_are_removed_by_the_next_edit(sample, ipw):
    leftover = sample.with_name(f".{sample.name}.0123456789ab.tmp")
    leftover.write_bytes(b"x" * 1024)
    assert ipw("score", sample, "demand-forecast", "75").code == 0
    assert not leftover.exists()


def test_stale_export_temp_files_are_removed_and_fresh_ones_kept(sample, ipw, tmp_path):
    from desktop.exports.atomic import STALE_TEMP_SECONDS
    target = tmp_path / "memo.json"
    stale = tmp_path / ".memo.0123456789ab.tmp.json"
    fresh = tmp_path / ".memo.ba9876543210.tmp.json"  # another export writing right now
    for temp in (stale, fresh):
        temp.write_text("{")
    old = stale.stat().st_mtime - STALE_TEMP_SECONDS - 60
    os.utime(stale, (old, old))
    assert ipw("export", sample, "--json", target).code == 0
    assert not stale.exists() and fresh.exists() and target.exists()


def test_journals_of_gone_working_copies_are_removed(tmp_path):
    from desktop.storage.working_copy import find_recoverable
    orphan = tmp_path / "0123.ipwb-journal"
    orphan.write_bytes(b"journal")
    kept = tmp_path / "4567.ipwb-journal"
    kept.write_bytes(b"journal")
    (tmp_path / "4567.ipwb").write_bytes(b"db")
    find_recoverable(tmp_path)
    assert not orphan.exists() and kept.exists()


def test_revoke_reason_of_control_characters_only_is_refused(sample, ipw):
    assert ipw("sign", sample, "--name", "Dana", "--role", "CFO", "--decision", "approve").code == 0
    result = ipw("revoke", sample, "--by", "Dana", "--reason", "\x01\x02\x1b\x7f")
    assert result.code == 1 and "control characters alone do not count" in result.err
    assert ipw("info", sample).out.count("signed off:     yes") == 1


# -- trace cells no import or edit writes (hand-made or damaged files) ------------------------------------------

@pytest.mark.parametrize("cell, said", [
    ("route = CAST(x'ff41' AS TEXT)", "text that is not UTF-8 (column 'route')"),
    ("model = x'00ff'", "(column 'model')"),
    ("ttftMs = 9e999", "an infinity (column 'ttftMs')"),
], ids=["text that is not UTF-8", "a blob", "an infinity"])
@pytest.mark.parametrize("command", ["info --json", "verify", "metrics --summary", "recommend", "plan"])
def test_a_trace_cell_of_no_type_a_tool_writes_is_one_line_not_a_crash(sample, ipw, cell, said, command):
    _sql(sample, f"UPDATE traces SET {cell} WHERE id = 3", "DELETE FROM meta WHERE key = 'tracesContentHash'")
    before = sample.read_bytes()
    result = ipw(*command.split(), sample)
    if "9e999" in cell and command in ("metrics --summary", "recommend", "plan"):
        assert result.code == 0, result.err  # the economics read an infinity as not observed, as any non-number
    else:
        assert result.code == 1, result.err
        assert result.err.count("\n") == 1 and said in result.err and "nothing was changed" in result.err
        assert "Traceback" not in result.err and "internal error" not in result.err
    assert sample.read_bytes() == before


def test_the_text_description_of_such_a_draft_reads_no_rows(sample, ipw):
    """`ipw info` without --json prints nothing computed from a draft's rows (its fingerprint is --json's), so a
    damaged cell does not stop it; the commands that read the rows say so in one line (above)."""
    _sql(sample, "UPDATE traces SET route = CAST(x'ff41' AS TEXT) WHERE id = 3",
         "DELETE FROM meta WHERE key = 'tracesContentHash'")
    before = sample.read_bytes()
    result = ipw("info", sample)
    assert result.code == 0 and "traces:         8" in result.out and "signed off:     no" in result.out
    assert result.err == "" and sample.read_bytes() == before
