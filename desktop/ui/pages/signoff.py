"""Placeholder page, filled in by later work."""

from __future__ import annotations

from desktop.domain.playbook import Playbook
from desktop.ui.pages.base import PendingPage


class SignoffPage(PendingPage):
    def __init__(self, playbook: Playbook) -> None:
        super().__init__("Sign-off & Export", "This page is being built.")
