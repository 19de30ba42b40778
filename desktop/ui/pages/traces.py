"""The Traces page: the workbook's measured trace rows, their imports and provenance, and the way in.

The table is a `TraceTableModel` (lazy, a million rows stay responsive): filter by route, provider, model,
workload or import, sort by clicking a header, edit a cell in place (validated, undoable; edited cells are
marked and their tooltip gives the imported value), delete rows or a whole import (undoable), copy the
selection as tab-separated text (Ctrl+C). "Import traces..." opens the import dialog; "Templates..." writes
the trace kit's templates. Below the table, every import with its provenance.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QMenu,
                               QMessageBox, QPushButton, QSplitter, QTableView, QTableWidget, QTableWidgetItem,
                               QTextBrowser, QVBoxLayout, QWidget)

from desktop.domain.errors import DomainError
from desktop.domain.playbook import Playbook
from desktop.services import traces
from desktop.ui import commands, settings, trace_facts  # noqa: F401 (trace_facts registers the gate facts)
from desktop.ui.pages.base import Page
from desktop.ui.pages.traces_parts import ALL, FilterCombo, TraceCellDelegate, provenance_html
from desktop.ui.trace_model import IMPORT_COLUMN, TraceTableModel
from desktop.ui.widgets.banner import Banner

# ---- Constants

FILTERS = (("route", "Route"), ("provider", "Provider"), ("model", "Model"), ("workload", "Workload"))
MAX_COPY_ROWS = 100_000
TEMPLATES = (
    ("csv", "CSV template...", "trace-template.csv", "CSV files (*.csv)", "write_csv_template"),
    ("xlsx", "XLSX template with validation and help...", "trace-template.xlsx", "Excel workbooks (*.xlsx)",
     "write_xlsx_template"),
    ("schema", "JSON Schema of a trace row...", "trace-row.schema.json", "JSON files (*.json)", "write_schema"),
    ("runbook", "Runbook for engineering teams (Markdown)...", "trace-runbook.md", "Markdown files (*.md)",
     "write_runbook"),
)
IMPORT_HEADERS = ("ID", "Source", "Format", "Rows read", "Imported", "Rejected", "Imported at", "Original kept",
                  "SHA-256")


# ---- Questions (plain functions, so tests can replace them) ------------------------------------------

def ask_save_path(parent: QWidget | None, caption: str, suggested: str, file_filter: str) -> Path | None:
    path, _ = QFileDialog.getSaveFileName(parent, caption, suggested, file_filter)
    return Path(path) if path else None


def show_error(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.warning(parent, title, text)


def open_import_dialog(page: TracesPage):
    """Show the import dialog window-modal; returns it (tests drive it directly)."""
    from desktop.ui.import_dialog import ImportDialog

    dialog = ImportDialog(page.document, page)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.finished.connect(lambda _result, d=dialog: page.on_import_finished(d))
    dialog.open()
    return dialog


class TracesPage(Page):
    def __init__(self, playbook: Playbook) -> None:
        super().__init__()
        self.title = "Traces"
        self.playbook = playbook
        self.model = TraceTableModel(self)
        self.dialog = None
        self._imports: list[dict[str, Any]] = []

        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        heading = QLabel("<h2>Traces</h2>")
        top.addWidget(heading)
        top.addStretch(1)
        self.count_label = QLabel()
        self.count_label.setAccessibleName("Rows shown")
        top.addWidget(self.count_label)
        layout.addLayout(top)
        intro = QLabel("Measured requests from your teams' spreadsheets, benchmark tools and request logs. Click "
                       "a header to sort, double-click a cell to correct it (edited cells are shaded; the "
                       "tooltip keeps the imported value), Ctrl+C copies the selection as tab-separated text.")
        intro.setWordWrap(True)
        layout.addWidget(intro)

        actions = QHBoxLayout()
        self.import_button = QPushButton("&Import traces...")
        self.import_button.clicked.connect(self.on_import)
        self.templates_button = QPushButton("&Templates...")
        self.templates_menu = QMenu(self.templates_button)
        for kind, text, _name, _filter, _writer in TEMPLATES:
            action = self.templates_menu.addAction(text)
            action.triggered.connect(lambda _=False, k=kind: self.on_template(k))
        self.templates_button.setMenu(self.templates_menu)
        self.copy_button = QPushButton("&Copy")
        self.copy_button.setToolTip("Copy the selected cells as tab-separated text (Ctrl+C)")
        self.copy_button.clicked.connect(self.copy_selection)
        self.delete_rows_button = QPushButton("&Delete selected rows")
        self.delete_rows_button.setToolTip("Remove the selected rows (Delete; undo brings them back)")
        self.delete_rows_button.clicked.connect(self.delete_selected_rows)
        for button in (self.import_button, self.templates_button):
            actions.addWidget(button)
        actions.addSpacing(16)
        actions.addWidget(self.copy_button)
        actions.addWidget(self.delete_rows_button)
        actions.addStretch(1)
        layout.addLayout(actions)

        filters = QHBoxLayout()
        filters.addWidget(QLabel("Show:"))
        self.filter_combos: dict[str, FilterCombo] = {}
        for key, label in (*FILTERS, ("import", "Import")):
            caption = QLabel(f"{label}")
            combo = FilterCombo(key, self)
            combo.setAccessibleName(f"Filter by {label.lower()}")
            caption.setBuddy(combo)
            combo.currentIndexChanged.connect(self._on_filter_changed)
            self.filter_combos[key] = combo
            filters.addWidget(caption)
            filters.addWidget(combo, 1)
        self.clear_filters_button = QPushButton("Clear filters")
        self.clear_filters_button.clicked.connect(self.clear_filters)
        filters.addWidget(self.clear_filters_button)
        layout.addLayout(filters)

        self.banner = Banner("error")
        layout.addWidget(self.banner)
        self.info = Banner("info")
        layout.addWidget(self.info)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setItemDelegate(TraceCellDelegate(self))
        self.view.setAccessibleName("Trace rows")
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                  | QAbstractItemView.EditTrigger.EditKeyPressed
                                  | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        vertical = self.view.verticalHeader()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(22)
        horizontal = self.view.horizontalHeader()
        horizontal.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        horizontal.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        horizontal.setSortIndicatorShown(True)
        horizontal.setSectionsClickable(True)
        horizontal.sortIndicatorChanged.connect(self._on_sort)
        self.copy_action = QAction("Copy", self.view)
        self.copy_action.setShortcut(QKeySequence.StandardKey.Copy)
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.copy_action.triggered.connect(self.copy_selection)
        self.view.addAction(self.copy_action)
        self.delete_action = QAction("Delete rows", self.view)
        self.delete_action.setShortcut(QKeySequence.StandardKey.Delete)
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.delete_action.triggered.connect(self.delete_selected_rows)
        self.view.addAction(self.delete_action)
        self.splitter.addWidget(self.view)

        imports_box = QGroupBox("Imports and their provenance")
        imports_layout = QHBoxLayout(imports_box)
        left = QVBoxLayout()
        self.imports_table = QTableWidget(0, len(IMPORT_HEADERS))
        self.imports_table.setHorizontalHeaderLabels(IMPORT_HEADERS)
        self.imports_table.setAccessibleName("Imports")
        self.imports_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.imports_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.imports_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.imports_table.verticalHeader().setVisible(False)
        self.imports_table.verticalHeader().setDefaultSectionSize(22)
        self.imports_table.horizontalHeader().setStretchLastSection(True)
        self.imports_table.itemSelectionChanged.connect(self._show_import_details)
        left.addWidget(self.imports_table, 1)
        import_buttons = QHBoxLayout()
        self.show_import_button = QPushButton("Show only this import")
        self.show_import_button.clicked.connect(self.show_selected_import)
        self.delete_import_button = QPushButton("Delete import")
        self.delete_import_button.setToolTip("Remove the import and all its rows (undo brings them back)")
        self.delete_import_button.clicked.connect(self.delete_selected_import)
        self.save_original_button = QPushButton("Save original file...")
        self.save_original_button.setToolTip("Write the copy of the source file kept in the workbook")
        self.save_original_button.clicked.connect(self.save_original)
        for button in (self.show_import_button, self.delete_import_button, self.save_original_button):
            import_buttons.addWidget(button)
        import_buttons.addStretch(1)
        left.addLayout(import_buttons)
        imports_layout.addLayout(left, 1)
        self.details = QTextBrowser()
        self.details.setAccessibleName("Import provenance")
        self.details.setOpenLinks(False)
        imports_layout.addWidget(self.details, 1)
        self.splitter.addWidget(imports_box)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([460, 230])
        layout.addWidget(self.splitter, 1)

        self.model.editRejected.connect(self._on_edit_rejected)
        self.model.loadingChanged.connect(lambda _loading: self._update_count())
        self.model.modelReset.connect(self._on_model_reset)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self._to_top = False

    # ---- Page API ------------------------------------------------------------------------------------
    def bind(self, document) -> None:  # noqa: D102 (Page API)
        for combo in self.filter_combos.values():
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(ALL, None)
            combo.stale = True
            combo.blockSignals(False)
        self.banner.clear()
        self.info.clear()
        self.model._filters = {}
        self.model._sort = (None, False)
        self.view.horizontalHeader().blockSignals(True)
        self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.view.horizontalHeader().blockSignals(False)
        self.model.set_document(document)
        super().bind(document)

    def _on_changed(self, part: str) -> None:
        if part in ("traces", "all"):
            for combo in self.filter_combos.values():
                combo.stale = True
            self.banner.clear()  # an older refusal or report no longer describes the table
            self.info.clear()
        super()._on_changed(part)

    def refresh(self) -> None:
        document = self.document
        if document is None:
            return
        self._imports = document.store.imports()
        selected = self.selected_import_id()
        self.imports_table.setRowCount(len(self._imports))
        for row, entry in enumerate(self._imports):
            details = entry.get("details") or {}
            cells = (str(entry["importId"]), entry["source"], entry["format"], f"{entry['rowsRead']:,}",
                     f"{entry['rowsImported']:,}", f"{entry['rowsRejected']:,}", entry["importedAt"],
                     "yes" if entry["originalKept"] else "no", entry["sha256"][:16] + "...")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column in (0, 3, 4, 5):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if column == 8:
                    item.setToolTip(entry["sha256"])
                if column == 5 and details.get("importedValidRowsOnly"):
                    item.setToolTip("Imported the valid rows only, by the officer's explicit choice")
                self.imports_table.setItem(row, column, item)
        self.imports_table.resizeColumnsToContents()
        if selected is not None:
            self.select_import(selected)
        known = {str(e["importId"]) for e in self._imports}
        import_filter = self.model.filters.get("import")
        if import_filter is not None and import_filter not in known:
            self.filter_combos["import"].select(None)
        self._show_import_details()
        self._update_buttons()
        self._update_count()

    # ---- Filters ---------------------------------------------------------------------------------------
    def set_filter(self, field: str, value: str | None) -> None:
        self.filter_combos[field].select(value)

    def clear_filters(self) -> None:
        for combo in self.filter_combos.values():
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
        self._to_top = True
        self.model.set_filters({})

    def _on_filter_changed(self) -> None:
        self._to_top = True
        self.model.set_filters({key: combo.currentData() for key, combo in self.filter_combos.items()})

    def _on_sort(self, column: int, order: Qt.SortOrder) -> None:
        self._to_top = True
        self.model.sort(column, order)

    # ---- Selection, copy, delete -----------------------------------------------------------------------
    def selected_rows(self) -> np.ndarray:
        """Model rows touched by the selection, in order (from selection ranges: cheap for big selections)."""
        ranges = self.view.selectionModel().selection()
        if not len(ranges):
            return np.zeros(0, dtype=np.int64)
        parts = [np.arange(r.top(), r.bottom() + 1, dtype=np.int64) for r in ranges]
        return np.unique(np.concatenate(parts))

    def selected_columns(self) -> list[int]:
        columns: set[int] = set()
        for r in self.view.selectionModel().selection():
            columns.update(range(r.left(), r.right() + 1))
        return sorted(columns)

    def selection_text(self) -> str:
        """The selected cells as tab-separated text, a header line first when more than one row is selected."""
        rows, columns = self.selected_rows(), self.selected_columns()
        if not len(rows) or not columns:
            return ""
        if len(rows) > MAX_COPY_ROWS:
            raise DomainError(f"{len(rows):,} rows are selected; copy at most {MAX_COPY_ROWS:,} at a time (or "
                              "list all traces with 'ipw traces FILE --json')")
        selection = self.view.selectionModel()
        root = self.view.rootIndex()
        lines = []
        if len(rows) > 1:
            keys = self.model.fields()  # field names, so that a pasted table imports again as a trace table
            lines.append("\t".join("Import" if keys[c] == IMPORT_COLUMN else keys[c] for c in columns))
        for row in rows.tolist():
            cells = []
            for column in columns:
                if selection.isSelected(self.model.index(row, column, root)):
                    cells.append(_tsv_cell(self.model.text(row, column)))
                else:
                    cells.append("")
            lines.append("\t".join(cells))
        return "\n".join(lines) + ("\n" if len(lines) > 1 else "")

    def copy_selection(self) -> None:
        try:
            text = self.selection_text()
        except DomainError as error:
            self.banner.show_message(html.escape(str(error)))
            return
        if text:
            QGuiApplication.clipboard().setText(text)

    def delete_selected_rows(self) -> None:
        if self.document is None:
            return
        rows = self.selected_rows()
        if not len(rows):
            return
        ids = self.model.row_ids(rows.tolist())
        self._push(commands.delete_rows(self.document, ids))

    def select_import(self, import_id: int) -> None:
        for row, entry in enumerate(self._imports):
            if entry["importId"] == import_id:
                self.imports_table.selectRow(row)
                return

    def selected_import(self) -> dict[str, Any] | None:
        rows = self.imports_table.selectionModel().selectedRows() if self.imports_table.selectionModel() else []
        if not rows or rows[0].row() >= len(self._imports):
            return None
        return self._imports[rows[0].row()]

    def selected_import_id(self) -> int | None:
        entry = self.selected_import()
        return entry["importId"] if entry else None

    def delete_selected_import(self) -> None:
        entry = self.selected_import()
        if entry is None or self.document is None:
            return
        self._push(commands.delete_import(self.document, entry["importId"], entry["source"]))

    def show_selected_import(self) -> None:
        entry = self.selected_import()
        if entry is not None:
            self.filter_combos["import"].load_choices()
            self.set_filter("import", str(entry["importId"]))

    def _push(self, command) -> None:
        try:
            self.document.push(command)
        except DomainError as error:
            self.banner.show_message(html.escape(str(error)))
            return
        self.banner.clear()

    # ---- Import, templates, originals ------------------------------------------------------------------
    def on_import(self):
        if self.document is None:
            return None
        try:
            self.document.check_editable()
        except DomainError as error:
            show_error(self, "Cannot import", str(error))
            return None
        self.dialog = open_import_dialog(self)
        return self.dialog

    def on_import_finished(self, dialog) -> None:
        if dialog.imported_ids:
            self.info.show_message(html.escape(dialog.message) + " Undo (Ctrl+Z) removes the import again.")
        self.dialog = None

    def on_template(self, kind: str) -> Path | None:
        entry = next(t for t in TEMPLATES if t[0] == kind)
        _kind, caption, name, file_filter, writer_name = entry
        suggested = str(Path(settings.last_folder("templates")) / name)
        path = ask_save_path(self, caption.rstrip("."), suggested, file_filter)
        if path is None:
            return None
        try:
            from desktop import importers

            writer = getattr(importers, writer_name)
            writer(path)
        except (ImportError, AttributeError):
            show_error(self, "Templates", "The trace templates are not available in this build.")
            return None
        except (OSError, DomainError) as error:
            show_error(self, "Templates", f"{path.name} was not written: {error}")
            return None
        settings.set_last_folder("templates", path.parent)
        self.info.show_message(html.escape(f"Wrote {path}"))
        return path

    def save_original(self) -> Path | None:
        entry = self.selected_import()
        if entry is None or not entry["originalKept"] or self.document is None:
            return None
        data = traces.original_file(self.document.store, entry["importId"])
        if data is None:
            show_error(self, "Original file", "The workbook holds no copy of this file.")
            return None
        suggested = str(Path(settings.last_folder("traces")) / entry["source"])
        path = ask_save_path(self, "Save original file", suggested, "All files (*)")
        if path is None:
            return None
        try:
            path.write_bytes(data)
        except OSError as error:
            show_error(self, "Original file", f"{path.name} was not written: {error.strerror}")
            return None
        self.info.show_message(html.escape(f"Wrote {path} ({len(data):,} bytes, SHA-256 {entry['sha256']})"))
        return path

    # ---- Display ---------------------------------------------------------------------------------------
    def _show_import_details(self) -> None:
        entry = self.selected_import()
        if entry is None:
            self.details.setHtml("<p>Select an import to see where its rows came from.</p>" if self._imports
                                 else "<p>No imports yet. Use <b>Import traces...</b> to bring in spreadsheets, "
                                      "benchmark results or request logs, or <b>Templates...</b> for a sheet "
                                      "your teams can fill in.</p>")
            self._update_buttons()
            return
        self.details.setHtml(provenance_html(entry))
        self._update_buttons()

    def _update_buttons(self) -> None:
        editable = self.document is not None and not self.document.read_only
        has_rows = bool(len(self.view.selectionModel().selection())) if self.view.selectionModel() else False
        entry = self.selected_import()
        self.import_button.setEnabled(editable)
        self.delete_rows_button.setEnabled(editable and has_rows)
        self.delete_action.setEnabled(editable)
        self.copy_button.setEnabled(has_rows)
        self.delete_import_button.setEnabled(editable and entry is not None)
        self.show_import_button.setEnabled(entry is not None)
        self.save_original_button.setEnabled(entry is not None and entry["originalKept"])

    def _update_count(self) -> None:
        rows = self.model.rowCount()
        text = f"{rows:,} row{'s' if rows != 1 else ''}"
        if self.model.filters:
            text += " (filtered)"
        if self.model.loading:
            text += " - reading..."
        self.count_label.setText(text)

    def _on_model_reset(self) -> None:
        self._update_count()
        self._update_buttons()
        if self._to_top:  # a new filter or order starts at its first row; a data reload keeps the place
            self._to_top = False
            self.view.scrollToTop()
        fields = tuple(self.model.fields())
        if fields == getattr(self, "_sized_for", None):
            return  # same columns: keep the widths the officer chose
        self._sized_for = fields
        wide = {"route": 215, "model": 190, "provider": 140, "workload": 170, IMPORT_COLUMN: 64}
        for column, name in enumerate(fields):
            title = self.model.headerData(column, Qt.Orientation.Horizontal) or ""
            self.view.setColumnWidth(column, wide.get(name, max(64, min(220, 8 * len(title) + 30))))

    def _on_edit_rejected(self, message: str) -> None:
        self.banner.show_message(html.escape(message))


def _tsv_cell(text: str) -> str:
    return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")
