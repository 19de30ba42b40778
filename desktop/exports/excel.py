"""The Excel procurement workbook (.xlsx) finance works with, written with xlsxwriter.

Sheets: Summary, Procurement matrix, Gates, Readiness, Traces (an Excel table with filters, one sheet per
1,000,000 rows), Metrics (live formulas over the Traces sheet and the Summary's reviewer-rate and target
cells), Assumptions, Audit, and a very hidden, protected sheet holding the canonical decision content and
the export manifest (fingerprint, status, signature, public key) so `ipw verify` can recompute it.

Why xlsxwriter and not openpyxl: in constant-memory mode it streams each row to disk, so a million-row
Traces sheet needs no more memory than ten rows, and it writes about 1.8x faster than openpyxl's
write-only mode (shared/reference/stack-check.md); `write_string` never turns text into a formula, and it
writes native charts, tables, print set-up and very hidden sheets. Tables are not offered in constant-memory
mode; `_add_streaming_table` works around that (see there).

Safety of every user or imported string (reliability.md 2.3): written with `write_string` (never a
formula, whatever it starts with) in a format with Excel's quote prefix (so it stays text after an edit),
control characters replaced by a visible U+FFFD, and text over Excel's 32,767-character cell limit
truncated with a visible marker.

The decision sheets (Summary, Procurement matrix, Gates, Readiness) are rendered by `decision_layouts`
from the canonical content alone (plus the bundled playbook's texts and the manifest), so the verifier
renders them again from the embedded content and compares cell by cell.
"""

from __future__ import annotations

import gc
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop.domain.playbook import Playbook
from desktop.domain.trace import FIELDS_BY_NAME, FIELD_NAMES, Kind
from desktop.exports.atomic import ExportError, atomic_path
from desktop.exports.matrix import (DECISION_LABELS, GATE_LABELS, STATUS_LABELS, ExportData, check_cancel,
                                    gate_justification, report_progress, status_mark)

EXCEL_CELL_LIMIT = 32_767  # UTF-16 code units
EXCEL_MAX_ROWS = 1_048_576
TRACE_ROWS_PER_SHEET = 1_000_000
CONTROL_MARK = "\ufffd"
CONTENT_SHEET = "ipw-content"
CONTENT_FORMAT = "ipw-export-content/1"
CONTENT_CHUNK = 30_000  # characters of ASCII JSON per cell
HEADER_ROW = 3  # 0-based: tables' header row (Excel row 4); data from row 4 (Excel row 5)
FIRST_DATA_ROW = HEADER_ROW + 1
PAPER = {"a4": 9, "letter": 1}

DECISION_SHEETS = ("Summary", "Procurement matrix", "Gates", "Readiness")

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


# ---------------------------------------------------------------------------------------------- text

def truncation_marker(removed: int) -> str:
    return f" \u2026 [truncated: {removed:,} more characters not shown]"


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def clean_text(value: Any, limit: int = EXCEL_CELL_LIMIT) -> str:
    """User or imported text made safe for a cell: line ends unified, control characters replaced by a
    visible U+FFFD, and text over `limit` UTF-16 units cut with a visible marker saying how much is missing."""
    text = value if isinstance(value, str) else str(value)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub(CONTROL_MARK, text)
    if len(text) > limit // 2 and _utf16_len(text) > limit:
        # Room for the marker, measured with the longest count it could show.
        keep = limit - _utf16_len(truncation_marker(len(text)))
        head = text.encode("utf-16-le")[:2 * keep].decode("utf-16-le", "ignore")
        text = head + truncation_marker(len(text) - len(head))
    return text


def unescape_cell_text(text: str) -> str:
    """Undo OOXML's _xHHHH_ escapes (openpyxl hands them back as written)."""
    if "_x" not in text:
        return text
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)


# ---------------------------------------------------------------------------------------------- layout

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


