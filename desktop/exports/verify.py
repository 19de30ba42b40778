"""Verification: does a workbook (or an export of one) still hold what was signed off?

For a workbook (.ipwb): the decision content is recomputed from the file and compared with the stored
fingerprint; the signed canonical bytes kept at signing name each value that changed since; the Ed25519
signature (when there is one) is checked against the content; the audit log's hash chain is checked and
must end with the sign-off it records. `verify_path` also takes an exported .xlsx or .pdf and hands it to
`desktop.exports.verify_export.verify_export`.

Exit codes (the CLI's contract): 0 intact, 3 mismatch (what differs is listed), 4 nothing to verify.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop.domain.audit import chain_problems
from desktop.domain.canonical import canonical_bytes, canonicalise
from desktop.domain.errors import DomainError
from desktop.domain.playbook import Playbook
from desktop.domain.workbook import AuditEntry, SignOff, Workbook
from desktop.exports.content import build_decision, draft_of
from desktop.exports.decision_cache import keep_parts, keep_recomputed_parts
from desktop.exports.signing import key_fingerprint, verify_signature
from desktop.storage import signoff_store
from desktop.storage.workbook_file import SQLITE_MAGIC, WorkbookStore, open_store

INTACT = 0
MISMATCH = 3
NOTHING_TO_VERIFY = 4
MAX_DIFFERENCES = 200


@dataclass(frozen=True)
class Check:
    """One verification step: ok True (passed), False (failed) or None (not applicable)."""

    name: str
    ok: bool | None
    detail: str

    def to_json(self) -> dict[str, Any]:
        status = {True: "passed", False: "failed", None: "not checked"}[self.ok]
        return {"name": self.name, "ok": self.ok, "status": status, "detail": self.detail}


@dataclass
class VerifyReport:
    """The outcome of verifying one file.

    Attributes:
        path: the file verified.
        kind: "workbook", "xlsx" or "pdf".
        exit_code: 0 intact, 3 mismatch, 4 nothing to verify.
        summary: one sentence.
        checks: each step with its outcome.
        differences: what differs, one line each (e.g. "context.title: signed 'A', now 'B'" or
            "Summary!B4: shows 'x', the content renders 'y'").
        fingerprint: the fingerprint the file claims (stored / embedded), if any.
        recomputed: the fingerprint of the content as it stands now, if computed.
        signer: the approver, role, decision and date as recorded, if any.
        key_fingerprint: the signing key's fingerprint, if the sign-off has a signature.
    """

    path: Path
    kind: str
    exit_code: int
    summary: str
    checks: list[Check] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)
    fingerprint: str | None = None
    recomputed: str | None = None
    signer: dict[str, Any] | None = None
    key_fingerprint: str | None = None

    @property
    def intact(self) -> bool:
        return self.exit_code == INTACT

    @property
    def status(self) -> str:
        return {INTACT: "intact", MISMATCH: "mismatch"}.get(self.exit_code, "nothing-to-verify")

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "kind": self.kind, "status": self.status, "exitCode": self.exit_code,
                "summary": self.summary, "fingerprint": self.fingerprint, "recomputedFingerprint": self.recomputed,
                "signer": self.signer, "keyFingerprint": self.key_fingerprint,
                "checks": [c.to_json() for c in self.checks], "differences": list(self.differences)}

    def lines(self) -> list[str]:
        out = [f"{self.path}: {self.status.upper().replace('-', ' ')}: {self.summary}"]
        if self.signer:
            s = self.signer
            out.append(f"  signed off by {s.get('approver')} ({s.get('role')}), {s.get('decision')}, {s.get('date')}")
        if self.fingerprint:
            out.append(f"  fingerprint   {self.fingerprint}")
        if self.recomputed and self.recomputed != self.fingerprint:
            out.append(f"  content now   {self.recomputed}")
        if self.key_fingerprint:
            out.append(f"  signing key   {self.key_fingerprint}")
        for check in self.checks:
            mark = {True: "ok  ", False: "FAIL", None: "--  "}[check.ok]
            out.append(f"  [{mark}] {check.name}: {check.detail}")
        if self.differences:
            out.append("  what differs:")
            out += [f"    {d}" for d in self.differences]
        return out


# ---------------------------------------------------------------------------------------------- differences

def _label(item: Any, index: int) -> str:
    if isinstance(item, Mapping):
        for key in ("slug", "name", "number", "source"):
            if key in item and isinstance(item[key], (str, int)):
                return f"[{item[key]}]"
    return f"[{index}]"


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 120 else text[:117] + "..."


def content_differences(signed: Any, current: Any, path: str = "") -> list[str]:
    """Each value that differs between two canonical contents, named by its path
    (`gates[demand-shape].items[2].done: signed "false", now "true"`)."""
    signed, current = canonicalise(signed), canonicalise(current)
    out: list[str] = []
    _diff(signed, current, path, out)
    return out


def _diff(a: Any, b: Any, path: str, out: list[str]) -> None:
    if len(out) >= MAX_DIFFERENCES or a == b:
        return
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in sorted(set(a) | set(b)):
            here = f"{path}.{key}" if path else str(key)
            if key not in a:
                out.append(f"{here}: added, now {_show(b[key])}")
            elif key not in b:
                out.append(f"{here}: removed (signed {_show(a[key])})")
            else:
                _diff(a[key], b[key], here, out)
        return
    if isinstance(a, list) and isinstance(b, list):
        labels_a = [_label(x, i) for i, x in enumerate(a)]
        labels_b = [_label(x, i) for i, x in enumerate(b)]
        if labels_a == labels_b:
            for label, x, y in zip(labels_a, a, b):
                _diff(x, y, path + label, out)
            return
        if len(set(labels_a)) == len(labels_a) and len(set(labels_b)) == len(labels_b) and \
                not all(lbl[1:-1].isdigit() for lbl in labels_a + labels_b):
            by_b = dict(zip(labels_b, b))
            for label, x in zip(labels_a, a):
                if label in by_b:
                    _diff(x, by_b[label], path + label, out)
                else:
                    out.append(f"{path}{label}: removed")
            out += [f"{path}{label}: added" for label in labels_b if label not in set(labels_a)]
            return
        if len(a) != len(b):
            out.append(f"{path}: signed {len(a)} entries, now {len(b)}")
            return
        for i, (x, y) in enumerate(zip(a, b)):
            _diff(x, y, f"{path}[{i}]", out)
        return
    out.append(f"{path}: signed {_show(a)}, now {_show(b)}")


# ---------------------------------------------------------------------------------------------- workbook

def audit_problems(log: Sequence[AuditEntry], signoff: SignOff | None) -> list[str]:
    """Breaks in the audit log's hash chain, and a log whose end does not match the sign-off state
    (a removed last entry leaves the chain intact, but not this)."""
    problems = chain_problems(log)
    last = log[-1] if log else None
    if signoff is not None:
        if last is None:
            problems.append("the workbook is signed off but its audit log is empty: the sign entry was removed")
        elif last.action != "sign" or last.detail.get("fingerprint") != signoff.fingerprint:
            problems.append(f"the last audit entry ({last.sequence}, {last.action}) is not the sign-off this "
                            "workbook holds: entries were removed or the sign-off was replaced")
    elif last is not None and last.action == "sign":
        problems.append(f"the audit log ends with a sign-off (entry {last.sequence}) but the workbook is not "
                        "signed off: the sign-off or its revocation was removed")
    return problems


def audit_status_text(log: Sequence[AuditEntry], signoff: SignOff | None) -> str:
    """One line for the app: the chain intact (with the entry count) or what is wrong."""
    problems = audit_problems(log, signoff)
    if problems:
        return "Hash chain broken: " + "; ".join(problems)
    if not log:
        return "No entries yet: signing off and revoking are recorded here."
    return f"{len(log)} entr{'y' if len(log) == 1 else 'ies'}, hash chain intact."


def _audit_checks(workbook: Workbook) -> tuple[Check, list[str]]:
    problems = audit_problems(workbook.audit, workbook.signoff)
    if problems:
        return Check("audit log", False, "; ".join(problems)), problems
    return Check("audit log", True, audit_status_text(workbook.audit, workbook.signoff).rstrip(".")), []


def verify_store(store: WorkbookStore, playbook: Playbook, path: Path | None = None,
                 trusted_keys: Any = None) -> VerifyReport:
    """Verify an open workbook: stored fingerprint vs recomputed content, signature, trusted key, audit chain."""
    path = Path(path or store.path or "(workbook)")
    workbook = store.load(playbook)
    audit_check, audit_problems = _audit_checks(workbook)
    signoff = workbook.signoff
    if signoff is None:
        built = build_decision(store, draft_of(workbook), playbook)
        keep_parts(store, workbook, playbook, built)  # the draft's parts, for `ipw info` and the tamper banner
        draft = built.fingerprint
        if audit_problems:
            return VerifyReport(path, "workbook", MISMATCH, "the workbook is not signed off and its audit log "
                                "was tampered with", [audit_check], list(audit_problems), recomputed=draft)
        return VerifyReport(path, "workbook", NOTHING_TO_VERIFY,
                            "a draft: nothing was signed (no stored fingerprint to verify against; "
                            f"its draft fingerprint is {draft})", [audit_check], recomputed=draft)

    signer = {"approver": signoff.approver, "role": signoff.role, "decision": signoff.decision,
              "date": signoff.date, "conditions": signoff.conditions, "signedAt": signoff.signed_at}
    decision = build_decision(store, workbook, playbook, recompute_traces_hash=True)  # never the stored record
    keep_recomputed_parts(store, workbook, playbook, decision)
    current = decision.canonical
    checks: list[Check] = []
    differences: list[str] = []

    same = decision.fingerprint == signoff.fingerprint
    checks.append(Check("fingerprint", same, "the content recomputed from the file matches the stored "
                        "fingerprint" if same else "the content recomputed from the file does not match the "
                        "stored fingerprint: it was changed after sign-off"))

    signed_bytes = signoff_store.read_signed_content(store)
    if signed_bytes is None:
        checks.append(Check("signed content", None, "the file keeps no copy of the signed content, so what "
                            "changed cannot be named"))
    else:
        kept_ok = hashlib.sha256(signed_bytes).hexdigest() == signoff.fingerprint
        checks.append(Check("signed content", kept_ok, "the kept copy of the signed content matches the "
                            "fingerprint" if kept_ok else "the kept copy of the signed content does not match "
                            "the fingerprint: it was changed"))
        if not same:
            try:
                differences = content_differences(json.loads(signed_bytes), decision.content)
            except ValueError:
                differences = ["the kept copy of the signed content is not readable"]
    if not same and not differences:
        differences = ["the decision content differs from what was signed (no readable copy of the signed "
                       "content names the change)"]

    key_fp = None
    if signoff.signature:
        if not signoff.public_key:
            checks.append(Check("signature", False, "a signature without a public key cannot be checked"))
        else:
            key_fp = key_fingerprint(signoff.public_key) if len(signoff.public_key) == 64 else None
            valid = verify_signature(signoff.public_key, signoff.signature, current)
            if valid:
                detail = f"Ed25519 signature valid for the current content (key {key_fp})"
            elif signed_bytes is not None and verify_signature(signoff.public_key, signoff.signature, signed_bytes):
                detail = f"the signature (key {key_fp}) is valid for the content as signed, not for the content now"
            else:
                detail = f"the Ed25519 signature does not verify with the recorded public key {key_fp}"
            checks.append(Check("signature", valid, detail))
    else:
        checks.append(Check("signature", None, "signed off without a key: fingerprint only"))

    checks.append(audit_check)
    differences += [f"audit log: {p}" for p in audit_problems]
    _trust_checks(workbook, key_fp, trusted_keys, checks, differences)
    failed = [c.name for c in checks if c.ok is False]
    if failed:
        return VerifyReport(path, "workbook", MISMATCH, failed_headline(checks), checks,
                            differences, signoff.fingerprint, decision.fingerprint, signer, key_fp)
    return VerifyReport(path, "workbook", INTACT, "the signed-off content is unchanged", checks, [],
                        signoff.fingerprint, decision.fingerprint, signer, key_fp)


def _trust_checks(workbook: Workbook, key_fp: str | None, trusted_keys: Any, checks: list[Check],
                  differences: list[str]) -> None:
    """The hook into desktop.exports.verify_trust: a keyless sign-off after a keyed one, and whose key signed."""
    from desktop.exports.verify_trust import SigningKeys, TrustedKeys, downgrade_problem, key_checks

    problem = downgrade_problem(workbook.audit, workbook.signoff)
    if problem:
        checks.append(Check("key downgrade", False, problem))
        differences.append(problem)
    found, lost = key_checks(SigningKeys(content_key=key_fp), trusted_keys or TrustedKeys())
    checks += found
    differences += lost


def failed_headline(checks: Sequence[Check]) -> str:
    """The headline of a mismatch: the failing check(s) by name, the first one's finding in words."""
    failed = [c for c in checks if c.ok is False]
    names = ", ".join(c.name for c in failed)
    return f"{names} check{'s' if len(failed) > 1 else ''} failed: {failed[0].detail}"


