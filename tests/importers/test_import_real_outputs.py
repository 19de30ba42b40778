"""Files written by the real benchmark tools (tests/fixtures/importers/real/, see its README) import with the
values the tools wrote. Every expected number below is copied from the README's tables, which were read from
the tools' own fields (and match their console summaries), not from the importer."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.importers import ImportFailed, parse_source

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "importers" / "real"
USER = {"route": "Self-hosted GPU stack", "provider": "mock server", "workload": "fixtures",
        "batchEligible": "false", "acceptedOutputRate": "0.8", "costUsd": "", "reviewMinutes": ""}
# (model, concurrency, input tokens, output tokens, TTFT p50, latency p50, latency p95, 1000 / ITL, output tok/s)
GUIDELLM = {
    "0.3.1": [("mock-llm", 2, 70.20, 32.00, 50.17, 222.55, 454.48, 158.94, 228.78),
              ("mock-llm", 8, 70.40, 32.00, 61.12, 292.80, 603.32, 173.35, 663.22)],
    "0.6.1": [("mock-llm", 2, 56.35, 29.15, 43.80, 198.22, 241.37, 188.81, 300.79),
              ("mock-llm", 8, 58.35, 29.95, 52.77, 222.63, 272.32, 182.44, 924.77)],
    "0.8.1": [("mock-llm", 2, 58.25, 30.75, 54.40, 194.37, 505.07, 143.30, 220.37),
              ("mock-llm", 8, 60.65, 30.30, 47.03, 208.36, 244.54, 189.41, 956.30)],
}
AIPERF = {2: ("mock-llm", 2, 64.00, 41.40, 52.32, 199.77, 329.73, 242.37, 358.37),
          8: ("mock-llm", 8, 64.00, 42.00, 50.81, 225.82, 292.89, 242.95, 1230.16)}
# AIPerf 0.12.0: the 0.13 layout without the server usage metrics (usage_*) 0.13 added
AIPERF_0_12 = {2: ("mock-llm", 2, 64.00, 41.30, 49.04, 206.36, 292.06, 266.01, 372.00),
               8: ("mock-llm", 8, 64.00, 41.05, 50.69, 214.82, 243.04, 255.15, 1209.06)}
INFERENCE_PERF = {2: ("mock-llm", 2, 59.45, 29.10, 45.50, 172.58, 235.20, 299.35, 432.28),
                  8: ("mock-llm", 8, 58.90, 28.65, 44.26, 173.43, 204.12, 303.95, 723.11)}
# inference-perf 0.6.1: input tokens from successes.prompt_tokens (server), not prompt_len (client, 62.50 / 63.05)
INFERENCE_PERF_0_6 = {2: ("mock-llm", 2, 61.00, 28.45, 42.90, 206.35, 698.49, 232.24, 301.94),
                      8: ("mock-llm", 8, 56.60, 29.25, 52.67, 232.81, 310.21, 227.41, 733.82)}
# SGLang 0.5.23 bench_serving.jsonl, one line per run (the model is not recorded: given with --set)
SGLANG = [("mock-llm", 2, 64.00, 32.00, 44.89, 217.92, 273.19, 174.81, 285.79),
          ("mock-llm", 8, 64.00, 32.00, 47.26, 181.66, 205.22, 229.30, 1113.02)]
# vLLM 0.33.0 bench serve --save-result with e2el percentiles (vllm-c2.json, vllm-c8.json)
# vLLM 0.10.2 (the last 0.10 patch) writes the same keys minus backend, failed, latencies, queue_times, rtfx,
# max_concurrent_requests, max_output_tokens_per_s: its e2el percentiles are recorded, so nothing is computed
VLLM = {"0.33.0": {2: ("mock-llm", 2, 53.15, 30.40, 44.24, 167.80, 185.18, 239.37, 361.84),
                   8: ("mock-llm", 8, 53.15, 31.10, 45.33, 171.62, 184.46, 239.25, 1206.68)},
        "0.10.2": {2: ("mock-llm", 2, 64.00, 29.85, 41.74, 165.11, 179.03, 242.43, 364.39),
                   8: ("mock-llm", 8, 64.00, 29.40, 45.59, 173.56, 191.34, 232.17, 1167.42)}}
# GenAI-Perf 0.0.16 (perf_analyzer from tritonclient 2.51.0), profile_export_genai_perf.json
GENAI_PERF = {2: ("mock-llm", 2, 64.00, 41.70, 42.82, 184.54, 250.01, 286.55, 425.17),
              8: ("mock-llm", 8, 64.00, 41.80, 41.08, 209.59, 229.98, 243.94, 1296.24)}
FIELDS = ("model", "concurrency", "inputTokens", "outputTokens", "ttftMs", "latencyP50Ms", "latencyP95Ms",
          "outputTokensPerSecond", "outputTokensPerSecondAggregate")


def check(row, expected):
    for name, value in zip(FIELDS, expected):
        if isinstance(value, str):
            assert row[name] == value, name
        else:  # the README rounds to two decimals
            assert row[name] == pytest.approx(value, abs=0.006), name


def rows(path, **extra):
    parsed = parse_source(path, set_values={**USER, **extra})
    assert parsed.ok, parsed.problem_lines()
    return parsed, parsed.preview()


@pytest.mark.parametrize("version", sorted(GUIDELLM))
def test_guidellm_every_layout_gives_one_row_per_concurrency(version):
    parsed, found = rows(REAL / f"guidellm-{version}" / "benchmarks.json")
    assert parsed.format == "guidellm" and len(found) == 2
    for row, expected in zip(found, GUIDELLM[version]):
        check(row, expected)
    assert any(note.startswith("outputTokensPerSecond (per stream) = 1000 / mean time per output token")
               for note in parsed.notes)


@pytest.mark.parametrize(("version", "summary"), [("0.13.0", AIPERF), ("0.12.0", AIPERF_0_12)])
@pytest.mark.parametrize("concurrency", [2, 8])
def test_aiperf_summary_records_model_and_concurrency(version, summary, concurrency):
    """Refused before: 'model: is not recorded', 'concurrency: is not recorded' (issue 13)."""
    parsed, (row,) = rows(REAL / f"aiperf-{version}" / f"c{concurrency}" / "profile_export_aiperf.json")
    assert parsed.format == "aiperf"
    check(row, summary[concurrency])


@pytest.mark.parametrize(("version", "summary"), [("0.7.0", INFERENCE_PERF), ("0.6.1", INFERENCE_PERF_0_6)])
@pytest.mark.parametrize("concurrency", [2, 8])
def test_inference_perf_stage_file_with_server_token_counts(version, summary, concurrency):
    """Refused before: 'inputTokens: is not recorded'; the output tokens are the server's, not output_len."""
    parsed, (row,) = rows(REAL / f"inference-perf-{version}" / f"c{concurrency}" / "stage_0_lifecycle_metrics.json",
                          model="mock-llm")  # the model is in config.yaml, not in the result file
    assert parsed.format == "inference-perf"
    check(row, summary[concurrency])
    assert row["cacheHitRate"] is None  # inference-perf writes 0 cached tokens when the server reports none


