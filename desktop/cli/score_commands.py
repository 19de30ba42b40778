"""Placeholder: filled in by the issue-3 work."""

from typing import Any


def register(subparsers: Any) -> None:
    """Adds no subcommand yet."""
