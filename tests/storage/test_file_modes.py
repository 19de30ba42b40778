"""Issue 15, failure 6 at the storage level: file modes of saved workbooks and read-only places."""

import os
import stat

from desktop.storage.places import read_only_reason


def test_a_saved_file_is_user_only_while_it_is_written_then_takes_its_mode(tmp_path):
    """Issue 15, failure 6: the temporary file beside a 0600 workbook never holds its content as 0644."""
    from desktop.domain.workbook import Workbook
    from desktop.resources import playbook
    from desktop.storage.workbook_file import copy_database, new_memory_store
    target = tmp_path / "private.ipwb"
    store = new_memory_store(playbook(), Workbook.empty(playbook()))
    seen = []

    def look(_conn):
        [temp] = tmp_path.glob(".private.ipwb.*.tmp")
        seen.append(stat.S_IMODE(os.stat(temp).st_mode))
    copy_database(store.conn, target, replace=False, tidy=look, mode=0o640)
    store.close()
    assert seen == [0o600] and stat.S_IMODE(os.stat(target).st_mode) == 0o640


def test_mode_bits_make_a_place_read_only_even_for_an_administrator(tmp_path):
    workbook = tmp_path / "w.ipwb"
    workbook.write_bytes(b"")
    assert read_only_reason(workbook) is None
    os.chmod(workbook, 0o444)
    assert read_only_reason(workbook) == "w.ipwb is a read-only file"
    os.chmod(workbook, 0o644)
    os.chmod(tmp_path, 0o555)
    try:
        assert read_only_reason(workbook) == f"the folder {tmp_path} is read-only"
        assert read_only_reason(tmp_path / "new.ipwb") == f"the folder {tmp_path} is read-only"
    finally:
        os.chmod(tmp_path, 0o755)
