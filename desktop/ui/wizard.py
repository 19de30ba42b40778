"""The guided assessment: buyer context, the five gates, readiness and the summary as eight steps.

The steps are the main window's own pages; a footer under them shows "Gate 1 of 5 · Step 2 of 8" with
Back / Next / Finish, and an Assessment menu offers Start / Resume / Review. The footer is shown on the
steps, and on the Overview as one line with the way in (Start, Resume, or after Finish the completed
state: "Assessment complete on 6 Dec: 3 passed, 2 at risk" with Review); other pages have none. Edits land
in the document as they are made (each page pushes undoable commands), so Finish only closes the
walk-through. The step the officer is on is stored in the workbook (`ui.wizardStep`) without marking it
modified, and the window resumes there when the workbook is opened again.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMenu, QPushButton, QWidget

from desktop.domain.errors import DomainError
from desktop.domain.playbook import Playbook
from desktop.domain.workbook import GateStatus
from desktop.ui.widgets.editors import commit_pending_edit

STEP_STATE_KEY = "wizardStep"
COMPLETED_STATE_KEY = "wizardCompletedOn"  # ISO date of the last Finish
_VERDICT_WORDS = ((GateStatus.PASSED, "passed"), (GateStatus.AT_RISK, "at risk"), (GateStatus.FAILED, "failed"),
                  (GateStatus.NOT_ASSESSED, "not assessed"))


def verdict_counts(gates) -> str:
    """'3 passed, 2 at risk' over the gate assessments (only the verdicts that occur)."""
    statuses = [g.status for g in gates]
    return ", ".join(f"{statuses.count(s)} {words}" for s, words in _VERDICT_WORDS if statuses.count(s))


def wizard_steps(playbook: Playbook, available: Iterable[str]) -> list[str]:
    """The page keys of the walk-through, in order, among the pages the window has."""
    wanted = ["context", *(f"gate:{g.slug}" for g in playbook.gates), "readiness", "summary"]
    present = set(available)
    return [key for key in wanted if key in present]


class WizardFooter(QFrame):
    """The bar under the pages: where the officer is in the walk-through, and the buttons to move."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("wizardFooter")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("QFrame#wizardFooter { border: none; border-top: 1px solid palette(mid); }")
        self.setAccessibleName("Guided assessment")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 6, 16, 6)
        self.position_label = QLabel()
        self.position_label.setAccessibleName("Assessment step")
        self.resume_button = QPushButton()
        self.back_button = QPushButton("< &Back")
        self.back_button.setAccessibleName("Back to the previous step")
        self.next_button = QPushButton("&Next >")
        self.next_button.setAccessibleName("Next step")
        self.finish_button = QPushButton("Fi&nish")
        self.finish_button.setAccessibleName("Finish the assessment walk-through")
        for button in (self.resume_button, self.back_button, self.next_button, self.finish_button):
            button.setAutoDefault(False)
        layout.addWidget(self.position_label, 1)
        layout.addWidget(self.resume_button)
        layout.addWidget(self.back_button)
        layout.addWidget(self.next_button)
        layout.addWidget(self.finish_button)


