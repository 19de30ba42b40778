"""Trace metrics against values worked out by hand from the playbook's three template rows.

Worked values (reviewer rate 60 USD/h, target p95 20,000 ms), the seed's formula taken literally:
  row 1: 0.215 / 0.84 + 3.5 / 60 x 60 = 0.2559524 + 3.5 = 3.7559524
  row 2: 0.046 / 0.72 + 5.0 / 60 x 60 = 0.0638889 + 5.0 = 5.0638889
  row 3: 0.032 / 0.78 + 2.8 / 60 x 60 = 0.0410256 + 2.8 = 2.8410256
  cache-adjusted input burden: 6200 x 0.65 = 4030; 4100 x 0.90 = 3690; 2800 x 0.45 = 1260
  throughput headroom: 48 x 4 x 0.84 = 161.28; 73 x 16 x 0.72 = 840.96; 108 x 32 x 0.78 = 2695.68
"""

from __future__ import annotations

import json

import pytest

from desktop.economics.metrics import NO_ACCEPTED_OUTPUTS, compute_metrics, cost_per_accepted_output, metrics_json
from desktop.economics.recommend import recommend

TRACE_EXTRA_KEYS = {"id", "costPerAcceptedOutput", "cacheAdjustedInputBurden", "throughputHeadroom"}
GROUP_KEYS = {"workload", "route", "provider", "model", "p95LatencyMsByConcurrency",
              "bestCostPerAcceptedOutputAtTarget", "bestRowId", "cacheHitRate", "batchEligible", "retryRate",
              "gpuUtilization", "fallbackRoute"}


def test_cost_per_accepted_output_of_the_template_rows(rows):
    report = compute_metrics(rows, 60, 20_000)
    costs = [t.cost_per_accepted_output for t in report.traces]
    assert costs[0] == pytest.approx(0.215 / 0.84 + 3.5 / 60 * 60)
    assert costs == pytest.approx([3.7559524, 5.0638889, 2.8410256], rel=1e-7)


def test_review_cost_is_not_divided_by_acceptance():
    # 0.10 / 0.5 + 6 / 60 x 30 = 0.2 + 3.0; dividing the review cost too would give 6.2
    value, reason = cost_per_accepted_output(0.10, 0.5, 6.0, 30.0)
    assert value == pytest.approx(3.2) and reason is None


def test_burden_and_headroom_of_the_template_rows(rows):
    report = compute_metrics(rows, 60, 20_000)
    assert [t.cache_adjusted_input_burden for t in report.traces] == pytest.approx([4030, 3690, 1260])
    assert [t.throughput_headroom for t in report.traces] == pytest.approx([161.28, 840.96, 2695.68])


def test_zero_acceptance_is_null_with_a_reason(rows):
    rows[0]["acceptedOutputRate"] = 0.0
    trace = compute_metrics(rows, 60, 20_000).traces[0]
    assert trace.cost_per_accepted_output is None
    assert trace.cost_reason == NO_ACCEPTED_OUTPUTS == "no accepted outputs"
    assert trace.throughput_headroom == 0.0


@pytest.mark.parametrize("field", ["costUsd", "acceptedOutputRate", "reviewMinutes"])
def test_a_null_input_makes_the_cost_null(rows, field):
    rows[1][field] = None
    trace = compute_metrics(rows, 60, 20_000).traces[1]
    assert trace.cost_per_accepted_output is None
    assert trace.cost_reason == f"not observed: {field}"


def test_no_reviewer_rate_makes_the_cost_null_unless_no_review(rows):
    report = compute_metrics(rows, None, 20_000)
    assert all(t.cost_per_accepted_output is None for t in report.traces)
    assert report.traces[0].cost_reason == "no reviewer hourly rate set"
    value, _ = cost_per_accepted_output(0.2, 0.5, 0.0, None)
    assert value == pytest.approx(0.4)


def test_changing_the_reviewer_rate_changes_the_cost(rows):
    # row 3 at 120 USD/h: 0.032 / 0.78 + 2.8 / 60 x 120 = 0.0410256 + 5.6
    assert compute_metrics(rows, 120, 20_000).traces[2].cost_per_accepted_output == pytest.approx(5.6410256)


def test_best_cost_at_target_per_group(rows):
    report = compute_metrics(rows, 60, 20_000)
    groups = {g.workload: g for g in report.groups}
    # row 1's p95 of 28,200 ms misses the 20,000 ms target: null with a reason
    coding = groups["coding-agent-maintenance"]
    assert coding.best_cost_per_accepted_output_at_target is None
    assert "20,000 ms" in coding.reason and "28,200 ms" in coding.reason
    invoice = groups["invoice-review"]
    assert invoice.best_cost_per_accepted_output_at_target == pytest.approx(5.0638889)
    assert invoice.best_row_id == 2
    assert (invoice.cache_hit_rate, invoice.batch_eligible) == (0.1, True)
    assert invoice.retry_rate is None and invoice.gpu_utilization is None
    assert invoice.fallback_route == "Managed API only"
    assert groups["support-policy"].best_row_id == 3


def test_target_is_inclusive(rows):
    rows[0]["latencyP95Ms"] = 20_000.0
    report = compute_metrics(rows, 60, 20_000)
    assert report.groups[0].best_row_id == 1


