"""`ipw metrics`, `ipw calc`, `ipw scenarios`, `ipw recommend` and `ipw catalog`.

Expected numbers are worked out here independently of the code under test:
- sample row 1: costUsd 0.215, acceptedOutputRate 0.84, reviewMinutes 3.5, reviewer rate 60 USD/h ->
  0.215 / 0.84 + 3.5 / 60 x 60; cache-adjusted input 6,200 x (1 - 0.35); headroom 48 x 4 x 0.84.
- dedicated example: cost per 1M at full use = 2.69 / (14,539.5 x 3600) x 1e6 (economics.md 1.2), break-even
  utilization = that / 0.20 (economics.md 1.3), monthly cost 2.69 x 730.
- owned example (economics.md 1.5): 270,000 / (4 x 8760) + 10.2 x 0.75 x 1.25 x 0.083 + 184.06 x 10.2 x 12 /
  8760 + 27,000 / 8760 per server-hour, / 8 per GPU-hour, / 2.69 for the break-even.
- memory example (economics.md 2.1): Llama 3.1 70B has 70.55e9 parameters, 80 layers, 8 KV heads of 128;
  fp8 weights 70.55 GB; bf16 KV = 2 x 80 x 8 x 128 x 2 = 327,680 bytes per token; usable 2 x (80 x 0.9 - 4)
  = 136 GB; budget 65.45 GB; sequences floor(65.45e9 / (327,680 x 8192)) = 24.
- replicas example: offered load 10 x 15.5 = 155 Erlangs.
"""

from __future__ import annotations

import hashlib
import json
import math

import pytest

ROW1 = 0.215 / 0.84 + 3.5 / 60 * 60
TRACE_KEYS = {"id", "route", "provider", "model", "workload", "inputTokens", "outputTokens", "cacheHitRate",
              "batchEligible", "concurrency", "ttftMs", "latencyP50Ms", "latencyP95Ms", "outputTokensPerSecond",
              "acceptedOutputRate", "costUsd", "reviewMinutes", "costPerAcceptedOutput",
              "cacheAdjustedInputBurden", "throughputHeadroom"}
GROUP_KEYS = {"workload", "route", "provider", "model", "p95LatencyMsByConcurrency",
              "bestCostPerAcceptedOutputAtTarget", "bestRowId", "cacheHitRate", "batchEligible", "retryRate",
              "gpuUtilization", "fallbackRoute"}
DEDICATED = ["calc", "dedicated", "--gpu-hour-usd", "2.69", "--gpus", "1", "--tokens-per-second", "14539.5",
             "--utilization", "0.5", "--api-usd-per-million", "0.20"]
OWNED = ["calc", "owned", "--capex-usd", "270000", "--gpus", "8", "--years", "4", "--power-kw", "10.2",
         "--load-factor", "0.75", "--pue", "1.25", "--usd-per-kwh", "0.083", "--colo-usd-per-kw-month", "184.06",
         "--support-usd-per-year", "27000", "--rental-gpu-hour-usd", "2.69"]
MEMORY = ["calc", "memory", "--model", "llama-3.1-70b", "--weights", "fp8", "--kv-dtype", "bf16", "--gpu",
          "h100-sxm", "--gpus", "2", "--context", "8192", "--memory-utilization", "0.90", "--reserve-gb", "4"]
REPLICAS = ["calc", "replicas", "--arrival-rate", "10", "--service-time-s", "15.5", "--slots-per-replica", "64",
            "--p95-wait-s", "1.0"]


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---- ipw metrics ------------------------------------------------------------------------------------

