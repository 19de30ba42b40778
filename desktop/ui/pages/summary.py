"""The assessment summary: every gate's verdict and progress, the exceptions and warnings, readiness
against the threshold, and links back to each page to fix what is missing."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QProgressBar,
                               QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from desktop.domain import gates as rules
from desktop.domain.evidence import EvidenceCheck
from desktop.domain.playbook import Playbook
from desktop.domain.workbook import GateStatus
from desktop.storage import evidence as evidence_files
from desktop.ui import theme
from desktop.ui.pages.base import Page, scrolling

_KIND_LABELS = {"exception": "Exception", "failed": "Failed", "at-risk": "At risk", "not-assessed": "Open"}
_STATUS_ROLES = {GateStatus.PASSED: "passed", GateStatus.AT_RISK: "at-risk", GateStatus.FAILED: "failed"}


def evidence_flags(playbook: Playbook, document) -> list[tuple[str, int, str]]:
    """(gate slug, item number, message) for every evidence file that changed or went missing."""
    flags = []
    for gate in playbook.gates:
        for spec, item in zip(gate.checklist, document.workbook.gates[gate.slug].items):
            if item.evidence is None:
                continue
            state = evidence_files.check(item.evidence, document.path)
            if state.flagged:
                what = "changed since it was attached" if state is EvidenceCheck.CHANGED else "is not found"
                if state is EvidenceCheck.MISSING and item.evidence.embedded:
                    what += " (an embedded copy is in the workbook)"
                flags.append((gate.slug, spec.number,
                              f"{gate.name}, item {spec.number} ({spec.text}): {item.evidence.path} {what}"))
    return flags


class SummaryPage(Page):
    """Where the assessment stands, gate by gate.

    Signals:
        sig_page_requested(str): the officer asked to go to a page ("context", "gate:<slug>", "readiness").
    """

    sig_page_requested = Signal(str)
    """A link to another page was followed."""

    def __init__(self, playbook: Playbook) -> None:
        super().__init__()
        self.playbook = playbook
        self.title = "Assessment summary"
        self.setAccessibleName("Assessment summary")
        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(16, 12, 16, 12)
        column.setSpacing(10)
        column.addWidget(QLabel("<h2 style='margin:0'>Assessment summary</h2>"))
        self.decision_label = QLabel()
        self.decision_label.setWordWrap(True)
        column.addWidget(self.decision_label)

        overall = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Evidence items done across all gates")
        self.progress.setFixedSize(200, 12)
        self.progress.setTextVisible(False)
        self.overall_label = QLabel()
        self.overall_label.setWordWrap(True)
        overall.addWidget(QLabel("<b>Evidence collected:</b>"))
        overall.addWidget(self.progress)
        overall.addWidget(self.overall_label, 1)
        column.addLayout(overall)

        gates_box = QGroupBox("Gates")
        gates_layout = QVBoxLayout(gates_box)
        self.table = QTableWidget(len(playbook.gates), 5)
        self.table.setAccessibleName("Gates: verdict and checklist progress")
        self.table.setHorizontalHeaderLabels(["Gate", "Verdict", "Items done", "Evidence attached", "Remarks"])
        header = self.table.horizontalHeader()
        for section in range(4):
            header.setSectionResizeMode(section, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTabKeyNavigation(False)
        self.table.setWordWrap(True)
        self.table.activated.connect(lambda index: self._open_gate_row(index.row()))
        self.table.doubleClicked.connect(lambda index: self._open_gate_row(index.row()))
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        gate_buttons = QHBoxLayout()
        self.open_gate_button = QPushButton("&Open selected gate")
        self.open_gate_button.setAccessibleName("Open the selected gate's page")
        self.open_gate_button.setAutoDefault(False)
        self.open_gate_button.clicked.connect(lambda: self._open_gate_row(self.table.currentRow()))
        gate_buttons.addWidget(self.open_gate_button)
        gate_buttons.addStretch(1)
        gates_layout.addWidget(self.table)
        gates_layout.addLayout(gate_buttons)
        column.addWidget(gates_box)

        columns = QHBoxLayout()
        findings_box = QGroupBox("Exceptions and warnings")
        findings_layout = QVBoxLayout(findings_box)
        self.findings_label = QLabel()
        self.findings_label.setWordWrap(True)
        self.findings_label.setTextFormat(Qt.TextFormat.RichText)
        self.findings_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.findings_label.setAlignment(Qt.AlignmentFlag.AlignTop)
        findings_layout.addWidget(self.findings_label)
        findings_layout.addStretch(1)
        columns.addWidget(findings_box, 3)

        side = QVBoxLayout()
        readiness_box = QGroupBox("Readiness")
        readiness_layout = QVBoxLayout(readiness_box)
        self.readiness_label = QLabel()
        self.readiness_label.setWordWrap(True)
        self.readiness_button = QPushButton("&Readiness scores")
        self.readiness_button.setAccessibleName("Go to the readiness scores")
        self.readiness_button.setAutoDefault(False)
        self.readiness_button.clicked.connect(lambda: self.sig_page_requested.emit("readiness"))
        readiness_layout.addWidget(self.readiness_label)
        readiness_layout.addWidget(self.readiness_button, 0, Qt.AlignmentFlag.AlignLeft)
        context_box = QGroupBox("Buyer context")
        context_layout = QVBoxLayout(context_box)
        self.context_label = QLabel()
        self.context_label.setWordWrap(True)
        self.context_button = QPushButton("Buyer &context")
        self.context_button.setAccessibleName("Go to the buyer context")
        self.context_button.setAutoDefault(False)
        self.context_button.clicked.connect(lambda: self.sig_page_requested.emit("context"))
        context_layout.addWidget(self.context_label)
        context_layout.addWidget(self.context_button, 0, Qt.AlignmentFlag.AlignLeft)
        side.addWidget(readiness_box)
        side.addWidget(context_box)
        side.addStretch(1)
        columns.addLayout(side, 2)
        column.addLayout(columns)
        column.addStretch(1)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scrolling(content))
        chain = [self.table, self.open_gate_button, self.readiness_button, self.context_button]
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)

    # ---- Public API ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        document = self.document
        if document is None:
            return
        workbook = document.workbook
        context = workbook.context
        title = html.escape(context.title or "Untitled decision")
        who = html.escape(context.organisation or "organisation not set")
        self.decision_label.setText(f"<b>{title}</b> ({who})")
        gates = [workbook.gates[g.slug] for g in self.playbook.gates]
        overall = rules.overall_progress(gates)
        self.progress.setRange(0, max(overall.total, 1))
        self.progress.setValue(overall.done)
        self.progress.setFormat(f"{overall.done} of {overall.total}")
        counts = {status: sum(1 for g in gates if g.status is status) for status in GateStatus}
        self.overall_label.setText(
            f"{overall.done} of {overall.total} items done ({overall.fraction:.0%}); "
            f"{rules.gates_assessed(gates)} of {len(gates)} gates assessed: {counts[GateStatus.PASSED]} passed, "
            f"{counts[GateStatus.AT_RISK]} at risk, {counts[GateStatus.FAILED]} failed")
        flags = evidence_flags(self.playbook, document)
        for row, (definition, gate) in enumerate(zip(self.playbook.gates, gates)):
            progress = rules.gate_progress(gate)
            attached = sum(1 for item in gate.items if item.evidence is not None)
            embedded = sum(1 for item in gate.items if item.evidence is not None and item.evidence.embedded)
            remarks = []
            if gate.is_exception:
                remarks.append("passed with open items (exception)")
            gate_flags = [f for f in flags if f[0] == gate.slug]
            if gate_flags:
                remarks.append(f"{len(gate_flags)} evidence file(s) changed or missing")
            if gate.note:
                remarks.append("note: " + gate.note.splitlines()[0][:80])
            cells = [f"{self.playbook.gates.index(definition) + 1}. {definition.name}", gate.status.label,
                     f"{progress.done} of {progress.total}",
                     f"{attached}" + (f" ({embedded} embedded)" if embedded else ""), "; ".join(remarks)]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if column == 1 and gate.status in _STATUS_ROLES:
                    item.setForeground(QColor(theme.colour(_STATUS_ROLES[gate.status])))
                self.table.setItem(row, column, item)
        self.table.resizeRowsToContents()
        rows = sum(self.table.rowHeight(r) for r in range(self.table.rowCount()))
        self.table.setFixedHeight(rows + self.table.horizontalHeader().sizeHint().height() + 2 * self.table.frameWidth() + 2)
        if self.table.currentRow() < 0:
            self.table.setCurrentCell(0, 0)

        lines = []
        for finding in rules.findings(self.playbook, workbook.gates):
            lines.append(f"<li><b>{_KIND_LABELS[finding.kind]}:</b> {html.escape(finding.text)}</li>")
        for _slug, _number, message in flags:
            lines.append(f"<li><b>Evidence:</b> {html.escape(message)}</li>")
        self.findings_label.setText(f"<ul style='margin-left:-20px'>{''.join(lines)}</ul>" if lines else
                                    "None: every gate is passed with its checklist complete.")

        threshold = context.readiness_threshold
        rows = []
        for dimension in self.playbook.readiness:
            score = workbook.scores[dimension.slug].score
            if score is None:
                verdict = "not yet scored"
            else:
                verdict = f"{score}, " + ("meets" if score >= threshold else "below") + " the threshold"
            rows.append(f"<tr><td>{html.escape(dimension.name)}</td><td>&nbsp;{verdict}</td></tr>")
        self.readiness_label.setText(f"Threshold {threshold}.<table>{''.join(rows)}</table>")
        workloads = context.workloads
        total = sum(w.monthly_requests for w in workloads)
        details = [f"Workloads in scope: {len(workloads)} ({total:,.0f} requests per month)" if workloads
                   else "Workloads in scope: none yet",
                   f"Currency: {context.currency}" + ("" if context.currency == "USD" else
                                                      f" at {context.fx_to_usd:g} USD ({context.fx_date or 'no date'})"),
                   "Reviewer rate: " + ("not set" if context.reviewer_rate_usd_per_hour is None
                                        else f"{context.reviewer_rate_usd_per_hour:,.2f} USD/h"),
                   "Target p95: " + ("not set" if context.target_p95_ms is None
                                     else f"{context.target_p95_ms:,.0f} ms")]
        self.context_label.setText("<br>".join(html.escape(d) for d in details))

    # ---- Private API --------------------------------------------------------------------------------
    def _open_gate_row(self, row: int) -> None:
        if 0 <= row < len(self.playbook.gates):
            self.sig_page_requested.emit(f"gate:{self.playbook.gates[row].slug}")
