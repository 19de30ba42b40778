"""The playbook page: the seed's routes, levers, procurement routes, trace kit and sources, read-only and
searchable. URLs are shown as text to copy; the app opens no URL by itself."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QLineEdit, QTextBrowser, QVBoxLayout,
                               QWidget)

from desktop.domain.playbook import Playbook
from desktop.ui import theme
from desktop.ui.pages.base import Page

# ---- Constants
SECTIONS = ("Routes", "Levers", "Procurement routes", "Trace kit", "Source trail")


def _style() -> str:
    """The page's CSS in the running theme's colours (muted labels, header shading, search hits)."""
    muted = theme.colour("muted")
    header = theme.palette().color(QPalette.ColorRole.AlternateBase).name()
    return f"""
h2 {{ margin-top: 14px; margin-bottom: 2px; }}
h3 {{ margin-top: 10px; margin-bottom: 2px; }}
p.intro {{ color: {muted}; margin-top: 0; }}
td.label {{ color: {muted}; padding-right: 10px; vertical-align: top; white-space: nowrap; }}
td {{ vertical-align: top; padding: 2px 6px 2px 0; }}
th {{ text-align: left; background: {header}; padding: 3px 6px 3px 0; }}
"""


@dataclass(frozen=True)
class Entry:
    """One searchable thing of the playbook.

    Attributes:
        section: one of SECTIONS.
        kind: "card" (a titled block of fields), "field" (a trace kit field: a table row) or "text".
        title: the entry's name.
        fields: (label, text) pairs, in display order.
    """

    section: str
    kind: str
    title: str
    fields: tuple[tuple[str, str], ...]

    def text(self) -> str:
        """Everything searchable in the entry, as one string."""
        return " ".join([self.title, *(f"{label} {value}" for label, value in self.fields)])


# ---- Public API
def playbook_entries(playbook: Playbook) -> list[Entry]:
    """The playbook as a flat list of entries, in reading order."""
    entries = [Entry("Routes", "card", r.name, (
        ("Best for", r.best_for), ("Cost drivers", ", ".join(r.cost_drivers)), ("Watchouts", r.watchouts),
        ("Buyer decision", r.buyer_decision))) for r in playbook.routes]
    entries += [Entry("Levers", "card", lv.name, (
        ("Question", lv.question), ("Evidence", lv.evidence), ("Impact", lv.impact))) for lv in playbook.levers]
    entries += [Entry("Procurement routes", "card", r.name, (
        ("Stage", r.stage), ("Use when", r.use_when), ("Minimum evidence", r.minimum_evidence),
        ("Avoid when", r.avoid_when), ("Owner", r.owner))) for r in playbook.procurement_routes]
    entries += [Entry("Trace kit", "field", f.name, (
        ("Type", f.type), ("Unit", f.unit or "-"), ("Required", "yes" if f.required else "no"),
        ("Description", f.description))) for f in playbook.trace_fields]
    entries += [Entry("Trace kit", "card", f"Metric: {m.name}", (("Formula", m.formula), ("Why", m.why)))
                for m in playbook.metrics]
    entries.append(Entry("Trace kit", "card", "Recommended metric", (("Report", playbook.recommended_metric),)))
    entries += [Entry("Source trail", "card", s.label, (("URL", s.url), ("Signal", s.signal)))
                for s in playbook.sources]
    return entries


def search_terms(query: str) -> list[str]:
    """The words of a query, lower-cased; a quoted phrase stays one term."""
    terms = [a or b for a, b in re.findall(r'"([^"]+)"|(\S+)', query)]
    return [t.casefold() for t in terms if t.strip()]


def filter_entries(entries: list[Entry], query: str, section: str | None = None) -> list[Entry]:
    """The entries of `section` (all when None) holding every term of `query`."""
    terms = search_terms(query)
    return [e for e in entries if (section is None or e.section == section)
            and all(t in f"{e.section} {e.text()}".casefold() for t in terms)]


def highlight(text: str, terms: list[str]) -> str:
    """`text` as HTML with every occurrence of the terms marked."""
    if not terms:
        return html.escape(text)
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
    out, last = [], 0
    background, foreground = theme.highlight_colours()
    for match in pattern.finditer(text):
        out.append(html.escape(text[last:match.start()]))
        out.append(f'<span style="background-color:{background}; color:{foreground}">'
                   f'{html.escape(match.group())}</span>')
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def count_matches(entries: list[Entry], query: str) -> int:
    """How many highlighted places `render_html` shows for these entries."""
    terms = search_terms(query)
    if not terms:
        return 0
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
    return sum(len(pattern.findall(e.title)) + sum(len(pattern.findall(v)) for _, v in e.fields)
               for e in entries)


def render_html(playbook: Playbook, entries: list[Entry], query: str = "") -> str:
    """The entries as one HTML document, grouped by section, with the query's terms highlighted."""
    terms = search_terms(query)
    intros = {"Routes": playbook.purpose, "Procurement routes": playbook.matrix_purpose,
              "Trace kit": playbook.trace_kit_purpose,
              "Source trail": "Where the playbook's numbers and claims come from. Copy a URL to open it "
                              "in your browser; the app opens no link by itself."}
    parts = [f"<style>{_style()}</style>"]
    for section in SECTIONS:
        shown = [e for e in entries if e.section == section]
        if not shown:
            continue
        parts.append(f'<h2><a name="{_anchor(section)}"></a>{html.escape(section)}</h2>')
        if section in intros:
            parts.append(f'<p class="intro">{highlight(intros[section], terms)}</p>')
        fields = [e for e in shown if e.kind == "field"]
        if fields:
            parts.append("<h3>Trace fields</h3><table cellspacing='0' width='100%'><tr>"
                         "<th width='17%'>Field</th><th width='8%'>Type</th><th width='15%'>Unit</th>"
                         "<th width='8%'>Required</th><th>Description</th></tr>")
            for e in fields:
                cells = "".join(f"<td>{highlight(v, terms)}</td>" for _, v in e.fields)
                parts.append(f"<tr><td><b>{highlight(e.title, terms)}</b></td>{cells}</tr>")
            parts.append("</table>")
        for e in shown:
            if e.kind == "field":
                continue
            rows = "".join(f'<tr><td class="label" width="130">{html.escape(label)}</td>'
                           f"<td>{highlight(v, terms)}</td></tr>" for label, v in e.fields)
            parts.append(f"<h3>{highlight(e.title, terms)}</h3><table cellspacing='0'>{rows}</table>")
    parts.append(f'<p class="intro"><br>Playbook {html.escape(playbook.version)}, generated '
                 f"{html.escape(playbook.generated_at[:10])}.</p>")
    return "".join(parts)


