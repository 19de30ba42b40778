"""The memo's plan: what report_templates/memo_plan.html (first page) and memo_plan_charts.html show.

`plan_memo_context(plan, playbook)` returns the template's `plan` value: the per-workload table with monthly
costs, the totals against the baseline, the display currency stated once (rate, date, source), and the
waterfall and tornado as inline vector SVG (drawn by `desktop.exports.svg_charts`, text kept as text so
`pdftotext` reads it). Every value is already text; the SVG is the only markup, and it is made by our own
renderer from numbers and escaped labels, never from user HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from desktop.domain.playbook import Playbook
from desktop.exports.plan_figures import plan_tornado, plan_waterfall, volume_ranges
from desktop.exports.plan_text import (assumption_lines, currency_statement, lever_lines, plan_currency, plan_rows,
                                       total_usd, totals_lines)

WATERFALL_HEIGHT = 200.0  # pt: the waterfall and the tornado share one page with the levers
TORNADO_ROW = 17.0
MAX_ROWS = 40  # workloads on the first page; more are named in a line below the table
MISSING = ("The plan could not be priced for this workbook: add the workloads in scope with their monthly "
           "volume and traces with cost, acceptance and p95 latency.")


def _charts(plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    from markupsafe import Markup

    from desktop.exports.svg_charts import tornado_svg, waterfall_svg

    charts = []
    waterfall = plan_waterfall(plan)
    if waterfall is not None:
        charts.append({"svg": Markup(waterfall_svg(waterfall, height=WATERFALL_HEIGHT)), "caption": f"Figure P1. {waterfall.title}. "
                       f"{waterfall.caption}"})
    tornado = plan_tornado(plan)
    if tornado is not None:
        charts.append({"svg": Markup(tornado_svg(tornado, row_height=TORNADO_ROW)), "caption": f"Figure P2. {tornado.title}. "
                       f"{tornado.caption}"})
    return charts


def _lead(plan: Mapping[str, Any], rows: list[Any]) -> str:
    """The memo's opening sentence when there is a plan: buy per workload, what it costs, what it saves."""
    totals = dict(totals_lines(plan))
    routed = [row for row in rows if not row.route.startswith("no qualifying")]
    routes = sorted({row.route.partition(",")[0] for row in routed})
    priced = total_usd(plan) is not None
    text = (f"We recommend buying inference per workload as the plan above shows: {len(rows)} workload"
            f"{'s' if len(rows) != 1 else ''}" + (f" ({len(routed)} with a qualifying route)" if len(routed) != len(rows)
                                                  else "") + f" on {', '.join(routes) or 'no route yet'}")
    if priced:
        text += (f", {totals['Plan, per month']} a month ({totals['Plan, per year']} a year), "
                 f"{totals['Saving against the baseline, per month']} a month less than buying everything through "
                 "Managed API only")
    else:
        text += "; the monthly total is not known while a workload has no priced route"
    return text + ". Each workload names a fallback route where one qualifies."


def plan_memo_context(plan: Mapping[str, Any] | None, playbook: Playbook | None) -> dict[str, Any]:
    """The template's `plan` value (always present: `available` False says why there is no plan)."""
    if not plan or not plan.get("workloads"):
        return {"available": False, "missing": MISSING}
    rows = plan_rows(plan, playbook)
    totals = totals_lines(plan)
    shown = rows[:MAX_ROWS]
    warnings = []
    if len(rows) > MAX_ROWS:
        warnings.append(f"{len(rows) - MAX_ROWS} more workloads are in the Plan sheet of the Excel workbook.")
    for row in rows:
        if row.route.startswith("no qualifying route"):
            why = "; ".join(reason.rstrip(".") for reason in row.reasons[1:])
            warnings.append(f"{row.workload} has no qualifying route" + (f": {why}." if why else "."))
    budget = (plan.get("totals") or {}).get("budgetBreached")
    if budget:
        warnings.append("The plan's monthly cost is over the budget cap.")
    measured = sum(1 for r in rows if r.basis == "Measured")
    modelled = sum(1 for r in rows if r.basis == "Modelled")
    if measured == len(rows):
        basis_note = "Every route is priced from measured trace rows."
    else:
        basis_note = (f"{measured} of {len(rows)} workload routes are priced from measured trace rows"
                      + (f", {modelled} modelled from the bundled price catalog or another workload's throughput"
                         if modelled else "") + ".")
    return {
        "available": True,
        "lead": _lead(plan, rows),
        "rows": [{"workload": r.workload, "volume": r.volume, "volume_short": r.volume.removesuffix(" requests"),
                  "route": r.route, "fallback": r.fallback,
                  "monthly": r.monthly, "shape": r.shape} for r in shown],
        "totals": totals,
        "total": totals[0][1],
        "currency_statement": currency_statement(plan_currency(plan)),
        "basis_note": basis_note,
        "warnings": warnings,
        "charts": _charts(plan),
        "levers": lever_lines(plan),
        "ranges": volume_ranges(plan, playbook),
        "assumptions": assumption_lines(plan),
    }
