"""The Export dialog: the Excel workbook, the PDF memo and the procurement matrix, with progress.

The officer picks the formats, the folder and a file name, and the paper size. The workflow is
`desktop.services.exports`, the one `ipw export` runs: reading the workbook and computing its decision
content run in the dialog's TaskRunner over the worker's own connection to the working copy; drawing
the memo's charts (SVG, no Qt), laying out the PDF and writing the Excel workbook run as a second task,
with a working Cancel. Each file is written atomically and recorded in the workbook's exports table (the
working copy, and the file itself when this window holds its lock), so `ipw verify --workbook` can match
it later. The last folder is remembered.

Wiring: the main window's `open_export_dialog()` calls `open_export_dialog(document, parent)`.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QLabel, QLineEdit, QMessageBox, QProgressBar, QPushButton, QVBoxLayout,
                               QWidget)

from desktop.domain.errors import DomainError
from desktop.domain.workbook import Workbook
from desktop.services import exports
from desktop.services.exports import KIND_NAMES, SUFFIXES, ExportResult, Written, record_exports
from desktop.ui import settings
from desktop.ui.tasks import TaskRunner
from desktop.ui.widgets.banner import Banner

SETTINGS_KEY = "export"
FORMATS = (("xlsx", "Excel workbook for finance (.xlsx)"), ("pdf", "PDF decision memo for the sponsor (.pdf)"),
           ("markdown", "Procurement matrix as Markdown (.md)"), ("json", "Procurement matrix as JSON (.json)"))
NAME_SUFFIX = {"xlsx": " - procurement workbook", "pdf": " - decision memo", "markdown": " - procurement matrix",
               "json": " - procurement matrix"}
PAPERS = (("a4", "A4"), ("letter", "US Letter"))


# ---- Questions and actions (plain functions, so tests can replace them) ------------------------------

def ask_folder(parent: QWidget | None, folder: str) -> Path | None:
    chosen = QFileDialog.getExistingDirectory(parent, "Export to folder", folder)
    return Path(chosen) if chosen else None


def open_file(path: Path) -> bool:
    """Open an exported file with the system's viewer."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def confirm_overwrite(parent: QWidget | None, names: list[str]) -> bool:
    answer = QMessageBox.question(parent, "Replace files?", "These files exist and will be replaced:\n"
                                  + "\n".join(names), QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def _snapshot(workbook: Workbook) -> Workbook:
    """The workbook as it is now, for the worker (edits made meanwhile do not reach it)."""
    return Workbook(workbook.context, dict(workbook.gates), dict(workbook.scores), workbook.signoff,
                    list(workbook.audit), workbook.plan)


def open_export_dialog(document: Any, parent: QWidget | None = None) -> ExportDialog:
    dialog = ExportDialog(document, parent)
    dialog.open()
    return dialog


class ExportDialog(QDialog):
    """Export the open workbook.

    Attributes:
        written: the files written by the last export (empty until one succeeds).
        message: the last outcome, in words.
    """

    def __init__(self, document: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.written: list[Written] = []
        self.message = ""
        self._on_success: Callable[[Any], None] = lambda result: None
        self._runner = TaskRunner(self, on_progress=self._on_progress, on_done=self._on_task_result,
                                  on_failed=self._on_failed, on_cancelled=self._on_cancelled,
                                  on_finished=self._on_done)
        self._data: Any = None
        self.setWindowTitle("Export")
        self.setAccessibleName("Export the workbook")
        self.resize(620, 420)
        layout = QVBoxLayout(self)

        self.state = Banner("warning" if not document.workbook.signed else "info")
        if document.workbook.signed:
            self.state.show_message("<b>Signed off.</b> The exports carry the sign-off, its fingerprint and, "
                                    "when there is one, the Ed25519 signature.")
        else:
            self.state.show_message("<b>Not signed off.</b> Every page and sheet is marked "
                                    "<b>DRAFT - not signed off</b> and carries the fingerprint of the content it "
                                    "shows, so the sponsor can approve exactly what they read.")
        layout.addWidget(self.state)

        form = QFormLayout()
        self.checks: dict[str, QCheckBox] = {}
        remembered = settings.settings()
        for kind, label in FORMATS:
            box = QCheckBox(label)
            box.setChecked(str(remembered.value(f"{SETTINGS_KEY}/{kind}", "true" if kind in ("xlsx", "pdf")
                                                 else "false")).lower() == "true")
            box.toggled.connect(self._update)
            self.checks[kind] = box
            form.addRow("" if kind != "xlsx" else "&Formats", box)
        folder_row = QHBoxLayout()
        self.folder_edit = QLineEdit(_initial_folder(document))
        self.folder_edit.setAccessibleName("Export folder")
        self.folder_edit.textChanged.connect(self._update)
        browse = QPushButton("&Browse...")
        browse.setAutoDefault(False)
        browse.clicked.connect(self._browse)
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(browse)
        folder_label = QLabel("F&older")
        folder_label.setBuddy(self.folder_edit)
        form.addRow(folder_label, folder_row)
        self.name_edit = QLineEdit(document.path.stem if document.path else "Workbook")
        self.name_edit.setAccessibleName("File name (without extension)")
        self.name_edit.textChanged.connect(self._update)
        form.addRow("File &name", self.name_edit)
        self.paper_combo = QComboBox()
        for key, label in PAPERS:
            self.paper_combo.addItem(label, key)
        paper = str(remembered.value(f"{SETTINGS_KEY}/paper", "a4"))
        self.paper_combo.setCurrentIndex(max(0, self.paper_combo.findData(paper)))
        form.addRow("&Paper", self.paper_combo)
        self.open_check = QCheckBox("Open the memo (or the workbook) when done")
        self.open_check.setChecked(str(remembered.value(f"{SETTINGS_KEY}/open", "false")).lower() == "true")
        form.addRow("", self.open_check)
        layout.addLayout(form)

        self.files_label = QLabel()
        self.files_label.setWordWrap(True)
        self.files_label.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.files_label)
        self.progress_label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setVisible(False)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.progress)
        self.result = Banner("info")
        self.error = Banner("error")
        layout.addWidget(self.result)
        layout.addWidget(self.error)
        layout.addStretch(1)

        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton("&Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton("Cancel e&xport", QDialogButtonBox.ButtonRole.ActionRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.cancel_button.setVisible(False)
        self.export_button.clicked.connect(self.start_export)
        self.cancel_button.clicked.connect(self.cancel_export)
        self.close_button.clicked.connect(self.reject)
        layout.addWidget(self.buttons)
        self._update()

    # ---- choices --------------------------------------------------------------------------------------
    def targets(self) -> dict[str, Path]:
        folder = Path(self.folder_edit.text().strip() or ".")
        name = self.name_edit.text().strip() or "Workbook"
        return {kind: folder / f"{name}{NAME_SUFFIX[kind]}{SUFFIXES[kind]}"
                for kind, _ in FORMATS if self.checks[kind].isChecked()}

    def paper(self) -> str:
        return str(self.paper_combo.currentData())

    def _browse(self) -> None:
        chosen = ask_folder(self, self.folder_edit.text())
        if chosen is not None:
            self.folder_edit.setText(str(chosen))

    def _update(self) -> None:
        targets = self.targets()
        folder = Path(self.folder_edit.text().strip() or ".")
        problem = None
        if not targets:
            problem = "Choose at least one format."
        elif not folder.is_dir():
            problem = "The folder does not exist."
        elif any(c in self.name_edit.text() for c in "/\\:*?\"<>|"):
            problem = "The file name cannot contain / \\ : * ? \" < > |"
        self.export_button.setEnabled(problem is None and not self._runner.busy)
        if problem:
            self.files_label.setText(f"<i>{html.escape(problem)}</i>")
        else:
            self.files_label.setText("Will write:<br>" + "<br>".join(
                f"&nbsp;&nbsp;{html.escape(str(p))}" for p in targets.values()))

    def _remember(self) -> None:
        store = settings.settings()
        for kind, box in self.checks.items():
            store.setValue(f"{SETTINGS_KEY}/{kind}", "true" if box.isChecked() else "false")
        store.setValue(f"{SETTINGS_KEY}/paper", self.paper())
        store.setValue(f"{SETTINGS_KEY}/open", "true" if self.open_check.isChecked() else "false")
        settings.set_last_folder(SETTINGS_KEY, Path(self.folder_edit.text().strip()))

    # ---- running ----------------------------------------------------------------------------------------
    def start_export(self) -> bool:
        targets = self.targets()
        if not targets or not self.export_button.isEnabled():
            return False
        existing = [p.name for p in targets.values() if p.exists()]
        if existing and not confirm_overwrite(self, existing):
            return False
        self._remember()
        self.error.setVisible(False)
        self.result.setVisible(False)
        self._targets = targets
        self._paper = self.paper()
        self._run("Reading the workbook...", self._on_gathered, exports.run_gather, self.document.copy.database,
                  _snapshot(self.document.workbook), self.document.playbook, "xlsx" in targets)
        return True

    def _on_gathered(self, data: Any) -> None:
        self._data = data
        self._run("Writing the exports...", self._on_written, exports.run_export, data, self._targets, self._paper)

    def _on_written(self, result: ExportResult) -> None:
        self.written = list(result.written)
        problem = self._record(self.written)
        if result.chart_problem:
            problem = "; ".join(filter(None, [f"Some charts could not be drawn: {result.chart_problem}", problem]))
        names = "<br>".join(f"&nbsp;&nbsp;{html.escape(KIND_NAMES[w.kind])}: {html.escape(str(w.path))}"
                            for w in self.written)
        mark = "DRAFT - not signed off" if self._data.status == "draft" else (
            "signed off" if self._data.status == "signed" else "NOT VALID")
        self.message = f"Exported {len(self.written)} file(s), {mark}."
        self.result.show_message(f"<b>{html.escape(self.message)}</b><br>{names}<br>Fingerprint "
                                 f"<tt>{html.escape(self._data.fingerprint)}</tt>")
        if problem:
            self.error.show_message(html.escape(problem))
        if self.open_check.isChecked():
            chosen = next((w.path for w in self.written if w.kind == "pdf"), None) or \
                next((w.path for w in self.written if w.kind == "xlsx"), None)
            if chosen is not None:
                open_file(chosen)

    def _record(self, written: list[Written]) -> str | None:
        """Record the exports in the working copy and, when this window holds the lock, in the file."""
        try:
            record_exports(self.document.store, written)
        except DomainError as exc:
            return f"The exports were written but not recorded in the workbook: {exc}"
        path = self.document.path
        lock = getattr(self.document, "lock", None)
        if path is None or lock is None or not getattr(lock, "held", False):
            return ("The exports were written but are recorded only in this window's copy: save the workbook "
                    "so 'ipw verify --workbook' can match them." if path is not None else None)
        from desktop.storage.workbook_file import open_store
        try:
            target = open_store(path, writable=True)
        except DomainError as exc:
            return f"The exports were written but not recorded in {path.name}: {exc}"
        try:
            record_exports(target, written)
        finally:
            target.close()
        return None

    def cancel_export(self) -> None:
        if self._runner.busy:
            self._runner.cancel()
            self.progress_label.setText("Cancelling...")

    def _run(self, title: str, on_success: Callable[[Any], None], function: Callable[..., Any], *args: Any) -> None:
        self.progress_label.setText(title)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.export_button.setEnabled(False)
        self._on_success = on_success
        self._runner.start(function, *args)

    def _on_task_result(self, result: Any) -> None:
        self._on_success(result)

    def _on_progress(self, fraction: float, text: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        if text:
            self.progress_label.setText(text)

    def _on_failed(self, message: str) -> None:
        self.message = f"Export failed: {message}"
        self.error.show_message(html.escape(self.message))

    def _on_cancelled(self) -> None:
        self.message = "Export cancelled; files not yet finished were not written."
        self.error.show_message(html.escape(self.message))

    def _on_done(self) -> None:
        if self._runner.busy:  # the next step has started
            return
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        self.progress_label.setText("")
        self._update()

    def wait(self, ms: int = 60_000) -> bool:
        """Wait for the running task (tests); returns False on timeout."""
        return self._runner.wait(ms)

    def reject(self) -> None:
        self._runner.shutdown(30_000)
        super().reject()


def _initial_folder(document: Any) -> str:
    """The last export folder if it still exists, else the workbook's folder, else the home folder."""
    if settings.settings().contains(f"lastFolder/{SETTINGS_KEY}"):
        folder = settings.last_folder(SETTINGS_KEY)
        if Path(folder).is_dir():
            return folder
    if document.path is not None:
        return str(Path(document.path).parent)
    return str(Path.home())
