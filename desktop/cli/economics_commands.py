"""`ipw metrics`, `ipw calc`, `ipw recommend` and `ipw catalog`: route economics without the GUI.

Every number printed here comes from `desktop.economics` through `desktop.services.economics`, the same
code the Economics page and the exports use. Human output shows a calculator's inputs, assumptions and
sources next to its results; `--json` prints one object with the keys the issue lists.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from desktop.cli.common import (EXIT_USAGE, CliError, editing, finite_number, print_json, print_json_with_rows,
                                reading)
from desktop.domain.formatting import NOT_KNOWN, NOT_OBSERVED, format_money, format_percent
from desktop.domain.formatting import format_value as fmt
from desktop.economics.calculators import CALCULATORS, Calculator
from desktop.economics.catalog import ENTRY_TYPES, Catalog, CatalogError, bundled_catalog, entry_to_json
from desktop.economics.litellm import MAX_BYTES, parse_litellm
from desktop.economics.params import InputSpec, figures, inputs_from_mapping, inputs_to_json, to_json
from desktop.economics.recommend import RecommendationOverride
from desktop.economics.scenarios import make_scenario, usable
from desktop.services.economics import Economics, load_economics, remember_decision
from desktop.resources import playbook
from desktop.storage import economics_store

CATALOG_JSON_KEYS = {"models": "models", "gpus": "gpus", "token-prices": "tokenPrices",
                     "gpu-hour-prices": "gpuHourPrices"}


def register(subparsers: Any) -> None:
    metrics = subparsers.add_parser(
        "metrics", help="trace metrics and the route recommendation",
        description="The five trace-kit metrics per row, the recommended metric per workload and route "
                    "(lowest cost per accepted output at the target p95), and the route recommendation. "
                    "--reviewer-rate and --target-p95-ms apply to this run only; the workbook is not changed.")
    metrics.add_argument("file", type=Path, metavar="FILE")
    metrics.add_argument("--json", action="store_true", help="print one JSON object")
    metrics.add_argument("--reviewer-rate", type=_non_negative, metavar="USD_PER_HOUR",
                         help="reviewer hourly rate for this run (default: the workbook's)")
    metrics.add_argument("--target-p95-ms", type=_positive, metavar="MS",
                         help="target p95 latency for this run (default: the workbook's)")
    metrics.add_argument("--detail", action="store_true", help="with --json: add the reasons behind nulls")
    metrics.add_argument("--summary", action="store_true",
                         help="leave out what has an entry per trace row: the per-row metrics and each "
                              "group's p95 by concurrency (with --json: \"traces\" and \"p95LatencyMsByConcurrency\")")
    metrics.set_defaults(func=cmd_metrics)

    calc = subparsers.add_parser(
        "calc", help="run a calculator (dedicated, owned, api-bill, memory, replicas, fallback)",
        description="Run one of the calculators behind the decision gates. Each shows its inputs, "
                    "assumptions and sources next to its results; --save stores the inputs in a workbook "
                    "as a named scenario.")
    kinds = calc.add_subparsers(dest="kind", metavar="KIND", parser_class=type(calc), required=True)
    for kind, calculator in CALCULATORS.items():
        _add_calculator(kinds, kind, calculator)

    scenarios = subparsers.add_parser(
        "scenarios", help="list (or delete) the calculator scenarios saved in a workbook",
        description="The calculator scenarios saved in a workbook (ipw calc ... --save NAME --workbook FILE), "
                    "each with its inputs and today's result.")
    scenarios.add_argument("file", type=Path, metavar="FILE")
    scenarios.add_argument("--kind", choices=tuple(CALCULATORS), help="only scenarios of this calculator")
    scenarios.add_argument("--json", action="store_true", help="print one JSON object")
    scenarios.add_argument("--delete", metavar="NAME", help="delete the scenario with this name")
    scenarios.set_defaults(func=cmd_scenarios)

    rec = subparsers.add_parser(
        "recommend", help="the recommended procurement route, with reasons; record an override",
        description="Each procurement route's status (supported, not-yet, avoid) with its reasons, the "
                    "recommended route and its fallback. --override records the officer's choice with a "
                    "required reason; ROUTE is a slug or the exact route name.")
    rec.add_argument("file", type=Path, metavar="FILE")
    rec.add_argument("--json", action="store_true", help="print one JSON object")
    rec.add_argument("--override", metavar="ROUTE", help="record the officer's route (needs --reason)")
    rec.add_argument("--reason", metavar="TEXT", help="why the officer overrides the recommendation")
    rec.add_argument("--fallback", metavar="ROUTE", help="name the fallback route (default: Managed API only)")
    rec.add_argument("--clear-override", action="store_true", help="remove the recorded override and fallback")
    rec.set_defaults(func=cmd_recommend)

    cat = subparsers.add_parser(
        "catalog", help="list the price and hardware catalog; import LiteLLM prices; edit entries",
        description="List the catalog (models, GPUs, token prices, GPU-hour prices), each entry with source "
                    "and date; with --workbook, including that workbook's overrides (marked as such).")
    cat.add_argument("--workbook", type=Path, metavar="FILE", help="include (or change) this workbook's overrides")
    cat.add_argument("--kind", choices=tuple(ENTRY_TYPES), help="list one catalog only")
    cat.add_argument("--search", metavar="TEXT", help="only entries whose key, name, provider or model contain TEXT")
    cat.add_argument("--json", action="store_true", help="print one JSON object")
    cat.add_argument("--import-litellm", type=Path, metavar="PATH",
                     help="import token prices from a LiteLLM model_prices_and_context_window.json into "
                          "--workbook (as overrides)")
    cat.add_argument("--edit", choices=tuple(ENTRY_TYPES), metavar="KIND",
                     help="override an entry of KIND in --workbook: give --entry and --reason")
    cat.add_argument("--entry", metavar="JSON", help="with --edit: the entry's fields in camelCase JSON; "
                                                     "fields not given keep the catalog's values for that key")
    cat.add_argument("--reason", metavar="TEXT", help="with --edit: why the entry is overridden")
    cat.add_argument("--remove-override", nargs=2, metavar=("KIND", "KEY"),
                     help="remove the workbook's override of an entry")
    cat.set_defaults(func=cmd_catalog)


# ---- argument types ---------------------------------------------------------------------------------

def _non_negative(text: str) -> float:
    value = finite_number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' must not be negative")
    return value


def _positive(text: str) -> float:
    value = finite_number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"'{text}' must be greater than 0")
    return value


# ---- ipw metrics ------------------------------------------------------------------------------------

def cmd_metrics(args: argparse.Namespace) -> int:
    options = {}
    if args.reviewer_rate is not None:
        options["reviewer_rate"] = args.reviewer_rate
    if args.target_p95_ms is not None:
        options["target_p95_ms"] = args.target_p95_ms
    with reading(args.file) as (store, workbook):
        economics = load_economics(store, workbook, playbook(), **options)
        if not options:
            remember_decision(store, workbook, playbook(), economics)
    if args.json:
        data = economics.report.to_json(detail=args.detail, per_row=not args.summary, traces=False)
        data["recommendation"] = economics.recommendation.to_json(detail=args.detail)
        data["reviewerRateUsdPerHour"] = economics.reviewer_rate
        data["targetP95Ms"] = economics.target_p95_ms
        if args.summary:
            print_json(data)
        else:
            print_json_with_rows(data, "traces", economics.report.trace_entries(detail=args.detail))
        return 0
    print("\n".join(metrics_lines(args.file, economics, options, summary=args.summary)))
    return 0


def metrics_lines(path: Path, economics: Economics, options: dict[str, Any], summary: bool = False) -> list[str]:
    report = economics.report
    rate_note = " (this run only)" if "reviewer_rate" in options else " (workbook)"
    target_note = " (this run only)" if "target_p95_ms" in options else " (workbook)"
    lines = [str(path),
             "  reviewer rate:  " + (f"{fmt(report.reviewer_rate_usd_per_hour)} USD/hour{rate_note}"
                                     if report.reviewer_rate_usd_per_hour is not None else "not set"),
             "  target p95:     " + (f"{fmt(report.target_p95_ms)} ms{target_note}"
                                     if report.target_p95_ms is not None else "not set"),
             "", f"Trace rows ({len(report.traces)})",
             "  cost per accepted output = costUsd / acceptedOutputRate + reviewMinutes / 60 x reviewer rate"]
    for t in report.traces[:0 if summary else 200]:
        row = t.row
        cost = (format_money(t.cost_per_accepted_output) + (" (modelled cost)" if t.cost_basis == "modelled" else "")
                if t.cost_per_accepted_output is not None else f"{NOT_KNOWN} ({t.cost_reason})")
        lines.append(f"  #{t.id} {row.get('workload')} | {row.get('route')} | {row.get('provider')} "
                     f"{row.get('model')} @ concurrency {fmt(row.get('concurrency'))}")
        lines.append(f"      cost per accepted output {cost}; cache-adjusted input {fmt(t.cache_adjusted_input_burden)} "
                     f"tokens; throughput headroom {fmt(t.throughput_headroom)} accepted tokens/s")
    if summary:
        lines.append(f"  (per-row metrics left out: --summary; {len(report.traces):,} rows)")
    elif len(report.traces) > 200:
        lines.append(f"  ... {len(report.traces) - 200:,} more rows (use --json for all)")
    lines += ["", "Cost per accepted output at the target p95 (per workload, route, provider, model)"]
    for g in report.groups:
        best = (f"{format_money(g.best_cost_per_accepted_output_at_target)} (row #{g.best_row_id})"
                if g.best_cost_per_accepted_output_at_target is not None else f"none: {g.reason}")
        lines.append(f"  {g.workload} | {g.route} | {g.provider} {g.model}")
        if summary:  # one pair per measured row: left out with the rows
            lines.append(f"      best {best}; fallback {g.fallback_route}")
            continue
        p95 = ", ".join(f"{fmt(c)}: {fmt(ms)} ms" for c, ms in g.p95_latency_ms_by_concurrency) or "none"
        lines.append(f"      best {best}; p95 by concurrency {p95}; fallback {g.fallback_route}")
    lines += ["", "Batch displacement share"]
    lines += [f"  {w.workload}: {format_percent(w.batch_displacement_share)} ({w.batch_eligible_rows} of {w.rows} rows)"
              for w in report.workloads]
    lines += [""] + recommendation_lines(economics)
    return lines


# ---- ipw calc ---------------------------------------------------------------------------------------

def _add_calculator(kinds: Any, kind: str, calculator: Calculator) -> None:
    parser = kinds.add_parser(kind, help=calculator.title, description=(
        f"{calculator.title}." + (f" Shown in the {calculator.gate.replace('-', ' ')} gate's panel."
                                  if calculator.gate else "") + " Each option lists its unit and default."))
    group = parser.add_argument_group("inputs")
    for spec in calculator.specs():
        kwargs: dict[str, Any] = {"dest": f"input_{spec.name}", "default": None,
                                  "help": spec.describe().replace("%", "%%"), "metavar": _metavar(spec)}
        if spec.choices:
            kwargs["choices"] = spec.choices
        elif not spec.text:
            kwargs["type"] = finite_number
        group.add_argument(spec.option, **kwargs)
    out = parser.add_argument_group("output and saving")
    out.add_argument("--json", action="store_true", help="print one JSON object")
    out.add_argument("--save", metavar="NAME", help="save these inputs as a named scenario in --workbook")
    out.add_argument("--workbook", type=Path, metavar="FILE",
                     help="the workbook to save into; its catalog overrides are used for the run")
    out.add_argument("--load", metavar="NAME",
                     help="start from the inputs of a saved scenario in --workbook (options given win)")
    parser.set_defaults(func=cmd_calc, calculator=kind)


def _metavar(spec: InputSpec) -> str:
    if spec.choices:
        return "{" + ",".join(spec.choices) + "}"
    if spec.text:
        return "KEY"
    return "N" if spec.whole else "X"


def cmd_calc(args: argparse.Namespace) -> int:
    calculator = CALCULATORS[args.calculator]
    if args.save is not None and args.workbook is None:
        raise CliError("--save needs --workbook FILE (the workbook to save the scenario in)", EXIT_USAGE)
    if args.load is not None and args.workbook is None:
        raise CliError("--load needs --workbook FILE (the workbook the scenario is saved in)", EXIT_USAGE)
    values: dict[str, Any] = {}
    catalog: Catalog | None = None
    if args.workbook is not None:
        with reading(args.workbook) as (store, _workbook):
            catalog = economics_store.workbook_catalog(store, bundled_catalog())
            if args.load is not None:
                saved = economics_store.get_scenario(store, args.load)
                if saved is None:
                    raise CliError(f"no scenario named '{args.load}' in {args.workbook}")
                if saved.kind != calculator.kind:
                    raise CliError(f"scenario '{args.load}' is a {saved.kind} scenario, not {calculator.kind}")
                values.update(saved.inputs)
    for spec in calculator.specs():
        given = getattr(args, f"input_{spec.name}")
        if given is not None:
            values[spec.key] = given
    missing = [spec.option for spec in calculator.specs() if spec.required and values.get(spec.key) is None]
    if missing:  # checked here, not by argparse, so that --load can supply them
        raise CliError(f"the following options are required: {', '.join(missing)} "
                       f"(see 'ipw calc {calculator.kind} --help')", EXIT_USAGE)
    inputs = inputs_from_mapping(calculator.inputs, values)
    try:
        result = calculator.run(inputs, catalog)
    except ValueError as exc:  # a catalog entry lacking a field the formula needs
        raise CliError(str(exc)) from None
    saved_name = None
    if args.save is not None:
        scenario = make_scenario(args.save, calculator.kind, inputs)
        with editing(args.workbook) as (store, _workbook):
            replaced = economics_store.save_scenario(store, scenario)
        saved_name = scenario.name
    if args.json:
        print_json({"kind": calculator.kind, "title": calculator.title, "gate": calculator.gate,
                    "inputs": inputs_to_json(inputs), "result": to_json(result),
                    "saved": saved_name, "workbook": str(args.workbook) if saved_name else None})
        return 0
    print("\n".join(calculator_lines(calculator, inputs, result, given=set(values))))
    if saved_name is not None:
        verb = "replaced" if replaced is not None else "saved"
        print(f"\n{verb} scenario '{saved_name}' ({calculator.kind}) in {args.workbook}")
    return 0


def calculator_lines(calculator: Calculator, inputs: Any, result: Any, given: set[str] | None = None) -> list[str]:
    """Inputs, results, notes, assumptions and sources as text, one block after the other."""
    lines = [f"{calculator.title} (ipw calc {calculator.kind})", "", "Inputs"]
    specs = calculator.specs()
    width = max(len(s.option) for s in specs)
    for spec in specs:
        value = getattr(inputs, spec.name)
        origin = "" if given is None or spec.key in given or spec.required else "  (default)"
        lines.append(f"  {spec.option:<{width}}  {fmt(value, spec.unit):>18}  {spec.unit}{origin}")
    lines += ["", "Results"]
    figs = figures(result)
    width = max((len(f.label) for f in figs), default=10)
    for figure in figs:
        lines.append(f"  {figure.label:<{width}}  {fmt(figure.value, figure.unit):>22}  {figure.unit}")
    for title, attr in (("Missing", "missing"), ("Reasons", "reasons"), ("Notes", "notes"),
                        ("Assumptions", "assumptions")):
        items = getattr(result, attr, ()) or ()
        if items:
            lines += ["", title] + [f"  - {item}" for item in items]
    sources = getattr(result, "sources", ()) or ()
    if sources:
        lines += ["", "Sources"] + [f"  - {s.text()}" for s in sources]
    return lines


# ---- ipw scenarios ----------------------------------------------------------------------------------

def cmd_scenarios(args: argparse.Namespace) -> int:
    if args.delete is not None:
        with editing(args.file) as (store, _workbook):
            if economics_store.delete_scenario(store, args.delete) is None:
                raise CliError(f"no scenario named '{args.delete}' in {args.file}")
        print(f"deleted scenario '{args.delete.strip()}' from {args.file}")
        return 0
    problems: list[tuple[str, str]] = []
    with reading(args.file) as (store, _workbook):
        catalog = economics_store.workbook_catalog(store, bundled_catalog())
        saved = [s for s in usable(economics_store.list_scenarios(store, problems), problems)
                 if args.kind in (None, s.kind)]
    entries = []
    for scenario in saved:
        calculator = CALCULATORS[scenario.kind]
        try:
            result, error = to_json(calculator.run_mapping(scenario.inputs, catalog)), None
        except ValueError as exc:  # DomainError included: a catalog entry gone since the scenario was saved
            result, error = None, str(exc)
        entries.append({**scenario.to_json(), "title": calculator.title, "gate": calculator.gate,
                        "result": result, "error": error})
    if args.json:
        print_json({"scenarios": entries, "problems": [{"name": n, "reason": r} for n, r in problems]})
        return 0
    if not entries:
        print(f"{args.file}: no saved scenarios" + (f" of kind {args.kind}" if args.kind else ""))
    for entry in entries:
        inputs = ", ".join(f"{k}={fmt(v)}" for k, v in entry["inputs"].items() if v is not None)
        print(f"{entry['name']} ({entry['kind']}, saved {entry['savedAt']}): {inputs}")
        if entry["error"]:
            print(f"    cannot run today: {entry['error']}")
    for name, reason in problems:
        print(f"{name}: cannot be read: {reason}")
    return 0


# ---- ipw recommend ----------------------------------------------------------------------------------

def cmd_recommend(args: argparse.Namespace) -> int:
    book = playbook()
    changing = args.override is not None or args.fallback is not None or args.clear_override
    if args.clear_override and (args.override is not None or args.fallback is not None):
        raise CliError("--clear-override cannot be combined with --override or --fallback", EXIT_USAGE)
    if args.reason is not None and args.override is None:
        raise CliError("--reason goes with --override ROUTE", EXIT_USAGE)
    route = book.procurement_route(args.override).slug if args.override is not None else None
    fallback = book.procurement_route(args.fallback).slug if args.fallback is not None else None
    if route is not None and not (args.reason or "").strip():
        raise CliError("--override needs --reason TEXT: an override of the recommendation must say why")
    if changing:
        with editing(args.file) as (store, _workbook):
            current = economics_store.get_override(store) or RecommendationOverride()
            if args.clear_override:
                new = None
            else:
                new = RecommendationOverride(
                    route=route if route is not None else current.route,
                    reason=args.reason.strip() if route is not None else current.reason,
                    fallback=fallback if fallback is not None else current.fallback)
            economics_store.set_override(store, new)
    with reading(args.file) as (store, workbook):
        economics = load_economics(store, workbook, book)
        remember_decision(store, workbook, book, economics)
    if args.json:
        data = economics.recommendation.to_json(detail=True)
        data["fallbackSlug"] = economics.recommendation.fallback
        data["routeSlug"] = economics.recommendation.route
        data["computedRoute"] = economics.recommendation.status(economics.recommendation.computed_route).route
        print_json(data)
        return 0
    print("\n".join(recommendation_lines(economics)))
    if changing:
        print(f"\nupdated {args.file}")
    return 0


def recommendation_lines(economics: Economics) -> list[str]:
    rec = economics.recommendation
    lines = [f"Recommended route: {rec.route_name}", f"Fallback route:    {rec.fallback_name}"]
    if rec.override is not None and rec.override.route is not None:
        computed = rec.status(rec.computed_route).route
        lines.append(f"Officer override:  {rec.route_name} instead of {computed}: {rec.override.reason}")
    lines += [f"  {reason.text}" for reason in rec.basis if reason.code != "officer-override"]
    lines += ["", "Routes"]
    for status in rec.statuses:
        lines.append(f"  [{status.status}] {status.route} ({status.stage})")
        lines += [f"      - {reason.text} ({reason.code})" for reason in status.reasons]
    for problem in economics.problems:
        lines.append(f"  note: {problem}")
    return lines


# ---- ipw catalog ------------------------------------------------------------------------------------

def cmd_catalog(args: argparse.Namespace) -> int:
    changes = [name for name, value in (("--import-litellm", args.import_litellm), ("--edit", args.edit),
                                        ("--remove-override", args.remove_override)) if value is not None]
    if len(changes) > 1:
        raise CliError(f"give one of {', '.join(changes)} at a time", EXIT_USAGE)
    if changes and args.workbook is None:
        raise CliError(f"{changes[0]} needs --workbook FILE (overrides are kept in a workbook)", EXIT_USAGE)
    if args.edit is None and (args.entry is not None or args.reason is not None):
        raise CliError("--entry and --reason go with --edit KIND", EXIT_USAGE)
    if args.import_litellm is not None:
        return _import_litellm(args)
    if args.edit is not None:
        return _edit_entry(args)
    if args.remove_override is not None:
        kind, key = args.remove_override
        if kind not in ENTRY_TYPES:
            raise CliError(f"unknown catalog '{kind}' (choose one of: {', '.join(ENTRY_TYPES)})", EXIT_USAGE)
        with editing(args.workbook) as (store, _workbook):
            if not economics_store.remove_catalog_override(store, kind, key):
                raise CliError(f"{args.workbook} has no override of {kind} entry '{key}'")
        print(f"removed the override of {kind} entry '{key}' from {args.workbook}")
        return 0
    return _list_catalog(args)


def _list_catalog(args: argparse.Namespace) -> int:
    imports: list[dict[str, Any]] = []
    if args.workbook is not None:
        with reading(args.workbook) as (store, _workbook):
            catalog = economics_store.workbook_catalog(store, bundled_catalog())
            imports = economics_store.catalog_imports(store)
    else:
        catalog = bundled_catalog()
    kinds = (args.kind,) if args.kind else tuple(ENTRY_TYPES)
    needle = (args.search or "").strip().casefold()
    selected = {kind: [e for e in getattr(catalog, kind.replace("-", "_")) if _matches(e, needle)]
                for kind in kinds}
    if args.json:
        data: dict[str, Any] = {CATALOG_JSON_KEYS[k]: [entry_to_json(e) for e in v] for k, v in selected.items()}
        data["imports"] = imports
        print_json(data)
        return 0
    lines = []
    for kind, entries in selected.items():
        lines.append(f"{kind} ({len(entries)})")
        lines += [f"  {_entry_line(kind, e)}" for e in entries]
        lines.append("")
    for record in imports if args.kind in (None, "token-prices") else ():
        lines.append(f"imported {record.get('entries')} token price(s) from {record.get('source')} "
                     f"(sha256 {str(record.get('sha256'))[:12]}) at {record.get('importedAt')}")
    print("\n".join(lines).rstrip())
    return 0


def _matches(entry: Any, needle: str) -> bool:
    if not needle:
        return True
    return any(needle in str(getattr(entry, name, "")).casefold()
               for name in ("key", "name", "provider", "model", "product", "gpu"))


def _entry_line(kind: str, e: Any) -> str:
    mark = f"  [override: {e.override_reason}]" if e.override else ""
    if kind == "models":
        shape = (f"MLA rank {e.kv_lora_rank}+{e.qk_rope_head_dim}" if e.attention == "mla"
                 else f"{e.kv_heads} KV heads x {e.head_dim}")
        text = f"{e.key}: {e.name}, {e.params_total / 1e9:,.1f}B params, {e.layers} layers, {shape}"
    elif kind == "gpus":
        text = f"{e.key}: {e.name}, {e.memory_gb:g} GB" + (
            f", {e.bandwidth_tb_per_s:g} TB/s" if e.bandwidth_tb_per_s else "")
    elif kind == "token-prices":
        text = (f"{e.key}: {e.provider} {e.model}, per 1M tokens input {format_money(e.input_usd_per_million)}, output "
                f"{format_money(e.output_usd_per_million)}, "
                f"cache read {format_money(e.cache_read_usd_per_million, missing=NOT_OBSERVED)}, "
                f"cache write {format_money(e.cache_write_usd_per_million, missing=NOT_OBSERVED)}, "
                f"batch input {format_money(e.batch_input_usd_per_million, missing=NOT_OBSERVED)}")
    else:
        text = f"{e.key}: {e.provider} {e.product}, {e.gpu}, {format_money(e.usd_per_gpu_hour)} per GPU-hour"
    return f"{text} — {e.source} ({e.date}){mark}"


def _import_litellm(args: argparse.Namespace) -> int:
    path: Path = args.import_litellm
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise CliError(f"{path} is {size:,} bytes; the limit is {MAX_BYTES:,}")
        raw = path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from None
    imported = parse_litellm(raw, path.name)
    if not imported.entries:
        raise CliError(f"{path} has no chat or completion model with input and output prices "
                       f"({len(imported.skipped)} entries skipped)")
    with editing(args.workbook) as (store, _workbook):
        count = economics_store.import_litellm(store, imported)
    if args.json:
        print_json({"imported": count, "skipped": [{"key": k, "reason": r} for k, r in imported.skipped],
                    "sha256": imported.sha256, "source": imported.source_name})
        return 0
    print(f"imported {count:,} token price(s) from {path} into {args.workbook} as overrides "
          f"({len(imported.skipped):,} entries skipped)")
    for key, reason in imported.skipped[:10]:
        print(f"  skipped {key}: {reason}")
    if len(imported.skipped) > 10:
        print(f"  ... and {len(imported.skipped) - 10:,} more (use --json for all)")
    return 0


def _edit_entry(args: argparse.Namespace) -> int:
    if args.entry is None or args.reason is None:
        raise CliError("--edit needs --entry JSON and --reason TEXT", EXIT_USAGE)
    try:
        data = json.loads(args.entry)
    except ValueError as exc:
        raise CliError(f"--entry is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("key"), str):
        raise CliError("--entry must be a JSON object with at least a \"key\"")
    data.pop("override", None)
    data.pop("overrideReason", None)
    with editing(args.workbook) as (store, _workbook):
        catalog = economics_store.workbook_catalog(store, bundled_catalog())
        existing = next((e for e in getattr(catalog, args.edit.replace("-", "_")) if e.key == data["key"]), None)
        merged = {**({k: v for k, v in entry_to_json(existing).items() if k not in ("override", "overrideReason")}
                     if existing is not None else {}), **data}
        try:
            entry = economics_store.set_catalog_override(store, args.edit, merged, args.reason)
        except CatalogError as exc:
            raise CliError(str(exc)) from None
    print(f"{'changed' if existing is not None else 'added'} {args.edit} entry '{entry.key}' in {args.workbook} "
          f"(marked as an override: {entry.override_reason})")
    return 0
