"""Pieces of the Sign-off page: its read-only tables, text fields that look read-only once signed, and the
decision content computed on a worker thread (it reads every trace row: seconds at a million)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import (QAbstractItemView, QFrame, QHeaderView, QLabel, QLineEdit, QPlainTextEdit,
                               QTableWidget, QTableWidgetItem, QWidget)

from desktop.domain.playbook import Playbook
from desktop.domain.progress import Cancelled, check_cancelled
from desktop.domain.workbook import GateStatus, Workbook
from desktop.services.signoff import DECISIONS
from desktop.ui import theme
from desktop.exports.plan_text import total_usd, totals_lines
from desktop.ui.plan_state import plan_state

_STATUS_ROLES = {GateStatus.PASSED: "passed", GateStatus.AT_RISK: "at-risk", GateStatus.FAILED: "failed",
                 GateStatus.NOT_ASSESSED: "not-assessed"}


def compute_decision(database: Path, workbook: Workbook, playbook: Playbook, economics: Any, control: Any) -> Any:
    """The decision content of `workbook` from `economics` (the document's shared economics for this very state:
    not computed again), over the worker's own connection to the working copy `database` for the traces hash and
    the imports (runs on a worker thread)."""
    from desktop.exports.content import build_decision
    from desktop.exports.decision_cache import keep_parts
    from desktop.storage.trace_store import open_worker_connection

    check_cancelled(control)
    if not Path(database).exists():  # the document was closed meanwhile
        raise Cancelled("closed")
    store = open_worker_connection(database)
    try:
        decision = build_decision(store, workbook, playbook, economics=economics)
        keep_parts(store, workbook, playbook, decision)  # for the tamper banner and `ipw info` on the saved file
    finally:
        store.close()
    check_cancelled(control)
    return decision


def gate_rows(playbook: Playbook, workbook: Workbook) -> tuple[list[list[str]], dict[tuple[int, int], str]]:
    """The gates table's rows (gate, verdict, items done, remark) and the verdicts' colours."""
    rows, colours = [], {}
    for r, gate in enumerate(playbook.gates):
        assessment = workbook.gates[gate.slug]
        done = assessment.items_done
        total = len(assessment.items)
        if assessment.is_exception:
            items = ", ".join(str(n) for n in assessment.open_items)
            remark = f"Exception: passed with open item(s) {items}. Justification: {assessment.justification}"
        elif assessment.open_items:
            remark = "Open items: " + ", ".join(str(n) for n in assessment.open_items)
        else:
            remark = "All items done"
        verdict = "Passed (exception)" if assessment.is_exception else assessment.status.label
        rows.append([gate.name, verdict, f"{done} of {total}", remark])
        colours[(r, 1)] = theme.colour(_STATUS_ROLES[assessment.status])
    return rows, colours


def readiness_rows(playbook: Playbook, workbook: Workbook) -> tuple[list[list[str]], dict[tuple[int, int], str]]:
    """The readiness table's rows (dimension, score, reference, against the threshold) and their colours."""
    threshold = workbook.context.readiness_threshold
    rows, colours = [], {}
    for r, dimension in enumerate(playbook.readiness):
        score = workbook.scores[dimension.slug].score
        if score is None:
            against = "not yet scored"
        else:
            against = f"{'meets' if score >= threshold else 'below'} {threshold}"
            colours[(r, 3)] = theme.colour("passed" if score >= threshold else "failed")
        rows.append([dimension.name, "-" if score is None else str(score), str(dimension.reference_score),
                     against])
    return rows, colours


def audit_rows(log: Any) -> list[list[str]]:
    """The audit table's rows: sequence, time, action, actor, what it recorded in words, the entry hash."""
    rows = []
    for entry in log:
        detail = entry.detail
        if entry.action == "sign":
            text = DECISIONS.get(detail.get("decision", ""), detail.get("decision", ""))
            if detail.get("conditions"):
                text += f" ({detail['conditions']})"
            text += f"; fingerprint {str(detail.get('fingerprint', ''))[:16]}…"
            if detail.get("signature"):
                text += f"; key {detail.get('keyFingerprint')}"
            if detail.get("draftMatches") is False:
                text += "; the draft read differed from the content signed"
        elif entry.action == "revoke":
            text = f"Reason: {detail.get('reason', '')}"
        else:
            text = ", ".join(f"{k}: {v}" for k, v in sorted(detail.items()))
        rows.append([str(entry.sequence), entry.at.replace("T", " ").replace("+00:00", ""), entry.action,
                     entry.actor, text, entry.entry_hash[:12] + "…"])
    return rows


