"""The one way the GUI runs slow work: a `TaskRunner` per owner (dialog, page, model), in the manner of
Orange's ConcurrentMixin.

- The work is a plain service function `function(*args, progress)`: it reports through the service layer's
  Progress protocol (`stage`, `advance`, `cancelled`) and raises Cancelled to stop. It never touches a widget.
- One task at a time per runner: `start()` cancels the task under way and queues the new one behind it
  (the cancelled one stops at its next `cancelled()` check), so two computations of one owner never run
  side by side.
- Only the latest task is heard from: results, failures and progress of a superseded task are dropped on
  the GUI thread, so an owner never sees an out-of-date result.
- Every failure reaches one signal, `sig_failed`, as a sentence: domain errors as they are, MemoryError as
  "not enough memory", anything else summarised (and logged with its traceback).
- Results reach the GUI thread as queued signals; a runner whose owner was deleted drops them.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import threading
import weakref
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from desktop.domain.errors import DomainError
from desktop.domain.progress import Cancelled

log = logging.getLogger(__name__)

# ---- Constants

_PROGRESS, _DONE, _FAILED, _CANCELLED = "progress", "done", "failed", "cancelled"
_ids = itertools.count(1)


# ---- Public API

class TaskState:
    """What a task function sees as its `progress` argument: the Progress protocol, thread-safe.

    Each report goes out as (fraction of the current stage done, stage name); a stage of unknown size
    reports 0. Reports that would not move the bar by at least 0.1 % are skipped.
    """

    def __init__(self, report: Callable[[float, str], None]) -> None:
        self.id = next(_ids)
        self._report = report
        self._cancel = threading.Event()
        self._name = ""
        self._total: int | None = None
        self._done = 0
        self._last = -1.0

    def stage(self, name: str, total: int | None = None) -> None:
        self._name, self._total, self._done, self._last = name, total, 0, 0.0
        self._report(0.0, name)

    def advance(self, n: int = 1) -> None:
        self._done += n
        if self._total:
            fraction = max(0.0, min(1.0, self._done / self._total))
            if fraction - self._last >= 0.001 or fraction == 1.0:
                self._last = fraction
                self._report(fraction, self._name)

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()


class TaskRunner(QObject):
    """Runs its owner's background tasks, one at a time, and delivers only the latest one's outcome.

    Signals:
        sig_progress(float, str): the latest task's fraction of its current stage done, and the stage.
        sig_done(object): the latest task's result.
        sig_failed(str): the latest task failed; a sentence for the officer.
        sig_cancelled(): the latest task stopped because it was cancelled.
        sig_finished(): after any of the three above; the runner is idle unless a task was started since.
    """

    sig_progress = Signal(float, str)
    """The latest task's progress within its current stage (0-1) and the stage's name."""
    sig_done = Signal(object)
    """The latest task's return value."""
    sig_failed = Signal(str)
    """The latest task failed: what to tell the officer."""
    sig_cancelled = Signal()
    """The latest task was cancelled (by `cancel()`, or because a newer one was started)."""
    sig_finished = Signal()
    """The latest task has ended, whatever the outcome."""
    _sig_report = Signal(int, str, object)  # from worker threads; queued to the GUI thread

    def __init__(self, parent: QObject | None = None, *, on_progress: Callable[[float, str], Any] | None = None,
                 on_done: Callable[[Any], Any] | None = None, on_failed: Callable[[str], Any] | None = None,
                 on_cancelled: Callable[[], Any] | None = None, on_finished: Callable[[], Any] | None = None
                 ) -> None:
        """`parent` owns the runner (its signals die with it); the on_* hooks are connected to the signals."""
        super().__init__(parent)
        self._state: TaskState | None = None
        self._thread: threading.Thread | None = None
        self._sig_report.connect(self._on_report)
        for signal, hook in ((self.sig_progress, on_progress), (self.sig_done, on_done), (self.sig_failed, on_failed),
                             (self.sig_cancelled, on_cancelled), (self.sig_finished, on_finished)):
            if hook is not None:
                signal.connect(hook)
        _runners.add(self)

    # ---- Public API
    def start(self, function: Callable[..., Any], *args: Any) -> TaskState:
        """Run `function(*args, state)` once the task under way (cancelled now) has stopped."""
        self.cancel()
        previous = self._thread
        state = TaskState(lambda fraction, text: self._emit(state.id, _PROGRESS, (fraction, text)))
        self._state = state
        self._thread = threading.Thread(target=self._body, args=(previous, state, function, args),
                                        name=f"task-{getattr(function, '__name__', 'function')}", daemon=True)
        self._thread.start()
        return state

    def cancel(self) -> None:
        """Ask the task under way to stop; its outcome still arrives (as sig_cancelled, usually)."""
        if self._state is not None:
            self._state.cancel()

    @property
    def busy(self) -> bool:
        """True from `start()` until the latest task's outcome has been delivered."""
        return self._state is not None

    def wait(self, ms: int = 30_000) -> bool:
        """Block until the worker threads have ended (not until the outcome is delivered); False on timeout."""
        thread = self._thread
        if thread is not None:
            thread.join(ms / 1000)
            return not thread.is_alive()
        return True

    def wait_while(self, busy: Callable[[], bool], ms: int = 60_000) -> bool:
        """Process events until `busy()` is false (its result delivered, not only the thread ended) or `ms`
        passed; for scripts and benchmarks (tests use qtbot.waitUntil). True when no longer busy."""
        from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QEventLoop

        deadline = QDeadlineTimer(ms)
        while busy() and not deadline.hasExpired():
            self.wait(20)
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        return not busy()

    def shutdown(self, ms: int = 30_000) -> None:
        """Cancel and wait: for an owner that closes."""
        self.cancel()
        self.wait(ms)

    # ---- Private API
    def _emit(self, task_id: int, kind: str, payload: Any) -> None:
        try:
            self._sig_report.emit(task_id, kind, payload)
        except RuntimeError:  # the owner (and this runner with it) was deleted: nobody to tell
            pass

    def _body(self, previous: threading.Thread | None, state: TaskState, function: Callable[..., Any],
              args: tuple[Any, ...]) -> None:
        if previous is not None:
            previous.join()  # one at a time: the cancelled task stops at its next check
        kind, payload = _run(function, args, state)
        self._emit(state.id, kind, payload)

    @Slot(int, str, object)
    def _on_report(self, task_id: int, kind: str, payload: Any) -> None:
        state = self._state
        if state is None or task_id != state.id:
            return  # a superseded task: its news is out of date
        if kind == _PROGRESS:
            self.sig_progress.emit(*payload)
            return
        self._state = None
        if kind == _DONE:
            self.sig_done.emit(payload)
        elif kind == _FAILED:
            self.sig_failed.emit(payload)
        else:
            self.sig_cancelled.emit()
        self.sig_finished.emit()