def test_lowest_cost_wins_among_rows_meeting_target(rows):
    cheap_but_slow = {**rows[2], "id": 4, "costUsd": 0.001, "latencyP95Ms": 25_000.0, "concurrency": 64.0}
    cheaper_in_time = {**rows[2], "id": 5, "costUsd": 0.010, "latencyP95Ms": 12_000.0, "concurrency": 48.0,
                       "retryRate": 0.02, "gpuUtilization": 0.61}
    no_p95 = {**rows[2], "id": 6, "costUsd": 0.0, "latencyP95Ms": None}
    report = compute_metrics(rows + [cheap_but_slow, cheaper_in_time, no_p95], 60, 20_000)
    group = next(g for g in report.groups if g.workload == "support-policy")
    assert group.best_row_id == 5  # 0.010 / 0.78 + 2.8 = 2.8128205
    assert group.best_cost_per_accepted_output_at_target == pytest.approx(2.8128205)
    assert (group.retry_rate, group.gpu_utilization) == (0.02, 0.61)
    assert group.rows_without_p95 == 1 and group.rows_over_target == 1
    assert group.p95_latency_ms_by_concurrency == ((32.0, 8800.0), (48.0, 12000.0), (64.0, 25000.0))


def test_rows_without_p95_are_excluded_and_counted(rows):
    rows[2]["latencyP95Ms"] = None
    group = next(g for g in compute_metrics(rows, 60, 20_000).groups if g.workload == "support-policy")
    assert group.best_cost_per_accepted_output_at_target is None
    assert group.rows_without_p95 == 1
    assert "no row has a measured p95 latency (1 row(s) excluded)" == group.reason
    assert group.p95_latency_ms_by_concurrency == ()


def test_without_a_target_every_group_says_so(rows):
    report = compute_metrics(rows, 60, None)
    assert all(g.best_cost_per_accepted_output_at_target is None for g in report.groups)
    assert all("no target p95" in g.reason for g in report.groups)
    assert all(b.cost_per_accepted_output is None for b in report.best)


def test_batch_displacement_share_per_workload(rows):
    extra = {**rows[1], "id": 4, "batchEligible": False}
    report = compute_metrics(rows + [extra], 60, 20_000)
    shares = {w.workload: w.batch_displacement_share for w in report.workloads}
    assert shares == {"coding-agent-maintenance": 0.0, "invoice-review": 0.5, "support-policy": 0.0}


def test_best_at_target_per_workload_and_route(rows):
    other_provider = {**rows[1], "id": 4, "provider": "Fireworks", "costUsd": 0.02}
    report = compute_metrics(rows + [other_provider], 60, 20_000)
    best = report.best_at_target("invoice-review", "Hosted open-weight serverless")
    assert best.row_id == 4 and best.provider == "Fireworks"
    assert best.cost_per_accepted_output == pytest.approx(0.02 / 0.72 + 5.0)


def test_modelled_cost_is_used_only_where_cost_was_not_observed(rows):
    rows[0]["costUsd"] = None
    report = compute_metrics(rows, 60, 20_000, modelled_costs={1: 0.0168, 2: 99.0})
    assert report.traces[0].cost_basis == "modelled"
    assert report.traces[0].cost_per_accepted_output == pytest.approx(0.0168 / 0.84 + 3.5)
    assert report.traces[0].row["costUsd"] is None
    assert report.traces[1].cost_basis == "observed"
    assert report.traces[1].cost_per_accepted_output == pytest.approx(5.0638889)


def test_json_has_exactly_the_documented_keys_and_no_nan(rows, workbook):
    rows[0]["acceptedOutputRate"] = 0.0
    report = compute_metrics(rows, 60, 20_000)
    data = metrics_json(report, recommend(workbook, report))
    assert set(data) == {"traces", "groups", "workloads", "recommendation"}
    trace = data["traces"][0]
    assert set(trace) == TRACE_EXTRA_KEYS | set(rows[0])
    assert trace["costPerAcceptedOutput"] is None
    assert all(set(g) == GROUP_KEYS for g in data["groups"])
    assert data["groups"][1]["p95LatencyMsByConcurrency"] == [[16, 14900.0]]
    assert data["workloads"][1] == {"workload": "invoice-review", "batchDisplacementShare": 1.0}
    assert set(data["recommendation"]) == {"route", "fallback", "override", "statuses"}
    assert all(set(s) == {"slug", "route", "status", "reasons"} for s in data["recommendation"]["statuses"])
    json.dumps(data, allow_nan=False)


def test_detail_json_adds_the_reasons(rows):
    data = compute_metrics(rows, 60, 20_000).to_json(detail=True)
    assert data["groups"][0]["reason"].startswith("no row meets the target p95")
    assert data["traces"][0]["costBasis"] == "observed"


def test_many_rows_in_one_pass(rows):
    many = [{**rows[n % 3], "id": n, "concurrency": float(1 + n % 50), "latencyP95Ms": 1000.0 + n % 30_000}
            for n in range(100_000)]
    report = compute_metrics(many, 60, 20_000)
    assert len(report.traces) == 100_000
    assert sum(g.rows for g in report.groups) == 100_000
    assert all(len(g.p95_latency_ms_by_concurrency) > 0 for g in report.groups)