def look_read_only(widget: QLineEdit | QPlainTextEdit, read_only: bool) -> None:
    """Read-only text on the window's own background without a frame: it no longer looks like a field to type
    in (a disabled field would grey the recorded sign-off out; a read-only one keeps it selectable)."""
    widget.setReadOnly(read_only)
    palette = widget.palette()
    base = QGuiApplication.palette().color(QPalette.ColorRole.Window if read_only else QPalette.ColorRole.Base)
    palette.setColor(QPalette.ColorRole.Base, base)
    widget.setPalette(palette)
    if isinstance(widget, QLineEdit):
        widget.setFrame(not read_only)
    else:
        widget.setFrameShape(QFrame.Shape.NoFrame if read_only else QFrame.Shape.StyledPanel)


def table(columns: list[str], accessible: str) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setAccessibleName(accessible)
    table.setHorizontalHeaderLabels(columns)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setTabKeyNavigation(False)
    table.setWordWrap(True)
    table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    header = table.horizontalHeader()
    for section in range(len(columns) - 1):
        header.setSectionResizeMode(section, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(len(columns) - 1, QHeaderView.ResizeMode.Stretch)
    return table


def fill_table(table: QTableWidget, rows: list[list[str]], colours: dict[tuple[int, int], str] | None = None) -> None:
    table.setRowCount(len(rows))
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            colour = (colours or {}).get((r, c))
            if colour:
                item.setForeground(QColor(colour))
            table.setItem(r, c, item)
    table.resizeRowsToContents()
    height = sum(table.rowHeight(r) for r in range(table.rowCount()))
    table.setFixedHeight(height + table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth() + 2)


class PlanLine(QLabel):
    """One line on the Sign-off page: the plan's monthly total and saving, so the approver signs the money too.

    It follows the document's shared plan (computed in the background by ui/plan_state, never here)."""

    def __init__(self) -> None:
        super().__init__()
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setAccessibleName("The plan being signed")
        self._state = None

    def follow(self, document) -> None:
        state = plan_state(document)
        if state is not self._state:
            if self._state is not None:
                try:
                    self._state.updated.disconnect(self.show_plan)
                except (RuntimeError, TypeError):
                    pass
            self._state = state
            state.updated.connect(self.show_plan)
        if state.plan is not None:
            self.show_plan(state.plan)
        else:
            self.setText("Plan: <i>working it out…</i>")

    def show_plan(self, plan) -> None:
        workloads = plan.get("workloads") or []
        if not workloads or total_usd(plan) is None:
            self.setText("Plan: <i>no monthly total yet</i> (see the Plan page for what it needs)")
            return
        totals = dict(totals_lines(plan))
        self.setText(f"<span style='font-size:12pt'>Plan: <b>{html.escape(totals['Plan, per month'])}</b> a month"
                     f"</span> for {len(workloads)} workload{'s' if len(workloads) != 1 else ''}, saving "
                     f"<b>{html.escape(totals['Saving against the baseline, per month'])}</b> a month against "
                     "Managed API only (routes per workload on the Plan page)")


def officer_key(parent: QWidget) -> Any:
    """The officer's signing key, created on confirmation when there is none; None when declined."""
    from desktop.exports import pdf_signature, signing
    from desktop.ui.widgets import dialogs

    if not signing.key_exists():
        if not dialogs.confirm(parent, "Create a signing key",
                               "You have no signing key yet. Create an Ed25519 key on this computer, "
                               f"readable only by you, in {signing.default_key_path()}?"):
            return None
        signing.generate_key()
    pdf_signature.ensure_own_credentials()  # the certificate that signs the memo as a PDF
    return signing.load_private_key()
