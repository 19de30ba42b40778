import fcntl
import json
import os
import subprocess
import sys
import textwrap

from desktop.storage.lock import WorkbookLock, legacy_lock_path, lock_path


def test_second_lock_fails_and_names_the_holder(tmp_path):
    workbook = tmp_path / "w.ipwb"
    first = WorkbookLock(workbook)
    assert first.acquire()
    second = WorkbookLock(workbook)
    assert not second.acquire()
    assert second.holder["pid"] == os.getpid()
    assert str(os.getpid()) in second.describe_holder()
    first.release()
    assert not lock_path(workbook).exists()
    assert second.acquire()
    second.release()


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    workbook = tmp_path / "w.ipwb"
    child = textwrap.dedent(f"""
        import os
        from pathlib import Path
        from desktop.storage.lock import WorkbookLock
        lock = WorkbookLock(Path({str(workbook)!r}))
        assert lock.acquire()
        os._exit(0)  # dies holding the lock, leaving the file behind
    """)
    subprocess.run([sys.executable, "-c", child], check=True, env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert lock_path(workbook).exists()
    lock = WorkbookLock(workbook)
    assert lock.acquire()
    lock.release()


def test_the_lock_file_is_hidden_beside_the_workbook_and_names_its_holder(tmp_path):
    workbook = tmp_path / "decision.ipwb"
    lock = WorkbookLock(workbook)
    assert lock.acquire()
    assert [p.name for p in tmp_path.iterdir()] == [".~lock.decision.ipwb#"]  # no visible NAME.ipwb.lock
    record = json.loads(lock_path(workbook).read_text("utf-8"))
    assert record["pid"] == os.getpid() and record["user"] and record["host"]
    lock.release()


def test_a_lock_held_by_release_0_1_still_keeps_a_second_writer_out(tmp_path):
    """0.1.0 locked `NAME.ipwb.lock` with flock: a copy of it still editing must not be joined by this one."""
    workbook = tmp_path / "decision.ipwb"
    legacy = legacy_lock_path(workbook)
    fd = os.open(legacy, os.O_RDWR | os.O_CREAT, 0o600)
    os.write(fd, json.dumps({"user": "ana", "host": "laptop-7", "pid": 4242}).encode())
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    lock = WorkbookLock(workbook)
    assert not lock.acquire()
    assert lock.refusal == ("decision.ipwb is being edited by ana on laptop-7 (process 4242) "
                            "with an earlier version of this app")
    os.close(fd)  # the old release quit: its leftover file no longer keeps anyone out
    assert lock.acquire()
    lock.release()
    assert legacy.exists()  # never ours to remove


def test_a_link_at_the_old_lock_path_is_neither_followed_nor_a_reason_to_refuse(tmp_path):
    target = tmp_path / "bashrc"
    target.write_text("keep me\n")
    workbook = tmp_path / "decision.ipwb"
    legacy_lock_path(workbook).symlink_to(target)
    lock = WorkbookLock(workbook)
    assert lock.acquire()
    lock.release()
    assert target.read_text() == "keep me\n"
