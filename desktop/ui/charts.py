"""Reusable pyqtgraph charts: the readiness bar chart (five scores against the threshold line), and what
every chart offers an Excel user: keyboard focus, "Copy data" as tab-separated text that pastes into a
spreadsheet, and the same numbers as an accessible table (`install_chart_actions`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QColor, QFont, QFontMetrics, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QHBoxLayout, QHeaderView, QLabel,
                               QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from desktop.domain.playbook import Playbook
from desktop.domain.workbook import Workbook
from desktop.economics.figures.base import BELOW_HEX, MET_HEX, REFERENCE_HEX, TARGET_HEX
from desktop.ui.theme import CHART_AXIS, CHART_TEXT

# ---- Constants: the figures' palette (desktop.economics.figures), so screen and memo agree
MET_COLOR = QColor(MET_HEX)  # green: at or above the threshold
BELOW_COLOR = QColor(BELOW_HEX)  # amber: below the threshold
THRESHOLD_COLOR = QColor(TARGET_HEX)
REFERENCE_COLOR = QColor(REFERENCE_HEX)
BAR_WIDTH = 0.6
TableData = tuple[list[str], list[list[str]]]  # headers, rows of cell texts


# ---- Chart data as a table: copied as TSV, shown as an accessible table ----------------------------------

def tsv(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Tab-separated lines (a header line first) that paste into Excel as cells; tabs and line breaks inside
    a cell become spaces so a cell never spills into the next."""
    def clean(text: str) -> str:
        return str(text).replace("\t", " ").replace("\r", " ").replace("\n", " ")
    return "\n".join("\t".join(clean(c) for c in line) for line in [list(headers), *rows]) + "\n"


class ChartTableDialog(QDialog):
    """A chart's data as a read-only table a screen reader can walk cell by cell, with Copy."""

    def __init__(self, title: str, data: TableData, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        headers, rows = data
        self.setWindowTitle(f"{title}: data")
        self.table = QTableWidget(len(rows), len(headers))
        self.table.setAccessibleName(f"Data of {title}")
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(text))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = buttons.addButton("&Copy data", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(tsv(headers, rows)))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(640, 360)


def install_chart_actions(chart: QWidget, title: Callable[[], str], data: Callable[[], TableData]) -> dict:
    """Keyboard focus on `chart`, and two actions (also in its context menu): "Copy data" (Ctrl+C while the
    chart has the focus; tab-separated text for Excel) and "Show as table". Returns the actions by name."""
    chart.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    copy = QAction("&Copy data", chart)
    copy.setShortcut(QKeySequence.StandardKey.Copy)
    copy.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
    copy.triggered.connect(lambda: QGuiApplication.clipboard().setText(tsv(*data())))
    table = QAction("Show as &table", chart)
    table.triggered.connect(lambda: ChartTableDialog(title(), data(), chart).open())
    for action in (copy, table):
        chart.addAction(action)
    chart.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
    return {"copy": copy, "table": table}


def chart_buttons(actions: dict) -> QHBoxLayout:
    """Small buttons for the chart's actions, for the mouse user who does not right-click."""
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    row.addStretch(1)
    for key in ("copy", "table"):
        action = actions[key]
        button = QPushButton(action.text())
        button.setAutoDefault(False)
        button.setAccessibleName(action.text().replace("&", ""))
        button.clicked.connect(action.trigger)
        row.addWidget(button)
    return row


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
        self.plot_widget.setMinimumHeight(200 if compact else 260)
        item = self.plot_widget.getPlotItem()
        item.setYRange(0, 100, padding=0)
        item.setLimits(yMin=0, yMax=110)
        item.showGrid(y=True, alpha=0.15)
        item.setLabel("left", "Score")
        for name in ("left", "bottom"):
            axis = item.getAxis(name)
            axis.setPen(pg.mkPen(CHART_AXIS))
            axis.setTextPen(pg.mkPen(CHART_TEXT))
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
        self.actions_by_name = install_chart_actions(self.plot_widget, lambda: "Readiness", self.table_data)
        legend_row = QHBoxLayout()
        legend_row.addWidget(self.legend, 1)
        if not compact:
            legend_row.addLayout(chart_buttons(self.actions_by_name))
        layout.addLayout(legend_row)

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

    def table_data(self) -> TableData:
        """The plotted numbers: one row per dimension (a score not yet given stays empty, never 0)."""
        headers = ["Dimension", "Score", "Playbook reference", "Threshold", "Against threshold"]
        rows = []
        for bar in self._bars:
            met = meets_threshold(bar.score, self._threshold)
            rows.append([bar.name, "" if bar.score is None else str(bar.score),
                         "" if bar.reference is None else f"{bar.reference:g}", str(self._threshold),
                         "not scored" if met is None else ("meets" if met else "below")])
        return headers, rows

    def describe(self) -> str:
        """The chart in words (tooltip and accessible description)."""
        parts = [f"{b.name}: {'not scored' if b.score is None else b.score}" for b in self._bars]
        return f"Readiness against threshold {self._threshold}. " + "; ".join(parts)
