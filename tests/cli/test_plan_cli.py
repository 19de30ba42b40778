"""`ipw plan`, `ipw constraint` and the currency flags of `ipw context` (issue 11, item 9)."""

from __future__ import annotations

import hashlib

import pytest

WORKLOAD_KEYS = {"workload", "volumePerMonth", "route", "fallback", "monthlyCost", "monthlyCostUsd",
                 "monthlyModelCost", "monthlyReviewCost", "costShape", "measured", "reasons", "candidates"}
CANDIDATE_KEYS = {"route", "monthlyCost", "monthlyCostUsd", "meetsTarget", "status", "costShape", "measured"}


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_plan_json_on_the_sample_has_the_issue_shape_and_adds_up(ipw, sample):
    result = ipw("plan", sample, "--json")
    assert result.code == 0, result.err
    data = result.json
    assert set(data) >= {"currency", "workloads", "totals", "levers", "assumptions"}
    assert "sensitivity" not in data
    assert data["currency"] == {"code": "USD", "perUsd": 1.0, "date": None, "source": None}
    assert [w["workload"] for w in data["workloads"]] == ["coding-agent-maintenance", "invoice-review",
                                                          "support-policy"]
    for w in data["workloads"]:
        assert WORKLOAD_KEYS <= set(w)
        assert w["route"] and w["fallback"] and w["route"] != w["fallback"]
        assert w["monthlyCost"] > 0
        assert all(CANDIDATE_KEYS <= set(c) for c in w["candidates"])
    totals = data["totals"]
    assert totals["monthlyCost"] == pytest.approx(sum(w["monthlyCost"] for w in data["workloads"]))
    assert totals["yearlyCost"] == pytest.approx(12 * totals["monthlyCost"])
    assert totals["monthlySavings"] == pytest.approx(totals["baselineMonthlyCost"] - totals["monthlyCost"])
    assert data["levers"] == [{"lever": "batch", "workload": "invoice-review", "value": 0.5,
                               "monthlySaving": pytest.approx(data["levers"][0]["monthlySavingUsd"]),
                               "monthlySavingUsd": data["levers"][0]["monthlySavingUsd"], "saved": True,
                               "notes": []}]
    assert all(set(a) == {"text", "source"} for a in data["assumptions"])


def test_plan_text_names_each_route_and_the_total(ipw, sample):
    result = ipw("plan", sample)
    assert result.code == 0, result.err
    assert "route:    Hosted open-weight serverless (per-token, measured on Hosted open-weight serverless rows)" \
        in result.out
    assert "fallback: Managed API only" in result.out
    assert "baseline (Managed API only): $" in result.out


def test_run_only_levers_leave_the_file_alone_and_saved_ones_persist(ipw, sample):
    """review-minutes 0 for support-policy removes its review cost: 100,000 x 2.8 min / 60 x $60 = $280,000
    a month saved; run-only it changes nothing on disk, with --save-levers the next plan reads it back."""
    before = digest(sample)
    base = ipw("plan", sample, "--json").json["totals"]["monthlyCostUsd"]
    result = ipw("plan", sample, "--json", "--lever", "review-minutes:Support-Policy=0")
    assert result.code == 0, result.err
    lever = result.json["levers"][-1]
    assert lever["workload"] == "support-policy" and lever["saved"] is False
    assert lever["monthlySavingUsd"] == pytest.approx(280_000)
    assert result.json["totals"]["monthlyCostUsd"] == pytest.approx(base - 280_000)
    assert digest(sample) == before
    assert ipw("plan", sample, "--lever", "review-minutes:support-policy=0", "--save-levers").code == 0
    saved = ipw("plan", sample, "--json").json
    assert [(lv["lever"], lv["saved"]) for lv in saved["levers"]] == [("batch", True), ("review-minutes", True)]
    assert saved["totals"]["monthlyCostUsd"] == pytest.approx(base - 280_000)


