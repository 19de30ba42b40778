"""Route statuses from the rule table and the recommended route, including the baseline-only case and overrides.

Costs per accepted output below are worked by hand with the seed's formula: costUsd / 0.8 + 2 min / 60 x 60 USD/h
= costUsd / 0.8 + 2.0, e.g. a dedicated row at $0.08 per request costs 0.1 + 2.0 = $2.10 per accepted output.
"""

from __future__ import annotations

import json

import pytest

from desktop import paths
from desktop.domain.errors import FieldError, UnknownNameError
from desktop.economics.metrics import compute_metrics
from desktop.economics.recommend import (
    RulesError, bundled_rules, check_rules, fallback_route_name, recommend, route_cost)
from desktop.economics.scenarios import make_scenario

WORKLOADS = ("coding-agent-maintenance", "invoice-review", "support-policy")
ROUTE_COSTS = {"Managed frontier API": 0.40, "Hosted open-weight serverless": 0.20, "Dedicated endpoint": 0.08,
               "Self-hosted GPU stack": 0.10}
ALL_PASSED = {g: "passed" for g in ("demand-shape", "utilization-proof", "memory-and-context-fit",
                                    "operations-maturity", "fallback-economics")}
GOOD_SCORES = {d: 80 for d in ("demand-forecast", "utilization-model", "ops-ownership", "fallback-design",
                               "procurement-clarity")}


def proven_rows(utilization=0.7, costs=None):
    rows, n = [], 0
    for workload in WORKLOADS:
        for route, cost in (costs or ROUTE_COSTS).items():
            n += 1
            row = {"id": n, "route": route, "provider": "P", "model": "M", "workload": workload,
                   "inputTokens": 1000.0, "outputTokens": 200.0, "cacheHitRate": 0.0, "batchEligible": False,
                   "concurrency": 8.0, "latencyP95Ms": 5000.0, "outputTokensPerSecond": 50.0,
                   "acceptedOutputRate": 0.8, "costUsd": cost, "reviewMinutes": 2.0}
            if route in ("Dedicated endpoint", "Self-hosted GPU stack"):
                row["gpuUtilization"] = utilization
            rows.append(row)
    return rows


SCENARIOS = (
    make_scenario("rent", "dedicated", {"gpuHourUsd": 2.69, "tokensPerSecond": 14539.5, "utilization": 0.5,
                                        "apiUsdPerMillion": 0.20}, saved_at="2026-11-01T00:00:00Z"),
    make_scenario("own", "owned", {"capexUsd": 270000, "powerKw": 10.2, "supportUsdPerYear": 27000,
                                   "rentalGpuHourUsd": 2.69}, saved_at="2026-11-01T00:00:00Z"),
    make_scenario("fit", "memory", {"model": "llama-3.1-70b", "weights": "fp8", "gpu": "h100-sxm", "gpus": 2,
                                    "context": 8192}, saved_at="2026-11-01T00:00:00Z"),
)


def statuses(rec):
    return {s.slug: s.status for s in rec.statuses}


def codes(rec, slug):
    return [r.code for r in rec.status(slug).reasons]


def test_sample_has_only_the_baseline_supported(workbook, rows):
    rec = recommend(workbook, compute_metrics(rows, 60, 20_000))
    assert statuses(rec) == {"managed-api-only": "supported", "hosted-open-weight-serverless": "not-yet",
                             "dedicated-hosted-endpoint": "not-yet", "cloud-gpu-self-hosting": "not-yet",
                             "owned-hardware": "not-yet"}
    assert (rec.route, rec.route_name, rec.fallback_name) == ("managed-api-only", "Managed API only",
                                                              "Managed API only")
    assert rec.basis[0].code == "earliest-stage"
    for status in rec.statuses:
        assert status.reasons and all(r.code and r.text for r in status.reasons)
    dedicated = rec.status("dedicated-hosted-endpoint")
    texts = " ".join(r.text for r in dedicated.reasons)
    assert "Utilization proof is not assessed" in texts
    assert "Utilization model scores 68, below the workbook threshold of 70." in texts
    assert "utilization-below-break-even-unknown" in codes(rec, "dedicated-hosted-endpoint")


