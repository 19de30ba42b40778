"""LiteLLM proxy spend-log rows import as a request log. The fixture rows were written by litellm 1.108.7 itself
(tests/fixtures/importers/real/litellm-1.108.7/, see the README there); every expected number below is copied
from the README's table, which was computed from the rows' own timestamps and token counts, not by the importer.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.importers import parse_source

SPEND_LOGS = Path(__file__).resolve().parents[1] / "fixtures" / "importers" / "real" / "litellm-1.108.7"
# What a spend-log row does not say, given by the user (acceptedOutputRate and reviewMinutes: not observed).
ASKED = {"route": "Managed frontier API", "provider": "mock server", "workload": "fixtures",
         "batchEligible": "false", "acceptedOutputRate": "", "reviewMinutes": ""}
# README table: (concurrency, requests, prompt tokens mean, completion tokens mean, latency p50, p95, p99,
# TTFT p50, spend mean USD)
README = {2: (2, 20, 136.00, 30.25, 170.715, 274.065, 1528.762, 43.957, 0.000113375),
          8: (8, 20, 136.00, 29.50, 170.211, 196.441, 197.141, 44.514, 0.00011225)}


def ipw(capsys, *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def rows_of(name: str) -> list[dict]:
    return [json.loads(line) for line in (SPEND_LOGS / name).read_text(encoding="utf-8").splitlines()]


def write_rows(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("concurrency", [2, 8])
def test_ipw_import_of_spend_logs_gives_the_readme_values(tmp_path, capsys, concurrency):
    workbook = tmp_path / "w.ipwb"
    assert ipw(capsys, "new", workbook)[0] == 0
    settings = [f"--set={name}={value}" for name, value in {**ASKED, "concurrency": concurrency}.items()]
    code, out, err = ipw(capsys, "import", workbook, SPEND_LOGS / f"spend-logs-c{concurrency}.jsonl", *settings,
                         "--json")
    assert code == 0, err
    (done,) = json.loads(out)["imports"]
    assert (done["format"], done["rowsRead"], done["rowsImported"], done["rowsRejected"]) == ("requests", 20, 1, 0)
    code, out, err = ipw(capsys, "traces", workbook, "--json")
    assert code == 0, err
    (trace,) = json.loads(out)["traces"]
    expected_concurrency, _, prompt, completion, p50, p95, p99, ttft, spend = README[concurrency]
    assert (trace["model"], trace["concurrency"], trace["route"]) == ("mock-llm", expected_concurrency,
                                                                      "Managed frontier API")
    assert trace["inputTokens"] == pytest.approx(prompt) and trace["outputTokens"] == pytest.approx(completion)
    # the README rounds milliseconds to three decimals
    assert trace["latencyP50Ms"] == pytest.approx(p50, abs=0.0006)
    assert trace["latencyP95Ms"] == pytest.approx(p95, abs=0.0006)
    assert trace["latencyP99Ms"] == pytest.approx(p99, abs=0.0006)
    assert trace["ttftMs"] == pytest.approx(ttft, abs=0.0006)
    assert trace["costUsd"] == pytest.approx(spend, rel=1e-9)
    # no row reports cached prompt tokens, and LiteLLM's cache_hit is its response cache: not observed, not 0
    assert trace["cacheHitRate"] is None and trace["acceptedOutputRate"] is None


def test_fields_a_spend_log_lacks_are_asked_for_and_the_model_is_read():
    parsed = parse_source(SPEND_LOGS / "spend-logs-c2.jsonl")
    assert parsed.format == "requests" and parsed.rows_valid == 0
    asked = {p.column for p in parsed.problems}
    assert {"route", "provider", "workload", "concurrency", "batchEligible"} <= asked
    assert not asked & {"model", "latencyMs", "inputTokens", "outputTokens", "costUsd", "ttftMs", "cacheHitRate"}
    assert parsed.mapping == {"latency_ms": "latencyMs", "ttft_ms": "ttftMs", "input_tokens": "inputTokens",
                              "output_tokens": "outputTokens", "cost_usd": "costUsd", "model": "model",
                              "status": "status"}
    assert any(note.startswith("LiteLLM spend logs: latency = endTime - startTime") for note in parsed.notes)


def test_unpriced_and_unstreamed_requests_leave_cost_and_ttft_not_observed(tmp_path):
    # LiteLLM writes spend null when it has no price, and completionStartTime = endTime when no first token
    # was seen (a request that was not streamed): neither is a zero.
    rows = rows_of("spend-logs-c8.jsonl")
    for row in rows:
        row.update(spend=None, completionStartTime=row["endTime"])
    parsed = parse_source(write_rows(tmp_path / "spend.jsonl", rows), set_values={**ASKED, "concurrency": "8"})
    assert parsed.ok, parsed.problem_lines()
    (trace,) = parsed.preview()
    assert trace["costUsd"] is None and trace["ttftMs"] is None and trace["outputTokensPerSecond"] is None
    assert trace["latencyP50Ms"] == pytest.approx(README[8][4], abs=0.0006)


def test_failed_requests_and_reported_cached_tokens(tmp_path):
    rows = rows_of("spend-logs-c8.jsonl")
    rows[0]["status"] = "failure"
    for row in rows[1:]:
        metadata = json.loads(row["metadata"])
        metadata["usage_object"]["prompt_tokens_details"] = {"cached_tokens": 64}
        row["metadata"] = json.dumps(metadata)
    parsed = parse_source(write_rows(tmp_path / "spend.jsonl", rows), set_values={**ASKED, "concurrency": "8"})
    assert parsed.ok, parsed.problem_lines()
    (trace,) = parsed.preview()
    assert (trace["requestCount"], trace["failedRequests"]) == (20, 1)
    succeeded = rows[1:]
    assert trace["inputTokens"] == pytest.approx(sum(r["prompt_tokens"] for r in succeeded) / 19)
    assert trace["cacheHitRate"] == pytest.approx(64 * 19 / sum(r["prompt_tokens"] for r in succeeded))


def test_an_unreadable_timestamp_is_a_problem_on_its_line(tmp_path):
    rows = rows_of("spend-logs-c2.jsonl")
    rows[4]["endTime"] = "yesterday"
    parsed = parse_source(write_rows(tmp_path / "spend.jsonl", rows), set_values={**ASKED, "concurrency": "2"})
    assert [(p.row, p.column, p.reason) for p in parsed.problems] == [
        (5, "latency_ms", "is required for a successful request")]


def test_a_json_array_export_with_iso_timestamps_reads_the_same(tmp_path):
    # A database's JSON export of the table: one array, timestamps as 2026-12-06T18:59:22.336472Z
    rows = rows_of("spend-logs-c8.jsonl")
    for row in rows:
        for key in ("startTime", "endTime", "completionStartTime"):
            row[key] = row[key].replace(" ", "T").replace("+00:00", "Z")
    path = tmp_path / "spend.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    parsed = parse_source(path, set_values={**ASKED, "concurrency": "8"})
    assert parsed.ok, parsed.problem_lines()
    (trace,) = parsed.preview()
    _, _, _, _, p50, p95, _, ttft, _ = README[8]
    assert trace["latencyP50Ms"] == pytest.approx(p50, abs=0.0006)
    assert trace["latencyP95Ms"] == pytest.approx(p95, abs=0.0006)
    assert trace["ttftMs"] == pytest.approx(ttft, abs=0.0006)