def single_shot(parent: QObject, ms: int, slot: Callable[[], Any]) -> QTimer:
    """A timer of `parent` that calls `slot` once, `ms` after it is started; starting it again while it waits
    starts the wait again (a run of edits, then one piece of work)."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(ms)
    timer.timeout.connect(slot)
    return timer


def _run(function: Callable[..., Any], args: tuple[Any, ...], state: TaskState) -> tuple[str, Any]:
    """Run the function on this (worker) thread; every outcome becomes a (kind, payload) report."""
    if state.cancelled():
        return _CANCELLED, None
    try:
        result = function(*args, state)
    except Cancelled:
        return _CANCELLED, None
    except DomainError as exc:
        return _FAILED, str(exc)
    except MemoryError:
        return _FAILED, "not enough memory to finish; try a smaller file"
    except Exception as exc:  # a bug: the officer gets a sentence, the log gets the traceback
        log.exception("background task failed")
        return _FAILED, f"an unexpected error stopped the task ({type(exc).__name__}: {exc})"
    return (_CANCELLED, None) if state.cancelled() else (_DONE, result)


_runners: weakref.WeakSet[TaskRunner] = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    """At exit, cancel every task and give each a moment to roll back (worker threads are daemons)."""
    runners = []
    for runner in list(_runners):
        try:
            runner.cancel()
            runners.append(runner)
        except RuntimeError:  # deleted with its owner
            continue
    for runner in runners:
        try:
            runner.wait(30_000)
        except RuntimeError:
            continue