def test_recommendation_without_traces_or_workloads(workbook_factory):
    rec = recommend(workbook_factory(volumes={}), None)
    assert rec.route == "managed-api-only" and rec.override is None


def test_cheapest_supported_route_is_recommended(workbook_factory):
    workbook = workbook_factory(gates=ALL_PASSED, scores=GOOD_SCORES)
    rec = recommend(workbook, compute_metrics(proven_rows(), 60, 20_000), SCENARIOS)
    assert set(statuses(rec).values()) == {"supported"}
    costs = {s.slug: s.cost_at_target for s in rec.statuses}
    assert costs == pytest.approx({"managed-api-only": 2.5, "hosted-open-weight-serverless": 2.25,
                                   "dedicated-hosted-endpoint": 2.1, "cloud-gpu-self-hosting": 2.125,
                                   "owned-hardware": 2.125})
    assert rec.route == "dedicated-hosted-endpoint" and rec.basis[0].code == "cheapest-supported"
    assert "$2.10" in rec.basis[0].text
    ok_texts = " ".join(r.text for r in rec.status("dedicated-hosted-endpoint").reasons)
    assert "Measured GPU utilization 70% is at or above the dedicated break-even of 26%." in ok_texts


def test_utilization_below_break_even_holds_back_gpu_routes(workbook_factory):
    workbook = workbook_factory(gates=ALL_PASSED, scores=GOOD_SCORES)
    rec = recommend(workbook, compute_metrics(proven_rows(utilization=0.2), 60, 20_000), SCENARIOS)
    dedicated = rec.status("dedicated-hosted-endpoint")
    assert dedicated.status == "not-yet"
    assert dedicated.reasons[0].code == "utilization-below-break-even"
    assert dedicated.reasons[0].text == "Measured GPU utilization 20% is below the dedicated break-even of 26%."
    # owned break-even 1.769 / 2.69 = 66% (see the owned calculator test)
    assert rec.status("owned-hardware").reasons[0].text == (
        "Measured GPU utilization 20% is below the owned-hardware break-even of 66%.")
    assert rec.route == "hosted-open-weight-serverless"  # $2.25, the cheapest still supported


def test_zero_measured_utilization(workbook_factory):
    workbook = workbook_factory(gates=ALL_PASSED, scores=GOOD_SCORES)
    rec = recommend(workbook, compute_metrics(proven_rows(utilization=0.0), 60, 20_000), SCENARIOS)
    assert rec.numbers.measured_utilization == 0.0
    assert "0% is below" in rec.status("dedicated-hosted-endpoint").reasons[0].text


def test_failed_operations_maturity_means_avoid(workbook_factory):
    gates = {**ALL_PASSED, "operations-maturity": "failed"}
    workbook = workbook_factory(gates=gates, scores=GOOD_SCORES)
    rec = recommend(workbook, compute_metrics(proven_rows(), 60, 20_000), SCENARIOS)
    owned = rec.status("owned-hardware")
    assert owned.status == "avoid"
    assert owned.reasons[0].code == "operations-maturity-failed"
    assert owned.reasons[0].text.startswith("Operations maturity is failed")
    assert "operations-maturity-not-passed" in codes(rec, "owned-hardware")  # not-yet reasons follow
    assert statuses(rec)["cloud-gpu-self-hosting"] == "avoid"
    assert rec.route == "hosted-open-weight-serverless"


def test_memory_that_does_not_fit_holds_back_self_hosting(workbook_factory):
    too_big = make_scenario("405b", "memory", {"model": "llama-3.1-405b", "gpu": "h100-sxm", "context": 8192},
                            saved_at="2026-11-02T00:00:00Z")  # newer than 'fit'
    workbook = workbook_factory(gates=ALL_PASSED, scores=GOOD_SCORES)
    rec = recommend(workbook, compute_metrics(proven_rows(), 60, 20_000), SCENARIOS + (too_big,))
    cloud = rec.status("cloud-gpu-self-hosting")
    assert cloud.status == "not-yet" and cloud.reasons[0].code == "memory-does-not-fit"
    assert "scenario '405b': Does not fit" in cloud.reasons[0].text


