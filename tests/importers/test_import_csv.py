"""CSV and TSV trace-kit tables: tolerant of how people write them, strict about values."""

from __future__ import annotations

import json

import pytest

from desktop.domain.trace import FIELD_NAMES
from desktop.importers import ImportFailed, Problem, parse_source
from tests.importers.conftest import BASE_TUPLE, kit_csv, row


def problems(parsed) -> list[tuple]:
    return [(p.row, p.column, p.value, p.reason) for p in parsed.problems]


def test_plain_kit_csv_imports_every_row_as_typed_tuples(write):
    parsed = parse_source(write("t.csv", kit_csv([row(), row(model="other")])))
    assert parsed.format == "csv" and parsed.header_row == 1
    assert parsed.rows_read == 2 and parsed.rows_valid == 2 and parsed.rows_rejected == 0 and parsed.ok
    rows = list(parsed.rows())
    assert rows[0] == (*BASE_TUPLE, None, None)
    assert rows[1][2] == "other"
    assert parsed.mapping == {name: name for name in FIELD_NAMES}


@pytest.mark.parametrize("headers", [
    ["route", "provider", "model", "workload", "input_tokens", "output_tokens", "cache_hit_rate", "batch_eligible",
     "concurrency", "ttft_ms", "latency_p50_ms", "latency_p95_ms", "output_tokens_per_second",
     "accepted_output_rate", "cost_usd", "review_minutes"],
    ["Route", "Provider", "Model", "Workload", "Input tokens", "Output tokens", "Cache hit rate", "Batch eligible",
     "Concurrency", "TTFT (ms)", "Latency p50 (ms)", "Latency p95 (ms)", "Output tokens per second",
     "Accepted output rate", "Cost (USD)", "Review minutes"],
])
def test_header_styles_need_no_mapping(write, headers):
    text = ",".join(headers) + "\n" + ",".join(row()[name] for name in FIELD_NAMES) + "\n"
    parsed = parse_source(write("t.csv", text))
    assert parsed.ok and list(parsed.rows()) == [(*BASE_TUPLE, None, None)]
    assert set(parsed.mapping.values()) == set(FIELD_NAMES)


def test_columns_in_any_order(write):
    columns = list(reversed(FIELD_NAMES))
    parsed = parse_source(write("t.csv", kit_csv([row()], columns=columns)))
    assert list(parsed.rows()) == [(*BASE_TUPLE, None, None)]


def test_unit_suffixes_are_converted(write):
    columns = [*FIELD_NAMES[:6], "Cache hit rate (%)", *FIELD_NAMES[7:9], "TTFT (s)", "latency_p50_s",
               "Latency p95 [sec]", *FIELD_NAMES[12:15], "Review (h)"]
    values = {**row(), "Cache hit rate (%)": "35", "TTFT (s)": "1.9", "latency_p50_s": "14.8",
              "Latency p95 [sec]": "28.2", "Review (h)": "0.5"}
    parsed = parse_source(write("t.csv", kit_csv([values], columns=columns)))
    assert parsed.ok, parsed.problem_lines()
    result = parsed.preview()[0]
    assert result["cacheHitRate"] == 0.35 and result["ttftMs"] == 1900.0
    assert result["latencyP50Ms"] == 14800.0 and result["latencyP95Ms"] == 28200.0
    assert result["reviewMinutes"] == 30.0
    assert "'TTFT (s)' converted from s to ms (x1000)" in parsed.notes


def test_a_unit_that_does_not_fit_is_a_header_problem(write):
    columns = [*FIELD_NAMES[:9], "TTFT (tokens)", *FIELD_NAMES[10:]]
    parsed = parse_source(write("t.csv", kit_csv([{**row(), "TTFT (tokens)": "1"}], columns=columns)))
    assert problems(parsed) == [(1, "TTFT (tokens)", "TTFT (tokens)", "unit 'tokens' does not fit ttftMs (ms)")]
    assert parsed.rows_valid == 0 and parsed.rows_rejected == 1


def test_percent_header_with_only_shares_is_ambiguous(write):
    columns = [*FIELD_NAMES[:6], "Cache hit (%)", *FIELD_NAMES[7:]]
    parsed = parse_source(write("t.csv", kit_csv([{**row(), "Cache hit (%)": "0.35"}], columns=columns)))
    assert [(p.row, p.column) for p in parsed.problems] == [(1, "Cache hit (%)")]
    assert "every value is at most 1" in parsed.problems[0].reason
    assert parsed.rows_valid == 0


