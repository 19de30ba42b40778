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

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFrame, QGridLayout, QGroupBox, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QScrollArea, QSizePolicy, QTabWidget, QToolTip,
                               QVBoxLayout, QWidget)

from desktop.domain.errors import DomainError
from desktop.domain.progress import check_cancelled
from desktop.domain.playbook import Playbook
from desktop.domain.workbook import Workbook
from desktop.economics.recommend import RecommendationOverride, normalize_override
from desktop.services import traces
from desktop.services.economics import Economics, run_economics
from desktop.services.workers import gc_paused
from desktop.storage import economics_store
from desktop.ui import economics_facts  # also registers the economics gate facts providers
from desktop.ui import commands, settings
from desktop.ui.calculators import CalculatorsWidget
from desktop.ui.document import Document
from desktop.ui.economics_charts import (FIGURES, ChartData, Figure, FigureData, build_figure, draw_figure,
                                         export_plot, figure_data)
from desktop.ui.economics_facts import STATUS_COLORS
from desktop.ui.pages.base import Page
from desktop.ui.tasks import TaskRunner

ALL_WORKLOADS = "All workloads"
ERROR_STYLE = "color: #9b1c1c;"
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


# ---- one plot ---------------------------------------------------------------------------------------

class ChartView(QGroupBox):
    """A figure in a PlotWidget with hover read-out and Save as PNG/SVG."""

    sig_hovered = Signal(str)

    def __init__(self, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.figure: Figure | None = None
        self.setAccessibleName(FIGURES[kind])
        self.plot_widget = pg.PlotWidget(background="w")
        self.plot_widget.setAccessibleName(FIGURES[kind])
        self.plot_widget.setMinimumHeight(270)
        self.plot_widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.plot_widget.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.readout = QLabel("Hover a point or bar for exact values.")
        self.readout.setTextFormat(Qt.TextFormat.RichText)
        self.readout.setStyleSheet("color: #555;")
        self.readout.setWordWrap(True)
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet("color: #555;")
        self.notes.hide()
        self.save_button = QPushButton("Save as PNG or SVG...")
        self.save_button.setAccessibleName(f"Save {FIGURES[kind]} as PNG or SVG")
        self.save_button.clicked.connect(self.ask_save)
        bottom = QHBoxLayout()
        bottom.addWidget(self.readout, 1)
        bottom.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.notes)
        layout.addLayout(bottom)

    @property
    def plot(self) -> pg.PlotItem:
        return self.plot_widget.getPlotItem()

    def draw(self, data: ChartData | FigureData) -> Figure:
        """Draw from figure data prepared beforehand (the page's worker does that), or from chart data."""
        self.figure = (draw_figure(data, self.plot) if isinstance(data, FigureData)
                       else build_figure(self.kind, data, self.plot))
        notes = self.figure.notes
        self.notes.setText(" ".join(notes))
        self.notes.setVisible(bool(notes))
        self.plot_widget.setAccessibleDescription(self.describe())
        return self.figure

    def describe(self) -> str:
        if self.figure is None:
            return ""
        if self.figure.message:
            return self.figure.message
        return f"{self.figure.title}. " + " ".join(text.replace("\n", ", ") + "."
                                                   for text in self.figure.hover_texts(12))

    def hover_at(self, x: float, y: float) -> str | None:
        """The hover text at view point (x, y), as the mouse would show it."""
        if self.figure is None:
            return None
        px, py = self.plot.getViewBox().viewPixelSize()
        return self.figure.hover_text(x, y, (px * 10, py * 10))

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        if self.figure is None or not self.plot.sceneBoundingRect().contains(scene_pos):
            return
        point = self.plot.getViewBox().mapSceneToView(scene_pos)
        text = self.hover_at(point.x(), point.y())
        if text:
            self.readout.setText(html.escape(text).replace("\n", " &mdash; "))
            QToolTip.showText(QCursor.pos(), text, self.plot_widget)
            self.sig_hovered.emit(text)
        else:
            QToolTip.hideText()

    def save(self, path: Path | str, dpi: int = 150) -> Path:
        return export_plot(self.plot, path, dpi)

    def ask_save(self) -> None:
        folder = Path(settings.last_folder("figures"))
        path, chosen = QFileDialog.getSaveFileName(self, f"Save {FIGURES[self.kind]}", str(folder / f"{self.kind}.png"),
                                                   "PNG image (*.png);;SVG image (*.svg)")
        if not path:
            return
        if Path(path).suffix.lower() not in (".png", ".svg"):
            path += ".svg" if "SVG" in chosen else ".png"
        try:
            self.save(path)
        except (OSError, ValueError) as exc:
            self.readout.setText(f"<span style='{ERROR_STYLE}'>Not saved: {html.escape(str(exc))}</span>")
            return
        settings.set_last_folder("figures", Path(path).parent)
        self.readout.setText(f"Saved {html.escape(str(path))}")