def verify_workbook(path: Path, playbook: Playbook | None = None, trusted_keys: Any = None) -> VerifyReport:
    from desktop.resources import playbook as bundled_playbook

    path = Path(path)
    try:
        store = open_store(path, writable=False)
    except DomainError as exc:
        return VerifyReport(path, "workbook", NOTHING_TO_VERIFY, f"not a workbook this app can read ({exc})")
    try:
        return verify_store(store, playbook or bundled_playbook(), path, trusted_keys)
    finally:
        store.close()


def _is_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


def verify_path(path: Path | str, workbook: Path | str | None = None, *, trusted_keys: Any = None) -> VerifyReport:
    """Verify a workbook, an exported .xlsx or an exported .pdf (with `workbook`: against its export record).

    Raises FileNotFoundError when `path` does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".pdf"):
        from desktop.exports.verify_export import verify_export  # imported here: it imports this module

        return verify_export(path, Path(workbook) if workbook else None, trusted_keys=trusted_keys)
    if suffix == ".ipwb" or _is_sqlite(path):
        report = verify_workbook(path, trusted_keys=trusted_keys)
        if workbook:
            report.checks.append(Check("--workbook", None, "ignored: a workbook is verified on its own"))
        return report
    return VerifyReport(path, "unknown", NOTHING_TO_VERIFY,
                        "not a file this app writes (a workbook .ipwb, or an exported .xlsx or .pdf)")


def signed_canonical_bytes(content: Mapping[str, Any]) -> bytes:
    """What a signature covers: the canonical bytes of the decision content (for verify_export)."""
    return canonical_bytes(content)
