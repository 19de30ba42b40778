"""The Plan page: a route for every workload, what it costs a month, and what each lever saves.

What it shows comes from the document's `PlanState` (computed in the background after every change):
the per-workload table (volume, chosen route with the trace rows it rests on, fallback, monthly cost,
cost shape, measured or modelled, reasons), the totals against the baseline, the lever panel with each
lever's saving, the waterfall (baseline to plan) and the tornado (what moves the total most), and the
constraints editor. Every edit (a lever, an allowed route, the budget cap) is one undoable command.
All amounts are in the workbook's display currency, written by the one formatter.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (QGridLayout, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QSizePolicy,
                               QTableView, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from desktop.domain.errors import DomainError
from desktop.domain.formatting import USD, DisplayCurrency
from desktop.domain.playbook import Playbook
from desktop.domain.workbook import PlanSettings
from desktop.exports.plan_figures import plan_tornado, plan_waterfall, volume_ranges
from desktop.exports.plan_text import (PlanRow, currency_statement, money, plan_currency, plan_rows, route_label,
                                       totals_lines)
from desktop.ui import commands, theme
from desktop.ui.pages.base import Page, scrolling
from desktop.ui.plan_state import PlanState, plan_state
from desktop.ui.widgets.banner import Banner
from desktop.ui.widgets.plan_inputs import ConstraintsEditor, LeverPanel

COLUMNS = ("Workload", "Volume a month", "Route", "Fallback", "Monthly cost", "Cost shape", "Basis", "Reasons")
NUMERIC = {1, 4}
NO_WORKLOADS = ("<i>No workloads in scope yet:</i> add them with their monthly volume on the Buyer context page; "
                "the plan then shows a route and a monthly cost for each.")


CANDIDATE_COLUMNS = ("Route", "Monthly cost", "Rules", "Qualifies", "Why")


def candidate_rows(workload: Mapping[str, Any], currency: DisplayCurrency, playbook: Any) -> list[tuple[str, ...]]:
    """(route with what it rests on, monthly cost, rule status, qualifies, why) per candidate route."""
    rows = []
    chosen, fallback = workload.get("routeSlug"), workload.get("fallbackSlug")
    for c in workload.get("candidates") or ():
        role = " (chosen)" if c.get("slug") == chosen else " (fallback)" if c.get("slug") == fallback else ""
        why = c.get("reason") or " ".join(c.get("statusReasons") or ()) or (
            "not allowed by the constraints" if not c.get("allowed") else
            "over the target p95" if c.get("meetsTarget") is False else "")
        name, _, rests = route_label(playbook, c.get("route"), c.get("measured"), c.get("traceRoute")).partition(", ")
        rows.append((f"{name}{role}" + (f"\n{rests}" if rests else ""),  # the route over what it rests on
                     money(c, "monthlyCost", currency), str(c.get("status") or ""),
                     "yes" if c.get("qualifies") else "no", why))
    return rows


class PlanTableModel(QAbstractTableModel):
    """The plan's workloads, one row each; every cell is the text the memo and the sheets show too."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[PlanRow] = []

    def set_rows(self, rows: list[PlanRow]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def cell(self, row: int, column: int) -> str:
        r = self.rows[row]
        return (r.workload, r.volume, r.route, r.fallback, r.monthly, r.shape, r.basis, "; ".join(r.reasons))[column]

    def shown(self, row: int, column: int) -> str:
        """The cell as drawn: a route on one line and the rows it rests on on the next, to keep columns narrow."""
        text = self.cell(row, column)
        if column in (2, 3):
            return text.replace(", measured on ", "\nmeasured on ").replace(", modelled ", "\nmodelled ")
        if column == 1:
            return text.removesuffix(" requests")
        return text

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.shown(index.row(), index.column())
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self.cell(index.row(), index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            r = self.rows[index.row()]
            if index.column() == 4:
                return f"Model spend {r.model_spend}, review {r.review_cost}"
            return "\n".join(r.reasons) if index.column() == 7 else self.cell(index.row(), index.column())
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None


class PlanChart(QGroupBox):
    """One plan figure drawn with pyqtgraph (the renderers live with the figure models' other drawings)."""

    def __init__(self, title: str, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.kind = kind
        self.model: Any = None
        self.widget = pg.PlotWidget(background="w")
        self.widget.setFixedHeight(280)
        self.widget.setAccessibleName(title)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(self)
        layout.addWidget(self.widget, 1)
        layout.addWidget(self.note)

    def draw(self, model: Any, missing_text: str) -> None:
        from desktop.ui.economics_draw import draw_tornado, draw_waterfall

        self.model = model
        plot = self.widget.getPlotItem()
        plot.clear()
        if model is None:
            self.note.setText(missing_text)
            return
        (draw_waterfall if self.kind == "waterfall" else draw_tornado)(model, plot)
        notes = list(getattr(model, "missing", ()))
        self.note.setText(" ".join([model.caption, *notes]).strip())


class PlanPage(Page):
    """The decision plan (see the module docstring)."""

    title = "Plan"

    def __init__(self, playbook: Playbook, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.playbook = playbook
        self.state: PlanState | None = None
        self.plan: dict[str, Any] | None = None
        self.currency: DisplayCurrency = USD
        heading = QLabel("<h2 style='margin:0'>Plan</h2>A route for every workload, what it costs a month, "
                         "and what each lever saves.")
        heading.setWordWrap(True)
        self.updating = QLabel("<i>Updating the plan…</i>")
        self.updating.hide()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()
        self.totals = self._build_totals()
        self.currency_note = QLabel()
        self.currency_note.setWordWrap(True)
        self.currency_note.setAccessibleName("Display currency")

        self.model = PlanTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Plan per workload")
        self.table.setWordWrap(True)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        for column in (2, 3):  # the routes share the room left; they wrap: the route over "measured on ... rows"
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        header.sectionResized.connect(lambda *_: self.table.resizeRowsToContents())  # wrapped text keeps fitting
        self.table.setColumnHidden(7, True)  # long reasons: shown for the selected workload under the table
        self.table.setSizeAdjustPolicy(QTableView.SizeAdjustPolicy.AdjustToContents)
        self.table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self.table.selectionModel().currentRowChanged.connect(lambda current, _prev: self._show_reasons(current.row()))
        self.reasons = QLabel()
        self.reasons.setWordWrap(True)
        self.reasons.setAccessibleName("Reasons for the selected workload")
        self.reasons.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.candidates = QTableWidget(0, len(CANDIDATE_COLUMNS))
        self.candidates.setAccessibleName("Every route priced for the selected workload")
        self.candidates.setHorizontalHeaderLabels(CANDIDATE_COLUMNS)
        self.candidates.verticalHeader().hide()
        self.candidates.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.candidates.setWordWrap(True)
        self.candidates.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.candidates.horizontalHeader().setStretchLastSection(True)
        self.candidates.horizontalHeader().sectionResized.connect(lambda *_: self.candidates.resizeRowsToContents())
        self.candidates.setSizeAdjustPolicy(QTableWidget.SizeAdjustPolicy.AdjustToContents)

        self.levers = LeverPanel(playbook)
        self.levers.sig_settings_requested.connect(self.push_settings)
        self.constraints = ConstraintsEditor(playbook)
        self.constraints.sig_settings_requested.connect(self.push_settings)
        self.waterfall = PlanChart("Baseline to plan, per month", "waterfall")
        self.tornado = PlanChart("What moves the monthly total", "tornado")
        self.ranges = QLabel()
        self.ranges.setWordWrap(True)

        charts = QHBoxLayout()
        charts.addWidget(self.waterfall, 1)
        charts.addWidget(self.tornado, 1)
        lower = QHBoxLayout()
        lower.addWidget(self.levers, 2)
        side = QVBoxLayout()
        side.addWidget(self.constraints)
        side.addWidget(self.ranges)
        side.addStretch(1)
        lower.addLayout(side, 3)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addWidget(heading)
        layout.addWidget(self.updating)
        layout.addWidget(self.message)
        self.volume_warning = Banner("warning")  # a workload with no monthly volume adds nothing to the plan
        layout.addWidget(self.volume_warning)
        layout.addWidget(self.totals)
        layout.addWidget(self.currency_note)
        layout.addWidget(self.table)
        layout.addWidget(self.reasons)
        layout.addWidget(self.candidates)
        layout.addLayout(charts)
        layout.addLayout(lower)
        layout.addStretch(1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scrolling(content))

    # ---- Public API
    def bind(self, document) -> None:
        if self.state is not None:
            for signal, slot in ((self.state.updated, self.show_plan), (self.state.failed, self._show_failure),
                                 (self.state.busyChanged, self.updating.setVisible)):
                try:
                    signal.disconnect(slot)
                except (RuntimeError, TypeError):
                    pass
        self.state = plan_state(document)
        self.state.updated.connect(self.show_plan)
        self.state.failed.connect(self._show_failure)
        self.state.busyChanged.connect(self.updating.setVisible)
        super().bind(document)
        if self.state.plan is not None:
            self.show_plan(self.state.plan)
        self.updating.setVisible(self.state.busy)

    def refresh(self) -> None:
        """Show the stored inputs now; the numbers follow when the background computation delivers them."""
        document = self.document
        if document is None:
            return
        workbook = document.workbook
        names = [w.name for w in workbook.context.workloads]
        empty = [w.name for w in workbook.context.workloads if not w.monthly_requests]
        self.volume_warning.show_message(
            f"<b>No forecast volume:</b> {html.escape(', '.join(empty))}: 0 requests a month, so nothing of it is "
            "in the plan's cost. Enter its volume on the Buyer context page." if empty else "")
        editable = not document.read_only
        currency = self._document_currency()
        self.levers.show_settings(workbook.plan, names, editable)
        self.constraints.show_settings(workbook.plan, names, currency, editable)

    def push_settings(self, settings: PlanSettings, text: str) -> None:
        """Record new plan settings as one undoable edit (refused on a read-only document)."""
        if self.document is None:
            return
        try:
            document = self.document
            document.push(commands.ReplaceCommand(text, document.workbook.plan, settings, document.apply_plan))
        except DomainError as exc:  # a refused edit (read-only, signed, invalid) is shown, never raised into Qt
            self.message.setText(f"<span style='{theme.style('error')}'>{html.escape(str(exc))}</span>")
            self.message.show()
            self.refresh()

    def show_plan(self, plan: Mapping[str, Any]) -> None:
        self.plan = dict(plan)
        self.currency = plan_currency(plan)
        self.message.setText(NO_WORKLOADS if not plan.get("workloads") else "")
        self.message.setVisible(not plan.get("workloads"))
        selected = max(self.table.currentIndex().row(), 0)
        self.model.set_rows(plan_rows(plan, self.playbook))
        self.table.resizeRowsToContents()
        if self.model.rows:
            self.table.selectRow(min(selected, len(self.model.rows) - 1))
        self._show_reasons(self.table.currentIndex().row())
        lines = totals_lines(plan)
        for i, (name, shown) in enumerate(self.total_labels):
            label, value = lines[i] if i < len(lines) else ("", "")
            name.setText(f"{label}:" if label else "")
            shown.setText(f"<b>{html.escape(value)}</b>" if value else "")
        self.currency_note.setText(html.escape(currency_statement(self.currency)))
        self.levers.show_savings(plan, self.currency)
        self.constraints.show_budget_state(plan)
        self.waterfall.draw(plan_waterfall(plan), "No waterfall: the plan or its baseline has no monthly cost.")
        self.tornado.draw(plan_tornado(plan), "No tornado: the sensitivity analysis found nothing to vary.")
        lines = volume_ranges(plan, self.playbook)
        self.ranges.setText("<b>Where each route holds</b><br>" + "<br>".join(map(html.escape, lines))
                            if lines else "")

    def total_text(self) -> str:
        """The plan's monthly total as shown."""
        return self.total_labels[0][1].text().replace("<b>", "").replace("</b>", "")

    # ---- Private API
    def _build_totals(self) -> QGroupBox:
        """Five tiles side by side: plan a month, a year, the baseline, the saving, the budget cap."""
        box = QGroupBox("Totals")
        grid = QGridLayout(box)
        self.total_labels: list[tuple[QLabel, QLabel]] = []
        for i in range(5):
            name, value = QLabel(), QLabel()
            name.setWordWrap(True)
            name.setAlignment(Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignLeft)
            value.setAccessibleName(f"Plan total {i + 1}")
            value.setStyleSheet("font-size: 15pt;")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(name, 0, i)
            grid.addWidget(value, 1, i)
            grid.setColumnStretch(i, 1)
            self.total_labels.append((name, value))
        return box

    def _show_reasons(self, row: int) -> None:
        if not 0 <= row < len(self.model.rows):
            self.reasons.setText("")
            self.candidates.setRowCount(0)
            return
        self._show_candidates(row)
        r = self.model.rows[row]
        self.reasons.setText(f"<b>Why {html.escape(r.workload)} has its route</b> (model spend {html.escape(r.model_spend)}, "
                             f"review {html.escape(r.review_cost)} a month):<br>"
                             + "<br>".join(f"• {html.escape(reason)}" for reason in r.reasons))

    def _show_candidates(self, row: int) -> None:
        """Every procurement route for the selected workload: its monthly cost and why it is or is not chosen."""
        workload = (self.plan or {}).get("workloads", [])[row] if self.plan else {}
        rows = candidate_rows(workload, self.currency, self.playbook)
        self.candidates.setRowCount(len(rows))
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                if c == 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.candidates.setItem(r, c, item)
        self.candidates.resizeRowsToContents()

    def _document_currency(self) -> DisplayCurrency:
        context = self.document.workbook.context if self.document is not None else None
        if context is None:
            return USD
        try:
            return DisplayCurrency.from_fx_to_usd(context.currency, context.fx_to_usd, context.fx_date,
                                                  context.fx_source)
        except ValueError:
            return USD

    def _show_failure(self, message: str) -> None:
        self.message.setText(f"<span style='{theme.style('error')}'>The plan cannot be computed: "
                             f"{html.escape(message)}</span>")
        self.message.show()
