"""Where the GUI shows the open document's economics outside the Economics page, from the one shared,
cached result of `desktop.ui.economics_state` (computed in the background, never here).

- `cached_economics(document)`: the shared economics for the document as it is now, or None while computed;
  `document_economics(document)` computes them in place when not ready (scripts and tests only).
- Gate facts providers for Utilization proof, Memory and context fit, Fallback economics (and the trace
  figures of Demand shape), registered with `desktop.ui.gate_facts` when this module is imported; they say
  "computing…" until the result lands.
- `install_overview_panels(overview_page)`: the Overview's "Recommended route" and "Key figures" panels,
  which say "computing…" and fill in when the result lands.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desktop.economics.gate_facts import gate_facts as economics_gate_facts
from desktop.services.economics import Economics, load_economics
from desktop.ui import gate_facts as registry, theme
from desktop.ui.document import Document
from desktop.ui.economics_state import COMPUTING_TEXT, EconomicsFacts, economics_state, follow

STATUS_MAP = {"ok": "ok", "warn": "warning", "none": "info"}
ECONOMICS_GATES = ("utilization-proof", "memory-and-context-fit", "fallback-economics")
TRACE_FACTS_ELSEWHERE = ("Accepted output tokens/s",)  # shown by desktop.ui.trace_facts
DEMAND_SHAPE_TRACE_FACTS = ("Batch-eligible share", "Peak configured concurrency")

def economics_key(document: Document) -> tuple[Any, ...]:
    """What the shared economics of `document` depend on, as it is now (see desktop.ui.economics_state)."""
    return economics_state(document).content_key()


def cached_economics(document: Document) -> Economics | None:
    """The open document's economics if computed for its state as it is now, else None (never computes)."""
    facts = economics_state(document).current()
    return facts.economics if facts is not None else None


def document_economics(document: Document) -> Economics:
    """The open document's economics, computed here and now when the shared result is not ready: for scripts
    and tests only; the views use `economics_state(document)`, which never computes on the GUI thread."""
    state = economics_state(document)
    facts = state.current()
    if facts is None:
        key = state.content_key()
        economics = load_economics(document.store, document.workbook, document.playbook)
        facts = EconomicsFacts(economics, tuple(key_figures(economics)))
        state.remember(key, facts)
    return facts.economics


# ---- gate facts -------------------------------------------------------------------------------------

def facts_for(slug: str, document: Document, keep: Callable[[str], bool] | None = None) -> list[registry.Fact]:
    """The gate's economics facts from the shared result; while that is computed, one fact saying so (the
    gate page refreshes its panel when the result lands)."""
    state = economics_state(document)
    facts = state.current()
    if facts is None:
        state.request()
        if state.error is not None and not state.busy:
            return [registry.Fact("Economics", f"cannot be computed: {state.error}", "problem")]
        return [registry.Fact("Economics", COMPUTING_TEXT)]
    economics = facts.economics
    facts = economics_gate_facts(slug, economics.workbook, economics.report, economics.scenarios,
                                 economics.catalog, economics.playbook, economics.override)
    return [registry.Fact(f.label, f.value, STATUS_MAP.get(f.status, "info"))
            for f in facts.facts if keep is None or keep(f.label)]


def utilization_proof_facts(document: Document) -> list[registry.Fact]:
    """Utilization, break-evens and replicas; the per-route throughput too, unless desktop.ui.trace_facts
    (which reads it from the traces with SQL) is registered for the gate."""
    elsewhere = any(getattr(p, "__module__", "") == "desktop.ui.trace_facts"
                    for p in registry.providers_for("utilization-proof"))
    if not elsewhere:
        return facts_for("utilization-proof", document)
    return facts_for("utilization-proof", document, lambda label: not label.startswith(TRACE_FACTS_ELSEWHERE))


def memory_fit_facts(document: Document) -> list[registry.Fact]:
    return facts_for("memory-and-context-fit", document)


def fallback_economics_facts(document: Document) -> list[registry.Fact]:
    return facts_for("fallback-economics", document)


def demand_shape_trace_facts(document: Document) -> list[registry.Fact]:
    """Only the trace figures: the workloads and target are already shown by the demand-shape provider."""
    return facts_for("demand-shape", document, lambda label: label.startswith(DEMAND_SHAPE_TRACE_FACTS))


PROVIDERS = {
    "utilization-proof": utilization_proof_facts,
    "memory-and-context-fit": memory_fit_facts,
    "fallback-economics": fallback_economics_facts,
    "demand-shape": demand_shape_trace_facts,
}


def register() -> None:
    """Add the economics providers to the gate facts registry (idempotent)."""
    for slug, provider in PROVIDERS.items():
        registry.register_gate_facts(slug, provider)


register()


# ---- overview panels --------------------------------------------------------------------------------

def _overview_base() -> type:
    from desktop.ui.pages.overview import OverviewPanel
    return OverviewPanel


def _link(text: str, accessible: str) -> Any:
    from desktop.ui.pages.overview import link_button
    return link_button(text, accessible)


