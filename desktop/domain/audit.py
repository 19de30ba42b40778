"""The sign-off audit log: append-only and hash-chained, so a removed or edited entry shows.

Each entry's hash covers its own fields and the previous entry's hash; the first entry chains to
GENESIS. Removing, reordering or editing any entry breaks every hash after it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from desktop.domain.canonical import canonical_bytes
from desktop.domain.workbook import AuditEntry

GENESIS = "0" * 64


def entry_hash(sequence: int, action: str, actor: str, at: str, detail: Mapping[str, Any],
               previous_hash: str) -> str:
    body = {"sequence": sequence, "action": action, "actor": actor, "at": at, "detail": dict(detail),
            "previousHash": previous_hash}
    return hashlib.sha256(canonical_bytes(body)).hexdigest()


def next_entry(log: Sequence[AuditEntry], action: str, actor: str, at: str,
               detail: Mapping[str, Any]) -> AuditEntry:
    sequence = log[-1].sequence + 1 if log else 1
    previous = log[-1].entry_hash if log else GENESIS
    return AuditEntry(sequence, action, actor, at, dict(detail), previous,
                      entry_hash(sequence, action, actor, at, detail, previous))


def chain_problems(log: Sequence[AuditEntry]) -> list[str]:
    """Sentences describing each break in the chain; empty when the log is intact."""
    problems = []
    previous = GENESIS
    for expected, entry in enumerate(log, start=1):
        if entry.sequence != expected:
            problems.append(f"entry {expected} is missing (found entry {entry.sequence} in its place)")
        if entry.previous_hash != previous:
            problems.append(f"entry {entry.sequence} does not follow the entry before it")
        if entry.entry_hash != entry_hash(entry.sequence, entry.action, entry.actor, entry.at, entry.detail,
                                          entry.previous_hash):
            problems.append(f"entry {entry.sequence} was changed after it was written")
        previous = entry.entry_hash
    return problems
