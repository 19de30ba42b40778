"""The plan's two figures, filled from the plan's JSON object: the waterfall and the tornado.

Pure (the generic models are `desktop.economics.figures.Waterfall` / `Tornado`; pyqtgraph and SVG draw them).
Amounts are shown in the display currency (unit "money"), converted from the plan's `...Usd` fields with
the plan's rate, so the figures read the same as the table beside them.

Waterfall: the plan's own `waterfall` list: from the baseline (every workload on Managed API only) through
"route per workload" and one step per lever to the plan's monthly total. A step whose amount is not known
is named under the figure, never drawn as zero.

Tornado: for each input the sensitivity analysis varied, the plan's monthly total at the low and the high
setting, around the base total.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from desktop.domain.errors import DomainError
from desktop.domain.formatting import format_money
from desktop.economics.figures import Tornado, TornadoRow, Waterfall, WaterfallStep
from desktop.exports.plan_text import plan_currency, total_usd



def _usd(entry: Mapping[str, Any], key: str, per_usd: float) -> float | None:
    value = entry.get(f"{key}Usd")
    if value is None and entry.get(key) is not None:
        value = float(entry[key]) / per_usd
    if value is None or isinstance(value, bool):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def plan_waterfall(plan: Mapping[str, Any]) -> Waterfall | None:
    """The plan's own waterfall (baseline, route per workload, one step per lever, plan) in the display
    currency; None when the baseline or the plan total is not known."""
    currency = plan_currency(plan)
    entries = list(plan.get("waterfall") or ())
    start = next((e for e in entries if e.get("kind") == "start"), None)
    end = next((e for e in entries if e.get("kind") == "end"), None)
    if start is None or end is None:
        return None
    baseline, total = _usd(start, "amount", currency.per_usd), _usd(end, "amount", currency.per_usd)
    if baseline is None or total is None:
        return None
    steps: list[WaterfallStep] = []
    missing: list[str] = []
    for entry in entries:
        if entry.get("kind") != "step":
            continue
        label = str(entry.get("label") or "")
        delta = _usd(entry, "amount", currency.per_usd)
        if delta is None:
            missing.append(f"{label}: not known")
            continue
        verb = "saves" if delta < 0 else "adds"
        steps.append(WaterfallStep(label, currency.from_usd(delta),
                                   f"{label} {verb} {format_money(abs(delta), currency)} a month"))
    # The steps sum to the plan total by construction; a step not known leaves a gap, drawn as one remainder.
    gap = currency.from_usd(total) - currency.from_usd(baseline) - math.fsum(s.delta for s in steps)
    if missing and abs(gap) > 1e-9 * max(1.0, abs(currency.from_usd(total))):
        steps.append(WaterfallStep("Steps not known", gap, "the rest of the difference"))
    return Waterfall(title="From the baseline to the plan, per month", start_label=str(start.get("label") or
                     "Baseline"), start=currency.from_usd(baseline), steps=tuple(steps),
                     end_label=str(end.get("label") or "Plan"), value_axis=f"{currency.code} per month", unit="money",
                     currency=currency.code, missing=tuple(missing),
                     caption="Baseline: every workload on Managed API only. Each step is a monthly saving "
                             "(down) or extra cost (up).")


def _rows(sensitivity: Any) -> list[Mapping[str, Any]]:
    if isinstance(sensitivity, Mapping) and isinstance(sensitivity.get("tornado"), list):
        return sensitivity["tornado"]
    return []


def plan_tornado(plan: Mapping[str, Any]) -> Tornado | None:
    """The plan total at each varied input's low and high setting; None without a sensitivity analysis."""
    currency = plan_currency(plan)
    base = total_usd(plan, "monthlyCost")
    rows = _rows(plan.get("sensitivity"))
    if base is None or not rows:
        return None
    drawn: list[TornadoRow] = []
    missing: list[str] = []
    for row in rows:
        label = str(row.get("input") or "")
        low = _usd(row, "lowMonthlyCost", currency.per_usd)
        high = _usd(row, "highMonthlyCost", currency.per_usd)
        if low is None or high is None:
            missing.append(f"{label}: effect not known")
            continue
        drawn.append(TornadoRow(label, currency.from_usd(low), currency.from_usd(high),
                                str(row.get("lowLabel") or ""), str(row.get("highLabel") or "")))
    if not drawn:
        return None
    return Tornado(title="What moves the monthly total most", base=currency.from_usd(base), rows=tuple(drawn),
                   value_axis=f"{currency.code} per month", unit="money", currency=currency.code,
                   base_label="plan", missing=tuple(missing),
                   caption="Each bar: the plan's monthly total with one input at its low and its high setting, "
                           "the others as planned.")


def volume_ranges(plan: Mapping[str, Any], playbook: Any = None) -> list[str]:
    """'invoice-review: Managed API only stays the cheapest from 40,000 to 2,100,000 requests a month' per
    workload; an open end says the route holds beyond the volumes the analysis scanned."""
    sensitivity = plan.get("sensitivity")
    ranges = sensitivity.get("volumeRanges") if isinstance(sensitivity, Mapping) else None
    lines = []
    for r in ranges or ():
        route = r.get("route")
        if not route:
            lines.append(f"{r.get('workload')}: no route qualifies at the forecast volume")
            continue
        if playbook is not None:
            try:
                route = playbook.procurement_route(str(route)).name
            except DomainError:  # a route the playbook does not know is shown as named
                pass
        low, high = r.get("lowVolume"), r.get("highVolume")
        scanned = (f"{float(r.get('scannedLow') or 0):,.0f} to {float(r.get('scannedHigh') or 0):,.0f} requests "
                   "a month")
        if low is None and high is None:
            text = f"stays the cheapest at every volume scanned ({scanned})"
        else:
            low_text = f"{float(low):,.0f}" if low is not None else f"{float(r.get('scannedLow') or 0):,.0f} or less"
            high_text = f"{float(high):,.0f}" if high is not None else f"{float(r.get('scannedHigh') or 0):,.0f} or more"
            text = f"stays the cheapest from {low_text} to {high_text} requests a month"
        lines.append(f"{r.get('workload')}: {route} {text}")
    return lines
