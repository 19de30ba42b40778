"""`ipw verify` on an Excel export also checks the cells the Metrics formulas read (issue 12): the trace
values on the Traces sheets and the rates and volumes on the Assumptions sheet."""

from __future__ import annotations

import openpyxl
import pytest
from export_helpers import HOSTILE_TEXTS, add_rows, base_row, edge_rows, export_data, new_sample, rich_sample

from desktop.cli import main
from desktop.exports.excel import export_xlsx
from desktop.exports.verify_export import verify_export


@pytest.fixture
def signed_rich(tmp_path):
    path = rich_sample(tmp_path / "rich.ipwb")
    # extras as the importers store them: a blank cell is no extra at all (importers/records.py)
    rows = [base_row(provider=text, model=f"m{i}", **{"=cmd|' /C calc'!A0": text, **({"region": "eu"} if i else {})})
            for i, text in enumerate(HOSTILE_TEXTS)]
    add_rows(path, rows, source="hostile extras")
    assert main(["sign", str(path), "--name", "Dana", "--role", "CFO", "--decision", "approve", "--no-key"]) == 0
    return path


def _checks(report):
    return {c.name: c.ok for c in report.checks}


@pytest.mark.parametrize("rows_per_sheet", [1_000_000, 4])
def test_untouched_exports_pass_the_input_cell_checks(signed_rich, tmp_path, rows_per_sheet):
    out = tmp_path / "rich.xlsx"
    data = export_data(signed_rich)
    export_xlsx(out, data, rows_per_sheet=rows_per_sheet)
    report = verify_export(out)
    assert report.exit_code == 0, report.lines()
    assert _checks(report)["trace input cells"] is True and _checks(report)["assumption input cells"] is True
    detail = next(c.detail for c in report.checks if c.name == "trace input cells")
    assert len(data.rows) == len(edge_rows()) + len(HOSTILE_TEXTS) + 8  # the sample's 8 rows
    assert f"the {len(data.rows)} trace row(s)" in detail


def test_a_changed_trace_value_is_exit_3(signed_rich, tmp_path):
    out = tmp_path / "rich.xlsx"
    export_xlsx(out, export_data(signed_rich))
    book = openpyxl.load_workbook(out)
    sheet = book["Traces"]
    header = [c.value for c in sheet[4]]
    column = header.index("Cost (USD per request)") + 1
    cost = sheet.cell(5, column).value
    assert cost == 0.215  # the sample's first trace row
    sheet.cell(5, column).value = cost / 10  # a tenth of the price: every cost formula on Metrics follows it
    book.save(out)
    report = verify_export(out)
    assert report.exit_code == 3
    assert _checks(report)["trace input cells"] is False
    assert "trace input cells check failed" in report.summary
    assert _checks(report)["visible cells"] is True  # no decision cell changed: only this check sees it


def test_a_changed_volume_on_the_assumptions_sheet_is_exit_3(tmp_path):
    path = new_sample(tmp_path / "s.ipwb")
    assert main(["sign", str(path), "--name", "Dana", "--role", "CFO", "--decision", "approve", "--no-key"]) == 0
    out = tmp_path / "s.xlsx"
    export_xlsx(out, export_data(path))
    book = openpyxl.load_workbook(out)
    sheet = book["Assumptions"]
    row = next(r for r in sheet.iter_rows() if r[0].value == "Workload: invoice-review")
    assert row[1].value == 100000
    row[1].value = 10000
    book.save(out)
    report = verify_export(out)
    assert report.exit_code == 3
    assert any(d.startswith(f"Assumptions!B{row[1].row} (Workload: invoice-review): shows 10000")
               for d in report.differences), report.differences


def test_trace_text_the_export_had_to_change_is_said_not_compared_not_passed(tmp_path):
    path = new_sample(tmp_path / "s.ipwb")
    add_rows(path, [base_row(provider="bell\x07provider")])  # Excel cannot hold U+0007: it shows U+FFFD
    assert main(["sign", str(path), "--name", "Dana", "--role", "CFO", "--decision", "approve", "--no-key"]) == 0
    out = tmp_path / "s.xlsx"
    export_xlsx(out, export_data(path))
    report = verify_export(out)
    check = next(c for c in report.checks if c.name == "trace input cells")
    assert check.ok is None and "cannot be hashed back" in check.detail


@pytest.mark.parametrize("rows_per_sheet", [1_000_000, 4])
def test_untouched_exports_match_on_calamines_read_without_openpyxl_rows(signed_rich, tmp_path, monkeypatch,
                                                                          rows_per_sheet):
    """The quick read (calamine: numbers as floats, blanks as "") hashes the hostile and edge rows exactly as the
    workbook does, so an intact export never needs openpyxl's row-by-row read (a minute at a million rows)."""
    from desktop.exports import verify_xlsx_inputs

    out = tmp_path / "rich.xlsx"
    export_xlsx(out, export_data(signed_rich), rows_per_sheet=rows_per_sheet)
    monkeypatch.setattr(verify_xlsx_inputs, "read_trace_rows",
                        lambda book: pytest.fail("an intact export was read again with openpyxl"))
    report = verify_export(out)
    assert report.exit_code == 0, report.lines()
    assert _checks(report)["trace input cells"] is True


def test_without_calamine_the_openpyxl_read_gives_the_same_verdicts(signed_rich, tmp_path, monkeypatch):
    from desktop.exports import verify_xlsx_inputs

    monkeypatch.setattr(verify_xlsx_inputs, "quick_trace_match", lambda *args: None)
    intact, changed = tmp_path / "intact.xlsx", tmp_path / "changed.xlsx"
    export_xlsx(intact, export_data(signed_rich))
    export_xlsx(changed, export_data(signed_rich))
    book = openpyxl.load_workbook(changed)
    header = [c.value for c in book["Traces"][4]]
    book["Traces"].cell(5, header.index("Cost (USD per request)") + 1).value = 0.0215
    book.save(changed)
    assert verify_export(intact).exit_code == 0
    report = verify_export(changed)
    assert report.exit_code == 3 and _checks(report)["trace input cells"] is False


def test_a_sheet_too_big_for_calamine_is_streamed_by_openpyxl(signed_rich, tmp_path, monkeypatch):
    """Calamine holds a whole sheet in memory: past the limit (a zip bomb, say) the openpyxl stream reads it."""
    from desktop.exports import verify_xlsx_inputs

    out = tmp_path / "rich.xlsx"
    export_xlsx(out, export_data(signed_rich))
    monkeypatch.setattr(verify_xlsx_inputs, "CALAMINE_MAX_XML_BYTES", 1_000)
    monkeypatch.setattr(verify_xlsx_inputs, "_calamine_rows", lambda *args: pytest.fail("calamine was used"))
    report = verify_export(out)
    assert report.exit_code == 0 and _checks(report)["trace input cells"] is True


def test_a_panic_in_calamine_falls_back_to_openpyxl(signed_rich, tmp_path, monkeypatch):
    """A crafted file can make a Rust reader panic; pyo3 raises that as a BaseException, not an Exception."""
    from desktop.exports import verify_xlsx_inputs

    class PanicException(BaseException):  # what pyo3_runtime.PanicException is
        pass

    def panic(*args):
        raise PanicException("called `Option::unwrap()` on a `None` value")

    out = tmp_path / "rich.xlsx"
    export_xlsx(out, export_data(signed_rich))
    monkeypatch.setattr(verify_xlsx_inputs, "_calamine_rows", panic)
    report = verify_export(out)
    assert report.exit_code == 0 and _checks(report)["trace input cells"] is True
