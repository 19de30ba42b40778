"""Generic figure models for the decision plan: a waterfall (a start total, signed steps, an end total) and a
tornado (how far the outcome moves when each input goes to its low and its high value, around a base case).

Pure data (no Qt, no drawing): the plan fills them; `desktop.ui.economics_draw` draws them with pyqtgraph
(`draw_waterfall`, `draw_tornado`) and `desktop.exports.svg_charts` as vector SVG for the memo
(`waterfall_svg`, `tornado_svg`). Values are in the figure's `unit` ("usd" by default: amounts in USD, or
"money" with `currency` set for amounts already converted to the display currency).

Not observed is not zero: a step or a row whose value is not known is not drawn as 0; leave it out and name
it in `missing`, which every renderer prints under the figure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from desktop.domain.formatting import format_amount

WaterfallKind = Literal["total", "increase", "decrease"]


@dataclass(frozen=True)
class WaterfallStep:
    """One signed change between the start and the end total (positive adds, negative takes away)."""

    label: str
    delta: float
    note: str = ""  # what the step is, in words (hover text, accessible description)

    def __post_init__(self) -> None:
        if not math.isfinite(self.delta):
            raise ValueError(f"waterfall step '{self.label}': the change must be a finite number")


@dataclass(frozen=True)
class WaterfallBar:
    """A drawn bar: it spans `bottom`..`top` (bottom <= top) and is labelled with `value` (signed for steps)."""

    label: str
    bottom: float
    top: float
    value: float
    kind: WaterfallKind
    note: str = ""


@dataclass(frozen=True)
class Waterfall:
    """From `start` through each step to the end total (start + the sum of the steps)."""

    title: str
    start_label: str
    start: float
    steps: tuple[WaterfallStep, ...]
    end_label: str
    value_axis: str = "USD per month"  # the value axis title
    unit: str = "usd"  # "usd" | "money" (with `currency`) | "count" | "percent" | "plain"
    currency: str = "USD"  # ISO code for unit "money"
    missing: tuple[str, ...] = ()  # steps not known, in words (never drawn as zero)
    caption: str = ""

    def __post_init__(self) -> None:
        if not math.isfinite(self.start):
            raise ValueError("waterfall: the start total must be a finite number")
        object.__setattr__(self, "steps", tuple(self.steps))
        object.__setattr__(self, "missing", tuple(self.missing))

    @property
    def end(self) -> float:
        return self.start + math.fsum(step.delta for step in self.steps)

    def bars(self) -> tuple[WaterfallBar, ...]:
        """The start total, one floating bar per step (from the running total before it to the one after),
        and the end total."""
        bars = [WaterfallBar(self.start_label, min(0.0, self.start), max(0.0, self.start), self.start, "total")]
        running = self.start
        for step in self.steps:
            after = running + step.delta
            bars.append(WaterfallBar(step.label, min(running, after), max(running, after), step.delta,
                                     "increase" if step.delta >= 0 else "decrease", step.note))
            running = after
        end = self.end
        bars.append(WaterfallBar(self.end_label, min(0.0, end), max(0.0, end), end, "total"))
        return tuple(bars)

    def value_range(self) -> tuple[float, float]:
        """The lowest and highest value any bar reaches (0 included)."""
        bars = self.bars()
        return min(0.0, *(b.bottom for b in bars)), max(0.0, *(b.top for b in bars))


@dataclass(frozen=True)
class TornadoRow:
    """The outcome when one input is set to its low value and to its high value (the others at base)."""

    label: str
    low: float
    high: float
    low_label: str = ""  # the input's low setting in words, e.g. "utilization 30%"
    high_label: str = ""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError(f"tornado row '{self.label}': low and high must be finite numbers")

    @property
    def swing(self) -> float:
        return abs(self.high - self.low)


@dataclass(frozen=True)
class Tornado:
    """Rows drawn as horizontal bars around the base outcome, widest swing on top."""

    title: str
    base: float
    rows: tuple[TornadoRow, ...]
    value_axis: str = "USD per month"
    unit: str = "usd"
    currency: str = "USD"
    base_label: str = "base case"
    missing: tuple[str, ...] = ()  # inputs whose effect is not known, in words
    caption: str = ""
    low_color: str = field(default="#4472c4")  # the bar toward the low input's outcome
    high_color: str = field(default="#ed7d31")

    def __post_init__(self) -> None:
        if not math.isfinite(self.base):
            raise ValueError("tornado: the base outcome must be a finite number")
        object.__setattr__(self, "rows", tuple(self.rows))
        object.__setattr__(self, "missing", tuple(self.missing))

    def sorted_rows(self) -> tuple[TornadoRow, ...]:
        """The rows by swing, widest first (ties keep their order)."""
        return tuple(sorted(self.rows, key=lambda r: -r.swing))

    def value_range(self) -> tuple[float, float]:
        values = [self.base] + [v for r in self.rows for v in (r.low, r.high)]
        return min(values), max(values)


def format_figure_value(value: float, unit: str, currency: str = "USD", *, signed: bool = False) -> str:
    """A bar's value label: thousands separators, whole units from 100 up, '+' on a rise when `signed`."""
    sign = "+" if signed and value > 0 else ""
    if unit in ("usd", "money"):
        prefix = "$" if unit == "usd" or currency == "USD" else f"{currency} "
        text = format_amount(value, decimals=0 if abs(value) >= 100 else None)
        return f"{sign}-{prefix}{text[1:]}" if text.startswith("-") else f"{sign}{prefix}{text}"
    if unit == "percent":
        return f"{sign}{value:.0%}"
    if unit == "count":
        return f"{sign}{value:,.0f}"
    return f"{sign}{value:,.4g}"


def axis_unit(unit: str, currency: str) -> str | None:
    """The tick-label unit (`desktop.economics.figures.base.tick_label`) for a plan figure's unit."""
    if unit == "money" and currency != "USD":
        return f"money:{currency}"
    return {"usd": "usd", "money": "usd", "count": "count", "percent": "percent"}.get(unit)


WATERFALL_COLORS: dict[str, str] = {"total": "#1f3864", "increase": "#c0504d", "decrease": "#2e7d32"}

__all__ = ["Waterfall", "WaterfallStep", "WaterfallBar", "Tornado", "TornadoRow", "WATERFALL_COLORS",
           "format_figure_value", "axis_unit"]
