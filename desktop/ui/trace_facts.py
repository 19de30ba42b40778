"""What the imported traces say about the Utilization proof gate, for its facts panel.

Per route: the highest measured accepted output tokens per second (outputTokensPerSecond x concurrency x
acceptedOutputRate, the same throughput headroom the economics metrics use) with the concurrency it was
measured at, and the concurrency the traces cover (configured, and the measured mean where a benchmark
recorded one as `concurrencyMeasured`). The labels say "from traces" so they stay apart from the facts the
economics pages register for the same gate.

The figures come from two SQL aggregates over the visible rows (`desktop.services.traces`), run in the
background by `desktop.ui.trace_summary` when the traces change, so a gate page showing a million-row
workbook neither scans it on the GUI thread nor again on every unrelated edit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop.domain.formatting import NOT_OBSERVED, format_count
from desktop.services.traces import RouteUtilization
from desktop.ui.gate_facts import Fact, register_gate_facts
from desktop.ui.trace_summary import COUNTING_TEXT, trace_summary_state

if TYPE_CHECKING:
    from desktop.ui.document import Document

SLUG = "utilization-proof"


def _num(value: float | None) -> str:
    """A rate or a concurrency as the facts show it: whole above 100, one decimal below."""
    if value is None:
        return NOT_OBSERVED
    return format_count(value, decimals=0 if abs(value) >= 100 or float(value).is_integer() else 1)


def facts_for(routes: list[RouteUtilization]) -> list[Fact]:
    facts = []
    for r in routes:
        label = f"Accepted output tokens/s from traces, {r.route}"
        if r.best_accepted_tps is None:
            facts.append(Fact(label, f"{NOT_OBSERVED} in {r.rows:,} row(s) (they lack outputTokensPerSecond or "
                                     "acceptedOutputRate)", "warning"))
        else:
            rows = f"{r.measured_rows:,} measured row(s)" + (f" of {r.rows:,}" if r.rows != r.measured_rows else "")
            facts.append(Fact(label, f"{_num(r.best_accepted_tps)} tokens/s at concurrency "
                                     f"{_num(r.best_concurrency)} ({r.best_model}, {r.best_workload}); highest of "
                                     f"{rows}", "info"))
        span = (_num(r.concurrency_min) if r.concurrency_min == r.concurrency_max
                else f"{_num(r.concurrency_min)} to {_num(r.concurrency_max)}")
        text = f"configured {span}"
        if r.measured_concurrency_rows:
            text += (f"; measured mean {_num(r.measured_concurrency_mean)} over "
                     f"{r.measured_concurrency_rows:,} row(s)")
        facts.append(Fact(f"Concurrency from traces, {r.route}", text, "info"))
    return facts


def utilization_facts(document: Document) -> list[Fact]:
    """The Utilization proof panel's trace figures (empty when there are no traces; "counting…" while the
    background count runs: the gate page refreshes its panel when it lands)."""
    summary = trace_summary_state(document).current()
    if summary is None:
        return [Fact("Figures from traces", COUNTING_TEXT)]
    return facts_for(list(summary.routes))


register_gate_facts(SLUG, utilization_facts)
