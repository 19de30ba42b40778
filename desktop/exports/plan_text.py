"""The decision plan in words: the one place that turns a plan (as `ipw plan --json` prints it) into text.

The Plan page, the Overview's plan card, the memo's first page, the Plan sheet and the Markdown matrix all
show the same rows and totals, so they all take them from here. Pure: no Qt, no files.

The plan arrives as the JSON object of issue 11 item 9 (`desktop.economics.plan` builds it):
`currency` {code, perUsd, date, source}, `workloads` [{workload, volumePerMonth, route, fallback,
monthlyCost(Usd), monthlyModelCost(Usd), monthlyReviewCost(Usd), costShape, measured, reasons, ...}],
`totals` {monthlyCost(Usd), yearlyCost(Usd), baselineMonthlyCost(Usd), monthlySavings(Usd)}, `levers`,
`sensitivity`, `assumptions`. Amounts are formatted from the `...Usd` fields with the one formatter
(`desktop.domain.formatting.format_money`), so a display currency is applied in exactly one place.

One route vocabulary (issue 11 item 5): the playbook has four trace routes and five procurement routes;
wherever a procurement route is shown it says which trace rows it rests on, e.g. "Dedicated hosted
endpoint, measured on Dedicated endpoint rows", or that it is modelled from the price catalog.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from desktop.domain.canonical import content_number
from desktop.domain.errors import DomainError
from desktop.domain.formatting import NOT_KNOWN, USD, DisplayCurrency, format_count, format_money
from desktop.domain.playbook import Playbook

SHAPE_LABELS = {"per-token": "Per token", "capacity": "Capacity (GPU hours)"}
NO_ROUTE = "no qualifying route"
BASIS_LABELS = {"measured": "Measured", "modelled": "Modelled", "not priced": "Not priced"}


@dataclass(frozen=True)
class PlanRow:
    """One workload of the plan, every cell already text (and the raw numbers the tables sort by)."""

    workload: str
    volume: str
    route: str
    fallback: str
    monthly: str
    model_spend: str
    review_cost: str
    shape: str
    basis: str
    reasons: tuple[str, ...]
    volume_per_month: float | None
    monthly_usd: float | None


def plan_currency(plan: Mapping[str, Any]) -> DisplayCurrency:
    """The display currency the plan was made for (USD when it names none or an unusable one)."""
    data = plan.get("currency") or {}
    try:
        return DisplayCurrency(str(data.get("code") or "USD"), float(data.get("perUsd") or 1.0),
                               data.get("date") or None, data.get("source") or None)
    except (TypeError, ValueError):
        return USD


def currency_statement(currency: DisplayCurrency) -> str:
    """The sentence stated once under a plan table: which currency, at which rate, from when and where."""
    if currency.is_usd:
        return "All amounts in US dollars (USD)."
    return f"All amounts in {currency.code}, converted from USD at {currency.rate_note()}."


def _route_name(playbook: Playbook | None, route: Any) -> str | None:
    if route is None or route == "":
        return None
    text = str(route)
    if playbook is None:
        return text
    try:
        return playbook.procurement_route(text).name
    except DomainError:  # a route the playbook does not know is still shown as named
        return text


def trace_route_for(playbook: Playbook | None, route: str) -> str | None:
    """The trace route whose rows are evidence for procurement route `route` (by name or slug)."""
    if playbook is None:
        return None
    try:
        slug = playbook.procurement_route(route).slug
    except DomainError:
        return None
    for trace in playbook.routes:
        if slug in trace.matrix_routes:
            return trace.name
    return None


def rests_on(playbook: Playbook | None, route: str) -> str:
    """'rests on Dedicated endpoint rows': the trace rows a procurement route's figures come from ('' if none)."""
    trace = trace_route_for(playbook, route)
    return f"rests on {trace} rows" if trace else ""


def route_label(playbook: Playbook | None, route: Any, measured: bool | None, measured_on: str | None = None) -> str:
    """'Dedicated hosted endpoint, measured on Dedicated endpoint rows', or '..., modelled (no measured row of
    this workload)' (catalog prices, or throughput measured on another workload); the bare name when it is
    not known which."""
    name = _route_name(playbook, route)
    if name is None:
        return NO_ROUTE
    if measured is True:
        trace = measured_on or trace_route_for(playbook, name)
        return f"{name}, measured on {trace} rows" if trace else f"{name}, measured"
    if measured is False:
        return f"{name}, modelled (no measured row of this workload)"
    return name


def money(entry: Mapping[str, Any], key: str, currency: DisplayCurrency) -> str:
    """The amount `key` of a plan entry in the display currency, from its `keyUsd` twin when present."""
    usd = entry.get(f"{key}Usd")
    if usd is None and currency.is_usd:
        usd = entry.get(key)
    return format_money(content_number(usd), currency)


def candidate_for(workload: Mapping[str, Any], slug: Any, name: Any = None) -> Mapping[str, Any]:
    """The workload's candidate entry for a route (by slug, else by name); {} when it has none."""
    for candidate in workload.get("candidates") or ():
        if (slug and candidate.get("slug") == slug) or (name and candidate.get("route") == name):
            return candidate
    return {}


