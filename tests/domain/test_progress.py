"""The one progress/cancel protocol: the no-op reporter, the cancel check and fraction checkpoints."""

from __future__ import annotations

import pytest

from desktop.domain.progress import NO_PROGRESS, Cancelled, FractionTicker, Progress, check_cancelled


class Recorder:
    def __init__(self, cancel: bool = False) -> None:
        self.events: list[tuple] = []
        self.cancel = cancel

    def stage(self, name: str, total: int | None = None) -> None:
        self.events.append(("stage", name, total))

    def advance(self, n: int = 1) -> None:
        self.events.append(("advance", n))

    def cancelled(self) -> bool:
        return self.cancel


def test_no_progress_satisfies_the_protocol_and_never_cancels():
    assert isinstance(NO_PROGRESS, Progress) and isinstance(Recorder(), Progress)
    NO_PROGRESS.stage("anything", 3)
    NO_PROGRESS.advance(2)
    check_cancelled(NO_PROGRESS)
    check_cancelled(None)


def test_cancelled_is_raised_when_asked_and_is_not_an_os_error():
    with pytest.raises(Cancelled) as caught:
        check_cancelled(Recorder(cancel=True))
    assert not isinstance(caught.value, OSError)  # `except OSError` around file reads must not swallow it


def test_fraction_ticker_maps_sub_steps_into_one_stage_of_100_units():
    seen = Recorder()
    ticker = FractionTicker(seen, "Reading t.csv")
    ticker(0.1)                      # 10 units
    second_half = ticker.sub(0.5, 1.0)
    second_half(0.5)                 # 0.5 + 0.5 * 0.5 = 0.75 -> 65 more
    second_half(0.4)                 # going back reports nothing
    second_half(1.0)                 # 25 more, 100 in all
    assert seen.events == [("stage", "Reading t.csv", 100), ("advance", 10), ("advance", 65), ("advance", 25)]


def test_fraction_ticker_checks_cancel_and_works_without_a_listener():
    FractionTicker(None)(0.5)
    ticker = FractionTicker(Recorder(cancel=True), "x")
    with pytest.raises(Cancelled):
        ticker(0.2)
