"""Sign-off state in a workbook file: the sign-off part, the signed content, the audit log, export records.

All writes run inside the caller's transaction (`store.transaction()`), so signing (sign-off, signed
content and its audit entry) or revoking is one all-or-nothing change. The `audit` table is append-only
(triggers refuse UPDATE and DELETE); entries are chained with `desktop.domain.audit.next_entry`.
"""

from __future__ import annotations

import json
from typing import Any

from desktop.domain.audit import next_entry
from desktop.domain.workbook import AuditEntry, SignOff
from desktop.storage import codec
from desktop.storage.workbook_file import WorkbookStore, now_utc

SIGNED_CONTENT_PART = "signedContent"


# -- audit log ---------------------------------------------------------------------------------------

def read_audit(store: WorkbookStore) -> list[AuditEntry]:
    rows = store.conn.execute(
        "SELECT seq, action, actor, at, detail, previous_hash, entry_hash FROM audit ORDER BY seq").fetchall()
    return [codec.audit_from_row(seq, action, actor, at, json.loads(detail), prev, digest)
            for seq, action, actor, at, detail, prev, digest in rows]


def append_audit(store: WorkbookStore, action: str, actor: str, detail: dict[str, Any],
                 at: str | None = None) -> AuditEntry:
    """Append one entry chained to the log as stored (inside the caller's transaction)."""
    entry = next_entry(read_audit(store), action, actor, at or now_utc(), detail)
    with store.leaving_traces_alone():
        store.conn.execute(
            "INSERT INTO audit (seq, action, actor, at, detail, previous_hash, entry_hash) VALUES "
            "(?, ?, ?, ?, ?, ?, ?)", (entry.sequence, entry.action, entry.actor, entry.at,
                                      json.dumps(entry.detail, sort_keys=True, ensure_ascii=False),
                                      entry.previous_hash, entry.entry_hash))
    return entry


# -- sign-off and the content it signed ----------------------------------------------------------------

def write_signoff(store: WorkbookStore, signoff: SignOff | None) -> None:
    store.put_part("signoff", json.dumps(codec.signoff_to_dict(signoff), sort_keys=True))


def read_signoff(store: WorkbookStore) -> SignOff | None:
    row = store.conn.execute("SELECT json FROM parts WHERE name = 'signoff'").fetchone()
    return codec.signoff_from_dict(json.loads(row[0])) if row else None


def write_signed_content(store: WorkbookStore, canonical: bytes | None) -> None:
    """Keep the canonical bytes that were signed (so verification can name what changed since); None
    removes them."""
    store.put_part(SIGNED_CONTENT_PART, None if canonical is None else canonical.decode("utf-8"))


def read_signed_content(store: WorkbookStore) -> bytes | None:
    row = store.conn.execute("SELECT json FROM parts WHERE name = ?", (SIGNED_CONTENT_PART,)).fetchone()
    return row[0].encode("utf-8") if row else None


# -- export records ----------------------------------------------------------------------------------

def record_export(store: WorkbookStore, *, path: str, kind: str, sha256: str, fingerprint: str,
                  exported_at: str | None = None) -> int:
    """Remember an exported file's hash and the fingerprint it carries (inside the caller's transaction)."""
    with store.leaving_traces_alone():
        cursor = store.conn.execute(
            "INSERT INTO exports (path, kind, sha256, fingerprint, exported_at) VALUES (?, ?, ?, ?, ?)",
            (str(path), kind, sha256, fingerprint, exported_at or now_utc()))
    return int(cursor.lastrowid)


def export_records(store: WorkbookStore, *, kind: str | None = None) -> list[dict[str, Any]]:
    """Export records, oldest first: {id, path, kind, sha256, fingerprint, exportedAt}."""
    sql = "SELECT id, path, kind, sha256, fingerprint, exported_at FROM exports"
    args: tuple[Any, ...] = ()
    if kind is not None:
        sql += " WHERE kind = ?"
        args = (kind,)
    rows = store.conn.execute(sql + " ORDER BY id", args).fetchall()
    return [{"id": r[0], "path": r[1], "kind": r[2], "sha256": r[3], "fingerprint": r[4], "exportedAt": r[5]}
            for r in rows]