# ---- the recommendation ------------------------------------------------------------------------------

class RecommendationPanel(QWidget):
    """Each route's status with its reasons, the recommended route and fallback, and the override control."""

    def __init__(self, playbook: Playbook, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.playbook = playbook
        self.document: Document | None = None
        self.economics: Economics | None = None
        self.headline = QLabel()
        self.headline.setWordWrap(True)
        self.headline.setTextFormat(Qt.TextFormat.RichText)
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.headline.setStyleSheet("QLabel { background: #eef4fb; border: 1px solid #b8cde6; padding: 8px; }")
        self.route_boxes: dict[str, QLabel] = {}
        self.route_titles: dict[str, QGroupBox] = {}
        routes = QWidget()
        routes_layout = QVBoxLayout(routes)
        routes_layout.setContentsMargins(0, 0, 0, 0)
        for route in playbook.procurement_routes:
            box = QGroupBox(route.name)
            box.setAccessibleName(route.name)
            label = QLabel()
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            QVBoxLayout(box).addWidget(label)
            routes_layout.addWidget(box)
            self.route_boxes[route.slug] = label
            self.route_titles[route.slug] = box
        routes_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(routes)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)

        override_box = QGroupBox("Officer override")
        grid = QGridLayout(override_box)
        self.route_combo = QComboBox()
        self.route_combo.setAccessibleName("Override route")
        self.route_combo.addItem("Follow the recommendation", None)
        self.fallback_combo = QComboBox()
        self.fallback_combo.setAccessibleName("Fallback route")
        self.fallback_combo.addItem("Managed API only (default)", None)
        for route in playbook.procurement_routes:
            self.route_combo.addItem(route.name, route.slug)
            self.fallback_combo.addItem(route.name, route.slug)
        self.reason_edit = QLineEdit()
        self.reason_edit.setAccessibleName("Override reason")
        self.reason_edit.setPlaceholderText("Why the officer chooses another route (required for a route override)")
        self.apply_button = QPushButton("Record override")
        self.apply_button.clicked.connect(self.apply_override)
        self.clear_button = QPushButton("Clear override")
        self.clear_button.clicked.connect(self.clear_override)
        self.override_message = QLabel()
        self.override_message.setWordWrap(True)
        grid.addWidget(QLabel("Route"), 0, 0)
        grid.addWidget(self.route_combo, 0, 1)
        grid.addWidget(QLabel("Fallback"), 0, 2)
        grid.addWidget(self.fallback_combo, 0, 3)
        grid.addWidget(QLabel("Reason"), 1, 0)
        grid.addWidget(self.reason_edit, 1, 1, 1, 3)
        buttons = QHBoxLayout()
        buttons.addWidget(self.override_message, 1)
        buttons.addWidget(self.apply_button)
        buttons.addWidget(self.clear_button)
        grid.addLayout(buttons, 2, 0, 1, 4)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.headline)
        layout.addWidget(scroll, 1)
        layout.addWidget(override_box)

    def show_economics(self, document: Document, economics: Economics) -> None:
        self.document = document
        self.economics = economics
        rec = economics.recommendation
        lines = [f"<b>Recommended route: {html.escape(rec.route_name)}</b> &nbsp; Fallback: "
                 f"<b>{html.escape(rec.fallback_name)}</b>"]
        lines += [html.escape(r.text) for r in rec.basis]
        lines += [f"<span style='color:#8a5300'>{html.escape(p)}</span>" for p in economics.problems]
        self.headline.setText("<br>".join(lines))
        for status in rec.statuses:
            color = STATUS_COLORS.get(status.status, "#333")
            marks = []
            if status.slug == rec.route:
                marks.append("recommended")
            if status.slug == rec.fallback:
                marks.append("fallback")
            self.route_titles[status.slug].setTitle(
                f"{status.route} ({status.stage}): {status.status}" + (f"  [{', '.join(marks)}]" if marks else ""))
            self.route_boxes[status.slug].setText(
                f"<span style='color:{color}'><b>{status.status}</b></span><ul style='margin:2px'>" +
                "".join(f"<li>{html.escape(r.text)}</li>" for r in status.reasons) + "</ul>")
        override = economics.override
        self._select(self.route_combo, override.route if override else None)
        self._select(self.fallback_combo, override.fallback if override else None)
        self.reason_edit.setText(override.reason if override else "")
        editable = not document.read_only
        for widget in (self.route_combo, self.fallback_combo, self.reason_edit, self.apply_button):
            widget.setEnabled(editable)
        self.clear_button.setEnabled(editable and override is not None)

    @staticmethod
    def _select(combo: QComboBox, slug: str | None) -> None:
        index = combo.findData(slug) if slug is not None else 0
        combo.setCurrentIndex(max(index, 0))

    def reasons_text(self) -> str:
        """Everything the panel says, as plain text (tests and the summary)."""
        parts = [self.headline.text()]
        for slug, label in self.route_boxes.items():
            parts.append(self.route_titles[slug].title() + ": " + label.text())
        return "\n".join(parts)

    def apply_override(self) -> bool:
        if self.document is None:
            return False
        route = self.route_combo.currentData()
        fallback = self.fallback_combo.currentData()
        reason = self.reason_edit.text().strip()
        try:
            new = normalize_override(RecommendationOverride(route, reason, fallback), self.playbook)
            if new == economics_store.get_override(self.document.store):
                self.override_message.setText("Nothing to change.")
                return False
            text = (f"Override the recommendation with {self.playbook.procurement_route(route).name}" if route
                    else "Set the fallback route" if new else "Clear the recommendation override")
            self.document.push(commands.set_override(self.document, new, text))
        except DomainError as exc:
            self.override_message.setStyleSheet(ERROR_STYLE)
            self.override_message.setText("A route override needs a reason." if route and not reason else str(exc))
            return False
        self.override_message.setStyleSheet("")
        self.override_message.setText("Override recorded (Edit > Undo reverts it)." if new else "Override cleared.")
        return True

    def clear_override(self) -> bool:
        if self.document is None or economics_store.get_override(self.document.store) is None:
            return False
        try:
            self.document.push(commands.set_override(self.document, None, "Clear the recommendation override"))
        except DomainError as exc:
            self.override_message.setStyleSheet(ERROR_STYLE)
            self.override_message.setText(str(exc))
            return False
        self.override_message.setStyleSheet("")
        self.override_message.setText("Override cleared (Edit > Undo restores it).")
        return True


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
        self._compute_runner = TaskRunner(self)
        self._compute_runner.sig_done.connect(self._on_computed)
        self._compute_runner.sig_failed.connect(self._on_compute_failed)
        self._compute_runner.sig_finished.connect(self._task_done)
        self._computing: tuple[int, Document, Any, str | None] | None = None  # what the latest one is for
        self._pending = False  # a change not yet reflected in the figures
        self._plots_stale = False
        self._draw_queue: list[str] = []
        self._draw_figures: dict[str, FigureData] = {}
        # what the plots draw, prepared off the GUI thread, and for which (economics, workload filter)
        self._prepared: dict[str, FigureData] | None = None
        self._prepared_for: tuple[Economics, str | None] | None = None
        self._figure_runner = TaskRunner(self)  # preparing the plots for another workload filter
        self._figure_runner.sig_done.connect(self._on_figures_prepared)
        self._figure_runner.sig_failed.connect(self._on_figures_failed)
        self._figure_runner.sig_finished.connect(self._figures_done)
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
        self.field_message.setStyleSheet(ERROR_STYLE)
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        self.updating = QLabel(UPDATING_TEXT)
        self.updating.setAccessibleName("Economics updating")
        self.updating.setStyleSheet("color: #555; font-style: italic;")
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
        self.summary.setText(f"<span style='{ERROR_STYLE}'>The economics cannot be computed: "
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
        self.summary.setText(f"<span style='{ERROR_STYLE}'>The plots cannot be drawn: {html.escape(message)}</span>")

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
