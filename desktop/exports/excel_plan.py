"""The Excel workbook's Plan sheet: the decision plan with LIVE formulas a finance partner can edit.

Blue cells are inputs: each workload's monthly volume, its batch-lane share and its share of hard cases
sent to the fallback (levers), each route's model cost per accepted output, batch discount, review minutes,
replicas, GPUs per replica and GPU-hour price, the hours a month, the display-currency rate and a monthly
budget cap. Everything else follows by formula, as the app prices it (desktop/economics/plan/pricing.py):

- per-token routes: model spend = volume x model cost per accepted output x (1 - batch share x batch discount);
- capacity routes: GPU spend = replicas x GPUs per replica x GPU-hour price x hours a month x the share of a
  pooled deployment (1 when not pooled); replicas are sized by the app (Erlang C) at the exported volume and
  lever values, and do not resize when a volume changes here (run `ipw plan` again for that);
- review cost = volume x review minutes / 60 x the reviewer rate of the Summary sheet (one rate for the file);
- the chosen route of a workload is, among the routes that qualify (supported by the rules, allowed by the
  constraints, priced, not over the target p95), one whose latency was measured at the target if any, and the
  cheapest of those (the app's ranking); its monthly cost = (1 - fallback share) x chosen + fallback share x
  the named fallback route's monthly cost;
- totals = the sum of the workloads; baseline = each workload on Managed API only without levers, per
  accepted output x volume; saving = baseline - plan; amounts in the display currency = USD x the rate.

The prompt-cache, utilization, peak-factor and acceptance levers change a route's cost per accepted output
or its replicas inside the app; the sheet lists their values and shows their effect through those inputs.

Written from the plan's JSON object (`ipw plan --json`), row by row in order (xlsxwriter's constant-memory
mode flushes a row once the next one is started).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from desktop.domain.canonical import content_number as _num  # numbers in the content are text
from desktop.exports.plan_text import LEVER_LABELS, lever_value, plan_currency, route_label

SHEET = "Plan"
MAX_TEXT = 2_000
_MONEY = "#,##0.00"
_SMALL_MONEY = "#,##0.000000"
_STYLES: dict[str, dict[str, Any]] = {
    "title": {"bold": True, "font_size": 14},
    "banner": {"bold": True, "font_color": "#C00000"},
    "banner_ok": {"bold": True, "font_color": "#1B5E20"},
    "note": {"italic": True, "font_color": "#555555"},  # one line, running over the empty cells beside it
    "label": {"bold": True},
    "header": {"bold": True, "bg_color": "#1F3864", "font_color": "#FFFFFF", "text_wrap": True, "valign": "top",
               "border": 1},
    "text": {"border": 1, "quote_prefix": True},
    "in_count": {"num_format": "#,##0", "bg_color": "#DDEBF7", "font_color": "#1F3864", "border": 1},
    "in_share": {"num_format": "0.0%", "bg_color": "#DDEBF7", "font_color": "#1F3864", "border": 1},
    "in_money": {"num_format": _MONEY, "bg_color": "#DDEBF7", "font_color": "#1F3864", "border": 1},
    "in_small": {"num_format": _SMALL_MONEY, "bg_color": "#DDEBF7", "font_color": "#1F3864", "border": 1},
    "in_number": {"num_format": "#,##0.0000", "bg_color": "#DDEBF7", "font_color": "#1F3864", "border": 1},
    "in_text": {"bg_color": "#DDEBF7", "font_color": "#1F3864", "border": 1, "quote_prefix": True},
    "money": {"num_format": _MONEY, "border": 1},
    "small": {"num_format": _SMALL_MONEY, "border": 1},
    "total": {"num_format": _MONEY, "bold": True, "border": 1, "bg_color": "#F2F2F2"},
    "flag": {"border": 1, "align": "center"},
}
WIDTHS = {0: 56, 1: 28, 2: 58, 3: 14, 4: 28, 5: 28, 6: 16, 7: 16, 8: 16, 9: 16, 10: 16, 11: 14, 12: 14, 13: 12,
          14: 14, 15: 16, 16: 16, 17: 16, 18: 16, 19: 16, 20: 24}
LINE_HEIGHT = 13.0  # points per line of 10-point Calibri (header rows grow to fit their wrapped text)


def _ref(row: int, col: int, absolute: bool = False) -> str:
    letters = ""
    n = col + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return f"${letters}${row + 1}" if absolute else f"{letters}{row + 1}"


def _range(first: int, last: int, col: int) -> str:
    return f"{_ref(first, col, True)}:{_ref(last, col, True)}"


@dataclass
class _Cells:
    """The sheet's cells before writing: (row, col) -> (kind, value, style, cached result)."""

    cells: dict[tuple[int, int], tuple[str, Any, str, Any]] = field(default_factory=dict)
    anchors: dict[str, tuple[int, int]] = field(default_factory=dict)

    def text(self, row: int, col: int, value: Any, style: str = "text") -> None:
        if value is not None and value != "":
            self.cells[(row, col)] = ("text", str(value)[:MAX_TEXT], style, None)

    def number(self, row: int, col: int, value: float | None, style: str) -> None:
        if value is not None:
            self.cells[(row, col)] = ("number", float(value), style, None)

    def formula(self, row: int, col: int, formula: str, style: str, cached: Any = None) -> None:
        self.cells[(row, col)] = ("formula", formula, style, cached)


