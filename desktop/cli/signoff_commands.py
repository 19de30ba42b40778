"""Placeholder: filled in by later work."""

from typing import Any


def register(subparsers: Any) -> None:
    """Adds no subcommand yet."""
