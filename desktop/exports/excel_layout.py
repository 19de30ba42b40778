"""What the Excel workbook's decision sheets show, cell by cell, as plain data (no xlsxwriter here).

Summary, Procurement matrix, Gates and Readiness are rendered by `decision_layouts` from the canonical
content alone (plus the bundled playbook's texts and the manifest), so the verifier renders them again
from the embedded content and compares cell by cell. Assumptions and Audit add the export's other data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from desktop.domain.canonical import content_number, group_fingerprint
from desktop.domain.playbook import Playbook
from desktop.exports.excel_text import clean_text
from desktop.exports.matrix import (DECISION_LABELS, GATE_LABELS, STATUS_LABELS, ExportData, gate_justification,
                                    status_mark)

HEADER_ROW = 3  # 0-based: tables' header row (Excel row 4); data from row 4 (Excel row 5)
FIRST_DATA_ROW = HEADER_ROW + 1

DECISION_SHEETS = ("Summary", "Procurement matrix", "Gates", "Readiness")


@dataclass(frozen=True)
class Cell:
    """One cell of a rendered sheet: its value, its style name and where the value comes from.

    `origin` is "content" (the canonical decision content), "playbook" (the bundled playbook's text) or
    "manifest" (fingerprint, status, signature); the verifier checks playbook cells only when the content's
    playbook version is the bundled one.
    """

    value: Any
    style: str = "text"
    origin: str = "content"


@dataclass
class Layout:
    name: str
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)
    freeze: tuple[int, int] | None = None
    title_rows: tuple[int, int] | None = None
    landscape: bool = True
    anchors: dict[str, tuple[int, int]] = field(default_factory=dict)
    row: int = 0  # the next free row while building

    def put(self, row: int, col: int, value: Any, style: str = "text", origin: str = "content") -> None:
        if value is None or value == "":
            return
        if isinstance(value, str):
            value = clean_text(value)
        self.cells[(row, col)] = Cell(value, style, origin)

    def line(self, *values: Any, style: str | Sequence[str] = "text", origin: str | Sequence[str] = "content"
             ) -> int:
        row = self.row
        for col, value in enumerate(values):
            s = style if isinstance(style, str) else style[col]
            o = origin if isinstance(origin, str) else origin[col]
            self.put(row, col, value, s, o)
        self.row += 1
        return row

    def skip(self, rows: int = 1) -> None:
        self.row += rows

    def rows(self) -> list[int]:
        return sorted({r for r, _ in self.cells})


def cell_ref(row: int, col: int, absolute: bool = False) -> str:
    """0-based (row, col) -> 'B7' (or '$B$7')."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"${letters}${row + 1}" if absolute else f"{letters}{row + 1}"


def col_letter(col: int) -> str:
    return cell_ref(0, col)[:-1]


def sheet_ref(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'" if re.search(r"[^A-Za-z0-9_]", sheet) else sheet


def _whole(value: Any) -> int | float | None:
    number = content_number(value)
    if number is None:
        return None
    return int(number) if number.is_integer() else number


def shown_fingerprint(fingerprint: Any) -> str | None:
    """A fingerprint as documents print it: upper case, in groups of four (`ipw sign` accepts it so)."""
    if not fingerprint:
        return None
    return group_fingerprint(str(fingerprint))


def _header_block(layout: Layout, title: str, manifest: Mapping[str, Any]) -> None:
    layout.put(0, 0, title, "title", "manifest")
    mark = status_mark(manifest)
    layout.put(1, 0, mark if mark else "Signed off", "banner" if mark else "banner_ok", "manifest")
    layout.row = 2


def _signoff_text(content: Mapping[str, Any], manifest: Mapping[str, Any]) -> str:
    signoff = content.get("signoff")
    mark = status_mark(manifest)
    if signoff is None:
        return mark or "Not signed off"
    decision = DECISION_LABELS.get(signoff.get("decision"), signoff.get("decision") or "")
    text = f"{decision} by {signoff.get('approver', '')} ({signoff.get('role', '')}) on {signoff.get('date', '')}"
    return f"{mark}: {text}" if mark else text


def signature_text(manifest: Mapping[str, Any]) -> str:
    if manifest.get("signature"):
        return "Ed25519 signature embedded with the public key below; check it with `ipw verify`"
    if manifest.get("status") == "draft":
        return "None: a draft carries its fingerprint only"
    return "None: the sign-off is recorded with its fingerprint only (no key was used)"


def summary_layout(content: Mapping[str, Any], manifest: Mapping[str, Any], playbook: Playbook) -> Layout:
    layout = Layout("Summary", landscape=False)
    layout.widths = {0: 36, 1: 72}
    _header_block(layout, "Inference procurement decision", manifest)
    layout.line("Fingerprint (SHA-256)", shown_fingerprint(manifest.get("fingerprint")), style=("label", "mono"),
                origin="manifest")
    layout.skip()
    context = content.get("context") or {}
    rec = content.get("recommendation") or {}
    signoff = content.get("signoff")

    layout.line("Decision", style="section")
    for label, value in (("Decision title", context.get("title")), ("Organisation", context.get("organisation")),
                         ("From (prepared by)", context.get("preparedBy")), ("To (sponsor)", context.get("sponsor"))):
        layout.line(label, value, style=("label", "text"))
    layout.line("Recommended route", rec.get("routeName"), style=("label", "strong"))
    if rec.get("computedRoute") and rec.get("computedRoute") != rec.get("route"):
        computed = next((s.get("route") for s in rec.get("statuses", []) if s.get("slug") == rec["computedRoute"]),
                        rec["computedRoute"])
        layout.line("Route the rules chose", computed, style=("label", "text"))
    override = content.get("override") or {}
    if override.get("reason"):
        layout.line("Officer's reason for the override", override.get("reason"), style=("label", "text"))
    layout.line("Fallback route", rec.get("fallbackName"), style=("label", "text"))
    basis = "\n".join(b.get("text", "") for b in rec.get("basis", []))
    layout.line("Why this route", basis, style=("label", "text"))
    decision = "Not signed off (draft)" if signoff is None else DECISION_LABELS.get(signoff.get("decision"),
                                                                                     signoff.get("decision"))
    layout.line("Sign-off decision", decision, style=("label", "strong"))
    layout.skip()

    layout.line("Inputs finance can change", style="section")
    row = layout.line("Reviewer rate (USD per hour)", content_number(context.get("reviewerRateUsdPerHour")),
                      style=("label", "input_usd_l"))
    layout.anchors["reviewerRate"] = (row, 1)
    row = layout.line("Target p95 latency (ms)", content_number(context.get("targetP95Ms")),
                      style=("label", "input_ms_l"))
    layout.anchors["targetP95"] = (row, 1)
    layout.line("", "The Metrics sheet's formulas read the two cells above: change them to see the effect.",
                style=("label", "note"), origin="manifest")
    layout.line("Readiness threshold (0-100)", _whole(context.get("readinessThreshold")), style=("label", "int_l"))
    layout.line("Display currency", context.get("currency"), style=("label", "text"))
    layout.line("USD per unit of that currency", content_number(context.get("fxToUsd")), style=("label", "num4_l"))
    layout.line("FX rate date", context.get("fxDate"), style=("label", "text"))
    workloads = context.get("workloads") or []
    layout.line("Workloads in scope", "Forecast requests per month" if workloads else "none listed",
                style=("label", "label"))
    for w in workloads:
        layout.line(w.get("name"), content_number(w.get("monthlyRequests")), style=("text", "int_l"))
    layout.skip()

    layout.line("Sign-off", style="section")
    signoff = signoff or {}
    layout.line("Status", _signoff_text(content, manifest), style=("label", "strong"), origin=("content", "manifest"))
    for label, key in (("Approver", "approver"), ("Role", "role")):
        layout.line(label, signoff.get(key), style=("label", "text"))
    layout.line("Decision", DECISION_LABELS.get(signoff.get("decision"), signoff.get("decision")),
                style=("label", "text"))
    layout.line("Conditions", signoff.get("conditions"), style=("label", "text"))
    layout.line("Date", signoff.get("date"), style=("label", "text"))
    layout.line("Draft fingerprint the approver read", shown_fingerprint(signoff.get("draftFingerprint")),
                style=("label", "mono"))
    layout.line("Signed at", manifest.get("signedAt"), style=("label", "text"), origin="manifest")
    layout.line("Signature", signature_text(manifest), style=("label", "text"), origin="manifest")
    layout.line("Public key (Ed25519, hex)", manifest.get("publicKey"), style=("label", "mono"), origin="manifest")
    layout.skip()

    layout.line("Provenance", style="section")
    layout.line("Fingerprint (SHA-256)", shown_fingerprint(manifest.get("fingerprint")), style=("label", "mono"),
                origin="manifest")
    traces = content.get("traces") or {}
    audit = content.get("audit") or {}
    for label, value, style in (
            ("Decision content format", _whole(content.get("canonicalFormat")), "int"),
            ("Workbook file format", _whole(content.get("schemaVersion")), "int"),
            ("Playbook version", content.get("playbookVersion"), "text"),
            ("Trace rows", _whole(traces.get("count")), "int"),
            ("Trace content SHA-256", traces.get("contentSha256"), "mono"),
            ("Audit log entries covered", _whole(audit.get("entries")), "int")):
        layout.line(label, value, style=("label", style + "_l" if style == "int" else style))
    layout.line("Exported at (UTC)", manifest.get("exportedAt"), style=("label", "text"), origin="manifest")
    layout.line("Written by", manifest.get("generator"), style=("label", "text"), origin="manifest")
    layout.line("Check", "Run `ipw verify` on this file to compare it with its embedded decision content.",
                style=("label", "note"), origin="manifest")
    return layout


def matrix_layout(content: Mapping[str, Any], manifest: Mapping[str, Any], playbook: Playbook) -> Layout:
    layout = Layout("Procurement matrix")
    _header_block(layout, "Procurement matrix with this workbook's statuses", manifest)
    layout.put(2, 0, playbook.matrix_purpose, "note", "playbook")
    headers = ("Route", "Stage", "Use when", "Minimum evidence", "Avoid when", "Owner", "Status in this workbook",
               "Role in the decision", "Cost per accepted output at target p95 (USD)", "Reasons")
    layout.row = HEADER_ROW
    layout.line(*headers, style="header", origin="manifest")
    layout.widths = dict(enumerate((22, 12, 32, 32, 32, 16, 12, 13, 16, 70)))
    layout.freeze = (FIRST_DATA_ROW, 1)
    layout.title_rows = (HEADER_ROW, HEADER_ROW)
    rec = content.get("recommendation") or {}
    statuses = {s.get("slug"): s for s in rec.get("statuses", [])}
    for route in playbook.procurement_routes:
        status = statuses.get(route.slug, {})
        role = []
        if rec.get("route") == route.slug:
            role.append("Recommended")
        if rec.get("fallback") == route.slug:
            role.append("Fallback")
        reasons = "\n".join("\u2022 " + r.get("text", "") for r in status.get("reasons", []))
        layout.line(route.name, route.stage, route.use_when, route.minimum_evidence, route.avoid_when, route.owner,
                    STATUS_LABELS.get(status.get("status"), status.get("status") or "Unknown"),
                    ", ".join(role), content_number(status.get("costAtTarget")), reasons,
                    style=("strong", "text", "text", "text", "text", "text", "strong", "text", "usd", "text"),
                    origin=("playbook",) * 6 + ("content",) * 4)
    return layout


def _evidence_text(evidence: Mapping[str, Any] | None) -> str:
    if not evidence:
        return ""
    text = evidence.get("label") or ""
    if evidence.get("sha256"):
        text += f" (SHA-256 {evidence['sha256'][:16]}\u2026"
        text += ", embedded)" if evidence.get("embedded") else ")"
    return text


def gates_layout(content: Mapping[str, Any], manifest: Mapping[str, Any], playbook: Playbook) -> Layout:
    layout = Layout("Gates")
    _header_block(layout, "Decision gates", manifest)
    layout.row = HEADER_ROW
    layout.line("Gate", "Buyer question", "Verdict", "Item", "Checklist item", "Done", "Note", "Owner", "Evidence",
                "Gate note", "Justification and open items", "Failure if skipped", style="header",
                origin="manifest")
    layout.widths = dict(enumerate((20, 30, 12, 5, 28, 6, 26, 14, 22, 26, 26, 36)))
    layout.freeze = (FIRST_DATA_ROW, 1)
    layout.title_rows = (HEADER_ROW, HEADER_ROW)
    states = {g.get("slug"): g for g in content.get("gates", [])}
    for gate in playbook.gates:
        state = states.get(gate.slug, {})
        items = state.get("items") or []
        verdict = GATE_LABELS.get(state.get("status"), state.get("status") or "Not assessed")
        exception = gate_justification(state)
        for index, item in enumerate(items or [{}]):
            first = index == 0
            layout.line(gate.name, gate.buyer_question if first else None, verdict, _whole(item.get("number")),
                        item.get("text"), ("Yes" if item.get("done") else "No") if item else None,
                        item.get("note"), item.get("owner"), _evidence_text(item.get("evidence")),
                        state.get("note") if first else None, exception if first else None,
                        gate.failure_if_skipped if first else None,
                        style=("strong", "text", "verdict", "int", "text", "text", "text", "text", "text", "text",
                               "text", "text"),
                        origin=("playbook", "playbook") + ("content",) * 9 + ("playbook",))
    return layout


def readiness_layout(content: Mapping[str, Any], manifest: Mapping[str, Any], playbook: Playbook) -> Layout:
    layout = Layout("Readiness", landscape=True)
    _header_block(layout, "Readiness scores", manifest)
    context = content.get("context") or {}
    threshold = _whole(context.get("readinessThreshold"))
    layout.row = HEADER_ROW
    layout.line("Dimension", "Score", "Reference score", "Threshold", "Meets threshold", "Officer's note",
                "Playbook note", style="header", origin="manifest")
    layout.widths = dict(enumerate((26, 9, 11, 11, 12, 50, 60)))
    layout.freeze = (FIRST_DATA_ROW, 1)
    layout.title_rows = (HEADER_ROW, HEADER_ROW)
    scores = {s.get("slug"): s for s in content.get("readiness", [])}
    for dim in playbook.readiness:
        state = scores.get(dim.slug, {})
        score = _whole(state.get("score"))
        meets = "not scored" if score is None or threshold is None else ("Yes" if score >= threshold else "No")
        layout.line(dim.name, score, dim.reference_score, threshold, meets, state.get("note"), dim.note,
                    style=("strong", "int", "int", "int", "text", "text", "text"),
                    origin=("playbook", "content", "playbook", "content", "content", "content", "playbook"))
    return layout


def decision_layouts(content: Mapping[str, Any], manifest: Mapping[str, Any], playbook: Playbook) -> list[Layout]:
    """The four decision sheets as they must read, from the canonical content, the manifest and the playbook."""
    return [summary_layout(content, manifest, playbook), matrix_layout(content, manifest, playbook),
            gates_layout(content, manifest, playbook), readiness_layout(content, manifest, playbook)]


def assumptions_layout(data: ExportData) -> Layout:
    content, manifest = data.canonical, data.manifest
    layout = Layout("Assumptions")
    _header_block(layout, "Assumptions and sources", manifest)
    layout.widths = dict(enumerate((28, 22, 22, 40, 22, 18, 40)))
    layout.skip()
    context = content.get("context") or {}
    layout.line("Buyer context", style="section")
    for label, value, style in (
            ("Reviewer rate (USD per hour)", content_number(context.get("reviewerRateUsdPerHour")), "usd"),
            ("Target p95 latency (ms)", content_number(context.get("targetP95Ms")), "ms"),
            ("Readiness threshold", _whole(context.get("readinessThreshold")), "int"),
            ("Display currency", context.get("currency"), "text"),
            ("USD per unit of that currency", content_number(context.get("fxToUsd")), "num4"),
            ("FX rate date", context.get("fxDate"), "text")):
        layout.line(label, value, style=("label", style))
    for w in context.get("workloads") or []:
        layout.line(f"Workload: {w.get('name')}", content_number(w.get("monthlyRequests")), "requests per month",
                    style=("text", "int", "note"))
    layout.skip()

    layout.line("Calculator scenarios", style="section")
    scenarios = content.get("scenarios") or []
    if scenarios:
        layout.line("Scenario", "Calculator", "Saved at", "Inputs", style="header")
        for s in scenarios:
            inputs = "\n".join(f"{k}: {v}" for k, v in sorted((s.get("inputs") or {}).items()))
            layout.line(s.get("name"), s.get("kind"), s.get("savedAt"), inputs)
    else:
        layout.line("No calculator scenario is saved in this workbook.", style="note")
    layout.skip()

    layout.line("Catalog entries used", style="section")
    entries = content.get("catalogEntries") or []
    if entries:
        layout.line("Catalog", "Key", "Entry", "Figures", "Source", "Date", "Officer override", style="header")
        for e in entries:
            described = e.get("name") or " ".join(str(e.get(k)) for k in ("provider", "model", "product", "gpu")
                                                  if e.get(k))
            figures = "\n".join(f"{k}: {v}" for k, v in sorted(e.items())
                                if k not in {"catalog", "key", "name", "provider", "model", "product", "gpu",
                                             "source", "date", "override", "overrideReason", "notes"}
                                and v not in (None, "", False))
            override = e.get("overrideReason") if e.get("override") else ""
            layout.line(e.get("catalog"), e.get("key"), described, figures, e.get("source"), e.get("date"), override)
    else:
        layout.line("No catalog price or specification is used by this workbook's numbers.", style="note")
    layout.skip()

    layout.line("Trace imports", style="section")
    if data.imports:
        layout.line("Source", "Format", "SHA-256", "Imported at", "Rows read", "Rows imported", "Rows rejected",
                    style="header")
        for i in data.imports:
            layout.line(i.get("source"), i.get("format"), i.get("sha256"), i.get("importedAt"), i.get("rowsRead"),
                        i.get("rowsImported"), i.get("rowsRejected"),
                        style=("text", "text", "mono", "text", "int", "int", "int"))
    else:
        layout.line("No trace rows are imported.", style="note")
    layout.skip()

    notes = list((content.get("recommendation") or {}).get("numbers", {}).get("notes", []))
    notes += list(getattr(data.decision.economics, "problems", []) or [])
    if notes:
        layout.line("Notes on the numbers", style="section")
        for note in notes:
            layout.line(note, style="text")
        layout.skip()

    layout.line("Playbook sources", style="section")
    layout.line("Source", "Address", "What it shows", style="header")
    for source in data.playbook.sources:
        layout.line(source.label, source.url, source.signal, origin="playbook")
    return layout


def audit_layout(data: ExportData) -> Layout:
    layout = Layout("Audit")
    _header_block(layout, "Sign-off audit log (append-only, hash-chained)", data.manifest)
    layout.row = HEADER_ROW
    layout.line("#", "Action", "By", "At (UTC)", "Detail", "Previous entry hash", "Entry hash", style="header")
    layout.widths = dict(enumerate((5, 14, 22, 22, 60, 30, 30)))
    layout.freeze = (FIRST_DATA_ROW, 0)
    layout.title_rows = (HEADER_ROW, HEADER_ROW)
    for entry in data.workbook.audit:
        detail = "\n".join(f"{k}: {v}" for k, v in sorted(entry.detail.items()))
        layout.line(entry.sequence, entry.action, entry.actor, entry.at, detail, entry.previous_hash,
                    entry.entry_hash, style=("int", "text", "text", "text", "text", "mono", "mono"))
    if not data.workbook.audit:
        layout.line(None, "No entries: the workbook has not been signed off or revoked.", style="note")
    layout.skip()
    if data.audit_problems:
        layout.line(None, "Hash chain BROKEN: " + "; ".join(data.audit_problems), style="banner")
    else:
        layout.line(None, "Hash chain intact: every entry follows the one before it.", style="note")
    return layout
