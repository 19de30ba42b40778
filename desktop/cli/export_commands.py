"""`ipw export`: the Excel workbook, the PDF memo and the procurement matrix as Markdown and JSON.

Runs without a display and without Qt: the workflow is `desktop.services.exports`, the one the GUI's Export
dialog runs too. Every file is written atomically and recorded in the workbook's exports table (path, kind,
SHA-256, fingerprint), so `ipw verify FILE --workbook WB` can later tell whether a memo is byte for byte the
one exported.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from desktop.cli.common import EXIT_USAGE, CliError, print_json
from desktop.services.exports import KIND_NAMES, KINDS, STATUS_WORDS, ExportFailed, record_exports, run_export


def register(subparsers: Any) -> None:
    export = subparsers.add_parser(
        "export", help="export the Excel workbook, the PDF memo and the procurement matrix",
        description="Write the workbook's exports: an Excel workbook for finance (--xlsx), a PDF decision memo "
                    "for the sponsor (--pdf) and the procurement matrix as Markdown (--markdown) and JSON "
                    "(--json). An unsigned workbook exports DRAFT documents. Each file is written atomically "
                    "and recorded in the workbook, so 'ipw verify FILE --workbook WB' can check it later. "
                    "Needs no display.")
    export.add_argument("file", type=Path, metavar="FILE")
    export.add_argument("--xlsx", type=Path, metavar="PATH", help="write the Excel workbook")
    export.add_argument("--pdf", type=Path, metavar="PATH", help="write the PDF memo")
    export.add_argument("--markdown", type=Path, metavar="PATH", help="write the procurement matrix as Markdown")
    export.add_argument("--json", type=Path, metavar="PATH", help="write the procurement matrix as JSON")
    export.add_argument("--paper", choices=("a4", "letter"), default="a4", help="page size (default a4)")
    export.add_argument("--report", action="store_true", help="print one JSON object describing what was written")
    pdf_keys = export.add_mutually_exclusive_group()
    pdf_keys.add_argument("--pdf-key", type=Path, metavar="KEY",
                          help="sign a signed-off memo with the PDF certificate 'ipw keygen --key KEY' made (default: "
                               "yours, when you have one)")
    pdf_keys.add_argument("--p12", type=Path, metavar="FILE",
                          help="sign a signed-off memo with your organisation's certificate (PKCS#12; the password "
                               "is asked for, or read from IPW_P12_PASSWORD)")
    pdf_keys.add_argument("--no-pdf-signature", action="store_true", help="do not sign the memo as a PDF")
    export.set_defaults(func=cmd_export)


def _targets(args: argparse.Namespace) -> dict[str, Path]:
    targets = {kind: getattr(args, kind) for kind in KINDS if getattr(args, kind) is not None}
    seen: dict[Path, str] = {}
    for kind, path in targets.items():
        key = Path(os.path.abspath(path))
        if key in seen:
            raise CliError(f"--{seen[key]} and --{kind} name the same file {path}", EXIT_USAGE)
        seen[key] = kind
        if key == Path(os.path.abspath(args.file)):
            raise CliError(f"--{kind} names the workbook itself; choose another file", EXIT_USAGE)
    return targets


def _pdf_credentials(args: argparse.Namespace) -> Any:
    """The credentials the memo is signed with as a PDF (None: not signed, with a warning why)."""
    from desktop.exports import pdf_signature

    if args.no_pdf_signature:
        return None
    if args.p12 is not None:
        password = os.environ.get("IPW_P12_PASSWORD")
        if password is None:
            import getpass
            password = getpass.getpass(f"Password for {args.p12}: ")
        return pdf_signature.pkcs12_credentials(args.p12, password)
    credentials = pdf_signature.own_credentials(args.pdf_key)
    if credentials is None:
        if args.pdf_key is not None:
            raise CliError(f"no PDF signing certificate beside {args.pdf_key} (create it with 'ipw keygen --key "
                           f"{args.pdf_key}')")
        sys.stderr.write("ipw: warning: the memo is not signed as a PDF: you have no PDF signing certificate "
                         "(create one with 'ipw keygen', or use --p12 FILE)\n")
    return credentials


def cmd_export(args: argparse.Namespace) -> int:
    from desktop.exports.matrix import gather
    from desktop.resources import playbook
    from desktop.storage.lock import LockRefused, WorkbookLock
    from desktop.storage.workbook_file import check_is_workbook, open_store

    targets = _targets(args)
    if not targets:
        raise CliError("nothing to export: give --xlsx, --pdf, --markdown and/or --json with a file name",
                       EXIT_USAGE)
    path = Path(args.file)
    check_is_workbook(path)
    lock = WorkbookLock(path)
    not_recorded = None
    try:
        locked = lock.acquire()
    except LockRefused as exc:  # exports still work; the hostile lock path is neither followed nor touched
        locked, not_recorded = False, str(exc)
    if not locked and not_recorded is None:
        not_recorded = lock.refusal if lock.read_only_place else f"it is being edited by {lock.describe_holder()}"
    warning = None
    try:
        store = open_store(path, writable=locked)
        try:
            workbook = store.load(playbook())
            data = gather(store, workbook, playbook(), with_trace_sheet="xlsx" in targets)
            credentials = _pdf_credentials(args) if "pdf" in targets and data.signed else None
            try:
                result = run_export(data, targets, args.paper, pdf_credentials=credentials)
            except ExportFailed as exc:
                if locked:
                    record_exports(store, exc.written)
                for w in exc.written:
                    print(f"wrote {w.path} ({KIND_NAMES[w.kind]})")
                raise
            if result.chart_problem:
                sys.stderr.write(f"ipw: warning: {result.chart_problem}\n")
            if locked:
                record_exports(store, result.written)
            else:
                warning = (f"the exports were not recorded in {path}: {not_recorded} "
                           "('ipw verify --workbook' cannot match them)")
        finally:
            store.close()
    finally:
        if locked:
            lock.release()
    if args.report:
        print_json({"workbook": str(path), "fingerprint": data.fingerprint, "status": data.status,
                    "recorded": locked, "written": [w.to_json() for w in result.written]})
    else:
        for w in result.written:
            print(f"wrote {w.path} ({KIND_NAMES[w.kind]}, {STATUS_WORDS[data.status]})")
            if w.kind == "pdf" and credentials is not None:
                print(f"  signed as a PDF (PAdES) with {credentials.describe()}")
        print(f"fingerprint {data.fingerprint}")
    if warning:
        sys.stderr.write(f"ipw: warning: {warning}\n")
    return 0
