"""The Sign-off page: what is being signed, the approver's sign-off, revoking it, and the audit log.

Signing and revoking are explicit actions (confirmed, recorded in the hash-chained audit log, saved at
once), not undoable edits; they go through `Document.sign` / `Document.revoke`, which call the same
`desktop.services.signoff` functions as `ipw sign` and `ipw revoke`.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDateEdit, QFormLayout, QGroupBox, QHBoxLayout, QHeaderView,
                               QLabel, QLineEdit, QPlainTextEdit, QPushButton, QToolButton, QVBoxLayout, QWidget)

from desktop.domain.errors import DomainError
from desktop.domain.formatting import NOT_OBSERVED, format_money, format_percent
from desktop.domain.playbook import Playbook
from desktop.exports import signing
from desktop.exports.content import Decision
from desktop.exports.verify import audit_problems, audit_status_text
from desktop.services.signoff import DECISIONS, group_fingerprint, normalize_fingerprint
from desktop.ui import theme
from desktop.ui.pages.base import Page, scrolling
from desktop.ui.document import follow
from desktop.ui.economics_facts import cached_economics
from desktop.ui.economics_state import LOCK_RETRIES, economics_state, is_momentary_lock, snapshot
from desktop.ui.signoff_check import CHECKING, TAMPERED, UNCHECKED, signoff_check, signoff_state_note
from desktop.ui.tasks import TaskRunner
from desktop.ui.pages.signoff_parts import (PlanLine, audit_rows, compute_decision, fill_table as _fill, gate_rows,
                                            look_read_only as _look_read_only, officer_key, readiness_rows,
                                            table as _table)
from desktop.ui.widgets import dialogs
from desktop.ui.widgets.banner import Banner


class SignoffPage(Page):
    """Sign-off & export: review what is signed, sign off or revoke, see the audit log."""

    def __init__(self, playbook: Playbook) -> None:
        super().__init__()
        self.playbook = playbook
        self.title = "Sign-off & Export"
        self.setAccessibleName("Sign-off and export")
        self.decision: Decision | None = None
        self.computing = False  # the decision content is being computed in the background
        self._draft_fingerprint: str | None = None
        self._lock_retries = 0
        self._waiting_for_economics = False  # the decision is put together when the shared economics land
        self._followed: Any = None
        self._decision_runner = TaskRunner(self, on_done=self._on_decision, on_failed=self._on_decision_failed)

        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(16, 12, 16, 12)
        column.setSpacing(10)
        heading = QHBoxLayout()
        heading.addWidget(QLabel("<h2 style='margin:0'>Sign-off</h2>"), 1)
        self.export_button = QPushButton("&Export...")
        self.export_button.setAccessibleName("Export the Excel matrix and the PDF memo")
        self.export_button.setAutoDefault(False)
        self.export_button.clicked.connect(self._export)
        heading.addWidget(self.export_button)
        column.addLayout(heading)
        self.state_banner = Banner("info")
        self.message = Banner("error")
        self.warning = Banner("warning")
        column.addWidget(self.state_banner)
        column.addWidget(self.message)

        # -- what is being signed ------------------------------------------------------------------
        signed_box = QGroupBox("What is being signed")
        signed_layout = QVBoxLayout(signed_box)
        self.plan_line = PlanLine()
        signed_layout.addWidget(self.plan_line)
        self.route_label = QLabel()
        self.route_label.setWordWrap(True)
        self.route_label.setTextFormat(Qt.TextFormat.RichText)
        self.route_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        signed_layout.addWidget(self.route_label)
        self.details_button = QToolButton()
        self.details_button.setCheckable(True)
        self.details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_button.setAccessibleName("Show the gates, readiness and key figures being signed")
        self.details_button.toggled.connect(self._show_details)
        self.details = QWidget()  # collapsed by default: the form below stays in view on a 768-pixel screen
        details_layout = QVBoxLayout(self.details)
        details_layout.setContentsMargins(0, 0, 0, 0)
        details_layout.addWidget(QLabel("<b>Gates</b>"))
        self.gates_table = _table(["Gate", "Verdict", "Items done", "Exception / open items"], "Gate verdicts")
        details_layout.addWidget(self.gates_table)
        lower = QHBoxLayout()
        lower.setSpacing(12)
        readiness_column = QVBoxLayout()
        readiness_column.addWidget(QLabel("<b>Readiness</b>"))
        self.readiness_table = _table(["Dimension", "Score", "Reference", "Against threshold"], "Readiness scores")
        readiness_column.addWidget(self.readiness_table)
        readiness_column.addStretch(1)
        metrics_column = QVBoxLayout()
        metrics_column.addWidget(QLabel("<b>Key figures</b>"))
        self.metrics_table = _table(["Route", "Status", "Cost per accepted output at target p95"], "Key figures")
        metrics_column.addWidget(self.metrics_table)
        self.numbers_label = QLabel()
        self.numbers_label.setWordWrap(True)
        metrics_column.addWidget(self.numbers_label)
        metrics_column.addStretch(1)
        lower.addLayout(readiness_column, 2)
        lower.addLayout(metrics_column, 3)
        details_layout.addLayout(lower)
        fingerprint_row = QHBoxLayout()
        self.fingerprint_caption = QLabel("<b>Fingerprint:</b>")
        self.fingerprint_label = QLabel()
        self.fingerprint_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fingerprint_label.setStyleSheet("font-family: monospace;")
        self.fingerprint_label.setAccessibleName("Fingerprint of the decision content")
        self.copy_button = QPushButton("&Copy")
        self.copy_button.setAccessibleName("Copy the fingerprint")
        self.copy_button.setAutoDefault(False)
        self.copy_button.clicked.connect(self._copy_fingerprint)
        fingerprint_row.addWidget(self.fingerprint_caption)
        fingerprint_row.addWidget(self.fingerprint_label, 1)
        fingerprint_row.addWidget(self.copy_button)
        signed_layout.addLayout(fingerprint_row)
        signed_layout.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignLeft)
        signed_layout.addWidget(self.details)
        self._show_details(False)
        column.addWidget(signed_box)

        # -- sign off / revoke ----------------------------------------------------------------------
        actions = QHBoxLayout()
        actions.setSpacing(12)
        self.sign_box = QGroupBox("Sign off")
        sign_column = QVBoxLayout(self.sign_box)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.name_edit = QLineEdit()
        self.name_edit.setAccessibleName("Approver name")
        self.role_edit = QLineEdit()
        self.role_edit.setAccessibleName("Approver role")
        self.decision_combo = QComboBox()
        self.decision_combo.setAccessibleName("Decision")
        for key, label in DECISIONS.items():
            self.decision_combo.addItem(label, key)
        self.decision_combo.currentIndexChanged.connect(self._update_form)
        self.conditions_edit = QPlainTextEdit()
        self.conditions_edit.setAccessibleName("Conditions")
        self.conditions_edit.setTabChangesFocus(True)
        self.conditions_edit.setFixedHeight(56)
        self.conditions_edit.setPlaceholderText("Required when approving with conditions")
        self.conditions_edit.textChanged.connect(self._update_form)
        self.date_edit = QDateEdit(QDate.currentDate())
        self.date_edit.setAccessibleName("Date of the decision")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.draft_edit = QLineEdit()
        self.draft_edit.setAccessibleName("Fingerprint of the draft the approver read (optional)")
        self.draft_edit.setPlaceholderText("optional: the fingerprint printed on the draft that was read")
        self.draft_edit.textChanged.connect(self._update_draft_warning)
        self.key_check = QCheckBox("Sign with my key (Ed25519)")
        self.key_check.setAccessibleName("Sign with my key")
        self.key_label = QLabel()
        self.key_label.setWordWrap(True)
        self.sign_button = QPushButton("&Sign off...")
        self.sign_button.setAccessibleName("Sign the workbook off")
        self.sign_button.setAutoDefault(False)
        self.sign_button.clicked.connect(self._sign)
        self.name_edit.textChanged.connect(self._update_form)
        self.role_edit.textChanged.connect(self._update_form)
        form.addRow("Approver &name:", self.name_edit)
        form.addRow("&Role:", self.role_edit)
        form.addRow("&Decision:", self.decision_combo)
        form.addRow("C&onditions:", self.conditions_edit)
        form.addRow("D&ate:", self.date_edit)
        form.addRow("Draft &fingerprint:", self.draft_edit)
        sign_column.addLayout(form)
        sign_column.addWidget(self.warning)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_check)
        key_row.addWidget(self.key_label, 1)
        sign_column.addLayout(key_row)
        sign_buttons = QHBoxLayout()
        sign_buttons.addStretch(1)
        sign_buttons.addWidget(self.sign_button)
        sign_column.addLayout(sign_buttons)
        sign_column.addStretch(1)
        for label_widget in (form.labelForField(w) for w in (self.name_edit, self.role_edit, self.decision_combo,
                                                             self.conditions_edit, self.date_edit, self.draft_edit)):
            if isinstance(label_widget, QLabel):
                label_widget.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        actions.addWidget(self.sign_box, 3)

        self.revoke_box = QGroupBox("Revoke the sign-off")
        revoke_column = QVBoxLayout(self.revoke_box)
        revoke_layout = QFormLayout()
        revoke_layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.signed_label = QLabel()
        self.signed_label.setWordWrap(True)
        self.signed_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.revoke_by_edit = QLineEdit()
        self.revoke_by_edit.setAccessibleName("Revoked by")
        self.revoke_reason_edit = QPlainTextEdit()
        self.revoke_reason_edit.setAccessibleName("Reason for revoking")
        self.revoke_reason_edit.setTabChangesFocus(True)
        self.revoke_reason_edit.setFixedHeight(56)
        self.revoke_button = QPushButton("Re&voke sign-off...")
        self.revoke_button.setAccessibleName("Revoke the sign-off")
        self.revoke_button.setAutoDefault(False)
        self.revoke_button.clicked.connect(self._revoke)
        self.revoke_by_edit.textChanged.connect(self._update_form)
        self.revoke_reason_edit.textChanged.connect(self._update_form)
        revoke_column.addWidget(self.signed_label)
        revoke_layout.addRow("Revoked &by:", self.revoke_by_edit)
        revoke_layout.addRow("Reaso&n:", self.revoke_reason_edit)
        revoke_column.addLayout(revoke_layout)
        revoke_buttons = QHBoxLayout()
        revoke_buttons.addStretch(1)
        revoke_buttons.addWidget(self.revoke_button)
        revoke_column.addLayout(revoke_buttons)
        revoke_column.addStretch(1)
        actions.addWidget(self.revoke_box, 2)
        column.addLayout(actions)

        # -- audit log --------------------------------------------------------------------------------
        audit_box = QGroupBox("Audit log")
        audit_layout = QVBoxLayout(audit_box)
        self.chain_label = QLabel()
        self.chain_label.setWordWrap(True)
        self.chain_label.setTextFormat(Qt.TextFormat.RichText)
        audit_layout.addWidget(self.chain_label)
        self.audit_table = _table(["#", "When (UTC)", "Action", "By", "Details", "Entry hash"], "Audit log")
        self.audit_table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.audit_table.horizontalHeader().setSectionResizeMode(5, QHeaderView.ResizeMode.ResizeToContents)
        audit_layout.addWidget(self.audit_table)
        column.addWidget(audit_box)
        column.addStretch(1)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scrolling(content))
        chain = [self.export_button, self.copy_button, self.details_button, self.gates_table, self.readiness_table,
                 self.metrics_table,
                 self.name_edit, self.role_edit, self.decision_combo, self.conditions_edit, self.date_edit,
                 self.draft_edit, self.key_check, self.sign_button, self.revoke_by_edit, self.revoke_reason_edit,
                 self.revoke_button, self.audit_table]
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)

    # ---- Public API ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        document = self.document
        if document is None:
            return
        if not self.isVisible():  # computing the decision reads every trace row: do it when shown
            self._stale = True
            return
        self.message.clear()
        self.plan_line.follow(document)
        # the decision content reads every trace row: computed in the background, "computing…" meanwhile
        self.decision, self._draft_fingerprint, self.computing = None, None, True
        self._lock_retries = 0
        self._start_decision()
        self._show_state()
        self._show_content()
        self._show_audit()
        self._update_form()
        self._update_draft_warning()
        window = self.window()
        self.export_button.setEnabled(hasattr(window, "open_export_dialog"))
        self.export_button.setToolTip("" if self.export_button.isEnabled() else "Export is not available yet")

    def current_fingerprint(self) -> str | None:
        return self.decision.fingerprint if self.decision else None

    def _start_decision(self) -> None:
        """Put the decision content together from the document's shared economics (computed once per state by
        desktop.ui.economics_state, never here); while they are being computed, start when they land."""
        document = self.document
        self._follow(document)
        economics = cached_economics(document)
        if economics is None:
            self._waiting_for_economics = True
            economics_state(document).request()
            return
        self._waiting_for_economics = False
        self._decision_runner.start(compute_decision, document.copy.database, snapshot(document.workbook),
                                    self.playbook, economics)

    def _follow(self, document: Any) -> None:
        """Listen to the shared economics and sign-off check of `document` (once per document)."""
        if self._followed is document:
            return
        self._followed = document
        economics = economics_state(document)
        follow(self, economics.updated, lambda _f, d=document: d is self.document and self._on_economics())
        follow(self, economics.failed,
               lambda message, d=document: d is self.document and self._on_economics_failed(message))
        follow(self, signoff_check(document).updated,
               lambda _s, d=document: d is self.document and self._on_signoff_state())

    def _on_economics(self) -> None:
        if self._waiting_for_economics and self.computing and cached_economics(self.document) is not None:
            self._start_decision()

    def _on_economics_failed(self, message: str) -> None:
        if self._waiting_for_economics and self.computing:
            self._waiting_for_economics = False
            self._on_decision_failed(message)

    def _on_signoff_state(self) -> None:
        if self.document is not None and self.isVisible():
            self._show_state()
        elif self.document is not None:
            self._stale = True

    def _on_decision(self, result: Decision) -> None:
        self.decision, self.computing = result, False
        # what a draft fingerprint typed in the form is compared with (the form is closed while signed)
        signed = self.document is not None and self.document.workbook.signed
        self._draft_fingerprint = self.decision.fingerprint if not signed else None
        for show in (self._show_content, self._update_form, self._update_draft_warning):
            show()

    def _on_decision_failed(self, message: str) -> None:
        if is_momentary_lock(message) and self._lock_retries < LOCK_RETRIES and self.document is not None:
            self._lock_retries += 1  # another connection held the working copy just then: again shortly
            QTimer.singleShot(250, lambda: self.computing and self.document is not None and self._start_decision())
            return
        self.decision, self.computing, self._lock_retries = None, False, 0
        self.message.show_message(html.escape(f"The decision content cannot be computed: {message}"))
        self._show_content()
        self._update_form()

    # ---- Private API --------------------------------------------------------------------------------
    def _show_details(self, shown: bool) -> None:
        self.details.setVisible(shown)
        self.details_button.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.details_button.setText("Hide the gates, readiness and key figures" if shown
                                    else "Show the gates, readiness and key figures")

    def _show_state(self) -> None:
        document = self.document
        signoff = document.workbook.signoff
        if signoff is None:
            self.state_banner.set_kind("info")
            text = ("<b>Draft, not signed off.</b> Exports are marked DRAFT and carry the fingerprint below; "
                    "the approver can sign off exactly the draft they read.")
            if document.read_only_reason:
                text += " " + html.escape(document.read_only_reason)
            self.state_banner.show_message(text)
            self.signed_label.setText("The workbook is not signed off.")
            return
        decision = DECISIONS.get(signoff.decision, signoff.decision)
        state = signoff_check(document).state  # never computes: CHECKING until the background check lands
        if state in (CHECKING, UNCHECKED):
            self.state_banner.set_kind("warning" if state == UNCHECKED else "info")
            because = (f": {html.escape(signoff_check(document).error or '')}" if state == UNCHECKED else
                       " (the content is being compared with the signed fingerprint).")
            self.state_banner.show_message(
                f"<b>Signed off: {html.escape(decision)}</b> by {html.escape(signoff.approver)} "
                f"({html.escape(signoff.role)}) on {html.escape(signoff.date)}. "
                f"<i>{html.escape(signoff_state_note(state, True).strip(' ()').capitalize())}</i>{because}")
            self._show_signoff_in_form(signoff)
            self.signed_label.setText(f"{decision} by {signoff.approver} ({signoff.role}), {signoff.date} "
                                      f"({signoff_state_note(state, True).strip(' ()')}).")
            return
        if state == TAMPERED:
            self.state_banner.set_kind("error")
            self.state_banner.show_message(
                f"<b>TAMPERED</b>: signed off ({html.escape(decision)}) by {html.escape(signoff.approver)} on "
                f"{html.escape(signoff.date)}, but the content was changed afterwards and no longer matches the "
                "signed fingerprint. The sign-off does not hold; run Verify, or revoke it and sign again.")
            self._show_signoff_in_form(signoff)
            self.signed_label.setText(f"TAMPERED: {decision} by {signoff.approver} ({signoff.role}), {signoff.date}; "
                                      "the content changed since.")
            return
        self.state_banner.set_kind("info")
        key = (f" Signed with key {signing.key_fingerprint(signoff.public_key)}." if signoff.signature and
               signoff.public_key else " Fingerprint only (no key signature).")
        self.state_banner.show_message(
            f"<b>Signed off: {html.escape(decision)}</b> by {html.escape(signoff.approver)} "
            f"({html.escape(signoff.role)}) on {html.escape(signoff.date)}.{html.escape(key)} "
            "The workbook is read-only until the sign-off is revoked.")
        self._show_signoff_in_form(signoff)
        conditions = f"\nConditions: {signoff.conditions}" if signoff.conditions else ""
        self.signed_label.setText(f"{decision} by {signoff.approver} ({signoff.role}), {signoff.date}.{conditions}")

    def _show_signoff_in_form(self, signoff: Any) -> None:
        """A signed workbook's form shows what was recorded (read-only)."""
        for edit, value in ((self.name_edit, signoff.approver), (self.role_edit, signoff.role),
                            (self.draft_edit, signoff.draft_fingerprint or "")):
            if edit.text() != value:
                edit.setText(value)
        index = self.decision_combo.findData(signoff.decision)
        if index >= 0:
            self.decision_combo.setCurrentIndex(index)
        if self.conditions_edit.toPlainText() != signoff.conditions:
            self.conditions_edit.setPlainText(signoff.conditions)
        date = QDate.fromString(signoff.date, "yyyy-MM-dd")
        if date.isValid():
            self.date_edit.setDate(date)
        self.key_check.setChecked(bool(signoff.signature))

    def _show_content(self) -> None:
        workbook = self.document.workbook
        decision = self.decision
        if decision is not None:
            rec = decision.recommendation
            override = ""
            if rec.override is not None and rec.override.route:
                override = (f"<br>Officer override (replaces {html.escape(rec.status(rec.computed_route).route)}): "
                            f"{html.escape(rec.override.reason)}")
            basis = " ".join(r.text for r in rec.basis if r.code != "officer-override")
            self.route_label.setText(
                f"<span style='font-size:12pt'>Recommended route: <b>{html.escape(rec.route_name)}</b></span>"
                f" &nbsp; Fallback: <b>{html.escape(rec.fallback_name)}</b><br>{html.escape(basis)}{override}")
        else:
            self.route_label.setText(f"Recommended route: {'<i>computing…</i>' if self.computing else 'not available'}")

        _fill(self.gates_table, *gate_rows(self.playbook, workbook))
        _fill(self.readiness_table, *readiness_rows(self.playbook, workbook))

        rows, colours = [], {}
        if decision is not None:
            for r, status in enumerate(decision.recommendation.statuses):
                rows.append([status.route, status.status.replace("-", " "), format_money(status.cost_at_target)])
                colours[(r, 1)] = theme.colour(status.status) if status.status in ("supported", "not-yet",
                                                                                   "avoid") else ""
            numbers = decision.recommendation.numbers
            utilization = f"Measured GPU utilization {format_percent(numbers.measured_utilization, missing=NOT_OBSERVED)}"
            if numbers.dedicated_break_even_utilization is not None:
                utilization += f" against a dedicated break-even of {format_percent(numbers.dedicated_break_even_utilization)}"
            memory = numbers.memory_verdict or "no memory scenario saved"
            self.numbers_label.setText(f"{utilization}. Memory fit: {memory}. "
                                       f"{self.decision.trace_count:,} trace row(s).")
        else:
            self.numbers_label.setText("")
        _fill(self.metrics_table, rows, colours)

        signoff = workbook.signoff
        if signoff is not None:  # what was signed is recorded: shown at once, compared when computed
            self.fingerprint_caption.setText("<b>Signed fingerprint:</b>")
            text = group_fingerprint(signoff.fingerprint)
            if decision is not None and signoff.fingerprint != decision.fingerprint:
                text += "  (the content now differs: run Verify)"
            self.fingerprint_label.setText(text)
        elif decision is None:
            self.fingerprint_caption.setText("<b>Draft fingerprint:</b>")
            self.fingerprint_label.setText("computing…" if self.computing else "not available")
        else:
            self.fingerprint_caption.setText("<b>Draft fingerprint:</b>")
            self.fingerprint_label.setText(group_fingerprint(decision.fingerprint))

    def _show_audit(self) -> None:
        log = self.document.workbook.audit
        _fill(self.audit_table, audit_rows(log))
        signoff = self.document.workbook.signoff
        text = html.escape(audit_status_text(log, signoff))
        broken = bool(audit_problems(log, signoff))
        self.chain_label.setText(theme.span("problem", text, bold=True) if broken else text)

    def _update_form(self) -> None:
        document = self.document
        if document is None:
            return
        signed = document.workbook.signed
        blocked = bool(document.read_only_reason)
        for widget in (self.decision_combo, self.date_edit, self.key_check):
            widget.setEnabled(not signed and not blocked)
        for edit in (self.name_edit, self.role_edit, self.draft_edit, self.conditions_edit):
            _look_read_only(edit, signed or blocked)
        conditional = self.decision_combo.currentData() == "approve-with-conditions"
        self.conditions_edit.setEnabled(signed or blocked or conditional)
        self.sign_box.setTitle("Signed off (as recorded)" if signed else "Sign off")
        self.sign_button.setVisible(not signed)
        self.revoke_box.setVisible(signed)  # nothing to revoke before a sign-off
        self.conditions_edit.setPlaceholderText("" if signed else "Required when approving with conditions")
        self.draft_edit.setPlaceholderText("" if signed else "optional: the fingerprint printed on the draft "
                                                             "that was read")
        ready = bool(self.name_edit.text().strip() and self.role_edit.text().strip()) and (
            not conditional or bool(self.conditions_edit.toPlainText().strip()))
        self.sign_button.setEnabled(not signed and not blocked and ready and self.decision is not None)
        self.revoke_by_edit.setEnabled(signed and not blocked)
        self.revoke_reason_edit.setEnabled(signed and not blocked)
        self.revoke_button.setEnabled(signed and not blocked and bool(self.revoke_by_edit.text().strip())
                                      and bool(self.revoke_reason_edit.toPlainText().strip()))
        if signing.key_exists():
            info = None
            try:
                info = signing.key_info()
            except DomainError as exc:
                self.key_label.setText(html.escape(str(exc)))
            if info is not None:
                self.key_label.setText(f"Your key: {info.fingerprint}")
        else:
            self.key_label.setText("You have no signing key yet; one is created when you sign with it.")

    def _update_draft_warning(self) -> None:
        text = self.draft_edit.text().strip()
        if not text or self.document is None or self.document.workbook.signed:
            self.warning.clear()
            return
        try:
            given = normalize_fingerprint(text)
        except DomainError:
            self.warning.show_message("That is not a fingerprint: it has 64 hex digits (spaces are fine).")
            return
        if self._draft_fingerprint is not None and given != self._draft_fingerprint:
            self.warning.show_message(
                "<b>The content changed since this draft.</b> The approver read a draft with a different "
                "fingerprint; signing now records that difference. Export a new draft for them to read first.")
        else:
            self.warning.clear()

    def _copy_fingerprint(self) -> None:
        fingerprint = (self.document.workbook.signoff.fingerprint if self.document and self.document.workbook.signed
                       else self.current_fingerprint())
        if fingerprint:
            QGuiApplication.clipboard().setText(fingerprint)

    def _export(self) -> None:
        window = self.window()
        opener = getattr(window, "open_export_dialog", None)
        if opener is not None:
            opener()

    def _sign(self) -> None:
        document = self.document
        if document is None or document.workbook.signed:
            return
        self.message.clear()
        if document.path is None:
            dialogs.inform(self, "Save first", "Save the workbook to a file before signing it off.")
            saver = getattr(self.window(), "on_save_as", None)
            if saver is None or not saver() or document.path is None:
                return
        decision = self.decision_combo.currentData()
        fields: dict[str, Any] = {
            "approver": self.name_edit.text(), "role": self.role_edit.text(), "decision": decision,
            "conditions": self.conditions_edit.toPlainText() if decision == "approve-with-conditions" else "",
            "date": self.date_edit.date().toString("yyyy-MM-dd"),
            "draft_fingerprint": self.draft_edit.text().strip() or None,
            "economics": cached_economics(document),  # the shared ones for this state: not computed again
        }
        try:
            if self.key_check.isChecked():
                key = officer_key(self)
                if key is None:
                    return
                fields["private_key"] = key
            changed = bool(self.warning.isVisible())
            question = (f"Sign off '{document.display_name()}' as {DECISIONS[decision]} by "
                        f"{fields['approver'].strip()} ({fields['role'].strip()})?\n\n"
                        "The workbook becomes read-only and is saved now; a later change needs the sign-off "
                        "revoked, which is recorded in the audit log.")
            if changed:
                question += "\n\nWarning: the content changed since the draft the approver read."
            if not dialogs.confirm(self, "Sign off", question):
                return
            result = document.sign(**fields)
        except (DomainError, OSError) as exc:
            if document.workbook.signed:  # signed in the working copy; only writing the file failed
                self.message.show_message(html.escape(f"Signed off, but the file could not be saved: {exc}. "
                                                      "Save it again (File > Save)."))
            else:
                self.message.show_message(html.escape(f"Not signed off: {exc}"))
            return
        self.draft_edit.clear()
        dialogs.inform(self, "Signed off", f"Signed off and saved.\n\nFingerprint:\n"
                                          f"{group_fingerprint(result.fingerprint)}")

    def _revoke(self) -> None:
        document = self.document
        if document is None or not document.workbook.signed:
            return
        self.message.clear()
        by = self.revoke_by_edit.text().strip()
        reason = self.revoke_reason_edit.toPlainText().strip()
        if not dialogs.confirm(self, "Revoke the sign-off",
                               f"Revoke the sign-off of '{document.display_name()}'?\n\nRevoked by {by}: {reason}"
                               "\n\nThis is recorded in the audit log and saved now; the workbook can then be "
                               "edited and must be signed off again."):
            return
        try:
            document.revoke(by=by, reason=reason)
        except (DomainError, OSError) as exc:
            if not document.workbook.signed:  # revoked in the working copy; only writing the file failed
                self.message.show_message(html.escape(f"Revoked, but the file could not be saved: {exc}. "
                                                      "Save it again (File > Save)."))
            else:
                self.message.show_message(html.escape(f"Not revoked: {exc}"))
            return
        self.revoke_by_edit.clear()
        self.revoke_reason_edit.clear()
