"""The decision memo as PDF: jinja2 templates in report_templates/, rendered by WeasyPrint.

Three steps: `memo_context` turns the export data into plain, already formatted values; `render_memo_html`
fills report_templates/memo.html (autoescape on, StrictUndefined: user text is always text, a missing
value is an error, not a blank); `export_pdf` lays it out with WeasyPrint and writes it atomically.

Safety (reliability.md 2.4 and 6.6): WeasyPrint reads nothing but the app's own bundled assets, served from
memory by `BundledOnlyFetcher` under the `app:` scheme (fonts, the stylesheet, the chart images handed in);
every other URL (file:, http:, data:, ...) is refused, so no user text can make the memo read a local file
or a URL, and `presentational_hints` stays off. Long notes and tables are capped with a visible marker.

The memo is written as PDF/A-3u (WeasyPrint's `pdf_variant`) with tags, title/author/subject metadata, and
the canonical decision content and export manifest attached as files, so `ipw verify` can recompute the
fingerprint. The tests check the XMP `pdfaid:part`, the attachments and that every font is embedded; no
further conformance is claimed. Charts are passed in already drawn: SVG text from `desktop.exports.svg_charts`
(the same figure models the Economics page draws), placed inline in the HTML so WeasyPrint prints vectors with
real, extractable text; no Qt is involved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from markupsafe import Markup

from desktop import paths
from desktop.domain.canonical import content_number
from desktop.domain.formatting import (NOT_KNOWN, NOT_OBSERVED, format_count, format_duration_ms, format_money,
                                       format_percent)
from desktop.domain.progress import NO_PROGRESS, Progress, check_cancelled
from desktop.exports.atomic import ExportError, atomic_path
from desktop.exports.memo_plan import plan_memo_context
from desktop.exports.plan_text import rests_on, total_usd
from desktop.exports.matrix import (CONTENT_FILE_NAME, DECISION_LABELS, GATE_LABELS, MANIFEST_FILE_NAME,
                                    STATUS_LABELS, ExportData, gate_justification, status_mark)

PAPER_CSS = {"a4": "A4", "letter": "letter"}
MAX_NOTE = 1_500  # characters of one note shown in the memo
MAX_GROUPS = 60  # trace summary rows in the appendix
MAX_AUDIT = 100
TRUNCATED = " \u2026 [truncated in the memo; the full text is in the workbook]"
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSans-BoldOblique.ttf",
              "DejaVuSansMono.ttf")
TEMPLATE = "memo.html"
STYLESHEET = "memo.css"


@dataclass(frozen=True)
class ChartImage:
    """A rendered figure for the memo: SVG (vector) or PNG (at 200 dpi or more)."""

    kind: str
    title: str
    caption: str
    data: bytes
    mime: str  # image/svg+xml | image/png

    @property
    def is_svg(self) -> bool:
        return self.mime == "image/svg+xml"

    @property
    def name(self) -> str:
        return f"charts/{self.kind}.{'svg' if self.is_svg else 'png'}"


# ---------------------------------------------------------------------------------------------- fetcher

class _BlockedResource(ValueError):
    pass


def make_fetcher(assets: Mapping[str, tuple[bytes, str]]) -> Any:
    """A WeasyPrint URL fetcher serving only `assets` ('app:NAME' -> (bytes, content type)); it records
    every URL asked for in `.requested` and refuses everything else (file:, http(s):, data:, ...)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class BundledOnlyFetcher(URLFetcher):
        def __init__(self) -> None:
            super().__init__(allow_redirects=False, allowed_protocols={"app"})
            self.assets = dict(assets)
            self.requested: list[str] = []
            self.blocked: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            self.requested.append(url)
            if url in self.assets:
                body, content_type = self.assets[url]
                return URLFetcherResponse(url, body, {"Content-Type": content_type})
            self.blocked.append(url)
            raise _BlockedResource(f"blocked resource: {url[:80]}")

    return BundledOnlyFetcher()


