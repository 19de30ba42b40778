"""Placeholder page, filled in by the issue-3 work."""

from __future__ import annotations

from desktop.domain.playbook import Gate, Playbook
from desktop.ui.pages.base import PendingPage


class GatePage(PendingPage):
    def __init__(self, playbook: Playbook, gate: Gate) -> None:
        super().__init__(gate.name, gate.buyer_question)
