"""The plan in the Markdown and JSON matrices: the same rows and totals as the memo and the Plan sheet."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from desktop.exports.plan_figures import volume_ranges
from desktop.exports.plan_text import (assumption_lines, currency_statement, lever_lines, plan_currency, plan_rows,
                                       totals_lines)

NO_PLAN = "The plan could not be priced for this workbook (no workloads in scope with a monthly volume, or no " \
          "priced route)."


def plan_markdown_lines(plan: Mapping[str, Any] | None, playbook: Any, md: Callable[[Any], str]) -> list[str]:
    """The '## Plan' section: per-workload table, totals against the baseline, levers, the currency once."""
    lines = ["## Plan: a route for every workload", ""]
    if not plan or not plan.get("workloads"):
        return lines + [md(NO_PLAN), ""]
    lines += ["| Workload | Volume a month | Route | Fallback | Monthly cost | Cost shape | Basis |",
              "|---|---:|---|---|---:|---|---|"]
    for r in plan_rows(plan, playbook):
        lines.append(f"| {md(r.workload)} | {md(r.volume)} | {md(r.route)} | {md(r.fallback)} | {md(r.monthly)} | "
                     f"{md(r.shape)} | {md(r.basis)} |")
    lines += [""] + [f"- {md(label)}: **{md(value)}**" for label, value in totals_lines(plan)]
    lines += ["", md(currency_statement(plan_currency(plan))), ""]
    levers = lever_lines(plan)
    if levers:
        lines += ["### Levers", "", "| Lever | Value | Monthly saving |", "|---|---:|---:|"]
        lines += [f"| {md(name)} | {md(value)} | {md(saving)} |" for name, value, saving in levers]
        lines.append("")
    ranges = volume_ranges(plan, playbook)
    if ranges:
        lines += ["### Where each route holds", ""] + [f"- {md(line)}" for line in ranges] + [""]
    lines += ["### Why each workload has its route", ""]
    for r in plan_rows(plan, playbook):
        lines.append(f"**{md(r.workload)}**")
        lines.append("")
        lines += [f"- {md(reason)}" for reason in r.reasons] or ["- (no reasons recorded)"]
        lines.append("")
    assumptions = assumption_lines(plan)
    if assumptions:
        lines += ["### Plan assumptions", ""] + [f"- {md(text)} (source: {md(source)})" for text, source in assumptions]
        lines.append("")
    return lines


def plan_matrix_json(plan: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The plan as `ipw plan --json --sensitivity` prints it (None when it could not be computed)."""
    return dict(plan) if plan else None