def test_a_scenario_that_cannot_run_is_a_note_not_a_crash(workbook_factory):
    broken = make_scenario("gone", "memory", {"model": "retired-model", "gpu": "h100-sxm", "context": 10})
    rec = recommend(workbook_factory(), None, (broken,))
    assert rec.numbers.memory_fits is None and "retired-model" in rec.numbers.notes[0]


def test_costs_are_weighted_by_forecast_volume(workbook_factory, playbook):
    """Serverless rows at $0.2, $0.4, $0.8 per request cost 2.25, 2.5 and 3.0 per accepted output; with volumes
    100k / 300k / 600k the weighted cost is 0.1 x 2.25 + 0.3 x 2.5 + 0.6 x 3.0 = 2.775."""
    rows = [r for r in proven_rows() if r["route"] == "Hosted open-weight serverless"]
    for row, cost in zip(rows, (0.2, 0.4, 0.8), strict=True):
        row["costUsd"] = cost
    workbook = workbook_factory(volumes=dict(zip(WORKLOADS, (100_000, 300_000, 600_000), strict=True)))
    cost = route_cost("hosted-open-weight-serverless", playbook, workbook, compute_metrics(rows, 60, 20_000))
    assert cost.cost == pytest.approx(2.775) and cost.missing == ()
    missing = route_cost("managed-api-only", playbook, workbook, compute_metrics(rows, 60, 20_000))
    assert missing.cost is None and missing.missing == WORKLOADS


def test_officer_override_with_reason(workbook, rows):
    rec = recommend(workbook, compute_metrics(rows, 60, 20_000),
                    override={"route": "Owned hardware", "reason": "Board mandate for on-premises data"})
    assert rec.route == "owned-hardware" and rec.computed_route == "managed-api-only"
    data = rec.to_json()
    assert data["route"] == "Owned hardware"
    assert data["override"] == {"route": "Owned hardware", "slug": "owned-hardware",
                                "reason": "Board mandate for on-premises data", "replaces": "Managed API only"}
    assert rec.basis[-1].code == "officer-override" and "'not-yet'" in rec.basis[-1].text
    json.dumps(data, allow_nan=False)


def test_override_needs_a_reason_and_a_known_route(workbook):
    with pytest.raises(FieldError, match="reason"):
        recommend(workbook, None, override={"route": "owned-hardware", "reason": " "})
    with pytest.raises(UnknownNameError):
        recommend(workbook, None, override={"route": "mainframe", "reason": "why not"})


def test_named_fallback(workbook, playbook):
    override = {"fallback": "hosted-open-weight-serverless"}
    rec = recommend(workbook, None, override=override)
    assert rec.fallback_name == "Hosted open-weight serverless" and rec.to_json()["override"] is None
    assert fallback_route_name(override, playbook) == "Hosted open-weight serverless"
    assert fallback_route_name(None, playbook) == "Managed API only"


def test_rule_table_matches_its_schema_and_the_playbook(playbook):
    jsonschema = pytest.importorskip("jsonschema")
    data = json.loads(paths.resource("recommendation_rules.json").read_text(encoding="utf-8"))
    schema = json.loads(paths.resource("recommendation_rules.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)
    check_rules(data, playbook)
    assert {r["route"] for r in bundled_rules(playbook)["routes"]} == {r.slug for r in playbook.procurement_routes}


def test_rule_table_refuses_a_blocked_baseline_or_unknown_gate(playbook):
    data = bundled_rules(playbook)
    data["routes"][0]["rules"] = [data["routes"][2]["rules"][0]]
    with pytest.raises(RulesError, match="baseline"):
        check_rules(data, playbook)
    data = bundled_rules(playbook)
    data["routes"][2]["rules"][0]["when"]["gate"] = "vibes"
    with pytest.raises(RulesError, match="'vibes' is not a gate"):
        check_rules(data, playbook)