class _StatusColours:
    """Route status -> colour of the running theme (a mapping, so callers keep using .get)."""

    def get(self, status: str, default: str = "") -> str:
        return theme.colour(status) if status in ("supported", "not-yet", "avoid") else (default and
                                                                                         theme.colour("muted"))


STATUS_COLORS = _StatusColours()


def recommendation_html(economics: Economics, *, reasons: bool = False) -> str:
    rec = economics.recommendation
    parts = [f"<b>{html.escape(rec.route_name)}</b>, fallback <b>{html.escape(rec.fallback_name)}</b>"]
    if rec.override is not None and rec.override.route is not None:
        computed = rec.status(rec.computed_route).route
        parts.append(f"<i>Officer override</i> of {html.escape(computed)}: {html.escape(rec.override.reason)}")
    else:
        parts += [html.escape(r.text) for r in rec.basis]
    summary = ", ".join(f"<span style='color:{STATUS_COLORS.get(s.status, 'muted')}'>{html.escape(s.route)}: "
                        f"{s.status}</span>" for s in rec.statuses)
    parts.append(summary)
    if reasons:
        for s in rec.statuses:
            parts.append(f"<b>{html.escape(s.route)}</b>: " + "; ".join(html.escape(r.text) for r in s.reasons))
    return "<br>".join(parts)


def key_figures(economics: Economics) -> list[tuple[str, str]]:
    """(label, value) pairs: cost per accepted output at target per workload, break-even volumes, p95."""
    from desktop.ui.economics_charts import ChartData, cost_volume_model, count, usd

    report = economics.report
    rows: list[tuple[str, str]] = []
    for best in report.best:
        if best.cost_per_accepted_output is not None:
            rows.append((f"{best.workload}, {best.route}",
                         f"{usd(best.cost_per_accepted_output, 4)} per accepted output at target p95"))
    model = cost_volume_model(ChartData(report, economics.workbook, economics.playbook, economics.scenarios,
                                        economics.catalog))
    for b in model.break_evens:
        if b.replicas == 1:
            rows.append((f"Break-even, {b.gpu_route} vs {b.token_route}", f"{count(b.volume)} requests/month"))
    for group in report.groups:
        pairs = group.p95_latency_ms_by_concurrency
        if pairs:
            c, ms = pairs[-1]
            rows.append((f"p95 at concurrency {c:g}, {group.route} ({group.workload})", f"{ms:,.0f} ms"))
    return rows


def _panel_class(kind: str) -> type:
    base = _overview_base()

    class EconomicsOverviewPanel(base):  # type: ignore[misc, valid-type]
        def __init__(self, parent: QWidget | None = None) -> None:
            title = "Recommended route" if kind == "recommendation" else "Key figures"
            super().__init__(title, parent)
            self.kind = kind
            self.state: Any = None
            self.setAccessibleName(title)
            self.body = QLabel()
            self.body.setWordWrap(True)
            self.body.setTextFormat(Qt.TextFormat.RichText)
            self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.body.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            link_text = "Open economics"
            self.link = _link(link_text, f"{link_text} ({title})")
            self.link.clicked.connect(lambda: self.sig_page_requested.emit("economics"))
            layout = QVBoxLayout(self)
            layout.addWidget(self.body)
            layout.addStretch(1)
            layout.addWidget(self.link, 0, Qt.AlignmentFlag.AlignLeft)

        def refresh(self, document: Document) -> None:
            """Show the shared result for the document as it is now, or "computing…" until it lands."""
            state = economics_state(document)
            if state is not self.state:
                self._follow(state)
            facts = state.current()
            if facts is not None:
                self.show_facts(facts)
                return
            state.request()
            if state.error is not None and not state.busy:
                self.show_failure(state.error)
            else:
                self.body.setText(f"<i>{COMPUTING_TEXT.capitalize()}</i>")

        def _follow(self, state: Any) -> None:
            self.state = follow(self.state, state, self.show_facts, self.show_failure)

        def show_facts(self, facts: EconomicsFacts) -> None:
            if self.kind == "recommendation":
                self.body.setText(recommendation_html(facts.economics))
                return
            rows = facts.key_figures[:8]
            if not rows:
                self.body.setText("<i>No figures yet:</i> import traces with cost, acceptance and p95 latency.")
                return
            self.body.setText("<br>".join(f"{html.escape(label)}: <b>{html.escape(value)}</b>"
                                          for label, value in rows))

        def show_failure(self, message: str) -> None:
            # the overview must open even when the economics cannot be computed
            self.body.setText(f"<i>Cannot compute the economics:</i> {html.escape(message)}")

        def text(self) -> str:
            return self.body.text()

    return EconomicsOverviewPanel


def install_overview_panels(overview_page: Any) -> None:
    """Replace the Overview's "recommendation" and "figures" placeholders with live panels."""
    overview_page.install_panel("recommendation", _panel_class("recommendation")())
    overview_page.install_panel("figures", _panel_class("figures")())