def _levers_for(plan: Mapping[str, Any], workload: str, kind: str, default: float = 0.0) -> float:
    """The lever in force for a workload, as the app merges them: later entries win, '*' means every workload."""
    value = default
    for lever in plan.get("levers") or ():
        target = str(lever.get("workload") or "*")
        if lever.get("lever") == kind and (target == "*" or target.casefold() == workload.casefold()):
            value = _num(lever.get("value")) or 0.0
    return value


def _pool_for(plan: Mapping[str, Any], workload: str, slug: str) -> Mapping[str, Any] | None:
    for pool in plan.get("pooling") or ():
        if pool.get("route") in (slug, None) and workload in (pool.get("workloads") or ()):
            return pool
    return None


def _baseline_per_output(plan: Mapping[str, Any], w: Mapping[str, Any], volume: float) -> float | None:
    own = _num(w.get("baselineMonthlyCostUsd"))
    if own is None:  # the Managed API candidate without the batch lane (exact unless other levers change it)
        managed = next((c for c in w.get("candidates") or () if c.get("slug") == "managed-api-only"), {})
        spend, review = _num(managed.get("monthlyModelCostUsd")), _num(managed.get("monthlyReviewCostUsd"))
        kept = 1 - (_num(managed.get("batchShare")) or 0.0) * (_num(managed.get("batchDiscount")) or 0.0)
        own = None if spend is None or review is None or kept <= 0 else spend / kept + review
    return None if own is None or not volume else own / volume


