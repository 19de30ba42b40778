import os
import subprocess
import sys
import textwrap

from desktop.storage.lock import WorkbookLock, lock_path


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