@cache
def _bundled_assets() -> dict[str, tuple[bytes, str]]:
    assets: dict[str, tuple[bytes, str]] = {}
    fonts = paths.resources_dir() / "fonts"
    for name in FONT_FILES:
        file = fonts / name
        if not file.is_file():
            raise ExportError(f"the app's font {file} is missing (is the installation complete?)")
        assets[f"app:fonts/{name}"] = (file.read_bytes(), "font/ttf")
    css = paths.report_templates_dir() / STYLESHEET
    assets[f"app:{STYLESHEET}"] = (css.read_bytes(), "text/css")
    return assets


def memo_assets(charts: Sequence[ChartImage] = ()) -> dict[str, tuple[bytes, str]]:
    assets = dict(_bundled_assets())
    for chart in charts:
        if not chart.is_svg:  # SVG is inline in the HTML; a PNG is fetched by name
            assets[f"app:{chart.name}"] = (chart.data, chart.mime)
    return assets


# ---------------------------------------------------------------------------------------------- context

def short(text: Any, limit: int = MAX_NOTE) -> str:
    """User text for the memo: control characters dropped, capped at `limit` with a visible marker."""
    if text is None:
        return ""
    value = str(text)
    value = "".join(ch if ch in "\n\t" or ch >= " " else "\ufffd" for ch in value.replace("\r\n", "\n"))
    value = value.replace("\x7f", "\ufffd")
    if len(value) > limit:
        # Long notes say where the rest is; short fields (names, dates) just end with an ellipsis.
        value = value[:limit].rstrip() + (TRUNCATED if limit >= 400 else "\u2026")
    return value


# The canonical content writes numbers as text: read them back, then format them the one way.
def usd(value: Any) -> str:
    return format_money(content_number(value))


def pct(value: Any) -> str:
    return format_percent(content_number(value), missing=NOT_OBSERVED)


def count(value: Any) -> str:
    return format_count(content_number(value))


def group_fp(fingerprint: str) -> str:
    from desktop.domain.canonical import group_fingerprint
    return group_fingerprint(fingerprint)


def _date(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).strftime("%-d %B %Y")
    except ValueError:
        return iso[:10]


def _brief(text: str, limit: int = 120) -> str:
    """The first clause of a reason, for the key-figures box (the full text is in Appendix A)."""
    text = text.split(" (", 1)[0] if len(text) > limit else text
    text = text.split("; ", 1)[0] if len(text) > limit else text
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "\u2026"


def _first_sentence(text: str) -> str:
    return text if len(text) < 260 else text[:257].rstrip() + "\u2026"


