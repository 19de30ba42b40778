"""Storage errors: each message says what is wrong with which file, and that nothing was changed."""

from __future__ import annotations

from desktop.domain.errors import DomainError


class WorkbookFileError(DomainError):
    """A file that cannot be opened as a workbook (not one, corrupt, too new, missing)."""


class WorkbookLockedError(DomainError):
    """Another process is editing the workbook."""


class DamagedTracesError(WorkbookFileError):
    """A trace cell holds what no importer or edit writes (text that is not UTF-8, a blob, an infinity): the
    file was damaged or made by hand. Refused in one line rather than read as something else."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"the workbook's trace rows hold {detail}, which no import or edit writes: the file is "
                         "damaged or was made by hand; nothing was changed (restore it from a backup)")
