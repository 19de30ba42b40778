"""Reusable pyqtgraph charts: the readiness bar chart (five scores against the threshold line)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desktop.domain.playbook import Playbook
from desktop.domain.workbook import Workbook
from desktop.economics.figures.base import BELOW_HEX, MET_HEX, REFERENCE_HEX, TARGET_HEX

# ---- Constants: the figures' palette (desktop.economics.figures), so screen and memo agree
MET_COLOR = QColor(MET_HEX)  # green: at or above the threshold
BELOW_COLOR = QColor(BELOW_HEX)  # amber: below the threshold
THRESHOLD_COLOR = QColor(TARGET_HEX)
REFERENCE_COLOR = QColor(REFERENCE_HEX)
BAR_WIDTH = 0.6


@dataclass(frozen=True)
class ReadinessBar:
    """One dimension as the chart draws it.

    Attributes:
        name: the dimension's name, shown under the bar.
        score: the officer's score 0-100, or None when not yet scored (drawn as an empty slot).
        reference: the playbook's reference score, drawn as a marker.
    """

    name: str
    score: int | None
    reference: int | None = None


# ---- Public API
def wrap_label(name: str, width: int = 12) -> str:
    """The name broken on spaces into lines of about `width` characters, so axis labels do not collide."""
    lines: list[str] = []
    for word in name.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines)


def bar_heights(bars: Sequence[ReadinessBar]) -> list[float]:
    """The drawn height of each bar: the score, or 0 for a dimension not yet scored."""
    return [float(bar.score) if bar.score is not None else 0.0 for bar in bars]


def readiness_bars(playbook: Playbook, workbook: Workbook) -> list[ReadinessBar]:
    """The workbook's scores, one bar per playbook dimension in playbook order."""
    return [ReadinessBar(d.name, workbook.scores[d.slug].score, d.reference_score) for d in playbook.readiness]


def value_text(score: int | None) -> str:
    return "not scored" if score is None else str(score)


def meets_threshold(score: int | None, threshold: int) -> bool | None:
    """True/False for a scored dimension, None while it is not yet scored."""
    return None if score is None else score >= threshold


