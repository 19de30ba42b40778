"""Warn when a workbook lives where SQLite is unsafe: network file systems and sync folders."""

from __future__ import annotations

import os
from pathlib import Path

_NETWORK_FS = {"nfs", "nfs4", "cifs", "smbfs", "smb3", "9p", "afs", "ncpfs", "fuse.sshfs", "davfs",
               "fuse.rclone", "fuse.gvfsd-fuse", "glusterfs", "ceph"}
_SYNC_FOLDER_NAMES = ("dropbox", "onedrive", "google drive", "googledrive", "icloud drive", "icloud",
                      "nextcloud", "owncloud", "syncthing", "box sync", "pcloud", "mega")


def _mount_type(path: Path) -> str | None:
    """The file-system type of the mount holding `path` (Linux only)."""
    try:
        mounts = Path("/proc/mounts").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    best, best_type = "", None
    resolved = str(path.resolve())
    for line in mounts:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount_point = parts[1].replace("\\040", " ")
        if (resolved == mount_point or resolved.startswith(mount_point.rstrip("/") + "/")) and len(
                mount_point) >= len(best):
            best, best_type = mount_point, parts[2]
    return best_type


def location_warning(path: Path) -> str | None:
    """A sentence for the user when `path` is on a network share or in a sync folder, else None."""
    text = str(path)
    if text.startswith("\\\\") or text.startswith("//"):
        return f"{path} is on a network share; SQLite workbooks can be damaged there. Copy it to a local folder."
    lowered = [part.casefold() for part in Path(os.path.abspath(path)).parts]
    for part in lowered:
        if any(part == name or part.startswith(name + " ") or part.startswith(name + "-") for name in
               _SYNC_FOLDER_NAMES):
            return (f"{path} is in a sync folder ({part}); syncing an open workbook can damage it. "
                    "Work on a local copy and sync it when closed.")
    fs_type = _mount_type(path.parent if not path.exists() else path)
    if fs_type and (fs_type in _NETWORK_FS or fs_type.startswith("nfs")):
        return f"{path} is on a network file system ({fs_type}); SQLite workbooks can be damaged there."
    return None
