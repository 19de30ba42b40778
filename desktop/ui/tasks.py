"""Run slow plain functions off the GUI thread, with progress, a working Cancel and clear failures.

The function takes a `TaskControl` (the service layer's Progress protocol) as its last argument: it
reports progress through it and checks `cancelled()` now and then, raising Cancelled to stop. Results,
failures and progress reach the GUI thread as queued signals.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from desktop.domain.errors import DomainError
from desktop.domain.progress import Cancelled

log = logging.getLogger(__name__)


class TaskControl:
    """What a task function sees: the service layer's Progress protocol (stage, advance, cancelled).

    Thread-safe: the worker reports, the GUI thread cancels. Each report goes out as (fraction of the
    current stage done, stage name); a stage of unknown size reports 0.
    """

    def __init__(self, report: Callable[[float, str], None]) -> None:
        self._report = report
        self._cancel = threading.Event()
        self._name = ""
        self._total: int | None = None
        self._done = 0

    def stage(self, name: str, total: int | None = None) -> None:
        self._name, self._total, self._done = name, total, 0
        self._report(0.0, name)

    def advance(self, n: int = 1) -> None:
        self._done += n
        if self._total:
            self._report(max(0.0, min(1.0, self._done / self._total)), self._name)

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()


class Task(QObject):
    """One background run of `function(*args, control)`.

    Signals:
        progressed(float, str): fraction done and what is happening.
        succeeded(object): the function's return value.
        failed(str): a message for the user (domain errors as they are; anything else summarised).
        cancelled(): the function stopped because Cancel was pressed.
        done(): after any of the three above.
    """

    progressed = Signal(float, str)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    done = Signal()

    def __init__(self, function: Callable[..., Any], *args: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.control = TaskControl(lambda f, t: self.progressed.emit(f, t))
        self._function = function
        self._args = args
        self._thread = QThread()
        self._thread.run = self._run  # type: ignore[method-assign]
        self._thread.finished.connect(self.done.emit)
        self.running = False

    def start(self) -> None:
        self.running = True
        self.done.connect(self._on_done)
        self._thread.start()

    def cancel(self) -> None:
        self.control.cancel()

    def wait(self, ms: int = 30_000) -> bool:
        return self._thread.wait(ms)

    def _on_done(self) -> None:
        self.running = False

    def _run(self) -> None:
        try:
            result = self._function(*self._args, self.control)
        except Cancelled:
            self.cancelled.emit()
        except DomainError as exc:
            self.failed.emit(str(exc))
        except MemoryError:
            self.failed.emit("not enough memory to finish; try a smaller file")
        except Exception as exc:  # a bug: the user gets a sentence, the log gets the traceback
            log.exception("background task failed")
            self.failed.emit(f"an unexpected error stopped the task ({type(exc).__name__}: {exc})")
        else:
            if self.control.cancelled():
                self.cancelled.emit()
            else:
                self.succeeded.emit(result)
