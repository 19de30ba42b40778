"""Progress reporting and cancellation for slow imports, without knowing who listens (GUI task or CLI)."""

from __future__ import annotations

from collections.abc import Callable

from desktop.importers.result import ImportCancelled


class Ticker:
    """Wraps the caller's progress(fraction) and cancel() callables; either may be None.

    Stages report a fraction of their own work; `stage(start, end)` maps it into the overall 0-1 range so a
    stage does not need to know where it sits in the pipeline.
    """

    def __init__(self, progress: Callable[[float], None] | None = None,
                 cancel: Callable[[], bool] | None = None) -> None:
        self._progress = progress
        self._cancel = cancel
        self._start = 0.0
        self._span = 1.0

    def stage(self, start: float, end: float) -> Ticker:
        sub = Ticker(self._progress, self._cancel)
        sub._start = self._start + start * self._span
        sub._span = (end - start) * self._span
        return sub

    def __call__(self, fraction: float) -> None:
        """Report progress and stop with ImportCancelled when the caller asked to cancel."""
        if self._cancel is not None and self._cancel():
            raise ImportCancelled()
        if self._progress is not None:
            self._progress(min(1.0, max(0.0, self._start + fraction * self._span)))
