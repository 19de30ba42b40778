"""Placeholder page, filled in by the issue-3 work."""

from __future__ import annotations

from desktop.domain.playbook import Playbook
from desktop.ui.pages.base import PendingPage


class ContextPage(PendingPage):
    def __init__(self, playbook: Playbook) -> None:
        super().__init__("Buyer context", "This page is being built.")
