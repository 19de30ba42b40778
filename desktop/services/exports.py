"""Exporting a workbook: the Excel workbook, the PDF memo and the procurement matrix as Markdown and JSON.

The one workflow `ipw export` and the GUI's Export dialog share. `run_gather` reads and computes once what
every export shows (over a connection of its own, so the dialog runs it off the GUI thread); `run_export`
draws the memo's charts (vector SVG from the figure models, no Qt) and writes each requested file
atomically; `record_exports` records them in a workbook's exports table (path, kind, SHA-256,
fingerprint), so `ipw verify FILE --workbook WB` can later tell whether a file is the one exported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.domain.errors import DomainError
from desktop.domain.playbook import Playbook
from desktop.domain.progress import NO_PROGRESS, Progress, check_cancelled
from desktop.domain.workbook import Workbook

KINDS = ("json", "markdown", "xlsx", "pdf")  # written in this order: cheap ones first
SUFFIXES = {"json": ".json", "markdown": ".md", "xlsx": ".xlsx", "pdf": ".pdf"}
KIND_NAMES = {"json": "procurement matrix (JSON)", "markdown": "procurement matrix (Markdown)",
              "xlsx": "Excel workbook", "pdf": "PDF memo"}
STATUS_WORDS = {"draft": "DRAFT - not signed off", "signed": "signed off",
                "not-valid": "NOT VALID - content changed since sign-off"}


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


@dataclass(frozen=True)
class ExportResult:
    """What `run_export` wrote, and why some of the memo's charts are missing (None when none is)."""

    written: tuple[Written, ...]
    chart_problem: str | None = None


class ExportFailed(DomainError):
    """An export failed; `written` lists the files finished before it (each complete)."""

    def __init__(self, message: str, written: list[Written]) -> None:
        super().__init__(message)
        self.written = written


def run_gather(database: Path, workbook: Workbook, playbook: Playbook, with_trace_sheet: bool = True,
               progress: Progress = NO_PROGRESS) -> Any:
    """What every export shows (desktop.exports.matrix.ExportData), read over a connection of its own to
    the working copy `database`, for `workbook` as it was when the export started; `with_trace_sheet` when
    the Excel workbook is among the exports (its Traces sheets show every row as stored)."""
    from desktop.exports.matrix import gather
    from desktop.storage.trace_store import open_worker_connection

    store = open_worker_connection(Path(database))
    try:
        return gather(store, workbook, playbook, progress=progress, with_trace_sheet=with_trace_sheet)
    finally:
        store.close()


def memo_charts(data: Any) -> tuple[list[Any], str | None]:
    """The memo's economics figures as vector SVG, and why some could not be drawn (None when all were)."""
    from desktop.exports.svg_charts import memo_charts as draw

    return draw(data)


def run_export(data: Any, targets: dict[str, Path], paper: str = "a4",
               progress: Progress = NO_PROGRESS, pdf_credentials: Any = "default") -> ExportResult:
    """Draw the memo's charts (when a PDF is asked for) and write each requested export (kind -> path)
    atomically. Raises ExportFailed (with the files finished before the failure) or Cancelled.

    A signed-off memo is then signed as a PDF with `pdf_credentials` (desktop.exports.pdf_signature):
    "default" uses the user's own from 'ipw keygen' when there are any; None signs nothing."""
    charts: list[Any] = []
    problem = None
    if "pdf" in targets:
        progress.stage("Drawing the charts")
        charts, problem = memo_charts(data)
        check_cancelled(progress)
    return ExportResult(tuple(write_exports(data, targets, paper=paper, charts=charts, progress=progress,
                                            pdf_credentials=pdf_credentials)), problem)


def write_exports(data: Any, targets: dict[str, Path], *, paper: str = "a4", charts: Sequence[Any] = (),
                  progress: Progress = NO_PROGRESS, pdf_credentials: Any = "default") -> list[Written]:
    """Write each requested export with the charts given; raises ExportFailed or Cancelled."""
    from desktop.exports.atomic import sha256_file
    from desktop.exports.excel import export_xlsx
    from desktop.exports.matrix import write_matrix_json, write_matrix_markdown
    from desktop.exports.pdf import export_pdf

    written: list[Written] = []
    for kind in KINDS:
        path = targets.get(kind)
        if path is None:
            continue
        progress.stage(f"Writing the {KIND_NAMES[kind]}")
        try:
            if kind == "json":
                write_matrix_json(path, data)
            elif kind == "markdown":
                write_matrix_markdown(path, data)
            elif kind == "xlsx":
                export_xlsx(path, data, paper=paper, progress=progress)
            else:
                export_pdf(path, data, charts=charts, paper=paper, progress=progress)
                _sign_memo(path, data, pdf_credentials)
        except (DomainError, OSError) as exc:  # a cancel (Cancelled) is neither, and goes up as it is
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
