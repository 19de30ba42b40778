"""One evidence-checklist item: done box, owner, note and evidence; a file dropped on it is attached."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDropEvent
from PySide6.QtWidgets import QCheckBox, QFrame, QGridLayout, QLabel, QWidget

from desktop.domain.evidence import EvidenceCheck
from desktop.domain.playbook import ChecklistItem
from desktop.domain.workbook import ItemState
from desktop.ui import theme
from desktop.ui.widgets.editors import CommitLineEdit
from desktop.ui.widgets.evidence import EvidencePicker


def dropped_file(event: QDragEnterEvent | QDropEvent) -> Path | None:
    """The one local file being dragged, or None (several files, folders, remote URLs)."""
    mime = event.mimeData()
    if not mime.hasUrls() or len(mime.urls()) != 1:
        return None
    url = mime.urls()[0]
    if not url.isLocalFile():
        return None
    path = Path(url.toLocalFile())
    return path if path.is_file() else None


class ChecklistItemEditor(QFrame):
    """Editor of checklist item `spec.number`.

    Signals:
        sig_done_toggled(bool): the officer ticked or unticked the item.
        sig_owner_committed(str), sig_note_committed(str): an edit session of the owner or note ended.
        sig_file_dropped(object): a local file (Path) was dropped on the item.
    """

    sig_done_toggled = Signal(bool)
    """The done box was clicked."""
    sig_owner_committed = Signal(str)
    """The owner field was edited."""
    sig_note_committed = Signal(str)
    """The note field was edited."""
    sig_file_dropped = Signal(object)
    """A file was dropped on the item."""

    def __init__(self, spec: ChecklistItem, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.setObjectName("checklistItem")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAcceptDrops(True)
        self._set_drop_highlight(False)
        label = f"item {spec.number}, {spec.text}"
        self.done_box = QCheckBox(f"{spec.number}. {spec.text}")
        self.done_box.setAccessibleName(f"Done: {label}")
        font = self.done_box.font()
        font.setBold(True)
        self.done_box.setFont(font)
        self.done_box.clicked.connect(lambda _checked=False: self.sig_done_toggled.emit(self.done_box.isChecked()))
        self.owner_edit = CommitLineEdit(f"Owner of {label}")
        self.owner_edit.setPlaceholderText("Name")
        self.owner_edit.sig_committed.connect(self.sig_owner_committed.emit)
        self.note_edit = CommitLineEdit(f"Note on {label}")
        self.note_edit.setPlaceholderText("Where the evidence stands, gaps, next step")
        self.note_edit.sig_committed.connect(self.sig_note_committed.emit)
        self.evidence = EvidencePicker(label)
        owner_label = QLabel("Owner:")
        owner_label.setBuddy(self.owner_edit)
        note_label = QLabel("Note:")
        note_label.setBuddy(self.note_edit)

        layout = QGridLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setHorizontalSpacing(8)
        layout.setVerticalSpacing(4)
        layout.addWidget(self.done_box, 0, 0, 1, 4)
        layout.addWidget(owner_label, 1, 0)
        layout.addWidget(self.owner_edit, 1, 1)
        layout.addWidget(note_label, 1, 2)
        layout.addWidget(self.note_edit, 1, 3)
        layout.addWidget(self.evidence, 2, 0, 1, 4)
        layout.setColumnStretch(1, 2)
        layout.setColumnStretch(3, 5)
        self.setTabOrder(self.done_box, self.owner_edit)
        self.setTabOrder(self.owner_edit, self.note_edit)
        self.setTabOrder(self.note_edit, self.evidence.attach_button)
        self.read_only = False

    # ---- Public API ---------------------------------------------------------------------------------
    def set_state(self, item: ItemState, check: EvidenceCheck | None, *, read_only: bool) -> None:
        self.read_only = read_only
        self.done_box.setChecked(item.done)
        self.done_box.setEnabled(not read_only)
        self.owner_edit.set_committed_text(item.owner)
        self.owner_edit.setReadOnly(read_only)
        self.note_edit.set_committed_text(item.note)
        self.note_edit.setReadOnly(read_only)
        self.evidence.set_reference(item.evidence, check, read_only=read_only)
        self.setAcceptDrops(not read_only)

    # ---- Qt overrides -------------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt override)
        if not self.read_only and dropped_file(event) is not None:
            event.acceptProposedAction()
            self._set_drop_highlight(True)
        else:
            event.ignore()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:  # noqa: N802 (Qt override)
        self._set_drop_highlight(False)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt override)
        self._set_drop_highlight(False)
        path = dropped_file(event)
        if self.read_only or path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.sig_file_dropped.emit(path)

    # ---- Private API --------------------------------------------------------------------------------
    def _set_drop_highlight(self, on: bool) -> None:
        border = f"2px dashed {theme.drop_border()}" if on else "1px solid palette(mid)"
        self.setStyleSheet(f"QFrame#checklistItem {{ border: {border}; border-radius: 4px; }}")
