"""The one progress/cancel protocol for slow work, and the one `Cancelled` exception.

Slow functions (an import, an export, the economics of a large trace table) take a `progress` argument and
know nothing about who listens: the GUI's task runner turns it into a progress bar and a Cancel button, the
CLI passes `NO_PROGRESS`. The protocol lives in the domain layer because importers, storage, economics and
exports (all below the service layer) report through it; `desktop.services.progress` re-exports it.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

# ---- Public API


class Cancelled(Exception):
    """The caller asked to stop; whatever was under way produced nothing (a transaction rolls back).

    Deliberately not an OSError (InterruptedError is one): code that handles unreadable files must never
    swallow a cancel by accident.
    """

    def __init__(self, message: str = "cancelled") -> None:
        super().__init__(message)


@runtime_checkable
class Progress(Protocol):
    """What a slow function reports to, and asks whether to stop.

    `stage(name, total)` starts a named step of `total` units (None: not known in advance); `advance(n)`
    says n more units of the current step are done; `cancelled()` is polled between units of work.
    """

    def stage(self, name: str, total: int | None = None) -> None: ...

    def advance(self, n: int = 1) -> None: ...

    def cancelled(self) -> bool: ...


class NoProgress:
    """Reports nowhere and never cancels: for the CLI and for tests that do not watch progress."""

    def stage(self, name: str, total: int | None = None) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def cancelled(self) -> bool:
        return False


NO_PROGRESS = NoProgress()


def check_cancelled(progress: Progress | None) -> None:
    """Raise Cancelled when the caller asked to stop (None never asks)."""
    if progress is not None and progress.cancelled():
        raise Cancelled()


class FractionTicker:
    """Coarse checkpoints ("20% done") reported through a Progress as one stage of 100 units.

    For pipelines that know where they are only as a fraction (the importers' detect, read, map, validate
    steps): `sub(start, end)` maps a step's own 0-1 range into its share of the whole, so a step does not
    need to know where it sits. Calling the ticker first checks for a cancel (raising Cancelled).
    """

    UNITS = 100

    def __init__(self, progress: Progress | None, name: str = "", *, _shared: list[int] | None = None,
                 _start: float = 0.0, _span: float = 1.0) -> None:
        self._progress = progress
        self._done = _shared if _shared is not None else [0]
        self._start = _start
        self._span = _span
        if progress is not None and _shared is None:
            progress.stage(name, self.UNITS)

    def sub(self, start: float, end: float) -> FractionTicker:
        return FractionTicker(self._progress, _shared=self._done, _start=self._start + start * self._span,
                              _span=(end - start) * self._span)

    def __call__(self, fraction: float) -> None:
        check_cancelled(self._progress)
        if self._progress is None:
            return
        reached = round(self.UNITS * min(1.0, max(0.0, self._start + fraction * self._span)))
        if reached > self._done[0]:
            self._progress.advance(reached - self._done[0])
            self._done[0] = reached
