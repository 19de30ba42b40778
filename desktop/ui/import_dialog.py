"""The trace import flow: choose sources and options, read and check them in the background, look at every
problem, then import all rows, only the valid ones, or nothing.

Nothing touches the workbook until the officer presses an import button. Reading runs in the dialog's
TaskRunner with a progress bar and a working Cancel; storing runs there too, over the worker's own
connection to the working copy, inside one transaction that writes the new imports switched off. One undoable command
(`commands.ActivateImportsCommand`) then switches them on: undo switches them off again, so an
import of several files is one transaction and one undo step. Any failure reaches the officer as a
message box with a sentence, never a traceback. The pages are built in `desktop.ui.import_pages`, the
problem table is `desktop.ui.import_problems.ProblemModel`.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QDialog, QFileDialog, QMessageBox, QStackedWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from desktop.domain.errors import DomainError, FieldError
from desktop.domain.formatting import NOT_OBSERVED
from desktop.domain.trace import FIELD_NAMES, FIELDS_BY_NAME
from desktop.services import imports
from desktop.services.imports import (DEFAULT_KEEP_ORIGINAL_BYTES, ImportOptions, duplicates, import_outcome,
                                      source_counts, warnings_not_listed)
from desktop.storage import trace_store
from desktop.ui import commands, settings, theme
from desktop.ui.document import Document
from desktop.ui.import_pages import SET_FIELDS, ImportPages
from desktop.ui.tasks import TaskRunner
from desktop.ui.trace_model import field_label, field_tooltip, format_value

# ---- Constants

SOURCE_FILTER = ("Trace sources (*.csv *.tsv *.tab *.txt *.xlsx *.ods *.json *.jsonl);;All files (*)")
PREVIEW_ROWS = 50
VALID_ONLY_TIP = ("Import the rows without problems and leave the others out; the choice is recorded in the "
                  "import's provenance")
NEEDS_REASON_TIP = ("Some rows have plausibility warnings: say why they are right in the box above to import "
                    "them (the reason is recorded with the import)")
SETTINGS_PREFIX = "traceImport"


# ---- Questions and messages (plain functions, so tests can replace them) ------------------------------

def ask_source_files(parent: QWidget | None, folder: str) -> list[Path]:
    paths, _ = QFileDialog.getOpenFileNames(parent, "Choose trace sources", folder, SOURCE_FILTER)
    return [Path(p) for p in paths]


def confirm_duplicate(parent: QWidget | None, text: str) -> bool:
    answer = QMessageBox.question(parent, "Already imported", text,
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def show_error(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.warning(parent, title, text)


# ---- Remembered choices -----------------------------------------------------------------------------

def _as_bool(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def remembered_set_values() -> dict[str, tuple[bool, str]]:
    """field -> (ticked, value) as the officer left them at the last import."""
    store = settings.settings()
    return {name: (_as_bool(store.value(f"{SETTINGS_PREFIX}/set/{name}/on", False)),
                   str(store.value(f"{SETTINGS_PREFIX}/set/{name}/value", "") or ""))
            for name in SET_FIELDS}


# ---- The dialog -------------------------------------------------------------------------------------

class ImportDialog(ImportPages, QDialog):
    """Import trace sources into `document`.

    Attributes:
        stage: "options", "parsing", "preview", "storing" or "done" (the dialog then accepts).
        parsed: the ParsedSource list of the last check (preview stage).
        imported_ids: the import ids switched on by the last import.
        message: the last outcome in words (cancelled, failed, imported).
    """

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.setWindowTitle("Import traces")
        self.setObjectName("traceImportDialog")
        self.stage = "options"
        self.paths: list[Path] = []
        self.parsed: list[Any] = []
        self.imported_ids: list[int] = []
        self.message = ""
        self._options: ImportOptions | None = None
        self._runner = TaskRunner(self, on_progress=self._on_progress, on_done=self._on_succeeded,
                                  on_failed=self._on_failed, on_cancelled=self._on_cancelled,
                                  on_finished=self._on_task_done)
        self._close_when_done = False
        self._back_to = "options"
        self._on_success = None
        self._aliases = document.playbook.trace_route_aliases()

        self.pages = QStackedWidget()
        self.pages.addWidget(self._build_options_page())
        self.pages.addWidget(self._build_progress_page())
        self.pages.addWidget(self._build_preview_page())
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        self._restore_remembered()
        self._show("options")
        self.resize(1000, 680)

    # ---- Files and options -------------------------------------------------------------------------------
    def set_paths(self, paths: Sequence[Path | str]) -> None:
        self.paths = []
        self.file_list.clear()
        self.add_paths(paths)

    def add_paths(self, paths: Sequence[Path | str]) -> None:
        for path in paths:
            path = Path(path)
            if path not in self.paths:
                self.paths.append(path)
                self.file_list.addItem(str(path))
                self.file_list.item(self.file_list.count() - 1).setToolTip(str(path))

    def on_add_files(self) -> None:
        paths = ask_source_files(self, settings.last_folder("traces"))
        if paths:
            settings.set_last_folder("traces", paths[0].parent)
            self.add_paths(paths)

    def on_remove_files(self) -> None:
        rows = sorted((self.file_list.row(item) for item in self.file_list.selectedItems()), reverse=True)
        for row in rows:
            self.file_list.takeItem(row)
            del self.paths[row]

    def set_value(self, field: str, value: str | None) -> None:
        """Give `field` one value for every row (None unticks it)."""
        check, editor = self.set_checks[field], self.set_editors[field]
        check.setChecked(value is not None)
        if value is None:
            return
        if isinstance(editor, QComboBox):
            position = editor.findText(value, Qt.MatchFlag.MatchFixedString)
            if position < 0 and field == "route":
                canonical = self._aliases.get(value.strip().casefold())
                position = editor.findText(canonical) if canonical else -1
            if position < 0:
                editor.addItem(value)
                position = editor.count() - 1
            editor.setCurrentIndex(position)
        else:
            editor.setText(value)

    def set_values(self) -> dict[str, str]:
        values = {}
        for name in SET_FIELDS:
            if self.set_checks[name].isChecked():
                editor = self.set_editors[name]
                values[name] = editor.currentText() if isinstance(editor, QComboBox) else editor.text().strip()
        return values

    def options(self) -> ImportOptions:
        text = self.sheet_combo.currentText().strip()
        sheet = None if not text or text == self.sheet_combo.itemText(0) else text
        return ImportOptions(format=self.format_combo.currentData(), sheet=sheet, set_values=self.set_values(),
                             decimal_comma=self.decimal_combo.currentData(),
                             keep_original_max_bytes=int(self.keep_spin.value() * 1_000_000))

    def _check_set_values(self, values: dict[str, str]) -> str | None:
        for name, text in values.items():
            spec = FIELDS_BY_NAME[name]
            if not text and not spec.nullable:
                return f"{name}: give a value or untick it"
            if text:
                try:
                    trace_store.validate_cell(name, text, self._aliases)
                except FieldError as error:
                    return f"{name}: {error.reason} (value '{text}')"
        return None

    def _restore_remembered(self) -> None:
        store = settings.settings()
        for name, (ticked, value) in remembered_set_values().items():
            if value:
                self.set_value(name, value)
            self.set_checks[name].setChecked(ticked)
        decimal = store.value(f"{SETTINGS_PREFIX}/decimalComma", "auto")
        self.decimal_combo.setCurrentIndex({"true": 1, "false": 2}.get(str(decimal).lower(), 0))
        try:
            keep = float(store.value(f"{SETTINGS_PREFIX}/keepOriginalMb", DEFAULT_KEEP_ORIGINAL_BYTES / 1e6))
        except (TypeError, ValueError):
            keep = DEFAULT_KEEP_ORIGINAL_BYTES / 1e6
        self.keep_spin.setValue(keep)

    def _remember(self) -> None:
        store = settings.settings()
        for name in SET_FIELDS:
            editor = self.set_editors[name]
            value = editor.currentText() if isinstance(editor, QComboBox) else editor.text().strip()
            store.setValue(f"{SETTINGS_PREFIX}/set/{name}/on", self.set_checks[name].isChecked())
            store.setValue(f"{SETTINGS_PREFIX}/set/{name}/value", value)
        decimal = self.decimal_combo.currentData()
        store.setValue(f"{SETTINGS_PREFIX}/decimalComma", "auto" if decimal is None else str(decimal).lower())
        store.setValue(f"{SETTINGS_PREFIX}/keepOriginalMb", self.keep_spin.value())

    # ---- Reading and checking --------------------------------------------------------------------------
    def start_parse(self) -> bool:
        """Read and check the files in the background; False (with a message) when it cannot start."""
        self.options_banner.clear()
        if not self.paths:
            self.options_banner.show_message("Add at least one file to import.")
            return False
        missing = [p.name for p in self.paths if not p.is_file()]
        if missing:
            self.options_banner.show_message(html.escape(f"No such file: {', '.join(missing)}"))
            return False
        problem = self._check_set_values(self.set_values())
        if problem:
            self.options_banner.show_message(html.escape(problem))
            return False
        try:
            self.document.check_editable()
        except DomainError as error:
            show_error(self, "Cannot import", str(error))
            return False
        self._remember()
        self._options = self.options()
        self.parsed = []
        self._run("parsing",
                  f"Reading and checking {len(self.paths)} file{'s' if len(self.paths) != 1 else ''}...",
                  self._on_parsed, imports.run_parse, list(self.paths), self._options)
        return True

    def _on_parsed(self, parsed: list[Any]) -> None:
        self.parsed = parsed
        self._fill_preview()
        self._show("preview")

    def _on_preview_sheet(self, index: int) -> None:
        name = self.preview_sheet_combo.itemText(index)
        current = next((p.sheet for p in self.parsed if p.sheet_names), None)
        if name and name != current:
            self._choose_sheet(name)
            self.start_parse()

    def _choose_sheet(self, name: str) -> None:
        position = self.sheet_combo.findText(name)
        if position < 0:
            self.sheet_combo.addItem(name, name)
            position = self.sheet_combo.count() - 1
        self.sheet_combo.setCurrentIndex(position)

    # ---- Preview -------------------------------------------------------------------------------------
    def _fill_preview(self) -> None:
        parsed = self.parsed
        problems = [p for source in parsed for p in source.problems]
        omitted = sum(source.problems_omitted for source in parsed)
        valid = sum(source.rows_valid for source in parsed)
        rejected = sum(source.rows_rejected for source in parsed)
        lines = []
        for source in parsed:
            sheet = f", sheet '{source.sheet}'" if source.sheet else ""
            header = f", header on row {source.header_row}" if source.header_row else ""
            parts = [f"<b>{html.escape(source.source)}</b> ({html.escape(source.format)}{html.escape(sheet)}"
                     f"{header}): {html.escape(source_counts(source))}"]
            if source.dropped_columns:
                parts.append("dropped columns: " + html.escape(", ".join(source.dropped_columns)))
            for note in source.notes[:6]:
                parts.append(html.escape(note))
            if len(source.notes) > 6:
                parts.append(f"{len(source.notes) - 6} more notes (kept in the import's provenance)")
            for warning in source.warnings[:6]:
                parts.append(theme.span("warning", "Warning", bold=True) + ", valid row "
                             + html.escape(f"{warning.row}, {field_label(warning.column)}: {warning.reason} "
                                           f"(value {warning.value!r})"))
            if source.warning_count > 6:
                parts.append(html.escape(warnings_not_listed(source, 6, imported=True,
                                                             where="the import's provenance once imported")))
            lines.append("<br>&nbsp;&nbsp;".join(parts))
        verdict = (theme.span("ok", "No problems: every row can be imported.", bold=True) if not problems
                   and not omitted else
                   theme.span("problem", f"{len(problems) + omitted:,} problem(s) in {rejected:,} row(s).",
                              bold=True)
                   + " Cancel and fix the files, or import only the valid rows (the choice is recorded).")
        if valid == 0:
            verdict += " <b>No valid row to import.</b>"
        warned = sum(source.warning_count for source in parsed)
        if warned:
            verdict += ("<br>" + theme.span("warning", f"{warned:,} plausibility warning(s).", bold=True)
                        + " To import these rows, say below why they are right (the reason is recorded).")
        repeated = duplicates(self.document.store, parsed)
        if repeated:
            verdict += "<br>" + theme.span("warning", "Imported before:", bold=True) + " " + html.escape(", ".join(
                f"{s.source} (import {e['importId']}, {e['importedAt']})" for s, e in repeated))
        total = f"Total: {valid:,} trace row{'' if valid == 1 else 's'} to import."
        self.summary_label.setText("<br>".join(lines) + f"<br>{total}<br>" + verdict)

        sheets = next((source for source in parsed if len(source.sheet_names) > 1), None)
        self.sheet_row_host.setVisible(sheets is not None)
        self.preview_sheet_combo.clear()
        if sheets is not None:
            self.preview_sheet_combo.addItems(sheets.sheet_names)
            self.preview_sheet_combo.setCurrentText(sheets.sheet or "")
            self.preview_sheet_label.setText(f"Sheet of {sheets.source} (choosing another reads it again):")
            for name in sheets.sheet_names:
                if self.sheet_combo.findText(name) < 0:
                    self.sheet_combo.addItem(name, name)

        rows: list[tuple[str, dict[str, Any]]] = []
        for source in parsed:
            if len(rows) >= PREVIEW_ROWS:
                break
            rows += [(source.source, row) for row in source.preview(PREVIEW_ROWS - len(rows))]
        extra_names: list[str] = []
        for _, row in rows:
            extra_names += [k for k in row if k not in FIELDS_BY_NAME and k not in extra_names]
        columns = ["File", *FIELD_NAMES, *extra_names]
        self.preview_table.clear()
        self.preview_table.setColumnCount(len(columns))
        self.preview_table.setRowCount(len(rows))
        self.preview_table.setHorizontalHeaderLabels(["File", *(field_label(key) for key in columns[1:])])
        for c, key in enumerate(columns[1:], start=1):
            self.preview_table.horizontalHeaderItem(c).setToolTip(field_tooltip(key))
        for r, (name, row) in enumerate(rows):
            self.preview_table.setItem(r, 0, QTableWidgetItem(name))
            for c, key in enumerate(columns[1:], start=1):
                value = row.get(key)
                item = QTableWidgetItem(NOT_OBSERVED if value is None and key in FIELDS_BY_NAME
                                        else format_value(value))
                if isinstance(row.get(key), (int, float)) and not isinstance(row.get(key), bool):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.preview_table.setItem(r, c, item)
        self.preview_table.resizeColumnsToContents()
        self.rows_label.setText(f"<b>Rows to be imported</b> (first {len(rows)} of {valid:,})")
        self.problem_model.set_problems(problems, {source.source: source.mapping for source in parsed})
        self.problems_label.setText(f"<b>Problems</b> ({len(problems) + omitted:,})" + (
            f": the first {len(problems):,} are listed, {omitted:,} more are counted" if omitted else ""))
        self.warnings_reason.clear()
        self.warnings_host.setVisible(self.has_warnings)
        self._update_import_buttons()

    @property
    def has_warnings(self) -> bool:
        """The previewed rows include implausible ones: importing them needs the officer's reason."""
        return any(source.warning_count for source in self.parsed)

    def warnings_accepted_because(self) -> str | None:
        """The officer's reason for importing rows with warnings (None when there is none to give or given)."""
        return (self.warnings_reason.text().strip() or None) if self.has_warnings else None

    def _update_import_buttons(self) -> None:
        parsed = self.parsed
        valid = sum(source.rows_valid for source in parsed)
        clean = all(source.ok for source in parsed)
        reason_missing = self.has_warnings and self.warnings_accepted_because() is None
        self.import_button.setEnabled(valid > 0 and clean and not reason_missing)
        self.valid_only_button.setEnabled(valid > 0 and not clean and not reason_missing)
        self.import_button.setToolTip(NEEDS_REASON_TIP if reason_missing else "")
        self.valid_only_button.setToolTip(NEEDS_REASON_TIP if reason_missing else VALID_ONLY_TIP)
        (self.import_button if self.import_button.isEnabled() else self.preview_cancel).setDefault(True)

    # ---- Storing -----------------------------------------------------------------------------------------
    def start_store(self, *, valid_only: bool) -> bool:
        """Write the checked rows (staged, switched off) in the background; the undoable command then
        switches them on. Returns False when the officer declined or it could not start."""
        if self.stage != "preview" or not self.parsed or self._options is None:
            return False
        reason = self.warnings_accepted_because()
        if self.has_warnings and reason is None:
            self.message = "Rows with plausibility warnings are imported only with a reason."
            return False
        options = dataclasses.replace(self._options, skip_invalid=valid_only, accept_warnings_reason=reason)
        repeated = duplicates(self.document.store, self.parsed)
        if repeated:
            names = "\n".join(f"- {s.source}: import {e['importId']} of {e['importedAt']} "
                              f"({e['rowsImported']:,} rows)" for s, e in repeated)
            if not confirm_duplicate(self, f"These files were imported before (same SHA-256):\n{names}\n\n"
                                           "Import them again?"):
                self.message = "Not imported again."
                return False
            options.allow_duplicate = True
        try:
            self.document.check_editable()
        except DomainError as error:
            show_error(self, "Cannot import", str(error))
            return False
        rows = sum(p.rows_valid for p in self.parsed)
        self._run("storing", f"Importing {rows:,} rows...", self._on_stored,
                  imports.run_stage, self.document.copy.database, self.parsed, options)
        return True

    def _on_stored(self, import_ids: list[int]) -> None:
        try:
            self.document.push(commands.activate_imports(self.document, import_ids,
                                                               [p.source for p in self.parsed]))
        except DomainError as error:
            self.message = f"The import was not switched on: {error}"
            show_error(self, "Import failed", self.message)
            self._show("preview")
            return
        except Exception as error:  # noqa: BLE001 - the officer gets a sentence, not a traceback
            self.message = f"The import was not switched on ({type(error).__name__}: {error})"
            show_error(self, "Import failed", self.message)
            self._show("preview")
            return
        self.imported_ids = list(import_ids)
        done = "; ".join(f"{import_outcome(source)} from {source.source}" for source in self.parsed)
        self.message = done[:1].upper() + done[1:] + "."
        self.parsed = []
        self._show("done")
        self.accept()

    # ---- Background tasks ------------------------------------------------------------------------------
    def _run(self, stage: str, title: str, on_success: Callable[[Any], None], function: Callable[..., Any],
             *args: Any) -> None:
        self.progress_title.setText(f"<b>{html.escape(title)}</b>")
        self.progress_label.setText("")
        self.progress_bar.setValue(0)
        self.progress_cancel.setEnabled(True)
        self._back_to = "options" if stage == "parsing" else "preview"
        self._on_success = on_success
        self._show(stage)
        self._runner.start(function, *args)

    def _on_progress(self, fraction: float, text: str) -> None:
        self.progress_bar.setValue(int(fraction * 1000))
        if text:
            self.progress_label.setText(text)

    def _on_succeeded(self, result: Any) -> None:
        if self._close_when_done:
            self.message = "Cancelled; nothing was imported."
            return
        self._on_success(result)

    def _on_failed(self, message: str) -> None:
        self.message = message
        self._show(self._back_to)
        if not self._close_when_done:
            show_error(self, "Import failed", f"{message}\n\nNothing was imported.")

    def _on_cancelled(self) -> None:
        self.message = "Cancelled; nothing was imported."
        self._show(self._back_to)
        if self._back_to == "options":
            self.options_banner.show_message(self.message)

    def _on_task_done(self) -> None:
        """The task has ended (after succeeded, failed or cancelled)."""
        if self._close_when_done and not self._runner.busy:
            self._close_when_done = False
            super().reject()

    def cancel_task(self) -> None:
        if self._runner.busy:
            self.progress_cancel.setEnabled(False)
            self.progress_label.setText("Cancelling...")
            self._runner.cancel()

    @property
    def busy(self) -> bool:
        return self._runner.busy

    def _show(self, stage: str) -> None:
        self.stage = stage
        index = {"options": 0, "parsing": 1, "storing": 1, "preview": 2, "done": 2}[stage]
        self.pages.setCurrentIndex(index)

    def reject(self) -> None:
        """Cancel: stop a running task first (its transaction rolls back), then close; nothing is written."""
        if self._runner.busy:
            self._close_when_done = True
            self.cancel_task()
            return
        self.parsed = []
        if self.stage != "done":
            self.message = self.message or "Cancelled; nothing was imported."
        super().reject()
