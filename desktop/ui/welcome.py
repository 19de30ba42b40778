"""The first-launch welcome panel on the Overview: what the app does, the three first steps, and the three
ways to begin (the sample, a new workbook, an existing one).

It shows until the officer dismisses it; the dismissal is remembered for the user (not per workbook), and
Help > Show welcome panel brings it back.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QToolButton, QVBoxLayout, QWidget

from desktop.ui import settings, theme

DISMISSED_KEY = "welcome/dismissed"
TEXT = (
    "<h3 style='margin:0'>Welcome to the Inference Procurement Workbook</h3>"
    "<p>It helps you decide how to buy LLM inference (a managed API, a hosted open-weight model, a dedicated "
    "endpoint or your own GPUs) and keeps the evidence for that decision in one workbook file that can be "
    "signed off.</p>"
    "<ol style='margin-top:0'>"
    "<li><b>Frame the decision</b> on Buyer context: the workloads and their monthly volume.</li>"
    "<li><b>Walk the five gates</b> (Assessment &gt; Start assessment): tick the evidence, set a verdict.</li>"
    "<li><b>Bring in the numbers</b> on Traces: drop the team's spreadsheet or benchmark results on the "
    "window.</li></ol>"
    "<p style='margin:0'>Press <b>F1</b> on any page for the user guide.</p>")


class WelcomePanel(QFrame):
    """Signals: sig_sample(), sig_new(), sig_open(): the officer chose how to begin."""

    sig_sample = Signal()
    sig_new = Signal()
    sig_open = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomePanel")
        self.setAccessibleName("Welcome")
        text, background, border = theme.banner_colours("info")
        self.setStyleSheet(f"QFrame#welcomePanel {{ background: {background}; border: 1px solid {border}; "
                           f"border-radius: 6px; }} QFrame#welcomePanel QLabel {{ color: {text}; }}")
        self.body = QLabel(TEXT)
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.close_button = QToolButton()
        self.close_button.setText("\u2715")
        self.close_button.setAccessibleName("Dismiss the welcome panel")
        self.close_button.setToolTip("Dismiss (Help > Show welcome panel brings it back)")
        self.close_button.clicked.connect(self.dismiss)
        self.sample_button = QPushButton("Start with the &sample")
        self.new_button = QPushButton("New &workbook")
        self.open_button = QPushButton("&Open\u2026")
        self.dismiss_button = QPushButton("&Got it")
        self.dismiss_button.setAccessibleName("Dismiss the welcome panel")
        for button, signal in ((self.sample_button, self.sig_sample), (self.new_button, self.sig_new),
                               (self.open_button, self.sig_open)):
            button.setAutoDefault(False)
            button.clicked.connect(signal)
        self.dismiss_button.setAutoDefault(False)
        self.dismiss_button.clicked.connect(self.dismiss)
        top = QHBoxLayout()
        top.addWidget(self.body, 1)
        top.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        buttons = QHBoxLayout()
        for button in (self.sample_button, self.new_button, self.open_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.dismiss_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.addLayout(top)
        layout.addLayout(buttons)
        self.setVisible(not dismissed())

    def dismiss(self) -> None:
        settings.settings().setValue(DISMISSED_KEY, True)
        self.setVisible(False)

    def reopen(self) -> None:
        settings.settings().setValue(DISMISSED_KEY, False)
        self.setVisible(True)


def dismissed() -> bool:
    value = settings.settings().value(DISMISSED_KEY, False)
    return value in (True, "true", "1", 1)


def install_on_overview(overview: QWidget) -> WelcomePanel:
    """Put the panel at the top of the Overview's scrolling content, under its heading (no edit to the
    Overview's own code: its content is a vertical layout inside the page's scroll area)."""
    panel = WelcomePanel()
    area = overview.findChild(QScrollArea)
    layout = area.widget().layout() if area is not None else overview.layout()
    layout.insertWidget(1 if layout.count() > 1 else 0, panel)
    overview.welcome_panel = panel
    return panel
