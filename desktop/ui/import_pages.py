"""The import dialog's three pages, built as widgets: the files and options, the progress of reading or
storing, and the preview with every problem. `ImportDialog` (desktop.ui.import_dialog) mixes this in and
reacts to the buttons; nothing here reads or writes a workbook."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGridLayout,
                               QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QListWidget, QProgressBar,
                               QPushButton, QSplitter, QTableView, QTableWidget, QVBoxLayout, QWidget)

from desktop.domain.trace import FIELDS_BY_NAME
from desktop.services.imports import DEFAULT_KEEP_ORIGINAL_BYTES
from desktop.ui.import_problems import ProblemModel
from desktop.ui.trace_model import field_label, field_tooltip
from desktop.ui.widgets.banner import Banner

# ---- Constants

FORMAT_CHOICES: tuple[tuple[str, str], ...] = (
    ("auto", "Detect from the file's content"),
    ("csv", "CSV spreadsheet"),
    ("tsv", "Tab-separated spreadsheet"),
    ("xlsx", "Excel workbook (XLSX)"),
    ("ods", "LibreOffice spreadsheet (ODS)"),
    ("vllm", "vLLM bench serve result (JSON)"),
    ("llmperf", "llmperf summary (JSON)"),
    ("sglang", "SGLang bench_serving result (JSONL)"),
    ("genai-perf", "GenAI-Perf export (JSON)"),
    ("aiperf", "AIPerf export (JSON)"),
    ("guidellm", "GuideLLM benchmarks (JSON)"),
    ("inference-perf", "inference-perf lifecycle summary (JSON)"),
    ("requests", "Request-level log (CSV or JSONL)"),
)
# Fields benchmark tools do not record; the officer gives one value for every row of the import.
SET_FIELDS = ("route", "provider", "workload", "batchEligible", "acceptedOutputRate", "costUsd", "reviewMinutes",
              "concurrency")


# ---- Public API

class ImportPages:
    """The page-building half of ImportDialog: creates the widgets as attributes of the dialog and connects
    them to its handlers (`on_add_files`, `start_parse`, `start_store`, `cancel_task`, `reject`, ...)."""

    def _build_options_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        intro = QLabel("Choose the files to import: trace spreadsheets (CSV, TSV, XLSX, ODS), benchmark result "
                       "files (vLLM, llmperf, SGLang, GenAI-Perf, AIPerf, GuideLLM, inference-perf) or "
                       "request-level logs. Several files become one import and one undo step. Nothing is "
                       "written until you have seen every problem.")
        intro.setWordWrap(True)
        layout.addWidget(intro)

        files_box = QGroupBox("Files")
        files_layout = QHBoxLayout(files_box)
        self.file_list = QListWidget()
        self.file_list.setAccessibleName("Files to import")
        self.file_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.file_list.setMinimumHeight(90)
        files_layout.addWidget(self.file_list, 1)
        file_buttons = QVBoxLayout()
        self.add_button = QPushButton("&Add files...")
        self.add_button.clicked.connect(self.on_add_files)
        self.remove_button = QPushButton("&Remove")
        self.remove_button.clicked.connect(self.on_remove_files)
        file_buttons.addWidget(self.add_button)
        file_buttons.addWidget(self.remove_button)
        file_buttons.addStretch(1)
        files_layout.addLayout(file_buttons)
        layout.addWidget(files_box, 1)

        how = QGroupBox("How to read them")
        form = QFormLayout(how)
        self.format_combo = QComboBox()
        for key, label in FORMAT_CHOICES:
            self.format_combo.addItem(label, key)
        self.format_combo.setAccessibleName("Format")
        form.addRow("&Format:", self.format_combo)
        self.sheet_combo = QComboBox()
        self.sheet_combo.setEditable(True)
        self.sheet_combo.addItem("First sheet with a trace header", None)
        self.sheet_combo.setAccessibleName("Sheet")
        self.sheet_combo.setToolTip("For XLSX and ODS workbooks with several sheets; the sheet names appear "
                                    "here once the files have been read")
        form.addRow("&Sheet:", self.sheet_combo)
        self.decimal_combo = QComboBox()
        self.decimal_combo.addItem("Automatic: decimal comma only in ';'-separated files", None)
        self.decimal_combo.addItem("Decimal comma (1,5 means 1.5)", True)
        self.decimal_combo.addItem("Decimal point (1.5)", False)
        self.decimal_combo.setAccessibleName("Decimal separator")
        form.addRow("&Decimals:", self.decimal_combo)
        self.keep_spin = QDoubleSpinBox()
        self.keep_spin.setRange(0, 2000)
        self.keep_spin.setDecimals(0)
        self.keep_spin.setSuffix(" MB")
        self.keep_spin.setValue(DEFAULT_KEEP_ORIGINAL_BYTES / 1_000_000)
        self.keep_spin.setAccessibleName("Keep original files up to")
        self.keep_spin.setToolTip("The original file's bytes are kept in the workbook as evidence when it is "
                                  "no larger than this (0 keeps none)")
        form.addRow("&Keep originals up to:", self.keep_spin)
        layout.addWidget(how)

        given = QGroupBox("Values for fields the files do not record (one value for every row)")
        grid = QGridLayout(given)
        may_be_empty = ", ".join(field_label(name) for name in SET_FIELDS if FIELDS_BY_NAME[name].nullable)
        hint = QLabel("Tick a field to give it a value; a value that differs from one in the file is reported "
                      f"as a problem. For {may_be_empty} an empty value means 'not observed'. Your choices are "
                      "remembered for the next import.")
        hint.setWordWrap(True)
        grid.addWidget(hint, 0, 0, 1, 4)
        self.set_checks: dict[str, QCheckBox] = {}
        self.set_editors: dict[str, QWidget] = {}
        for position, name in enumerate(SET_FIELDS):
            check = QCheckBox(field_label(name))
            editor = self._set_editor(name)
            editor.setEnabled(False)
            check.toggled.connect(editor.setEnabled)
            check.setToolTip(field_tooltip(name))
            editor.setToolTip(field_tooltip(name))
            editor.setAccessibleName(f"Value for {field_label(name)}")
            self.set_checks[name] = check
            self.set_editors[name] = editor
            row, col = 1 + position // 2, (position % 2) * 2
            grid.addWidget(check, row, col)
            grid.addWidget(editor, row, col + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        layout.addWidget(given)

        self.options_banner = Banner("error")
        layout.addWidget(self.options_banner)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.options_cancel = QPushButton("Cancel")
        self.options_cancel.clicked.connect(self.reject)
        self.read_button = QPushButton("Read and &check")
        self.read_button.setDefault(True)
        self.read_button.clicked.connect(self.start_parse)
        buttons.addWidget(self.options_cancel)
        buttons.addWidget(self.read_button)
        layout.addLayout(buttons)
        return page

    def _set_editor(self, name: str) -> QWidget:
        if name == "route":
            combo = QComboBox()
            for route in sorted(set(self._aliases.values())):
                combo.addItem(route)
            return combo
        if name == "batchEligible":
            combo = QComboBox()
            combo.addItems(["no", "yes"])
            return combo
        editor = QLineEdit()
        spec = FIELDS_BY_NAME[name]
        if spec.nullable:
            editor.setPlaceholderText("empty: not observed")
        elif spec.unit:
            editor.setPlaceholderText(spec.unit)
        return editor

    def _build_progress_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        self.progress_title = QLabel()
        self.progress_title.setWordWrap(True)
        self.progress_label = QLabel()
        self.progress_label.setWordWrap(True)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setAccessibleName("Progress")
        layout.addWidget(self.progress_title)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.progress_label)
        layout.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.progress_cancel = QPushButton("Cancel")
        self.progress_cancel.clicked.connect(self.cancel_task)
        buttons.addWidget(self.progress_cancel)
        layout.addLayout(buttons)
        return page

    def _build_preview_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextFormat(Qt.TextFormat.RichText)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary_label)
        sheet_row = QHBoxLayout()
        self.preview_sheet_label = QLabel("Sheet:")
        self.preview_sheet_combo = QComboBox()
        self.preview_sheet_combo.setAccessibleName("Sheet to read")
        self.preview_sheet_combo.activated.connect(self._on_preview_sheet)
        self.preview_sheet_label.setBuddy(self.preview_sheet_combo)
        sheet_row.addWidget(self.preview_sheet_label)
        sheet_row.addWidget(self.preview_sheet_combo)
        sheet_row.addStretch(1)
        self.sheet_row_host = QWidget()
        self.sheet_row_host.setLayout(sheet_row)
        sheet_row.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.sheet_row_host)

        splitter = QSplitter(Qt.Orientation.Vertical)
        rows_host = QWidget()
        rows_layout = QVBoxLayout(rows_host)
        rows_layout.setContentsMargins(0, 0, 0, 0)
        self.rows_label = QLabel()
        rows_layout.addWidget(self.rows_label)
        self.preview_table = QTableWidget()
        self.preview_table.setAccessibleName("Rows to be imported")
        self.preview_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview_table.verticalHeader().setDefaultSectionSize(22)
        rows_layout.addWidget(self.preview_table)
        splitter.addWidget(rows_host)
        problems_host = QWidget()
        problems_layout = QVBoxLayout(problems_host)
        problems_layout.setContentsMargins(0, 0, 0, 0)
        self.problems_label = QLabel()
        problems_layout.addWidget(self.problems_label)
        self.problem_model = ProblemModel(parent=self, settable=SET_FIELDS)
        self.problem_view = QTableView()
        self.problem_view.setModel(self.problem_model)
        self.problem_view.setAccessibleName("Problems")
        self.problem_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.problem_view.verticalHeader().setVisible(False)
        self.problem_view.verticalHeader().setDefaultSectionSize(22)
        header = self.problem_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((160, 60, 170, 120)):
            self.problem_view.setColumnWidth(column, width)
        problems_layout.addWidget(self.problem_view)
        splitter.addWidget(problems_host)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        layout.addWidget(splitter, 1)

        # Implausible rows (p50 above p95...) import only with the officer's reason, recorded like the CLI's
        # --accept-warnings; shown only when the preview has warnings.
        self.warnings_host = QWidget()
        reason_row = QHBoxLayout(self.warnings_host)
        reason_row.setContentsMargins(0, 0, 0, 0)
        self.warnings_reason_label = QLabel("&Why import the rows with warnings anyway?")
        self.warnings_reason = QLineEdit()
        self.warnings_reason.setAccessibleName("Reason for importing rows with warnings")
        self.warnings_reason.setPlaceholderText("e.g. the vendor confirmed these figures by mail (recorded with "
                                                "the import)")
        self.warnings_reason.setToolTip("Required to import rows with plausibility warnings; kept in the "
                                        "import's provenance")
        self.warnings_reason_label.setBuddy(self.warnings_reason)
        self.warnings_reason.textChanged.connect(self._update_import_buttons)
        reason_row.addWidget(self.warnings_reason_label)
        reason_row.addWidget(self.warnings_reason, 1)
        self.warnings_host.setVisible(False)
        layout.addWidget(self.warnings_host)

        buttons = QHBoxLayout()
        self.back_button = QPushButton("< &Back")
        self.back_button.setToolTip("Change the files or options and read them again")
        self.back_button.clicked.connect(lambda: self._show("options"))
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        self.preview_cancel = QPushButton("Cancel")
        self.preview_cancel.setToolTip("Import nothing; fix the files and import them again")
        self.preview_cancel.clicked.connect(self.reject)
        self.valid_only_button = QPushButton("Import &valid rows only")
        self.valid_only_button.setToolTip("Import the rows without problems and leave the others out; the "
                                          "choice is recorded in the import's provenance")
        self.valid_only_button.clicked.connect(lambda: self.start_store(valid_only=True))
        self.import_button = QPushButton("&Import")
        self.import_button.clicked.connect(lambda: self.start_store(valid_only=False))
        buttons.addWidget(self.preview_cancel)
        buttons.addWidget(self.valid_only_button)
        buttons.addWidget(self.import_button)
        layout.addLayout(buttons)
        return page
