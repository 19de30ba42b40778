"""The overview page: the decision at a glance, each part linking to the page where it is edited."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QGridLayout, QGroupBox, QHBoxLayout, QLabel, QProgressBar, QPushButton,
                               QScrollArea, QSizePolicy, QVBoxLayout, QWidget)

from desktop.domain.formatting import NOT_SET, format_count
from desktop.domain.gates import gate_progress, gates_assessed, overall_progress
from desktop.domain.playbook import Gate, Playbook
from desktop.domain.workbook import BuyerContext, GateAssessment, GateStatus, Workbook
from desktop.services.tamper import TAMPERED
from desktop.ui import theme
from desktop.ui.charts import ReadinessChart, readiness_bars
from desktop.ui.document import Document, follow
from desktop.ui.pages.base import Page, scrolling
from desktop.ui.pages.readiness import readiness_summary
from desktop.ui.signoff_check import CHECKING, UNCHECKED, signoff_check, signoff_state_note
from desktop.ui.trace_summary import COUNTING_TEXT, trace_summary_state

# ---- Constants
WIZARD_STEP_KEY = "wizardStep"  # the ui_state key where the wizard remembers the officer's page
FIRST_STEP = "context"
CONTEXT_GRID = {  # label -> (row, column pair): two pairs side by side keep the box short
    "Organisation": (0, 0), "Currency": (0, 1),
    "Prepared by": (1, 0), "Reviewer rate": (1, 1),
    "Sponsor": (2, 0), "Target p95 latency": (2, 1),
    "Readiness threshold": (3, 0),
    "Workloads in scope": (4, 0),
}


# ---- Public API
def verdict_text(assessment: GateAssessment) -> str:
    """The verdict as the overview shows it; a pass with open items says it is an exception."""
    if assessment.is_exception:
        return "Passed (exception)"
    return assessment.status.label


def context_lines(context: BuyerContext) -> list[tuple[str, str]]:
    """The buyer context as (label, text) rows; what is not filled in reads 'not set', as on the Summary page."""
    def amount(value: float | None, unit: str) -> str:
        return NOT_SET if value is None else f"{format_count(value)} {unit}"

    workloads = "\n".join(f"{w.name}: {w.monthly_requests:,.0f} requests/month" for w in context.workloads)
    currency = context.currency if context.currency == "USD" else (
        f"{context.currency} (1 {context.currency} = {context.fx_to_usd:g} USD"
        + (f", {context.fx_date})" if context.fx_date else ")"))
    return [
        ("Organisation", context.organisation or NOT_SET),
        ("Prepared by", context.prepared_by or NOT_SET),
        ("Sponsor", context.sponsor or NOT_SET),
        ("Workloads in scope", workloads or "none yet"),
        ("Currency", currency),
        ("Reviewer rate", amount(context.reviewer_rate_usd_per_hour, "USD/hour")),
        ("Target p95 latency", amount(context.target_p95_ms, "ms")),
        ("Readiness threshold", str(context.readiness_threshold)),
    ]


def link_button(text: str, accessible: str) -> QPushButton:
    """A flat, focusable button that reads like a link and opens another page."""
    button = QPushButton(text.replace("&", "&&"))
    button.setFlat(True)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    button.setAccessibleName(accessible)
    button.setStyleSheet("QPushButton { color: palette(link); text-align: left; padding: 2px 4px; }"
                         "QPushButton:focus { text-decoration: underline; }")
    return button


class OverviewPanel(QGroupBox):
    """A box of the overview; later work replaces the placeholders through `OverviewPage.install_panel`.

    Signals:
        sig_page_requested(str): the officer asked to open the page with this key.
    """

    sig_page_requested = Signal(str)
    """The key of the page to show, as in `MainWindow.show_page`."""

    def refresh(self, document: Document) -> None:
        """Redraw from `document`."""


class PendingPanel(OverviewPanel):
    """A clearly labelled place for a part of the decision that later work fills in."""

    def __init__(self, title: str, message: str, page_key: str, link_text: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.setAccessibleName(title)
        self.state = QLabel()
        self.state.setWordWrap(True)
        self.state.hide()
        self.message = QLabel(f"<i>Not available yet.</i> {message}")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(theme.style("muted"))
        self.link = link_button(link_text, f"{link_text} ({title})")
        self.link.clicked.connect(lambda: self.sig_page_requested.emit(page_key))
        layout = QVBoxLayout(self)
        layout.addWidget(self.state)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addWidget(self.link, 0, Qt.AlignmentFlag.AlignLeft)


class SignOffPanel(PendingPanel):
    """The sign-off state the workbook records (signed or not), with a link to the sign-off page."""

    def __init__(self, title: str, message: str, page_key: str, link_text: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(title, message, page_key, link_text, parent)
        self.message.setText(message)

    def refresh(self, document: Document) -> None:
        signoff = document.workbook.signoff
        state = signoff_check(document).state  # never computes: CHECKING until the background check lands
        if signoff is None:
            text = "This workbook is <b>not signed off</b>."
        elif state == TAMPERED:
            text = (f"{theme.span('problem', 'TAMPERED', bold=True)}: signed off by {html.escape(signoff.approver)} "
                    f"({html.escape(signoff.role)}) on {html.escape(signoff.date)}, but the content was changed "
                    "afterwards: the sign-off no longer holds. Run Verify on the Sign-off page.")
        else:
            text = (f"<b>Signed off</b> by {html.escape(signoff.approver)} ({html.escape(signoff.role)}) on "
                    f"{html.escape(signoff.date)}: {signoff.decision.replace('-', ' ')}. Fingerprint "
                    f"{signoff.fingerprint[:16]}…")
            if state in (CHECKING, UNCHECKED):
                text += f"<br><i>{html.escape(signoff_state_note(state, True).strip(' ()'))}</i>"
        self.state.setText(text)
        self.state.show()


class GateRow:
    """The widgets of one gate's row: a link to its page, its verdict and its items done."""

    def __init__(self, gate: Gate) -> None:
        self.gate = gate
        self.link = link_button(gate.name, f"Open gate {gate.name}")
        self.link.setToolTip(gate.buyer_question)
        self.verdict = QLabel()
        self.verdict.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.verdict.setMinimumWidth(130)
        self.progress = QProgressBar()
        self.progress.setAccessibleName(f"{gate.name} evidence items done")
        self.progress.setTextVisible(True)
        self.progress.setMinimumWidth(150)

    def show(self, assessment: GateAssessment) -> None:
        fg, bg = theme.pill_colours(assessment.status.value)
        self.verdict.setText(verdict_text(assessment))
        self.verdict.setStyleSheet(f"color: {fg}; background: {bg}; border-radius: 8px; padding: 2px 8px;")
        self.verdict.setAccessibleName(f"{self.gate.name} verdict: {verdict_text(assessment)}")
        self.verdict.setToolTip(f"Justification: {assessment.justification}" if assessment.is_exception else "")
        progress = gate_progress(assessment)
        self.progress.setRange(0, max(progress.total, 1))
        self.progress.setValue(progress.done)
        self.progress.setFormat(f"{progress.done} of {progress.total} items")


