"""Evidence references, pure parts: where an attached file is recorded, whether it changed, what to show.

Nothing here touches the file system; `desktop.storage.evidence` reads files and hands the facts in.
"""

from __future__ import annotations

from enum import Enum
from pathlib import PurePath, PurePosixPath

from desktop.domain.workbook import EvidenceRef

DEFAULT_EMBED_CAP_BYTES = 20 * 1024 * 1024

# Opening these with the system's default handler would run a program or a script, so the app never does.
_EXECUTABLE_SUFFIXES = frozenset({
    ".exe", ".com", ".bat", ".cmd", ".msi", ".msp", ".scr", ".pif", ".cpl", ".lnk", ".url", ".reg",
    ".ps1", ".psm1", ".vbs", ".vbe", ".js", ".jse", ".wsf", ".wsh", ".hta", ".jar", ".sh", ".bash",
    ".zsh", ".csh", ".ksh", ".command", ".app", ".run", ".bin", ".py", ".pyw", ".pl", ".rb", ".desktop",
    ".appimage", ".deb", ".rpm", ".pkg", ".dmg", ".scpt", ".workflow", ".action", ".apk", ".dll", ".so",
    ".dylib", ".xlsm", ".docm", ".pptm", ".xlam",
})


class EvidenceCheck(str, Enum):
    """What is known about an evidence reference right now."""

    TEXT = "text"  # a document id or URL: nothing to check
    UNCHANGED = "unchanged"  # the file is there and has the hash it had when attached
    CHANGED = "changed"  # the file is there but its content changed since it was attached
    MISSING = "missing"  # the file is not where it was recorded (an embedded copy may still exist)
    OUTSIDE = "outside"  # recorded outside the workbook's folder: not opened until the officer confirms it

    @property
    def flagged(self) -> bool:
        return self in (EvidenceCheck.CHANGED, EvidenceCheck.MISSING)


def recorded_path(file: PurePath, workbook_folder: PurePath | None) -> str:
    """How an attached file is recorded: relative to the workbook's folder (with '/') when it lies in
    that folder or below it, otherwise the absolute path as given."""
    if workbook_folder is not None:
        try:
            return file.relative_to(workbook_folder).as_posix()
        except ValueError:
            pass
    return str(file)


def is_relative(recorded: str) -> bool:
    return not (PurePosixPath(recorded).is_absolute() or PurePath(recorded).is_absolute()
                or (len(recorded) > 1 and recorded[1] == ":"))


def locate(recorded: str, workbook_folder: PurePath | None) -> PurePath | None:
    """Where a recorded path points now; None for a relative path of a workbook that has no folder yet."""
    if is_relative(recorded):
        if workbook_folder is None:
            return None
        return workbook_folder.joinpath(*PurePosixPath(recorded).parts)
    return PurePath(recorded)


def check(ref: EvidenceRef, current_sha256: str | None) -> EvidenceCheck:
    """The state of `ref` given the file's current hash (None: the file is not there)."""
    if ref.kind == "text":
        return EvidenceCheck.TEXT
    if current_sha256 is None:
        return EvidenceCheck.MISSING
    return EvidenceCheck.UNCHANGED if current_sha256 == ref.sha256 else EvidenceCheck.CHANGED


def describe_check(ref: EvidenceRef, state: EvidenceCheck) -> str:
    """One line for the officer about the reference's state."""
    if state is EvidenceCheck.TEXT:
        return "Document id or URL (not checked)"
    if state is EvidenceCheck.UNCHANGED:
        return "Unchanged since attached"
    if state is EvidenceCheck.OUTSIDE:
        return "Outside the workbook's folder: not checked (the app opens it only after you confirm the path)"
    if state is EvidenceCheck.CHANGED:
        return "Changed since attached: the file's content no longer matches its fingerprint"
    if ref.embedded:
        return "File not found at its recorded place; the embedded copy is in the workbook"
    return "File not found at its recorded place"


def format_size(size: int) -> str:
    """Bytes in the units people read: '812 bytes', '14.2 KB', '3.0 MB' (1 KB = 1024 bytes)."""
    if size < 1024:
        return f"{size} byte" + ("" if size == 1 else "s")
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


def may_open(name: str) -> bool:
    """False for files the system would run rather than show (programs, scripts, macro documents)."""
    return PurePath(name).suffix.lower() not in _EXECUTABLE_SUFFIXES


def short_hash(sha256: str) -> str:
    return sha256[:12]