def test_metrics_json_has_the_listed_keys_and_independent_numbers(ipw, sample):
    result = ipw("metrics", sample, "--json")
    assert result.code == 0, result.err
    data = result.json
    assert {"traces", "groups", "workloads", "recommendation"} <= set(data)
    assert len(data["traces"]) == 3 + 5  # the playbook's three template rows and five illustrative rows
    row1 = next(t for t in data["traces"] if t["id"] == 1)
    assert TRACE_KEYS <= set(row1)
    assert row1["costPerAcceptedOutput"] == pytest.approx(ROW1, rel=1e-12)
    assert row1["cacheAdjustedInputBurden"] == pytest.approx(6200 * (1 - 0.35))
    assert row1["throughputHeadroom"] == pytest.approx(48 * 4 * 0.84)
    for group in data["groups"]:
        assert GROUP_KEYS <= set(group)
    coding = next(g for g in data["groups"] if g["workload"] == "coding-agent-maintenance"
                  and g["model"] == "frontier-reasoning-model-id")
    assert coding["p95LatencyMsByConcurrency"] == [[4, 28200.0]]
    assert coding["bestCostPerAcceptedOutputAtTarget"] is None  # 28,200 ms is over the 20,000 ms target
    invoice = next(g for g in data["groups"] if g["workload"] == "invoice-review"
                   and g["model"] == "open-weight-model-id")
    assert invoice["bestCostPerAcceptedOutputAtTarget"] == pytest.approx(0.046 / 0.72 + 5.0)
    assert invoice["bestRowId"] == 2 and invoice["batchEligible"] is True
    assert invoice["fallbackRoute"] == "Managed API only"
    shares = {w["workload"]: w["batchDisplacementShare"] for w in data["workloads"]}
    # the illustrative rows copy the template's batchEligible (invoice-review's two rows are both eligible)
    assert shares == {"coding-agent-maintenance": 0.0, "invoice-review": 1.0, "support-policy": 0.0}
    rec = data["recommendation"]
    assert set(rec) >= {"route", "fallback", "override", "statuses"}
    assert rec["route"] == "Managed API only" and rec["fallback"] == "Managed API only" and rec["override"] is None
    assert [s["slug"] for s in rec["statuses"]] == ["managed-api-only", "hosted-open-weight-serverless",
                                                    "dedicated-hosted-endpoint", "cloud-gpu-self-hosting",
                                                    "owned-hardware"]
    for status in rec["statuses"]:
        assert set(status) >= {"slug", "route", "status", "reasons"}
        assert status["status"] in ("supported", "not-yet", "avoid")
        assert status["reasons"] and all(set(r) == {"code", "text"} for r in status["reasons"])
    dedicated = next(s for s in rec["statuses"] if s["slug"] == "dedicated-hosted-endpoint")
    assert {"code": "utilization-model-below-threshold",
            "text": "Utilization model scores 68, below the workbook threshold of 70."} in dedicated["reasons"]


def test_metrics_options_apply_to_this_run_only(ipw, sample):
    before = digest(sample)
    result = ipw("metrics", sample, "--json", "--reviewer-rate", "0", "--target-p95-ms", "30000")
    assert result.code == 0, result.err
    row1 = next(t for t in result.json["traces"] if t["id"] == 1)
    assert row1["costPerAcceptedOutput"] == pytest.approx(0.215 / 0.84)
    coding = next(g for g in result.json["groups"] if g["workload"] == "coding-agent-maintenance"
                  and g["model"] == "frontier-reasoning-model-id")
    assert coding["bestCostPerAcceptedOutputAtTarget"] == pytest.approx(0.215 / 0.84)
    assert digest(sample) == before
    assert ipw("info", sample, "--json").json["reviewerRateUsdPerHour"] == 60.0


def test_metrics_human_output_and_bad_options(ipw, sample):
    result = ipw("metrics", sample)
    assert result.code == 0
    assert "$3.76" in result.out and "Recommended route: Managed API only" in result.out
    assert "no row meets the target p95 of 20,000 ms" in result.out
    assert ipw("metrics", sample, "--reviewer-rate", "-1").code == 2
    assert ipw("metrics", sample, "--target-p95-ms", "0").code == 2
    assert ipw("metrics", sample.with_name("missing.ipwb")).code == 1


# ---- ipw calc ---------------------------------------------------------------------------------------

def test_the_four_documented_examples_work_as_written(ipw):
    for argv in (DEDICATED, OWNED, MEMORY, REPLICAS):
        result = ipw(*argv)
        assert result.code == 0, (argv, result.err)
        for section in ("Inputs", "Results", "Assumptions", "Sources"):
            assert f"\n{section}\n" in result.out, (argv[1], section)


def test_dedicated_numbers(ipw):
    data = ipw(*DEDICATED, "--json").json
    full = 2.69 / (14539.5 * 3600) * 1e6
    result = data["result"]
    assert result["usdPerMillionAtFullUtilization"] == pytest.approx(full)
    assert result["usdPerMillion"] == pytest.approx(full / 0.5)
    assert result["breakEvenUtilization"] == pytest.approx(full / 0.20)
    assert result["monthlyCostUsd"] == pytest.approx(2.69 * 730)
    assert result["breakEvenMonthlyTokens"] == pytest.approx(2.69 * 730 / 0.20 * 1e6)
    assert data["inputs"]["hoursPerMonth"] == 730.0
    assert result["sources"] and all(set(s) == {"label", "reference", "date"} for s in result["sources"])