@pytest.mark.parametrize("lever, words", [
    ("batch:invoice-review=1.5", "share from 0 to 1"),
    ("turbo:invoice-review=1", "is not a lever"),
    ("batch:nobody=0.5", "not a workload in scope"),
    ("batch-invoice-review", "KIND:WORKLOAD=VALUE"),
    ("peak:*=abc", "not a number"),
])
def test_bad_levers_are_one_line_refusals(ipw, sample, lever, words):
    result = ipw("plan", sample, "--lever", lever)
    assert result.code == 1
    assert words in result.err and result.err.count("\n") == 1


def test_constraint_data_boundary_and_budget(ipw, sample):
    """support-policy's cheapest route is Hosted open-weight serverless; allowing only Managed API moves it there.
    A workbook budget of $1,000 is far below the plan total (~$1.08M) and is flagged."""
    result = ipw("constraint", sample, "support-policy", "--allow", "Managed API only")
    assert result.code == 0, result.err
    data = ipw("plan", sample, "--json").json
    support = next(w for w in data["workloads"] if w["workload"] == "support-policy")
    assert support["route"] == "Managed API only"
    assert any("Hosted open-weight serverless: not allowed" in r for r in support["reasons"])
    assert ipw("constraint", sample, "--budget", "1000").code == 0
    assert ipw("plan", sample, "--json").json["totals"]["budgetBreached"] is True
    shown = ipw("constraint", sample, "--json").json["constraints"]
    assert {"workload": None, "allowedRoutes": None, "monthlyBudget": 1000.0, "monthlyBudgetUsd": 1000.0} in shown
    assert ipw("constraint", sample, "support-policy", "--allow", "any").code == 0
    assert ipw("constraint", sample, "support-policy", "--json").json["constraints"] == []  # nothing left to keep
    assert ipw("constraint", sample, "support-policy", "--clear").code == 0
    assert ipw("constraint", sample, "nobody", "--budget", "5").code == 1
    assert ipw("constraint", sample, "support-policy", "--allow", "Teleport").code == 1


def test_context_currency_flags_convert_every_amount(ipw, sample):
    """--fx-rate 0.92 is EUR per USD: a workbook budget entered as EUR 920 is stored as $1,000, and every
    plan amount in EUR is its USD amount x 0.92."""
    result = ipw("context", sample, "--currency", "EUR", "--fx-rate", "0.92", "--fx-date", "2026-12-01",
                 "--fx-source", "ECB reference rate")
    assert result.code == 0, result.err
    info = ipw("info", sample, "--json").json
    assert info["fxToUsd"] == pytest.approx(1 / 0.92) and info["fxSource"] == "ECB reference rate"
    assert ipw("constraint", sample, "--budget", "920").code == 0
    data = ipw("plan", sample, "--json").json
    assert data["currency"] == {"code": "EUR", "perUsd": pytest.approx(0.92), "date": "2026-12-01",
                                "source": "ECB reference rate"}
    assert data["totals"]["budgetMonthlyCostUsd"] == pytest.approx(1000)
    for w in data["workloads"]:
        assert w["monthlyCost"] == pytest.approx(w["monthlyCostUsd"] * 0.92)
    text = ipw("plan", sample).out
    assert "amounts in EUR: 1 USD = 0.92 EUR (2026-12-01, ECB reference rate)" in text and "EUR " in text
    assert ipw("context", sample, "--currency", "EUR").code == 1
    assert ipw("context", sample, "--fx-rate", "0").code == 1


