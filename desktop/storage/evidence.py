"""Evidence files: attaching (fingerprint, size, time, where it is recorded), embedding, checking, extracting.

A file is only ever read: never run, never opened here. Opening with the system viewer is the GUI's job
and asks the officer first (see `desktop.ui.widgets.evidence`).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from pathlib import Path

from desktop.domain import evidence as rules
from desktop.domain.errors import DomainError
from desktop.domain.evidence import DEFAULT_EMBED_CAP_BYTES, EvidenceCheck
from desktop.domain.workbook import EvidenceRef
from desktop.storage import evidence_places as places
from desktop.storage.workbook_file import WorkbookStore, now_utc

_CHUNK = 1024 * 1024
# (path, mtime_ns, size) -> sha256, so redrawing a page does not hash the same files again.
_hash_cache: dict[tuple[str, int, int], str] = {}


class EvidenceError(DomainError):
    """An evidence file that cannot be attached, embedded or extracted; nothing was changed."""


def _folder(workbook_path: Path | None) -> Path | None:
    return Path(workbook_path).resolve().parent if workbook_path is not None else None


def _regular_file(path: Path) -> Path:
    path = Path(path).expanduser()
    if not path.exists():
        raise EvidenceError(f"evidence file {path} does not exist")
    if not path.is_file():
        raise EvidenceError(f"evidence {path} is not a file")
    return path.resolve()


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's content, read in chunks (cached by path, modification time and size)."""
    stat = os.stat(path)
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    cached = _hash_cache.get(key)
    if cached is not None:
        return cached
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    _hash_cache[key] = digest.hexdigest()
    return _hash_cache[key]


def _read_for_embedding(path: Path, cap: int | None) -> bytes:
    cap = DEFAULT_EMBED_CAP_BYTES if cap is None else cap
    size = path.stat().st_size
    if size > cap:
        raise EvidenceError(
            f"{path.name} is {rules.format_size(size)}; files up to {rules.format_size(cap)} can be embedded "
            "(attach it by reference instead)")
    data = path.read_bytes()
    if len(data) > cap:  # grew while we looked
        raise EvidenceError(f"{path.name} is larger than {rules.format_size(cap)} and cannot be embedded")
    return data


def attach_file(path: Path, workbook_path: Path | None, *, store: WorkbookStore | None = None,
                embed: bool = False, cap: int | None = None) -> EvidenceRef:
    """An evidence reference to `path`: SHA-256, size, time attached, and the path recorded relative to the
    workbook's folder when the file lies in it. With `embed`, the bytes go into `store` (inside the caller's
    transaction) so the workbook carries them; `cap` defaults to DEFAULT_EMBED_CAP_BYTES (20 MB)."""
    file = _regular_file(path)
    places.trust_folder(file.parent)  # the officer chose this file: its folder is theirs for this session
    if embed:
        if store is None:
            raise EvidenceError("embedding needs the workbook to write into")
        data = _read_for_embedding(file, cap)
        sha256 = store.put_blob(data)
        size = len(data)
    else:
        sha256 = file_sha256(file)
        size = file.stat().st_size
    return EvidenceRef(kind="file", path=rules.recorded_path(file, _folder(workbook_path)), sha256=sha256,
                       size=size, attached_at=now_utc(), embedded=embed)


def text_reference(text: str) -> EvidenceRef:
    """A document id or URL kept as text (never opened by the app)."""
    return EvidenceRef(kind="text", text=text.strip(), attached_at=now_utc())


def locate(ref: EvidenceRef, workbook_path: Path | None) -> Path | None:
    """Where the referenced file should be now (None for text references and unresolvable paths).

    This is where the path points, confined or not: only `check`, `embed` and the GUI's open (after
    `is_confined` or the officer's confirmation) read it.
    """
    if ref.kind != "file":
        return None
    if places.is_remote_or_device(ref.path):
        return None
    where = rules.locate(ref.path, _folder(workbook_path))
    return Path(where) if where is not None else None


def is_confined(ref: EvidenceRef, workbook_path: Path | None) -> bool:
    """Whether the app may read the referenced file without asking (see `desktop.storage.evidence_places`)."""
    if ref.kind != "file":
        return False
    return places.confined(ref.path, _folder(workbook_path))


def check(ref: EvidenceRef, workbook_path: Path | None) -> EvidenceCheck:
    """Whether the file is still there with the content it had when attached.

    A path outside the workbook's folder (and the folders attached from in this session) is not opened
    at all: checking it would tell a sender whether a file of their choosing exists on this computer.
    """
    if ref.kind != "file":
        return EvidenceCheck.TEXT
    if not is_confined(ref, workbook_path):
        return EvidenceCheck.OUTSIDE
    where = locate(ref, workbook_path)
    if where is None or not where.is_file():
        return rules.check(ref, None)
    try:
        return rules.check(ref, file_sha256(where))
    except OSError:
        return rules.check(ref, None)


def embed(ref: EvidenceRef, workbook_path: Path | None, store: WorkbookStore, *,
          cap: int | None = None) -> EvidenceRef:
    """Embed the bytes of an already attached file (inside the caller's transaction).

    Refused when the file changed since it was attached: the embedded copy must be what was attached.
    """
    if ref.kind != "file":
        raise EvidenceError("only a file can be embedded, not a document id or URL")
    if ref.embedded:
        return ref
    if not is_confined(ref, workbook_path):
        raise EvidenceError(f"{ref.path} is outside the workbook's folder and was not read; open it once to "
                            "confirm the path, or attach the file again")
    where = locate(ref, workbook_path)
    if where is None or not where.is_file():
        raise EvidenceError(f"evidence file {ref.path} is not found; attach it again to embed it")
    data = _read_for_embedding(where, cap)
    if hashlib.sha256(data).hexdigest() != ref.sha256:
        raise EvidenceError(f"{where.name} changed since it was attached; attach it again to embed the new content")
    store.put_blob(data)
    return replace(ref, embedded=True)


def embedded_bytes(ref: EvidenceRef, store: WorkbookStore) -> bytes | None:
    if ref.kind != "file" or not ref.embedded:
        return None
    return store.get_blob(ref.sha256)


def extract(ref: EvidenceRef, store: WorkbookStore, destination: Path, *, overwrite: bool = False) -> Path:
    """Write the embedded copy to `destination` (a new file unless `overwrite`, which the caller asked)."""
    data = embedded_bytes(ref, store)
    if data is None:
        raise EvidenceError(f"{ref.label} has no embedded copy in this workbook")
    destination = Path(destination)
    try:
        with open(destination, "wb" if overwrite else "xb") as handle:
            handle.write(data)
    except FileExistsError:
        raise EvidenceError(f"{destination} already exists; choose another name") from None
    return destination