def test_sglang_current_layout_with_p95_and_total_input_tokens():
    parsed = parse_source(REAL / "sglang-0.5.23" / "bench_serving.jsonl", set_values=USER)
    assert [(p.row, p.column) for p in parsed.problems] == [(0, "model")]  # SGLang records no model id
    parsed, found = rows(REAL / "sglang-0.5.23" / "bench_serving.jsonl", model="mock-llm")
    assert parsed.format == "sglang" and len(found) == 2
    for row, expected in zip(found, SGLANG):
        check(row, expected)


def test_inference_perf_summary_of_a_run_still_asks_for_concurrency():
    parsed = parse_source(REAL / "inference-perf-0.7.0" / "c2" / "summary_lifecycle_metrics.json",
                          set_values={**USER, "model": "mock-llm"})
    assert [(p.row, p.column) for p in parsed.problems] == [(0, "concurrency")]


@pytest.mark.parametrize(("tool", "name", "summary"), [
    ("aiperf-0.13.0", "profile_export.jsonl", AIPERF),
    ("aiperf-0.12.0", "profile_export.jsonl", AIPERF_0_12),
    ("inference-perf-0.7.0", "per_request_lifecycle_metrics.json", INFERENCE_PERF),
    ("inference-perf-0.6.1", "per_request_lifecycle_metrics.json", INFERENCE_PERF_0_6),
])
@pytest.mark.parametrize("concurrency", [2, 8])
def test_per_request_file_aggregates_to_the_tools_own_summary(tool, name, summary, concurrency):
    """One trace row per (model, concurrency); p50/p95 within 1% of the tool's own summary; model and
    concurrency from the tool's files beside the per-request file."""
    parsed, (row,) = rows(REAL / tool / f"c{concurrency}" / name)
    assert parsed.format == "requests"
    model, configured, _, _, _, p50, p95, per_stream, _ = summary[concurrency]
    assert row["model"] == model and row["concurrency"] == configured
    assert row["latencyP50Ms"] == pytest.approx(p50, rel=0.01)
    assert row["latencyP95Ms"] == pytest.approx(p95, rel=0.01)
    assert row["requestCount"] == 20 and row["failedRequests"] == 0
    if tool.startswith("aiperf"):  # AIPerf's inter-token latency is (latency - TTFT) / (tokens - 1) per request
        assert row["outputTokensPerSecond"] == pytest.approx(per_stream, rel=0.01)
    assert any("beside the per-request file" in note for note in parsed.notes)