def test_title_rows_blank_rows_bom_and_extra_columns(write):
    text = "\ufeffQ3 trace export,,,\nprepared by ops,,,\n\n" + kit_csv(
        [{**row(), "Notes": "first run", "GPU type": "H100", "runs": "3"}, {}, {**row(model="b"), "runs": "12"}],
        columns=[*FIELD_NAMES, "Notes", "GPU type", "runs"])
    parsed = parse_source(write("t.csv", text))
    assert parsed.header_row == 4 and parsed.rows_read == 2 and parsed.ok
    first, second = parsed.preview()
    assert first["Notes"] == "first run" and first["GPU type"] == "H100" and first["runs"] == 3
    assert second["runs"] == 12 and second["Notes"] is None
    assert parsed.mapping["Notes"] == "Notes"
    extras = [json.loads(t[16]) for t in parsed.rows()]
    assert extras[0] == {"Notes": "first run", "GPU type": "H100", "runs": 3}


def test_known_extra_columns_are_validated_and_typed(write):
    parsed = parse_source(write("t.csv", kit_csv([{**row(), "p99 latency (s)": "30", "GPU utilization": "120%"}],
                                                 columns=[*FIELD_NAMES, "p99 latency (s)", "GPU utilization"])))
    assert problems(parsed) == [(2, "GPU utilization", "120%", "must be between 0 and 1")]
    parsed = parse_source(write("u.csv", kit_csv([{**row(), "p99 latency (s)": "30", "GPU utilization": "60%"}],
                                                 columns=[*FIELD_NAMES, "p99 latency (s)", "GPU utilization"])))
    assert parsed.preview()[0]["latencyP99Ms"] == 30000.0 and parsed.preview()[0]["gpuUtilization"] == 0.6


def test_semicolons_with_decimal_commas(write):
    values = row(cacheHitRate="0,35", costUsd="0,215", reviewMinutes="3,5", acceptedOutputRate="84%")
    parsed = parse_source(write("t.csv", kit_csv([values], sep=";")))
    assert parsed.ok and list(parsed.rows()) == [(*BASE_TUPLE, None, None)]
    assert "numbers read with a decimal comma (';'-separated file)" in parsed.notes


def test_semicolon_file_with_decimal_points_stays_decimal_point(write):
    parsed = parse_source(write("t.csv", kit_csv([row()], sep=";")))
    assert parsed.ok and list(parsed.rows()) == [(*BASE_TUPLE, None, None)]


def test_decimal_comma_file_refuses_decimal_points(write):
    values = row(cacheHitRate="0,35", acceptedOutputRate="0,84", reviewMinutes="3,5", costUsd="0.215")
    parsed = parse_source(write("t.csv", kit_csv([values], sep=";")))
    assert problems(parsed) == [(2, "costUsd", "0.215",
                                 "must use a decimal comma like the rest of this file (no '.' in numbers)")]


def test_decimal_comma_only_with_semicolons_or_when_chosen(write):
    text = kit_csv([row(costUsd='"0,215"')])
    parsed = parse_source(write("t.csv", text))
    assert problems(parsed) == [(2, "costUsd", "0,215", "must be a number (a decimal comma is read only in "
                                                        "';'-separated files or when chosen)")]
    chosen = parse_source(write("u.csv", kit_csv([row(costUsd='"0,215"', cacheHitRate='"0,35"',
                                                      acceptedOutputRate='"0,84"', reviewMinutes='"3,5"')])),
                          decimal_comma=True)
    assert chosen.ok and list(chosen.rows()) == [(*BASE_TUPLE, None, None)]


def test_tab_separated_file(write):
    parsed = parse_source(write("t.tsv", kit_csv([row()], sep="\t")))
    assert parsed.format == "tsv" and parsed.ok


def test_percentages_booleans_and_numbers_as_text(write):
    cases = [row(cacheHitRate="35%", acceptedOutputRate=" 84 % ".strip(), batchEligible=b, inputTokens='" 6200 "')
             for b in ("FALSE", "no", "0", "n", " False ")]
    parsed = parse_source(write("t.csv", kit_csv(cases)))
    assert parsed.ok, parsed.problem_lines()
    assert all(t[:16] == BASE_TUPLE for t in parsed.rows())
    truthy = parse_source(write("u.csv", kit_csv([row(batchEligible=b) for b in ("true", "YES", "1", "y")])))
    assert [t[7] for t in truthy.rows()] == [True, True, True, True]


