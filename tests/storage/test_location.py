from pathlib import Path

import pytest

from desktop.storage import location
from desktop.storage.location import location_warning


@pytest.mark.parametrize("path, words", [
    ("/home/ana/Dropbox/decisions/w.ipwb", "sync folder"),
    ("/home/ana/OneDrive - Acme/w.ipwb", "sync folder"),
    ("/Users/ana/Library/Mobile Documents/iCloud Drive/w.ipwb", "sync folder"),
    ("//fileserver/share/w.ipwb", "network share"),
])
def test_sync_and_network_locations_are_warned_about(path, words):
    assert words in location_warning(Path(path))


def test_network_file_system_is_warned_about(tmp_path, monkeypatch):
    monkeypatch.setattr(location, "_mount_type", lambda path: "nfs4")
    assert "network file system (nfs4)" in location_warning(tmp_path / "w.ipwb")


def test_local_folder_gets_no_warning(tmp_path, monkeypatch):
    monkeypatch.setattr(location, "_mount_type", lambda path: "ext4")
    assert location_warning(tmp_path / "w.ipwb") is None


def test_mount_table_lookup_picks_the_longest_mount_point(tmp_path, monkeypatch):
    mounts = tmp_path / "mounts"
    mounts.write_text("rootfs / ext4 rw 0 0\nserver:/x /mnt/team nfs rw 0 0\n")
    real = Path.read_text
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: real(mounts) if str(self) == "/proc/mounts"
                        else real(self, *a, **k))
    assert location._mount_type(Path("/mnt/team/a.ipwb")) == "nfs"
    assert location._mount_type(Path("/home/a.ipwb")) == "ext4"
