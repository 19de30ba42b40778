"""The sample workbook the app opens on first launch, built from the playbook alone."""

from __future__ import annotations

from dataclasses import replace

from desktop.domain.playbook import Playbook
from desktop.domain.trace import TraceRow, make_trace_row
from desktop.domain.workbook import BuyerContext, ReadinessScore, Workbook, Workload

SAMPLE_REVIEWER_RATE_USD_PER_HOUR = 60.0
SAMPLE_TARGET_P95_MS = 20_000.0
# The template rows carry no volumes; a plausible month of requests lets the economics pages draw.
SAMPLE_MONTHLY_REQUESTS = 100_000.0


def sample_traces(playbook: Playbook) -> list[TraceRow]:
    aliases = playbook.trace_route_aliases()
    return [make_trace_row(row, aliases) for row in playbook.template_rows]


def sample_workbook(playbook: Playbook) -> Workbook:
    """Template rows' workloads in scope, the playbook's readiness scores, gates not yet assessed."""
    workbook = Workbook.empty(playbook)
    workloads = []
    for row in playbook.template_rows:
        if row["workload"] not in [w.name for w in workloads]:
            workloads.append(Workload(row["workload"], SAMPLE_MONTHLY_REQUESTS))
    workbook.context = replace(
        BuyerContext(),
        organisation="Example Corp",
        title="Sample: how should we buy LLM inference?",
        prepared_by="Procurement office",
        sponsor="Executive sponsor",
        reviewer_rate_usd_per_hour=SAMPLE_REVIEWER_RATE_USD_PER_HOUR,
        target_p95_ms=SAMPLE_TARGET_P95_MS,
        workloads=tuple(workloads),
    )
    workbook.scores = {d.slug: ReadinessScore(d.slug, d.reference_score) for d in playbook.readiness}
    return workbook
