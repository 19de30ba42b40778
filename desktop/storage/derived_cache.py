"""Results that can always be recomputed, kept between runs in the user's cache folder, by content key.

A key is the SHA-256 of everything the result was computed from, so a stale entry is never found: a changed
input is another key. Entries are small JSON files written whole (temporary file, then rename), readable by the
user only; at most `MAX_ENTRIES` are kept (the least recently written go first) and an entry over `MAX_BYTES`
or one that is not JSON is ignored, so a damaged cache costs a recomputation, never a wrong answer or an error.
Nothing a workbook brings is written here except results this program computed from it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from desktop import paths
from desktop.storage.workbook_file import WorkbookStore

MAX_ENTRIES = 64
MAX_BYTES = 4 * 1024 * 1024
_KEY = re.compile(r"^[0-9a-f]{64}$")


def _folder(kind: str) -> Path:
    folder = paths.user_cache_dir() / kind
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def get(kind: str, key: str) -> Any:
    """The entry stored under `key`, or None (missing, too big, damaged)."""
    if not _KEY.match(key):
        return None
    path = _folder(kind) / f"{key}.json"
    try:
        if path.stat().st_size > MAX_BYTES:
            return None
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def put(kind: str, key: str, value: Any) -> None:
    """Store `value` (JSON) under `key`; a cache that cannot be written is no error."""
    if not _KEY.match(key):
        raise ValueError("a cache key is 64 hexadecimal digits")
    try:
        text = json.dumps(value, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):  # not plain JSON: recomputed next time instead
        return
    if len(text) > MAX_BYTES:
        return
    try:
        folder = _folder(kind)
        handle, temp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, folder / f"{key}.json")
        _trim(folder)
    except OSError:
        return


def _trim(folder: Path) -> None:
    entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
    for old in entries[:-MAX_ENTRIES]:
        old.unlink(missing_ok=True)


def economics_inputs_digest(store: WorkbookStore) -> str:
    """SHA-256 of what the workbook stores for its economics beside the rows: saved scenarios, the
    recommendation override and the catalog overrides, as stored (cheap: a few small rows)."""
    digest = hashlib.sha256()
    for row in store.conn.execute("SELECT name, kind, json, saved_at FROM scenarios ORDER BY name"):
        digest.update(json.dumps(list(row)).encode("utf-8") + b"\n")
    for row in store.conn.execute("SELECT name, json FROM parts WHERE name IN ('recommendation', "
                                  "'catalogOverrides') ORDER BY name"):
        digest.update(json.dumps(list(row)).encode("utf-8") + b"\n")
    return digest.hexdigest()
