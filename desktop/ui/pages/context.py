"""The buyer context page: who decides what, the money and latency targets, and the workloads in scope.

Every field commits one undoable edit when its editing session ends; the domain (`BuyerContext`) validates,
and a refused value is put back with the reason shown.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QCompleter, QFormLayout, QGroupBox, QHBoxLayout, QHeaderView,
                               QLabel, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from desktop.domain.errors import DomainError, FieldError
from desktop.domain.playbook import Playbook
from desktop.domain.workbook import BuyerContext, Workload
from desktop.ui import commands, theme
from desktop.ui.pages.base import Page, scrolling
from desktop.ui.widgets.banner import Banner
from desktop.ui.widgets import workload_dialog
from desktop.ui.widgets.editors import CommitLineEdit, CommitSpinBox

COMMON_CURRENCIES = ("USD", "EUR", "GBP", "CHF", "JPY", "CAD", "AUD", "SEK", "NOK", "DKK", "PLN", "INR", "CNY",
                     "SGD", "HKD", "NZD", "BRL", "ZAR")
FIELD_LABELS = {"organisation": "Organisation", "title": "Decision title", "currency": "Display currency",
                "fxToUsd": "FX rate", "fxDate": "FX rate date", "fxSource": "FX rate source",
                "reviewerRateUsdPerHour": "Reviewer rate",
                "targetP95Ms": "Target p95 latency", "readinessThreshold": "Readiness threshold",
                "workloads": "Workload", "workload": "Workload name",
                "monthlyRequests": "Forecast requests per month"}
_SEPARATORS = re.compile(r"[\s,_'\u00a0\u202f]")


# ---- Pure helpers ------------------------------------------------------------------------------------

def parse_number(text: str, field: str, *, optional: bool = True) -> float | None:
    """A number typed by a person: '100,000', '1 250.5', '' (not set, when optional)."""
    cleaned = _SEPARATORS.sub("", text.strip())
    if not cleaned:
        if optional:
            return None
        raise FieldError(field, text, "needs a number")
    try:
        return float(cleaned)
    except ValueError:
        raise FieldError(field, text, "must be a number") from None


def format_number(value: float | None, decimals: int = 2) -> str:
    if value is None:
        return ""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.{decimals}f}".rstrip("0").rstrip(".")


def unique_workload_name(context: BuyerContext) -> str:
    taken = {w.name.casefold() for w in context.workloads}
    n = len(context.workloads) + 1
    while f"workload {n}" in taken:
        n += 1
    return f"Workload {n}"


class ContextPage(Page):
    """Buyer context form and the workloads in scope with their forecast monthly volume."""

    def __init__(self, playbook: Playbook) -> None:
        super().__init__()
        self.playbook = playbook
        self.title = "Buyer context"
        self.setAccessibleName("Buyer context")
        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(16, 12, 16, 12)
        column.setSpacing(10)
        column.addWidget(QLabel("<h2 style='margin:0'>Buyer context</h2>"))
        intro = QLabel("Frame the decision: who is buying, the money and latency terms the numbers are judged "
                       "by, and the workloads in scope. Amounts are kept in USD and shown in the display "
                       "currency at the FX rate below.")
        intro.setWordWrap(True)
        column.addWidget(intro)
        self.read_only_banner = Banner("info")
        self.message = Banner("error")
        self.fx_warning = Banner("warning")
        column.addWidget(self.read_only_banner)
        column.addWidget(self.message)

        columns = QHBoxLayout()
        columns.setSpacing(12)
        left = QVBoxLayout()
        decision = QGroupBox("Decision")
        decision_form = QFormLayout(decision)
        self.organisation = self._line("Organisation", "organisation", "e.g. Example Corp")
        self.title_edit = self._line("Decision title", "title", "e.g. How should we buy LLM inference in 2027?")
        self.prepared_by = self._line("Prepared by", "prepared_by", "Procurement officer")
        self.sponsor = self._line("Executive sponsor", "sponsor", "Who signs off")
        for text, editor in (("&Organisation:", self.organisation), ("Decision &title:", self.title_edit),
                             ("&Prepared by:", self.prepared_by), ("Executive &sponsor:", self.sponsor)):
            decision_form.addRow(self._label(text, editor), editor)
        left.addWidget(decision)

        terms = QGroupBox("Money and targets")
        terms_form = self.terms_form = QFormLayout(terms)
        self.currency = CommitLineEdit("Display currency")
        self.currency.setMaxLength(3)
        self.currency.setPlaceholderText("USD")
        self.currency.setCompleter(QCompleter(list(COMMON_CURRENCIES), self.currency))
        self.currency.sig_committed.connect(self._on_currency)
        self.fx_rate = CommitLineEdit("FX rate: USD per one unit of the display currency")
        self.fx_rate.sig_committed.connect(self._on_fx_rate)
        self.fx_rate_unit = QLabel()
        self.fx_date = CommitLineEdit("Date of the FX rate")
        self.fx_date.setPlaceholderText("YYYY-MM-DD")
        self.fx_date.sig_committed.connect(self._on_fx_date)
        self.fx_today = QPushButton("Today")
        self.fx_today.setAccessibleName("Set the FX rate date to today")
        self.fx_today.setAutoDefault(False)
        self.fx_today.clicked.connect(lambda: self._on_fx_date(dt.date.today().isoformat()))
        self.fx_source = CommitLineEdit("Source of the FX rate")
        self.fx_source.setPlaceholderText("e.g. ECB reference rate")
        self.fx_source.sig_committed.connect(
            lambda text: self._edit("Edit FX rate source", fx_source=text.strip() or None))
        self.reviewer_rate = CommitLineEdit("Reviewer hourly rate in USD")
        self.reviewer_rate.setPlaceholderText("not set")
        self.reviewer_rate.sig_committed.connect(self._on_reviewer_rate)
        self.reviewer_rate_hint = QLabel()
        self.target_p95 = CommitLineEdit("Target p95 latency in milliseconds")
        self.target_p95.setPlaceholderText("not set")
        self.target_p95.sig_committed.connect(self._on_target_p95)
        self.threshold = CommitSpinBox("Readiness threshold, 0 to 100")
        self.threshold.setRange(0, 100)
        self.threshold.sig_committed.connect(self._on_threshold)
        terms_form.addRow(self._label("Display &currency:", self.currency), self.currency)
        terms_form.addRow(self._label("F&X rate:", self.fx_rate), self._row(self.fx_rate, self.fx_rate_unit))
        terms_form.addRow(self._label("FX rate &date:", self.fx_date), self._row(self.fx_date, self.fx_today))
        terms_form.addRow(self._label("FX rate so&urce:", self.fx_source), self.fx_source)
        terms_form.addRow(self._label("&Reviewer rate (USD/h):", self.reviewer_rate),
                          self._row(self.reviewer_rate, self.reviewer_rate_hint))
        terms_form.addRow(self._label("Target p&95 latency (ms):", self.target_p95), self.target_p95)
        terms_form.addRow(self._label("Readiness thresho&ld:", self.threshold), self.threshold)
        terms_help = QLabel("The reviewer rate prices the minutes a person spends checking outputs, in the cost per "
                            "accepted output. The target p95 latency is the line latency is judged against. Each "
                            "readiness dimension should reach the threshold.")
        terms_help.setWordWrap(True)
        terms_help.setStyleSheet(theme.style("muted"))
        terms_form.addRow(terms_help)
        left.addWidget(terms)
        left.addWidget(self.fx_warning)
        left.addStretch(1)
        columns.addLayout(left, 1)

        workloads = QGroupBox("Workloads in scope")
        workloads_layout = QVBoxLayout(workloads)
        hint = QLabel("Each workload the purchase must serve, with the forecast number of requests per month. "
                      "Double-click or press F2 to edit a cell.")
        hint.setWordWrap(True)
        self.table = QTableWidget(0, 2)
        self.table.setAccessibleName("Workloads in scope")
        self.table.setHorizontalHeaderLabels(["Workload", "Forecast requests per month"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTabKeyNavigation(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed
                                   | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.table.setMinimumHeight(220)
        self.table.itemChanged.connect(self._on_cell_changed)
        self._filling = False
        buttons = QHBoxLayout()
        self.add_button = QPushButton("Add &workload")
        self.add_button.setAccessibleName("Add a workload")
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(self.add_workload)
        self.remove_button = QPushButton("Re&move workload")
        self.remove_button.setAccessibleName("Remove the selected workload")
        self.remove_button.setAutoDefault(False)
        self.remove_button.clicked.connect(self.remove_selected_workload)
        self.total_label = QLabel()
        self.volume_warning = Banner("warning")  # workloads without a forecast volume
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        buttons.addWidget(self.total_label)
        workloads_layout.addWidget(hint)
        workloads_layout.addWidget(self.table, 1)
        workloads_layout.addWidget(self.volume_warning)
        workloads_layout.addLayout(buttons)
        columns.addWidget(workloads, 1)
        column.addLayout(columns, 1)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scrolling(content))
        chain = [self.organisation, self.title_edit, self.prepared_by, self.sponsor, self.currency, self.fx_rate,
                 self.fx_date, self.fx_today, self.fx_source, self.reviewer_rate, self.target_p95, self.threshold, self.table,
                 self.add_button, self.remove_button]
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)

    # ---- building helpers ---------------------------------------------------------------------------
    def _line(self, name: str, attr: str, placeholder: str) -> CommitLineEdit:
        editor = CommitLineEdit(name)
        editor.setPlaceholderText(placeholder)
        editor.sig_committed.connect(lambda text: self._edit(f"Edit {name.lower()}", **{attr: text.strip()}))
        return editor

    @staticmethod
    def _label(text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(buddy)
        return label

    @staticmethod
    def _row(*widgets: QWidget) -> QWidget:
        host = QWidget()
        layout = QHBoxLayout(host)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in widgets:
            layout.addWidget(widget)
        layout.setStretch(0, 1)
        return host

    # ---- Public API ---------------------------------------------------------------------------------
    def context(self) -> BuyerContext:
        return self.document.workbook.context

    def refresh(self) -> None:
        document = self.document
        if document is None:
            return
        context = document.workbook.context
        read_only = document.read_only
        reason = document.read_only_reason or ("The workbook is signed off; revoke the sign-off to change it."
                                               if document.workbook.signed else "")
        self.read_only_banner.show_message(html.escape(reason) if read_only else "")
        for editor, value in ((self.organisation, context.organisation), (self.title_edit, context.title),
                              (self.prepared_by, context.prepared_by), (self.sponsor, context.sponsor),
                              (self.currency, context.currency),
                              (self.fx_rate, format_number(context.fx_to_usd, 6)),
                              (self.fx_date, context.fx_date or ""),
                              (self.fx_source, context.fx_source or ""),
                              (self.reviewer_rate, format_number(context.reviewer_rate_usd_per_hour)),
                              (self.target_p95, format_number(context.target_p95_ms))):
            editor.set_committed_text(value)
            editor.setReadOnly(read_only)
        usd = context.currency == "USD"
        self.fx_rate.setReadOnly(read_only or usd)
        self.fx_rate_unit.setText(f"USD per 1 {context.currency}")
        self.fx_today.setEnabled(not read_only and not usd)
        self.fx_date.setReadOnly(read_only or usd)
        self.fx_source.setReadOnly(read_only or usd)
        for row in (self.fx_rate.parentWidget(), self.fx_date.parentWidget(), self.fx_source):
            self.terms_form.setRowVisible(row, not usd)  # USD needs no rate: no "USD per 1 USD"
        rate = context.reviewer_rate_usd_per_hour
        self.reviewer_rate_hint.setText(
            "" if rate is None or usd else f"= {rate / context.fx_to_usd:,.2f} {context.currency}/h")
        self.reviewer_rate_hint.setVisible(bool(self.reviewer_rate_hint.text()))
        if not usd and (context.fx_to_usd == 1.0 or context.fx_date is None):
            self.fx_warning.show_message(f"Check the FX rate: enter how many USD one {context.currency} buys "
                                         "and the date of that rate, so amounts convert correctly.")
        else:
            self.fx_warning.clear()
        self.threshold.set_committed_value(context.readiness_threshold)
        self.threshold.setReadOnly(read_only)
        self._fill_table(context, read_only)
        self.add_button.setEnabled(not read_only)
        self.remove_button.setEnabled(not read_only and bool(context.workloads))

    def add_workload(self) -> None:
        """Ask for the new workload's name and monthly volume together, then add it as one undo step."""
        context = self.context()
        answer = workload_dialog.ask_new_workload(self, unique_workload_name(context),
                                                  {w.name for w in context.workloads}, parse_number)
        if answer is None:
            return
        name, volume = answer
        try:
            workload = Workload(name, volume)
        except DomainError as exc:
            self._refuse(exc)
            return
        if self._push_context(replace(context, workloads=context.workloads + (workload,)), f"Add workload {name}"):
            self.table.setCurrentCell(len(self.context().workloads) - 1, 1)
            self.table.setFocus()

    def remove_selected_workload(self) -> None:
        row = self.table.currentRow()
        workloads = self.context().workloads
        if not 0 <= row < len(workloads):
            return
        kept = workloads[:row] + workloads[row + 1:]
        self._push_context(replace(self.context(), workloads=kept), f"Remove workload {workloads[row].name}")

    # ---- Private API --------------------------------------------------------------------------------
    def _fill_table(self, context: BuyerContext, read_only: bool) -> None:
        self._filling = True
        try:
            current = self.table.currentRow()
            self.table.setRowCount(len(context.workloads))
            flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
            if not read_only:
                flags |= Qt.ItemFlag.ItemIsEditable
            for row, workload in enumerate(context.workloads):
                name = QTableWidgetItem(workload.name)
                volume = QTableWidgetItem(format_number(workload.monthly_requests))
                volume.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                for item in (name, volume):
                    item.setFlags(flags)
                if not workload.monthly_requests:  # not an error, but it adds nothing: say so on the cell
                    volume.setIcon(self.style().standardIcon(self.style().StandardPixmap.SP_MessageBoxWarning))
                    volume.setForeground(QColor(theme.colour("warning")))
                    volume.setToolTip(workload_dialog.NO_VOLUME)
                    volume.setData(Qt.ItemDataRole.AccessibleDescriptionRole, workload_dialog.NO_VOLUME)
                self.table.setItem(row, 0, name)
                self.table.setItem(row, 1, volume)
            if context.workloads:
                self.table.setCurrentCell(min(max(current, 0), len(context.workloads) - 1),
                                          max(self.table.currentColumn(), 0))
        finally:
            self._filling = False
        empty = [w.name for w in context.workloads if not w.monthly_requests]
        self.volume_warning.show_message(
            f"<b>No forecast volume:</b> {html.escape(', '.join(empty))}. A workload without requests per month "
            "adds nothing to the plan, the summary or the memo." if empty else "")
        total = sum(w.monthly_requests for w in context.workloads)
        self.total_label.setText(f"Total: <b>{format_number(total)}</b> requests per month"
                                 if context.workloads else "No workloads in scope yet.")

    def _on_cell_changed(self, item: QTableWidgetItem) -> None:
        if self._filling:
            return
        row, column = item.row(), item.column()
        workloads = list(self.context().workloads)
        if not 0 <= row < len(workloads):
            return
        old = workloads[row]
        try:
            if column == 0:
                workloads[row] = Workload(item.text().strip(), old.monthly_requests)
                text = f"Rename workload {old.name}"
            else:
                workloads[row] = Workload(old.name, parse_number(item.text(), "monthlyRequests", optional=False))
                text = f"Edit forecast volume of {old.name}"
            new = replace(self.context(), workloads=tuple(workloads))
        except DomainError as exc:
            self._refuse(exc)
            return
        self._push_context(new, text)

    def _edit(self, text: str, **changes) -> None:
        try:
            new = replace(self.context(), **changes)
        except DomainError as exc:
            self._refuse(exc)
            return
        self._push_context(new, text)

    def _push_context(self, new: BuyerContext, text: str) -> bool:
        if new == self.context():
            self.refresh()
            return False
        try:
            self.document.push(commands.set_context(self.document, new, text))
        except DomainError as exc:
            self._refuse(exc)
            return False
        self.message.clear()
        return True

    def _refuse(self, error: Exception) -> None:
        if isinstance(error, FieldError):
            shown = error.value if isinstance(error.value, str) else format_number(error.value)
            text = f"{FIELD_LABELS.get(error.field, error.field)} {error.reason} (you entered '{shown}')"
        else:
            text = str(error)
        self.message.show_message(f"<b>Not changed:</b> {html.escape(text)}")
        self.refresh()

    def _on_currency(self, text: str) -> None:
        code = text.strip().upper()
        if code == "USD":
            self._edit("Set display currency to USD", currency="USD", fx_to_usd=1.0, fx_date=None, fx_source=None)
        else:
            self._edit(f"Set display currency to {code}", currency=code)

    def _on_fx_rate(self, text: str) -> None:
        try:
            value = parse_number(text, "fxToUsd", optional=False)
        except DomainError as exc:
            self._refuse(exc)
            return
        self._edit("Edit FX rate", fx_to_usd=value)

    def _on_fx_date(self, text: str) -> None:
        self._edit("Edit FX rate date", fx_date=text.strip() or None)

    def _on_reviewer_rate(self, text: str) -> None:
        try:
            value = parse_number(text, "reviewerRateUsdPerHour")
        except DomainError as exc:
            self._refuse(exc)
            return
        self._edit("Edit reviewer rate", reviewer_rate_usd_per_hour=value)

    def _on_target_p95(self, text: str) -> None:
        try:
            value = parse_number(text, "targetP95Ms")
        except DomainError as exc:
            self._refuse(exc)
            return
        self._edit("Edit target p95 latency", target_p95_ms=value)

    def _on_threshold(self, value: int) -> None:
        self._edit("Edit readiness threshold", readiness_threshold=int(value))
