"""What `ipw verify` checks beyond "the file matches itself": whose key signed, and is the sign-off still current.

Anyone with the app's code can rebuild a workbook's hash chain and sign it with their own key, so a valid
signature proves nothing until the key is one the auditor trusts. Trusted keys come from `--trusted-key
FINGERPRINT` (repeatable) and from `trusted-keys.txt` in the user config folder (one fingerprint a line, `#`
comments). A fingerprint is the 16-byte (or full 32-byte) SHA-256 prefix `ipw keygen` prints, in any
grouping or case.

- `key_checks`: every key that signed the file (the sign-off's Ed25519 key, the memo's PDF signing key)
  must be trusted. A PDF key that `ipw keygen` made carries a binding signed by its Ed25519 key
  (`desktop.exports.pdf_signature`), so trusting the Ed25519 key trusts it too. With trusted keys given, a
  file with no signature at all is a downgrade. Without any, the check says plainly it was not made.
- `downgrade_problem`: a workbook signed off without a key where its audit log shows a keyed sign-off before.
- `signoff_state_checks`: a memo checked `--workbook` against the workbook it came from is a mismatch when
  that sign-off was revoked or superseded (when, by whom, why, and which fingerprint is current).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.exports.verify import Check

TRUSTED_KEYS_FILE = "trusted-keys.txt"
_HEX = re.compile(r"^[0-9a-f]{32}([0-9a-f]{32})?$")


class TrustedKeyError(ValueError):
    """A --trusted-key value or a trusted-keys.txt line that is not a key fingerprint."""


def normalize_key(text: str) -> str:
    """A key fingerprint as printed ('D953 1A3A ...', any case, 16 or 32 bytes) -> 32 lowercase hex digits."""
    cleaned = re.sub(r"[\s:-]", "", text or "").lower()
    if not _HEX.match(cleaned):
        raise TrustedKeyError(f"'{text.strip()[:80]}' is not a key fingerprint (32 hex digits, as 'ipw keygen' "
                              "prints it)")
    return cleaned[:32]


def group_key(hex32: str) -> str:
    text = hex32.upper()
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


def trusted_keys_path() -> Path:
    from desktop import paths
    return paths.user_config_dir() / TRUSTED_KEYS_FILE


@dataclass(frozen=True)
class TrustedKeys:
    """The fingerprints an auditor trusts and where they came from."""

    keys: frozenset[str] = frozenset()
    sources: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.keys)

    def trusts(self, fingerprint: str | None) -> bool:
        if not fingerprint:
            return False
        try:
            return normalize_key(fingerprint) in self.keys
        except TrustedKeyError:
            return False

    def describe(self) -> str:
        return ", ".join(group_key(k) for k in sorted(self.keys))


def load_trusted_keys(given: Iterable[str] = (), *, file: Path | None = None) -> TrustedKeys:
    """The keys given on the command line plus those in the trusted-keys file (when it exists).

    Raises TrustedKeyError naming the bad value or file line."""
    keys = {normalize_key(k) for k in given}
    sources = ["--trusted-key"] if keys else []
    path = file or trusted_keys_path()
    if path.is_file():
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise TrustedKeyError(f"cannot read {path} ({exc})") from None
        from_file = set()
        for number, line in enumerate(lines, 1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            try:
                from_file.add(normalize_key(text))
            except TrustedKeyError as exc:
                raise TrustedKeyError(f"{path}, line {number}: {exc}") from None
        if from_file:
            keys |= from_file
            sources.append(str(path))
    return TrustedKeys(frozenset(keys), tuple(sources))


# ---------------------------------------------------------------------------------------------- keys

@dataclass
class SigningKeys:
    """The keys a file was signed with, as fingerprints (None where the file has no such signature).

    Attributes:
        content_key: the sign-off's Ed25519 key (signature over the decision content).
        pdf_key: the memo's PDF (PAdES) signing key.
        pdf_key_vouched_by: the Ed25519 key whose binding signature the PDF certificate carries, if valid.
        expects_pdf: the file is a memo, which a keyed sign-off exports with a PDF signature.
    """

    content_key: str | None = None
    pdf_key: str | None = None
    pdf_key_vouched_by: str | None = None
    expects_pdf: bool = False


def key_checks(keys: SigningKeys, trusted: TrustedKeys) -> tuple[list[Check], list[str]]:
    """The 'trusted key' check of a file signed with `keys` (see the module docstring)."""
    if not trusted:
        found = [k for k in (keys.content_key, keys.pdf_key) if k]
        detail = ("the signer's key was not checked against any trusted key"
                  + (f" (signed with {', '.join(found)})" if found else "")
                  + f"; pass --trusted-key FINGERPRINT or list it in {trusted_keys_path()}")
        return [Check("trusted key", None, detail)], []
    expected = trusted.describe()
    problems = []
    if keys.content_key is None and keys.pdf_key is None:
        problems.append(f"downgrade: the sign-off carries no signature at all, but a key is pinned (expected "
                        f"{expected})")
    if keys.content_key is not None and not trusted.trusts(keys.content_key):
        problems.append(f"the sign-off was signed with key {keys.content_key}, not a trusted key (expected "
                        f"{expected})")
    if keys.pdf_key is not None and not (trusted.trusts(keys.pdf_key) or trusted.trusts(keys.pdf_key_vouched_by)):
        problems.append(f"the PDF was signed with key {keys.pdf_key}, not a trusted key (expected {expected})")
    if keys.expects_pdf and keys.pdf_key is None and keys.content_key is not None:
        problems.append(f"downgrade: the memo carries no PDF signature, but a key is pinned (expected {expected})")
    if problems:
        return [Check("trusted key", False, "; ".join(problems))], [f"trusted key: {p}" for p in problems]
    used = ", ".join(k for k in (keys.content_key, keys.pdf_key) if k)
    return [Check("trusted key", True, f"signed with trusted key(s) {used}")], []


def downgrade_problem(log: Sequence[Any], signoff: Any) -> str | None:
    """A keyless sign-off where the audit log shows an earlier sign-off made with a key."""
    if signoff is None or signoff.signature:
        return None
    keyed = [e for e in log if e.action == "sign" and e.detail.get("publicKey")]
    if not keyed:
        return None
    last = keyed[-1]
    return (f"downgrade: this sign-off has no key, but entry {last.sequence} of the audit log records a sign-off "
            f"by {last.actor} on {last.at} signed with key {last.detail.get('keyFingerprint')}")


# ---------------------------------------------------------------------------------------------- sign-off state

def signoff_state_checks(workbook_path: Path, fingerprint: str | None, page_text: str | None = None
                         ) -> tuple[list[Check], list[str]]:
    """Is the sign-off a file shows (`fingerprint`) still the workbook's current one? For a memo (`page_text`)
    whose sign-off is current, the plan totals it prints are also recomputed from the workbook and compared."""
    from desktop.domain.errors import DomainError
    from desktop.resources import playbook
    from desktop.storage.workbook_file import open_store

    if not fingerprint:
        return [], []
    try:
        store = open_store(Path(workbook_path), writable=False)
    except DomainError as exc:
        return [Check("sign-off state", False, f"cannot read the workbook: {exc}")], \
            [f"--workbook: cannot read {workbook_path}"]
    try:
        workbook = store.load(playbook())
        current = workbook.signoff.fingerprint if workbook.signoff else None
        plan_check = _plan_totals_check(store, workbook, page_text) if current == fingerprint else None
    finally:
        store.close()
    if current == fingerprint:
        downgrade = downgrade_problem(workbook.audit, workbook.signoff)
        if downgrade:
            return [Check("key downgrade", False, downgrade)], [downgrade]
        checks = [Check("sign-off state", True, "the sign-off this file shows is the workbook's current one")]
        if plan_check is None:
            return checks, []
        return checks + [plan_check[0]], plan_check[1]
    revocations = [e for e in workbook.audit if e.action == "revoke" and e.detail.get("fingerprint") == fingerprint]
    now = (f"the current sign-off has fingerprint {current}" if current else
           "the workbook is not signed off now")
    if revocations:
        r = revocations[-1]
        detail = (f"this sign-off was REVOKED on {r.at} by {r.actor}: {r.detail.get('reason', '')!s}; {now}")
    elif any(e.action == "sign" and e.detail.get("fingerprint") == fingerprint for e in workbook.audit):
        detail = f"this sign-off was superseded; {now}"
    else:
        detail = f"the workbook's audit log records no sign-off with this file's fingerprint; {now}"
    return [Check("sign-off state", False, detail)], [f"sign-off state: {detail}"]


def _plan_totals_check(store: Any, workbook: Any, page_text: str | None) -> tuple[Check, list[str]] | None:
    """The memo's printed plan totals against the plan computed from the workbook (None: no memo, no plan)."""
    from desktop.exports.matrix import gather
    from desktop.exports.memo_text_check import plan_total_differences
    from desktop.resources import playbook

    if page_text is None:
        return None
    # A file under audit: its rows may not be those its trace hash record names, so nothing is kept from it.
    plan = gather(store, workbook, playbook(), with_trace_sheet=False, keep=False).plan
    found = plan_total_differences(page_text, plan, playbook())
    return Check("plan totals", not found, "the plan totals printed on the memo are those the workbook computes"
                 if not found else f"{len(found)} plan total(s) differ, first: {found[0]}"), found


def signer_of(content: Mapping[str, Any] | None) -> dict[str, Any] | None:
    signoff = (content or {}).get("signoff")
    if not isinstance(signoff, Mapping):
        return None
    return {k: signoff.get(k) for k in ("approver", "role", "decision", "date", "conditions")}
