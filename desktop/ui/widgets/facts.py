"""The gate facts panel: what the workbook's numbers say about a gate (see `desktop.ui.gate_facts`)."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from desktop.ui import gate_facts, theme
from desktop.ui.document import Document

_MARKS = {"info": "", "ok": "OK", "warning": "Check", "problem": "Problem"}


class GateFactsPanel(QGroupBox):
    """Facts for one gate from the registered providers, or an honest 'No data yet'."""

    def __init__(self, slug: str, parent: QWidget | None = None) -> None:
        super().__init__("Figures from the workbook", parent)
        self.slug = slug
        self.setAccessibleName("Figures from the workbook")
        outer = QVBoxLayout(self)
        self.empty_label = QLabel()
        self.empty_label.setWordWrap(True)
        self.empty_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        outer.addWidget(self.empty_label)
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setVerticalSpacing(2)
        outer.addWidget(self.grid_host)
        self.facts: list[gate_facts.Fact] = []

    def refresh(self, document: Document) -> None:
        self.facts = gate_facts.gate_facts(self.slug, document)
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        if not self.facts:
            self.empty_label.setText(gate_facts.no_data_message(self.slug))
            self.empty_label.setVisible(True)
            self.grid_host.setVisible(False)
            return
        self.empty_label.setVisible(False)
        self.grid_host.setVisible(True)
        for index, fact in enumerate(self.facts):
            mark = _MARKS[fact.status]
            badge = theme.span(fact.status, f"{mark}:", bold=True) + " " if mark else ""
            label = QLabel(f"<b>{html.escape(fact.label)}</b>")
            label.setWordWrap(True)
            value = QLabel(badge + html.escape(fact.value))
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setContentsMargins(12, 0, 0, 6)
            value.setAccessibleName(f"{fact.label}: {fact.value}" + (f" ({mark})" if mark else ""))
            self.grid.addWidget(label, 2 * index, 0)
            self.grid.addWidget(value, 2 * index + 1, 0)

    def text(self) -> str:
        """What the panel says, as plain text (for tests and the summary)."""
        if not self.facts:
            return self.empty_label.text()
        return "\n".join(f"{f.label}: {f.value}" for f in self.facts)
