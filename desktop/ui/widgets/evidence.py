"""The evidence picker of a checklist item, and opening an evidence file safely.

The picker only shows a reference and reports what the officer asked for; the gate page turns that into
an undoable edit. Opening a file asks first, never runs a program or script, and goes through the system
viewer (QDesktopServices); a document id or URL is shown as text and never opened.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.domain import evidence as rules
from desktop.domain.evidence import DEFAULT_EMBED_CAP_BYTES, EvidenceCheck
from desktop.domain.workbook import EvidenceRef
from desktop.ui import settings, theme
from desktop.ui.widgets import dialogs

_STATE_ROLES = {EvidenceCheck.UNCHANGED: "ok", EvidenceCheck.CHANGED: "problem", EvidenceCheck.MISSING: "problem",
                EvidenceCheck.OUTSIDE: "warning"}


def describe(ref: EvidenceRef) -> str:
    """The reference in one line: where it is, its size and fingerprint, when it was attached."""
    if ref.kind == "text":
        return ref.text
    parts = [ref.path, rules.format_size(ref.size), f"SHA-256 {rules.short_hash(ref.sha256)}",
             f"attached {ref.attached_at.replace('T', ' ')[:16]}"]
    if ref.embedded:
        parts.append("embedded in the workbook")
    return " \u00b7 ".join(parts)


class EvidencePicker(QWidget):
    """Shows an item's evidence reference with the actions that apply to it.

    Signals:
        sig_file_chosen(object): a file to attach (a Path), picked with the file dialog.
        sig_text_entered(str): a document id or URL to record instead of a file.
        sig_embed_requested(): embed the attached file's bytes in the workbook.
        sig_open_requested(): open the attached file with the system viewer.
        sig_save_copy_requested(): write the embedded copy to a file.
        sig_remove_requested(): drop the reference.
    """

    sig_file_chosen = Signal(object)
    """A file was picked to attach (pathlib.Path)."""
    sig_text_entered = Signal(str)
    """A document id or URL was entered."""
    sig_embed_requested = Signal()
    """The officer asked to embed the file."""
    sig_open_requested = Signal()
    """The officer asked to open the file."""
    sig_save_copy_requested = Signal()
    """The officer asked to save the embedded copy as a file."""
    sig_remove_requested = Signal()
    """The officer asked to remove the reference."""

    def __init__(self, item_label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item_label = item_label
        self.reference: EvidenceRef | None = None
        self.state: EvidenceCheck | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setAccessibleName(f"Evidence of {item_label}")
        self.check_label = QLabel()
        self.check_label.setWordWrap(True)
        layout.addWidget(self.summary)
        layout.addWidget(self.check_label)
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        self.attach_button = self._button("Attach file\u2026", f"Attach a file as evidence of {item_label}",
                                          self._on_attach_clicked)
        self.text_button = self._button("ID or URL\u2026", f"Enter a document id or URL as evidence of {item_label}",
                                        self._on_text_clicked)
        self.open_button = self._button("Open\u2026", f"Open the evidence file of {item_label}",
                                        self.sig_open_requested.emit)
        cap = rules.format_size(DEFAULT_EMBED_CAP_BYTES)
        self.embed_button = self._button(f"Embed copy (up to {cap.replace('.0', '')})",
                                         f"Embed the evidence file of {item_label} in the workbook, up to {cap}",
                                         self.sig_embed_requested.emit)
        self.save_copy_button = self._button("Save embedded copy\u2026",
                                             f"Save the embedded copy of the evidence of {item_label} as a file",
                                             self.sig_save_copy_requested.emit)
        self.copy_button = self._button("Copy", f"Copy the evidence reference of {item_label}", self._on_copy)
        self.remove_button = self._button("Remove", f"Remove the evidence reference of {item_label}",
                                          self.sig_remove_requested.emit)
        for button in (self.attach_button, self.text_button, self.open_button, self.embed_button,
                       self.save_copy_button, self.copy_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.set_reference(None, None, read_only=False)

    def _button(self, text: str, accessible: str, slot) -> QPushButton:
        button = QPushButton(text)
        button.setAccessibleName(accessible)
        button.setToolTip(accessible)
        button.setAutoDefault(False)
        button.clicked.connect(lambda _checked=False: slot())
        return button

    # ---- Public API ---------------------------------------------------------------------------------
    def set_reference(self, ref: EvidenceRef | None, state: EvidenceCheck | None, *, read_only: bool) -> None:
        self.reference, self.state = ref, state
        is_file = ref is not None and ref.kind == "file"
        if ref is None:
            self.summary.setText("<i>No evidence yet.</i> Attach or drop a file, or enter a document id or URL.")
            self.check_label.setVisible(False)
        else:
            self.summary.setText(f"<b>Evidence:</b> {html.escape(describe(ref))}")
            colour = theme.colour(_STATE_ROLES[state]) if state in _STATE_ROLES else ""
            text = html.escape(rules.describe_check(ref, state)) if state is not None else ""
            self.check_label.setText(f"<span style='color:{colour}'>{text}</span>" if colour else text)
            self.check_label.setAccessibleName(f"Evidence check of {self.item_label}: {text}")
            self.check_label.setVisible(bool(text))
        self.attach_button.setText("Replace file\u2026" if ref is not None else "Attach file\u2026")
        self.attach_button.setEnabled(not read_only)
        self.text_button.setEnabled(not read_only)
        self.open_button.setVisible(is_file and state is not EvidenceCheck.MISSING)
        self.embed_button.setVisible(is_file and not ref.embedded)
        self.embed_button.setEnabled(not read_only and state is EvidenceCheck.UNCHANGED)
        self.save_copy_button.setVisible(is_file and ref.embedded)
        self.copy_button.setVisible(ref is not None and ref.kind == "text")
        self.remove_button.setVisible(ref is not None)
        self.remove_button.setEnabled(not read_only)

    # ---- Private API --------------------------------------------------------------------------------
    def _on_attach_clicked(self) -> None:
        path = dialogs.ask_open_file(self, f"Attach evidence: {self.item_label}", settings.last_folder("evidence"))
        if path is not None:
            settings.set_last_folder("evidence", path.parent)
            self.sig_file_chosen.emit(path)

    def _on_text_clicked(self) -> None:
        current = self.reference.text if self.reference is not None and self.reference.kind == "text" else ""
        text = dialogs.ask_line(self, f"Evidence: {self.item_label}", "Document id or URL (kept as text):", current)
        if text:
            self.sig_text_entered.emit(text)

    def _on_copy(self) -> None:
        if self.reference is not None:
            QGuiApplication.clipboard().setText(self.reference.label)


def open_file_safely(parent: QWidget | None, path: Path, state: EvidenceCheck) -> bool:
    """Ask, then open `path` with the system viewer; programs and scripts are refused (their folder is
    offered instead). Returns True when the viewer was asked to open something."""
    if not rules.may_open(path.name):
        if dialogs.confirm(parent, "Open evidence",
                           f"{path.name} is a program, script or macro document. The app never runs files; "
                           f"open the folder that holds it instead?"):
            return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))
        return False
    warning = ("\n\nThe file changed since it was attached: it is not the evidence that was recorded."
               if state is EvidenceCheck.CHANGED else "")
    if not dialogs.confirm(parent, "Open evidence", f"Open {path} with the system's viewer?{warning}"):
        return False
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def confirm_outside_path(parent: QWidget | None, path: Path) -> bool:
    """Ask once before the app reads an evidence path outside the workbook's folder (a received workbook's
    sender chose it); remote, device and non-file paths are refused without asking."""
    from desktop.storage import evidence_places
    if evidence_places.is_remote_or_device(str(path)):
        dialogs.inform(parent, "Open evidence", f"{path} is a network, URL or device path; the app never opens it.")
        return False
    if not dialogs.confirm(parent, "Evidence outside the workbook's folder",
                           f"{path} is outside the workbook's folder, so it was not checked. Received "
                           "workbooks can name any file on this computer. Check and open this file?"):
        return False
    return evidence_places.confirm(path)
