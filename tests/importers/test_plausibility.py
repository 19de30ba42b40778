"""Impossible rows import (they are valid field by field) but carry warnings the officer sees."""

from desktop.importers import parse_source
from desktop.importers.plausibility import MAX_TOKENS_PER_SECOND_PER_STREAM

HEADER = "route,provider,model,workload,inputTokens,outputTokens,concurrency,ttftMs,latencyP50Ms,latencyP95Ms," \
         "outputTokensPerSecond,costUsd,acceptedOutputRate,reviewMinutes,batchEligible,cacheHitRate\n"


def rows(*lines):
    return HEADER + "".join(f"Dedicated endpoint,x,m,w,{line},0.8,,false,\n" for line in lines)


def test_p50_above_p95_and_ttft_above_p50_are_warnings_not_problems(write):
    parsed = parse_source(write("t.csv", rows("1000,200,4,300,2000,1500,50,0.01",   # p50 2000 > p95 1500
                                              "1000,200,8,2500,2000,2600,50,0.01",  # ttft 2500 > p50 2000
                                              "1000,200,16,300,2000,2600,50,0.01")))
    assert parsed.ok and parsed.rows_valid == 3  # nothing refused
    assert [(w.row, w.column, w.value) for w in parsed.warnings] == [
        (1, "latencyP50Ms", 2000.0), (2, "ttftMs", 2500.0)]
    assert parsed.warnings[0].reason == "p50 latency is above the p95 latency (1500 ms): percentiles out of order"


def test_unit_slips_and_impossible_rates_are_flagged(write):
    parsed = parse_source(write("t.csv", rows("1000,200,4,300,2000,2500,50,0.01",
                                              "1200,200,8,300,2000,2500,50000,0.012",
                                              "100000000,200,16,300,2000,2500,50,12",
                                              "1100,200,32,300,2000,2500,50,0.011")))
    found = {(w.row, w.column) for w in parsed.warnings}
    assert (2, "outputTokensPerSecond") in found and 50000 > MAX_TOKENS_PER_SECOND_PER_STREAM
    # a hundred million input tokens: over any context window, and about 87,000 times the median
    # (1000, 1100, 1200, 1e8: 1150); still under the trace kit's hard bound of 1e9 (MAX_TOKENS), which refuses
    assert [w.reason for w in parsed.warnings if (w.row, w.column) == (3, "inputTokens")] == [
        "more than 10,000,000 tokens in one request",
        "orders of magnitude away from the file's median (1150): a unit slip?"]
    assert (3, "costUsd") in found  # 12 USD where the others cost about a cent: over 1000 x the median 0.0115
    assert not {(1, "costUsd"), (4, "costUsd"), (1, "inputTokens")} & found


def test_plausible_real_outputs_have_no_warning():
    from pathlib import Path
    real = Path(__file__).resolve().parents[1] / "fixtures" / "importers" / "real"
    values = {"route": "Dedicated endpoint", "provider": "p", "workload": "w", "batchEligible": "false",
              "acceptedOutputRate": "", "costUsd": "", "reviewMinutes": ""}
    for path in (real / "guidellm-0.6.1" / "benchmarks.json", real / "aiperf-0.13.0" / "c8" / "profile_export.jsonl"):
        assert parse_source(path, set_values=values).warnings == []