def test_sensitivity_adds_tornado_rows_and_volume_ranges(ipw, sample):
    data = ipw("plan", sample, "--json", "--sensitivity").json
    tornado = data["sensitivity"]["tornado"]
    assert {r["input"] for r in tornado} >= {"Monthly volume", "Token prices", "Acceptance rate"}
    volume = next(r for r in tornado if r["input"] == "Monthly volume")
    # every sample workload is per-token, so half and double the volume halve and double the total
    assert volume["lowMonthlyCostUsd"] == pytest.approx(data["totals"]["monthlyCostUsd"] / 2)
    assert volume["highMonthlyCostUsd"] == pytest.approx(data["totals"]["monthlyCostUsd"] * 2)
    assert [r["workload"] for r in data["sensitivity"]["volumeRanges"]] == [w["workload"] for w in data["workloads"]]


def test_a_capacity_route_qualifies_once_its_gates_pass(ipw, sample, tmp_path):
    """With Demand shape, Utilization proof and Fallback economics passed, Utilization model scored 80, a
    Dedicated endpoint row reporting 70% GPU utilization and a saved dedicated scenario ($3.99/GPU-hour, 1 GPU,
    3,456 tokens/s at 70% vs $1 per 1M: break-even utilization 3.99 / (3,456 x 3,600 x 1e-6) = 32% < 70%),
    the rules support Dedicated hosted endpoint. support-policy at 3,000,000 requests/month: peak arrivals
    3,000,000 / 0.78 / 2,628,000 s x 3 = 4.39/s, service 0.42 s + 520 / 108 s = 5.24 s, about 23 Erlangs,
    which one replica of 32 slots carries within the 11.2 s wait head-room (20,000 - 8,800 ms): 1 replica x
    $3.99 x 730 h = $2,912.70 a month of GPUs. Serverless (gpt-oss-120b) costs 3,000,000 x 0.0005241 / 0.78 =
    $2,015.77 of model spend, so it stays the route and the dedicated endpoint becomes its fallback."""
    for gate in ("demand-shape", "utilization-proof", "fallback-economics"):
        assert ipw("gate", sample, gate, "--status", "passed", "--justification", "checked").code == 0
    assert ipw("score", sample, "utilization-model", "80").code == 0
    rows = tmp_path / "dedicated.csv"
    rows.write_text("route,provider,model,workload,inputTokens,outputTokens,cacheHitRate,batchEligible,concurrency,"
                    "ttftMs,latencyP50Ms,latencyP95Ms,outputTokensPerSecond,acceptedOutputRate,costUsd,"
                    "reviewMinutes,gpuUtilization\n"
                    "Dedicated endpoint,Fireworks,dedicated-open-model-id,support-policy,2800,520,0.55,false,32,"
                    "420,3100,8800,108,0.78,,2.8,0.7\n", encoding="utf-8")
    assert ipw("import", sample, rows).code == 0
    assert ipw("calc", "dedicated", "--gpu-hour-usd", "3.99", "--gpus", "1", "--tokens-per-second", "3456",
               "--utilization", "0.7", "--api-usd-per-million", "1.0", "--save", "ded", "--workbook", sample).code == 0
    assert ipw("context", sample, "--workload", "support-policy=3000000").code == 0
    data = ipw("plan", sample, "--json").json
    support = next(w for w in data["workloads"] if w["workload"] == "support-policy")
    dedicated = next(c for c in support["candidates"] if c["slug"] == "dedicated-hosted-endpoint")
    assert dedicated["status"] == "supported" and dedicated["qualifies"] and dedicated["measured"]
    assert dedicated["replicas"] == 1 and dedicated["gpuHourUsd"] == 3.99
    assert dedicated["monthlyModelCostUsd"] == pytest.approx(3.99 * 730)
    assert support["route"] == "Hosted open-weight serverless"
    assert support["monthlyModelCostUsd"] == pytest.approx(3_000_000 * 0.0005241 / 0.78)
    assert support["fallback"] == "Dedicated hosted endpoint"
    # the template's Dedicated endpoint row and the imported one
    assert ("Fallback: Dedicated hosted endpoint, capacity: 1 replica(s) x 1 GPU, always-on, measured on 2 "
            "Dedicated endpoint row(s)") in ipw("plan", sample).out
