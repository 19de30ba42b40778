"""The Economics page: route economics plots, the route recommendation with its reasons and the officer's
override, and the calculators.

The plots are the figures of `desktop.ui.economics_charts`, drawn into PlotWidgets; hovering shows exact
values, a workload filter narrows them, and each can be saved as PNG or SVG. The reviewer rate and target
p95 fields edit the buyer context through the undoable set_context command; the override is undoable too.
"""

from __future__ import annotations

import html
import math
from dataclasses import replace
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QCursor, QUndoCommand
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFrame, QGridLayout, QGroupBox, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QScrollArea, QSizePolicy, QTabWidget, QToolTip,
                               QVBoxLayout, QWidget)

from desktop.domain.errors import DomainError
from desktop.domain.playbook import Playbook
from desktop.economics.recommend import RecommendationOverride, normalize_override
from desktop.economics_service import Economics
from desktop.storage import economics_store
from desktop.ui import economics_facts  # noqa: F401  (registers the economics gate facts providers)
from desktop.ui import settings
from desktop.ui.calculators import CalculatorsWidget
from desktop.ui.commands import set_context
from desktop.ui.document import Document
from desktop.ui.economics_charts import FIGURES, ChartData, Figure, build_figure, export_plot
from desktop.ui.economics_facts import STATUS_COLORS, document_economics
from desktop.ui.pages.base import Page

ALL_WORKLOADS = "All workloads"
ERROR_STYLE = "color: #9b1c1c;"


# ---- undoable override ------------------------------------------------------------------------------

class SetOverrideCommand(QUndoCommand):
    """Record (or clear, with None) the officer's recommendation override."""

    def __init__(self, document: Document, new: RecommendationOverride | None, text: str) -> None:
        super().__init__(text)
        self.document = document
        self.old = economics_store.get_override(document.store)
        self.new = new

    def _apply(self, value: RecommendationOverride | None) -> None:
        self.document.run_in_transaction(lambda store: economics_store.set_override(store, value), "recommendation")

    def redo(self) -> None:
        self._apply(self.new)

    def undo(self) -> None:
        self._apply(self.old)


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

    def draw(self, data: ChartData) -> Figure:
        self.figure = build_figure(self.kind, data, self.plot)
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
        return f"{self.figure.title}. " + " ".join(spot.text.replace("\n", ", ") + "."
                                                   for spot in self.figure.hover[:12])

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
            self.document.push(SetOverrideCommand(self.document, new, text))
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
            self.document.push(SetOverrideCommand(self.document, None, "Clear the recommendation override"))
        except DomainError as exc:
            self.override_message.setStyleSheet(ERROR_STYLE)
            self.override_message.setText(str(exc))
            return False
        self.override_message.setStyleSheet("")
        self.override_message.setText("Override cleared (Edit > Undo restores it).")
        return True


# ---- the page ---------------------------------------------------------------------------------------

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
        charts_scroll = QScrollArea()
        charts_scroll.setWidget(grid_host)
        charts_scroll.setWidgetResizable(True)
        charts_scroll.setFrameShape(QFrame.Shape.NoFrame)

        self.recommendation = RecommendationPanel(playbook)
        self.calculators = CalculatorsWidget()
        self.tabs = QTabWidget()
        self.tabs.addTab(charts_scroll, "Plots")
        self.tabs.addTab(self.recommendation, "Recommendation")
        self.tabs.addTab(self.calculators, "Calculators")

        layout = QVBoxLayout(self)
        heading = QLabel("<h2>Economics</h2>")
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addWidget(self.summary, 1)
        layout.addLayout(top)
        layout.addLayout(bar)
        layout.addWidget(self.tabs, 1)
        self.summary.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    # ---- Page API
    def bind(self, document: Document) -> None:
        self.calculators.bind(document)
        super().bind(document)

    def refresh(self) -> None:
        document = self.document
        if document is None:
            return
        try:
            self.economics = document_economics(document)
        except DomainError as exc:  # e.g. an edited rule table that no longer matches the playbook
            self.economics = None
            self.summary.setText(f"<span style='{ERROR_STYLE}'>The economics cannot be computed: "
                                 f"{html.escape(str(exc))}</span>")
            return
        context = document.workbook.context
        self.rate_edit.setText("" if context.reviewer_rate_usd_per_hour is None
                               else f"{context.reviewer_rate_usd_per_hour:g}")
        self.target_edit.setText("" if context.target_p95_ms is None else f"{context.target_p95_ms:g}")
        editable = not document.read_only
        self.rate_edit.setReadOnly(not editable)
        self.target_edit.setReadOnly(not editable)
        self._fill_workloads()
        rec = self.economics.recommendation
        self.summary.setText(f"Recommended: <b>{html.escape(rec.route_name)}</b>, fallback "
                             f"<b>{html.escape(rec.fallback_name)}</b>"
                             + (" <i>(officer override)</i>" if rec.override and rec.override.route else ""))
        self.recommendation.show_economics(document, self.economics)
        self.calculators.refresh()
        self.redraw()

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
        economics = self.economics
        return ChartData(economics.report, economics.workbook, economics.playbook, economics.scenarios,
                         economics.catalog, self.workload())

    def redraw(self) -> None:
        if self.economics is None:
            return
        data = self.chart_data()
        for view in self.charts.values():
            view.draw(data)
        rows = economics_facts.key_figures(self.economics)
        self.figures_label.setText(figures_table(rows) if rows else
                                   "<i>No figures yet: import traces with cost, acceptance and p95 latency.</i>")

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
            document.push(set_context(document, replace(context, **{attr: value}), text))
        except (ValueError, DomainError) as exc:
            self.field_message.setText(f"{edit.accessibleName()}: "
                                       + (str(exc) if isinstance(exc, DomainError) else "must be a number"))
            current = getattr(document.workbook.context, attr)
            edit.setText("" if current is None else f"{current:g}")
            return
        self.field_message.clear()


__all__ = ["EconomicsPage", "ChartView", "RecommendationPanel", "SetOverrideCommand"]