def _fallback_label(playbook: Playbook | None, workload: Mapping[str, Any]) -> str:
    fallback = workload.get("fallback")
    if not fallback:
        why = workload.get("fallbackReason") or next(
            (_reason_text(r) for r in workload.get("reasons") or () if "fallback" in _reason_text(r).casefold()), "")
        return f"none: {why}" if why else "none qualifies"
    candidate = candidate_for(workload, workload.get("fallbackSlug"), fallback)
    return route_label(playbook, fallback, candidate.get("measured"), candidate.get("traceRoute"))


def _reason_text(reason: Any) -> str:
    if isinstance(reason, Mapping):
        return str(reason.get("text") or reason.get("reason") or "")
    return str(reason)


def plan_rows(plan: Mapping[str, Any], playbook: Playbook | None = None) -> list[PlanRow]:
    """Every workload of the plan as text, in the plan's order."""
    currency = plan_currency(plan)
    rows = []
    for w in plan.get("workloads") or ():
        measured = w.get("measured")
        volume = content_number(w.get("volumePerMonth"))
        rows.append(PlanRow(
            workload=str(w.get("workload") or ""),
            volume=format_count(volume) + " requests" if volume is not None else NOT_KNOWN,
            route=route_label(playbook, w.get("route"), measured, w.get("measuredOn") or
                              candidate_for(w, w.get("routeSlug"), w.get("route")).get("traceRoute")),
            fallback=_fallback_label(playbook, w),
            monthly=money(w, "monthlyCost", currency),
            model_spend=money(w, "monthlyModelCost", currency),
            review_cost=money(w, "monthlyReviewCost", currency),
            shape=SHAPE_LABELS.get(str(w.get("costShape")), str(w.get("costShape") or NOT_KNOWN)),
            basis=BASIS_LABELS.get(str(w.get("basis")), NOT_KNOWN if measured is None else
                                   ("Measured" if measured else "Modelled")),
            reasons=tuple(t for t in map(_reason_text, w.get("reasons") or ()) if t),
            volume_per_month=volume,
            monthly_usd=content_number(w.get("monthlyCostUsd")),
        ))
    return rows


def totals_lines(plan: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, amount) for the plan's totals: monthly, yearly, the baseline and the saving against it."""
    currency = plan_currency(plan)
    totals = plan.get("totals") or {}
    lines = [("Plan, per month", money(totals, "monthlyCost", currency)),
             ("Plan, per year", money(totals, "yearlyCost", currency)),
             ("Baseline (every workload on Managed API only), per month",
              money(totals, "baselineMonthlyCost", currency)),
             ("Saving against the baseline, per month", money(totals, "monthlySavings", currency))]
    if totals.get("budgetMonthlyCostUsd") is not None:
        lines.append(("Monthly budget cap", format_money(content_number(totals["budgetMonthlyCostUsd"]), currency)
                      + (": the plan is over it" if totals.get("budgetBreached") else "")))
    return lines


def total_usd(plan: Mapping[str, Any], key: str = "monthlyCost") -> float | None:
    """A total in USD (None when the plan could not price it)."""
    totals = plan.get("totals") or {}
    value = totals.get(f"{key}Usd")
    if value is None and plan_currency(plan).is_usd:
        value = totals.get(key)
    return content_number(value)


LEVER_LABELS = {"batch": "Batch lane share", "cache": "Prompt-cache hit rate", "utilization": "Target utilization",
                "peak": "Peak-to-average factor", "acceptance": "Acceptance rate",
                "review-minutes": "Review minutes per output", "fallback-share": "Hard cases sent to the fallback"}
_SHARE_LEVERS = {"batch", "cache", "utilization", "acceptance", "fallback-share"}


def lever_value(kind: str, value: Any) -> str:
    number = content_number(value)
    if number is None:
        return NOT_KNOWN
    if kind in _SHARE_LEVERS:
        return f"{number:.0%}" if abs(number * 100 - round(number * 100)) < 1e-9 else f"{number:.1%}"
    return f"{number:g}" + (" min" if kind == "review-minutes" else "x" if kind == "peak" else "")


def lever_lines(plan: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(lever and workload, value, monthly saving) for each lever the plan applied."""
    currency = plan_currency(plan)
    lines = []
    for lever in plan.get("levers") or ():
        kind = str(lever.get("lever"))
        where = lever.get("workload")
        where = "all workloads" if where in (None, "", "*") else where
        lines.append((f"{LEVER_LABELS.get(kind, kind)}, {where}", lever_value(kind, lever.get("value")),
                      money(lever, "monthlySaving", currency)))
    return lines


def assumption_lines(plan: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(str(a.get("text") or ""), str(a.get("source") or "")) for a in plan.get("assumptions") or ()]


def route_summary(rows: Sequence[PlanRow]) -> list[str]:
    """'invoice-review: Dedicated hosted endpoint, measured on Dedicated endpoint rows' per workload."""
    return [f"{row.workload}: {row.route}" for row in rows]
