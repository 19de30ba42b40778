"""The main window's navigation: the pages in groups, each gate with its verdict and evidence count.

Decide (Overview, Buyer context, Assessment summary), Gates 1-5 (indented, a verdict mark and "3/5"),
Evidence (Readiness, Traces, Economics, Economics / Plan), then Sign-off and Playbook. Group headings are
rows that cannot be chosen (the arrow keys pass over them). Every status is written out in the row's
accessible text and tooltip as well as drawn, so a screen reader hears "verdict: at risk, 3 of 5 items".
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from desktop.domain import gates as rules
from desktop.domain.workbook import GateStatus
from desktop.ui import theme

KEY_ROLE = Qt.ItemDataRole.UserRole
_GROUPS = (
    ("Decide", ("overview", "context", "summary")),
    ("Gates", None),  # every "gate:*" page, in the playbook's order
    ("Evidence", ("readiness", "traces", "economics", "plan")),
    ("Sign off", ("signoff",)),
    ("Reference", ("playbook",)),
)
_LABELS = {"plan": "Economics / Plan", "context": "Buyer context", "signoff": "Sign-off"}
# verdict: (mark drawn in the icon, theme role, words)
_VERDICT_MARKS = {GateStatus.NOT_ASSESSED: ("\u2013", "not-assessed", "not assessed"),
                  GateStatus.PASSED: ("\u2713", "passed", "passed"),
                  GateStatus.AT_RISK: ("!", "at-risk", "at risk"),
                  GateStatus.FAILED: ("\u2717", "failed", "failed")}


def verdict_icon(status: GateStatus, size: int = 16) -> QIcon:
    """A filled disc in the verdict's colour with its mark (the colour is never the only cue)."""
    mark, role, _words = _VERDICT_MARKS[status]
    pixmap = QPixmap(size * 2, size * 2)  # drawn at twice the size: sharp on high-DPI screens
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    fill = QColor(theme.colour(role))
    painter.setBrush(fill)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(QRectF(2, 2, size * 2 - 4, size * 2 - 4))
    font = QFont()
    font.setBold(True)
    font.setPixelSize(int(size * 1.3))
    painter.setFont(font)
    painter.setPen(QColor("black" if fill.lightness() > 140 else "white"))
    painter.drawText(QRectF(0, 0, size * 2, size * 2), Qt.AlignmentFlag.AlignCenter, mark)
    painter.end()
    return QIcon(pixmap)


class Navigation(QListWidget):
    """The list of pages; `key_at(row)` and `row_of(key)` map rows to page keys (headings have none)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Sections")
        self.setIconSize(QSize(16, 16))
        self.setFixedWidth(236)
        self.setStyleSheet("QListWidget::item { padding: 3px 8px; }")
        self._titles: dict[str, str] = {}

    # ---- Public API ---------------------------------------------------------------------------------
    def build(self, titles: dict[str, str]) -> None:
        """Fill the list from the pages' titles (key -> title), grouped as in the module docstring."""
        self.clear()
        self._titles = dict(titles)
        gate_keys = [k for k in titles if k.startswith("gate:")]
        placed: set[str] = set()
        for heading, keys in _GROUPS:
            members = [k for k in (gate_keys if keys is None else keys) if k in titles]
            if not members:
                continue
            self._add_heading(heading)
            for key in members:
                self._add_page(key, indent=keys is None)
                placed.add(key)
        for key in titles:  # a page no group names still gets a row
            if key not in placed:
                self._add_page(key, indent=False)

    def key_at(self, row: int) -> str | None:
        item = self.item(row)
        return item.data(KEY_ROLE) if item is not None else None

    def row_of(self, key: str) -> int:
        for row in range(self.count()):
            if self.item(row).data(KEY_ROLE) == key:
                return row
        raise KeyError(key)

    def update_status(self, document, playbook, part: str = "all") -> None:
        """Show each page's status from `document` (called on every change, and when the background trace
        count lands: desktop.ui.trace_summary)."""
        workbook = document.workbook
        total_gates = len(playbook.gates)
        for row in range(self.count()):
            item = self.item(row)
            key = item.data(KEY_ROLE)
            if key is None:
                continue
            title = self._titles[key]
            if key.startswith("gate:"):
                slug = key.split(":", 1)[1]
                gate = workbook.gates[slug]
                number = [g.slug for g in playbook.gates].index(slug) + 1
                progress = rules.gate_progress(gate)
                _mark, _role, words = _VERDICT_MARKS[gate.status]
                item.setText(f"{number}. {title}   {progress.done}/{progress.total}")
                item.setIcon(verdict_icon(gate.status))
                spoken = (f"Gate {number} of {total_gates}, {title}: verdict {words}; "
                          f"{progress.done} of {progress.total} evidence items collected")
                if gate.is_exception:
                    spoken += "; passed with open items"
            elif key == "context":
                empty = [w.name for w in workbook.context.workloads if not w.monthly_requests]
                item.setText(f"{title}   \u26a0" if empty else title)
                spoken = (f"{title}: workload(s) without a monthly volume: {', '.join(empty)}" if empty
                          else f"{title}: {len(workbook.context.workloads)} workload(s)")
            elif key == "readiness":
                scored = sum(1 for s in workbook.scores.values() if s.score is not None)
                item.setText(f"{title}   {scored}/{len(workbook.scores)}")
                spoken = f"{title}: {scored} of {len(workbook.scores)} dimensions scored"
            elif key == "traces":
                from desktop.ui.trace_summary import trace_summary_state

                state = trace_summary_state(document)  # counted in the background, never here
                summary = state.current() or state.latest()
                if summary is None:
                    item.setText(title)
                    spoken = f"{title}: counting the trace rows"
                else:
                    item.setText(f"{title}   {summary.count:,}")
                    spoken = f"{title}: {summary.count:,} trace row(s)"
            elif key == "signoff":
                from desktop.ui.signoff_check import TAMPERED, signoff_check

                signed = workbook.signed
                if signed and signoff_check(document).state == TAMPERED:  # checked in the background
                    item.setText(f"{title}   \u26a0 changed")
                    spoken = f"{title}: signed off, but the content changed since the sign-off"
                else:
                    item.setText(f"{title}   \u2713 signed" if signed else title)
                    spoken = f"{title}: {'signed off, read-only' if signed else 'not signed off yet'}"
            else:
                spoken = title
            item.setData(Qt.ItemDataRole.AccessibleTextRole, spoken)
            item.setToolTip(spoken)

    # ---- Private API --------------------------------------------------------------------------------
    def _add_heading(self, text: str) -> None:
        item = QListWidgetItem(text.upper())
        item.setFlags(Qt.ItemFlag.NoItemFlags)  # not selectable, skipped by the arrow keys
        font = item.font()
        font.setBold(True)
        font.setPointSizeF(max(font.pointSizeF() * 0.85, 7.0))
        item.setFont(font)
        item.setForeground(QColor(theme.colour("muted")))
        item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{text} section")
        item.setSizeHint(QSize(0, 26))
        self.addItem(item)

    def _add_page(self, key: str, *, indent: bool) -> None:
        """A page's row; a gate's row is indented under its heading by its verdict icon."""
        title = _LABELS.get(key, self._titles[key])
        self._titles[key] = title
        item = QListWidgetItem(title)
        item.setData(KEY_ROLE, key)
        item.setData(Qt.ItemDataRole.AccessibleTextRole, title)
        item.setToolTip(title)
        if indent:
            item.setIcon(verdict_icon(GateStatus.NOT_ASSESSED))
        self.addItem(item)
