"""Errors raised by the domain layer; each names what was wrong in words a user can act on."""

from __future__ import annotations


class DomainError(ValueError):
    """An invalid value or a refused operation."""


class FieldError(DomainError):
    """A value that breaks a field's rule."""

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field}: {reason} (value {value!r})")


class PlaybookError(DomainError):
    """The playbook data is missing a field or has a wrong one."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        super().__init__(f"playbook field '{path}': {reason}")


class UnknownNameError(DomainError):
    """A slug or name that matches nothing."""


class SignedWorkbookError(DomainError):
    """An edit of a signed-off workbook: it is read-only until the sign-off is revoked."""

    def __init__(self) -> None:
        super().__init__("the workbook is signed off and read-only; revoke the sign-off to change it")
