"""Benchmark result files, detected by content, mapped as landscape-and-formats.md 2.9 says."""

from __future__ import annotations

import json
import shutil

import pytest

from desktop.importers import ImportFailed, Problem, parse_source

USER = {"route": "Self-hosted GPU stack", "provider": "own vLLM", "workload": "support-policy",
        "batchEligible": "false", "acceptedOutputRate": "0.8", "costUsd": "", "reviewMinutes": ""}


def one(parsed):
    assert parsed.ok, parsed.problem_lines()
    (row,) = parsed.preview()
    return row


@pytest.mark.parametrize(("name", "fmt"), [
    ("vllm_serve.json", "vllm"), ("vllm_detailed.json", "vllm"), ("vllm_old_rate.json", "vllm"),
    ("llmperf_summary.json", "llmperf"), ("sglang_bench_serving.jsonl", "sglang"), ("genai_perf.json", "genai-perf"),
    ("profile_export_aiperf.json", "aiperf"), ("guidellm_v03.json", "guidellm"), ("guidellm_v1.json", "guidellm"),
    ("guidellm_v2.json", "guidellm"), ("summary_lifecycle_metrics.json", "inference-perf"),
])
def test_format_is_detected_from_content_not_name(fixture, tmp_path, name, fmt):
    renamed = tmp_path / "results.txt"
    shutil.copyfile(fixture(name), renamed)
    assert parse_source(renamed).format == fmt


def test_fields_tools_never_record_are_one_problem_each_at_row_0(fixture):
    parsed = parse_source(fixture("vllm_serve.json"))
    assert [(p.row, p.column) for p in parsed.problems] == [
        (0, "route"), (0, "provider"), (0, "workload"), (0, "batchEligible"), (0, "acceptedOutputRate"),
        (0, "costUsd"), (0, "reviewMinutes")]
    assert parsed.problems[0] == Problem("vllm_serve.json", 0, "route", None, "is never recorded by vLLM bench "
                                         "serve: give one value for every row (--set route=VALUE)")
    assert parsed.rows_valid == 0 and parsed.rows_rejected == 1


def test_vllm_serve_with_e2el_percentiles(fixture):
    row = one(parse_source(fixture("vllm_serve.json"), set_values=USER))
    assert row["model"] == "meta-llama/Llama-3.1-8B-Instruct"
    assert (row["inputTokens"], row["outputTokens"], row["concurrency"]) == (1024.0, 128.0, 16.0)
    assert (row["ttftMs"], row["latencyP50Ms"], row["latencyP95Ms"], row["latencyP99Ms"]) == (
        150.4, 3250.5, 4020.7, 4400.1)
    assert row["outputTokensPerSecond"] == 40.0  # per stream: 1000 / mean_tpot_ms
    assert row["outputTokensPerSecondAggregate"] == 621.4
    assert row["concurrencyPeak"] == 16 and "concurrencyMeasured" not in row  # a peak is not a mean
    assert row["acceptedOutputRate"] == 0.8 and row["costUsd"] is None and row["cacheHitRate"] is None
    assert row["requestRate"] == "inf"


def test_vllm_percentiles_are_computed_from_per_request_latencies_of_successful_requests(fixture):
    parsed = parse_source(fixture("vllm_detailed.json"), set_values=USER)
    row = one(parsed)
    assert row["latencyP50Ms"] == 3000.0 and row["latencyP95Ms"] == pytest.approx(8800.0)
    assert "latencyP95Ms computed from the per-request 'latencies' list (seconds, linear interpolation)" \
        in parsed.notes
    assert parsed.mapping["latencies (p95 computed)"] == "latencyP95Ms"


def test_vllm_without_e2el_leaves_percentiles_empty_and_needs_concurrency(fixture):
    parsed = parse_source(fixture("vllm_old_rate.json"), set_values=USER)
    assert parsed.problems == [Problem("vllm_old_rate.json", 0, "concurrency", None, "is not recorded by vLLM "
                                       "bench serve: give one value for every row (--set concurrency=VALUE)")]
    row = one(parse_source(fixture("vllm_old_rate.json"), set_values={**USER, "concurrency": "8"}))
    assert row["latencyP50Ms"] is None and row["latencyP95Ms"] is None  # never median_ttft or p99 instead
    assert row["ttftMs"] == 85.0 and row["concurrency"] == 8.0
    assert any(n.startswith("latencyP95Ms not measured") for n in parsed.notes)