@pytest.mark.parametrize(("column", "value", "reason"), [
    ("inputTokens", "nan", "must be a finite number"),
    ("inputTokens", "inf", "must be a finite number"),
    ("latencyP95Ms", "-Infinity", "must be a finite number"),
    ("latencyP95Ms", "1e309", "must be a finite number"),
    ("outputTokens", "-5", "must not be negative"),
    ("cacheHitRate", "1.2", "must be between 0 and 1"),
    ("acceptedOutputRate", "-0.1", "must be between 0 and 1"),
    ("cacheHitRate", "135%", "must be between 0 and 1"),
    ("costUsd", "cheap", "must be a number"),
    ("costUsd", "12%", "must be a number (a percentage fits only a 0-1 rate)"),
    ("ttftMs", "1_000", "must be a plain number (digits, an optional sign and one decimal point)"),
    ("concurrency", "2.5", "must be a whole number"),
    ("concurrency", "0", "must be at least 1"),
    ("batchEligible", "maybe", "must be true/false, yes/no or 1/0"),
    ("route", "Owned hardware", "is not a trace route (use one of: Dedicated endpoint, Hosted open-weight "
                                "serverless, Managed frontier API, Self-hosted GPU stack)"),
    ("provider", "", "is required"),
    ("inputTokens", "", "is required"),
    ("concurrency", "   ", "is required"),
])
def test_bad_values_are_problems_with_row_column_value_and_reason(write, column, value, reason):
    parsed = parse_source(write("t.csv", kit_csv([row(), row(**{column: value})])))
    shown = value.strip() or None
    assert parsed.problems == [Problem("t.csv", 3, column, shown, reason)]
    assert parsed.rows_valid == 1 and parsed.rows_rejected == 1
    assert str(parsed.problems[0]) == f"t.csv:3:{column}: {reason} (value {(shown or '')!r})"


def test_every_bad_row_and_cell_is_reported(write):
    bad = [row(outputTokens="-1", cacheHitRate="2"), row(), row(route="nowhere"), row(costUsd="x")]
    parsed = parse_source(write("t.csv", kit_csv(bad)))
    assert [(p.row, p.column) for p in parsed.problems] == [
        (2, "outputTokens"), (2, "cacheHitRate"), (4, "route"), (5, "costUsd")]
    assert parsed.rows_rejected == 3 and parsed.rows_valid == 1


def test_blank_optional_fields_take_null_or_default(write):
    parsed = parse_source(write("t.csv", kit_csv([row(cacheHitRate="", batchEligible="", latencyP95Ms="",
                                                      costUsd="")])))
    assert parsed.ok
    (values,) = parsed.rows()
    assert values[6] is None and values[7] is False and values[11] is None and values[14] is None
    assert values[17] == "batchEligible"  # a blank cache hit rate is not observed, not a default 0


def test_missing_kit_column_is_reported_at_the_header_row(write):
    columns = [c for c in FIELD_NAMES if c not in ("costUsd", "concurrency")]
    parsed = parse_source(write("t.csv", kit_csv([row(), row()], columns=columns, above="title\n")))
    assert problems(parsed) == [
        (2, "concurrency", None, "column missing: add it, or give one value for every row "
                                 "(--set concurrency=VALUE)"),
        (2, "costUsd", None, "column missing: add it, give one value for every row (--set costUsd=VALUE), or "
                             "declare it not observed (--set costUsd=)")]
    assert parsed.rows_valid == 0 and parsed.rows_rejected == 2


def test_set_values_fill_missing_columns_and_declare_not_observed(write):
    columns = [c for c in FIELD_NAMES if c not in ("costUsd", "concurrency", "cacheHitRate")]
    parsed = parse_source(write("t.csv", kit_csv([row()], columns=columns)),
                          set_values={"concurrency": "4", "costUsd": "", "cacheHitRate": ""})
    assert parsed.ok
    (values,) = parsed.rows()
    assert values[8] == 4.0 and values[14] is None and values[6] is None and values[17] is None


def test_set_value_fills_blank_cells_and_a_different_value_is_a_row_error(write):
    parsed = parse_source(write("t.csv", kit_csv([row(provider=""), row(provider="OpenAI"),
                                                  row(provider="Azure")])), set_values={"provider": "OpenAI"})
    assert problems(parsed) == [(4, "provider", "Azure", "clashes with the value given for every row "
                                                         "(provider='OpenAI'); keep one")]
    assert [t[1] for t in parsed.rows()] == ["OpenAI", "OpenAI"]


