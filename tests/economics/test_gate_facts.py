"""Gate facts: what the numbers say per gate, or an honest 'no data yet'."""

from __future__ import annotations

import pytest

from desktop.domain.errors import UnknownNameError
from desktop.economics.gate_facts import GATE_FACTS, gate_facts
from desktop.economics.metrics import compute_metrics
from desktop.economics.scenarios import make_scenario


def facts_by_label(result):
    return {f.label: (f.value, f.status) for f in result.facts}


def test_every_gate_has_a_facts_function(playbook):
    assert set(GATE_FACTS) == {g.slug for g in playbook.gates}


@pytest.mark.parametrize("slug", ["demand-shape", "utilization-proof", "memory-and-context-fit",
                                  "operations-maturity", "fallback-economics"])
def test_an_empty_workbook_says_no_data_yet(workbook_factory, slug):
    result = gate_facts(slug, workbook_factory(volumes={}, target=None))
    assert result.facts == () and result.no_data
    assert result.to_json()["noData"] == result.no_data


def test_demand_shape_lists_workloads_target_and_batch_share(workbook, rows):
    result = gate_facts("Demand shape", workbook, compute_metrics(rows, 60, 20_000))
    facts = facts_by_label(result)
    assert facts["Forecast volume, invoice-review"] == ("100,000 requests/month", "ok")
    assert facts["Target p95 latency"] == ("20,000 ms", "ok")
    assert facts["Batch-eligible share, invoice-review"][0] == "100% of 1 trace row(s)"
    assert facts["Peak configured concurrency, support-policy"][0] == "32"


def test_utilization_proof_shows_throughput_and_break_even(workbook, rows):
    """Accepted output tokens/s of row 3: 108 x 32 x 0.78 = 2,695.68 -> '2,696 at concurrency 32'."""
    rows[2]["gpuUtilization"] = 0.2
    scenario = make_scenario("rent", "dedicated", {"gpuHourUsd": 2.69, "tokensPerSecond": 14539.5,
                                                   "utilization": 0.5, "apiUsdPerMillion": 0.2})
    facts = facts_by_label(gate_facts("utilization-proof", workbook, compute_metrics(rows, 60, 20_000), [scenario]))
    assert facts["Accepted output tokens/s, Dedicated endpoint"] == ("2,696 at concurrency 32", "none")
    assert facts["Measured GPU utilization"][0] == "20% over 1 row(s)"
    assert facts["Break-even utilization (dedicated, scenario 'rent')"] == ("20% measured < 26% break-even", "warn")


def test_utilization_proof_with_an_unstable_replica_scenario(workbook):
    scenario = make_scenario("tight", "replicas", {"arrivalRate": 10, "serviceTimeS": 15.5, "slotsPerReplica": 64,
                                                   "replicas": 2})
    facts = facts_by_label(gate_facts("utilization-proof", workbook, None, [scenario]))
    value, status = facts["Replicas (scenario 'tight')"]
    assert value.startswith("unstable") and status == "warn"


def test_memory_fit_shows_the_saved_verdict(workbook):
    fits = make_scenario("70b", "memory", {"model": "llama-3.1-70b", "weights": "fp8", "gpu": "h100-sxm",
                                           "gpus": 2, "context": 8192}, saved_at="2026-11-01T00:00:00Z")
    facts = facts_by_label(gate_facts("memory-and-context-fit", workbook, scenarios=[fits]))
    assert facts["Memory fit (scenario '70b')"] == (
        "Fits: 24 concurrent sequence(s) of 8,192 tokens (1 needed)", "ok")
    assert facts["Weights"][0] == "70.55 GB"
    too_big = make_scenario("405b", "memory", {"model": "llama-3.1-405b", "gpu": "h100-sxm", "context": 8192},
                            saved_at="2026-11-02T00:00:00Z")
    facts = facts_by_label(gate_facts("memory-and-context-fit", workbook, scenarios=[fits, too_big]))
    value, status = facts["Memory fit (scenario '405b')"]
    assert value.startswith("Does not fit") and status == "warn"


def test_fallback_economics_shows_the_blend_and_the_fallback_cost(workbook, rows):
    blend = make_scenario("blend", "fallback", {"fallbackShare": 0.2, "primaryCostUsd": 2.84,
                                                "fallbackCostUsd": 3.76})
    result = gate_facts("fallback-economics", workbook, compute_metrics(rows, 60, 20_000), [blend])
    facts = facts_by_label(result)
    assert result.facts[0].label == "Fallback route" and result.facts[0].value == "Managed API only"
    assert facts["Blended cost per accepted output (scenario 'blend')"] == ("$3.02 with 20% to the fallback", "ok")
    value, status = facts["Fallback cost per accepted output at target, coding-agent-maintenance"]
    assert value.startswith("not known: no row meets the target p95") and status == "warn"
    named = gate_facts("fallback-economics", workbook, compute_metrics(rows, 60, 20_000),
                       override={"fallback": "dedicated-hosted-endpoint"})
    assert named.facts[0].value == "Dedicated hosted endpoint"
    assert facts_by_label(named)["Fallback cost per accepted output at target, support-policy"][0] == "$2.84"


def test_unknown_gate_is_an_error(workbook):
    with pytest.raises(UnknownNameError):
        gate_facts("vibes", workbook)
