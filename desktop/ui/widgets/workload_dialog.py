"""Adding a workload: its name and forecast monthly volume asked together, a missing volume flagged inline.

A workload without a volume (0 or empty) may still be added, because the officer may not have the forecast
yet, but the dialog says what that means before OK: it adds nothing to the plan, the Summary or the memo.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from desktop.domain.errors import DomainError
from desktop.ui import theme

NO_VOLUME = ("No monthly volume yet: this workload adds nothing to the plan, the summary or the memo until "
             "you enter its forecast requests per month.")


class WorkloadDialog(QDialog):
    """Name and volume of a new workload; `result_workload()` gives (name, volume) after OK."""

    def __init__(self, suggested: str, taken: set[str], parse, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add workload")
        self.taken = {name.casefold() for name in taken}
        self.parse = parse
        self.name_edit = QLineEdit(suggested)
        self.name_edit.setAccessibleName("Workload name")
        self.name_edit.selectAll()
        self.volume_edit = QLineEdit()
        self.volume_edit.setAccessibleName("Forecast requests per month")
        self.volume_edit.setPlaceholderText("e.g. 120,000")
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setAccessibleName("Problem with the workload")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        name_label = QLabel("&Name:")
        name_label.setBuddy(self.name_edit)
        volume_label = QLabel("Forecast &requests per month:")
        volume_label.setBuddy(self.volume_edit)
        form.addRow(name_label, self.name_edit)
        form.addRow(volume_label, self.volume_edit)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("What the purchase must serve: a task family and how many requests it makes."))
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.name_edit.textChanged.connect(self._check)
        self.volume_edit.textChanged.connect(self._check)
        self.resize(460, self.sizeHint().height())
        self._check()

    def result_workload(self) -> tuple[str, float]:
        return self.name_edit.text().strip(), self._volume() or 0.0

    # ---- Private API --------------------------------------------------------------------------------
    def _volume(self) -> float | None:
        return self.parse(self.volume_edit.text(), "monthlyRequests", optional=True)

    def _check(self) -> None:
        name = self.name_edit.text().strip()
        blocking, text, role = True, "", "problem"
        try:
            volume = self._volume()
        except DomainError:
            text = "The forecast requests per month must be a number (separators such as 120,000 are fine)."
        else:
            if not name:
                text = "The workload needs a name."
            elif name.casefold() in self.taken:
                text = f"There is already a workload named {name}."
            elif volume is not None and volume < 0:
                text = "The forecast requests per month cannot be negative."
            else:
                blocking = False
                if not volume:
                    text, role = NO_VOLUME, "warning"
        self.problem.setText(text)
        self.problem.setStyleSheet(theme.style(role) if text else "")
        self.problem.setVisible(bool(text))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not blocking)


def ask_new_workload(parent: QWidget | None, suggested: str, taken: set[str], parse) -> tuple[str, float] | None:
    """(name, monthly requests) of a workload to add, or None when cancelled."""
    dialog = WorkloadDialog(suggested, taken, parse, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.result_workload()
