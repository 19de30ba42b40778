"""quick_check runs once per version of a file: a file changed since its check is checked again."""

import os
import sqlite3

import pytest

from desktop.domain.sample import sample_traces, sample_workbook
from desktop.resources import playbook
from desktop.storage import derived_cache, failures, file_versions, workbook_file
from desktop.storage.workbook_file import check_is_workbook, create_workbook_file


@pytest.fixture
def sample_file(tmp_path):
    path = tmp_path / "w.ipwb"
    create_workbook_file(path, playbook(), sample_workbook(playbook()), sample_traces(playbook()))
    return path


def test_a_checked_file_is_not_checked_again_until_it_changes(sample_file, monkeypatch):
    check_is_workbook(sample_file)
    assert derived_cache.get("checked-files", file_versions.file_identity(sample_file)) is True
    checks = []
    real = workbook_file.remember_checked
    monkeypatch.setattr(workbook_file, "remember_checked", lambda path: checks.append(path) or real(path))
    check_is_workbook(sample_file)
    assert checks == []  # answered from the memo
    conn = sqlite3.connect(sample_file)
    conn.execute("INSERT INTO meta (key, value) VALUES ('someone', 'else')")
    conn.commit()
    conn.close()
    check_is_workbook(sample_file)
    assert checks == [sample_file]  # written since: checked again


def test_bytes_changed_with_the_old_times_put_back_are_checked_again(sample_file):
    check_is_workbook(sample_file)
    before = sample_file.stat()
    data = bytearray(sample_file.read_bytes())
    data[-200:] = b"\xff" * 200  # same size, same counter in the header
    sample_file.write_bytes(bytes(data))
    os.utime(sample_file, ns=(before.st_atime_ns, before.st_mtime_ns))  # what a crafted file would do
    assert file_versions.checked_before(sample_file) is False  # the inode change time moved regardless


def test_a_damaged_page_read_later_is_one_line():
    assert failures.explain(sqlite3.DatabaseError("database disk image is malformed")) == (
        "the workbook file is damaged; nothing was changed (restore it from a backup)")


def test_a_file_this_app_wrote_needs_no_check_of_its_own(sample_file, monkeypatch):
    """A command that opened a checked file and wrote to it leaves the file as it is now remembered as checked
    (SQLite's transactions kept it sound), so the next command skips quick_check; a write by anything else
    still means a new check."""
    from desktop.storage.workbook_file import open_store

    store = open_store(sample_file, writable=True)
    with store.transaction():
        store.set_meta("edited", "by this app")
    store.close()
    checks = []
    real = workbook_file.remember_checked
    monkeypatch.setattr(workbook_file, "remember_checked", lambda path: checks.append(path) or real(path))
    check_is_workbook(sample_file)
    assert checks == []
    conn = sqlite3.connect(sample_file)
    conn.execute("INSERT INTO meta (key, value) VALUES ('someone', 'else')")
    conn.commit()
    conn.close()
    check_is_workbook(sample_file)
    assert checks == [sample_file]
