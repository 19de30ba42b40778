"""The Economics page: route economics plots, the route recommendation with its reasons and the officer's
override, and the calculators.

The plots are the figures of `desktop.ui.economics_charts`, drawn into PlotWidgets; hovering shows exact
values, a workload filter narrows them, and each can be saved as PNG or SVG. The reviewer rate and target
p95 fields edit the buyer context through the undoable set_context command; the override is undoable too.

With many trace rows the metrics and recommendation take seconds, so the page never computes them on the
GUI thread: a change starts a short debounce timer, then a background task reads the traces over its own
connection to the working copy and computes the economics and key figures. A newer change supersedes a
running computation (its result is ignored); the last figures stay on screen meanwhile, with "Updating...".
The same worker also prepares what each plot draws (`economics_charts.figure_data`: plain numbers and
arrays) for the workload filter chosen when it started; a change of the filter prepares them again in a
background task. The GUI thread only turns prepared figure data into pyqtgraph items: the plots are redrawn
only while the Plots tab is shown, one per event-loop turn.
"""

from __future__ import annotations

import html
import math
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QComboBox, QFrame, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
                               QScrollArea, QSizePolicy, QTabWidget, QVBoxLayout, QWidget)

from desktop.domain.errors import DomainError
from desktop.domain.playbook import Playbook
from desktop.domain.progress import check_cancelled
from desktop.domain.workbook import Workbook
from desktop.services import traces
from desktop.services.economics import Economics, run_economics
from desktop.services.workers import gc_paused
from desktop.ui import commands, theme
from desktop.ui import economics_facts  # also registers the economics gate facts providers
from desktop.ui.calculators import CalculatorsWidget
from desktop.ui.document import Document
from desktop.ui.economics_charts import FIGURES, ChartData, FigureData, figure_data
from desktop.ui.pages.base import Page
from desktop.ui.pages.economics_views import ChartView, RecommendationPanel, error_style
from desktop.ui.tasks import TaskRunner

ALL_WORKLOADS = "All workloads"
DEBOUNCE_MS = 80  # a burst of changes (typing, undo held down) starts one computation
UPDATING_TEXT = "Updating\u2026"


# ---- the background computation ---------------------------------------------------------------------

def snapshot(workbook: Workbook) -> Workbook:
    """The workbook as it is now, for the worker (edits made meanwhile do not reach it)."""
    return Workbook(workbook.context, dict(workbook.gates), dict(workbook.scores), workbook.signoff,
                    list(workbook.audit), workbook.plan)


def chart_data_for(economics: Economics, workload: str | None) -> ChartData:
    return ChartData(economics.report, economics.workbook, economics.playbook, economics.scenarios,
                     economics.catalog, workload)


def prepare_figures(economics: Economics, workload: str | None, control: Any = None) -> dict[str, FigureData]:
    """What every plot draws for `workload` (None: all), as plain data; runs on a worker thread."""
    data = chart_data_for(economics, workload)
    figures: dict[str, FigureData] = {}
    with gc_paused():
        for kind in FIGURES:
            check_cancelled(control)  # superseded by a newer computation
            figures[kind] = figure_data(kind, data)
    return figures


def compute_in_worker(database: Path, workbook: Workbook, playbook: Playbook, workload: str | None,
                      control: Any) -> tuple[Economics, list[tuple[str, str]], dict[str, FigureData]]:
    """Read the traces over the worker's own connection; compute the economics, the key figures and what
    each plot draws for `workload` (the filter chosen when the computation started)."""
    economics = run_economics(database, workbook, playbook, control)
    figures = economics_facts.key_figures(economics)
    return economics, figures, prepare_figures(economics, workload, control)


def prepare_in_worker(economics: Economics, workload: str | None, control: Any) -> dict[str, FigureData]:
    """The plots' data for another workload filter (the economics unchanged)."""
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


