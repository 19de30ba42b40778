"""`ipw plan` and `ipw constraint`: the decision plan (a route, a fallback and a monthly cost per workload)
and the constraints it respects (allowed routes, monthly budgets)."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from desktop.cli.common import CliError, editing, print_json, reading
from desktop.domain.formatting import format_count, format_money
from desktop.domain.workbook import WORKBOOK_WIDE, PlanConstraint, PlanLever, Workbook
from desktop.economics.plan import LEVER_HELP, Plan, currency_of, parse_lever, parse_routes
from desktop.resources import playbook
from desktop.services.plan import run_plan

NO_LIMIT = "none"  # --budget none: no cap
ANY_ROUTE = "any"  # --allow any: no route restriction


def register(subparsers: Any) -> None:
    plan = subparsers.add_parser(
        "plan", help="the decision plan: a route, a fallback and a monthly cost per workload",
        description="Price every workload in scope on each procurement route at its forecast volume and the "
                    "target p95, choose the cheapest supported, allowed route and a different fallback, and "
                    "total the month against the Managed-API-only baseline. Amounts are in the workbook's "
                    "display currency (JSON adds the USD amount beside each). Levers given here apply to "
                    "this run only unless --save-levers stores them.")
    plan.add_argument("file", type=Path, metavar="FILE")
    plan.add_argument("--json", action="store_true", help="print one JSON object")
    plan.add_argument("--lever", action="append", default=[], metavar="KIND:WORKLOAD=VALUE", help=LEVER_HELP)
    plan.add_argument("--sensitivity", action="store_true",
                      help="add the inputs that move the total most and each workload's volume range")
    plan.add_argument("--save-levers", action="store_true", help="store the --lever values in the workbook")
    plan.set_defaults(func=cmd_plan)

    constraint = subparsers.add_parser(
        "constraint", help="allowed routes and a monthly budget, per workload or for the whole workbook",
        description="Set what the plan may choose for WORKLOAD (without WORKLOAD: for the whole workbook). "
                    "--allow lists the procurement routes allowed, by slug or name (a data boundary such as "
                    "'data stays in our cloud' allows only dedicated-hosted-endpoint,cloud-gpu-self-hosting,"
                    "owned-hardware); --budget caps the monthly cost, in the display currency (the plan flags "
                    "a breach). Without either, prints the constraints.")
    constraint.add_argument("file", type=Path, metavar="FILE")
    constraint.add_argument("workload", nargs="?", metavar="WORKLOAD", help="a workload in scope")
    constraint.add_argument("--allow", metavar="ROUTE,...", help=f"routes allowed, or '{ANY_ROUTE}' for every route")
    constraint.add_argument("--budget", metavar="AMOUNT",
                            help=f"monthly budget in the display currency, or '{NO_LIMIT}' for no cap")
    constraint.add_argument("--clear", action="store_true", help="remove this constraint")
    constraint.add_argument("--json", action="store_true", help="print one JSON object")
    constraint.set_defaults(func=cmd_constraint)


# ---- ipw plan ---------------------------------------------------------------------------------------

def _levers(texts: list[str], workbook: Workbook) -> list[PlanLever]:
    names = [w.name for w in workbook.context.workloads]
    return [parse_lever(text, names) for text in texts]


def cmd_plan(args: argparse.Namespace) -> int:
    if args.save_levers and not args.lever:
        raise CliError("--save-levers needs at least one --lever", 2)
    if args.save_levers:
        with editing(args.file) as (_store, workbook):
            levers = _levers(args.lever, workbook)
            workbook.set_plan(workbook.plan.with_levers(levers))
        levers = []  # now saved: the plan reads them from the workbook
    else:
        with reading(args.file) as (_store, workbook):
            levers = _levers(args.lever, workbook)
    report = run_plan(args.file, levers=levers, sensitivity=args.sensitivity)
    if args.json:
        print_json(report.to_json())
        return 0
    print("\n".join(plan_lines(report.plan, args.file, report.problems)))
    return 0


def plan_lines(plan: Plan, path: Path, problems: tuple[str, ...] = ()) -> list[str]:
    money = plan.currency

    def m(usd: float | None) -> str:
        return format_money(usd, money)

    lines = [f"{path}", f"  amounts in {money.code}" + (f": {money.rate_note()}" if money.rate_note() else "")]
    for w in plan.workloads:
        lines.append(f"  {w.workload}: {format_count(w.volume_per_month)} requests/month")
        if w.route is None:
            lines.append("      route:    none qualifies")
        else:
            chosen = w.candidate(w.route)
            shape = w.cost_shape if chosen.replicas is None else (
                f"{w.cost_shape}: {chosen.replicas} replica(s) x {chosen.gpus_per_replica} GPU at "
                f"{m(chosen.gpu_hour_usd)}/GPU-hour")
            lines.append(f"      route:    {w.route_name} ({shape}, {w.basis}"
                         + (f" on {chosen.trace_route} rows" if chosen.trace_route else "") + ")")
            lines.append(f"      fallback: {w.fallback_name or 'none'}")
            spend = "GPUs" if chosen.replicas is not None else "model"
            lines.append(f"      monthly:  {m(w.monthly_cost_usd)} ({spend} {m(w.monthly_model_cost_usd)}, "
                         f"review {m(w.monthly_review_cost_usd)})" + ("  OVER BUDGET" if w.budget_breached else ""))
        for reason in w.reasons[1:] if w.route else w.reasons:
            lines.append(f"      - {reason}")
    t = plan.totals
    lines += ["  totals:",
              f"      monthly:  {m(t.monthly_cost_usd)}   yearly: {m(t.yearly_cost_usd)}",
              f"      baseline (Managed API only): {m(t.baseline_monthly_cost_usd)}; "
              f"savings {m(t.monthly_savings_usd)} a month"]
    if t.budget_usd is not None:
        lines.append(f"      budget:   {m(t.budget_usd)}" + ("  OVER BUDGET" if t.budget_breached else ""))
    if plan.levers:
        lines.append("  levers (saving a month, each after the ones above):")
        lines += [f"      {e.lever}:{e.workload}={e.value:g}{'' if e.saved else ' (this run only)'}: "
                  f"{m(e.monthly_saving_usd)}" + "".join(f"; {n}" for n in e.notes) for e in plan.levers]
    if plan.sensitivity is not None:
        lines.append("  sensitivity (plan total at each end):")
        for row in plan.sensitivity.rows:
            changes = sorted(set(row.low_route_changes) | set(row.high_route_changes))
            lines.append(f"      {row.input}: {row.low_label} {m(row.low_total_usd)}, {row.high_label} "
                         f"{m(row.high_total_usd)}" + (f"; routes change for {', '.join(changes)}" if changes else ""))
        for r in plan.sensitivity.volume_ranges:
            if r.route is None:
                continue
            low = format_count(r.low_volume) if r.low_volume is not None else f"{format_count(r.scanned_low)} or fewer"
            high = (format_count(r.high_volume) if r.high_volume is not None
                    else f"{format_count(r.scanned_high)} or more")
            name = plan.workload(r.workload).route_name if plan.workload(r.workload) else r.route
            lines.append(f"      {r.workload}: {name} stays the cheapest from {low} to {high} requests a month")
    lines += [f"  note: {note}" for note in plan.notes + tuple(problems)]
    return lines


# ---- ipw constraint ---------------------------------------------------------------------------------

def _budget_usd(text: str, workbook: Workbook) -> float | None:
    if text.strip().casefold() == NO_LIMIT:
        return None
    try:
        amount = float(text.replace(",", ""))
    except ValueError:
        raise CliError(f"--budget must be an amount or '{NO_LIMIT}' (got '{text}')") from None
    if not math.isfinite(amount) or amount < 0:
        raise CliError(f"--budget must be a non-negative amount (got '{text}')")
    return amount / currency_of(workbook).per_usd


def _constraint_json(c: PlanConstraint, workbook: Workbook) -> dict[str, Any]:
    per_usd = currency_of(workbook).per_usd
    return {"workload": None if c.workload == WORKBOOK_WIDE else c.workload,
            "allowedRoutes": list(c.allowed_routes) if c.allowed_routes is not None else None,
            "monthlyBudget": None if c.monthly_budget_usd is None else c.monthly_budget_usd * per_usd,
            "monthlyBudgetUsd": c.monthly_budget_usd}


def cmd_constraint(args: argparse.Namespace) -> int:
    changing = args.allow is not None or args.budget is not None or args.clear
    if args.clear and (args.allow is not None or args.budget is not None):
        raise CliError("--clear removes the constraint; give it alone", 2)
    if not changing:
        with reading(args.file) as (_store, workbook):
            return _show(args, workbook)
    book = playbook()
    with editing(args.file) as (_store, workbook):
        name = WORKBOOK_WIDE
        if args.workload is not None:
            match = next((w.name for w in workbook.context.workloads
                          if w.name.casefold() == args.workload.strip().casefold()), None)
            if match is None:
                names = ", ".join(w.name for w in workbook.context.workloads) or "none"
                raise CliError(f"'{args.workload}' is not a workload in scope (choose one of: {names})")
            name = match
        current = workbook.plan.constraint(name) or PlanConstraint(name)
        if args.clear:
            updated = PlanConstraint(name)
        else:
            allowed = current.allowed_routes
            if args.allow is not None:
                allowed = None if args.allow.strip().casefold() == ANY_ROUTE else parse_routes(args.allow, book)
            budget = current.monthly_budget_usd if args.budget is None else _budget_usd(args.budget, workbook)
            updated = PlanConstraint(name, allowed, budget)
        workbook.set_plan(workbook.plan.with_constraint(updated))
    where = "the whole workbook" if name == WORKBOOK_WIDE else name
    if args.json:
        print_json(_constraint_json(updated, workbook))
    else:
        print(f"updated {args.file}: {_describe(updated, workbook, book)} for {where}")
    return 0


def _describe(c: PlanConstraint, workbook: Workbook, book) -> str:
    routes = ("any route" if c.allowed_routes is None else
              "only " + ", ".join(book.procurement_route(slug).name for slug in c.allowed_routes))
    budget = ("no budget cap" if c.monthly_budget_usd is None else
              f"budget {format_money(c.monthly_budget_usd, currency_of(workbook))} a month")
    return f"{routes}; {budget}"


def _show(args: argparse.Namespace, workbook: Workbook) -> int:
    constraints = list(workbook.plan.constraints)
    if args.workload is not None:
        constraints = [c for c in constraints if c.workload.casefold() == args.workload.strip().casefold()]
    if args.json:
        print_json({"constraints": [_constraint_json(c, workbook) for c in constraints]})
        return 0
    if not constraints:
        print("no constraints: every route is allowed and there is no budget cap")
    book = playbook()
    for c in constraints:
        where = "whole workbook" if c.workload == WORKBOOK_WIDE else c.workload
        print(f"{where}: {_describe(c, workbook, book)}")
    return 0
