"""Request-level logs aggregated into trace rows: linear-interpolation percentiles, failures, privacy."""

from __future__ import annotations

import pytest

from desktop.importers import Problem, parse_source

LANE = {"batchEligible": "false", "reviewMinutes": ""}
HEADER = "route,provider,model,workload,concurrency,latency_ms,ttft_ms,input_tokens,output_tokens,accepted,error\n"


def linear(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def test_requests_csv_is_aggregated_per_group(fixture):
    parsed = parse_source(fixture("requests.csv"), set_values=LANE)
    assert parsed.format == "requests" and parsed.ok, parsed.problem_lines()
    assert parsed.rows_read == 6 and parsed.rows_valid == 2
    support, invoice = parsed.preview()
    assert (support["route"], support["workload"], support["concurrency"]) == (
        "Dedicated endpoint", "support-policy", 8.0)
    successful = [1000.0, 2000.0, 3000.0, 4000.0]  # the timeout is excluded from latency
    assert support["latencyP50Ms"] == linear(successful, 0.5) == 2500.0
    assert support["latencyP95Ms"] == pytest.approx(linear(successful, 0.95)) == pytest.approx(3850.0)
    assert support["latencyP99Ms"] == pytest.approx(3970.0)
    assert support["ttftMs"] == 130.0
    assert (support["inputTokens"], support["outputTokens"]) == (1000.0, 200.0)
    assert support["cacheHitRate"] == 0.25               # (500 + 300 + 0 + 200) / 4000
    assert support["acceptedOutputRate"] == 0.6           # 3 of 5; the failed request is not accepted
    assert support["costUsd"] == pytest.approx(0.0084)    # mean over all 5 requests
    # 1000 / mean time per output token after the first: (latency - ttft) / (200 - 1) per request
    per_token_ms = [900 / 199, 1880 / 199, 2860 / 199, 3840 / 199]
    assert support["outputTokensPerSecond"] == pytest.approx(1000 / (sum(per_token_ms) / 4))
    assert (support["requestCount"], support["failedRequests"]) == (5, 1)
    assert invoice["route"] == "Dedicated endpoint" and invoice["latencyP95Ms"] == 5000.0
    assert invoice["cacheHitRate"] == 0.5 and invoice["acceptedOutputRate"] == 1.0


def test_prompt_and_response_text_is_dropped_and_reported(fixture):
    parsed = parse_source(fixture("requests.csv"), set_values=LANE)
    assert parsed.dropped_columns == ["request_id", "prompt", "response"] or \
        set(parsed.dropped_columns) == {"request_id", "prompt", "response"}
    assert "prompt/response text columns dropped for privacy: prompt, response" in parsed.notes
    assert "p50/p95/p99 latency by linear interpolation (numpy's default)" in parsed.notes[0]
    assert parsed.mapping["latency_s"] == "latencyMs" and parsed.mapping["prompt_tokens"] == "inputTokens"


def test_fields_with_no_column_are_problems_at_the_header_row(fixture):
    parsed = parse_source(fixture("requests.csv"))
    assert [(p.row, p.column) for p in parsed.problems] == [(1, "batchEligible"), (1, "reviewMinutes")]
    assert parsed.rows_valid == 0


def test_bad_request_rows_are_reported_by_line_and_left_out(write):
    text = HEADER + (
        "Managed frontier API,OpenAI,gpt,chat,4,1000,100,500,50,true,\n"
        "Managed frontier API,OpenAI,gpt,chat,4,-5,100,500,50,true,\n"
        "Managed frontier API,OpenAI,gpt,chat,4,abc,100,500,50,true,\n"
        "Managed frontier API,OpenAI,gpt,chat,4,3000,100,,50,maybe,\n"
        "Elsewhere,OpenAI,gpt,chat,4,3000,100,500,50,true,\n"
        "Managed frontier API,OpenAI,gpt,chat,4,2000,100,500,50,false,\n")
    parsed = parse_source(write("log.csv", text), set_values={**LANE, "costUsd": ""})
    assert [(p.row, p.column, p.value) for p in parsed.problems] == [
        (3, "latency_ms", "-5"), (4, "latency_ms", "abc"), (5, "input_tokens", None), (5, "accepted", "maybe"),
        (6, "route", "Elsewhere")]
    assert parsed.problems[0].reason == "must not be negative"
    assert parsed.problems[2].reason == "is required for a successful request"
    assert parsed.problems[3].reason == "must be true/false, yes/no or 1/0"
    assert parsed.rows_read == 6 and parsed.rows_rejected == 4 and parsed.rows_valid == 1
    (row,) = parsed.preview()
    assert row["requestCount"] == 2 and row["latencyP50Ms"] == 1500.0 and row["acceptedOutputRate"] == 0.5


def test_typed_fast_path_reports_negative_and_non_finite_values(write):
    text = HEADER + ("Managed frontier API,OpenAI,gpt,chat,4,1000,100,500,50,true,\n"
                     "Managed frontier API,OpenAI,gpt,chat,4,-1000,100,500,50,true,\n"
                     "Managed frontier API,OpenAI,gpt,chat,4,inf,100,500,50,true,\n")
    parsed = parse_source(write("log.csv", text), set_values={**LANE, "costUsd": ""})
    assert parsed.problems == [Problem("log.csv", 3, "latency_ms", -1000, "must not be negative"),
                               Problem("log.csv", 4, "latency_ms", float("inf"), "must be a finite number")]


def test_failures_by_status_success_and_error_columns(write):
    text = ("model,latency_ms,input_tokens,output_tokens,status,success\n"
            "m,100,10,5,200,true\nm,200,10,5,503,true\nm,300,10,5,ok,false\nm,400,10,5,timeout,true\n")
    values = {**LANE, "route": "Managed frontier API", "provider": "p", "workload": "w", "concurrency": "2",
              "acceptedOutputRate": "", "costUsd": ""}
    (row,) = parse_source(write("log.csv", text), set_values=values).preview()
    assert row["failedRequests"] == 3 and row["latencyP95Ms"] == 100.0


def test_group_without_successful_requests_is_a_clear_problem(write):
    text = HEADER + "Managed frontier API,OpenAI,gpt,chat,4,1000,100,500,50,true,boom\n"
    parsed = parse_source(write("log.csv", text), set_values={**LANE, "costUsd": ""})
    assert Problem("log.csv", 2, "input_tokens (mean of 1 requests)", None,
                   "no successful request in this group (all 1 failed)") in parsed.problems


def test_keys_given_for_the_whole_log_and_clashes(write):
    text = "model,latency_ms,input_tokens,output_tokens\nm,100,10,5\nother,200,10,5\n"
    values = {**LANE, "route": "managed frontier api", "provider": "p", "workload": "w", "concurrency": "2",
              "acceptedOutputRate": "0.9", "costUsd": "0.01"}
    parsed = parse_source(write("log.csv", text), set_values=values)
    assert parsed.ok and [r["model"] for r in parsed.preview()] == ["m", "other"]
    assert parsed.preview()[0]["route"] == "Managed frontier API" and parsed.preview()[0]["costUsd"] == 0.01
    clash = parse_source(write("log2.csv", text), set_values={**values, "model": "m"})
    assert clash.problems == [Problem("log2.csv", 3, "model", "other",
                                      "clashes with the value given for every row (model='m'); keep one")]


def test_semicolon_log_with_decimal_commas(write):
    text = ("route;provider;model;workload;concurrency;latency (s);input tokens;output tokens\n"
            "Managed frontier API;p;m;w;1;1,5;10;5\nManaged frontier API;p;m;w;1;2,5;10;5\n")
    parsed = parse_source(write("log.csv", text), set_values={**LANE, "acceptedOutputRate": "", "costUsd": ""})
    assert parsed.ok and parsed.preview()[0]["latencyP50Ms"] == 2000.0
    assert "numbers read with a decimal comma" in parsed.notes


def test_quoted_line_breaks_in_text_columns_keep_line_numbers(write):
    text = ('model,latency_ms,input_tokens,output_tokens,response\n'
            'm,100,10,5,"one\ntwo"\nm,-1,10,5,x\n')
    parsed = parse_source(write("log.csv", text), set_values={
        **LANE, "route": "Managed frontier API", "provider": "p", "workload": "w", "concurrency": "1",
        "acceptedOutputRate": "", "costUsd": ""})
    assert [(p.row, p.column) for p in parsed.problems] == [(4, "latency_ms")]


def test_jsonl_log_with_nested_usage_and_blank_lines(fixture):
    values = {**LANE, "route": "Managed frontier API", "provider": "OpenAI", "workload": "chat",
              "concurrency": "3"}
    parsed = parse_source(fixture("requests.jsonl"), set_values=values)
    assert parsed.format == "requests" and parsed.ok, parsed.problem_lines()
    (row,) = parsed.preview()
    assert row["model"] == "gpt-4o-mini" and row["latencyP50Ms"] == 1000.0 and row["ttftMs"] == 140.0
    assert row["cacheHitRate"] == pytest.approx(1200 / 3600) and row["acceptedOutputRate"] == pytest.approx(2 / 3)
    assert parsed.mapping["usage.prompt_tokens"] == "inputTokens"
    assert "response_text" in parsed.dropped_columns


def test_jsonl_problems_use_line_numbers(write):
    text = ('{"model": "m", "latency_ms": 1, "input_tokens": 1, "output_tokens": 1}\n\n'
            '{"model": "m", "latency_ms": -1, "input_tokens": 1, "output_tokens": 1}\n')
    parsed = parse_source(write("log.jsonl", text), set_values={
        **LANE, "route": "Managed frontier API", "provider": "p", "workload": "w", "concurrency": "1",
        "acceptedOutputRate": "", "costUsd": ""})
    assert [(p.row, p.column, p.value) for p in parsed.problems] == [(3, "latency_ms", -1)]


def test_llmperf_individual_responses_as_a_request_log(fixture):
    values = {**LANE, "route": "Hosted open-weight serverless", "provider": "fireworks", "model": "llama",
              "workload": "chat", "concurrency": "5", "acceptedOutputRate": "", "costUsd": ""}
    parsed = parse_source(fixture("llmperf_individual_responses.json"), set_values=values)
    (row,) = parsed.preview()
    assert row["failedRequests"] == 1 and row["latencyP50Ms"] == 2200.0 and row["ttftMs"] == 450.0
    assert row["outputTokensPerSecond"] == 70.0


def test_forced_requests_format(write):
    text = "model,latency_ms,input_tokens,output_tokens,latencyP50Ms\nm,1,1,1,1\n"
    parsed = parse_source(write("log.csv", text), format="requests", set_values={
        **LANE, "route": "Managed frontier API", "provider": "p", "workload": "w", "concurrency": "1",
        "acceptedOutputRate": "", "costUsd": ""})
    assert parsed.format == "requests" and parsed.rows_valid == 1


def test_a_missing_latency_column_is_a_header_problem(write):
    text = "route,provider,model,workload,concurrency,ttft_ms,input_tokens,output_tokens\n"
    parsed = parse_source(write("log.csv", text + "Managed frontier API,p,m,w,1,1,1,1\n"), format="requests",
                          set_values=LANE)
    assert Problem("log.csv", 1, "latencyMs", None, "column missing: a request log needs latencyMs for every "
                                                    "request") in parsed.problems
    assert parsed.rows_valid == 0