def plan_cells(plan: Mapping[str, Any], playbook: Any = None, reviewer_rate: float | None = None,
               rate_ref: str = "ReviewerRateUsdPerHour", mark: str | None = None) -> _Cells:
    """Every cell of the Plan sheet (pure: tests read the formulas without writing a file)."""
    cells = _Cells()
    currency = plan_currency(plan)
    rate = reviewer_rate or 0.0
    workloads = [w for w in plan.get("workloads") or () if _num(w.get("volumePerMonth")) is not None]
    cells.text(0, 0, "Plan: a route for every workload, what it costs a month", "title")
    cells.text(1, 0, mark or "Signed off", "banner" if mark else "banner_ok")
    cells.text(2, 0, "Blue cells are inputs: change a volume, a lever, a price or the rate and the monthly costs "
                     "and totals follow. Replicas of capacity routes are sized by the app at the exported volume "
                     "and levers; run ipw plan again after a large volume change.", "note")
    inputs = [("Display currency", "code"), ("Display currency units per USD", "fx"), ("Rate date and source", "src"),
              ("Hours a month (capacity routes run always-on)", "hours"),
              ("Reviewer rate, USD per hour (the Summary sheet's input)", "rate")]
    for i, (label, key) in enumerate(inputs):
        row = 3 + i
        cells.text(row, 0, label, "label")
        cells.anchors[key] = (row, 1)
    cells.text(3, 1, currency.code, "in_text")
    cells.number(4, 1, currency.per_usd, "in_number")
    cells.text(5, 1, ", ".join(p for p in (currency.date, currency.source) if p) or "not stated", "text")
    cells.number(6, 1, _num(plan.get("hoursPerMonth")) or 730.0, "in_count")
    cells.formula(7, 1, f"={rate_ref}", "money", rate)
    fx = _ref(4, 1, True)
    hours = _ref(6, 1, True)
    rate_cell = _ref(7, 1, True)

    # Tables first (their rows are known), totals reference them.
    totals_row = 9
    wl_header = totals_row + 8
    first_wl = wl_header + 1
    last_wl = first_wl + max(len(workloads), 1) - 1
    cand_header = last_wl + 3
    candidates: list[tuple[Mapping[str, Any], Mapping[str, Any]]] = [
        (w, c) for w in workloads for c in w.get("candidates") or () if _num(c.get("monthlyCostUsd")) is not None]
    first_c = cand_header + 1
    last_c = first_c + max(len(candidates), 1) - 1
    cA, cB, cF, cG, cR, cT = (_range(first_c, last_c, col) for col in (0, 1, 5, 6, 18, 20))
    wA, wB, wC = (_range(first_wl, last_wl, col) for col in (0, 1, 2))

    # ---- totals
    cells.text(totals_row, 0, "Totals", "header")
    cells.text(totals_row, 1, "USD", "header")
    cells.text(totals_row, 2, currency.code if not currency.is_usd else "USD (display)", "header")
    totals = plan.get("totals") or {}
    lines = [("Plan, per month", f"=SUM({_range(first_wl, last_wl, 8)})", "monthlyCostUsd", "plan_month"),
             ("Plan, per year", f"={_ref(totals_row + 1, 1)}*12", "yearlyCostUsd", "plan_year"),
             ("Baseline: every workload on Managed API only, per month", f"=SUM({_range(first_wl, last_wl, 11)})",
              "baselineMonthlyCostUsd", "baseline"),
             ("Saving against the baseline, per month", f"={_ref(totals_row + 3, 1)}-{_ref(totals_row + 1, 1)}",
              "monthlySavingsUsd", "savings")]
    for i, (label, formula, key, anchor) in enumerate(lines):
        row = totals_row + 1 + i
        cells.text(row, 0, label, "label")
        cells.formula(row, 1, formula, "total", _num(totals.get(key)))
        cached = _num(totals.get(key))
        cells.formula(row, 2, f"={_ref(row, 1)}*{fx}", "total", None if cached is None else cached * currency.per_usd)
        cells.anchors[anchor] = (row, 1)
    budget_row = totals_row + 5
    cells.text(budget_row, 0, "Monthly budget cap, USD (blank: no cap)", "label")
    cells.number(budget_row, 1, _num(totals.get("budgetMonthlyCostUsd")), "in_money")
    cells.text(budget_row + 1, 0, "Over the budget cap", "label")
    cells.formula(budget_row + 1, 1, f'=IF({_ref(budget_row, 1)}="","no cap",IF({_ref(totals_row + 1, 1)}>'
                  f'{_ref(budget_row, 1)},"yes","no"))', "flag",
                  "no cap" if totals.get("budgetMonthlyCostUsd") is None else ("yes" if totals.get("budgetBreached") else "no"))
    cells.anchors["budget"] = (budget_row, 1)

    # ---- workloads
    headers = ("Workload", "Volume a month", "Batch-lane share (lever)", "Hard cases to the fallback (lever)",
               "Chosen route", "Fallback route", "Chosen route, USD a month", "Fallback route, USD a month",
               "Monthly cost, USD", f"Monthly cost, {currency.code}", "Baseline per accepted output, USD",
               "Baseline, USD a month", "Basis", "Cost shape")
    for col, text in enumerate(headers):
        cells.text(wl_header, col, text, "header")
    for i, w in enumerate(workloads):
        row = first_wl + i
        name = str(w.get("workload"))
        volume = _num(w.get("volumePerMonth")) or 0.0
        A, B, D, F, G, H = (_ref(row, col) for col in (0, 1, 3, 5, 6, 7))
        cells.text(row, 0, name)
        cells.number(row, 1, volume, "in_count")
        cells.number(row, 2, _levers_for(plan, name, "batch"), "in_share")
        cells.number(row, 3, _num(w.get("fallbackShare")) or 0.0, "in_share")
        rank = f"_xlfn.MINIFS({cG},{cA},{A},{cF},1)"
        cells.formula(row, 4, f'=IFERROR(INDEX({cB},MATCH({A},{cT},0)),"no qualifying route")', "text",
                      w.get("route") or "no qualifying route")
        fallback = w.get("fallback")
        cells.text(row, 5, fallback or "none")
        chosen = _num(w.get("monthlyCostUsd"))
        chosen_candidate = next((c for c in w.get("candidates") or () if c.get("slug") == w.get("routeSlug")), {})
        cells.formula(row, 6, f"=IF(COUNTIFS({cA},{A},{cF},1)=0,NA(),_xlfn.MINIFS({cR},{cA},{A},{cF},1,{cG},{rank}))",
                      "money", _num(chosen_candidate.get("monthlyCostUsd")))
        fallback_candidate = next((c for c in w.get("candidates") or () if c.get("slug") == w.get("fallbackSlug")), {})
        cells.formula(row, 7, f'=IF({F}="none",{G},SUMIFS({cR},{cA},{A},{cB},{F}))', "money",
                      _num(fallback_candidate.get("monthlyCostUsd")) or _num(chosen_candidate.get("monthlyCostUsd")))
        cells.formula(row, 8, f"=(1-{D})*{G}+{D}*{H}", "money", chosen)
        cells.formula(row, 9, f"={_ref(row, 8)}*{fx}", "money", None if chosen is None else chosen * currency.per_usd)
        cells.number(row, 10, _baseline_per_output(plan, w, volume), "in_small")
        cells.formula(row, 11, f"={B}*{_ref(row, 10)}", "money", None)
        cells.text(row, 12, str(w.get("basis") or ""))
        cells.text(row, 13, str(w.get("costShape") or ""))

    # ---- candidates
    cols = {key: i for i, key in enumerate((
        "workload", "route", "rests", "shape", "basis", "qualifies", "rank", "cpr", "acceptance", "discount",
        "minutes", "replicas", "gpus", "gpu_hour", "pool_share", "cpao", "spend", "review", "monthly", "display",
        "chosen"))}
    headers = ("Workload", "Route", "Rests on", "Cost shape", "Basis", "Qualifies (1 = yes)",
               "Rank (1 = latency measured at target)", "Cost per request, USD (cache lever applied)",
               "Acceptance rate", "Batch discount", "Review minutes per output", "Replicas", "GPUs per replica",
               "GPU-hour price, USD", "Share of a pooled deployment", "Cost per accepted output, USD",
               "Model or GPU spend, USD a month", "Review, USD a month", "Monthly cost, USD",
               f"Monthly cost, {currency.code}", "Chosen")
    cells.text(cand_header - 1, 0, "Every priced route for every workload (routes not priced are named in the "
                                   "app's reasons)", "note")
    for col, text in enumerate(headers):
        cells.text(cand_header, col, text, "header")
    for i, (w, c) in enumerate(candidates):
        row = first_c + i
        name = str(w.get("workload"))
        volume = _num(w.get("volumePerMonth")) or 0.0
        per_token = c.get("costShape") != "capacity"
        ref = {key: _ref(row, col) for key, col in cols.items()}
        A = ref["workload"]
        vol = f"INDEX({wB},MATCH({A},{wA},0))"
        batch = f"INDEX({wC},MATCH({A},{wA},0))"
        spend = _num(c.get("monthlyModelCostUsd")) or 0.0
        review = _num(c.get("monthlyReviewCostUsd")) or 0.0

        def put(key: str, value: float | None, style: str, row: int = row) -> None:
            cells.number(row, cols[key], value, style)

        cells.text(row, cols["workload"], name)
        cells.text(row, cols["route"], c.get("route"))
        cells.text(row, cols["rests"], route_label(playbook, c.get("route"), c.get("measured"), c.get("traceRoute")))
        cells.text(row, cols["shape"], c.get("costShape"))
        cells.text(row, cols["basis"], c.get("basis"))
        put("qualifies", 1.0 if c.get("qualifies") else 0.0, "in_count")
        put("rank", 1.0 if c.get("meetsTarget") is True else 2.0, "in_count")
        minutes = _num(c.get("reviewMinutes"))
        if minutes is None:
            minutes = review / volume / rate * 60 if volume and rate else 0.0
        put("minutes", minutes, "in_number")
        if per_token:
            put("cpr", _num(c.get("costPerRequestUsd")), "in_small")
            put("acceptance", _num(c.get("acceptance")), "in_share")
            put("discount", _num(c.get("batchDiscount")) or 0.0, "in_share")
            cells.formula(row, cols["spend"], f"={vol}*{ref['cpr']}/{ref['acceptance']}*(1-{batch}*{ref['discount']})",
                          "money", spend)
        else:
            pool = _pool_for(plan, name, str(c.get("slug"))) if c.get("pooled") else None
            replicas = _num(pool.get("replicasPooled")) if pool else _num(c.get("replicas"))
            gpus, price = _num(c.get("gpusPerReplica")) or 1.0, _num(c.get("gpuHourUsd")) or 0.0
            full = (replicas or 0) * gpus * price * 730.0
            put("replicas", replicas, "in_count")
            put("gpus", gpus, "in_count")
            put("gpu_hour", price, "in_money")
            put("pool_share", spend / full if pool and full else 1.0, "in_share")
            cells.formula(row, cols["spend"], f"={ref['replicas']}*{ref['gpus']}*{ref['gpu_hour']}*{hours}*"
                          f"{ref['pool_share']}", "money", spend)
        cells.formula(row, cols["review"], f"={vol}*{ref['minutes']}/60*{rate_cell}", "money", review)
        cells.formula(row, cols["cpao"], f"=IF({vol}=0,NA(),({ref['spend']}+{ref['review']})/{vol})", "small",
                      (spend + review) / volume if volume else None)
        total = _num(c.get("monthlyCostUsd"))
        cells.formula(row, cols["monthly"], f"={ref['spend']}+{ref['review']}", "money", total)
        cells.formula(row, cols["display"], f"={ref['monthly']}*{fx}", "money",
                      None if total is None else total * currency.per_usd)
        best_rank = f"_xlfn.MINIFS({cG},{cA},{A},{cF},1)"
        cells.formula(row, cols["chosen"], f'=IF(AND({ref["qualifies"]}=1,{ref["rank"]}={best_rank},{ref["monthly"]}='
                      f'_xlfn.MINIFS({cR},{cA},{A},{cF},1,{cG},{best_rank})),{A},"")', "flag",
                      name if c.get("slug") == w.get("routeSlug") else "")

    # ---- levers applied by the app
    row = last_c + 3
    cells.text(row, 0, "Levers in force (the batch and fallback levers are live above; the others are applied by "
                       "the app to the cost per accepted output or the replicas)", "note")
    row += 1
    for col, text in enumerate(("Lever", "Workload", "Value")):
        cells.text(row, col, text, "header")
    for lever in plan.get("levers") or ():
        row += 1
        kind = str(lever.get("lever"))
        cells.text(row, 0, LEVER_LABELS.get(kind, kind))
        cells.text(row, 1, "every workload" if lever.get("workload") in (None, "*") else lever.get("workload"))
        cells.text(row, 2, lever_value(kind, lever.get("value")))
    cells.anchors["workloads"] = (first_wl, 0)
    cells.anchors["candidates"] = (first_c, 0)
    return cells