class PlaybookPage(Page):
    """What the officer consults while working: the playbook's content, read-only, with a search box."""

    title = "Playbook"

    def __init__(self, playbook: Playbook, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.playbook = playbook
        self.entries = playbook_entries(playbook)
        self._visible: list[Entry] = list(self.entries)
        heading = QLabel(f"<h2>{self.title}</h2>")
        intro = QLabel("The routes, levers, procurement routes, trace kit and sources behind the gates. "
                       "Read-only; select any text to copy it.")
        intro.setWordWrap(True)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search the playbook (Ctrl+F), e.g. batch, p95, owner")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search the playbook")
        search_label = QLabel("&Search:")
        search_label.setBuddy(self.search)
        self.section = QComboBox()
        self.section.addItem("All sections", None)
        for name in SECTIONS:
            self.section.addItem(name, name)
        self.section.setAccessibleName("Show section")
        section_label = QLabel("S&how:")
        section_label.setBuddy(self.section)
        self.result = QLabel()
        self.result.setAccessibleName("Search result")
        self.result.setMinimumWidth(220)
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)
        self.browser.setOpenExternalLinks(False)
        self.browser.setTabChangesFocus(True)
        self.browser.setAccessibleName("Playbook content")
        self.browser.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                             | Qt.TextInteractionFlag.TextSelectableByKeyboard)

        bar = QHBoxLayout()
        bar.addWidget(search_label)
        bar.addWidget(self.search, 2)
        bar.addWidget(section_label)
        bar.addWidget(self.section)
        bar.addWidget(self.result, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addLayout(bar)
        layout.addWidget(self.browser, 1)
        QWidget.setTabOrder(self.search, self.section)
        QWidget.setTabOrder(self.section, self.browser)

        find = QShortcut(QKeySequence.StandardKey.Find, self,
                         context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.activated.connect(self._on_find_activated)
        self.search.textChanged.connect(self._on_query_changed)
        self.section.currentIndexChanged.connect(self._on_query_changed)
        self._render()

    # ---- Public API
    def visible_entries(self) -> list[Entry]:
        """The entries shown for the current search and section."""
        return list(self._visible)

    def refresh(self) -> None:
        """The playbook does not change with the workbook; nothing to redraw."""

    # ---- Qt overrides
    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        if event.key() == Qt.Key.Key_Escape and self.search.text():
            self.search.clear()
            self.search.setFocus()
            return
        super().keyPressEvent(event)

    # ---- Private API
    def _on_find_activated(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _on_query_changed(self, *_args) -> None:
        self._render()

    def _render(self) -> None:
        query = self.search.text()
        section = self.section.currentData()
        self._visible = filter_entries(self.entries, query, section)
        self.browser.setHtml(render_html(self.playbook, self._visible, query))
        if search_terms(query):
            n = len(self._visible)
            text = "1 entry matches" if n == 1 else f"{n} entries match"
            self.result.setText(text if n else "Nothing matches; try fewer words.")
        else:
            self.result.setText(f"{len(self._visible)} entries")


def _anchor(section: str) -> str:
    return section.lower().replace(" ", "-")
