"""The Traces page's parts: the filter lists (read only when opened), the cell editor with choices, and an
import's provenance as HTML. `desktop.ui.pages.traces.TracesPage` puts them together."""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QStyledItemDelegate

from desktop.storage import trace_store
from desktop.ui.trace_model import FIELD_ROLE

if TYPE_CHECKING:
    from desktop.ui.pages.traces import TracesPage

ALL = "All"


class FilterCombo(QComboBox):
    """A filter's choices, read from the workbook only when the list is opened (a full scan on big ones)."""

    def __init__(self, field: str, page: TracesPage) -> None:
        super().__init__()
        self.field = field
        self.page = page
        self.stale = True
        self.addItem(ALL, None)
        self.setMinimumContentsLength(12)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)

    def load_choices(self) -> None:
        if not self.stale or self.page.document is None:
            return
        current = self.currentData()
        self.blockSignals(True)
        self.clear()
        self.addItem(ALL, None)
        if self.field == "import":
            for entry in self.page.document.store.imports():
                self.addItem(f"{entry['importId']}: {entry['source']}", str(entry["importId"]))
        else:
            for value in trace_store.distinct_values(self.page.document.store, self.field):
                self.addItem(str(value), str(value))
        position = self.findData(current) if current is not None else 0
        if position < 0:
            self.addItem(str(current), current)
            position = self.count() - 1
        self.setCurrentIndex(position)
        self.blockSignals(False)
        self.stale = False

    def select(self, value: str | None) -> None:
        if value is None:
            self.setCurrentIndex(0)
            return
        position = self.findData(str(value))
        if position < 0:
            self.blockSignals(True)
            self.addItem(str(value), str(value))
            self.blockSignals(False)
            position = self.count() - 1
        self.setCurrentIndex(position)

    def showPopup(self) -> None:  # noqa: N802 (Qt naming)
        self.load_choices()
        super().showPopup()


class TraceCellDelegate(QStyledItemDelegate):
    """Lists the choices for fields that have them (route, batchEligible); a line edit for the rest."""

    def __init__(self, page: TracesPage) -> None:
        super().__init__(page)
        self.page = page

    def _choices(self, index) -> list[str] | None:
        field = index.data(FIELD_ROLE)
        if field == "route":
            return sorted(set(self.page.playbook.trace_route_aliases().values()))
        if field == "batchEligible":
            return ["no", "yes"]
        return None

    def createEditor(self, parent, option, index):  # noqa: N802 (Qt naming)
        choices = self._choices(index)
        if choices is None:
            return super().createEditor(parent, option, index)
        combo = QComboBox(parent)
        combo.addItems(choices)
        combo.setAccessibleName(f"{index.data(FIELD_ROLE)} choices")
        return combo

    def setEditorData(self, editor, index) -> None:  # noqa: N802 (Qt naming)
        if isinstance(editor, QComboBox):
            position = editor.findText(index.data(Qt.ItemDataRole.EditRole) or "")
            editor.setCurrentIndex(max(position, 0))
            return
        super().setEditorData(editor, index)

    def setModelData(self, editor, model, index) -> None:  # noqa: N802 (Qt naming)
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentText(), Qt.ItemDataRole.EditRole)
            return
        super().setModelData(editor, model, index)


def provenance_html(entry: dict[str, Any]) -> str:
    """An import's provenance as the details pane shows it."""
    details = entry.get("details") or {}
    esc = html.escape

    def row(label: str, value: str) -> str:
        return f"<tr><td valign='top'><b>{esc(label)}</b></td><td>{value}</td></tr>"

    rows = [
        row("Source", esc(entry["source"])),
        row("Format", esc(entry["format"])),
        row("Size", f"{entry['size']:,} bytes"),
        row("SHA-256", f"<code>{esc(entry['sha256'])}</code>"),
        row("Imported at", esc(entry["importedAt"])),
        row("Rows", f"{entry['rowsRead']:,} read, {entry['rowsImported']:,} imported, "
                    f"{entry['rowsRejected']:,} rejected"),
    ]
    if details.get("sheet"):
        rows.append(row("Sheet", esc(str(details["sheet"]))))
    if details.get("headerRow"):
        rows.append(row("Header row", str(details["headerRow"])))
    if details.get("importedValidRowsOnly"):
        rows.append(row("Choice", f"<b>valid rows only</b>: {details.get('problemCount', 0):,} problem(s) were "
                                  "left out by the officer's explicit choice"))
    kept = "yes, in the workbook" if entry["originalKept"] else "no"
    limit = details.get("keepOriginalLimitBytes")
    if limit is not None:
        kept += f" (kept up to {limit / 1_000_000:,.0f} MB)"
    rows.append(row("Original kept", esc(kept)))
    dropped = details.get("droppedColumns") or []
    rows.append(row("Dropped columns", esc(", ".join(dropped)) if dropped else "none"))
    given = details.get("setValues") or {}
    if given:
        rows.append(row("Values given", esc(", ".join(f"{k}={v!r}" if v else f"{k}= (not observed)"
                                                       for k, v in given.items()))))
    mapping = details.get("mapping") or {}
    if mapping:
        items = "".join(f"<li>{esc(str(k))} &rarr; {esc(str(v))}</li>" for k, v in mapping.items())
        rows.append(row("Mapping", f"<ul style='margin:0'>{items}</ul>"))
    notes = details.get("notes") or []
    if notes:
        rows.append(row("Notes", "<ul style='margin:0'>" + "".join(f"<li>{esc(str(n))}</li>" for n in notes)
                        + "</ul>"))
    problems = details.get("problems") or []
    if problems:
        shown = "".join(f"<li>{esc(p.get('source', ''))}:{p.get('row')}:{esc(str(p.get('column')))}: "
                        f"{esc(str(p.get('reason')))} (value {esc(json.dumps(p.get('value')))})</li>"
                        for p in problems[:20])
        more = details.get("problemCount", len(problems)) - min(20, len(problems))
        rows.append(row("Problems left out", f"<ul style='margin:0'>{shown}</ul>"
                        + (f"and {more:,} more" if more > 0 else "")))
    return "<table cellspacing='4'>" + "".join(rows) + "</table>"
