"""SVG building blocks for the memo's charts: an element list with every text and attribute escaped, text
measured with the bundled font's own advance widths, value axes (linear or log) with nice 1/2/5 ticks and
tick labels with thousands separators.

One SVG unit is one typographic point (the SVG's width and height are given in pt), so a font size here is
the size printed on paper. No Qt, no matplotlib: the output is plain text that WeasyPrint draws as vectors,
with real (selectable, extractable) text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from xml.sax.saxutils import escape, quoteattr

from desktop import paths
from desktop.economics.figures import log_ticks, nice_ticks
from desktop.economics.figures.base import tick_label

FONT_FAMILY = "'IPW Sans', 'DejaVu Sans', sans-serif"
TEXT = "#222222"
MUTED = "#555555"
AXIS = "#666666"
GRID = "#e3e3e3"
TICK_SIZE = 7.5  # pt: tick labels, value labels, legend
LABEL_SIZE = 8.0  # pt: axis titles
_HEX = re.compile(r"#[0-9a-fA-F]{6}")


def color(value: str | None, fallback: str = "#7f7f7f") -> str:
    """A '#rrggbb' colour from a figure model, or `fallback` for anything else (nothing else reaches the SVG)."""
    return value if isinstance(value, str) and _HEX.fullmatch(value) else fallback


def num(value: float) -> str:
    """A coordinate, short: 2 decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@cache
def _advances() -> tuple[dict[int, float], float] | None:
    """Per code point, the advance width of the bundled DejaVu Sans in em; None if the font cannot be read."""
    try:
        from fontTools.ttLib import TTFont

        with TTFont(str(paths.resources_dir() / "fonts" / "DejaVuSans.ttf"), lazy=True) as font:
            units = font["head"].unitsPerEm
            metrics = dict(font["hmtx"].metrics)
            cmap = dict(font.getBestCmap())
        widths = {code: metrics[name][0] / units for code, name in cmap.items() if name in metrics}
        return widths, metrics[".notdef"][0] / units if ".notdef" in metrics else 0.6
    except Exception:  # noqa: BLE001 - no font: estimate instead (layout only, never content)
        return None


def text_width(text: str, size: float) -> float:
    """The printed width of `text` at `size` pt in the bundled sans font (an estimate of 0.6 em per character
    if the font cannot be read)."""
    table = _advances()
    if table is None:
        return len(text) * 0.6 * size
    widths, missing = table
    return sum(widths.get(ord(ch), missing) for ch in text) * size