def test_owned_numbers(ipw):
    result = ipw(*OWNED, "--json").json["result"]
    server = 270000 / (4 * 8760) + 10.2 * 0.75 * 1.25 * 0.083 + 184.06 * 10.2 * 12 / 8760 + 27000 / 8760
    assert result["serverUsdPerHour"] == pytest.approx(server)
    assert result["usdPerGpuHour"] == pytest.approx(server / 8)
    assert result["breakEvenUtilization"] == pytest.approx(server / 8 / 2.69)


def test_memory_numbers(ipw):
    result = ipw(*MEMORY, "--json").json["result"]
    assert result["weightsGb"] == pytest.approx(70.55)
    assert result["kvBytesPerToken"] == 2 * 80 * 8 * 128 * 2
    assert result["usableGb"] == pytest.approx(2 * (80 * 0.9 - 4))
    assert result["kvBudgetGb"] == pytest.approx(136 - 70.55)
    assert result["concurrentSequences"] == math.floor(65.45e9 / (327680 * 8192)) == 24
    assert result["fits"] is True


def test_a_model_that_does_not_fit(ipw):
    result = ipw("calc", "memory", "--model", "llama-3.1-405b", "--gpu", "h100-sxm", "--gpus", "1",
                 "--context", "8192", "--json")
    assert result.code == 0
    assert result.json["result"]["fits"] is False
    assert result.json["result"]["verdict"].startswith("Does not fit")


def test_replicas_numbers_and_an_unstable_fleet(ipw):
    result = ipw(*REPLICAS, "--json").json["result"]
    assert result["offeredLoadErlangs"] == pytest.approx(155)
    assert result["replicas"] == math.ceil(result["slotsNeeded"] / 64)
    assert result["stable"] is True and result["slotsNeeded"] > 155
    unstable = ipw(*REPLICAS, "--replicas", "2", "--json")
    assert unstable.code == 0
    assert unstable.json["result"]["stable"] is False  # 155 Erlangs on 128 slots
    assert unstable.json["result"]["meanWaitS"] is None


def test_help_lists_each_option_with_unit_and_default(ipw):
    result = ipw("calc", "dedicated", "--help")
    assert result.code == 0
    text = " ".join(result.out.split()).replace("- ", "-")  # argparse may wrap a line after a hyphen
    for fragment in ("--gpu-hour-usd", "[USD per GPU-hour]; required", "--hours-per-month",
                     "[hours]; default 730.0", "--api-usd-per-million", "[USD per 1M tokens]; none",
                     "--utilization", "[share 0-1]; required"):
        assert fragment in text, fragment
    memory = " ".join(ipw("calc", "memory", "--help").out.split())
    assert "--kv-dtype" in memory and "default bf16" in memory and "--reserve-gb" in memory


def test_calc_refusals(ipw):
    assert ipw("calc", "dedicated", "--gpus", "1").code == 2  # required options missing
    assert ipw("calc", "dedicated", "--gpu-hour-usd", "x").code == 2
    bad = ipw("calc", "dedicated", "--gpu-hour-usd", "2", "--tokens-per-second", "10", "--utilization", "1.5")
    assert bad.code == 1 and "--utilization" in bad.err
    assert ipw(*DEDICATED, "--save", "x").code == 2  # --save needs --workbook
    assert ipw("calc", "memory", "--model", "no-such-model", "--gpu", "h100-sxm", "--context", "10").code == 1


def test_save_then_another_process_lists_and_reuses_the_scenario(ipw, ipw_process, sample):
    saved = ipw(*MEMORY, "--save", "70B on 2 x H100", "--workbook", sample)
    assert saved.code == 0, saved.err
    assert "saved scenario '70B on 2 x H100'" in saved.out
    listed = ipw_process("scenarios", sample, "--json")
    assert listed.code == 0, listed.err
    [entry] = listed.json["scenarios"]
    assert (entry["name"], entry["kind"], entry["inputs"]["context"]) == ("70B on 2 x H100", "memory", 8192)
    assert entry["result"]["concurrentSequences"] == 24
    reused = ipw_process("calc", "memory", "--workbook", sample, "--load", "70B on 2 x H100", "--concurrency",
                         "40", "--json")
    assert reused.code == 0, reused.err
    assert reused.json["result"]["fits"] is False  # 24 sequences fit, 40 are needed
    facts = ipw("recommend", sample, "--json").json
    self_hosting = next(s for s in facts["statuses"] if s["slug"] == "cloud-gpu-self-hosting")
    assert not any(r["code"] == "memory-does-not-fit-unknown" for r in self_hosting["reasons"])
    assert ipw("scenarios", sample, "--delete", "70B on 2 x H100").code == 0
    assert ipw("scenarios", sample, "--json").json["scenarios"] == []
    assert ipw("scenarios", sample, "--delete", "70B on 2 x H100").code == 1


