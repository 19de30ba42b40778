"""`ipw export`: the Excel workbook, the PDF memo and the procurement matrix as Markdown and JSON.

Runs without a display: the memo's charts are drawn by an offscreen QApplication, started only when a PDF
is asked for (QT_QPA_PLATFORM=offscreen is set when no display is). Every file is written atomically and
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

KINDS = ("json", "markdown", "xlsx", "pdf")  # written in this order: cheap ones first
SUFFIXES = {"json": ".json", "markdown": ".md", "xlsx": ".xlsx", "pdf": ".pdf"}
KIND_NAMES = {"json": "procurement matrix (JSON)", "markdown": "procurement matrix (Markdown)",
              "xlsx": "Excel workbook", "pdf": "PDF memo"}
MEMO_CHARTS = (
    ("cost-by-route", "The cheapest configuration of each workload on each route; pale bars marked * have no "
                      "row that meets the target p95."),
    ("latency", "Measured p95 latency at each concurrency; the red line is the target p95."),
)
CHART_DPI = 220
CHART_SIZE_IN = (6.4, 3.0)


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


def ensure_headless_qt() -> None:
    """Let Qt run without a display (charts are drawn offscreen)."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY") \
            and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"


def render_memo_charts(data: Any, folder: Path, dpi: int = CHART_DPI) -> tuple[list[Any], str | None]:
    """The app's economics figures for the memo, rendered offscreen as PNG at `dpi` into `folder`.

    Must run on the thread that owns the QApplication (the GUI thread, or the CLI's main thread). Returns
    the charts and, when some could not be drawn, why (the memo then says so instead of showing them).
    """
    from desktop.exports.pdf import chart_from_file

    ensure_headless_qt()
    try:
        from desktop.ui.economics_charts import render_figure
    except Exception as exc:  # noqa: BLE001 - Qt libraries missing: the memo goes without charts
        return [], f"charts could not be drawn ({type(exc).__name__}: {exc})"
    economics = data.decision.economics
    charts, problems = [], []
    for kind, caption in MEMO_CHARTS:
        target = Path(folder) / f"{kind}.png"
        try:
            figure = render_figure(kind, data.metrics, data.workbook, target, dpi, scenarios=economics.scenarios,
                                   playbook=data.playbook, catalog=economics.catalog, size_in=CHART_SIZE_IN)
        except Exception as exc:  # noqa: BLE001 - one broken figure must not stop the memo
            problems.append(f"{kind}: {type(exc).__name__}: {exc}")
            continue
        if figure.has_data:
            charts.append(chart_from_file(kind, figure.title, caption, target))
    return charts, ("; ".join(problems) or None)


def write_exports(data: Any, targets: dict[str, Path], *, paper: str = "a4", charts: Sequence[Any] = (),
                  control: Any = None, pdf_credentials: Any = "default") -> list[Written]:
    """Write each requested export (kind -> path) atomically; no Qt here. Raises ExportFailed.

    A signed-off memo is then signed as a PDF (desktop.exports.pdf_signature) with `pdf_credentials`:
    "default" uses the user's own from 'ipw keygen' when there are any, None signs nothing."""
    from desktop.exports.atomic import sha256_file
    from desktop.exports.excel import export_xlsx
    from desktop.exports.matrix import Cancelled, write_matrix_json, write_matrix_markdown
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
                export_xlsx(path, data, paper=paper, control=control)
            else:
                export_pdf(path, data, charts=charts, paper=paper, control=control)
                _sign_memo(path, data, pdf_credentials)
        except Cancelled:
            raise
        except (DomainError, OSError) as exc:
            message = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise ExportFailed(f"could not write the {KIND_NAMES[kind]} {path}: {message} (that file was not "
                               "written)", written) from exc
        written.append(Written(kind, Path(path).resolve(), sha256_file(path), data.fingerprint,
                               data.manifest["exportedAt"], data.status))
    return written


def _sign_memo(path: Path, data: Any, credentials: Any) -> None:
    """The hook into PDF signing: the memo is signed last, as an incremental update of the file written."""
    from desktop.exports.pdf_signature import resolve_credentials, sign_exported_memo

    try:
        sign_exported_memo(path, data, resolve_credentials(credentials))
    except BaseException:
        Path(path).unlink(missing_ok=True)  # never leave an unsigned memo where a signed one was asked for
        raise


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
    from desktop.storage.lock import WorkbookLock
    from desktop.storage.workbook_file import check_is_workbook, open_store

    targets = _targets(args)
    if not targets:
        raise CliError("nothing to export: give --xlsx, --pdf, --markdown and/or --json with a file name",
                       EXIT_USAGE)
    path = Path(args.file)
    check_is_workbook(path)
    lock = WorkbookLock(path)
    locked = lock.acquire()
    warning = None
    try:
        store = open_store(path, writable=locked)
        try:
            workbook = store.load(playbook())
            data = gather(store, workbook, playbook())
            credentials = _pdf_credentials(args) if "pdf" in targets and data.signed else None
            charts: list[Any] = []
            with tempfile.TemporaryDirectory(prefix="ipw-charts-") as folder:
                if "pdf" in targets:
                    charts, problem = render_memo_charts(data, Path(folder))
                    if problem:
                        sys.stderr.write(f"ipw: warning: {problem}\n")
                try:
                    written = write_exports(data, targets, paper=args.paper, charts=charts,
                                            pdf_credentials=credentials)
                except ExportFailed as exc:
                    if locked:
                        record_exports(store, exc.written)
                    for w in exc.written:
                        print(f"wrote {w.path} ({KIND_NAMES[w.kind]})")
                    raise
            if locked:
                record_exports(store, written)
            else:
                warning = (f"the exports were not recorded in {path}: it is being edited by "
                           f"{lock.describe_holder()} ('ipw verify --workbook' cannot match them)")
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
            if w.kind == "pdf" and credentials is not None:
                print(f"  signed as a PDF (PAdES) with {credentials.describe()}")
        print(f"fingerprint {data.fingerprint}")
    if warning:
        sys.stderr.write(f"ipw: warning: {warning}\n")
    return 0
