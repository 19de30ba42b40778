"""The Economics page: route economics plots, the route recommendation with its reasons and the officer's
override, and the calculators.

The plots are the figures of `desktop.ui.economics_charts`, drawn into PlotWidgets; hovering shows exact
values, a workload filter narrows them, and each can be saved as PNG or SVG. The reviewer rate and target
p95 fields edit the buyer context through the undoable set_context command; the override is undoable too.

With many trace rows the metrics and recommendation take seconds, so the page never computes them on the
GUI thread: it shows the document's shared result (desktop.ui.economics_state: one background computation
per workbook state, cached, shared with the Overview, the gate facts and the plan), so reopening the page does
no work. While a change is computed the last figures stay on screen with "Updating...". What each plot draws
(`economics_charts.figure_data`: plain numbers and arrays, scatter plots thinned to a bounded number of
points) is prepared in a background task for the economics shown and the workload filter, kept per filter;
the GUI thread only turns prepared figure data into pyqtgraph items, one plot per event-loop turn and only
while the Plots tab is shown. Hover texts are worded only for the point hovered.
"""

from __future__ import annotations

import html
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QFrame, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
                               QScrollArea, QSizePolicy, QTabWidget, QVBoxLayout, QWidget)

from desktop.domain.errors import DomainError
from desktop.domain.playbook import Playbook
from desktop.domain.progress import check_cancelled
from desktop.services import traces
from desktop.services.economics import Economics
from desktop.services.workers import gc_paused
from desktop.ui import commands, theme
from desktop.ui import economics_facts  # noqa: F401 - registers the economics gate facts providers
from desktop.ui.calculators import CalculatorsWidget
from desktop.ui.document import Document
from desktop.ui.economics_charts import FIGURES, ChartData, FigureData, figure_data, thinned_for_drawing
from desktop.ui.economics_state import COMPUTING_TEXT, EconomicsFacts, EconomicsState, economics_state, follow
from desktop.ui.pages.base import Page
from desktop.ui.pages.economics_views import ChartView, RecommendationPanel, error_style
from desktop.ui.tasks import TaskRunner, single_shot

ALL_WORKLOADS = "All workloads"
KEPT_FILTERS = 4  # prepared plots kept per workload filter for the economics shown
MAX_FIGURE_ROWS = 16  # key figures listed on the page (a long rich-text label is slow to lay out)
UPDATING_TEXT = "Updating\u2026"


# ---- the plots' data, prepared on a worker thread

def chart_data_for(economics: Economics, workload: str | None) -> ChartData:
    return ChartData(economics.report, economics.workbook, economics.playbook, economics.scenarios,
                     economics.catalog, workload)


def prepare_figures(economics: Economics, workload: str | None, control: Any = None) -> dict[str, FigureData]:
    """What every plot draws for `workload` (None: all), as plain data thinned for drawing; runs on a worker
    thread."""
    data = chart_data_for(economics, workload)
    figures: dict[str, FigureData] = {}
    with gc_paused():
        for kind in FIGURES:
            check_cancelled(control)  # superseded by a newer computation
            figures[kind] = thinned_for_drawing(figure_data(kind, data))
    return figures


def prepare_in_worker(economics: Economics, workload: str | None, control: Any) -> dict[str, FigureData]:
    """The plots' data for the economics shown and a workload filter."""
    return prepare_figures(economics, workload, control)


# ---- the page ---------------------------------------------------------------------------------------

def _closed(document: Document) -> bool:
    """Whether the document's working copy is gone (closed while a computation was pending)."""
    return traces.is_closed(document.store) or not Path(document.copy.database).exists()


def _parse(text: str) -> float | None:
    text = text.strip().replace(",", "")
    if not text:
        return None
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def figures_table(rows: list[tuple[str, str]], limit: int = MAX_FIGURE_ROWS) -> str:
    """The key figures as a table; past `limit` rows (one p95 per trace group at scale) a last line says how
    many more there are: a label with thousands of rows takes seconds to lay out on the GUI thread."""
    shown = rows[:limit]
    cells = "".join(f"<tr><td style='padding:2px 10px 2px 0'>{html.escape(label)}</td>"
                    f"<td style='padding:2px 0'><b>{html.escape(value)}</b></td></tr>" for label, value in shown)
    if len(rows) > limit:
        cells += (f"<tr><td colspan='2' style='padding:2px 0'><i>\u2026 and {len(rows) - limit:,} more (each "
                  "workload, route and model's p95 is in the latency plot)</i></td></tr>")
    return f"<table cellspacing='0'>{cells}</table>"