def _num(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _whole(value: Any) -> int | float | None:
    number = _num(value)
    if number is None:
        return None
    return int(number) if number.is_integer() else number


def shown_fingerprint(fingerprint: Any) -> str | None:
    """A fingerprint as documents print it: upper case, in groups of four (`ipw sign` accepts it so)."""
    if not fingerprint:
        return None
    from desktop.signoff import group_fingerprint
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
    row = layout.line("Reviewer rate (USD per hour)", _num(context.get("reviewerRateUsdPerHour")),
                      style=("label", "input_usd_l"))
    layout.anchors["reviewerRate"] = (row, 1)
    row = layout.line("Target p95 latency (ms)", _num(context.get("targetP95Ms")), style=("label", "input_ms_l"))
    layout.anchors["targetP95"] = (row, 1)
    layout.line("", "The Metrics sheet's formulas read the two cells above: change them to see the effect.",
                style=("label", "note"), origin="manifest")
    layout.line("Readiness threshold (0-100)", _whole(context.get("readinessThreshold")), style=("label", "int_l"))
    layout.line("Display currency", context.get("currency"), style=("label", "text"))
    layout.line("USD per unit of that currency", _num(context.get("fxToUsd")), style=("label", "num4_l"))
    layout.line("FX rate date", context.get("fxDate"), style=("label", "text"))
    workloads = context.get("workloads") or []
    layout.line("Workloads in scope", "Forecast requests per month" if workloads else "none listed",
                style=("label", "label"))
    for w in workloads:
        layout.line(w.get("name"), _num(w.get("monthlyRequests")), style=("text", "int_l"))
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
                    ", ".join(role), _num(status.get("costAtTarget")), reasons,
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
            ("Reviewer rate (USD per hour)", _num(context.get("reviewerRateUsdPerHour")), "usd"),
            ("Target p95 latency (ms)", _num(context.get("targetP95Ms")), "ms"),
            ("Readiness threshold", _whole(context.get("readinessThreshold")), "int"),
            ("Display currency", context.get("currency"), "text"),
            ("USD per unit of that currency", _num(context.get("fxToUsd")), "num4"),
            ("FX rate date", context.get("fxDate"), "text")):
        layout.line(label, value, style=("label", style))
    for w in context.get("workloads") or []:
        layout.line(f"Workload: {w.get('name')}", _num(w.get("monthlyRequests")), "requests per month",
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


# ---------------------------------------------------------------------------------------------- writing

_BASE = {"font_name": "Calibri", "font_size": 10, "valign": "top"}
_STYLES: dict[str, dict[str, Any]] = {
    "title": {"bold": True, "font_size": 15, "font_color": "#1F3864"},
    "banner": {"bold": True, "font_color": "#FFFFFF", "bg_color": "#C00000", "font_size": 11},
    "banner_ok": {"bold": True, "font_color": "#FFFFFF", "bg_color": "#2E7D32", "font_size": 11},
    "section": {"bold": True, "font_size": 12, "font_color": "#1F3864", "bottom": 1, "bottom_color": "#1F3864"},
    "header": {"bold": True, "bg_color": "#D9E1F2", "border": 1, "border_color": "#8EA9DB", "text_wrap": True},
    "label": {"bold": True, "text_wrap": True},
    "strong": {"bold": True, "text_wrap": True},
    "text": {"text_wrap": True},
    "plain": {},
    "note": {"italic": True, "font_color": "#595959"},
    "mono": {"font_name": "Consolas"},
    "verdict": {"bold": True},
    "int": {"num_format": "#,##0"},
    "num": {"num_format": "#,##0.00"},
    "num4": {"num_format": "0.0000"},
    "usd": {"num_format": '"$"#,##0.00'},
    "usd4": {"num_format": '"$"#,##0.0000'},
    "pct": {"num_format": "0.0%"},
    "ms": {"num_format": '#,##0" ms"'},
    "tokens": {"num_format": "#,##0"},
    "tps": {"num_format": "#,##0.0"},
    "bool": {"align": "center"},
    "input_usd": {"num_format": '"$"#,##0.00', "bg_color": "#FFF2CC", "border": 1, "border_color": "#BF9000"},
    "input_ms": {"num_format": '#,##0" ms"', "bg_color": "#FFF2CC", "border": 1, "border_color": "#BF9000"},
}
_TEXT_STYLES = {"title", "banner", "banner_ok", "section", "header", "label", "strong", "text", "plain", "note",
                "mono", "verdict"}


class _Formats:
    def __init__(self, book: Any) -> None:
        self.book = book
        self.cache: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        fmt = self.cache.get(name)
        if fmt is None:
            base = name[:-2] if name.endswith("_l") else name  # "_l": the same, aligned left
            props = {**_BASE, **_STYLES[base]}
            if base != name:
                props["align"] = "left"
            if base in _TEXT_STYLES:
                props["quote_prefix"] = True  # a string stays text even after someone edits the cell
            fmt = self.cache[name] = self.book.add_format(props)
        return fmt


def _write_value(ws: Any, row: int, col: int, value: Any, fmt: Any, text_fmt: Any = None) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        ws.write_boolean(row, col, value, fmt)
    elif isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            ws.write_string(row, col, "not a finite number", text_fmt or fmt)
        else:
            ws.write_number(row, col, value, fmt)
    else:
        ws.write_string(row, col, clean_text(value), text_fmt or fmt)


def _setup_sheet(ws: Any, layout: Layout | None, *, paper: int, mark: str | None, landscape: bool = True,
                 widths: Mapping[int, float] | None = None, freeze: tuple[int, int] | None = None,
                 title_rows: tuple[int, int] | None = None, fit_width: bool = True) -> None:
    if layout is not None:
        landscape, widths, freeze, title_rows = layout.landscape, layout.widths, layout.freeze, layout.title_rows
    for col, width in (widths or {}).items():
        ws.set_column(col, col, width)
    if freeze:
        ws.freeze_panes(*freeze)
    if title_rows:
        ws.repeat_rows(*title_rows)
    if landscape:
        ws.set_landscape()
    ws.set_paper(paper)
    ws.set_margins(left=0.5, right=0.5, top=0.75, bottom=0.75)
    if fit_width:
        ws.fit_to_pages(1, 0)
    left = "&L&\"Calibri,Bold\"&KC00000" + mark.replace("&", "&&") if mark else "&L&A"
    ws.set_header(left + "&R&A")
    ws.set_footer("&LInference Procurement Workbook&RPage &P of &N")


_WRAPPED = {"text", "label", "strong", "header"}
LINE_HEIGHT = 13.0  # points per line of 10-point Calibri


def _row_heights(layout: Layout) -> dict[int, float]:
    """Heights for rows whose wrapped text needs more than one line (Excel and LibreOffice do not grow rows
    written without a height on their own)."""
    lines: dict[int, int] = {}
    for (row, col), cell in layout.cells.items():
        if cell.style not in _WRAPPED or not isinstance(cell.value, str):
            continue
        width = max(4.0, layout.widths.get(col, 8.43) * 1.15)  # characters per line, roughly
        count = sum(max(1, math.ceil(len(part) / width)) for part in cell.value.split("\n"))
        lines[row] = max(lines.get(row, 1), min(count, 30))
    return {row: n * LINE_HEIGHT + 2 for row, n in lines.items() if n > 1}


def _write_layout(ws: Any, layout: Layout, formats: _Formats) -> None:
    heights = _row_heights(layout)
    current = -1
    for (row, col), cell in sorted(layout.cells.items()):
        if row != current:
            current = row
            if row in heights:
                ws.set_row(row, heights[row])
        fmt = formats[cell.style]
        _write_value(ws, row, col, cell.value, fmt, fmt if cell.style in _TEXT_STYLES else formats["text"])


def _add_streaming_table(ws: Any, first_row: int, first_col: int, last_row: int, last_col: int,
                         options: dict[str, Any]) -> None:
    """An Excel table on a constant-memory worksheet, before its rows are written.

    xlsxwriter refuses add_table() in constant-memory mode only because the table's header cells are written
    as shared strings; the table itself is just a range and column names. So: call it with the mode off
    while no row after `first_row` has been written, then write the header row again as inline strings
    (the caller does that next, with exactly the column names given here)."""
    ws.constant_memory = False
    try:
        result = ws.add_table(first_row, first_col, last_row, last_col, options)
    finally:
        ws.constant_memory = True
    if result != 0:
        raise ExportError(f"cannot add the trace table to sheet {ws.name} (xlsxwriter code {result})")


def _label(name: str) -> str:
    """A trace field's column header: 'latencyP95Ms' -> 'Latency p95 (ms)', 'costUsd' -> 'Cost (USD per request)'."""
    spec = FIELDS_BY_NAME.get(name)
    if spec is None:
        return name
    words = [w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", name)]
    if words and words[-1] in ("ms", "usd"):
        words = words[:-1]
    text = " ".join(words)
    text = re.sub(r"\b(p|ttft) ?(\d+)?\b", lambda m: (m.group(1) + (m.group(2) or "")) if m.group(1) == "p"
                  else "TTFT", text).capitalize().replace("Ttft", "TTFT")
    if name == "costUsd":
        return "Cost (USD per request)"
    if name == "outputTokensPerSecond":
        return "Output tokens/s per stream"
    if spec.unit == "ms":
        text += " (ms)"
    return text


def _unique_names(names: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    result = []
    for name in names:
        base = " ".join(clean_text(name, 250).split()) or "Column"
        candidate, n = base, 2
        while candidate.casefold() in seen:
            candidate, n = f"{base} ({n})", n + 1
        seen.add(candidate.casefold())
        result.append(candidate)
    return result


_TRACE_STYLES = {Kind.NUMBER: "num", Kind.RATE: "pct", Kind.BOOLEAN: "bool", Kind.TEXT: "plain", Kind.ROUTE: "plain"}
_FIELD_STYLE_OVERRIDES = {"costUsd": "usd4", "ttftMs": "ms", "latencyP50Ms": "ms", "latencyP95Ms": "ms",
                          "inputTokens": "tokens", "outputTokens": "tokens", "concurrency": "int",
                          "outputTokensPerSecond": "tps", "reviewMinutes": "num", "latencyP99Ms": "ms"}


@dataclass(frozen=True)
class _Columns:
    """Column positions of the Traces sheet and the Metrics sheet's blocks (0-based)."""

    trace: dict[str, int]  # Traces sheet: "id", "importId", every field, extras
    # Metrics sheet blocks
    route: int = 0  # A..E
    wr: int = 6  # G..K
    group: int = 12  # M..S
    per_row: int = 20  # U..AG

    @property
    def cost_used(self) -> int:
        return self.per_row + 5

    @property
    def cost_per_accepted(self) -> int:
        return self.per_row + 7

    @property
    def route_key(self) -> int:
        return self.per_row + 10

    @property
    def wr_key(self) -> int:
        return self.per_row + 11

    @property
    def group_key(self) -> int:
        return self.per_row + 12


PER_ROW_HEADERS = ("Trace id", "Workload", "Route", "Provider", "Model", "Cost per request used (USD)",
                   "Cost basis", "Cost per accepted output (USD)", "Cache-adjusted input burden (tokens)",
                   "Throughput headroom (accepted tokens/s)", "Key: route", "Key: workload and route",
                   "Key: group")


class _MetricsFormulas:
    """Builds the Metrics sheet's formulas: per row over one Traces sheet, aggregates over all of them."""

    def __init__(self, columns: _Columns, rate_ref: str, target_ref: str,
                 sheets: Sequence[tuple[str, str, int]]) -> None:
        self.c = columns
        self.rate = rate_ref
        self.target = target_ref
        self.sheets = sheets  # (traces sheet, metrics sheet, rows on it)

    def _tcol(self, name: str, row: int, traces: str) -> str:
        return f"{traces}!{cell_ref(row, self.c.trace[name])}"

    def per_row(self, row: int, traces: str, modelled: float | None) -> tuple[str, str, str, str, str]:
        t = lambda name: self._tcol(name, row, sheet_ref(traces))  # noqa: E731
        used = cell_ref(row, self.c.cost_used)
        fallback = repr(float(modelled)) if modelled is not None else '""'
        cost_used = f"=IF(ISNUMBER({t('costUsd')}),{t('costUsd')},{fallback})"
        basis = f'=IF(ISNUMBER({t("costUsd")}),"observed",IF(ISNUMBER({used}),"modelled",""))'
        acc, rev = t("acceptedOutputRate"), t("reviewMinutes")
        cpa = (f'=IF(OR(NOT(ISNUMBER({used})),NOT(ISNUMBER({acc})),NOT(ISNUMBER({rev}))),"",'
               f'IF({acc}=0,"",IF(AND({rev}>0,NOT(ISNUMBER({self.rate}))),"",'
               f'{used}/{acc}+IF({rev}>0,{rev}/60*{self.rate},0))))')
        burden = f"={t('inputTokens')}*(1-N({t('cacheHitRate')}))"
        tps = t("outputTokensPerSecond")
        headroom = f'=IF(AND(ISNUMBER({tps}),ISNUMBER({acc})),{tps}*N({t("concurrency")})*{acc},"")'
        return cost_used, basis, cpa, burden, headroom

    def _ranges(self, traces: str, metrics: str, rows: int) -> tuple[str, str, str, str, str]:
        last = FIRST_DATA_ROW + max(rows, 1) - 1

        def rng(sheet: str, col: int) -> str:
            return f"{sheet_ref(sheet)}!{cell_ref(FIRST_DATA_ROW, col, True)}:{cell_ref(last, col, True)}"
        return (rng(metrics, self.c.cost_per_accepted), rng(metrics, self.c.route_key), rng(metrics, self.c.wr_key),
                rng(metrics, self.c.group_key), rng(traces, self.c.trace["latencyP95Ms"]))

    def _terms(self, key_index: int, key: int, at_target: bool) -> list[tuple[str, str]]:
        """(count, min) formula terms per sheet for rows with a cost and the key (and p95 at target)."""
        terms = []
        for traces, metrics, rows in self.sheets:
            cost, *keys, p95 = self._ranges(traces, metrics, rows)
            criteria = f"{keys[key_index]},{key}"
            if at_target:
                criteria += f',{p95},"<="&{self.target}'
            terms.append((f'COUNTIFS({cost},">=0",{criteria})', f"_xlfn.MINIFS({cost},{criteria})"))
        return terms

    def count(self, key_index: int, key: int) -> str:
        parts = []
        for traces, metrics, rows in self.sheets:
            keys = self._ranges(traces, metrics, rows)[1:4]
            parts.append(f"COUNTIFS({keys[key_index]},{key})")
        return "=" + "+".join(parts)

    def counted(self, key_index: int, key: int, at_target: bool) -> str:
        body = "+".join(c for c, _ in self._terms(key_index, key, at_target))
        if at_target:
            return f"=IF(ISNUMBER({self.target}),{body},0)"
        return "=" + body

    def lowest(self, key_index: int, key: int, at_target: bool, count_cell: str | None, empty: str) -> str:
        terms = self._terms(key_index, key, at_target)
        count = count_cell or "+".join(c for c, _ in terms)
        if len(terms) == 1:
            value = terms[0][1]
        else:
            value = "MIN(" + ",".join(f"IF({c}>0,{m},1E+307)" for c, m in terms) + ")"
        formula = f"IF({count}=0,{empty},{value})"
        if at_target:
            formula = f"IF(NOT(ISNUMBER({self.target})),{empty},{formula})"
        return "=" + formula


def _trace_columns(extra_fields: Sequence[str]) -> tuple[dict[str, int], list[str]]:
    names = ["id", "importId", *FIELD_NAMES, *extra_fields]
    labels = ["Trace id", "Import id", *(_label(n) for n in FIELD_NAMES), *extra_fields]
    return {name: i for i, name in enumerate(names)}, _unique_names(labels)


def export_xlsx(path: Path | str, data: ExportData, *, paper: str = "a4", control: Any = None,
                rows_per_sheet: int = TRACE_ROWS_PER_SHEET) -> Path:
    """Write the Excel workbook atomically to `path`; returns the path. Raises ExportError, Cancelled."""
    if paper not in PAPER:
        raise ExportError(f"paper must be one of {', '.join(PAPER)}, not {paper!r}")
    if not 1 <= rows_per_sheet <= EXCEL_MAX_ROWS - FIRST_DATA_ROW:
        raise ExportError("rows per sheet out of range")
    path = Path(path)
    mark = status_mark(data.manifest)
    paper_code = PAPER[paper]
    layouts = decision_layouts(data.canonical, data.manifest, data.playbook)
    summary = layouts[0]
    # The trace rows and their metrics (millions of objects) do not change while the file is written:
    # keep the garbage collector from walking them again and again as the writer allocates.
    gc.freeze()
    try:
        _export(path, data, layouts, summary, mark, paper, paper_code, rows_per_sheet, control)
    finally:
        gc.unfreeze()
    report_progress(control, 1.0, "Excel workbook written")
    return path


def _export(path: Path, data: ExportData, layouts: list[Layout], summary: Layout, mark: str | None, paper: str,
            paper_code: int, rows_per_sheet: int, control: Any) -> None:
    import xlsxwriter

    with atomic_path(path) as temp:
        book = xlsxwriter.Workbook(str(temp), {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False, "use_zip64": True, "in_memory": False})
        try:
            formats = _Formats(book)
            context = data.canonical.get("context") or {}
            book.set_properties({
                "title": clean_text(context.get("title") or "Inference procurement decision", 250),
                "subject": "Procurement matrix and route economics",
                "author": clean_text(context.get("preparedBy") or "", 250),
                "company": clean_text(context.get("organisation") or "", 250),
                "comments": f"{mark or 'Signed off'}. Fingerprint {data.fingerprint}",
                "keywords": "inference procurement, " + data.fingerprint,
            })
            book.set_custom_property("IPW fingerprint", data.fingerprint)
            book.set_custom_property("IPW status", data.status)
            sheets: dict[str, Any] = {}
            for layout in layouts:
                ws = book.add_worksheet(layout.name)
                sheets[layout.name] = ws
                _setup_sheet(ws, layout, paper=paper_code, mark=mark)
                _write_layout(ws, layout, formats)
                if layout.name == "Summary":  # print the summary itself; the chart beside it is for the screen
                    ws.print_area(0, 0, max(r for r, _ in layout.cells), 1)
            sheets["Summary"].set_tab_color("#1F3864")
            rate_ref = "Summary!" + cell_ref(*summary.anchors["reviewerRate"], True)
            target_ref = "Summary!" + cell_ref(*summary.anchors["targetP95"], True)
            book.define_name("ReviewerRateUsdPerHour", "=" + rate_ref)
            book.define_name("TargetP95Ms", "=" + target_ref)
            chart_rows = _write_traces_and_metrics(book, formats, data, paper_code, mark, rate_ref, target_ref,
                                                   rows_per_sheet, control)
            if chart_rows:
                _add_chart(book, sheets["Summary"], chart_rows)
            for layout in (assumptions_layout(data), audit_layout(data)):
                ws = book.add_worksheet(layout.name)
                _setup_sheet(ws, layout, paper=paper_code, mark=mark)
                _write_layout(ws, layout, formats)
            _write_content_sheet(book, data)
            report_progress(control, 0.97, "Compressing the workbook")
            check_cancel(control)
        except BaseException:
            try:
                book.close()
            except Exception:  # noqa: BLE001 - the temp file is removed anyway
                pass
            raise
        book.close()


def _formula_sheet_class() -> type:
    """A worksheet that takes this module's formulas as written.

    xlsxwriter runs some 30 regular expressions over every formula to add `_xlfn.` prefixes to newer
    functions (about 0.2 ms a formula, most of the export time for a big Traces sheet). Every formula this
    module writes uses only functions that need no prefix, except MINIFS, which it writes as
    `_xlfn.MINIFS`; so the Metrics sheets skip that step.
    """
    from xlsxwriter.worksheet import Worksheet

    class FormulaSheet(Worksheet):
        def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
            return formula[1:] if formula.startswith("=") else formula

    return FormulaSheet


def _write_content_sheet(book: Any, data: ExportData) -> None:
    """The canonical content (ASCII JSON, in chunks under the cell limit) and the manifest, very hidden."""
    ws = book.add_worksheet(CONTENT_SHEET)
    text = json.dumps(data.canonical, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    chunks = [text[i:i + CONTENT_CHUNK] for i in range(0, len(text), CONTENT_CHUNK)] or [""]
    ws.write_string(0, 0, "format")
    ws.write_string(0, 1, CONTENT_FORMAT)
    ws.write_string(1, 0, "manifest")
    ws.write_string(1, 1, json.dumps(data.manifest, ensure_ascii=True, sort_keys=True, separators=(",", ":")))
    ws.write_string(2, 0, "content chunks")
    ws.write_number(2, 1, len(chunks))
    for i, chunk in enumerate(chunks):
        ws.write_string(3 + i, 0, "content")
        ws.write_string(3 + i, 1, chunk)
    ws.protect()
    ws.very_hidden()


def _add_chart(book: Any, summary: Any, chart: tuple[int, int]) -> None:
    first, last = chart
    chart_obj = book.add_chart({"type": "bar"})
    cats = f"=Metrics!{cell_ref(first, 0, True)}:{cell_ref(last, 0, True)}"
    for col, name, color in ((2, "Lowest cost per accepted output, any latency", "#8EA9DB"),
                             (4, "Lowest cost per accepted output at target p95", "#1F3864")):
        chart_obj.add_series({
            "name": name, "categories": cats,
            "values": f"=Metrics!{cell_ref(first, col, True)}:{cell_ref(last, col, True)}",
            "fill": {"color": color}, "data_labels": {"value": True, "num_format": '"$"#,##0.00'},
        })
    chart_obj.set_title({"name": "Cost per accepted output by route (USD)", "name_font": {"size": 12}})
    chart_obj.set_x_axis({"num_format": '"$"#,##0.00', "major_gridlines": {"visible": True,
                                                                          "line": {"color": "#D9D9D9"}}})
    chart_obj.set_y_axis({"reverse": True})
    chart_obj.set_legend({"position": "bottom"})
    chart_obj.show_na_as_empty_cell()
    chart_obj.set_size({"width": 640, "height": 340})
    summary.insert_chart(4, 3, chart_obj, {"x_offset": 10, "y_offset": 4})


def _write_traces_and_metrics(book: Any, formats: _Formats, data: ExportData, paper: int, mark: str | None,
                              rate_ref: str, target_ref: str, rows_per_sheet: int, control: Any
                              ) -> tuple[int, int] | None:
    """Traces sheets and Metrics sheets, streamed row by row together; returns the chart's data rows."""
    rows = data.rows
    report = data.metrics
    total = len(rows)
    positions, labels = _trace_columns(data.extra_fields)
    columns = _Columns(trace=positions)
    sheet_count = max(1, math.ceil(total / rows_per_sheet))
    names = [("Traces", "Metrics") if k == 0 else (f"Traces ({k + 1})", f"Metrics ({k + 1})")
             for k in range(sheet_count)]
    sizes = [min(rows_per_sheet, total - k * rows_per_sheet) for k in range(sheet_count)]
    formulas = _MetricsFormulas(columns, rate_ref, target_ref,
                                [(t, m, n) for (t, m), n in zip(names, sizes)])

    # Keys of the aggregates, in the order they are listed.
    route_names = [r.name for r in data.playbook.routes]
    for r in report.routes:
        if r.route not in route_names:
            route_names.append(r.route)
    route_key = {name: i + 1 for i, name in enumerate(route_names)}
    wr_list = [(b.workload, b.route) for b in report.best]
    wr_key = {k: i + 1 for i, k in enumerate(wr_list)}
    group_list = [(g.workload, g.route, g.provider, g.model) for g in report.groups]
    group_key = {k: i + 1 for i, k in enumerate(group_list)}
    routes_by_name = {r.route: r for r in report.routes}
    best_by_key = {(b.workload, b.route): b for b in report.best}
    modelled = data.decision.modelled or {}

    # Cached values of the aggregate formulas (what Excel shows before it recalculates).
    route_cache: dict[str, list[float]] = {}
    route_target_cache: dict[str, list[float]] = {}
    at_target: dict[tuple, int] = {}  # (workload, route) and (workload, route, provider, model) -> rows
    target = report.target_p95_ms
    for t in report.traces:
        if t.cost_per_accepted_output is None:
            continue
        get = t.row.get
        route = str(get("route"))
        route_cache.setdefault(route, []).append(t.cost_per_accepted_output)
        p95 = get("latencyP95Ms")
        if target is not None and isinstance(p95, (int, float)) and p95 <= target:
            route_target_cache.setdefault(route, []).append(t.cost_per_accepted_output)
            wr = (str(get("workload")), route)
            at_target[wr] = at_target.get(wr, 0) + 1
            group = (*wr, str(get("provider")), str(get("model")))
            at_target[group] = at_target.get(group, 0) + 1

    trace_styles = []
    for name in positions:
        if name in ("id", "importId"):
            trace_styles.append(formats["int"])
        elif name in FIELDS_BY_NAME or name in _FIELD_STYLE_OVERRIDES:
            spec = FIELDS_BY_NAME.get(name)
            style = _FIELD_STYLE_OVERRIDES.get(name) or (_TRACE_STYLES[spec.kind] if spec else "num")
            trace_styles.append(formats[style])
        else:
            trace_styles.append(formats["num"])
    text_fmt = formats["plain"]
    order = list(positions)
    metrics_header = formats["header"]
    chart_rows = None
    done = 0
    for k, ((traces_name, metrics_name), size) in enumerate(zip(names, sizes)):
        tws = book.add_worksheet(traces_name)
        mws = book.add_worksheet(metrics_name, worksheet_class=_formula_sheet_class())
        widths = {i: 14 for i in range(len(order))}
        widths.update({0: 9, 1: 8, 2: 26, 3: 16, 4: 26, 5: 22})
        _setup_sheet(tws, None, paper=paper, mark=mark, widths=widths, freeze=(FIRST_DATA_ROW, 2),
                     title_rows=(HEADER_ROW, HEADER_ROW))
        mwidths = {i: 14 for i in range(columns.group_key + 1)}
        mwidths.update({0: 26, 5: 1.5, 6: 22, 7: 26, 11: 1.5, 12: 22, 13: 26, 14: 16, 15: 24, 19: 1.5,
                        21: 22, 22: 26, 23: 16, 24: 24})
        _setup_sheet(mws, None, paper=paper, mark=mark, widths=mwidths, freeze=(FIRST_DATA_ROW, 0),
                     title_rows=(HEADER_ROW, HEADER_ROW))
        part = f" (part {k + 1} of {sheet_count})" if sheet_count > 1 else ""
        for ws, title in ((tws, f"Trace rows{part}"), (mws, f"Metrics{part}")):
            ws.write_string(0, 0, title, formats["title"])
            if mark:
                ws.write_string(1, 0, mark, formats["banner"])
            else:
                ws.write_string(1, 0, "Signed off", formats["banner_ok"])
        tws.write_string(2, 0, "Every active trace row as imported (amounts in USD). The Metrics sheet's formulas "
                               "read these cells.", formats["note"])
        mws.write_string(2, 0 if k else columns.route, "By trace route (live formulas)" if not k else
                         "Per trace row (live formulas)", formats["section"])
        if not k:
            mws.write_string(2, columns.wr, "Best at target p95, by workload and route", formats["section"])
            mws.write_string(2, columns.group, "Best at target p95, by group", formats["section"])
            mws.write_string(2, columns.per_row, "Per trace row (cost per accepted output = cost per request / "
                                                 "acceptance + review minutes / 60 x reviewer rate)",
                             formats["section"])
        # Tables and header rows.
        if size > 0:
            _add_streaming_table(tws, HEADER_ROW, 0, HEADER_ROW + size, len(labels) - 1, {
                "name": "Traces" if k == 0 else f"Traces{k + 1}", "style": "Table Style Light 9",
                "columns": [{"header": label} for label in labels]})
        for col, label in enumerate(labels):
            tws.write_string(HEADER_ROW, col, label, metrics_header)
        if not k:
            for col, label in enumerate(("Route", "Rows", "Lowest cost per accepted output (USD)",
                                         "Rows at target p95 with a cost", "Lowest cost per accepted output at "
                                                                           "target p95 (USD)")):
                mws.write_string(HEADER_ROW, columns.route + col, label, metrics_header)
            for col, label in enumerate(("Workload", "Route", "Rows", "Rows at target p95 with a cost",
                                         "Best cost per accepted output at target p95 (USD)")):
                mws.write_string(HEADER_ROW, columns.wr + col, label, metrics_header)
            for col, label in enumerate(("Workload", "Route", "Provider", "Model", "Rows",
                                         "Rows at target p95 with a cost",
                                         "Best cost per accepted output at target p95 (USD)")):
                mws.write_string(HEADER_ROW, columns.group + col, label, metrics_header)
        for col, label in enumerate(PER_ROW_HEADERS):
            mws.write_string(HEADER_ROW, columns.per_row + col, label, metrics_header)
        if size == 0:
            tws.write_string(FIRST_DATA_ROW, 0, "No trace rows are imported.", formats["note"])

        aggregate_rows = 0 if k else max(len(route_names), len(wr_list), len(group_list))
        start = k * rows_per_sheet
        usd4, usd, fmt_tokens, fmt_tps, fmt_int = formats["usd4"], formats["usd"], formats["tokens"], \
            formats["tps"], formats["int"]
        # The hot loop calls xlsxwriter's undecorated writers (the public ones only add A1-notation parsing).
        write_number, write_string, write_boolean = tws._write_number, tws._write_string, tws._write_boolean
        m_formula, m_string, m_number = mws._write_formula, mws._write_string, mws._write_number
        for offset in range(max(size, aggregate_rows)):
            r = FIRST_DATA_ROW + offset
            if not k:
                _write_aggregates(mws, formats, formulas, columns, offset, r, route_names, route_key, wr_list,
                                  wr_key, group_list, group_key, routes_by_name, best_by_key, report,
                                  route_cache, route_target_cache, at_target)
            if offset >= size:
                continue
            index = start + offset
            row = rows[index]
            for col, name in enumerate(order):
                value = row.get(name)
                if value is None:
                    continue
                kind = type(value)
                if kind is float or kind is int:
                    if math.isfinite(value):
                        write_number(r, col, value, trace_styles[col])
                    else:
                        write_string(r, col, "not a finite number", text_fmt)
                elif kind is bool:
                    write_boolean(r, col, value, trace_styles[col])
                else:
                    write_string(r, col, clean_text(value), text_fmt)
            tm = report.traces[index]
            row_id = row.get("id")
            cost = row.get("costUsd")
            mc = modelled.get(row_id)
            modelled_cost = getattr(mc, "cost_usd", None) if cost is None else None
            f_used, f_basis, f_cpa, f_burden, f_headroom = formulas.per_row(r, traces_name, modelled_cost)
            c = columns.per_row
            m_number(r, c, row_id, fmt_int)
            m_string(r, c + 1, clean_text(str(row.get("workload"))), text_fmt)
            m_string(r, c + 2, clean_text(str(row.get("route"))), text_fmt)
            m_string(r, c + 3, clean_text(str(row.get("provider"))), text_fmt)
            m_string(r, c + 4, clean_text(str(row.get("model"))), text_fmt)
            used = cost if cost is not None else modelled_cost
            m_formula(r, c + 5, f_used, usd4, used if used is not None else "")
            m_formula(r, c + 6, f_basis, text_fmt,
                      "observed" if cost is not None else ("modelled" if used is not None else ""))
            cpa = tm.cost_per_accepted_output
            m_formula(r, c + 7, f_cpa, usd, cpa if cpa is not None else "")
            m_formula(r, c + 8, f_burden, fmt_tokens, tm.cache_adjusted_input_burden)
            headroom = tm.throughput_headroom
            m_formula(r, c + 9, f_headroom, fmt_tps, headroom if headroom is not None else "")
            m_number(r, c + 10, route_key.get(str(row.get("route")), 0), fmt_int)
            m_number(r, c + 11, wr_key.get((str(row.get("workload")), str(row.get("route"))), 0), fmt_int)
            m_number(r, c + 12, group_key.get((str(row.get("workload")), str(row.get("route")),
                                               str(row.get("provider")), str(row.get("model"))), 0), fmt_int)
            done += 1
            if done % 20_000 == 0:
                check_cancel(control)
                report_progress(control, 0.05 + 0.9 * done / max(total, 1), f"Writing trace row {done:,} of {total:,}")
        if not k and route_names:
            chart_rows = (FIRST_DATA_ROW, FIRST_DATA_ROW + len(route_names) - 1)
    return chart_rows if total else None


def _write_aggregates(mws: Any, formats: _Formats, formulas: _MetricsFormulas, columns: _Columns, offset: int,
                      r: int, route_names: list[str], route_key: dict, wr_list: list, wr_key: dict,
                      group_list: list, group_key: dict, routes_by_name: dict, best_by_key: dict, report: Any,
                      route_cache: dict, route_target_cache: dict, at_target: dict) -> None:
    text_fmt, fmt_int, usd = formats["plain"], formats["int"], formats["usd"]
    if offset < len(route_names):
        name = route_names[offset]
        key = route_key[name]
        c = columns.route
        measures = routes_by_name.get(name)
        mws.write_string(r, c, clean_text(name), formats["strong"])
        mws.write_formula(r, c + 1, formulas.count(0, key), fmt_int, measures.rows if measures else 0)
        values = route_cache.get(name, [])
        meeting = route_target_cache.get(name, [])
        mws.write_formula(r, c + 2, formulas.lowest(0, key, False, None, "NA()"), usd,
                          min(values) if values else "#N/A")
        count_cell = cell_ref(r, c + 3)
        mws.write_formula(r, c + 3, formulas.counted(0, key, True), fmt_int, len(meeting))
        mws.write_formula(r, c + 4, formulas.lowest(0, key, True, count_cell, "NA()"), usd,
                          min(meeting) if meeting else "#N/A")
    if offset < len(wr_list):
        workload, route = wr_list[offset]
        key = wr_key[(workload, route)]
        best = best_by_key.get((workload, route))
        c = columns.wr
        mws.write_string(r, c, clean_text(workload), text_fmt)
        mws.write_string(r, c + 1, clean_text(route), text_fmt)
        rows = sum(g.rows for g in report.groups if (g.workload, g.route) == (workload, route))
        mws.write_formula(r, c + 2, formulas.count(1, key), fmt_int, rows)
        count_cell = cell_ref(r, c + 3)
        met = at_target.get((workload, route), 0)
        mws.write_formula(r, c + 3, formulas.counted(1, key, True), fmt_int, met)
        value = best.cost_per_accepted_output if best else None
        mws.write_formula(r, c + 4, formulas.lowest(1, key, True, count_cell, '""'), usd,
                          value if value is not None else "")
    if offset < len(group_list):
        group = report.groups[offset]
        key = group_key[group_list[offset]]
        c = columns.group
        for i, value in enumerate(group_list[offset]):
            mws.write_string(r, c + i, clean_text(value), text_fmt)
        mws.write_formula(r, c + 4, formulas.count(2, key), fmt_int, group.rows)
        count_cell = cell_ref(r, c + 5)
        met = at_target.get(group_list[offset], 0)
        mws.write_formula(r, c + 5, formulas.counted(2, key, True), fmt_int, met)
        value = group.best_cost_per_accepted_output_at_target
        mws.write_formula(r, c + 6, formulas.lowest(2, key, True, count_cell, '""'), usd,
                          value if value is not None else "")