def figures_table(rows: list[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><td style='padding:2px 10px 2px 0'>{html.escape(label)}</td>"
                    f"<td style='padding:2px 0'><b>{html.escape(value)}</b></td></tr>" for label, value in rows)
    return f"<table cellspacing='0'>{cells}</table>"


class EconomicsPage(Page):
    title = "Economics"

    def __init__(self, playbook: Playbook, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.playbook = playbook
        self.economics: Economics | None = None
        self.key_figure_rows: list[tuple[str, str]] = []
        self._generation = 0  # bumped by every change; a result of an older generation is ignored
        # one computation at a time; a newer one cancels the one under way (its result is never delivered)
        self._compute_runner = TaskRunner(self, on_done=self._on_computed, on_failed=self._on_compute_failed,
                                          on_finished=self._task_done)
        self._computing: tuple[int, Document, Any, str | None] | None = None  # what the latest one is for
        self._pending = False  # a change not yet reflected in the figures
        self._plots_stale = False
        self._draw_queue: list[str] = []
        self._draw_figures: dict[str, FigureData] = {}
        # what the plots draw, prepared off the GUI thread, and for which (economics, workload filter)
        self._prepared: dict[str, FigureData] | None = None
        self._prepared_for: tuple[Economics, str | None] | None = None
        # preparing the plots for another workload filter
        self._figure_runner = TaskRunner(self, on_done=self._on_figures_prepared, on_failed=self._on_figures_failed,
                                         on_finished=self._figures_done)
        self._figures_for: tuple[Economics, str | None] | None = None
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self._start_computation)
        self._draw_timer = QTimer(self)  # draws the next queued plot, letting events through in between
        self._draw_timer.setSingleShot(True)
        self._draw_timer.setInterval(0)
        self._draw_timer.timeout.connect(self._draw_next)

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
        # The calculators read the catalog from the document's economics: they are filled when the
        # background computation has put them in the shared cache (see `_apply`), not here.
        for panel in self.calculators.panels.values():
            panel.document = document
        super().bind(document)

    def refresh(self) -> None:
        """Show the context fields now and recompute the economics in the background (debounced)."""
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
        self._generation += 1  # whatever is computing now is out of date
        self._compute_runner.cancel()
        self._pending = True
        self.updating.show()
        self._debounce.start()

    @property
    def busy(self) -> bool:
        """True until the figures shown match the document's latest state (computed, and drawn if shown)."""
        return (self._pending or self._debounce.isActive() or self._compute_runner.busy
                or self._figure_runner.busy or bool(self._draw_queue))

    def _start_computation(self) -> None:
        document = self.document
        if document is None:
            return
        if _closed(document):  # closed meanwhile
            self._pending = False
            self.updating.hide()
            return
        generation = self._generation
        key = economics_facts.economics_key(document)
        workload = self.workload()
        self._computing = (generation, document, key, workload)
        self._compute_runner.start(compute_in_worker, document.copy.database, snapshot(document.workbook),
                                   document.playbook, workload)

    def _on_computed(self, result: tuple[Economics, list[tuple[str, str]], dict[str, FigureData]]) -> None:
        generation, document, key, workload = self._computing
        self._apply(generation, document, key, *result, workload=workload)

    def _on_compute_failed(self, message: str) -> None:
        self._failed(self._computing[0], message)

    def _task_done(self) -> None:
        if self._compute_runner.busy:
            return
        if self.document is not None and self._pending and not self._debounce.isActive():
            self._start_computation()  # the latest computation was cancelled or out of date: compute again

    def _apply(self, generation: int, document: Document, key: Any, economics: Economics,
               figures: list[tuple[str, str]], prepared: dict[str, FigureData] | None = None, *,
               workload: str | None = None) -> None:
        if generation != self._generation or document is not self.document:
            return  # superseded by a newer change
        try:
            economics_facts.remember(document, key, economics)
        except sqlite3.Error:  # the document was closed meanwhile
            self._pending = False
            self.updating.hide()
            return
        self._pending = False
        self.updating.hide()
        self.economics = economics
        self.key_figure_rows = figures
        self._prepared = prepared
        self._prepared_for = (economics, workload) if prepared is not None else None
        self._fill_workloads()
        rec = economics.recommendation
        self.summary.setText(f"Recommended: <b>{html.escape(rec.route_name)}</b>, fallback "
                             f"<b>{html.escape(rec.fallback_name)}</b>"
                             + (" <i>(officer override)</i>" if rec.override and rec.override.route else ""))
        self.recommendation.show_economics(document, economics)
        self.calculators.refresh()  # reads the economics just remembered: no second computation
        self.figures_label.setText(figures_table(figures) if figures else
                                   "<i>No figures yet: import traces with cost, acceptance and p95 latency.</i>")
        self.redraw()

    def _failed(self, generation: int, message: str) -> None:
        if generation != self._generation:
            return
        self._pending = False
        self.updating.hide()
        if self.document is None or _closed(self.document):
            return
        # e.g. an edited rule table that no longer matches the playbook
        self.economics = None
        self._prepared = self._prepared_for = None
        self._draw_queue.clear()
        self.summary.setText(f"<span style='{error_style()}'>The economics cannot be computed: "
                             f"{html.escape(message)}</span>")
        self.calculators.refresh()  # they fall back to the bundled catalog

    def wait_updated(self, ms: int = 60_000) -> bool:
        """Process events until the figures match the latest state (for scripts; tests use qtbot.waitUntil)."""
        from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QEventLoop

        deadline = QDeadlineTimer(ms)
        while self.busy and not deadline.hasExpired():
            for runner in (self._compute_runner, self._figure_runner):
                runner.wait(20)
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
        from the worker, or, for another workload filter, are prepared first in a background task."""
        if self.economics is None:
            return
        if not self.isVisible() or self.tabs.currentWidget() is not self.charts_scroll:
            self._plots_stale = True
            self._draw_queue.clear()
            return
        self._plots_stale = False
        prepared_for = self._prepared_for
        if (self._prepared is None or prepared_for is None or prepared_for[0] is not self.economics
                or prepared_for[1] != self.workload()):
            self._draw_queue.clear()
            self._start_figures()
            return
        self._draw_figures = self._prepared
        self._draw_queue = list(self.charts)
        self._draw_timer.start()

    def _start_figures(self) -> None:
        """Prepare the plots' data for the current economics and workload filter in the background."""
        self._figures_for = (self.economics, self.workload())
        self._figure_runner.start(prepare_in_worker, *self._figures_for)

    def _on_figures_prepared(self, figures: dict[str, FigureData]) -> None:
        self._figures_ready(*self._figures_for, figures)

    def _on_figures_failed(self, message: str) -> None:
        self._figures_failed(*self._figures_for, message)

    def _figures_ready(self, economics: Economics, workload: str | None, figures: dict[str, FigureData]) -> None:
        if economics is self.economics:
            self._prepared, self._prepared_for = figures, (economics, workload)

    def _figures_failed(self, economics: Economics, workload: str | None, message: str) -> None:
        if economics is not self.economics:
            return
        self._prepared, self._prepared_for = {}, (economics, workload)  # draw nothing rather than retry forever
        self.summary.setText(f"<span style='{error_style()}'>The plots cannot be drawn: {html.escape(message)}</span>")

    def _figures_done(self) -> None:
        if self._figure_runner.busy:
            return
        if not self._pending:  # else the computation under way redraws when it is done
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