def test_llmperf_summary(fixture):
    row = one(parse_source(fixture("llmperf_summary.json"), set_values=USER))
    assert (row["model"], row["concurrency"]) == ("accounts/fireworks/models/llama-v3-8b-instruct", 5.0)
    assert (row["inputTokens"], row["outputTokens"]) == (552.3, 148.9)
    assert (row["ttftMs"], row["latencyP50Ms"], row["latencyP95Ms"], row["latencyP99Ms"]) == (
        410.0, 2100.0, 3400.0, 4000.0)
    # per stream: 1 / results_inter_token_latency_s_mean (0.015 s), not llmperf's mean per-request throughput
    assert row["outputTokensPerSecond"] == pytest.approx(1 / 0.015) and row["outputTokensPerSecondAggregate"] == 340.2


def test_llmperf_nested_results_read_the_same(tmp_path, fixture):
    flat = json.loads(fixture("llmperf_summary.json").read_text())
    nested = {k: v for k, v in flat.items() if not k.startswith("results_")}
    nested["results"] = {"ttft_s": {"quantiles": {"p50": 0.41}}, "end_to_end_latency_s": {
        "quantiles": {"p50": 2.1, "p95": 3.4}}, "number_input_tokens": {"mean": 552.3},
        "number_output_tokens": {"mean": 148.9}, "request_output_throughput_token_per_s": {"mean": 71.5},
        "mean_output_throughput_token_per_s": 340.2}
    path = tmp_path / "nested.json"
    path.write_text(json.dumps(nested))
    row = one(parse_source(path, format="llmperf", set_values=USER))
    assert (row["ttftMs"], row["latencyP95Ms"], row["inputTokens"]) == (410.0, 3400.0, 552.3)


def test_sglang_jsonl_one_row_per_line_with_bare_infinity(fixture):
    parsed = parse_source(fixture("sglang_bench_serving.jsonl"), set_values={**USER, "model": "qwen-7b"})
    assert parsed.ok and parsed.rows_read == 2
    first, second = parsed.preview()
    assert (first["inputTokens"], first["outputTokens"], first["concurrency"]) == (1024.0, 256.0, 32.0)
    assert first["latencyP50Ms"] == 3700.4 and first["latencyP95Ms"] is None and first["latencyP99Ms"] == 4600.0
    assert first["concurrencyMeasured"] == 31.6 and first["outputTokensPerSecond"] == 80.0
    assert first["outputTokensPerSecondAggregate"] == 2129.8 and first["requestRate"] == "inf"
    assert (second["inputTokens"], second["concurrency"], second["concurrencyMeasured"]) == (512.0, 64.0, 60.2)


def test_sglang_needs_a_model_and_reports_broken_lines(write, fixture):
    lines = fixture("sglang_bench_serving.jsonl").read_text().splitlines()
    path = write("s.jsonl", lines[0] + "\n{not json\n" + lines[1] + "\n")
    parsed = parse_source(path, set_values=USER)
    assert Problem("s.jsonl", 2, "(line)", "{not json", "not valid JSON: Expecting property name enclosed in "
                   "double quotes") in parsed.problems
    assert Problem("s.jsonl", 0, "model", None, "is not recorded by SGLang bench_serving: give one value for "
                   "every row (--set model=VALUE)") in parsed.problems


def test_non_finite_metric_is_a_problem_at_its_key(write, fixture):
    data = json.loads(fixture("vllm_serve.json").read_text())
    data["p95_e2el_ms"] = float("nan")
    path = write("v.json", json.dumps(data))
    parsed = parse_source(path, set_values=USER)
    assert [(p.row, p.column, p.reason) for p in parsed.problems] == [(1, "p95_e2el_ms", "must be a finite number")]


def test_genai_perf(fixture):
    row = one(parse_source(fixture("genai_perf.json"), set_values=USER))
    assert (row["model"], row["concurrency"], row["inputTokens"], row["outputTokens"]) == (
        "llama-3-8b-instruct", 16.0, 550.0, 157.8)
    assert (row["ttftMs"], row["latencyP50Ms"], row["latencyP95Ms"]) == (240.5, 2950.0, 3600.2)
    # per stream: 1000 / inter_token_latency.avg (17 ms), not output_token_throughput_per_user (51.3)
    assert row["outputTokensPerSecond"] == pytest.approx(1000 / 17) and row["outputTokensPerSecondAggregate"] == 820.4