class Svg:
    """An SVG document being built; coordinates in pt, origin top left."""

    def __init__(self, width: float, height: float, *, title: str = "", description: str = "") -> None:
        self.width = width
        self.height = height
        self.title = title
        self.description = description
        self.parts: list[str] = []

    def add(self, element: str) -> None:
        self.parts.append(element)

    def rect(self, x: float, y: float, w: float, h: float, *, fill: str = "none", stroke: str | None = None,
             stroke_width: float = 0.6, dash: str | None = None, opacity: float | None = None,
             cls: str = "") -> None:
        attrs = [f'x="{num(x)}" y="{num(y)}" width="{num(max(w, 0))}" height="{num(max(h, 0))}"',
                 f'fill="{fill}"']
        if opacity is not None:
            attrs.append(f'fill-opacity="{num(opacity)}"')
        if stroke:
            attrs.append(f'stroke="{stroke}" stroke-width="{num(stroke_width)}"')
        if dash:
            attrs.append(f'stroke-dasharray="{dash}"')
        if cls:
            attrs.append(f'class="{cls}"')
        self.add(f"<rect {' '.join(attrs)}/>")

    def line(self, x1: float, y1: float, x2: float, y2: float, *, stroke: str = AXIS, width: float = 0.6,
             dash: str | None = None, cls: str = "") -> None:
        extra = (f' stroke-dasharray="{dash}"' if dash else "") + (f' class="{cls}"' if cls else "")
        self.add(f'<line x1="{num(x1)}" y1="{num(y1)}" x2="{num(x2)}" y2="{num(y2)}" stroke="{stroke}" '
                 f'stroke-width="{num(width)}"{extra}/>')

    def polyline(self, points: Sequence[tuple[float, float]], *, stroke: str, width: float = 1.4,
                 dash: str | None = None, cls: str = "") -> None:
        coords = " ".join(f"{num(x)},{num(y)}" for x, y in points)
        extra = (f' stroke-dasharray="{dash}"' if dash else "") + (f' class="{cls}"' if cls else "")
        self.add(f'<polyline points="{coords}" fill="none" stroke="{stroke}" stroke-width="{num(width)}" '
                 f'stroke-linejoin="round"{extra}/>')

    def circle(self, x: float, y: float, r: float, *, fill: str, stroke: str = "#ffffff", width: float = 0.6,
               cls: str = "") -> None:
        extra = f' class="{cls}"' if cls else ""
        self.add(f'<circle cx="{num(x)}" cy="{num(y)}" r="{num(r)}" fill="{fill}" stroke="{stroke}" '
                 f'stroke-width="{num(width)}"{extra}/>')

    def diamond(self, x: float, y: float, r: float, *, fill: str, stroke: str = "#333333", cls: str = "") -> None:
        extra = f' class="{cls}"' if cls else ""
        self.add(f'<polygon points="{num(x)},{num(y - r)} {num(x + r)},{num(y)} {num(x)},{num(y + r)} '
                 f'{num(x - r)},{num(y)}" fill="{fill}" stroke="{stroke}" stroke-width="0.8"{extra}/>')

    def text(self, x: float, y: float, text: str, *, size: float = TICK_SIZE, anchor: str = "start",
             fill: str = TEXT, bold: bool = False, rotate: float | None = None, cls: str = "",
             halo: bool = False) -> None:
        """`text` with its baseline at y (anchor: start | middle | end); `halo` puts a white box behind it."""
        if halo:
            w = text_width(text, size)
            left = x - (w / 2 if anchor == "middle" else w if anchor == "end" else 0)
            self.rect(left - 1.5, y - size * 0.8, w + 3, size * 1.05, fill="#ffffff", opacity=0.85)
        attrs = [f'x="{num(x)}" y="{num(y)}" font-size="{num(size)}"', f'fill="{fill}"']
        if anchor != "start":
            attrs.append(f'text-anchor="{anchor}"')
        if bold:
            attrs.append('font-weight="bold"')
        if rotate is not None:
            attrs.append(f'transform="rotate({num(rotate)} {num(x)} {num(y)})"')
        if cls:
            attrs.append(f'class="{cls}"')
        self.add(f"<text {' '.join(attrs)}>{escape(text)}</text>")

    def lines(self, x: float, y: float, text: str, *, size: float = TICK_SIZE, anchor: str = "middle",
              fill: str = TEXT, cls: str = "", bold_first: bool = False) -> int:
        """Multi-line `text` (split on newlines), first baseline at y, one <text> per line; returns the count."""
        rows = text.split("\n")
        for i, row in enumerate(rows):
            self.text(x, y + i * size * 1.2, row, size=size, anchor=anchor, fill=fill, cls=cls,
                      bold=bold_first and i == 0)
        return len(rows)

    def render(self) -> str:
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{num(self.width)}pt" '
                f'height="{num(self.height)}pt" viewBox="0 0 {num(self.width)} {num(self.height)}" '
                f'font-family={quoteattr(FONT_FAMILY)} role="img">')
        meta = ""
        if self.title:
            meta += f"<title>{escape(self.title)}</title>"
        if self.description:
            meta += f"<desc>{escape(self.description)}</desc>"
        return head + meta + "".join(self.parts) + "</svg>"


# ---- Value axes
@dataclass(frozen=True)
class Axis:
    """A value axis mapping data values low..high onto pixels start..end (linear, or log10 when `log`)."""

    low: float
    high: float
    start: float
    end: float
    ticks: tuple[float, ...]
    unit: str | None = None
    log: bool = False

    @classmethod
    def nice(cls, low: float, high: float, start: float, end: float, unit: str | None = None, *,
             log: bool = False, max_ticks: int = 6) -> Axis:
        """An axis covering low..high, widened to the nice ticks around them."""
        if log:
            low, high = max(low, 1e-12), max(high, low * 10)
            ticks = log_ticks(low, high)
            return cls(ticks[0], ticks[-1], start, end, tuple(ticks), unit, True)
        ticks = nice_ticks(low, high, max_ticks)
        return cls(ticks[0], ticks[-1], start, end, tuple(ticks), unit)

    def __call__(self, value: float) -> float:
        if self.log:
            value = math.log10(max(value, 1e-300))
            low, high = math.log10(self.low), math.log10(self.high)
        else:
            low, high = self.low, self.high
        span = (high - low) or 1.0
        return self.start + (value - low) / span * (self.end - self.start)

    @property
    def step(self) -> float:
        return self.ticks[1] - self.ticks[0] if len(self.ticks) > 1 else 1.0

    def labels(self) -> list[str]:
        return [tick_label(t, self.unit, self.step, log=self.log) for t in self.ticks]

    def contains(self, value: float) -> bool:
        lo, hi = min(self.low, self.high), max(self.low, self.high)
        return lo - 1e-9 * (abs(lo) + 1) <= value <= hi + 1e-9 * (abs(hi) + 1)
