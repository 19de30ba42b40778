"""`ipw export`: the Excel workbook, the PDF memo and the procurement matrix as Markdown and JSON.

Runs without a display and without Qt: the memo's charts are vector SVG drawn by desktop.exports.svg_charts
from the same figure models the Economics page draws. Every file is written atomically and
recorded in the workbook's exports table (path, kind, SHA-256, fingerprint), so `ipw verify FILE
--workbook WB` can later tell whether a memo is byte for byte the one exported.

The functions here are shared with the GUI's Export dialog (desktop/ui/export_dialog.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.cli.common import EXIT_USAGE, CliError, print_json
from desktop.domain.errors import DomainError
from desktop.domain.progress import Progress

KINDS = ("json", "markdown", "xlsx", "pdf")  # written in this order: cheap ones first
SUFFIXES = {"json": ".json", "markdown": ".md", "xlsx": ".xlsx", "pdf": ".pdf"}
KIND_NAMES = {"json": "procurement matrix (JSON)", "markdown": "procurement matrix (Markdown)",
              "xlsx": "Excel workbook", "pdf": "PDF memo"}


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
    export.set_defaults(func=cmd_export)


@dataclass(frozen=True)
class Written:
    """One export written: what, where, its SHA-256 and the fingerprint of the content it shows."""

    kind: str
    path: Path
    sha256: str
    fingerprint: str
    exported_at: str
    status: str  # draft | signed | not-valid

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": str(self.path), "sha256": self.sha256, "fingerprint": self.fingerprint,
                "exportedAt": self.exported_at, "status": self.status}


class ExportFailed(DomainError):
    """An export failed; `written` lists the files finished before it (each complete)."""

    def __init__(self, message: str, written: list[Written]) -> None:
        super().__init__(message)
        self.written = written


def render_memo_charts(data: Any, folder: Path | None = None) -> tuple[list[Any], str | None]:
    """The memo's economics figures as vector SVG (no Qt; `folder` is not used: nothing is written to disk).
    Returns the charts and, when some could not be drawn, why (the memo then goes without them)."""
    from desktop.exports.svg_charts import memo_charts

    return memo_charts(data)


def write_exports(data: Any, targets: dict[str, Path], *, paper: str = "a4", charts: Sequence[Any] = (),
                  progress: Progress | None = None) -> list[Written]:
    """Write each requested export (kind -> path) atomically; no Qt here. Raises ExportFailed."""
    from desktop.exports.atomic import sha256_file
    from desktop.exports.excel import export_xlsx
    from desktop.exports.matrix import write_matrix_json, write_matrix_markdown
    from desktop.exports.pdf import export_pdf

    written: list[Written] = []
    for kind in KINDS:
        path = targets.get(kind)
        if path is None:
            continue
        try:
            if kind == "json":
                write_matrix_json(path, data)
            elif kind == "markdown":
                write_matrix_markdown(path, data)
            elif kind == "xlsx":
                export_xlsx(path, data, paper=paper, progress=progress)
            else:
                export_pdf(path, data, charts=charts, paper=paper, progress=progress)
        except (DomainError, OSError) as exc:  # a cancel (Cancelled) is neither, and goes up as it is
            message = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise ExportFailed(f"could not write the {KIND_NAMES[kind]} {path}: {message} (that file was not "
                               "written)", written) from exc
        written.append(Written(kind, Path(path).resolve(), sha256_file(path), data.fingerprint,
                               data.manifest["exportedAt"], data.status))
    return written


def record_exports(store: Any, written: Sequence[Written]) -> None:
    """Record the exports in `store` (one transaction)."""
    from desktop.storage.signoff_store import record_export

    if not written:
        return
    with store.transaction():
        for w in written:
            record_export(store, path=str(w.path), kind=w.kind, sha256=w.sha256, fingerprint=w.fingerprint,
                          exported_at=w.exported_at)


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
            data = gather(store, workbook, playbook())
            charts: list[Any] = []
            with tempfile.TemporaryDirectory(prefix="ipw-charts-") as folder:
                if "pdf" in targets:
                    charts, problem = render_memo_charts(data, Path(folder))
                    if problem:
                        sys.stderr.write(f"ipw: warning: {problem}\n")
                try:
                    written = write_exports(data, targets, paper=args.paper, charts=charts)
                except ExportFailed as exc:
                    if locked:
                        record_exports(store, exc.written)
                    for w in exc.written:
                        print(f"wrote {w.path} ({KIND_NAMES[w.kind]})")
                    raise
            if locked:
                record_exports(store, written)
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
                    "recorded": locked, "written": [w.to_json() for w in written]})
    else:
        mark = {"draft": "DRAFT - not signed off", "signed": "signed off",
                "not-valid": "NOT VALID - content changed since sign-off"}[data.status]
        for w in written:
            print(f"wrote {w.path} ({KIND_NAMES[w.kind]}, {mark})")
        print(f"fingerprint {data.fingerprint}")
    if warning:
        sys.stderr.write(f"ipw: warning: {warning}\n")
    return 0
