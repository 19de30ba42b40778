"""The progress/cancel protocol every service reports through (defined in `desktop.domain.progress`, because
the importers, storage and exports below this layer report through it too)."""

from __future__ import annotations

from desktop.domain.progress import NO_PROGRESS, Cancelled, NoProgress, Progress, check_cancelled

__all__ = ["NO_PROGRESS", "Cancelled", "NoProgress", "Progress", "check_cancelled"]