def memo_context(data: ExportData, charts: Sequence[ChartImage] = (), paper: str = "a4") -> dict[str, Any]:
    """Everything the template shows, as plain formatted values (no markup)."""
    content, manifest, book = data.canonical, data.manifest, data.playbook
    context = content.get("context") or {}
    rec = content.get("recommendation") or {}
    statuses = {s.get("slug"): s for s in rec.get("statuses", [])}
    signoff = content.get("signoff")
    mark = status_mark(manifest)
    route = rec.get("routeName") or ""
    route_status = statuses.get(rec.get("route"), {})
    route_stage = route_status.get("stage") or next(
        (r.stage for r in book.procurement_routes if r.slug == rec.get("route")), "")
    title = short(context.get("title"), 200) or "Inference procurement decision"
    org = short(context.get("organisation"), 200)
    workloads = context.get("workloads") or []
    if workloads:
        names = [short(w.get("name"), 120) for w in workloads]
        total = sum(content_number(w.get("monthlyRequests")) or 0 for w in workloads)
        scope = (f"{len(names)} workload{'s' if len(names) != 1 else ''} in scope ({', '.join(names)}; "
                 f"{count(total)} requests a month forecast)")
    else:
        scope = "the workloads of this decision (none listed with a forecast volume yet)"
    basis = " ".join(short(b.get("text"), 600) for b in rec.get("basis", []))
    if signoff:
        decision_label = DECISION_LABELS.get(signoff.get("decision"), signoff.get("decision") or "")
        heading = f"Decision: {decision_label}."
        signed_banner = (f"SIGNED OFF: {decision_label} by {short(signoff.get('approver'), 120)} "
                         f"({short(signoff.get('role'), 120)}) on {signoff.get('date', '')}")
    else:
        heading = "Decision requested."
        signed_banner = ""
    paragraphs = []
    if mark and manifest.get("status") == "not-valid":
        paragraphs.append("This memo is NOT VALID: the workbook's content no longer matches what was signed off. "
                          "Do not rely on it; ask the preparer for a fresh export.")
    elif mark:
        paragraphs.append("This memo is a DRAFT for your approval. It carries the fingerprint of exactly the "
                          "content it shows (at the foot of every page); quote it when you approve, so the "
                          "sign-off records that you approved what you read.")
    else:
        text = f"{short(signoff.get('approver'), 120)} ({short(signoff.get('role'), 120)}) " \
               f"recorded the decision '{decision_label}' on {signoff.get('date', '')}."
        if signoff.get("conditions"):
            text += f" Conditions: {short(signoff.get('conditions'))}"
        paragraphs.append(text)
    override = content.get("override") or {}
    if override.get("reason") and rec.get("computedRoute") != rec.get("route"):
        computed = statuses.get(rec.get("computedRoute"), {}).get("route", rec.get("computedRoute"))
        paragraphs.append(f"The officer overrode the rules' choice of {computed}: {short(override.get('reason'))}")

    # Key figures
    route_rows = []
    for r in book.procurement_routes:
        s = statuses.get(r.slug, {})
        cost = content_number(s.get("costAtTarget"))
        reasons = [x.get("text", "") for x in s.get("reasons", [])]
        if cost is not None:
            note = "forecast-weighted over the workloads in scope"
        else:
            cost_reason = next((t for t, x in zip(reasons, s.get("reasons", []))
                                if str(x.get("code", "")).startswith(("cost-at-target", "no-cost"))), "")
            note = _brief(cost_reason or (reasons[0] if reasons else ""))
        route_rows.append({"route": r.name, "rests_on": rests_on(book, r.slug),  # the trace rows it rests on
                           "recommended": r.slug == rec.get("route"),
                           "status": STATUS_LABELS.get(s.get("status"), "Unknown"),
                           "status_class": s.get("status") or "", "cost": usd(cost), "note": note})
    numbers = rec.get("numbers") or {}
    facts = []
    util = content_number(numbers.get("measuredUtilization"))
    util_text = (f"{pct(util)} over {count(numbers.get('utilizationRows'))} trace row(s)" if util is not None
                 else f"{NOT_OBSERVED} (no gpuUtilization on dedicated or self-hosted traces)")
    facts.append({"label": "Measured GPU utilization", "value": util_text, "warn": util is None})
    for label, key, scen in (("Dedicated endpoint break-even", "dedicatedBreakEvenUtilization", "dedicatedScenario"),
                             ("Owned hardware break-even", "ownedBreakEvenUtilization", "ownedScenario")):
        value = content_number(numbers.get(key))
        if value is None:
            text = (f"{NOT_KNOWN}: no saved scenario" if not numbers.get(scen) else
                    f"{NOT_KNOWN} (scenario '{short(numbers.get(scen), 120)}' has no comparison price)")
            facts.append({"label": label, "value": text, "warn": True})
        else:
            verdict = "" if util is None else (" (measured utilization is above it)" if util >= value
                                               else " (measured utilization is below it)")
            facts.append({"label": label, "value": f"{pct(value)} utilization, scenario "
                                                    f"'{short(numbers.get(scen), 120)}'{verdict}",
                          "warn": util is not None and util < value})
    memory = numbers.get("memoryVerdict")
    if numbers.get("memoryScenario"):
        facts.append({"label": "Memory and context fit", "value": f"{short(memory, 400)} (scenario "
                      f"'{short(numbers.get('memoryScenario'), 120)}')", "warn": numbers.get("memoryFits") is False})
    else:
        facts.append({"label": "Memory and context fit", "value": "not assessed: no memory scenario saved",
                      "warn": True})
    target = content_number(context.get("targetP95Ms"))
    rate = content_number(context.get("reviewerRateUsdPerHour"))
    traces = content.get("traces") or {}
    facts.append({"label": "Evidence", "value": f"{count(traces.get('count'))} trace row(s) from "
                  f"{len(data.imports)} import(s); target p95 {count(target) + ' ms' if target else 'not set'}; "
                  f"reviewer time at {usd(rate) + ' an hour' if rate is not None else 'no rate set'}",
                  "warn": target is None})
    cost_note = ("Cost per accepted output = cost per request / acceptance rate + review minutes / 60 x the "
                 "reviewer's hourly rate, at the best configuration that meets the target p95 latency, weighted "
                 "by each workload's forecast volume. All amounts in USD.")

    # Gates
    gate_states = {g.get("slug"): g for g in content.get("gates", [])}
    gates = []
    for gate in book.gates:
        state = gate_states.get(gate.slug, {})
        status = state.get("status") or "not-assessed"
        items = state.get("items") or []
        done = sum(1 for i in items if i.get("done"))
        exception = short(gate_justification(state))
        gates.append({"name": gate.name, "question": gate.buyer_question, "verdict": GATE_LABELS.get(status, status),
                      "status_class": status, "checklist": f"{done} of {len(items)}",
                      "risk": "" if status == "passed" else gate.failure_if_skipped,
                      "exception": exception, "note": short(state.get("note"))})

    # Readiness
    threshold = int(content_number(context.get("readinessThreshold")) or 0)
    scores = {s.get("slug"): s for s in content.get("readiness", [])}
    readiness = []
    for dim in book.readiness:
        s = scores.get(dim.slug, {})
        score = content_number(s.get("score"))
        below = score is not None and score < threshold
        readiness.append({"name": dim.name, "score": "not scored" if score is None else f"{score:.0f}",
                          "bar_mm": f"{0 if score is None else 40 * score / 100:.1f}", "below": below,
                          "verdict": "not scored" if score is None else ("below the threshold" if below
                                                                        else "meets the threshold"),
                          "reference": dim.reference_score, "note": short(s.get("note"), 400) or dim.note})

    # Fallback economics and the other routes
    fallback_facts, fallback_missing = _fallback_facts(data)
    other_routes = []
    for r in book.procurement_routes:
        if r.slug == rec.get("route"):
            continue
        s = statuses.get(r.slug, {})
        reasons = [x.get("text", "") for x in s.get("reasons", [])]
        other_routes.append({"route": r.name, "status": STATUS_LABELS.get(s.get("status"), "Unknown"),
                             "status_class": s.get("status") or "",
                             "reason": _first_sentence(reasons[0]) + (f" (+{len(reasons) - 1} more in Appendix A)"
                                                                      if len(reasons) > 1 else "")
                             if reasons else "no reason recorded"})

    # Sign-off block
    fingerprint = manifest["fingerprint"]
    signoff_rows = []
    s = signoff or {}
    for label, value in (("Approver", s.get("approver")), ("Role", s.get("role")),
                         ("Decision", DECISION_LABELS.get(s.get("decision"), s.get("decision")) if s else None),
                         ("Conditions", s.get("conditions") if s else None), ("Date", s.get("date"))):
        if signoff and label == "Conditions" and not value:
            value = "none"
        signoff_rows.append({"label": label, "value": short(value) if value else ""})
    if signoff and s.get("draftFingerprint"):
        signoff_rows.append({"label": "Draft the approver read", "value": group_fp(s["draftFingerprint"])})
    if manifest.get("signature"):
        from desktop.exports.signing import key_fingerprint
        try:
            key = key_fingerprint(str(manifest.get("publicKey")))
        except ValueError:
            key = "unreadable public key"
        signature = f"Ed25519 signature attached; signing key {key}"
    elif signoff:
        signature = "none: the sign-off is recorded with its fingerprint only"
    else:
        signature = "none yet: this is a draft"
    if mark and not signoff:
        how_to = ("To approve, record the decision in the workbook (Sign-off page, or ipw sign) and quote this "
                  "draft's fingerprint; then export again. Anyone can check a memo with ipw verify.")
        status_text = "Not signed off (draft)"
    elif mark:
        how_to = "Check this memo with ipw verify against the workbook it came from."
        status_text = mark
    else:
        how_to = ("The fingerprint is the SHA-256 of the decision content attached to this PDF; ipw verify "
                  "recomputes it and checks the signature.")
        status_text = signed_banner
    signoff_block = {"status": status_text, "rows": signoff_rows, "signature": signature, "how_to": how_to}

    # Appendices
    matrix = []
    for r in book.procurement_routes:
        s = statuses.get(r.slug, {})
        matrix.append({"route": r.name, "stage": r.stage, "use_when": r.use_when, "minimum_evidence":
                       r.minimum_evidence, "avoid_when": r.avoid_when, "owner": r.owner,
                       "status": STATUS_LABELS.get(s.get("status"), "Unknown"), "status_class": s.get("status") or "",
                       "reasons": [short(x.get("text"), 800) for x in s.get("reasons", [])]})
    report = data.metrics
    groups = []
    for g in report.groups[:MAX_GROUPS]:
        fastest = min((ms for _, ms in g.p95_latency_ms_by_concurrency), default=None)
        groups.append({"workload": short(g.workload, 120), "route": short(g.route, 120),
                       "provider": short(g.provider, 120), "model": short(g.model, 160), "rows": count(g.rows),
                       "fastest": format_duration_ms(fastest),
                       "best": usd(g.best_cost_per_accepted_output_at_target) if
                       g.best_cost_per_accepted_output_at_target is not None else "none at target",
                       # the recommended metric is reported with the cache hit rate of the row it rests on
                       "cache": format_percent(g.cache_hit_rate, missing=NOT_OBSERVED)
                       if g.best_row_id is not None else "\u2013"})
    groups_more = (f"{len(report.groups) - MAX_GROUPS} more group(s) are in the Excel workbook's Metrics sheet."
                   if len(report.groups) > MAX_GROUPS else "")
    trace_summary = (f"{count(traces.get('count'))} active trace row(s) in {len(report.groups)} group(s) (workload, "
                     f"route, provider, model). The best cost per accepted output at target is the cheapest row "
                     f"whose p95 latency meets {count(target) + ' ms' if target else 'the target (not set)'}.")
    imports = [{"source": short(i.get("source"), 200), "format": short(i.get("format"), 40),
                "rows": count(i.get("rowsImported")), "at": (i.get("importedAt") or "")[:10],
                "sha": i.get("sha256", "")} for i in data.imports[:MAX_GROUPS]]
    fx = content_number(context.get("fxToUsd"))
    assumptions = [
        {"label": "Reviewer hourly rate", "value": usd(rate) if rate is not None else "not set"},
        {"label": "Target p95 latency", "value": f"{count(target)} ms" if target else "not set"},
        {"label": "Readiness threshold", "value": str(threshold)},
        {"label": "Display currency", "value": f"{short(context.get('currency'), 10)} (USD {fx:g} per unit"
                                               f"{', rate of ' + short(context.get('fxDate'), 20) if context.get('fxDate') else ''}); "
                                               "amounts are in USD" if fx else short(context.get("currency"), 10)},
    ]
    for w in workloads:
        assumptions.append({"label": f"Workload: {short(w.get('name'), 120)}",
                            "value": f"{count(w.get('monthlyRequests'))} requests per month"})
    scenarios = [{"name": short(sc.get("name"), 120), "kind": short(sc.get("kind"), 40),
                  "saved": (sc.get("savedAt") or "")[:10],
                  "inputs": short("; ".join(f"{k} {v}" for k, v in sorted((sc.get("inputs") or {}).items())), 600)}
                 for sc in content.get("scenarios") or []]
    catalog = []
    for e in content.get("catalogEntries") or []:
        described = e.get("name") or " ".join(str(e.get(k)) for k in ("provider", "model", "product", "gpu")
                                              if e.get(k))
        figures = "; ".join(f"{k} {v}" for k, v in sorted(e.items())
                            if k not in {"catalog", "key", "name", "provider", "model", "product", "gpu", "source",
                                         "date", "override", "overrideReason", "notes", "litellmProvider"}
                            and v not in (None, "", False))
        if e.get("override"):
            figures += f"; officer override: {e.get('overrideReason', '')}"
        catalog.append({"entry": short(f"{described} ({e.get('catalog')})", 200), "figures": short(figures, 600),
                        "source": short(e.get("source"), 300), "date": short(e.get("date"), 60)})
    notes = [short(n, 600) for n in numbers.get("notes") or []]
    notes += [short(n, 600) for n in getattr(data.decision.economics, "problems", []) or []]
    sources = [{"label": s.label, "url": s.url, "signal": s.signal} for s in book.sources]
    audit = []
    for entry in data.workbook.audit[-MAX_AUDIT:]:
        detail = "; ".join(f"{k}: {v}" for k, v in sorted(entry.detail.items())
                           if k not in ("publicKey", "signature") and v not in (None, ""))
        audit.append({"seq": entry.sequence, "action": entry.action, "actor": short(entry.actor, 120),
                      "at": entry.at.replace("T", " ")[:19], "detail": short(detail, 700),
                      "hash": entry.entry_hash[:12] + "\u2026"})
    if data.audit_problems:
        audit_status = "The hash chain is BROKEN: " + "; ".join(data.audit_problems)
    elif data.workbook.audit:
        audit_status = (f"{len(data.workbook.audit)} entr{'y' if len(data.workbook.audit) == 1 else 'ies'}; the hash "
                        "chain is intact (each entry's hash covers the one before it).")
    else:
        audit_status = "No entries: the workbook has not been signed off or revoked."

    # SVG charts are built by desktop.exports.svg_charts with every text escaped: safe to place inline
    chart_list = [{"src": f"app:{c.name}", "alt": c.title, "caption": f"{c.title}. {c.caption}".strip(),
                   "svg": Markup(c.data.decode("utf-8")) if c.is_svg else None} for c in charts]
    date = _date(manifest.get("exportedAt"))
    to = short(context.get("sponsor"), 200) or "Executive sponsor"
    from_ = short(context.get("preparedBy"), 200) or "Procurement office"
    if org:
        from_ += f", {org}"
    plan_context = plan_memo_context(data.plan, book)
    # A CFO reads the subject first: with a priced plan it names the money, not the rules' single route
    subject = (f"{title} (plan: {plan_context['total']} a month)" if plan_context.get("available")
               and total_usd(data.plan or {}) is not None else f"{title} (recommended route: {route})")
    return {
        "doc_title": f"{title} \u2014 decision memo", "author": from_, "subject": subject,
        "keywords": f"inference procurement, {route}, fingerprint {fingerprint}",
        "generator": manifest.get("generator", ""), "created": (manifest.get("exportedAt") or "")[:10],
        "paper_css": PAPER_CSS[paper], "running_title": (org + " \u00b7 " if org else "") + f"Decision memo: {title}",
        "mark": mark, "watermark": "DRAFT" if manifest.get("status") == "draft" else "NOT VALID",
        "signed_banner": signed_banner, "to": to, "from_": from_, "date": date,
        "decision_heading": heading, "route": route, "route_stage": route_stage, "scope": scope, "basis": basis,
        "fallback": rec.get("fallbackName") or "", "status_paragraphs": paragraphs,
        "route_rows": route_rows, "key_facts": facts, "cost_note": cost_note,
        "gates": gates, "readiness": readiness, "threshold": threshold, "threshold_mm": f"{40 * threshold / 100:.1f}",
        "plan": plan_context,
        "charts": chart_list, "charts_missing": "No chart: the workbook has no trace rows with costs and latencies "
                                                "to draw yet.",
        "fallback_facts": fallback_facts, "fallback_missing": fallback_missing, "other_routes": other_routes,
        "signoff": signoff_block, "fingerprint": fingerprint, "fingerprint_grouped": group_fp(fingerprint),
        "matrix_purpose": book.matrix_purpose, "matrix": matrix, "trace_summary": trace_summary, "groups": groups,
        "groups_more": groups_more, "traces_hash": traces.get("contentSha256", ""), "imports": imports, "assumptions": assumptions, "scenarios": scenarios,
        "catalog": catalog, "notes": notes, "sources": sources, "audit": audit, "audit_status": audit_status,
        "verify_note": f"Fingerprint {fingerprint}: the SHA-256 of the decision content attached to this PDF "
                       f"({CONTENT_FILE_NAME}). Run ipw verify on this file to check it.",
    }