class EconomicsPage(Page):
    title = "Economics"

    def __init__(self, playbook: Playbook, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.playbook = playbook
        self.economics: Economics | None = None
        self.key_figure_rows: list[tuple[str, str]] = []
        self.state: EconomicsState | None = None  # the document's shared economics
        self._plots_stale = False
        self._draw_queue: list[str] = []
        self._draw_figures: dict[str, FigureData] = {}
        # what the plots draw, prepared off the GUI thread, per workload filter, for the economics shown
        self._prepared: dict[str | None, dict[str, FigureData]] = {}
        self._figure_runner = TaskRunner(self, on_done=self._on_figures_prepared, on_failed=self._on_figures_failed,
                                         on_finished=self._figures_done)
        self._figures_for: tuple[Economics, str | None] | None = None
        # draws the next queued plot, letting events through in between
        self._draw_timer = single_shot(self, 0, self._draw_next)

        self.workload_combo = QComboBox()
        self.workload_combo.setAccessibleName("Workload filter")
        self.workload_combo.addItem(ALL_WORKLOADS, None)
        self.workload_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.workload_combo.currentIndexChanged.connect(lambda _i: self.redraw())
        self.rate_edit = QLineEdit()
        self.rate_edit.setAccessibleName("Reviewer hourly rate (USD per hour)")
        self.rate_edit.setPlaceholderText("not set")
        self.rate_edit.setMaximumWidth(90)
        self.rate_edit.editingFinished.connect(self._on_rate)
        self.target_edit = QLineEdit()
        self.target_edit.setAccessibleName("Target p95 latency (ms)")
        self.target_edit.setPlaceholderText("not set")
        self.target_edit.setMaximumWidth(90)
        self.target_edit.editingFinished.connect(self._on_target)
        self.field_message = QLabel()
        self.field_message.setStyleSheet(error_style())
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        self.updating = QLabel(UPDATING_TEXT)
        self.updating.setAccessibleName("Economics updating")
        self.updating.setStyleSheet(theme.style("muted", extra="font-style: italic;"))
        self.updating.hide()
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Workload"))
        bar.addWidget(self.workload_combo)
        bar.addSpacing(12)
        bar.addWidget(QLabel("Reviewer rate"))
        bar.addWidget(self.rate_edit)
        bar.addWidget(QLabel("USD/h"))
        bar.addSpacing(12)
        bar.addWidget(QLabel("Target p95"))
        bar.addWidget(self.target_edit)
        bar.addWidget(QLabel("ms"))
        bar.addSpacing(12)
        bar.addWidget(self.field_message, 1)

        self.charts: dict[str, ChartView] = {kind: ChartView(kind) for kind in FIGURES}
        grid_host = QWidget()
        grid = QGridLayout(grid_host)
        grid.setContentsMargins(0, 0, 0, 0)
        for i, view in enumerate(self.charts.values()):
            grid.addWidget(view, i // 2, i % 2)
        self.figures_box = QGroupBox("Key figures")
        self.figures_label = QLabel()
        self.figures_label.setWordWrap(True)
        self.figures_label.setTextFormat(Qt.TextFormat.RichText)
        self.figures_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.figures_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        QVBoxLayout(self.figures_box).addWidget(self.figures_label)
        grid.addWidget(self.figures_box, len(self.charts) // 2, len(self.charts) % 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        self.charts_scroll = charts_scroll = QScrollArea()
        charts_scroll.setWidget(grid_host)
        charts_scroll.setWidgetResizable(True)
        charts_scroll.setFrameShape(QFrame.Shape.NoFrame)

        self.recommendation = RecommendationPanel(playbook)
        self.calculators = CalculatorsWidget()
        self.tabs = QTabWidget()
        self.tabs.addTab(charts_scroll, "Plots")
        self.tabs.addTab(self.recommendation, "Recommendation")
        self.tabs.addTab(self.calculators, "Calculators")
        self.tabs.currentChanged.connect(self._on_tab_changed)

        layout = QVBoxLayout(self)
        heading = QLabel("<h2>Economics</h2>")
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addWidget(self.summary, 1)
        top.addWidget(self.updating, 0, Qt.AlignmentFlag.AlignRight)
        layout.addLayout(top)
        layout.addLayout(bar)
        layout.addWidget(self.tabs, 1)
        self.summary.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    # ---- Page API
    def bind(self, document: Document) -> None:
        # The calculators read the catalog from the document's shared economics: they are refreshed when
        # those land (see `show_facts`), not here.
        for panel in self.calculators.panels.values():
            panel.document = document
        self._follow(economics_state(document))
        super().bind(document)

    def refresh(self) -> None:
        """Show the context fields now, and the shared economics for the document as it is now: at once
        when computed already (no work), else when they land ("Updating..." meanwhile)."""
        document = self.document
        if document is None:
            return
        context = document.workbook.context
        self.rate_edit.setText("" if context.reviewer_rate_usd_per_hour is None
                               else f"{context.reviewer_rate_usd_per_hour:g}")
        self.target_edit.setText("" if context.target_p95_ms is None else f"{context.target_p95_ms:g}")
        editable = not document.read_only
        self.rate_edit.setReadOnly(not editable)
        self.target_edit.setReadOnly(not editable)
        self.recommendation.document = document
        facts = self.state.current()
        if facts is not None:
            self.show_facts(facts)
            return
        self.state.request()
        if self.state.error is not None and not self.state.busy:
            self.show_failure(self.state.error)
            return
        self.updating.show()
        if self.economics is None:  # nothing shown yet: say what is happening rather than show blanks
            self.summary.setText(f"<i>{COMPUTING_TEXT.capitalize()}</i>")
            self.figures_label.setText(f"<i>{COMPUTING_TEXT.capitalize()}</i>")

    @property
    def busy(self) -> bool:
        """True until the figures shown match the document's latest state (computed, and drawn if shown)."""
        return ((self.state is not None and self.state.busy) or self._figure_runner.busy or bool(self._draw_queue)
                or (self.state is not None and self.state.current() is not None
                    and self.state.current().economics is not self.economics))

    def _follow(self, state: EconomicsState) -> None:
        if state is self.state:
            return
        self.state = follow(self.state, state, self.show_facts, self.show_failure)

    def show_facts(self, facts: EconomicsFacts) -> None:
        """Show the shared economics (the document's as it is now)."""
        document = self.document
        if document is None or _closed(document):
            return
        self.updating.hide()
        if facts.economics is self.economics:
            return  # shown already: nothing to redo
        economics = facts.economics
        self.economics = economics
        self.key_figure_rows = list(facts.key_figures)
        self._prepared = {}
        self._fill_workloads()
        rec = economics.recommendation
        self.summary.setText(f"Recommended: <b>{html.escape(rec.route_name)}</b>, fallback "
                             f"<b>{html.escape(rec.fallback_name)}</b>"
                             + (" <i>(officer override)</i>" if rec.override and rec.override.route else ""))
        self.recommendation.show_economics(document, economics)
        self.calculators.refresh()  # reads the shared economics: no second computation
        self.figures_label.setText(figures_table(self.key_figure_rows) if self.key_figure_rows else
                                   "<i>No figures yet: import traces with cost, acceptance and p95 latency.</i>")
        self.redraw()

    def show_failure(self, message: str) -> None:
        self.updating.hide()
        if self.document is None or _closed(self.document):
            return
        # e.g. an edited rule table that no longer matches the playbook
        self.economics = None
        self._prepared = {}
        self._draw_queue.clear()
        self.summary.setText(f"<span style='{error_style()}'>The economics cannot be computed: "
                             f"{html.escape(message)}</span>")
        self.calculators.refresh()  # they fall back to the stored catalog

    def wait_updated(self, ms: int = 60_000) -> bool:
        """Process events until the figures match the latest state (for scripts; tests use qtbot.waitUntil)."""
        from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QEventLoop

        deadline = QDeadlineTimer(ms)
        while self.busy and not deadline.hasExpired():
            self._figure_runner.wait(20)
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        return not self.busy

    def _fill_workloads(self) -> None:
        names = sorted({w.workload for w in self.economics.report.workloads} |
                       {w.name for w in self.document.workbook.context.workloads})
        current = self.workload_combo.currentData()
        self.workload_combo.blockSignals(True)
        self.workload_combo.clear()
        self.workload_combo.addItem(ALL_WORKLOADS, None)
        for name in names:
            self.workload_combo.addItem(name, name)
        index = self.workload_combo.findData(current) if current is not None else 0
        self.workload_combo.setCurrentIndex(max(index, 0))
        self.workload_combo.blockSignals(False)

    def workload(self) -> str | None:
        return self.workload_combo.currentData()

    def set_workload(self, name: str | None) -> None:
        index = self.workload_combo.findData(name) if name is not None else 0
        self.workload_combo.setCurrentIndex(max(index, 0))

    def chart_data(self) -> ChartData:
        return chart_data_for(self.economics, self.workload())

    def redraw(self) -> None:
        """Redraw the plots from the current figures, one plot per event-loop turn; only while the Plots tab
        is shown (otherwise when it is next shown). The GUI thread only draws: the plots' data come prepared
        from a background task for the economics shown and the workload filter."""
        if self.economics is None:
            return
        if not self.isVisible() or self.tabs.currentWidget() is not self.charts_scroll:
            self._plots_stale = True
            self._draw_queue.clear()
            return
        self._plots_stale = False
        prepared = self._prepared.get(self.workload())
        if prepared is None:
            self._draw_queue.clear()
            self._start_figures()
            return
        self._draw_figures = prepared
        self._draw_queue = list(self.charts)
        self._draw_timer.start()

    def _start_figures(self) -> None:
        """Prepare the plots' data for the current economics and workload filter in the background."""
        wanted = (self.economics, self.workload())
        if self._figure_runner.busy and self._figures_for is not None and self._figures_for[0] is wanted[0] \
                and self._figures_for[1] == wanted[1]:
            return  # under way
        self._figures_for = wanted
        self._figure_runner.start(prepare_in_worker, *wanted)

    def _on_figures_prepared(self, figures: dict[str, FigureData]) -> None:
        economics, workload = self._figures_for
        if economics is self.economics:
            if len(self._prepared) >= KEPT_FILTERS:
                self._prepared.pop(next(iter(self._prepared)))
            self._prepared[workload] = figures

    def _on_figures_failed(self, message: str) -> None:
        economics, workload = self._figures_for
        if economics is not self.economics:
            return
        self._prepared[workload] = {}  # draw nothing rather than retry forever
        self.summary.setText(f"<span style='{error_style()}'>The plots cannot be drawn: {html.escape(message)}</span>")

    def _figures_done(self) -> None:
        if not self._figure_runner.busy:
            self.redraw()

    def _draw_next(self) -> None:
        if not self._draw_queue:
            return
        kind = self._draw_queue.pop(0)
        figure = self._draw_figures.get(kind)
        if figure is not None:
            self.charts[kind].draw(figure)
        if self._draw_queue:
            self._draw_timer.start()

    def _on_tab_changed(self, _index: int) -> None:
        if self._plots_stale:
            self.redraw()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        super().showEvent(event)
        if self._plots_stale:
            self.redraw()

    # ---- context fields
    def _on_rate(self) -> None:
        self._set_context_number(self.rate_edit, "reviewer_rate_usd_per_hour", "Set reviewer rate")

    def _on_target(self) -> None:
        self._set_context_number(self.target_edit, "target_p95_ms", "Set target p95 latency")

    def _set_context_number(self, edit: QLineEdit, attr: str, text: str) -> None:
        document = self.document
        if document is None or document.read_only:
            return
        context = document.workbook.context
        try:
            value = _parse(edit.text())
            if value == getattr(context, attr):
                self.field_message.clear()
                return
            document.push(commands.set_context(document, replace(context, **{attr: value}), text))
        except (ValueError, DomainError) as exc:
            self.field_message.setText(f"{edit.accessibleName()}: "
                                       + (str(exc) if isinstance(exc, DomainError) else "must be a number"))
            current = getattr(document.workbook.context, attr)
            edit.setText("" if current is None else f"{current:g}")
            return
        self.field_message.clear()


__all__ = ["EconomicsPage", "ChartView", "RecommendationPanel"]
