"""`ipw new`, `ipw info`, `ipw context` and `ipw open`: creating, describing and framing a workbook."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from desktop.cli.common import EXIT_MISMATCH, CliError, editing, finite_number, print_json, reading
from desktop.domain.errors import FieldError
from desktop.services.workbook import ensure_sample_copy, run_new, workbook_summary


def register(subparsers: Any) -> None:
    new = subparsers.add_parser("new", help="create a workbook (refuses an existing FILE)",
                                description="Create a new workbook file.")
    new.add_argument("file", type=Path, metavar="FILE")
    new.add_argument("--sample", action="store_true",
                     help="start from the sample built from the playbook (template traces, reference scores)")
    new.set_defaults(func=cmd_new)

    info = subparsers.add_parser("info", help="describe a workbook", description="Describe a workbook.")
    info.add_argument("file", type=Path, metavar="FILE")
    info.add_argument("--json", action="store_true", help="print one JSON object")
    info.set_defaults(func=cmd_info)

    context = subparsers.add_parser("context", help="set the buyer context",
                                    description="Set the buyer context. Amounts are in USD.")
    context.add_argument("file", type=Path, metavar="FILE")
    context.add_argument("--organisation")
    context.add_argument("--title", help="decision title")
    context.add_argument("--prepared-by")
    context.add_argument("--sponsor", help="executive sponsor the memo goes to")
    context.add_argument("--currency", metavar="CODE",
                         help="display currency, e.g. EUR (needs --fx-rate or --fx-to-usd)")
    context.add_argument("--fx-rate", type=finite_number, metavar="UNITS_PER_USD",
                         help="units of the display currency one US dollar buys: "
                              "--currency EUR --fx-rate 0.92 means 1 USD = 0.92 EUR")
    context.add_argument("--fx-to-usd", type=finite_number, metavar="RATE",
                         help="the same rate the other way round: USD per one unit of the currency (1/--fx-rate)")
    context.add_argument("--fx-date", metavar="DATE", help="date of the FX rate, YYYY-MM-DD")
    context.add_argument("--fx-source", metavar="TEXT", help='where the rate comes from, e.g. "ECB reference rate"')
    context.add_argument("--reviewer-rate", type=finite_number, metavar="USD_PER_HOUR")
    context.add_argument("--target-p95-ms", type=finite_number, metavar="MS")
    context.add_argument("--readiness-threshold", type=int, metavar="N", help="0 to 100 (default 70)")
    context.add_argument("--workload", action="append", default=[], metavar="NAME=MONTHLY_REQUESTS",
                         help="add a workload in scope or change its forecast volume (repeatable)")
    context.add_argument("--remove-workload", action="append", default=[], metavar="NAME")
    context.set_defaults(func=cmd_context)

    open_ = subparsers.add_parser("open", help="open a workbook in the app",
                                  description="Open the app on a workbook (needs a display).")
    open_.add_argument("file", type=Path, metavar="FILE", nargs="?")
    open_.add_argument("--sample", action="store_true",
                       help="open a copy of the sample workbook kept in your data folder")
    open_.set_defaults(func=lambda args: launch_gui(args.file, sample=args.sample))


def cmd_new(args: argparse.Namespace) -> int:
    run_new(args.file, args.sample)
    print(f"created {args.file}")
    return 0


def signoff_state_of(summary: dict[str, Any]) -> str:
    """draft, signed, or tampered (signed, but the content recomputed from the file differs)."""
    if not summary["signed"]:
        return "draft"
    return "signed" if summary["fingerprint"] == summary["signedFingerprint"] else "tampered"


def cmd_info(args: argparse.Namespace) -> int:
    with reading(args.file) as (store, workbook):
        # the text lines never show a draft's fingerprint: only --json pays for computing it
        summary = workbook_summary(store, workbook, fingerprint=args.json)
    summary["signoffState"] = signoff_state_of(summary)
    code = EXIT_MISMATCH if summary["signoffState"] == "tampered" else 0
    if args.json:
        print_json(summary)
        return code
    lines = [f"{args.file}",
             f"  title:          {summary['title'] or '(untitled)'}",
             f"  organisation:   {summary['organisation'] or '-'}",
             f"  currency:       {summary['currency']}",
             f"  reviewer rate:  {_or_dash(summary['reviewerRateUsdPerHour'], 'USD/h')}",
             f"  target p95:     {_or_dash(summary['targetP95Ms'], 'ms')}",
             "  workloads:      " + (", ".join(f"{w['name']} ({w['monthlyRequests']:,.0f}/month)"
                                                for w in summary["workloads"]) or "-"),
             "  gates:"]
    lines += [f"    {g['name']:<24} {g['status']:<13} {g['itemsDone']}/{g['itemsTotal']} items"
              for g in summary["gates"]]
    lines.append("  readiness:")
    lines += [f"    {s['dimension']:<24} {'not scored' if s['score'] is None else s['score']:<11} "
              f"(reference {s['referenceScore']})" for s in summary["scores"]]
    lines.append(f"  traces:         {summary['traceCount']}")
    lines.append("  signed off:     " + {"draft": "no", "signed": "yes",
                                              "tampered": "content changed since sign-off"}[summary["signoffState"]])
    print("\n".join(lines))
    if code:
        sys.stderr.write("ipw: warning: the content no longer matches its sign-off (TAMPERED); run "
                         f"'ipw verify {args.file}' for details\n")
    return code


def _or_dash(value: float | None, unit: str) -> str:
    return "-" if value is None else f"{value:g} {unit}"


def cmd_context(args: argparse.Namespace) -> int:
    changes: dict[str, Any] = {}
    for option, attr in (("organisation", "organisation"), ("title", "title"), ("prepared_by", "prepared_by"),
                         ("sponsor", "sponsor"), ("fx_to_usd", "fx_to_usd"), ("fx_date", "fx_date"),
                         ("fx_source", "fx_source"),
                         ("reviewer_rate", "reviewer_rate_usd_per_hour"), ("target_p95_ms", "target_p95_ms"),
                         ("readiness_threshold", "readiness_threshold")):
        value = getattr(args, option)
        if value is not None:
            changes[attr] = value
    if args.fx_rate is not None:
        if args.fx_to_usd is not None:
            raise CliError("give the rate once: --fx-rate (units per USD) or --fx-to-usd (USD per unit)", 2)
        if args.fx_rate <= 0:
            raise CliError("--fx-rate must be a positive number of currency units per US dollar")
        changes["fx_to_usd"] = 1 / args.fx_rate  # stored as USD per unit
    if args.currency is not None:
        changes["currency"] = args.currency.strip().upper()
        if changes["currency"] != "USD" and "fx_to_usd" not in changes:
            raise CliError("--currency needs --fx-rate (units of the currency per US dollar) or --fx-to-usd "
                           "(US dollars per unit)")
        if changes["currency"] == "USD" and "fx_to_usd" not in changes:
            changes["fx_to_usd"] = 1.0
    workloads = []
    for spec in args.workload:
        name, sep, volume = spec.partition("=")
        if not sep or not name.strip():
            raise CliError(f"--workload needs NAME=MONTHLY_REQUESTS (got '{spec}')")
        try:
            workloads.append((name.strip(), finite_number(volume)))
        except argparse.ArgumentTypeError as exc:
            raise CliError(f"--workload {spec}: {exc}") from None
    if not changes and not workloads and not args.remove_workload:
        raise CliError("nothing to change: give at least one option (see 'ipw context --help')", 2)
    with editing(args.file) as (_store, workbook):
        context = replace(workbook.context, **changes)
        for name, volume in workloads:
            context = context.with_workload(name, volume)
        for name in args.remove_workload:
            kept = tuple(w for w in context.workloads if w.name.casefold() != name.strip().casefold())
            if len(kept) == len(context.workloads):
                raise FieldError("workload", name, "is not in scope")
            context = replace(context, workloads=kept)
        workbook.set_context(context)
    print(f"updated {args.file}")
    return 0


def has_display() -> bool:
    if os.environ.get("QT_QPA_PLATFORM", "").split(":")[0] in ("offscreen", "minimal", "vnc", "eglfs"):
        return True
    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def launch_gui(file: Path | None, *, sample: bool) -> int:
    """`ipw open` (and `ipw` with no command): start the app on `file`.

    The one place the CLI reaches the GUI, and only through `desktop.app` (never `desktop.ui`), imported
    here, lazily, so that every other command runs without loading Qt. `desktop.app.main` in turn hands the
    gui-script's arguments to the CLI, also lazily: that loop is the launcher, not a dependency.
    """
    if not has_display():
        raise CliError("no display available: the app needs a desktop session "
                       "(the ipw subcommands work without one; see 'ipw --help')")
    if sample:
        file = ensure_sample_copy()
    from desktop.app import run_gui

    return run_gui(file)
