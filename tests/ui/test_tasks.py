"""The one task runner: latest task wins, one at a time, every failure reaches sig_failed, progress arrives."""

from __future__ import annotations

import threading

import pytest

from desktop.domain.errors import DomainError
from desktop.domain.progress import Cancelled
from desktop.ui.tasks import TaskRunner


class Outcomes:
    def __init__(self, runner: TaskRunner) -> None:
        self.done: list = []
        self.failed: list[str] = []
        self.cancelled = 0
        self.finished = 0
        self.progress: list[tuple[float, str]] = []
        runner.sig_done.connect(self.done.append)
        runner.sig_failed.connect(self.failed.append)
        runner.sig_cancelled.connect(self._on_cancelled)
        runner.sig_finished.connect(self._on_finished)
        runner.sig_progress.connect(lambda fraction, text: self.progress.append((fraction, text)))

    def _on_cancelled(self) -> None:
        self.cancelled += 1

    def _on_finished(self) -> None:
        self.finished += 1


@pytest.fixture
def runner(qtbot):
    runner = TaskRunner()
    yield runner
    runner.shutdown()


def test_a_second_start_cancels_the_first_and_only_the_second_result_lands(qtbot, runner):
    seen = Outcomes(runner)
    first_running = threading.Event()
    overlap: list[bool] = []
    active = threading.Lock()

    def slow(name, progress):
        with active:
            first_running.set()
            while not progress.cancelled():
                threading.Event().wait(0.005)
            return name  # a cancelled task that still returns: its result must not land

    def quick(name, progress):
        overlap.append(active.locked())  # the first has ended before this one starts
        return name

    runner.start(slow, "first")
    assert first_running.wait(10)
    runner.start(quick, "second")
    qtbot.waitUntil(lambda: not runner.busy, timeout=10_000)
    runner.wait()
    qtbot.wait(50)  # anything still queued from the first task would arrive now
    assert seen.done == ["second"]
    assert seen.failed == [] and seen.cancelled == 0 and seen.finished == 1
    assert overlap == [False]


@pytest.mark.parametrize(("error", "message"), [
    (DomainError("the rate must be a number"), "the rate must be a number"),
    (MemoryError(), "not enough memory to finish; try a smaller file"),
    (KeyError("x"), "an unexpected error stopped the task (KeyError: 'x')"),
])
def test_every_failure_reaches_the_one_handler(qtbot, runner, error, message):
    seen = Outcomes(runner)

    def broken(progress):
        raise error

    with qtbot.waitSignal(runner.sig_failed, timeout=10_000):
        runner.start(broken)
    assert seen.failed == [message] and seen.done == []
    qtbot.waitUntil(lambda: seen.finished == 1, timeout=1_000)
    assert not runner.busy


def test_progress_signals_arrive_on_the_gui_thread(qtbot, runner):
    seen = Outcomes(runner)
    threads: list[bool] = []
    runner.sig_progress.connect(lambda *_: threads.append(threading.current_thread() is threading.main_thread()))

    def counted(progress):
        progress.stage("Counting", 4)
        for _ in range(4):
            progress.advance()
        return 4

    with qtbot.waitSignal(runner.sig_done, timeout=10_000):
        runner.start(counted)
    assert seen.progress == [(0.0, "Counting"), (0.25, "Counting"), (0.5, "Counting"), (0.75, "Counting"),
                             (1.0, "Counting")]
    assert threads and all(threads)
    assert seen.done == [4]


def test_cancel_stops_the_task_and_says_so(qtbot, runner):
    seen = Outcomes(runner)
    started = threading.Event()

    def waits(progress):
        started.set()
        while True:
            if progress.cancelled():
                raise Cancelled()
            threading.Event().wait(0.005)

    runner.start(waits)
    assert started.wait(10)
    with qtbot.waitSignal(runner.sig_cancelled, timeout=10_000):
        runner.cancel()
    assert seen.done == [] and seen.failed == [] and not runner.busy