def test_per_request_file_alone_asks_for_model_and_concurrency(tmp_path):
    lonely = tmp_path / "profile_export.jsonl"
    lonely.write_bytes((REAL / "aiperf-0.13.0" / "c2" / "profile_export.jsonl").read_bytes())
    parsed = parse_source(lonely, set_values=USER)
    assert sorted(p.column for p in parsed.problems) == ["concurrency", "model"]
    row = parse_source(lonely, set_values={**USER, "model": "mock-llm", "concurrency": "2"}).preview()[0]
    assert row["latencyP50Ms"] == pytest.approx(199.77, abs=0.006)


@pytest.mark.parametrize(("version", "summary"), [("0.13.0", AIPERF), ("0.12.0", AIPERF_0_12)])
@pytest.mark.parametrize("concurrency", [2, 8])
def test_aiperf_csv_export_gives_the_json_values_to_its_two_decimals(version, summary, concurrency):
    """Refused before (no trace header); the CSV keeps two decimals, so the per-stream rate (1000 / ITL with
    ITL rounded to two decimals, e.g. 4.13 ms) is within 0.5% of the JSON's."""
    parsed, (row,) = rows(REAL / f"aiperf-{version}" / f"c{concurrency}" / "profile_export_aiperf.csv")
    assert parsed.format == "aiperf"
    model, configured, *numbers = summary[concurrency]
    assert (row["model"], row["concurrency"]) == (model, configured)  # from the JSON beside it
    for name, value in zip(FIELDS[2:], numbers):
        assert row[name] == pytest.approx(value, rel=0.005 if name == "outputTokensPerSecond" else 0, abs=0.006)


@pytest.mark.parametrize("version", sorted(VLLM))
@pytest.mark.parametrize("concurrency", (2, 8))
def test_vllm_bench_serve_layouts_0_10_and_current(version, concurrency):
    parsed, (row,) = rows(REAL / f"vllm-{version}" / f"vllm-c{concurrency}.json")
    assert parsed.format == "vllm"
    check(row, VLLM[version][concurrency])


def test_inference_perf_0_6_per_request_records_without_computed_metrics():
    """0.6 writes start_time, end_time and output token times, no computed_metrics: latency and TTFT are
    computed from them as inference-perf does, giving the stage file's TTFT median too."""
    parsed, (row,) = rows(REAL / "inference-perf-0.6.1" / "c8" / "per_request_lifecycle_metrics.json")
    assert row["ttftMs"] == pytest.approx(INFERENCE_PERF_0_6[8][4], rel=0.01)
    assert row["inputTokens"] == pytest.approx(INFERENCE_PERF_0_6[8][2], abs=0.006)  # the server's counts
    assert any("0.6 layout" in note for note in parsed.notes)


@pytest.mark.parametrize("concurrency", sorted(GENAI_PERF))
def test_genai_perf_summary_records_model_and_concurrency(concurrency):
    parsed, (row,) = rows(REAL / "genai-perf-0.0.16" / f"c{concurrency}" / "profile_export_genai_perf.json")
    assert parsed.format == "genai-perf"
    check(row, GENAI_PERF[concurrency])


@pytest.mark.parametrize("concurrency", sorted(GENAI_PERF))
def test_genai_perf_csv_gives_the_json_values_with_model_and_concurrency_from_the_json_beside_it(concurrency):
    """Refused before: model and concurrency 'not recorded', and c8's quoted total "1,296.24" 'must be a number'."""
    parsed, (row,) = rows(REAL / "genai-perf-0.0.16" / f"c{concurrency}" / "profile_export_genai_perf.csv")
    assert parsed.format == "genai-perf"
    model, configured, *numbers = GENAI_PERF[concurrency]
    assert (row["model"], row["concurrency"]) == (model, configured)
    for name, value in zip(FIELDS[2:], numbers):
        assert row[name] == pytest.approx(value, rel=0.005 if name == "outputTokensPerSecond" else 0, abs=0.006)
    assert any("read from profile_export_genai_perf.json beside the CSV" in note for note in parsed.notes)


def test_genai_perf_raw_export_is_refused_with_the_reason_and_the_file_to_import_instead():
    with pytest.raises(ImportFailed) as refused:
        parse_source(REAL / "genai-perf-0.0.16" / "c2" / "profile_export.json", set_values=USER)
    assert "no token counts" in refused.value.message
    assert "import the profile_export_genai_perf.json (or .csv) written beside it instead" in refused.value.message