class AssessmentWizard(QObject):
    """Drives the walk-through over a MainWindow's pages (see the module docstring)."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.steps = wizard_steps(window.playbook, window.pages)
        self.footer = WizardFooter()
        self.start_action = QAction("&Start assessment", window)
        self.start_action.setShortcut(QKeySequence("Ctrl+Shift+A"))
        self.start_action.triggered.connect(self.start)
        self.back_action = QAction("&Previous step", window)
        self.back_action.setShortcut(QKeySequence("Alt+Left"))
        self.back_action.triggered.connect(self.back)
        self.next_action = QAction("N&ext step", window)
        self.next_action.setShortcut(QKeySequence("Alt+Right"))
        self.next_action.triggered.connect(self.next)
        for action in (self.back_action, self.next_action):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            window.addAction(action)
        self.menu = QMenu("&Assessment", window)
        self.menu.addAction(self.start_action)
        self.menu.addSeparator()
        self.menu.addAction(self.back_action)
        self.menu.addAction(self.next_action)
        help_action = next((a for a in window.menuBar().actions() if a.text().replace("&", "") == "Help"), None)
        if help_action is not None:
            window.menuBar().insertMenu(help_action, self.menu)
        else:
            window.menuBar().addMenu(self.menu)
        self.footer.resume_button.clicked.connect(self._on_resume_clicked)
        self.footer.back_button.clicked.connect(self.back)
        self.footer.next_button.clicked.connect(self.next)
        self.footer.finish_button.clicked.connect(self.finish)
        summary = window.pages.get("summary")
        if summary is not None and hasattr(summary, "sig_page_requested"):
            summary.sig_page_requested.connect(self._on_page_requested)
        window.navigation.currentRowChanged.connect(self._on_page_changed)
        window.documentReplaced.connect(self._on_document_replaced)
        window.installEventFilter(self)

    # ---- Public API ---------------------------------------------------------------------------------
    def current_key(self) -> str:
        return self.window.current_key()

    def completed_on(self) -> dt.date | None:
        """The day of the last Finish, or None while the walk-through was never finished."""
        document = self.window.document
        raw = document.ui_state(COMPLETED_STATE_KEY) if document is not None else None
        try:
            return dt.date.fromisoformat(raw) if isinstance(raw, str) else None
        except ValueError:
            return None

    def review(self) -> None:
        """After Finish: the summary of every verdict."""
        self.go_to(self.steps[-1])

    def _on_resume_clicked(self) -> None:
        self.review() if self.completed_on() is not None else self.start()

    def stored_step(self) -> str | None:
        document = self.window.document
        if document is None:
            return None
        step = document.ui_state(STEP_STATE_KEY)
        return step if step in self.steps else None

    def step_number(self, key: str) -> int | None:
        return self.steps.index(key) + 1 if key in self.steps else None

    def start(self) -> None:
        """Start the walk-through, or resume it at the step stored in the workbook."""
        self.go_to(self.stored_step() or self.steps[0])

    def go_to(self, key: str) -> None:
        commit_pending_edit()
        self.window.show_page(key)
        self._focus_page(key)

    def back(self) -> None:
        number = self.step_number(self.current_key())
        if number is not None and number > 1:
            self.go_to(self.steps[number - 2])

    def next(self) -> None:
        number = self.step_number(self.current_key())
        if number is not None and number < len(self.steps):
            self.go_to(self.steps[number])

    def finish(self) -> None:
        """Leave the walk-through for the overview, marked complete; the edits are already in the workbook."""
        commit_pending_edit()
        document = self.window.document
        try:
            document.set_ui_state(COMPLETED_STATE_KEY, dt.date.today().isoformat())
        except (DomainError, sqlite3.Error, OSError) as exc:
            self.window.statusBar().showMessage(f"Could not remember that the assessment is complete: {exc}", 8000)
        if "overview" in self.window.pages:
            self.window.show_page("overview")
        self.window.statusBar().showMessage(
            "Assessment walk-through finished. Everything entered is in the workbook; save it to keep it.", 10000)

    # ---- Qt overrides -------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if watched is self.window and event.type() == QEvent.Type.Close:
            commit_pending_edit()  # closing from the title bar must not drop the note being typed
        return False

    # ---- Private API --------------------------------------------------------------------------------
    def _focus_page(self, key: str) -> None:
        """Put the keyboard focus on the step's first control, so Tab continues from there."""
        page = self.window.pages.get(key)
        if page is None:
            return
        widget = page.nextInFocusChain()
        while widget is not None and widget is not page:
            if (page.isAncestorOf(widget) and widget.isVisible() and widget.isEnabled()
                    and widget.focusPolicy() & Qt.FocusPolicy.TabFocus):
                widget.setFocus(Qt.FocusReason.TabFocusReason)
                return
            widget = widget.nextInFocusChain()

    def _on_page_requested(self, key: str) -> None:
        if key in self.window.pages:
            self.go_to(key)

    def _on_page_changed(self, _row: int) -> None:
        key = self.current_key()
        document = self.window.document
        if key in self.steps and document is not None:
            try:
                if document.ui_state(STEP_STATE_KEY) != key:
                    document.set_ui_state(STEP_STATE_KEY, key)
            except (DomainError, sqlite3.Error, OSError) as exc:
                self.window.statusBar().showMessage(f"Could not remember the assessment step: {exc}", 8000)
        self._update()

    def _on_document_replaced(self) -> None:
        step = self.stored_step()
        if step is not None:
            self.window.show_page(step)
        self._update()

    def _update(self) -> None:
        key = self.current_key()
        number = self.step_number(key)
        footer = self.footer
        total = len(self.steps)
        stored = self.stored_step()
        completed = self.completed_on()
        footer.setVisible(number is not None or key == "overview")  # no footer on pages that are not steps
        if number is not None:
            title = self.window.pages[key].title
            gates = [g.slug for g in self.window.playbook.gates]
            slug = key.split(":", 1)[1] if key.startswith("gate:") else None
            where = f"Gate {gates.index(slug) + 1} of {len(gates)} \u00b7 " if slug in gates else ""
            footer.position_label.setText(f"<b>{where}Step {number} of {total}</b>: {title}")
            footer.position_label.setAccessibleName(f"{where}Step {number} of {total}: {title}")
            footer.resume_button.setVisible(False)
            footer.back_button.setVisible(True)
            footer.back_button.setEnabled(number > 1)
            footer.next_button.setVisible(number < total)
            footer.finish_button.setVisible(number == total)
        else:
            footer.back_button.setVisible(False)
            footer.next_button.setVisible(False)
            footer.finish_button.setVisible(False)
            footer.resume_button.setVisible(True)
            if completed is not None:
                counts = verdict_counts(self.window.document.workbook.gates.values())
                footer.position_label.setText(f"Assessment complete on {completed.day} {completed:%b}: {counts}.")
                footer.resume_button.setText("Re&view")
            elif stored is not None:
                where = self.window.pages[stored].title
                footer.position_label.setText(f"Guided assessment: you stopped at step {self.step_number(stored)} "
                                              f"of {total}, {where}.")
                footer.resume_button.setText("&Resume assessment")
            else:
                footer.position_label.setText(f"Guided assessment: {total} steps from the buyer context through "
                                              "the five gates to the summary.")
                footer.resume_button.setText("&Start assessment")
            footer.position_label.setAccessibleName(footer.position_label.text())
            footer.resume_button.setAccessibleName(
                "Review the completed assessment" if completed is not None
                else footer.resume_button.text().replace("&", ""))
        self.start_action.setText("&Resume assessment" if stored is not None and completed is None
                                  else "&Start assessment")
        self.back_action.setEnabled(number is not None and number > 1)
        self.next_action.setEnabled(number is not None and number < total)
