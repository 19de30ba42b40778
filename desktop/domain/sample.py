"""The sample workbook the app opens on first launch: the playbook's three template rows plus illustrative rows.

The template rows measure each workload on one route only, and the coding agent's row misses the sample's
target p95, so on their own they cannot show a plan. The illustrative rows below (each marked
`provenance: illustrative ...`) copy a template row's workload and token shape onto another route: tokens,
cache hit rate, batch eligibility and review minutes are the template's; costUsd is those tokens priced with
the bundled catalog's entry named in the row (tests/economics/test_plan_sample.py recomputes every one);
latency, throughput and acceptance are plausible illustrative values, not measurements.
"""

from __future__ import annotations

from dataclasses import replace

from desktop.domain.playbook import Playbook
from desktop.domain.trace import TraceRow, make_trace_row
from desktop.domain.workbook import BuyerContext, PlanLever, PlanSettings, ReadinessScore, Workbook, Workload

SAMPLE_REVIEWER_RATE_USD_PER_HOUR = 60.0
SAMPLE_TARGET_P95_MS = 20_000.0
# The template rows carry no volumes; a plausible month of requests lets the economics pages draw.
SAMPLE_MONTHLY_REQUESTS = 100_000.0
# A saved lever so the first plan shows one what-if: the invoice workload is batch-eligible in the template.
SAMPLE_LEVERS = (PlanLever("batch", "invoice-review", 0.5),)
ILLUSTRATIVE = "illustrative"

# (template workload, catalog token-price key, fields that differ from the template row)
ILLUSTRATIVE_ROWS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("coding-agent-maintenance", "gpt-5", {
        "route": "Managed frontier API", "provider": "OpenAI", "model": "gpt-5", "concurrency": "1",
        "ttftMs": "1700", "latencyP50Ms": "12600", "latencyP95Ms": "18900", "outputTokensPerSecond": "52",
        "acceptedOutputRate": "0.84", "costUsd": "0.01730875"}),
    ("coding-agent-maintenance", "fireworks_ai/accounts/fireworks/models/deepseek-v3p1", {
        "route": "Hosted open-weight serverless", "provider": "Fireworks",
        "model": "accounts/fireworks/models/deepseek-v3p1", "concurrency": "4", "ttftMs": "900",
        "latencyP50Ms": "11000", "latencyP95Ms": "17600", "outputTokensPerSecond": "70",
        "acceptedOutputRate": "0.78", "costUsd": "0.0048804"}),
    ("invoice-review", "gpt-5", {
        "route": "Managed frontier API", "provider": "OpenAI", "model": "gpt-5", "concurrency": "16",
        "ttftMs": "1100", "latencyP50Ms": "5400", "latencyP95Ms": "12600", "outputTokensPerSecond": "64",
        "acceptedOutputRate": "0.80", "costUsd": "0.01186375", "reviewMinutes": "4.5"}),
    ("support-policy", "gpt-5", {
        "route": "Managed frontier API", "provider": "OpenAI", "model": "gpt-5", "concurrency": "8",
        "ttftMs": "700", "latencyP50Ms": "4200", "latencyP95Ms": "9600", "outputTokensPerSecond": "60",
        "acceptedOutputRate": "0.82", "costUsd": "0.0069675"}),
    ("support-policy", "fireworks_ai/accounts/fireworks/models/gpt-oss-120b", {
        "route": "Hosted open-weight serverless", "provider": "Fireworks",
        "model": "accounts/fireworks/models/gpt-oss-120b", "concurrency": "32", "ttftMs": "450",
        "latencyP50Ms": "3300", "latencyP95Ms": "9200", "outputTokensPerSecond": "110",
        "acceptedOutputRate": "0.78", "costUsd": "0.0005241"}),
)


def illustrative_rows(playbook: Playbook) -> list[dict[str, str]]:
    """The illustrative rows as raw trace-kit dicts, each with its `provenance`."""
    template = {row["workload"]: row for row in playbook.template_rows}
    rows = []
    for workload, price_key, changes in ILLUSTRATIVE_ROWS:
        base = template[workload]
        rows.append({**base, **changes, "provenance": (
            f"{ILLUSTRATIVE}: the playbook's template row for {workload} on {changes['route']}; costUsd = its tokens "
            f"x the bundled catalog's {price_key} token price; latency, throughput and acceptance are "
            "illustrative, not measured")})
    return rows


def template_traces(playbook: Playbook) -> list[TraceRow]:
    """The playbook's three template rows alone (tests whose worked values predate the illustrative rows)."""
    aliases = playbook.trace_route_aliases()
    return [make_trace_row(row, aliases) for row in playbook.template_rows]


def sample_traces(playbook: Playbook) -> list[TraceRow]:
    """The template rows (ids 1-3 in a new sample), then the illustrative rows."""
    aliases = playbook.trace_route_aliases()
    return template_traces(playbook) + [make_trace_row(row, aliases) for row in illustrative_rows(playbook)]


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
    workbook.plan = PlanSettings(levers=SAMPLE_LEVERS)
    return workbook
