"""The canonical form of a workbook's decision content and its fingerprint.

One serialisation, used for the fingerprint, the signature and the copy embedded in exports:
JSON with sorted keys and no insignificant whitespace, every number written as a string in its shortest
exact form (so 60, 60.0 and 6e1 agree and no reader's float formatting can change the hash), and every
text NFC-normalised (so the same words typed on two systems hash alike).
"""

from __future__ import annotations

import hashlib
import json
import math
import unicodedata
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from desktop.domain.playbook import Playbook
from desktop.domain.workbook import SignOff, Workbook

CANONICAL_FORMAT_VERSION = 1


def content_number(value: Any) -> float | None:
    """A number read back from decision content, where numbers are written as text: '60' -> 60.0.
    None for null, booleans, text that is no number, NaN and infinities."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def canonical_number(value: int | float | Decimal) -> str:
    """The shortest exact decimal text of a number: 60.0 -> '60', 0.1 -> '0.1', 1e-07 -> '0.0000001'."""
    if isinstance(value, bool):
        raise TypeError("booleans are not numbers here")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} has no canonical form")
        text = repr(value)  # repr is the shortest text that round-trips
        if "e" not in text:  # fast path (millions of trace values): '60.0' -> '60', '0.25' stays
            if text.endswith(".0"):
                text = text[:-2]
            return "0" if text == "-0" else text
        value = Decimal(text)
    elif isinstance(value, int):
        return str(value)
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def canonicalise(value: Any) -> Any:
    """Numbers to canonical strings, texts to NFC, mappings and sequences recursively."""
    if value is None or isinstance(value, bool):
        return value
    if type(value) is str:  # the common case first
        return value if value.isascii() else unicodedata.normalize("NFC", value)
    if isinstance(value, (int, float, Decimal)):
        return canonical_number(value)
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, Mapping):
        return {unicodedata.normalize("NFC", str(k)): canonicalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [canonicalise(v) for v in value]
    raise TypeError(f"cannot put {type(value).__name__} into the canonical form")


def canonical_bytes(content: Mapping[str, Any]) -> bytes:
    return json.dumps(canonicalise(content), sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def fingerprint(content: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical bytes, as 64 hex digits."""
    return hashlib.sha256(canonical_bytes(content)).hexdigest()


def _canonical_scalar(value: Any) -> Any:
    kind = type(value)
    if kind is str:
        return value if value.isascii() else unicodedata.normalize("NFC", value)
    if kind is float:
        return canonical_number(value)
    if value is None or kind is bool:
        return value
    if kind is int:
        return str(value)
    return canonicalise(value)


_encode_row = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode


def rows_hash(rows: Iterable[Mapping[str, Any]]) -> str:
    """A content hash of trace rows in order, streamed so millions of rows need no list.

    Each row contributes its canonical bytes (exactly `canonical_bytes(row)`) and a newline; flat rows take
    a faster path that gives the same bytes.
    """
    digest = hashlib.sha256()
    update = digest.update
    for row in rows:
        canonical = {(k if type(k) is str and k.isascii() else unicodedata.normalize("NFC", str(k))):
                     _canonical_scalar(v) for k, v in row.items()}
        update(_encode_row(canonical).encode("utf-8"))
        update(b"\n")
    return digest.hexdigest()


def decision_content(workbook: Workbook, playbook: Playbook, *, schema_version: int,
                     traces_hash: str, trace_count: int, imports: list[Mapping[str, Any]],
                     scenarios: list[Mapping[str, Any]] | None = None,
                     catalog_entries: list[Mapping[str, Any]] | None = None,
                     recommendation: Mapping[str, Any] | None = None,
                     override: Mapping[str, Any] | None = None,
                     audit: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Everything a sign-off vouches for. The sign-off's own fingerprint and signature are not part of it
    (they are made from it); who signed, in what role, with what decision, is.

    `audit` anchors the audit log: {"entries": N, "headHash": hash of entry N} for the entries written
    before this content (see desktop.exports.content.audit_anchor), so removing an earlier sign-off or
    revocation changes the fingerprint of every later sign-off."""
    context = workbook.context
    signoff = workbook.signoff
    content = {
        "canonicalFormat": CANONICAL_FORMAT_VERSION,
        "schemaVersion": schema_version,
        "playbookVersion": playbook.version,
        "context": {
            "organisation": context.organisation, "title": context.title, "preparedBy": context.prepared_by,
            "sponsor": context.sponsor, "currency": context.currency, "fxToUsd": context.fx_to_usd,
            "fxDate": context.fx_date, "reviewerRateUsdPerHour": context.reviewer_rate_usd_per_hour,
            "targetP95Ms": context.target_p95_ms, "readinessThreshold": context.readiness_threshold,
            "workloads": [{"name": w.name, "monthlyRequests": w.monthly_requests} for w in context.workloads],
        },
        "gates": [{
            "slug": gate.slug, "status": workbook.gates[gate.slug].status.value,
            "note": workbook.gates[gate.slug].note, "justification": workbook.gates[gate.slug].justification,
            "items": [{"number": spec.number, "text": spec.text, "done": state.done, "note": state.note,
                       "owner": state.owner,
                       "evidence": None if state.evidence is None else {
                           "kind": state.evidence.kind, "label": state.evidence.label,
                           "sha256": state.evidence.sha256 or None, "embedded": state.evidence.embedded}}
                      for spec, state in zip(gate.checklist, workbook.gates[gate.slug].items)],
        } for gate in playbook.gates],
        "readiness": [{"slug": d.slug, "score": workbook.scores[d.slug].score, "note": workbook.scores[d.slug].note}
                      for d in playbook.readiness],
        "traces": {"count": trace_count, "contentSha256": traces_hash,
                   "imports": [{"source": i["source"], "format": i["format"], "sha256": i["sha256"],
                                "rowsImported": i["rowsImported"]} for i in imports]},
        "scenarios": list(scenarios or []),
        "catalogEntries": list(catalog_entries or []),
        "recommendation": dict(recommendation) if recommendation else None,
        "override": dict(override) if override else None,
        "audit": dict(audit) if audit is not None else None,
        "signoff": signoff_content(signoff),
    }
    # Added with the decision plan; left out while unset so that earlier fingerprints stay valid.
    if context.fx_source is not None:
        content["context"]["fxSource"] = context.fx_source
    if not workbook.plan.empty:
        content["plan"] = {
            "constraints": [{"workload": c.workload,
                             "allowedRoutes": list(c.allowed_routes) if c.allowed_routes is not None else None,
                             "monthlyBudgetUsd": c.monthly_budget_usd} for c in workbook.plan.constraints],
            "levers": [{"kind": lv.kind, "workload": lv.workload, "value": lv.value} for lv in workbook.plan.levers],
        }
    return content


def signoff_content(signoff: SignOff | None) -> dict[str, Any] | None:
    """The part of a sign-off that its fingerprint covers: who, in what role, what decision, when."""
    if signoff is None:
        return None
    return {"approver": signoff.approver, "role": signoff.role, "decision": signoff.decision,
            "conditions": signoff.conditions, "date": signoff.date, "draftFingerprint": signoff.draft_fingerprint}


def group_fingerprint(fingerprint: str) -> str:
    """64 hex digits in groups of four, upper case, as the exports and the screen print them."""
    text = fingerprint.upper()
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))