def _fallback_facts(data: ExportData) -> tuple[list[dict[str, Any]], str]:
    from desktop.economics.gate_facts import gate_facts

    economics = data.decision.economics
    try:
        facts = gate_facts("fallback-economics", data.workbook, data.metrics, economics.scenarios,
                           economics.catalog, data.playbook, economics.override)
    except Exception as exc:  # noqa: BLE001 - the memo still says what it can
        return [], f"The fallback economics could not be computed: {exc}"
    rows = [{"label": short(f.label, 200), "value": short(f.value, 400), "warn": f.status == "warn"}
            for f in facts.facts if f.label != "Fallback route"]
    return rows, facts.no_data or "No figures yet."


# ---------------------------------------------------------------------------------------------- rendering

@cache
def _environment() -> Any:
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(paths.report_templates_dir())),
                              autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=False,
                              lstrip_blocks=False)


def render_memo_html(context: Mapping[str, Any]) -> str:
    return _environment().get_template(TEMPLATE).render(**context)


def _attachments(data: ExportData, fetcher: Any) -> list[Any]:
    import json

    from weasyprint import Attachment

    manifest = json.dumps(data.manifest, ensure_ascii=False, sort_keys=True, indent=2).encode("utf-8")
    return [
        Attachment(string=data.canonical_bytes, name=CONTENT_FILE_NAME, url_fetcher=fetcher,
                   description="Canonical decision content (its SHA-256 is the fingerprint)",
                   relationship="Source"),
        Attachment(string=manifest, name=MANIFEST_FILE_NAME, url_fetcher=fetcher,
                   description="Export manifest: fingerprint, sign-off status, signature, public key",
                   relationship="Supplement"),
    ]


