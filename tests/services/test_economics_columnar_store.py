"""`load_economics` (the stored rows read column-wise by `read_trace_frame`, then the columnar metrics and
modelled costs) gives what the per-row reference gives for the same workbook's `iter_traces` row dicts: every
branch of the cost formula, modelled and unpriced rows, extras the metrics read (gpuUtilization, retryRate)."""

from __future__ import annotations

import random

from desktop.cli.common import reading
from desktop.economics.metrics import compute_metrics
from desktop.economics.plan.model import build_plan, plan_of
from desktop.economics.pricing import modelled_costs
from desktop.resources import playbook
from desktop.services.economics import load_economics
from tests.exports.export_helpers import add_rows, base_row, edge_rows, new_sample


def rows_with_extras(seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for _ in range(40):
        row = base_row(route=rng.choice(["Dedicated endpoint", "Self-hosted GPU stack", "Managed frontier API"]),
                       workload=rng.choice(["support-policy", "invoice-review"]),
                       latencyP95Ms=rng.choice([None, 8_000, 9_000, 30_000]), costUsd=rng.choice([None, 0.01, 0.03]),
                       concurrency=rng.choice([1, 4, 8]), acceptedOutputRate=rng.choice([0, 0.5, 0.8, None]),
                       cacheHitRate=rng.choice([None, 0.0, 0.4]))
        if rng.random() < 0.7:
            row["gpuUtilization"] = rng.choice([0.2, 0.55, 0.9])
        if rng.random() < 0.5:
            row["retryRate"] = rng.choice([0.0, 0.05])
        rows.append(row)
    return rows


def test_stored_workbook_economics_equal_the_per_row_reference(tmp_path):
    path = new_sample(tmp_path / "rich.ipwb")
    add_rows(path, edge_rows())
    add_rows(path, rows_with_extras(5), source="with extras")
    with reading(path) as (store, workbook):
        economics = load_economics(store, workbook, playbook())
        rows = list(store.iter_traces())
    context = workbook.context
    modelled = modelled_costs(rows, economics.catalog)
    reference = compute_metrics(rows, context.reviewer_rate_usd_per_hour, context.target_p95_ms,
                                modelled_costs={row_id: m.cost_usd for row_id, m in modelled.items()})
    report = economics.report
    assert len(report.traces) == len(rows) == 8 + 10 + 40
    assert (report.groups, report.workloads, report.best, report.routes) == (
        reference.groups, reference.workloads, reference.best, reference.routes)
    assert list(report.traces) == list(reference.traces)  # the row dicts too, extras included
    assert report.to_json(detail=True) == reference.to_json(detail=True)
    assert dict(economics.modelled) == modelled
    assert any(r.gpu_utilization is not None for r in report.routes)
    assert any(t.cost_basis == "modelled" for t in report.traces)
    # the plan picks its rows from the frame's columns; from the reference's row dicts it picks the same
    expected_plan = build_plan(workbook, reference, economics.recommendation, catalog=economics.catalog,
                               scenarios=economics.scenarios, playbook=economics.playbook,
                               modelled_costs={row_id: m.cost_usd for row_id, m in modelled.items()})
    assert plan_of(economics) == expected_plan
