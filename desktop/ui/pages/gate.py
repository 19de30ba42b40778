"""A decision gate's page: the buyer question, the evidence checklist, the figures, the note and the verdict.

Every edit is one undoable command on the document, made as it happens (a text field commits when its
editing session ends). The gate rules live in `desktop.domain.gates`; this page only calls them and shows
their refusals.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from desktop.domain import gates as rules
from desktop.domain.errors import DomainError
from desktop.domain.playbook import Gate, Playbook
from desktop.domain.workbook import GateAssessment, GateStatus, ItemState
from desktop.storage import evidence as evidence_files
from desktop.ui import commands, settings
from desktop.ui.economics_state import economics_state
from desktop.ui.pages.base import Page, scrolling
from desktop.ui.trace_summary import trace_summary_state
from desktop.ui.widgets import dialogs
from desktop.ui.widgets.banner import Banner
from desktop.ui.widgets.checklist import ChecklistItemEditor
from desktop.ui.widgets.editors import CommitTextEdit
from desktop.domain.evidence import EvidenceCheck
from desktop.ui.widgets.evidence import confirm_outside_path, open_file_safely
from desktop.ui.widgets.facts import GateFactsPanel
from desktop.ui.widgets.verdict import VerdictEditor


class GatePage(Page):
    """The page of one of the playbook's decision gates."""

    def __init__(self, playbook: Playbook, gate: Gate) -> None:
        super().__init__()
        self.playbook = playbook
        self.gate = gate
        self.title = gate.name
        self.number = [g.slug for g in playbook.gates].index(gate.slug) + 1
        self.setAccessibleName(f"Gate {self.number}: {gate.name}")

        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(16, 12, 16, 12)
        column.setSpacing(10)
        heading = QLabel(f"<h2 style='margin:0'>Gate {self.number} of {len(playbook.gates)}: "
                         f"{html.escape(gate.name)}</h2>")
        question = QLabel(f"<span style='font-size:13pt'><b>Buyer question:</b> "
                          f"{html.escape(gate.buyer_question)}</span>")
        question.setWordWrap(True)
        needed = QLabel(f"<b>Evidence needed:</b> {html.escape(gate.evidence_needed)}")
        needed.setWordWrap(True)
        for label in (question, needed):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.warning = Banner("warning")
        self.message = Banner("error")
        self.read_only_banner = Banner("info")
        progress_row = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setAccessibleName(f"Checklist progress of {gate.name}")
        self.progress.setFixedSize(180, 12)
        self.progress.setTextVisible(False)
        self.progress_label = QLabel()
        progress_row.addWidget(QLabel("<b>Checklist:</b>"))
        progress_row.addWidget(self.progress)
        progress_row.addWidget(self.progress_label)
        progress_row.addStretch(1)
        for widget in (heading, question, needed, self.read_only_banner, self.warning, self.message):
            column.addWidget(widget)
        column.addLayout(progress_row)

        columns = QHBoxLayout()
        columns.setSpacing(12)
        checklist = QGroupBox("Evidence checklist")
        checklist.setAccessibleName(f"Evidence checklist of {gate.name}")
        checklist_layout = QVBoxLayout(checklist)
        hint = QLabel("Tick an item when its evidence is collected. Attach the evidence file (or drop it on "
                      "the item), or enter a document id or URL.")
        hint.setWordWrap(True)
        checklist_layout.addWidget(hint)
        self.items: list[ChecklistItemEditor] = []
        for spec in gate.checklist:
            editor = ChecklistItemEditor(spec)
            n = spec.number
            editor.sig_done_toggled.connect(lambda done, n=n: self._on_item_done(n, done))
            editor.sig_owner_committed.connect(lambda text, n=n: self._on_item_owner(n, text))
            editor.sig_note_committed.connect(lambda text, n=n: self._on_item_note(n, text))
            editor.sig_file_dropped.connect(lambda path, n=n: self.attach_file(n, path))
            editor.evidence.sig_file_chosen.connect(lambda path, n=n: self.attach_file(n, path))
            editor.evidence.sig_text_entered.connect(lambda text, n=n: self.attach_text(n, text))
            editor.evidence.sig_embed_requested.connect(lambda n=n: self.embed_evidence(n))
            editor.evidence.sig_open_requested.connect(lambda n=n: self.open_evidence(n))
            editor.evidence.sig_save_copy_requested.connect(lambda n=n: self.save_embedded_copy(n))
            editor.evidence.sig_remove_requested.connect(lambda n=n: self._on_remove_evidence(n))
            checklist_layout.addWidget(editor)
            self.items.append(editor)
        checklist_layout.addStretch(1)
        columns.addWidget(checklist, 3)

        side = QVBoxLayout()
        side.setSpacing(10)
        self.verdict = VerdictEditor(gate.name)
        self.verdict.sig_status_chosen.connect(self._on_status_chosen)
        self.verdict.sig_justification_committed.connect(self._on_justification)
        self.facts = GateFactsPanel(gate.slug)
        note_box = QGroupBox("Gate note")
        note_layout = QVBoxLayout(note_box)
        self.note_edit = CommitTextEdit(f"Note on {gate.name}", lines=4)
        self.note_edit.setPlaceholderText("Open questions, who was consulted, what is still missing")
        self.note_edit.sig_committed.connect(self._on_note)
        note_layout.addWidget(self.note_edit)
        side.addWidget(self.verdict)
        side.addWidget(note_box)
        side.addWidget(self.facts)
        side.addStretch(1)
        columns.addLayout(side, 2)
        column.addLayout(columns)
        column.addStretch(1)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.scroll = scrolling(content)
        outer.addWidget(self.scroll)
        self._set_tab_order()

    # ---- Public API ---------------------------------------------------------------------------------
    def assessment(self) -> GateAssessment:
        return self.document.workbook.gates[self.gate.slug]

    def refresh(self) -> None:
        document = self.document
        if document is None:
            return
        gate = self.assessment()
        read_only = document.read_only
        progress = rules.gate_progress(gate)
        self.progress.setRange(0, max(progress.total, 1))
        self.progress.setValue(progress.done)
        self.progress.setFormat(f"{progress.done} of {progress.total}")
        self.progress_label.setText(f"{progress.done} of {progress.total} items done, verdict: "
                                    f"<b>{gate.status.label}</b>" + (" (exception: passed with open items)"
                                                                      if gate.is_exception else ""))
        if rules.shows_skip_warning(gate):
            self.warning.show_message(f"<b>Not passed yet. If this gate is skipped:</b> "
                                      f"{html.escape(self.gate.failure_if_skipped)}")
        else:
            self.warning.clear()
        reason = document.read_only_reason or ("The workbook is signed off; revoke the sign-off to change it."
                                               if document.workbook.signed else "")
        self.read_only_banner.show_message(html.escape(reason) if read_only else "")
        for editor, item in zip(self.items, gate.items):
            check = evidence_files.check(item.evidence, document.path) if item.evidence is not None else None
            editor.set_state(item, check, read_only=read_only)
        self.verdict.set_gate(gate, read_only=read_only)
        self.note_edit.set_committed_text(gate.note)
        self.note_edit.setReadOnly(read_only)
        self.facts.refresh(document)

    def bind(self, document) -> None:  # noqa: D102 (Page API)
        self.message.clear()
        # the economics and trace facts fill in when the background results land
        for signal in (economics_state(document).updated, economics_state(document).failed,
                       trace_summary_state(document).updated):
            signal.connect(self._on_background_facts)
        super().bind(document)

    def _on_background_facts(self, *_outcome) -> None:
        if self.document is None:
            return
        if self.isVisible():
            self.facts.refresh(self.document)
        else:
            self._stale = True

    def attach_file(self, number: int, path: Path) -> None:
        """Attach `path` as item `number`'s evidence, by reference (fingerprint, size, time, path)."""
        try:
            self.document.check_editable()
            ref = evidence_files.attach_file(Path(path), self.document.path)
        except (DomainError, OSError) as exc:
            self._refuse(exc)
            return
        self._edit_item(number, f"Attach {Path(path).name} to item {number} of {self.gate.name}",
                        lambda item: replace(item, evidence=ref))

    def attach_text(self, number: int, text: str) -> None:
        try:
            ref = evidence_files.text_reference(text)
        except DomainError as exc:
            self._refuse(exc)
            return
        self._edit_item(number, f"Record evidence id for item {number} of {self.gate.name}",
                        lambda item: replace(item, evidence=ref))

    def embed_evidence(self, number: int) -> None:
        """Embed item `number`'s evidence file in the workbook (size cap applies)."""
        ref = self.assessment().items[number - 1].evidence
        if ref is None:
            return
        try:
            self.document.check_editable()
            with self.document.store.transaction():
                embedded = evidence_files.embed(ref, self.document.path, self.document.store)
        except (DomainError, OSError) as exc:
            self._refuse(exc)
            return
        self._edit_item(number, f"Embed evidence of item {number} of {self.gate.name}",
                        lambda item: replace(item, evidence=embedded))

    def open_evidence(self, number: int) -> bool:
        ref = self.assessment().items[number - 1].evidence
        if ref is None or ref.kind != "file":
            return False
        path = evidence_files.locate(ref, self.document.path)
        state = evidence_files.check(ref, self.document.path)
        if state is EvidenceCheck.OUTSIDE:
            if path is None or not confirm_outside_path(self, path):
                return False
            state = evidence_files.check(ref, self.document.path)
            self.refresh()
        if path is None or not path.is_file():
            self._refuse(DomainError(f"{ref.path} is not found" + (
                "; use 'Save embedded copy' to get the copy kept in the workbook" if ref.embedded else "")))
            return False
        return open_file_safely(self, path, state)

    def save_embedded_copy(self, number: int) -> Path | None:
        ref = self.assessment().items[number - 1].evidence
        if ref is None or not ref.embedded:
            return None
        suggested = str(Path(settings.last_folder("evidence")) / Path(ref.path).name)
        target = dialogs.ask_save_file(self, "Save embedded evidence as", suggested)
        if target is None:
            return None
        try:
            written = evidence_files.extract(ref, self.document.store, target, overwrite=True)
        except (DomainError, OSError) as exc:
            self._refuse(exc)
            return None
        settings.set_last_folder("evidence", written.parent)
        return written

    # ---- Private API --------------------------------------------------------------------------------
    def _set_tab_order(self) -> None:
        chain: list[QWidget] = []
        for editor in self.items:
            picker = editor.evidence
            chain += [editor.done_box, editor.owner_edit, editor.note_edit, picker.attach_button,
                      picker.text_button, picker.open_button, picker.embed_button, picker.save_copy_button,
                      picker.copy_button, picker.remove_button]
        chain += list(self.verdict.buttons.values()) + [self.verdict.justification_edit, self.note_edit]  # facts: text
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)

    def _refuse(self, error: Exception) -> None:
        self.message.show_message(f"<b>Not changed:</b> {html.escape(str(error))}")
        self.refresh()

    def _push(self, new: GateAssessment, text: str) -> None:
        if new == self.assessment():
            return
        try:
            self.document.push(commands.set_gate(self.document, new, text))
        except DomainError as exc:
            self._refuse(exc)
            return
        self.message.clear()

    def _edit(self, text: str, change: Callable[[GateAssessment], GateAssessment]) -> None:
        try:
            new = change(self.assessment())
        except DomainError as exc:
            self._refuse(exc)
            return
        self._push(new, text)

    def _edit_item(self, number: int, text: str, change: Callable[[ItemState], ItemState]) -> None:
        self._edit(text, lambda gate: rules.set_item(gate, number, change(gate.items[number - 1])))

    def _on_item_done(self, number: int, done: bool) -> None:
        verb = "Tick" if done else "Untick"
        self._edit_item(number, f"{verb} item {number} of {self.gate.name}", lambda item: replace(item, done=done))

    def _on_item_owner(self, number: int, owner: str) -> None:
        self._edit_item(number, f"Edit owner of item {number} of {self.gate.name}",
                        lambda item: replace(item, owner=owner.strip()))

    def _on_item_note(self, number: int, note: str) -> None:
        self._edit_item(number, f"Edit note on item {number} of {self.gate.name}",
                        lambda item: replace(item, note=note.strip()))

    def _on_remove_evidence(self, number: int) -> None:
        self._edit_item(number, f"Remove evidence of item {number} of {self.gate.name}",
                        lambda item: replace(item, evidence=None))

    def _on_note(self, text: str) -> None:
        self._edit(f"Edit note on {self.gate.name}", lambda gate: rules.set_note(gate, text))

    def _on_justification(self, text: str) -> None:
        self._edit(f"Edit justification of {self.gate.name}", lambda gate: rules.set_justification(gate, text))

    def _on_status_chosen(self, status: GateStatus) -> None:
        gate = self.assessment()
        if status is gate.status:
            return
        justification = None
        if rules.needs_justification(gate, status):
            items = ", ".join(str(n) for n in gate.open_items)
            justification = dialogs.ask_text(
                self, f"Pass {self.gate.name} with open items",
                f"Checklist item(s) {items} are still open. Why may {self.gate.name} pass anyway? "
                "The justification is kept and shown in the exports as an exception.")
            if justification is None:
                self.message.show_message(f"<b>Not passed:</b> {self.gate.name} has open item(s) {items}; "
                                          "passing needs a justification.")
                self.verdict.set_gate(gate, read_only=self.document.read_only)
                self.verdict.buttons[status].setFocus(Qt.FocusReason.OtherFocusReason)  # back where the officer was
                return
        self._edit(f"Set verdict of {self.gate.name} to {status.label.lower()}",
                   lambda g: rules.set_verdict(g, status, justification))
