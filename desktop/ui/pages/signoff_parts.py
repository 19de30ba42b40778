"""Pieces of the Sign-off page: its read-only tables, text fields that look read-only once signed, and the
decision content computed on a worker thread (it reads every trace row: seconds at a million)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import (QAbstractItemView, QFrame, QHeaderView, QLabel, QLineEdit, QPlainTextEdit,
                               QTableWidget, QTableWidgetItem)

from desktop.domain.playbook import Playbook
from desktop.domain.progress import Cancelled, check_cancelled
from desktop.domain.workbook import Workbook
from desktop.exports.plan_text import total_usd, totals_lines
from desktop.ui.plan_state import plan_state


def compute_decision(database: Path, workbook: Workbook, playbook: Playbook, economics: Any, control: Any) -> Any:
    """The decision content of `workbook` from `economics` (the document's shared economics for this very state:
    not computed again), over the worker's own connection to the working copy `database` for the traces hash and
    the imports (runs on a worker thread)."""
    from desktop.exports.content import build_decision
    from desktop.storage.trace_store import open_worker_connection

    check_cancelled(control)
    if not Path(database).exists():  # the document was closed meanwhile
        raise Cancelled("closed")
    store = open_worker_connection(database)
    try:
        decision = build_decision(store, workbook, playbook, economics=economics)
    finally:
        store.close()
    check_cancelled(control)
    return decision


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
