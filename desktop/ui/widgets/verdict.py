"""The gate's verdict: four choices, and the justification for passing with open items."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QButtonGroup, QGroupBox, QHBoxLayout, QLabel, QRadioButton, QVBoxLayout, QWidget

from desktop.domain.workbook import GateAssessment, GateStatus
from desktop.ui.widgets.editors import CommitTextEdit

_ORDER = (GateStatus.NOT_ASSESSED, GateStatus.PASSED, GateStatus.AT_RISK, GateStatus.FAILED)


_MOVES = {Qt.Key.Key_Left: -1, Qt.Key.Key_Up: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Down: 1}
_COMMITS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class VerdictButton(QRadioButton):
    """A verdict choice that commits only when chosen: arrow keys move the focus to the next choice without
    checking it (a plain radio group checks as the focus moves, which would set every verdict on the way,
    and open the justification dialog for "Passed"); Space, Enter or a click chooses it."""

    def __init__(self, text: str, siblings: list[QRadioButton]) -> None:
        super().__init__(text)
        self.siblings = siblings
        self.setAutoExclusive(False)  # the group below keeps one checked; auto-exclusion would move it on arrows

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        step = _MOVES.get(Qt.Key(event.key()))
        if step is not None:
            enabled = [b for b in self.siblings if b.isEnabled()]
            if self in enabled:
                target = enabled[(enabled.index(self) + step) % len(enabled)]
                target.setFocus(Qt.FocusReason.TabFocusReason)
            event.accept()
            return
        if event.key() in _COMMITS:
            event.accept()
            self.click()
            return
        super().keyPressEvent(event)


class VerdictEditor(QGroupBox):
    """Radio buttons for the verdict (arrow keys move the focus, Space or Enter chooses) and the justification
    box.

    Signals:
        sig_status_chosen(object): the officer picked a verdict (a GateStatus).
        sig_justification_committed(str): an edit session of the justification ended.
    """

    sig_status_chosen = Signal(object)
    """A verdict radio button was clicked."""
    sig_justification_committed = Signal(str)
    """The justification was edited."""

    def __init__(self, gate_name: str, parent: QWidget | None = None) -> None:
        super().__init__("Verdict", parent)
        self.setAccessibleName(f"Verdict of {gate_name}")
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.group = QButtonGroup(self)
        self.buttons: dict[GateStatus, QRadioButton] = {}
        siblings: list[QRadioButton] = []
        for status in _ORDER:
            button = VerdictButton(status.label, siblings)
            siblings.append(button)
            button.setAccessibleName(f"Verdict: {status.label}")
            button.setToolTip(f"{status.label}: arrow keys move between the verdicts, Space or Enter chooses one")
            self.group.addButton(button)
            self.buttons[status] = button
            button.clicked.connect(lambda _checked=False, s=status: self.sig_status_chosen.emit(s))
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        self.justification_label = QLabel("&Justification for passing with open items "
                                          "(kept, and shown in exports as an exception):")
        self.justification_label.setWordWrap(True)
        self.justification_edit = CommitTextEdit(f"Justification for passing {gate_name} with open items", lines=2)
        self.justification_label.setBuddy(self.justification_edit)
        self.justification_edit.sig_committed.connect(self.sig_justification_committed.emit)
        layout.addWidget(self.justification_label)
        layout.addWidget(self.justification_edit)

    def set_gate(self, gate: GateAssessment, *, read_only: bool) -> None:
        self.buttons[gate.status].setChecked(True)
        for button in self.buttons.values():
            button.setEnabled(not read_only)
        show = bool(gate.justification) or (gate.status is GateStatus.PASSED and bool(gate.open_items))
        self.justification_label.setVisible(show)
        self.justification_edit.setVisible(show)
        self.justification_edit.set_committed_text(gate.justification)
        self.justification_edit.setReadOnly(read_only)

    def status(self) -> GateStatus:
        return next(s for s, b in self.buttons.items() if b.isChecked())
