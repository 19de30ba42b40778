"""The plan's generic figure models: a waterfall's floating bars and a tornado's order, checked against
running totals worked out by hand."""

from __future__ import annotations

import math

import pytest

from desktop.economics.figures import Tornado, TornadoRow, Waterfall, WaterfallStep


def test_waterfall_bars_float_from_one_running_total_to_the_next():
    # 12,000 today; -4,500 moving invoice review to batch; +800 review time; -1,300 pooling -> 7,000
    fall = Waterfall("Monthly cost", "Today", 12_000.0,
                     (WaterfallStep("Batch", -4_500.0), WaterfallStep("Review", 800.0), WaterfallStep("Pool", -1_300.0)),
                     "Plan")
    assert fall.end == 7_000.0
    spans = [(b.label, b.bottom, b.top, b.value, b.kind) for b in fall.bars()]
    assert spans == [("Today", 0.0, 12_000.0, 12_000.0, "total"),
                     ("Batch", 7_500.0, 12_000.0, -4_500.0, "decrease"),
                     ("Review", 7_500.0, 8_300.0, 800.0, "increase"),
                     ("Pool", 7_000.0, 8_300.0, -1_300.0, "decrease"),
                     ("Plan", 0.0, 7_000.0, 7_000.0, "total")]
    assert fall.value_range() == (0.0, 12_000.0)


def test_waterfall_going_below_zero_and_refusing_unknown_steps():
    fall = Waterfall("Savings", "Start", 100.0, (WaterfallStep("Refund", -250.0),), "End")
    assert fall.end == -150.0
    assert fall.bars()[-1].bottom == -150.0 and fall.bars()[-1].top == 0.0
    assert fall.value_range() == (-150.0, 100.0)
    with pytest.raises(ValueError, match="finite"):
        WaterfallStep("Unknown", math.nan)


def test_tornado_rows_widest_swing_first():
    tornado = Tornado("Sensitivity", 10_000.0, (
        TornadoRow("Volume", 8_000.0, 13_000.0),  # swing 5,000
        TornadoRow("GPU price", 9_000.0, 11_500.0),  # swing 2,500
        TornadoRow("Acceptance", 14_000.0, 7_000.0),  # swing 7,000 (higher acceptance lowers cost)
    ))
    assert [r.label for r in tornado.sorted_rows()] == ["Acceptance", "Volume", "GPU price"]
    assert tornado.value_range() == (7_000.0, 14_000.0)
    with pytest.raises(ValueError):
        TornadoRow("x", 1.0, math.inf)
