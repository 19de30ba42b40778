"""Does the memo's page text show the decision its embedded content records?

The fingerprint printed on a memo only ties the *attached* content to the fingerprint; a reader looks at the
page. This check extracts the page text (pypdf) and looks, for each decision value the memo prints (route,
plan totals when present, route statuses, key figures, gate verdicts, readiness scores, approver, decision,
conditions), for the phrase the memo prints it in, worked out from the embedded content alone.

The comparison is table-driven: `VISIBLE_VALUES` lists one entry per group of values, each a function from
the embedded content (and the playbook, for names) to the phrases the memo must show. A new printed value
(e.g. a plan total) is one more entry. Whitespace is ignored on both sides, so line wrapping and table
layout do not matter; each phrase carries the label printed before the value, so a value cannot be matched
somewhere else on the page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from desktop.domain.canonical import content_number as _num
from desktop.domain.formatting import NOT_KNOWN, NOT_OBSERVED
from desktop.exports.matrix import DECISION_LABELS, GATE_LABELS, STATUS_LABELS
from desktop.exports.pdf import count, pct, short, usd
from desktop.exports.plan_text import rests_on

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Shown:
    """One value as the memo prints it: `before` + `value` + `after` appear together in the page text."""

    label: str
    value: str
    before: str = ""
    after: str = ""


def squeeze(text: str) -> str:
    """Text without any whitespace (line breaks and table layout differ between extractions)."""
    return _SPACE.sub("", text or "")


# ---------------------------------------------------------------------------------------------- the table

def _decision(content: Mapping[str, Any], playbook: Any) -> list[Shown]:
    signoff = content.get("signoff")
    if not signoff:
        return [Shown("decision", "Decision requested.")]
    label = DECISION_LABELS.get(signoff.get("decision"), signoff.get("decision") or "")
    approver, role = short(signoff.get("approver"), 120), short(signoff.get("role"), 120)
    shown = [Shown("decision", label, "Decision: ", "."),
             Shown("sign-off banner", f"{label} by {approver} ({role}) on {signoff.get('date', '')}",
                   "SIGNED OFF: "),
             Shown("approver", approver, "Approver"), Shown("role", role, "Role"),
             Shown("decision (sign-off block)", label, "Decision"),
             Shown("conditions", short(signoff.get("conditions")) or "none", "Conditions"),
             Shown("date", str(signoff.get("date", "")), "Date")]
    return shown


def _route(content: Mapping[str, Any], playbook: Any) -> list[Shown]:
    rec = content.get("recommendation") or {}
    # the route is marked "(recommended)" in the key-figures table (the subject names it only without a plan)
    shown = [Shown("recommended route", f"{rec.get('routeName') or ''} (recommended)")]
    statuses = {s.get("slug"): s for s in rec.get("statuses", [])}
    for route in playbook.procurement_routes:
        s = statuses.get(route.slug, {})
        cost = _num(s.get("costAtTarget"))
        # the key-figures row: name, "(recommended)", the trace rows it rests on, status, cost
        recommended = " (recommended)" if route.slug == rec.get("route") else ""
        recommended += rests_on(playbook, route.slug)
        status = STATUS_LABELS.get(s.get("status"), "Unknown")
        shown.append(Shown(f"route {route.name}: status", status, route.name + recommended))
        shown.append(Shown(f"route {route.name}: cost per accepted output at target", usd(cost),
                           route.name + recommended + status))
    return shown


def _key_figures(content: Mapping[str, Any], playbook: Any) -> list[Shown]:
    numbers = (content.get("recommendation") or {}).get("numbers") or {}
    util = _num(numbers.get("measuredUtilization"))
    shown = [Shown("measured GPU utilization", pct(util) if util is not None else NOT_OBSERVED,
                   "Measured GPU utilization")]
    if util is not None:
        shown.append(Shown("utilization rows", count(numbers.get("utilizationRows")), f"{pct(util)} over "))
    for label, key in (("Dedicated endpoint break-even", "dedicatedBreakEvenUtilization"),
                       ("Owned hardware break-even", "ownedBreakEvenUtilization")):
        value = _num(numbers.get(key))
        shown.append(Shown(label.lower(), pct(value) if value is not None else NOT_KNOWN, label))
    traces = content.get("traces") or {}
    shown.append(Shown("trace rows", count(traces.get("count")), "Evidence", " trace row(s)"))
    context = content.get("context") or {}
    target = _num(context.get("targetP95Ms"))
    shown.append(Shown("target p95", f"{count(target)} ms" if target else "not set", "target p95 "))
    rate = _num(context.get("reviewerRateUsdPerHour"))
    shown.append(Shown("reviewer rate", usd(rate) + " an hour" if rate is not None else "no rate set",
                       "reviewer time at "))
    return shown


def _gates(content: Mapping[str, Any], playbook: Any) -> list[Shown]:
    states = {g.get("slug"): g for g in content.get("gates", [])}
    shown = []
    for gate in playbook.gates:
        state = states.get(gate.slug, {})
        items = state.get("items") or []
        done = sum(1 for i in items if i.get("done"))
        verdict = GATE_LABELS.get(state.get("status") or "not-assessed", state.get("status"))
        shown.append(Shown(f"gate {gate.name}: verdict", verdict, gate.name + gate.buyer_question))
        shown.append(Shown(f"gate {gate.name}: checklist", f"{done} of {len(items)}",
                           gate.name + gate.buyer_question + verdict))
    return shown


def _readiness(content: Mapping[str, Any], playbook: Any) -> list[Shown]:
    context = content.get("context") or {}
    threshold = int(_num(context.get("readinessThreshold")) or 0)
    scores = {s.get("slug"): s for s in content.get("readiness", [])}
    shown = [Shown("readiness threshold", str(threshold), "Against the threshold of ")]
    for dim in playbook.readiness:
        score = _num(scores.get(dim.slug, {}).get("score"))
        text = "not scored" if score is None else f"{score:.0f}"
        verdict = "not scored" if score is None else ("below the threshold" if score < threshold
                                                     else "meets the threshold")
        shown.append(Shown(f"readiness {dim.name}: score", text, dim.name, verdict))
    return shown


def _plan(content: Mapping[str, Any], playbook: Any) -> list[Shown]:
    """Plan totals printed on the first page, when the embedded content carries the computed plan.

    Today it carries only the plan's inputs (constraints, levers): the totals are computed at export from
    the traces, so `plan_total_differences` checks them against the workbook (`--workbook`) instead."""
    plan = content.get("plan")
    if not isinstance(plan, Mapping) or not isinstance(plan.get("totals"), Mapping):
        return []
    return plan_total_phrases(plan, playbook)


def plan_total_phrases(plan: Mapping[str, Any], playbook: Any = None) -> list[Shown]:
    """The plan's totals as the memo's first page prints them: the totals table (label, then amount) and the
    opening sentence that repeats them (the memo's own sentence, `memo_plan._lead`)."""
    from desktop.exports.memo_plan import _lead
    from desktop.exports.plan_text import plan_rows, totals_lines

    shown = [Shown(f"plan: {label}", amount, label) for label, amount in totals_lines(plan)]
    if playbook is not None:
        shown.append(Shown("plan: the memo's opening sentence", _lead(plan, plan_rows(plan, playbook))))
    return shown


def plan_total_differences(page_text: str, plan: Mapping[str, Any] | None, playbook: Any = None) -> list[str]:
    """The plan totals a memo must print for `plan` (computed from the workbook) that its pages do not show."""
    if not plan or not plan.get("workloads"):
        return []
    return _differences(squeeze(page_text), plan_total_phrases(plan, playbook), "the workbook computes")


# One entry per group of printed values: (name, content -> phrases). Add a printed value here.
VISIBLE_VALUES: Sequence[tuple[str, Callable[[Mapping[str, Any], Any], list[Shown]]]] = (
    ("decision and sign-off", _decision),
    ("route", _route),
    ("plan totals", _plan),
    ("key figures", _key_figures),
    ("gate verdicts", _gates),
    ("readiness scores", _readiness),
)


def expected_values(content: Mapping[str, Any], playbook: Any) -> list[Shown]:
    out: list[Shown] = []
    for _, produce in VISIBLE_VALUES:
        out += produce(content, playbook)
    return out


def text_differences(page_text: str, content: Mapping[str, Any], playbook: Any) -> list[str]:
    """One line per decision value the page text does not show as the content records it, naming the
    value, what the content says and (when the label is found) what the page shows instead."""
    return _differences(squeeze(page_text), expected_values(content, playbook))


def _differences(text: str, expected: Sequence[Shown], source: str = "the content says") -> list[str]:
    out = []
    for shown in expected:
        before, value, after = squeeze(shown.before), squeeze(shown.value), squeeze(shown.after)
        if before + value + after in text:
            continue
        found = ""
        if before and before in text:
            start = text.index(before) + len(before)
            found = text[start:start + max(len(value), 1)]
        out.append(f"memo text: {shown.label}: {source} {shown.value!r}"
                   + (f", the page shows {found!r}" if found else ", the page does not show it"))
    return out
