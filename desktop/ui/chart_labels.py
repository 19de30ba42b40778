"""Legible labels on a bar chart with many bars (the cost by workload and route at a million rows: 9 workloads,
28 bars), at the width the chart is shown at and again whenever that changes.

- Category names under the axis are broken into shorter lines (after hyphens and spaces) until each fits its
  category's width; when one does not, every other name moves to a second row (staggered, two widths each),
  and only a line too wide even then is elided ("…"). The two names at the ends of the axis move inwards as
  far as they need to stay on it. The axis's tooltip lists every name in full.
- A bar's value label sits above it when it fits the bar's slot, turned upright when only its height fits,
  and is left out when not even that fits (hovering a bar, or "Show as table", gives every value).

Widths are measured with the fonts the axis and the labels are drawn with (QFontMetrics), in scene pixels.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QFont, QFontMetrics

from desktop.economics.figures.base import wrap

# ---- Constants
WRAP_WIDTHS = range(20, 3, -1)  # characters per line tried, longest first
MAX_LINES = 3  # a name broken into more lines than this reads worse than staggered or elided
GAP_PX = 6  # between two neighbours' labels
EDGE_PX = 4  # kept between a label and an end of the axis (pyqtgraph measures text a little wider than we do)
LINE_PX = 18
FIRST_FIT_MS = 300  # the axis's height per line of tick text (as ui/economics_charts._category_ticks)
_ATTRIBUTE = "_category_labels"  # where a plot keeps its fitter (it lives and dies with the plot)


def unwrap(label: str) -> str:
    """The name a wrapped tick label was made from (desktop.economics.figures.base.wrap, undone)."""
    lines = label.split("\n")
    text = lines[0]
    for line in lines[1:]:
        text += line if text.endswith("-") else " " + line
    return text


def fitted_names(names: Sequence[str], slot_px: float, fm: QFontMetrics,
                 edges_px: tuple[float, float] | None = None) -> tuple[list[str], bool]:
    """The names broken into lines that each fit their room (at most MAX_LINES), and whether they are staggered
    (every other one a row lower, so each has two slots: only when one row is too narrow). A name that does
    not fit even then has its too wide lines elided. `edges_px`: the room between the first name's centre
    and the start of the axis, and between the last one's and its end."""
    for staggered, room in ((False, slot_px - GAP_PX), (True, 2 * slot_px - GAP_PX)):
        lines = [_fit_one(name, limit, fm) for name, limit in zip(names, _rooms(len(names), room, edges_px))]
        if all(parts is not None for parts in lines):
            return ["\n".join(parts) for parts in lines], staggered
    rooms = _rooms(len(names), 2 * slot_px - GAP_PX, edges_px)
    return ["\n".join(_fit_one(name, limit, fm) or _elided(name, limit, fm)) for name, limit in zip(names, rooms)], True


def _fit_one(name: str, room: float, fm: QFontMetrics) -> list[str] | None:
    """`name` in the fewest lines (at most MAX_LINES) that each fit `room` pixels, or None."""
    for width in WRAP_WIDTHS:
        parts = wrap(name, width).split("\n")
        if len(parts) <= MAX_LINES and all(fm.horizontalAdvance(p) <= room for p in parts):
            return parts
    return None


def _elided(name: str, room: float, fm: QFontMetrics) -> list[str]:
    """`name` in its narrowest MAX_LINES lines, each elided at the end to `room` pixels."""
    candidates = [wrap(name, width).split("\n") for width in WRAP_WIDTHS]
    parts = min((c for c in candidates if len(c) <= MAX_LINES), default=[name],
                key=lambda c: max(fm.horizontalAdvance(p) for p in c))
    limit = max(int(room), fm.horizontalAdvance("\u2026"))
    return [fm.elidedText(p, Qt.TextElideMode.ElideRight, limit) for p in parts]


def _rooms(count: int, room: float, edges_px: tuple[float, float] | None) -> list[float]:
    """The width each of `count` labels may take: `room` centred under its category; the two at the ends of
    the axis from the axis's end to half way to their neighbour in the same row (they are moved inwards
    as far as they need: see `positions`)."""
    rooms = [room] * count
    if edges_px is not None and count:
        rooms[0] = min(room, max(edges_px[0], 0.0) + room / 2)
        rooms[-1] = min(rooms[-1], max(edges_px[1], 0.0) + room / 2)
    return rooms


def positions(widths_px: Sequence[float], view: tuple[float, float], scale: float) -> list[float]:
    """Where each label's centre goes on the axis: under its category (0, 1, ...), the two at the ends moved
    inwards just enough to stay on the axis (pyqtgraph leaves out a label reaching past an end)."""
    low, high = view
    spots = [float(i) for i in range(len(widths_px))]
    if spots and scale > 0:
        spots[0] = max(spots[0], low + (widths_px[0] / 2 + EDGE_PX) / scale)
        spots[-1] = min(spots[-1], high - (widths_px[-1] / 2 + EDGE_PX) / scale)
    return spots


