"""Signing off and revoking a workbook: the one implementation the CLI (`ipw sign`, `ipw revoke`) and the
GUI's Sign-off page share.

Signing computes the decision content with the sign-off block in it, stores its fingerprint (and, with a
key, an Ed25519 signature of its canonical bytes), keeps the signed canonical bytes, and appends a 'sign'
entry to the hash-chained audit log, all in one transaction. The workbook is then read-only. Revoking
records who, when and why in a 'revoke' entry, clears the sign-off and keeps the log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, replace
from typing import Any

from desktop import __version__
from desktop.domain.canonical import canonical_bytes, group_fingerprint, signoff_content
from desktop.domain.errors import DomainError, FieldError, SignedWorkbookError
from desktop.domain.playbook import Playbook
from desktop.domain.progress import NO_PROGRESS, Progress
from desktop.domain.workbook import AuditEntry, SignOff, Workbook
from desktop.exports.content import Decision, build_decision  # noqa: F401 (Decision: SignResult.decision)
from desktop.exports.decision_cache import keep_parts
from desktop.storage import signoff_store
from desktop.storage.trace_hash import rows_hash
from desktop.storage.workbook_file import WorkbookStore, now_utc

DECISIONS: dict[str, str] = {
    "approve": "Approve",
    "approve-with-conditions": "Approve with conditions",
    "reject": "Reject",
}
MAX_TEXT = 2000
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class NotSignedError(DomainError):
    """A revoke of a workbook that is not signed off."""


def normalize_fingerprint(text: str) -> str:
    """A fingerprint as typed or printed ('7B19 0B5C ...', any case) -> 64 lowercase hex digits."""
    cleaned = re.sub(r"[\s:-]", "", text or "").lower()
    if not _HEX64.match(cleaned):
        raise FieldError("draftFingerprint", text, "must be a fingerprint of 64 hex digits")
    return cleaned


def _text(field: str, value: str | None, *, required: bool) -> str:
    value = (value or "").strip()
    # Control characters (other than line breaks and tabs) are dropped: a reason made only of them says nothing
    value = "".join(ch for ch in value if ch.isprintable() or ch in "\n\t").strip()
    if required and not value:
        raise FieldError(field, value, "is required (control characters alone do not count)")
    if len(value) > MAX_TEXT:
        raise FieldError(field, value[:40] + "...", f"must be at most {MAX_TEXT} characters")
    return value


def check_date(value: str | None) -> str:
    if not value:
        return dt.date.today().isoformat()
    try:
        return dt.date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise FieldError("date", value, "must be a date as YYYY-MM-DD") from None


@dataclass(frozen=True)
class SignResult:
    """What signing did.

    Attributes:
        signoff: the stored sign-off (fingerprint, signature and public key filled in).
        draft_fingerprint: the fingerprint of the content as a draft, just before signing.
        draft_matches: whether the approver's draft fingerprint equals it (None when none was given).
        entry: the 'sign' audit entry.
        decision: the signed decision content and what it was computed from.
    """

    signoff: SignOff
    draft_fingerprint: str
    draft_matches: bool | None
    entry: AuditEntry
    decision: Decision

    @property
    def fingerprint(self) -> str:
        return self.signoff.fingerprint


def run_sign(store: WorkbookStore, workbook: Workbook, playbook: Playbook, *, approver: str, role: str,
             decision: str, conditions: str = "", date: str | None = None,
             draft_fingerprint: str | None = None, private_key: Any = None,
             at: str | None = None, progress: Progress = NO_PROGRESS, economics: Any = None) -> SignResult:
    """Sign `workbook` off in `store` (one transaction) and update `workbook` in memory to match.

    `economics`, when given, is the Economics already computed for this very state (the GUI's shared result):
    the decision content is put together from them instead of computing them again.

    Raises SignedWorkbookError when it is already signed, FieldError for a missing or bad field. A draft
    fingerprint that differs from the current content is recorded (and reported), not refused.
    """
    workbook.ensure_editable()
    approver = _text("name", approver, required=True)
    role = _text("role", role, required=True)
    if decision not in DECISIONS:
        raise FieldError("decision", decision, f"must be one of: {', '.join(DECISIONS)}")
    conditions = _text("conditions", conditions, required=decision == "approve-with-conditions")
    date = check_date(date)
    given = normalize_fingerprint(draft_fingerprint) if draft_fingerprint else None
    at = at or now_utc()

    progress.stage("Computing the decision content")
    # What is signed is then checked against the rows' own hash: known here for a file this app wrote, hashed
    # now (once per version) for one from elsewhere, so that its parts can be kept and the check is warm.
    rows_hash(store)
    draft = build_decision(store, workbook, playbook, economics=economics)
    keep_parts(store, workbook, playbook, draft)  # the signed content has the same parts: `ipw info` next is warm
    matches = None if given is None else given == draft.fingerprint
    signoff = SignOff(approver=approver, role=role, decision=decision, conditions=conditions, date=date,
                      fingerprint="", signed_at=at, draft_fingerprint=given)
    content = dict(draft.content)
    content["signoff"] = signoff_content(signoff)
    canonical = canonical_bytes(content)
    fingerprint = hashlib.sha256(canonical).hexdigest()
    signature = public = key = None
    if private_key is not None:
        from desktop.exports.signing import key_fingerprint, public_key_hex, sign_bytes  # loads cryptography

        signature = sign_bytes(private_key, canonical)
        public = public_key_hex(private_key)
        key = key_fingerprint(public)
    signoff = replace(signoff, fingerprint=fingerprint, signature=signature, public_key=public)
    detail = {"fingerprint": fingerprint, "decision": decision, "role": role, "date": date,
              "conditions": conditions, "draftFingerprint": given, "draftMatches": matches,
              "signature": signature is not None, "publicKey": public,
              "keyFingerprint": key, "appVersion": __version__}
    workbook.signoff = signoff
    try:
        with store.transaction():
            store.write_document(workbook)
            signoff_store.write_signed_content(store, canonical)
            entry = signoff_store.append_audit(store, "sign", approver, detail, at)
    except BaseException:
        workbook.signoff = None
        raise
    workbook.audit.append(entry)
    return SignResult(signoff, draft.fingerprint, matches, entry, draft.with_content(content))


def run_revoke(store: WorkbookStore, workbook: Workbook, *, by: str, reason: str,
               at: str | None = None, progress: Progress = NO_PROGRESS) -> AuditEntry:
    """Revoke the sign-off: a 'revoke' entry (who, when, why, what was signed), the sign-off cleared."""
    signoff = workbook.signoff
    if signoff is None:
        raise NotSignedError("the workbook is not signed off; there is nothing to revoke")
    by = _text("by", by, required=True)
    reason = _text("reason", reason, required=True)
    detail = {"reason": reason, "fingerprint": signoff.fingerprint, "approver": signoff.approver,
              "role": signoff.role, "decision": signoff.decision, "date": signoff.date,
              "signedAt": signoff.signed_at}
    workbook.signoff = None
    try:
        with store.transaction():
            store.write_document(workbook)
            signoff_store.write_signed_content(store, None)
            entry = signoff_store.append_audit(store, "revoke", by, detail, at or now_utc())
    except BaseException:
        workbook.signoff = signoff
        raise
    workbook.audit.append(entry)
    return entry


__all__ = ["DECISIONS", "NotSignedError", "SignResult", "SignedWorkbookError", "check_date", "group_fingerprint",
           "normalize_fingerprint", "run_revoke", "run_sign"]
