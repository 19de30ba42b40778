"""Slugs: the stable, typeable names of gates, routes and readiness dimensions."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TypeVar

from desktop.domain.errors import UnknownNameError

_NON_ALNUM = re.compile(r"[^a-z0-9]+")

T = TypeVar("T")


def slugify(name: str) -> str:
    """Lowercase; each run of non-alphanumerics becomes one '-'; no '-' at the ends."""
    return _NON_ALNUM.sub("-", name.lower()).strip("-")


def resolve(query: str, items: Iterable[T], *, slug: Callable[[T], str], name: Callable[[T], str],
            kind: str) -> T:
    """The item whose slug or exact name equals `query`, ignoring case."""
    wanted = query.strip().casefold()
    items = list(items)
    for item in items:
        if wanted in (slug(item).casefold(), name(item).casefold()):
            return item
    choices = ", ".join(slug(item) for item in items)
    raise UnknownNameError(f"unknown {kind} '{query}' (choose one of: {choices})")