class ReadinessChart(QWidget):
    """A bar per readiness dimension (0-100) with the workbook's threshold as a horizontal line.

    Bars at or above the threshold are green, those below amber; a dimension not yet scored has no bar
    and reads "not scored" under its name. The playbook's reference scores are dotted marks across the bars.
    `heights()`, `threshold()` and `labels()` return what is plotted, for tests and exports.
    """

    def __init__(self, parent: QWidget | None = None, *, compact: bool = False) -> None:
        super().__init__(parent)
        self._compact = compact
        self._bars: list[ReadinessBar] = []
        self._threshold = 0
        self.plot_widget = pg.PlotWidget(background="w")
        self.plot_widget.setAccessibleName("Readiness chart")
        self.plot_widget.setMenuEnabled(False)
        self.plot_widget.setMouseEnabled(x=False, y=False)
        self.plot_widget.hideButtons()
        self.plot_widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.plot_widget.setMinimumHeight(200 if compact else 260)
        item = self.plot_widget.getPlotItem()
        item.setYRange(0, 100, padding=0)
        item.setLimits(yMin=0, yMax=110)
        item.showGrid(y=True, alpha=0.15)
        item.setLabel("left", "Score")
        for name in ("left", "bottom"):
            axis = item.getAxis(name)
            axis.setPen(pg.mkPen("#555"))
            axis.setTextPen(pg.mkPen("#222"))
        bottom = item.getAxis("bottom")
        tick_font = QFont(self.font())
        tick_font.setPointSizeF(max(tick_font.pointSizeF() - 1.5, 7.0))
        bottom.setStyle(tickFont=tick_font)
        bottom.setHeight(QFontMetrics(tick_font).lineSpacing() * 3 + 14)
        self.bar_item = pg.BarGraphItem(x=[], height=[], width=BAR_WIDTH)
        item.addItem(self.bar_item)
        self.reference_item = pg.PlotDataItem([], [], connect="pairs",
                                              pen=pg.mkPen(REFERENCE_COLOR, width=2, style=Qt.PenStyle.DotLine))
        item.addItem(self.reference_item)
        self.threshold_line = pg.InfiniteLine(
            pos=0, angle=0, movable=False, pen=pg.mkPen(THRESHOLD_COLOR, width=2, style=Qt.PenStyle.DashLine),
            label="{value:.0f}", labelOpts={"position": 1.0, "color": THRESHOLD_COLOR,
                                             "anchors": [(1, 1), (1, 1)]})
        item.addItem(self.threshold_line)
        entries = [(MET_COLOR, "&#9632;", "at or above the threshold"), (BELOW_COLOR, "&#9632;", "below"),
                   (REFERENCE_COLOR, "&middot;&middot;&middot;", "playbook reference"),
                   (THRESHOLD_COLOR, "&#8212; &#8212;", "threshold")]
        self.legend = QLabel(" &nbsp; ".join(
            f'<span style="color:{color.name()}">{mark}</span>&nbsp;{text.replace(" ", "&nbsp;")}'
            for color, mark, text in entries))
        self.legend.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.legend)

    # ---- Public API
    def set_data(self, bars: Sequence[ReadinessBar], threshold: int) -> None:
        """Draw `bars` against `threshold` (replaces what was drawn)."""
        self._bars = list(bars)
        self._threshold = threshold
        xs = list(range(len(self._bars)))
        heights = bar_heights(self._bars)
        colors = [MET_COLOR if meets_threshold(b.score, threshold) else BELOW_COLOR for b in self._bars]
        if colors:  # pyqtgraph 0.14 cannot take empty pen lists
            pens = [pg.mkPen(c.darker(130)) if b.score is not None else pg.mkPen(None)
                    for c, b in zip(colors, self._bars)]  # no stray outline for an empty slot
            self.bar_item.setOpts(x=xs, height=heights, width=BAR_WIDTH,
                                  brushes=[pg.mkBrush(c) for c in colors], pens=pens)
        else:
            self.bar_item.setOpts(x=xs, height=heights, width=BAR_WIDTH, brushes=None, pens=None)
        ref_x: list[float] = []
        ref_y: list[float] = []
        for x, bar in zip(xs, self._bars):
            if bar.reference is not None:
                ref_x += [x - BAR_WIDTH / 2 - 0.05, x + BAR_WIDTH / 2 + 0.05]
                ref_y += [bar.reference, bar.reference]
        self.reference_item.setData(x=ref_x, y=ref_y)
        self.threshold_line.setValue(threshold)
        item = self.plot_widget.getPlotItem()
        item.getAxis("bottom").setTicks([[(x, f"{wrap_label(b.name)}\n{value_text(b.score)}")
                                          for x, b in zip(xs, self._bars)]])
        item.setXRange(-0.6, max(len(self._bars) - 0.1, 0.6), padding=0)  # room for the threshold's value
        item.setYRange(0, 105, padding=0)
        self.plot_widget.setToolTip(self.describe())
        self.plot_widget.setAccessibleDescription(self.describe())

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt naming)
        return QSize(420, 260 if self._compact else 380)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt naming)
        return False  # the plot can take any height; only sizeHint counts

    def heights(self) -> list[float]:
        """The plotted bar heights, in dimension order."""
        return [float(h) for h in self.bar_item.opts["height"]]

    def threshold(self) -> float:
        """Where the threshold line is drawn."""
        return float(self.threshold_line.value())

    def labels(self) -> list[str]:
        """The dimension names under the bars."""
        return [b.name for b in self._bars]

    def references(self) -> list[float]:
        """The plotted reference marks' heights, one per dimension that has a reference."""
        ys = self.reference_item.getData()[1]
        return [] if ys is None else [float(y) for y in ys[::2]]

    def value_texts(self) -> list[str]:
        """The value under each bar's name: the score, or "not scored"."""
        return [value_text(b.score) for b in self._bars]

    def describe(self) -> str:
        """The chart in words (tooltip and accessible description)."""
        parts = [f"{b.name}: {'not scored' if b.score is None else b.score}" for b in self._bars]
        return f"Readiness against threshold {self._threshold}. " + "; ".join(parts)
