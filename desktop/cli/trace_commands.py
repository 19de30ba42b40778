"""`ipw import`, `ipw traces` and `ipw template`: bringing measured traces into a workbook."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from desktop.cli.common import EXIT_INVALID, CliError, editing, print_json, reading

FORMAT_CHOICES = ("auto", "csv", "tsv", "xlsx", "ods", "vllm", "llmperf", "sglang", "genai-perf", "aiperf",
                  "guidellm", "inference-perf", "requests")


def register(subparsers: Any) -> None:
    imp = subparsers.add_parser(
        "import", help="import trace spreadsheets, benchmark results or request logs",
        description="Import trace sources into a workbook. Every source is validated first; on any invalid "
                    "row nothing is imported unless --skip-invalid is given. Several sources are one import.")
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.add_argument("sources", type=Path, nargs="+", metavar="SOURCE")
    imp.add_argument("--sheet", metavar="NAME", help="sheet to read (default: first with a trace header)")
    imp.add_argument("--format", choices=FORMAT_CHOICES, default="auto")
    imp.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", dest="set_values",
                     help="fill a field the source lacks, for every row; FIELD= declares a nullable field "
                          "not observed")
    imp.add_argument("--decimal-comma", action="store_true", default=None,
                     help="read 1,5 as 1.5 (automatic for ';'-separated files)")
    imp.add_argument("--skip-invalid", action="store_true", help="import only the valid rows")
    imp.add_argument("--allow-duplicate", action="store_true", help="import a file imported before")
    imp.add_argument("--keep-original-mb", type=float, default=50.0, metavar="MB",
                     help="keep a copy of each source file up to this size in the workbook (default 50)")
    imp.add_argument("--accept-warnings", metavar="REASON", dest="accept_warnings",
                     help="record why rows with plausibility warnings (p50 above p95...) are imported anyway")
    imp.add_argument("--json", action="store_true")
    imp.set_defaults(func=cmd_import)

    traces = subparsers.add_parser("traces", help="list the traces or remove an import",
                                   description="List the workbook's trace rows, or remove a whole import.")
    traces.add_argument("file", type=Path, metavar="FILE")
    traces.add_argument("--json", action="store_true")
    traces.add_argument("--imports", action="store_true", help="list the imports with their provenance")
    traces.add_argument("--delete-import", type=int, metavar="ID")
    traces.set_defaults(func=cmd_traces)

    template = subparsers.add_parser("template", help="write the trace kit's templates",
                                     description="Write the trace templates an engineering team fills in.")
    template.add_argument("--csv", type=Path, metavar="PATH")
    template.add_argument("--xlsx", type=Path, metavar="PATH")
    template.add_argument("--schema", type=Path, metavar="PATH")
    template.add_argument("--runbook", type=Path, metavar="PATH")
    template.add_argument("--sql", type=Path, metavar="PATH",
                          help="the request-log aggregation query, to run where a log too big for one machine lives")
    template.add_argument("--dialect", choices=("duckdb", "spark", "trino", "bigquery", "polars"), default="duckdb",
                          help="SQL dialect of --sql (default duckdb; trino and bigquery percentiles are "
                               "approximate)")
    template.set_defaults(func=cmd_template)


def _set_values(specs: list[str]) -> dict[str, str]:
    values = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        if not sep or not name.strip():
            raise CliError(f"--set needs FIELD=VALUE (got '{spec}')", 2)
        values[name.strip()] = value
    return values


def cmd_import(args: argparse.Namespace) -> int:
    from desktop.services.imports import (ImportOptions, ImportRefused, import_outcome, run_parse, run_store,
                                          warnings_not_listed)

    options = ImportOptions(format=args.format, sheet=args.sheet, set_values=_set_values(args.set_values),
                            decimal_comma=args.decimal_comma, skip_invalid=args.skip_invalid,
                            allow_duplicate=args.allow_duplicate,
                            keep_original_max_bytes=int(args.keep_original_mb * 1_000_000),
                            accept_warnings_reason=args.accept_warnings)
    for source in args.sources:
        if not source.is_file():
            raise CliError(f"{source}: no such file")
    with reading(args.file):
        pass  # a bad workbook is reported before the sources are parsed
    parsed = run_parse(args.sources, options)
    problems = [p for source in parsed for p in source.problems]
    import_ids: list[int] = []
    refused = None
    try:
        with editing(args.file) as (store, _workbook):
            import_ids = run_store(store, parsed, options)
            for source in parsed:  # stored: let the trace hash refresh that follows reuse the rows' memory
                source.release_rows()
    except ImportRefused as exc:
        refused = str(exc)
    if args.json:
        print_json({
            "imports": [{"importId": import_id, "source": s.source, "format": s.format, "sha256": s.sha256,
                         "rowsRead": s.rows_read, "rowsImported": s.rows_valid, "rowsRejected": s.rows_rejected}
                        for import_id, s in zip(import_ids, parsed)],
            "problems": [p.as_dict() for p in problems],
            "warnings": [w.as_dict() for s in parsed for w in s.warnings],
            "warningCount": sum(s.warning_count for s in parsed),
            "error": refused,
        })
    else:
        for source in parsed:
            for line in source.problem_lines():
                sys.stderr.write(line + "\n")
            for warning in source.warnings:
                sys.stderr.write(f"warning: {warning.source}: valid row {warning.row}: {warning.column}: "
                                 f"{warning.reason} (value {warning.value!r})\n")
            if source.warnings_omitted:
                where = f"the import's provenance (ipw traces {args.file} --imports --json)"
                sys.stderr.write("warning: " + warnings_not_listed(source, len(source.warnings),
                                                                   imported=not refused, where=where) + "\n")
        for import_id, source in zip(import_ids, parsed):
            print(f"{import_outcome(source)} from {source.source} ({source.format}) as import {import_id}")
    if refused:
        raise CliError(refused, EXIT_INVALID)
    return 0


def cmd_traces(args: argparse.Namespace) -> int:
    from desktop.storage import trace_store

    if args.delete_import is not None:
        with editing(args.file) as (store, _workbook):
            if args.delete_import not in trace_store.import_ids(store):
                raise CliError(f"there is no import {args.delete_import} (see 'ipw traces FILE --imports')")
            trace_store.set_imports_active(store, [args.delete_import], False)
            trace_store.purge_inactive(store)
        print(f"removed import {args.delete_import}")
        return 0
    with reading(args.file) as (store, _workbook):
        if args.imports:
            imports = store.imports()
            if args.json:
                print_json({"imports": imports})
            else:
                for i in imports:
                    print(f"{i['importId']:>4}  {i['source']}  {i['format']}  {i['rowsImported']} rows  "
                          f"{i['importedAt']}  sha256 {i['sha256'][:12]}")
            return 0
        from desktop.cli.trace_listing import print_json_traces, write_tsv

        if args.json:
            print_json_traces(store)
        elif not write_tsv(store):
            print("no traces")
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    from desktop import importers
    from desktop.importers import sql_aggregate

    targets = [(args.csv, importers.write_csv_template), (args.xlsx, importers.write_xlsx_template),
               (args.schema, importers.write_schema), (args.runbook, importers.write_runbook),
               (args.sql, lambda path: sql_aggregate.write_query(path, args.dialect))]
    if not any(path for path, _ in targets):
        raise CliError("give at least one of --csv, --xlsx, --schema, --runbook, --sql", 2)
    for path, write in targets:
        if path is not None:
            if not path.parent.is_dir():
                raise CliError(f"folder {path.parent} does not exist")
            write(path)
            print(f"wrote {path}")
    return 0