def test_bad_set_values_fail_the_import(write):
    path = write("t.csv", kit_csv([row()]))
    with pytest.raises(ImportFailed, match="value given for cacheHitRate: must be between 0 and 1"):
        parse_source(path, set_values={"cacheHitRate": "3"})
    with pytest.raises(ImportFailed, match="cannot set 'colour'"):
        parse_source(path, set_values={"colour": "red"})
    with pytest.raises(ImportFailed, match="cannot declare route not observed"):
        parse_source(path, set_values={"route": ""})


def test_route_aliases_and_spellings(write):
    spellings = ("managed-frontier-api", "Dedicated hosted endpoint", "cloud-gpu-self-hosting",
                 " hosted open-weight serverless")
    parsed = parse_source(write("t.csv", kit_csv([row(route=r) for r in spellings])))
    assert [t[0] for t in parsed.rows()] == ["Managed frontier API", "Dedicated endpoint", "Self-hosted GPU stack",
                                             "Hosted open-weight serverless"]


def test_ragged_rows_are_row_problems(write):
    text = kit_csv([row(), row()]) + ",".join(row()[c] for c in FIELD_NAMES) + ",surplus\n"
    parsed = parse_source(write("t.csv", text))
    assert problems(parsed) == [(4, "column 17", "surplus", "the row has 17 cells but the header has 16")]
    assert parsed.rows_valid == 2


def test_quoted_line_breaks_keep_file_line_numbers(write):
    text = kit_csv([row(workload='"two\nlines"'), row(outputTokens="-1")])
    parsed = parse_source(write("t.csv", text))
    assert problems(parsed) == [(4, "outputTokens", "-1", "must not be negative")]
    assert parsed.preview()[0]["workload"] == "two\nlines"


def test_windows_1252_file_is_read_with_a_note(write):
    parsed = parse_source(write("t.csv", kit_csv([row(provider="Société Générale")]), encoding="cp1252"))
    assert parsed.ok and parsed.preview()[0]["provider"] == "Société Générale"
    assert "not UTF-8: read as Windows-1252 (Western European)" in parsed.notes


def test_utf16_tab_separated_file(write):
    parsed = parse_source(write("t.txt", "\ufeff" + kit_csv([row()], sep="\t"), encoding="utf-16-le"))
    assert parsed.format == "tsv" and parsed.ok and "decoded from UTF-16" in parsed.notes


def test_control_characters_are_removed_and_counted(write):
    parsed = parse_source(write("t.csv", kit_csv([row(provider="Open\x07AI", model="m\x00x")])))
    assert parsed.preview()[0]["provider"] == "OpenAI" and parsed.preview()[0]["model"] == "mx"
    assert "control characters removed from 2 text cells" in parsed.notes


def test_unclosed_quote_swallowing_the_file_is_a_problem_not_a_crash(write):
    text = kit_csv([row(), row(model='"never closed')]) + "\n".join(
        ",".join(row()[c] for c in FIELD_NAMES) for _ in range(5))
    parsed = parse_source(write("t.csv", text))
    assert parsed.rows_valid >= 1 and parsed.problems


def test_prompt_and_response_columns_are_dropped_and_reported(write):
    parsed = parse_source(write("t.csv", kit_csv([{**row(), "prompt": "secret", "response": "also"}],
                                                 columns=[*FIELD_NAMES, "prompt", "response"])))
    assert parsed.dropped_columns == ["prompt", "response"]
    assert "prompt" not in parsed.preview()[0]


def test_no_header_row_fails_with_advice(write):
    with pytest.raises(ImportFailed, match="no header row found"):
        parse_source(write("t.csv", "a,b,c\n1,2,3\n"))


def test_header_only_file_has_no_rows(write):
    parsed = parse_source(write("t.csv", kit_csv([])))
    assert parsed.rows_read == 0 and parsed.rows_valid == 0 and parsed.ok


def test_two_columns_for_one_field_is_a_header_problem(write):
    parsed = parse_source(write("t.csv", kit_csv([{**row(), "Input tokens": "5"}],
                                                 columns=[*FIELD_NAMES, "Input tokens"])))
    assert problems(parsed) == [(1, "Input tokens", "Input tokens",
                                 "a second column for inputTokens (first: 'inputTokens'); keep one")]


def test_quoted_empty_cells_are_blank(write):
    parsed = parse_source(write("t.csv", kit_csv([row(latencyP95Ms='""', costUsd='" "')])))
    assert parsed.ok and parsed.preview()[0]["latencyP95Ms"] is None and parsed.preview()[0]["costUsd"] is None