def write_plan_sheet(book: Any, plan: Mapping[str, Any] | None, *, playbook: Any = None,
                     reviewer_rate: float | None = None, paper: int = 9, mark: str | None = None,
                     setup: Any = None) -> Any:
    """Add the Plan sheet to an open xlsxwriter workbook (None: no plan, no sheet). `mark` is the status line
    every sheet carries in A2 (DRAFT / NOT VALID; None when signed off); `setup(ws)` applies the other sheets'
    page set-up (header with the status mark, footer, paper)."""
    if not plan or not plan.get("workloads"):
        return None
    ws = book.add_worksheet(SHEET)
    if setup is not None:
        setup(ws)
    for col, width in WIDTHS.items():
        ws.set_column(col, col, width)
    ws.set_landscape()
    ws.set_paper(paper)
    formats = {name: book.add_format(props) for name, props in _STYLES.items()}
    cells = plan_cells(plan, playbook, reviewer_rate, mark=mark)
    lines: dict[int, int] = {}  # header rows: the lines their longest wrapped header needs
    for (row, col), (_, value, style, _) in cells.cells.items():
        if style == "header":
            need = math.ceil(len(str(value)) / max(4.0, WIDTHS.get(col, 10) * 1.1))
            lines[row] = max(lines.get(row, 1), min(need, 4))
    current = -1
    for (row, col), (kind, value, style, cached) in sorted(cells.cells.items()):
        if row != current:
            current = row
            if lines.get(row, 1) > 1:
                ws.set_row(row, LINE_HEIGHT * lines[row] + 2)
        fmt = formats[style]
        if kind == "text":
            ws.write_string(row, col, value, fmt)
        elif kind == "number":
            ws.write_number(row, col, value, fmt)
        else:
            ws.write_formula(row, col, value, fmt, "" if cached is None else cached)
    book.define_name("PlanFxPerUsd", f"='{SHEET}'!{_ref(4, 1, True)}")
    book.define_name("PlanMonthlyCostUsd", f"='{SHEET}'!{_ref(*cells.anchors['plan_month'], True)}")
    return ws


def anchors(plan: Mapping[str, Any], playbook: Any = None) -> dict[str, tuple[int, int]]:
    """Where the totals and tables are (0-based row, column), for readers and tests."""
    return plan_cells(plan, playbook).anchors


__all__: Sequence[str] = ("SHEET", "plan_cells", "write_plan_sheet", "anchors")
