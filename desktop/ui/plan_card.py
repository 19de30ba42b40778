"""The Overview's first card: the plan's monthly total, the saving against the baseline and each workload's
route, from the document's shared `PlanState` (computed in the background, never on the GUI thread)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desktop.exports.plan_text import currency_statement, plan_currency, plan_rows, totals_lines
from desktop.ui.document import Document
from desktop.ui.pages.overview import OverviewPanel, link_button
from desktop.ui.plan_state import PlanState, plan_state

TITLE = "Plan"
MAX_WORKLOADS = 6


def plan_card_html(plan: Mapping[str, Any], playbook: Any = None) -> str:
    """The card's text: total a month, saving against the baseline, then one line per workload."""
    totals = dict(totals_lines(plan))
    rows = plan_rows(plan, playbook)
    lines = [f"<span style='font-size:large'><b>{html.escape(totals['Plan, per month'])}</b> a month</span>",
             f"Saving against Managed API only: <b>{html.escape(totals['Saving against the baseline, per month'])}"
             "</b> a month"]
    budget = totals.get("Monthly budget cap")
    if budget:
        lines.append(f"Budget cap: {html.escape(budget)}")
    for row in rows[:MAX_WORKLOADS]:
        lines.append(f"<b>{html.escape(row.workload)}</b>: {html.escape(row.route)} "
                     f"({html.escape(row.monthly)})")
    if len(rows) > MAX_WORKLOADS:
        lines.append(f"… and {len(rows) - MAX_WORKLOADS} more workloads")
    currency = plan_currency(plan)
    if not currency.is_usd:
        lines.append(f"<span style='color:palette(mid)'>{html.escape(currency_statement(currency))}</span>")
    return "<br>".join(lines)


class PlanOverviewPanel(OverviewPanel):
    """The plan at a glance, with a link to the Plan page."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(TITLE, parent)
        self.setAccessibleName(TITLE)
        self.state: PlanState | None = None
        self.playbook: Any = None
        self.body = QLabel("<i>Working out the plan…</i>")
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.body.setAccessibleName("Plan summary")
        self.link = link_button("Open the plan", "Open the plan")
        self.link.clicked.connect(lambda: self.sig_page_requested.emit("plan"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.body)
        layout.addStretch(1)
        layout.addWidget(self.link, 0, Qt.AlignmentFlag.AlignLeft)

    def refresh(self, document: Document) -> None:
        state = plan_state(document)
        self.playbook = document.playbook
        if state is not self.state:
            if self.state is not None:
                for signal, slot in ((self.state.updated, self.show_plan), (self.state.failed, self.show_failure)):
                    try:
                        signal.disconnect(slot)
                    except (RuntimeError, TypeError):
                        pass
            self.state = state
            state.updated.connect(self.show_plan)
            state.failed.connect(self.show_failure)
        if state.plan is not None:
            self.show_plan(state.plan)
        elif state.error is not None:
            self.show_failure(state.error)

    def show_plan(self, plan: Mapping[str, Any]) -> None:
        if not plan.get("workloads"):
            self.body.setText("<i>No workloads in scope yet:</i> add them with their monthly volume in the buyer "
                              "context, and the plan shows a route and a monthly cost for each.")
            return
        self.body.setText(plan_card_html(plan, self.playbook))

    def show_failure(self, message: str) -> None:
        self.body.setText(f"<i>The plan cannot be computed:</i> {html.escape(message)}")

    def text(self) -> str:
        return self.body.text()


def install_overview_panel(overview_page: Any) -> None:
    """Replace the Overview's "plan" placeholder (its first card) with the live plan card."""
    overview_page.install_panel("plan", PlanOverviewPanel())