def test_aiperf_never_substitutes_a_missing_p95(fixture):
    parsed = parse_source(fixture("profile_export_aiperf.json"), set_values=USER)
    row = one(parsed)
    assert (row["model"], row["concurrency"]) == ("Qwen/Qwen3-8B", 8.0)
    assert row["latencyP50Ms"] == 2400.0 and row["latencyP95Ms"] is None and row["latencyP99Ms"] == 3500.0
    assert "latencyP95Ms not measured: AIPerf file has no request_latency.p95; left empty" in parsed.notes


def test_genai_perf_seconds_unit_is_converted(write, fixture):
    data = json.loads(fixture("genai_perf.json").read_text())
    data["request_latency"] = {"unit": "s", "p50": 2.95, "p95": 3.6}
    row = one(parse_source(write("g.json", json.dumps(data)), set_values=USER))
    assert (row["latencyP50Ms"], row["latencyP95Ms"]) == (2950.0, 3600.0)


def test_guidellm_v03_one_row_per_benchmark(fixture):
    parsed = parse_source(fixture("guidellm_v03.json"), set_values=USER)
    assert parsed.ok and parsed.rows_read == 2
    concurrent, synchronous = parsed.preview()
    assert concurrent["model"] == "Qwen/Qwen2.5-7B-Instruct" and concurrent["concurrency"] == 8.0
    assert (concurrent["latencyP50Ms"], concurrent["latencyP95Ms"], concurrent["ttftMs"]) == (3000.0, 4200.0, 180.0)
    assert concurrent["outputTokensPerSecond"] == pytest.approx(1000 / 11)  # 1000 / inter_token_latency_ms mean
    assert concurrent["outputTokensPerSecondAggregate"] == 650.0 and concurrent["concurrencyMeasured"] == 7.8
    # no inter_token_latency_ms: not measured (its time_per_output_token_ms counts the wait for the first token)
    assert synchronous["concurrency"] == 1.0 and synchronous["outputTokensPerSecond"] is None
    assert "GuideLLM layout: v0.3 (no metadata); 2 benchmarks, one trace row each" in parsed.notes


def test_guidellm_metadata_version_1(fixture):
    parsed = parse_source(fixture("guidellm_v1.json"), set_values=USER)
    row = one(parsed)
    assert (row["model"], row["concurrency"], row["latencyP95Ms"]) == ("meta-llama/Llama-3.1-8B-Instruct", 4.0,
                                                                       3100.0)
    assert row["outputTokensPerSecond"] is None  # only time_per_output_token_ms, which includes the TTFT
    assert row["failedRequests"] == 1


def test_guidellm_version_2_cache_hits_and_rate_based_concurrency(fixture):
    parsed = parse_source(fixture("guidellm_v2.json"), set_values=USER)
    assert [(p.row, p.column) for p in parsed.problems] == [(0, "concurrency")]
    row = one(parse_source(fixture("guidellm_v2.json"), set_values={**USER, "concurrency": "6"}))
    assert row["cacheHitRate"] == 0.3 and row["model"] == "Qwen/Qwen3-8B" and row["concurrency"] == 6.0
    assert row["concurrencyMeasured"] == 6.2 and row["outputTokensPerSecond"] is None


def test_inference_perf(fixture):
    values = {**USER, "model": "llama-3-70b", "concurrency": "10"}
    parsed = parse_source(fixture("summary_lifecycle_metrics.json"), set_values=values)
    row = one(parsed)
    assert (row["ttftMs"], row["latencyP50Ms"], row["latencyP95Ms"]) == (120.0, 1800.0, 2900.0)
    assert (row["inputTokens"], row["outputTokens"]) == (502.0, 150.6)
    assert row["outputTokensPerSecond"] == 50.0 and row["outputTokensPerSecondAggregate"] == 1500.0
    assert row["requestRate"] == 10.0 and row["failedRequests"] == 2


def test_set_value_clashing_with_the_file_is_a_row_problem(fixture):
    parsed = parse_source(fixture("vllm_serve.json"), set_values={**USER, "model": "other"})
    assert parsed.problems == [Problem("vllm_serve.json", 1, "model_id", "meta-llama/Llama-3.1-8B-Instruct",
                                       "clashes with the value given for every row (model='other'); keep one")]


def test_forced_benchmark_format_on_the_wrong_file_reports_what_is_missing(fixture):
    parsed = parse_source(fixture("genai_perf.json"), format="vllm", set_values=USER)
    assert {p.column for p in parsed.problems} >= {"inputTokens", "outputTokens"}


def test_unrecognised_json_names_what_it_saw(write):
    with pytest.raises(ImportFailed, match="it starts with: foo, bar"):
        parse_source(write("x.json", '{"foo": 1, "bar": 2}'))