# ---- ipw recommend ----------------------------------------------------------------------------------

def test_override_needs_a_reason_and_changes_nothing_without_one(ipw, sample):
    before = digest(sample)
    result = ipw("recommend", sample, "--override", "dedicated-hosted-endpoint")
    assert result.code == 1 and "--reason" in result.err
    assert digest(sample) == before
    assert ipw("recommend", sample, "--override", "nowhere", "--reason", "x").code == 1
    assert digest(sample) == before


def test_override_by_exact_name_then_fallback_then_clear(ipw, sample):
    result = ipw("recommend", sample, "--override", "Dedicated hosted endpoint", "--reason", "contract signed",
                 "--json")
    assert result.code == 0, result.err
    data = result.json
    assert data["route"] == "Dedicated hosted endpoint"
    assert data["override"] == {"route": "Dedicated hosted endpoint", "slug": "dedicated-hosted-endpoint",
                                "reason": "contract signed", "replaces": "Managed API only"}
    assert any(b["code"] == "officer-override" for b in data["basis"])
    data = ipw("recommend", sample, "--fallback", "hosted-open-weight-serverless", "--json").json
    assert data["fallback"] == "Hosted open-weight serverless"
    assert data["override"]["reason"] == "contract signed"  # kept
    metrics = ipw("metrics", sample, "--json").json
    assert metrics["recommendation"]["route"] == "Dedicated hosted endpoint"
    assert {g["fallbackRoute"] for g in metrics["groups"]} == {"Hosted open-weight serverless"}
    cleared = ipw("recommend", sample, "--clear-override", "--json").json
    assert cleared["override"] is None and cleared["route"] == "Managed API only"
    assert cleared["fallback"] == "Managed API only"
    assert ipw("recommend", sample, "--clear-override", "--override", "owned-hardware", "--reason", "x").code == 2


def test_recommend_human_output_lists_each_route_with_reasons(ipw, sample):
    result = ipw("recommend", sample)
    assert result.code == 0
    assert "Recommended route: Managed API only" in result.out
    for name in ("Managed API only", "Hosted open-weight serverless", "Dedicated hosted endpoint",
                 "Cloud GPU self-hosting", "Owned hardware"):
        assert f"] {name} (" in result.out
    assert "(utilization-model-below-threshold)" in result.out


# ---- ipw catalog ------------------------------------------------------------------------------------

def test_catalog_lists_entries_with_source_and_date(ipw):
    data = ipw("catalog", "--json").json
    assert {"models", "gpus", "tokenPrices", "gpuHourPrices"} <= set(data)
    assert all(e["source"] and e["date"] for e in data["gpus"])
    text = ipw("catalog", "--kind", "token-prices", "--search", "gpt-5").out
    assert "gpt-5:" in text and "per 1M tokens" in text


def test_catalog_import_litellm_and_edit_into_a_workbook(ipw, sample, tmp_path):
    prices = tmp_path / "model_prices_and_context_window.json"
    prices.write_text(json.dumps({
        "acme/fast-1": {"litellm_provider": "acme", "mode": "chat", "input_cost_per_token": 1e-7,
                        "output_cost_per_token": 4e-7},
        "broken": {"mode": "chat", "input_cost_per_token": "free", "output_cost_per_token": 1e-6}}))
    result = ipw("catalog", "--workbook", sample, "--import-litellm", prices, "--json")
    assert result.code == 0, result.err
    assert result.json["imported"] == 1 and result.json["skipped"][0]["key"] == "broken"
    listed = ipw("catalog", "--workbook", sample, "--kind", "token-prices", "--json").json["tokenPrices"]
    acme = next(e for e in listed if e["key"] == "acme/fast-1")
    assert acme["override"] is True and acme["cacheReadUsdPerMillion"] is None
    edit = ipw("catalog", "--workbook", sample, "--edit", "gpu-hour-prices", "--entry",
               '{"key": "runpod-community-cloud-h100-sxm", "usdPerGpuHour": 1.99}', "--reason", "quote Q-17")
    assert edit.code == 0, edit.err
    gpu_prices = ipw("catalog", "--workbook", sample, "--kind", "gpu-hour-prices", "--json").json["gpuHourPrices"]
    edited = next(e for e in gpu_prices if e["key"] == "runpod-community-cloud-h100-sxm")
    assert (edited["usdPerGpuHour"], edited["override"], edited["overrideReason"]) == (1.99, True, "quote Q-17")
    assert ipw("catalog", "--import-litellm", prices).code == 2  # needs --workbook
    assert ipw("catalog", "--workbook", sample, "--edit", "gpus", "--entry", "{}", "--reason", "x").code == 1