def write_memo(target: Any, html: str, data: ExportData, charts: Sequence[ChartImage] = (),
               fetcher: Any = None) -> Any:
    """Lay out `html` and write the PDF/A-3u to `target` (a path or a binary file); returns the fetcher."""
    from weasyprint import HTML

    fetcher = fetcher or make_fetcher(memo_assets(charts))
    document = HTML(string=html, base_url=None, url_fetcher=fetcher).render(
        pdf_variant="pdf/a-3u", pdf_tags=True, presentational_hints=False)
    document.write_pdf(target, attachments=_attachments(data, fetcher), pdf_variant="pdf/a-3u", pdf_tags=True,
                       uncompressed_pdf=False)
    return fetcher


def export_pdf(path: Path | str, data: ExportData, *, charts: Sequence[ChartImage] = (), paper: str = "a4",
               progress: Progress | None = None) -> Path:
    """Write the decision memo atomically to `path`; returns the path. Raises ExportError, Cancelled."""
    if paper not in PAPER_CSS:
        raise ExportError(f"paper must be one of {', '.join(PAPER_CSS)}, not {paper!r}")
    path = Path(path)
    progress = progress or NO_PROGRESS
    progress.stage("Building the memo")
    html = render_memo_html(memo_context(data, charts, paper))
    check_cancelled(progress)
    progress.stage("Laying out the memo")
    with atomic_path(path) as temp:
        write_memo(temp, html, data, charts)
        check_cancelled(progress)
    return path