def staggered(labels: Sequence[str]) -> list[str]:
    """Every other label pushed down below the tallest of the others (blank lines first)."""
    rows = max((label.count("\n") + 1 for label in labels[0::2]), default=1)
    return [label if i % 2 == 0 else "\n" * rows + label for i, label in enumerate(labels)]


class CategoryLabels(QObject):
    """Fits one plot's category tick labels and bar value labels to its width (see the module's text)."""

    def __init__(self, plot: pg.PlotItem, ticks: Sequence[str], values: Sequence[tuple[pg.TextItem, float]],
                 bar_step: float) -> None:
        super().__init__()
        self.plot = plot
        self.names = [unwrap(t) for t in ticks]
        self.values = list(values)  # (label item, the height of its bar)
        self.bar_step = bar_step  # distance between neighbouring bars, in x units
        self.shown: tuple[list[str], list[float]] | None = None  # the tick labels and where they stand
        self.value_mode = "level"  # "level", "upright" or "hidden"
        self._queued = False
        axis = plot.getAxis("bottom")
        axis.setToolTip("\n".join(self.names))
        plot.vb.sigResized.connect(self.fit)
        plot.vb.sigXRangeChanged.connect(self.fit)
        # The first fit waits until the page has drawn and laid out its figures (it lays this plot out again:
        # together with them it would lengthen the longest turn of the event loop); nothing overlaps meanwhile.
        axis.setTicks([[(i, "") for i in range(len(self.names))]])
        for label, _height in self.values:
            label.setVisible(False)
        self.value_mode = "hidden"
        self._queued = True
        QTimer.singleShot(FIRST_FIT_MS, self, self.fit_now)

    def px_per_unit(self) -> float:
        (low, high), _ = self.plot.vb.viewRange()
        return self.plot.vb.width() / (high - low) if high > low else 0.0

    def fit(self, *_args) -> None:
        """Fit the labels on the next turn of the event loop: a taller axis lays the plot out again (tens of
        milliseconds), which should not add to the turn that drew the figure or resized it."""
        if not self._queued:
            self._queued = True
            QTimer.singleShot(0, self, self.fit_now)

    def fit_now(self) -> None:
        self._queued = False
        if not (shiboken6.isValid(self.plot) and shiboken6.isValid(self.plot.vb)):
            return  # the figure was closed before its labels were fitted
        scale = self.px_per_unit()
        if scale <= 0:
            return
        axis = self.plot.getAxis("bottom")
        fm = QFontMetrics(axis.style.get("tickFont") or axis.font() or QFont())
        (low, high), _ = self.plot.vb.viewRange()
        edges = ((0 - low) * scale - EDGE_PX, (high - (len(self.names) - 1)) * scale - EDGE_PX)
        labels, stagger = fitted_names(self.names, scale, fm, edges)
        if stagger:
            labels = staggered(labels)
        widths = [max(fm.horizontalAdvance(line) for line in label.split("\n")) for label in labels]
        spots = positions(widths, (low, high), scale)
        if (labels, spots) != self.shown:
            self.shown = (labels, spots)
            axis.setTicks([list(zip(spots, labels))])
        height = LINE_PX * max((t.count("\n") + 1 for t in labels), default=1) + 12
        if height != axis.fixedHeight:  # a taller or shorter axis lays the plot out again: only when it must
            axis.setHeight(height)
        self._fit_values(scale * self.bar_step)

    def _fit_values(self, slot_px: float) -> None:
        if not self.values:
            return
        item = self.values[0][0]
        fm = QFontMetrics(item.textItem.font())
        widest = max(fm.horizontalAdvance(label.toPlainText()) for label, _ in self.values)
        mode = ("level" if widest + 2 <= slot_px else "upright" if fm.height() <= slot_px else "hidden")
        if mode == self.value_mode:
            return
        self.value_mode = mode
        for label, _height in self.values:
            label.setVisible(mode != "hidden")
            label.setAngle(90 if mode == "upright" else 0)
            label.setAnchor((0, 0.5) if mode == "upright" else (0.5, 1))


def fit_category_labels(plot: pg.PlotItem, ticks: Sequence[str], values: Sequence[tuple[pg.TextItem, float]]
                        ) -> CategoryLabels:
    """Keep `plot`'s category ticks and bar value labels legible as it is resized (replaces an earlier fitter).
    The bars' spacing is taken from where the value labels stand."""
    drop_category_labels(plot)
    xs = sorted({label.pos().x() for label, _ in values})
    steps = [b - a for a, b in zip(xs, xs[1:]) if b - a > 1e-9]
    fitter = CategoryLabels(plot, ticks, values, min(steps) if steps else 1.0)
    setattr(plot, _ATTRIBUTE, fitter)
    return fitter


def drop_category_labels(plot: pg.PlotItem) -> None:
    """Stop fitting `plot`'s labels (it is drawn again, as another figure perhaps)."""
    old = getattr(plot, _ATTRIBUTE, None)
    if old is None:
        return
    for signal in (plot.vb.sigResized, plot.vb.sigXRangeChanged):
        try:
            signal.disconnect(old.fit)
        except (RuntimeError, TypeError):
            pass
    setattr(plot, _ATTRIBUTE, None)
