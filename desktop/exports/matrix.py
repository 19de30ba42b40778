"""The procurement matrix with this workbook's statuses, as Markdown and JSON, and the data every export shows.

`gather(store, workbook, playbook)` reads and computes once what the Excel workbook, the PDF memo and the
matrix files show: the canonical decision content and its fingerprint (`desktop.exports.content`), the
trace rows, metrics and recommendation they were computed from, and the export manifest (fingerprint,
sign-off status, signature and public key) that is embedded beside the content in every export.

The Markdown and JSON files follow the playbook's `hardwareProcurementMatrix` (the seed's
hardware-procurement-matrix artifacts) with this workbook's route statuses, gate verdicts and scores added.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop import __version__
from desktop.domain.audit import chain_problems
from desktop.domain.canonical import canonical_bytes
from desktop.domain.playbook import Playbook
from desktop.domain.progress import Progress, check_cancelled
from desktop.domain.workbook import Workbook
from desktop.exports.atomic import write_bytes_atomic
from desktop.exports.plan_matrix import plan_markdown_lines, plan_matrix_json
from desktop.storage.workbook_file import WorkbookStore

MANIFEST_FORMAT = "ipw-export-manifest/1"
MATRIX_FORMAT = "ipw-procurement-matrix/1"
CONTENT_FILE_NAME = "decision-content.json"
MANIFEST_FILE_NAME = "export-manifest.json"

DRAFT_MARK = "DRAFT - not signed off"
NOT_VALID_MARK = "NOT VALID - the content differs from what was signed off"

STATUS_LABELS = {"supported": "Supported", "not-yet": "Not yet", "avoid": "Avoid"}
GATE_LABELS = {"not-assessed": "Not assessed", "passed": "Passed", "at-risk": "At risk", "failed": "Failed"}
DECISION_LABELS = {"approve": "Approved", "approve-with-conditions": "Approved with conditions",
                   "reject": "Rejected"}


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass
class ExportData:
    """What every export shows, read and computed once.

    Attributes:
        playbook: the bundled playbook.
        workbook: the workbook as loaded (its sign-off and audit log included).
        decision: desktop.exports.content.Decision (content, fingerprint, rows, metrics, recommendation, ...).
        canonical: the decision content as its canonical JSON parses back (numbers as strings, text NFC);
            exports render their decision cells from this, so `ipw verify` can render them again.
        canonical_bytes: the exact bytes the fingerprint is the SHA-256 of.
        manifest: fingerprint, status, signature and public key (embedded beside the content).
        imports: the store's active imports (provenance for the Assumptions sheet and the memo).
        extra_fields: names of the extra trace fields, in order, for the Traces sheet.
        trace_frame: the trace rows with their stored values, as the Traces sheet shows them (polars).
        audit_problems: breaks in the audit log's hash chain, in words (empty when intact).
    """

    playbook: Playbook
    workbook: Workbook
    decision: Any
    canonical: dict[str, Any]
    canonical_bytes: bytes
    manifest: dict[str, Any]
    imports: list[dict[str, Any]] = field(default_factory=list)
    extra_fields: list[str] = field(default_factory=list)
    audit_problems: list[str] = field(default_factory=list)
    source: Path | None = None
    plan: dict[str, Any] | None = None  # the decision plan as `ipw plan --json --sensitivity` prints it
    trace_frame: Any = None  # the trace rows with their stored values (`desktop.exports.shown_traces`), if gathered

    @property
    def fingerprint(self) -> str:
        return self.manifest["fingerprint"]

    @property
    def status(self) -> str:
        return self.manifest["status"]

    @property
    def signed(self) -> bool:
        return self.manifest["status"] == "signed"

    @property
    def frame(self) -> Any:
        """The trace rows as the economics read them (`desktop.exports.content.Decision.frame`)."""
        return self.decision.frame

    @property
    def rows(self) -> Any:
        """The trace rows as dicts, built on access (`desktop.exports.content.TraceRows`)."""
        return self.decision.rows

    @property
    def metrics(self) -> Any:
        return self.decision.metrics

    @property
    def recommendation(self) -> Any:
        return self.decision.recommendation


def status_mark(manifest: Mapping[str, Any]) -> str | None:
    """The banner every page and sheet carries: DRAFT, NOT VALID, or None for an intact sign-off."""
    status = manifest.get("status")
    if status == "signed":
        return None
    if status == "not-valid":
        return NOT_VALID_MARK
    return DRAFT_MARK


def gate_justification(state: Mapping[str, Any]) -> str:
    """What every export shows beside a gate's verdict: the officer's justification and the open items.

    A gate passed with open items always says so (with "no justification recorded" when there is none);
    an at-risk or failed gate shows its justification; a gate not assessed shows nothing."""
    status = state.get("status") or "not-assessed"
    if status == "not-assessed":
        return ""
    open_items = [str(i.get("number")) for i in state.get("items") or [] if not i.get("done")]
    justification = " ".join(str(state.get("justification") or "").split())
    if status == "passed" and open_items:
        return f"Passed with open item(s) {', '.join(open_items)}: {justification or 'no justification recorded'}"
    text = justification
    if open_items:
        text += ("; " if text else "") + f"open item(s) {', '.join(open_items)}"
    return text


def decision_record(data: ExportData) -> dict[str, Any]:
    """The decision as every matrix states it: approve / approve with conditions / reject, who, when, on what
    conditions, with which key, and every revocation the audit log records."""
    from desktop.exports.signing import key_fingerprint

    signoff = data.workbook.signoff
    revocations = [{"at": e.at, "by": e.actor, "reason": e.detail.get("reason"),
                    "revokedFingerprint": e.detail.get("fingerprint"), "approver": e.detail.get("approver"),
                    "decision": e.detail.get("decision")} for e in data.workbook.audit if e.action == "revoke"]
    if signoff is None:
        return {"decision": None, "decisionLabel": "Not decided: a draft, not signed off", "approver": None,
                "role": None, "date": None, "conditions": None, "signedAt": None, "keyFingerprint": None,
                "revocations": revocations}
    try:
        key = key_fingerprint(signoff.public_key) if signoff.signature and signoff.public_key else None
    except ValueError:
        key = "unreadable key"
    return {"decision": signoff.decision, "decisionLabel": DECISION_LABELS.get(signoff.decision, signoff.decision),
            "approver": signoff.approver, "role": signoff.role, "date": signoff.date,
            "conditions": signoff.conditions or None, "signedAt": signoff.signed_at, "keyFingerprint": key,
            "revocations": revocations}


def make_manifest(workbook: Workbook, fingerprint: str, exported_at: str | None = None) -> dict[str, Any]:
    signoff = workbook.signoff
    if signoff is None:
        status = "draft"
    elif signoff.fingerprint == fingerprint:
        status = "signed"
    else:
        status = "not-valid"
    return {
        "format": MANIFEST_FORMAT,
        "fingerprint": fingerprint,
        "status": status,
        "signedFingerprint": signoff.fingerprint if signoff else None,
        "signedAt": signoff.signed_at if signoff else None,
        "signature": signoff.signature if signoff else None,
        "publicKey": signoff.public_key if signoff else None,
        "exportedAt": exported_at or _now(),
        "generator": f"Inference Procurement Workbook {__version__}",
    }


def gather(store: WorkbookStore, workbook: Workbook, playbook: Playbook, *, progress: Progress | None = None,
           exported_at: str | None = None, with_trace_sheet: bool = True, keep: bool = True) -> ExportData:
    """Read the trace rows, compute metrics, recommendation and decision content once for all exports.
    `with_trace_sheet`: also the rows exactly as stored, which only the Excel workbook's Traces sheets show
    (checking them against the trace hash is a second pass over every row: 1.3 s at a million). `keep`: leave
    the decision parts in the user's cache (not for a file under audit, whose rows may not be its record's)."""
    from desktop.exports.content import build_decision
    from desktop.exports.decision_cache import keep_parts
    from desktop.exports.plan_data import export_plan
    from desktop.exports.shown_traces import shown_trace_frame
    from desktop.storage.trace_store import extra_field_names

    if progress is not None:
        progress.stage("Reading the workbook")
    decision = build_decision(store, workbook, playbook)
    if keep:
        keep_parts(store, workbook, playbook, decision)  # describing the workbook after its export computes nothing
    check_cancelled(progress)
    raw = canonical_bytes(decision.content)
    # Names of visible rows' extras (the store reads them from visible rows only), never a trace field.
    base = _base_row_keys()
    extra = [name for name in extra_field_names(store) if name not in base]
    return ExportData(playbook=playbook, workbook=workbook, decision=decision, canonical=json.loads(raw),
                      canonical_bytes=raw, manifest=make_manifest(workbook, decision.fingerprint, exported_at),
                      imports=store.imports(), extra_fields=extra, audit_problems=chain_problems(workbook.audit),
                      source=store.path, plan=export_plan(decision.economics, workbook),
                      trace_frame=shown_trace_frame(store, decision) if with_trace_sheet else None)


def _base_row_keys() -> set[str]:
    from desktop.domain.trace import FIELD_NAMES
    return {"id", "importId", *FIELD_NAMES}


# ---------------------------------------------------------------------------------------------- the matrix

def _number(text: Any) -> float | None:
    """A canonical number string back to a number (None stays None)."""
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        return float(text)
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _int(text: Any) -> int | None:
    value = _number(text)
    return None if value is None else int(value)


def matrix_json(data: ExportData) -> dict[str, Any]:
    """The playbook's procurement matrix with this workbook's statuses, as one JSON object."""
    content = data.canonical
    recommendation = content.get("recommendation") or {}
    statuses = {s["slug"]: s for s in recommendation.get("statuses", [])}
    gates = {g["slug"]: g for g in content.get("gates", [])}
    scores = {s["slug"]: s for s in content.get("readiness", [])}
    context = content.get("context", {})
    routes = []
    for route in data.playbook.procurement_routes:
        status = statuses.get(route.slug, {})
        routes.append({
            "slug": route.slug, "route": route.name, "stage": route.stage, "useWhen": route.use_when,
            "minimumEvidence": route.minimum_evidence, "avoidWhen": route.avoid_when, "owner": route.owner,
            "status": status.get("status"), "statusLabel": STATUS_LABELS.get(status.get("status"), "Unknown"),
            "recommended": recommendation.get("route") == route.slug,
            "fallback": recommendation.get("fallback") == route.slug,
            "costPerAcceptedOutputAtTargetUsd": _number(status.get("costAtTarget")),
            "reasons": [r["text"] for r in status.get("reasons", [])],
        })
    decision_gates = []
    for gate in data.playbook.gates:
        state = gates.get(gate.slug, {})
        items = state.get("items", [])
        open_items = [int(i["number"]) for i in items if not i.get("done")]
        decision_gates.append({
            "slug": gate.slug, "gate": gate.name, "buyerQuestion": gate.buyer_question,
            "evidenceNeeded": gate.evidence_needed, "failureIfSkipped": gate.failure_if_skipped,
            "verdict": state.get("status", "not-assessed"),
            "itemsDone": len(items) - len(open_items), "itemsTotal": len(items), "openItems": open_items,
            "openItemTexts": [i.get("text") for i in items if not i.get("done")],
            "exception": state.get("justification") or None if state.get("status") == "passed" and open_items
            else None,
            "justification": state.get("justification") or None, "note": state.get("note") or None,
            "justificationAndOpenItems": gate_justification(state) or None,
        })
    readiness = []
    for dim in data.playbook.readiness:
        score = scores.get(dim.slug, {})
        readiness.append({"slug": dim.slug, "dimension": dim.name, "score": _int(score.get("score")),
                          "referenceScore": dim.reference_score, "note": score.get("note") or "",
                          "playbookNote": dim.note})
    return {
        "format": MATRIX_FORMAT,
        "purpose": data.playbook.matrix_purpose,
        "workbook": {
            "title": context.get("title", ""), "organisation": context.get("organisation", ""),
            "preparedBy": context.get("preparedBy", ""), "sponsor": context.get("sponsor", ""),
            "status": data.status, "statusMark": status_mark(data.manifest),
            "fingerprint": data.fingerprint, "playbookVersion": content.get("playbookVersion"),
            "exportedAt": data.manifest["exportedAt"],
            "recommendedRoute": recommendation.get("routeName"), "fallbackRoute": recommendation.get("fallbackName"),
            "readinessThreshold": _int(context.get("readinessThreshold")),
            "targetP95Ms": _number(context.get("targetP95Ms")),
        },
        "decision": decision_record(data),
        "plan": plan_matrix_json(data.plan),
        "routes": routes,
        "decisionGates": decision_gates,
        "readinessScores": readiness,
    }


_MD_SPECIAL = str.maketrans({"\\": "\\\\", "|": "\\|", "*": "\\*", "_": "\\_", "`": "\\`", "[": "\\[",
                             "]": "\\]", "<": "&lt;", ">": "&gt;", "&": "&amp;", "#": "\\#"})


def md(text: Any) -> str:
    """Text for a Markdown table cell or line: no markup, no HTML, one line."""
    if text is None:
        return ""
    value = " ".join(str(text).split())
    return value.translate(_MD_SPECIAL)


def matrix_markdown(data: ExportData) -> str:
    doc = matrix_json(data)
    wb = doc["workbook"]
    lines = [f"# Hardware procurement matrix: {md(wb['title']) or 'untitled workbook'}", ""]
    mark = wb["statusMark"]
    lines.append(f"**{md(mark)}**" if mark else "**Signed off**")
    lines.append("")
    lines += [f"- Organisation: {md(wb['organisation'])}", f"- Prepared by: {md(wb['preparedBy'])}",
              f"- Recommended route: **{md(wb['recommendedRoute'])}** (fallback: {md(wb['fallbackRoute'])})",
              f"- Fingerprint (SHA-256 of the decision content): `{wb['fingerprint']}`",
              f"- Playbook version {md(wb['playbookVersion'])}; exported {md(wb['exportedAt'])}", ""]
    lines += _decision_markdown(doc["decision"])
    lines += plan_markdown_lines(data.plan, data.playbook, md)
    lines += [md(doc["purpose"]), "", "## Routes", "",
              "| Route | Stage | Use when | Minimum evidence | Avoid when | Owner | Status in this workbook |",
              "|---|---|---|---|---|---|---|"]
    for r in doc["routes"]:
        status = r["statusLabel"] + (" (recommended)" if r["recommended"] else "")
        lines.append(f"| {md(r['route'])} | {md(r['stage'])} | {md(r['useWhen'])} | {md(r['minimumEvidence'])} | "
                     f"{md(r['avoidWhen'])} | {md(r['owner'])} | {md(status)} |")
    lines += ["", "## Why each route has its status", ""]
    for r in doc["routes"]:
        lines.append(f"**{md(r['route'])}: {md(r['statusLabel'])}**")
        lines.append("")
        lines += [f"- {md(reason)}" for reason in r["reasons"]] or ["- (no reasons recorded)"]
        lines.append("")
    lines += ["## Decision gates", "", "| Gate | Buyer question | Verdict | Items done | Justification and open items "
              "| Officer's note | Failure if skipped |", "|---|---|---|---|---|---|---|"]
    for g in doc["decisionGates"]:
        verdict = GATE_LABELS.get(g["verdict"], g["verdict"])
        lines.append(f"| {md(g['gate'])} | {md(g['buyerQuestion'])} | {md(verdict)} | "
                     f"{g['itemsDone']} of {g['itemsTotal']} | {md(g['justificationAndOpenItems'])} | "
                     f"{md(g['note'])} | {md(g['failureIfSkipped'])} |")
    lines += ["", f"## Readiness (threshold {wb['readinessThreshold']})", "",
              "| Dimension | Score | Reference score | Note |", "|---|---|---|---|"]
    for s in doc["readinessScores"]:
        score = "not scored" if s["score"] is None else str(s["score"])
        lines.append(f"| {md(s['dimension'])} | {score} | {s['referenceScore']} | {md(s['note'] or s['playbookNote'])} |")
    lines.append("")
    return "\n".join(lines)


def _decision_markdown(decision: Mapping[str, Any]) -> list[str]:
    lines = ["## Decision", ""]
    if decision["decision"] is None:
        lines.append(f"- Decision: **{md(decision['decisionLabel'])}**")
    else:
        lines += [f"- Decision: **{md(decision['decisionLabel'])}**",
                  f"- Approver: {md(decision['approver'])}, {md(decision['role'])}",
                  f"- Date: {md(decision['date'])} (recorded {md(decision['signedAt'])})",
                  f"- Conditions: {md(decision['conditions']) or 'none'}",
                  f"- Signing key: {md(decision['keyFingerprint']) or 'none (the fingerprint only, no signature)'}"]
    for r in decision["revocations"]:
        lines.append(f"- Revoked {md(r['at'])} by {md(r['by'])}: {md(r['reason'])} (the sign-off {md(r['decision'])} "
                     f"by {md(r['approver'])}, fingerprint `{r['revokedFingerprint']}`)")
    if not decision["revocations"]:
        lines.append("- Revocations: none")
    lines.append("")
    return lines


def write_matrix_json(path: Path | str, data: ExportData) -> None:
    text = json.dumps(matrix_json(data), ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    write_bytes_atomic(path, text.encode("utf-8"))


def write_matrix_markdown(path: Path | str, data: ExportData) -> None:
    write_bytes_atomic(path, matrix_markdown(data).encode("utf-8"))
