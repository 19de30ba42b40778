"""A signed-off workbook whose trace rows were edited with another tool, its trace hash record left as it was,
is seen as changed since sign-off by `ipw info` (exit 3), the tamper state and an export, as `ipw verify` sees
it; even when this machine holds the decision parts of the genuine file (same record), and without touching
what the genuine file shows.

The edit: row 1 of the sample (Managed frontier API, coding-agent-maintenance, p95 28,200 ms, over the
sample's target) costs three times as much. It is not the best row of anything, so the recommendation inside
the decision content is unchanged: only the traces hash of the rows themselves tells the files apart.
"""

import shutil
import sqlite3

import pytest

from desktop.resources import playbook
from desktop.services.tamper import SIGNED, TAMPERED, cached_signoff_state, signoff_state
from desktop.storage import trace_hash
from desktop.storage.workbook_file import open_store
from tests.storage.raw_rows import tripled_cost_log_beside


@pytest.fixture
def genuine(sample, ipw):
    assert ipw("sign", sample, "--name", "Dana", "--role", "CFO", "--decision", "approve", "--no-key").code == 0
    assert ipw("info", sample).code == 0  # described once: its decision parts are in this machine's cache
    return sample


def _edited_copy(genuine, tmp_path):
    copy = tmp_path / "edited.ipwb"
    shutil.copyfile(genuine, copy)
    conn = sqlite3.connect(copy)
    record = conn.execute("SELECT value FROM meta WHERE key = 'tracesContentHash'").fetchone()[0]
    conn.execute("UPDATE traces SET costUsd = costUsd * 3 WHERE id = 1")
    conn.commit()
    assert conn.execute("SELECT value FROM meta WHERE key = 'tracesContentHash'").fetchone()[0] == record
    conn.close()
    return copy


def test_info_and_verify_see_rows_edited_behind_the_record(genuine, ipw, tmp_path):
    edited = _edited_copy(genuine, tmp_path)
    info = ipw("info", edited, "--json")
    assert info.code == 3
    assert info.json["fingerprint"] != info.json["signedFingerprint"]
    assert ipw("verify", edited).code == 3
    assert ipw("info", genuine).code == 0  # the genuine file is still described as intact


def test_the_tamper_state_sees_them_and_never_guesses_on_the_gui_thread(genuine, tmp_path):
    edited = _edited_copy(genuine, tmp_path)
    book = playbook()
    store = open_store(edited, writable=False)
    try:
        workbook = store.load(book)
        assert cached_signoff_state(store, workbook, book) is None  # its rows were never hashed here
        assert signoff_state(store, workbook, book) == TAMPERED
        assert cached_signoff_state(store, workbook, book) == TAMPERED  # now known for this version
    finally:
        store.close()
    store = open_store(genuine, writable=False)
    try:
        assert cached_signoff_state(store, store.load(book), book) == SIGNED
    finally:
        store.close()


def test_an_export_of_the_edited_file_is_not_a_signed_one(genuine, ipw, tmp_path):
    edited = _edited_copy(genuine, tmp_path)
    result = ipw("export", edited, "--json", tmp_path / "m.json", "--report")
    assert result.code == 0 and result.json["status"] == "not-valid"
    assert ipw("export", genuine, "--json", tmp_path / "g.json", "--report").json["status"] == "signed"


def test_the_rows_hash_is_computed_once_per_version_of_the_file(genuine, ipw, tmp_path, monkeypatch):
    """Signed workbooks are described from the rows' own hash: computed once for a version of the file (here,
    or by the command of this app that wrote it), and again when another tool changed the file."""
    computed = []
    real = trace_hash.compute_traces_hash
    monkeypatch.setattr(trace_hash, "compute_traces_hash", lambda store: computed.append(1) or real(store))
    assert ipw("info", genuine).code == 0 and computed == []  # signing wrote it: known for this version
    edited = _edited_copy(genuine, tmp_path)
    assert ipw("info", edited).code == 3 and computed == [1]
    assert ipw("info", edited).code == 3 and computed == [1]


def test_a_log_put_beside_a_described_signed_file_is_seen(genuine, ipw, tmp_path):
    """What this machine remembers of a file version (checked, its rows' hash, their count) is keyed with the
    log and journal beside it too: before, `ipw info` answered "signed off: yes" from the remembered hash."""
    from desktop.storage import file_versions

    before = file_versions.file_identity(genuine)
    mtime = genuine.stat().st_mtime_ns
    tripled_cost_log_beside(genuine, tmp_path)  # the file itself is untouched
    assert genuine.stat().st_mtime_ns == mtime
    info = ipw("info", genuine)
    assert info.code == 3 and "content changed since sign-off" in info.out
    assert ipw("verify", genuine).code == 3
    assert file_versions.file_identity(genuine) != before


def test_a_journal_beside_a_file_makes_it_another_version(sample):
    from desktop.storage import file_versions

    before = file_versions.file_identity(sample)
    journal = sample.with_name(sample.name + "-journal")
    journal.write_bytes(b"")
    assert file_versions.file_identity(sample) != before
    journal.unlink()
    assert file_versions.file_identity(sample) == before
