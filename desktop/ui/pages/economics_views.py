"""The Economics page's two views: one plot (`ChartView`: a figure drawn with pyqtgraph, exact values on
hover, saved as PNG or SVG) and the route recommendation with its reasons and the officer's undoable
override (`RecommendationPanel`). `desktop.ui.pages.economics.EconomicsPage` lays them out and feeds them."""

from __future__ import annotations

import html
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QFrame, QGridLayout, QGroupBox, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QScrollArea, QToolTip, QVBoxLayout, QWidget)

from desktop.domain.errors import DomainError
from desktop.domain.playbook import Playbook
from desktop.economics.recommend import RecommendationOverride, normalize_override
from desktop.exports.plan_text import rests_on
from desktop.services.economics import Economics
from desktop.storage import economics_store
from desktop.ui import commands, settings, theme
from desktop.ui.charts import chart_buttons, install_chart_actions
from desktop.ui.document import Document
from desktop.ui.economics_charts import (FIGURES, ChartData, Figure, FigureData, build_figure, can_log, draw_figure,
                                         export_plot, set_log_scale)
from desktop.ui.economics_facts import STATUS_COLORS



def error_style() -> str:
    """An error's text colour in the running theme."""
    return theme.style("error")


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
        self.readout.setStyleSheet(theme.style("muted"))
        self.readout.setWordWrap(True)
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet(theme.style("muted"))
        self.notes.hide()
        self.save_button = QPushButton("Save as PNG or SVG...")
        self.save_button.setAccessibleName(f"Save {FIGURES[kind]} as PNG or SVG")
        self.save_button.clicked.connect(self.ask_save)
        self.chart_actions = install_chart_actions(self.plot_widget, lambda: FIGURES[kind], self.table_data)
        self.log_box = QCheckBox("&Log scale")  # linear first; only for a figure that spans powers of ten
        self.log_box.setAccessibleName(f"Logarithmic axes for {FIGURES[kind]}")
        self.log_box.setVisible(False)
        self.log_box.toggled.connect(lambda on: self.figure is not None and set_log_scale(self.figure, on))
        bottom = QHBoxLayout()
        bottom.addWidget(self.readout, 1)
        bottom.addWidget(self.log_box, 0, Qt.AlignmentFlag.AlignTop)
        bottom.addLayout(chart_buttons(self.chart_actions))
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
        self.log_box.setVisible(can_log(self.figure))
        set_log_scale(self.figure, self.log_box.isChecked())
        notes = self.figure.notes
        self.notes.setText(" ".join(notes))
        self.notes.setVisible(bool(notes))
        self.plot_widget.setAccessibleDescription(self.describe())
        return self.figure

    def table_data(self) -> tuple[list[str], list[list[str]]]:
        """The drawn figure's points (see Figure.table_data); a header only before anything is drawn."""
        return self.figure.table_data() if self.figure is not None else (["Series", "x", "y"], [])

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
            self.readout.setText(f"<span style='{error_style()}'>Not saved: {html.escape(str(exc))}</span>")
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
        text, background, border = theme.banner_colours("info")
        self.headline.setStyleSheet(f"QLabel {{ color: {text}; background: {background}; border: 1px solid {border}; "
                                    "padding: 8px; }")
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
        lines += [f"<span style='color:{theme.colour('warning')}'>{html.escape(p)}</span>" for p in economics.problems]
        self.headline.setText("<br>".join(lines))
        for status in rec.statuses:
            color = STATUS_COLORS.get(status.status, "muted")
            marks = []
            if status.slug == rec.route:
                marks.append("recommended")
            if status.slug == rec.fallback:
                marks.append("fallback")
            where = rests_on(self.playbook, status.slug)  # one route vocabulary: the trace rows it rests on
            self.route_titles[status.slug].setTitle(
                f"{status.route} ({status.stage}{', ' + where if where else ''}): {status.status}"
                + (f"  [{', '.join(marks)}]" if marks else ""))
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
            self.override_message.setStyleSheet(error_style())
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
            self.override_message.setStyleSheet(error_style())
            self.override_message.setText(str(exc))
            return False
        self.override_message.setStyleSheet("")
        self.override_message.setText("Override cleared (Edit > Undo restores it).")
        return True
