"""Storage errors: each message says what is wrong with which file, and that nothing was changed."""

from __future__ import annotations

from desktop.domain.errors import DomainError


class WorkbookFileError(DomainError):
    """A file that cannot be opened as a workbook (not one, corrupt, too new, missing)."""


class WorkbookLockedError(DomainError):
    """Another process is editing the workbook."""
