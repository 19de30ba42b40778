"""Issue 15, failure 8 (import part): nothing a received file holds is changed or dropped without a word.

Underflowing numbers (1e-400 became 0), absurd token counts (1e300), NUL bytes, a second trace sheet that was
ignored, and a macro workbook stored with its vbaProject.bin.
"""

import sqlite3

import pytest

from desktop.domain.trace import FIELD_NAMES
from desktop.importers import parse_source
from tests.importers.workbooks import rezip, write_xlsx
from tests.perf.hostile_files import TRACE_HEADER, TRACE_ROW

TYPED = ["Managed frontier API", "OpenAI", "gpt-4o", "chat", 1200, 300, 0.1, False, 4, 210, 850, 1900, 62.5, 0.9,
         0.012, 0.5]


def csv_with(tmp_path, *rows):
    path = tmp_path / "traces.csv"
    path.write_bytes((TRACE_HEADER + "\n" + "\n".join(rows) + "\n").encode())
    return path


@pytest.mark.parametrize("column, text, reason", [
    ("inputTokens", "1e-400", "is too small to represent (it would become 0)"),
    ("costUsd", "1e-400", "is too small to represent (it would become 0)"),
    ("inputTokens", "1e300", "not a measurement"),
    ("outputTokens", "2000000000", "must be at most 1,000,000,000"),
])
def test_numbers_that_are_not_measurements_are_problems(tmp_path, column, text, reason):
    headers = TRACE_HEADER.split(",")
    cells = TRACE_ROW.split(",")
    cells[headers.index(column)] = text
    parsed = parse_source(csv_with(tmp_path, TRACE_ROW, ",".join(cells)))
    assert parsed.rows_valid == 1
    [problem] = parsed.problems
    assert (problem.row, problem.column, problem.value) == (3, column, text)
    assert reason in problem.reason


def test_a_true_zero_is_still_zero(tmp_path):
    headers = TRACE_HEADER.split(",")
    cells = TRACE_ROW.split(",")
    cells[headers.index("costUsd")] = "0.000e-5"
    parsed = parse_source(csv_with(tmp_path, ",".join(cells)))
    assert not parsed.problems and list(parsed.rows())[0][FIELD_NAMES.index("costUsd")] == 0.0


def test_nul_bytes_are_removed_with_a_note(tmp_path):
    parsed = parse_source(csv_with(tmp_path, TRACE_ROW.replace("OpenAI", "Open\x00AI")))
    assert list(parsed.rows())[0][1] == "OpenAI"
    assert "control characters removed from 1 text cells" in parsed.notes


def test_a_second_trace_sheet_is_named_not_ignored(tmp_path):
    path = write_xlsx(tmp_path / "two.xlsx", {"March": [list(FIELD_NAMES), TYPED],
                                              "April": [list(FIELD_NAMES), TYPED, TYPED]})
    parsed = parse_source(path)
    assert parsed.sheet == "March" and parsed.rows_valid == 1
    assert any("sheet 'April' also has a trace header row and was not imported" in n for n in parsed.notes)
    chosen = parse_source(path, sheet="April")
    assert chosen.rows_valid == 2 and not any("also has a trace header" in n for n in chosen.notes)


def test_macro_workbook_original_is_not_stored(tmp_path):
    from desktop.cli import main as ipw
    plain = write_xlsx(tmp_path / "plain.xlsx", {"S": [list(FIELD_NAMES), TYPED]})
    macros = rezip(plain, tmp_path / "t.xlsm", add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 fake vba"})
    workbook = tmp_path / "w.ipwb"
    assert ipw(["new", str(workbook)]) == 0
    assert ipw(["import", str(workbook), str(macros)]) == 0
    conn = sqlite3.connect(workbook)
    blob, details = conn.execute("SELECT blob_sha256, details FROM imports WHERE source LIKE '%t.xlsm'").fetchone()
    assert blob is None and "carries macros" in details
    assert not any(b"vba" in bytes(data) for (data,) in conn.execute("SELECT data FROM blobs"))


REQUEST_HEADER = "route,provider,model,workload,concurrency,latency_ms,ttft_ms,input_tokens,output_tokens,accepted,error\n"


@pytest.mark.parametrize("tokens, reason", [("12.5", "must be a whole number"),
                                            ("1e300", "not a measurement")])
def test_one_requests_token_count_is_a_whole_measurement(tmp_path, tokens, reason):
    """A request log holds one request per row: 12.5 or 1e300 input tokens is not a count (a trace row's
    tokens are means over requests and may be fractional)."""
    path = tmp_path / "log.csv"
    path.write_text(REQUEST_HEADER + "Managed frontier API,OpenAI,gpt,chat,4,1000,100,500,50,true,\n"
                    f"Managed frontier API,OpenAI,gpt,chat,4,1000,100,{tokens},50,true,\n")
    parsed = parse_source(path, set_values={"batchEligible": "false", "reviewMinutes": "", "costUsd": ""})
    [problem] = parsed.problems
    assert (problem.row, problem.column) == (3, "input_tokens") and reason in problem.reason
    assert parsed.rows_rejected == 1