class OverviewPage(Page):
    """The decision at a glance: buyer context, gates, readiness, traces, recommendation and sign-off.

    Signals:
        sig_page_requested(str): a link asked for the page with this key; the main window is also asked
            directly, through `show_page`, when the page lives in one.
    """

    title = "Overview"
    sig_page_requested = Signal(str)
    """The key of the page to show."""

    def __init__(self, playbook: Playbook, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.playbook = playbook
        self._trace_state = None
        self._signoff_check = None
        self.sig_page_requested.connect(self._on_page_requested)
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.resume = QPushButton("Start assessment")
        self.resume.setAccessibleName("Start assessment")
        self.resume.clicked.connect(self._on_resume_clicked)
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self._style_banner()
        self.banner.hide()
        header = QHBoxLayout()
        header.addWidget(self.heading, 1)
        header.addWidget(self.resume, 0, Qt.AlignmentFlag.AlignTop)

        self.context_box = self._build_context_box()
        self.gates_box = self._build_gates_box()
        self.traces_box = self._build_traces_box()  # built in tab order: left column, then right
        self.readiness_box = self._build_readiness_box()
        self.panels: dict[str, OverviewPanel] = {
            "plan": PendingPanel(
                "Plan", "A route and a monthly cost for every workload, the total and the saving against the "
                "baseline will show here.", "plan", "Open the plan"),
            "recommendation": PendingPanel(
                "Recommended route", "The recommended procurement route and its fallback will show here, "
                "with reasons traced to the gates, scores and numbers.", "summary", "Open the summary"),
            "figures": PendingPanel(
                "Key figures", "Cost per accepted output, break-even volume and p95 latency at concurrency "
                "will show here.", "economics", "Open economics"),
            "signoff": SignOffPanel(
                "Sign-off", "The approver's name, decision and conditions are recorded on the sign-off "
                "page.", "signoff", "Open sign-off & export"),
        }
        for panel in self.panels.values():
            panel.sig_page_requested.connect(self.sig_page_requested)

        left = QVBoxLayout()
        left.addWidget(self.context_box)
        left.addWidget(self.gates_box)
        left.addWidget(self.traces_box)
        left.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addWidget(self.readiness_box, 1)
        self.later = QHBoxLayout()
        for panel in self.panels.values():
            self.later.addWidget(panel, 1)
        content = QWidget()
        content_layout = QVBoxLayout(content)
        content_layout.addLayout(header)
        content_layout.addWidget(self.banner)
        content_layout.addLayout(self.later)  # the decision first: plan, recommendation, figures, sign-off
        content_layout.addLayout(columns, 1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scrolling(content))
        self._update_tab_order()

    # ---- Public API
    def install_panel(self, key: str, panel: OverviewPanel) -> None:
        """Replace the panel `key` ("plan", "recommendation", "figures" or "signoff") with `panel`."""
        old = self.panels[key]
        self.later.replaceWidget(old, panel)
        old.hide()
        old.setParent(None)
        old.deleteLater()
        self.panels[key] = panel
        panel.sig_page_requested.connect(self.sig_page_requested)
        self._update_tab_order()
        if self.document is not None:
            panel.refresh(self.document)

    def resume_key(self) -> str:
        """The page the assessment continues on: the remembered wizard step, else the buyer context."""
        key = self.document.ui_state(WIZARD_STEP_KEY, None) if self.document is not None else None
        window = self.window()
        known = getattr(window, "pages", None)
        if not isinstance(key, str) or (known is not None and key not in known):
            return FIRST_STEP
        return key

    def showEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        self._stale = True  # the remembered wizard step changes without a document signal
        super().showEvent(event)

    def refresh(self) -> None:
        if self.document is None:
            return
        workbook = self.document.workbook
        self._show_heading(workbook)
        self._show_context(workbook.context)
        self._show_gates(workbook)
        self.chart.set_data(readiness_bars(self.playbook, workbook), workbook.context.readiness_threshold)
        self.readiness_summary.setText(readiness_summary(workbook, self.playbook))
        self._show_trace_count()
        for panel in self.panels.values():
            panel.refresh(self.document)
        self._follow_signoff_check()
        reason = self.document.read_only_reason or self._signed_reason()
        self._style_banner()  # the palette may have changed since
        self.banner.setText(reason)
        self.banner.setVisible(bool(reason))

    def _signed_reason(self) -> str:
        """The banner's words for a signed workbook (the tamper check lands from the background)."""
        if not self.document.workbook.signed:
            return ""
        state = signoff_check(self.document).state
        if state == TAMPERED:
            return "TAMPERED: the content changed after sign-off; read-only until the sign-off is revoked."
        return f"Signed off{signoff_state_note(state, True)}: read-only until the sign-off is revoked."

    def _follow_signoff_check(self) -> None:
        check = signoff_check(self.document)
        if check is not self._signoff_check:
            self._signoff_check = check
            follow(self, check.updated, lambda _state, c=check: c is self._signoff_check and self._show_signoff_state())

    def _show_signoff_state(self) -> None:
        """The background check landed (or the state moved back to checking): the panel and the banner."""
        if self.document is None:
            return
        self.panels["signoff"].refresh(self.document)
        reason = self.document.read_only_reason or self._signed_reason()
        self.banner.setText(reason)
        self.banner.setVisible(bool(reason))

    def _show_trace_count(self, *_summary) -> None:
        """The visible rows, counted in the background (desktop.ui.trace_summary): "counting…" until then."""
        if self.document is None:
            return
        state = trace_summary_state(self.document)
        if state is not self._trace_state:
            self._trace_state = state
            state.updated.connect(self._show_trace_count)
        summary = state.current() or state.latest()
        if summary is None:
            self.trace_count.setText(f"Trace rows: <i>{COUNTING_TEXT}</i>")
            return
        count = summary.count
        self.trace_count.setText(f"<b>{count:,}</b> trace row{'s' if count != 1 else ''} in this workbook.")

    def _style_banner(self) -> None:
        text, background, border = theme.banner_colours("warning")
        self.banner.setStyleSheet(f"background: {background}; color: {text}; border: 1px solid {border}; "
                                  "padding: 6px;")

    def focus_order(self) -> list[QWidget]:
        """The page's controls in reading order: the decision row, the left column, then readiness."""
        order: list[QWidget] = [self.resume]
        for panel in self.panels.values():
            order += [w for w in panel.findChildren(QWidget)
                      if w.focusPolicy() & Qt.FocusPolicy.TabFocus and not isinstance(w, QScrollArea)]
        order.append(self.context_link)
        order += [row.link for row in self.gate_rows.values()]
        order += [self.traces_link, self.readiness_link]
        return order

    # ---- Private API: building
    def _update_tab_order(self) -> None:
        order = self.focus_order()
        for first, second in zip(order, order[1:]):
            QWidget.setTabOrder(first, second)

    def _build_context_box(self) -> QGroupBox:
        box = QGroupBox("Buyer context")
        self.context_grid = QGridLayout()
        self.context_grid.setColumnStretch(1, 1)
        self.context_values: dict[str, QLabel] = {}
        self.context_grid.setColumnStretch(3, 1)
        for label, _ in context_lines(BuyerContext()):
            row, pair = CONTEXT_GRID[label]
            name = QLabel(f"{label}:")
            name.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            value = QLabel()
            value.setWordWrap(True)
            value.setTextFormat(Qt.TextFormat.PlainText)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setAccessibleName(label)
            self.context_grid.addWidget(name, row, 2 * pair)
            span = 3 if label == "Workloads in scope" else 1
            self.context_grid.addWidget(value, row, 2 * pair + 1, 1, span)
            self.context_values[label] = value
        edit = self.context_link = link_button("Edit buyer context", "Edit buyer context")
        edit.clicked.connect(lambda: self.sig_page_requested.emit("context"))
        layout = QVBoxLayout(box)
        layout.addLayout(self.context_grid)
        layout.addWidget(edit, 0, Qt.AlignmentFlag.AlignLeft)
        return box

    def _build_gates_box(self) -> QGroupBox:
        box = QGroupBox("Decision gates")
        self.overall = QLabel()
        self.overall.setWordWrap(True)
        self.overall.setAccessibleName("Progress through the gates")
        grid = QGridLayout()
        grid.setColumnStretch(0, 1)
        self.gate_rows: dict[str, GateRow] = {}
        for row, gate in enumerate(self.playbook.gates):
            gate_row = GateRow(gate)
            gate_row.link.clicked.connect(lambda _=False, key=f"gate:{gate.slug}": self.sig_page_requested.emit(key))
            grid.addWidget(gate_row.link, row, 0)
            grid.addWidget(gate_row.verdict, row, 1)
            grid.addWidget(gate_row.progress, row, 2)
            self.gate_rows[gate.slug] = gate_row
        layout = QVBoxLayout(box)
        layout.addWidget(self.overall)
        layout.addLayout(grid)
        return box

    def _build_readiness_box(self) -> QGroupBox:
        box = QGroupBox("Readiness")
        self.chart = ReadinessChart(compact=True)
        self.chart.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.readiness_summary = QLabel()
        self.readiness_summary.setWordWrap(True)
        self.readiness_summary.setAccessibleName("Readiness summary")
        edit = self.readiness_link = link_button("Edit readiness scores", "Edit readiness scores")
        edit.clicked.connect(lambda: self.sig_page_requested.emit("readiness"))
        layout = QVBoxLayout(box)
        layout.addWidget(self.chart, 1)
        layout.addWidget(self.readiness_summary)
        layout.addWidget(edit, 0, Qt.AlignmentFlag.AlignLeft)
        return box

    def _build_traces_box(self) -> QGroupBox:
        box = QGroupBox("Traces")
        self.trace_count = QLabel()
        self.trace_count.setAccessibleName("Trace count")
        link = self.traces_link = link_button("Open traces", "Open traces")
        link.clicked.connect(lambda: self.sig_page_requested.emit("traces"))
        layout = QHBoxLayout(box)
        layout.addWidget(self.trace_count, 1)
        layout.addWidget(link)
        return box

    # ---- Private API: showing
    def _show_heading(self, workbook: Workbook) -> None:
        title = workbook.context.title or "Untitled decision"
        self.heading.setText(f"<h2 style='margin:0'>Overview</h2><span style='font-size:large'>{html.escape(title)}"
                             "</span>")
        started = self.document.ui_state(WIZARD_STEP_KEY, None) is not None
        text = "Resume assessment" if started else "Start assessment"
        self.resume.setText(text)
        self.resume.setAccessibleName(text)
        window = self.window()
        page = getattr(window, "pages", {}).get(self.resume_key())
        where = page.title if page is not None and page.title else self.resume_key()
        self.resume.setToolTip(f"Continue at: {where}" if started else "Begin with the buyer context")
        # A window with the guided-assessment footer already offers Start/Resume under every page.
        self.resume.setVisible(getattr(window, "wizard", None) is None)

    def _show_context(self, context: BuyerContext) -> None:
        for label, text in context_lines(context):
            self.context_values[label].setText(text)

    def _show_gates(self, workbook: Workbook) -> None:
        assessments = [workbook.gates[g.slug] for g in self.playbook.gates]
        for gate in self.playbook.gates:
            self.gate_rows[gate.slug].show(workbook.gates[gate.slug])
        total = overall_progress(assessments)
        passed = sum(1 for a in assessments if a.status is GateStatus.PASSED)
        self.overall.setText(
            f"{gates_assessed(assessments)} of {len(assessments)} gates assessed, {passed} passed; "
            f"{total.done} of {total.total} evidence items done.")

    def _on_resume_clicked(self) -> None:
        wizard = getattr(self.window(), "wizard", None)
        if wizard is not None and hasattr(wizard, "start"):
            wizard.start()
        else:
            self.sig_page_requested.emit(self.resume_key())

    def _on_page_requested(self, key: str) -> None:
        window = self.window()
        if window is not self and hasattr(window, "show_page"):
            window.show_page(key)

