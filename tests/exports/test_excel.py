"""The Excel export read back: sheets, formatting, text safety, live formulas, atomic writing, LibreOffice."""

from __future__ import annotations

import json
import os
import re
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from export_helpers import (HOSTILE_TEXTS, add_rows, base_row, export_data, new_sample, recalculate, rich_sample,
                            set_gate, soffice)

from desktop.cli import main
from desktop.exports import excel
from desktop.exports.excel import CONTENT_SHEET, export_xlsx
from desktop.exports.excel_text import CONTROL_MARK, EXCEL_CELL_LIMIT, clean_text, unescape_cell_text
from desktop.exports.matrix import DRAFT_MARK

SHEETS = ["Summary", "Procurement matrix", "Gates", "Readiness", "Plan", "Traces", "Metrics", "Assumptions", "Audit"]


@pytest.fixture
def sample_path(tmp_path):
    return new_sample(tmp_path / "sample.ipwb")


@pytest.fixture
def rich_path(tmp_path):
    return rich_sample(tmp_path / "rich.ipwb")


def _export(path: Path, out: Path, **kwargs) -> Path:
    export_xlsx(out, export_data(path), **kwargs)
    return out


def _summary_value(ws, label):
    for row in ws.iter_rows(min_col=1, max_col=2):
        if row[0].value == label:
            return row[1]
    raise AssertionError(f"no {label!r} on {ws.title}")


# ---------------------------------------------------------------------------------------------- text safety

def test_clean_text_marks_control_characters_and_unifies_line_ends():
    assert clean_text("a\x07b\x00c\x1fd") == f"a{CONTROL_MARK}b{CONTROL_MARK}c{CONTROL_MARK}d"
    assert clean_text("one\r\ntwo\rthree\tfour\n") == "one\ntwo\nthree\tfour\n"
    assert clean_text("=1+1") == "=1+1"  # text stays as it is; the writer makes it a string cell


@pytest.mark.parametrize("text", ["x" * 40_000, "\U0001F600" * 20_000, "a" * (EXCEL_CELL_LIMIT + 1)])
def test_clean_text_truncates_over_the_cell_limit_with_a_visible_marker(text):
    result = clean_text(text)
    assert len(result.encode("utf-16-le")) // 2 <= EXCEL_CELL_LIMIT
    assert "[truncated:" in result and "more characters not shown]" in result
    removed = int(re.search(r"truncated: ([\d,]+)", result).group(1).replace(",", ""))
    assert removed == len(text) - len(result.split(" \u2026 [truncated")[0])


def test_clean_text_keeps_text_at_the_limit():
    text = "b" * EXCEL_CELL_LIMIT
    assert clean_text(text) == text


def test_unescape_cell_text_undoes_ooxml_escapes():
    assert unescape_cell_text("a_x0007_b") == "a\x07b"
    assert unescape_cell_text("_x005F_x0041_") == "_x0041_"


# ---------------------------------------------------------------------------------------------- structure

def test_every_sheet_is_present_with_draft_marks_and_the_fingerprint(sample_path, tmp_path):
    data = export_data(sample_path)
    out = _export(sample_path, tmp_path / "out.xlsx")
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == SHEETS + [CONTENT_SHEET]
    assert book[CONTENT_SHEET].sheet_state == "veryHidden"
    assert book[CONTENT_SHEET].protection.sheet
    for name in SHEETS:
        ws = book[name]
        assert ws.sheet_state == "visible"
        assert ws["A2"].value == DRAFT_MARK, name
        assert DRAFT_MARK in (ws.oddHeader.left.text or ""), name
    shown = _summary_value(book["Summary"], "Fingerprint (SHA-256)").value
    assert shown.replace(" ", "").lower() == data.fingerprint
    assert _summary_value(book["Summary"], "Recommended route").value == data.recommendation.route_name
    assert book.properties.keywords.endswith(data.fingerprint)


def test_formatting_finance_expects(sample_path, tmp_path):
    out = _export(sample_path, tmp_path / "out.xlsx", paper="letter")
    book = openpyxl.load_workbook(out)
    traces = book["Traces"]
    assert traces.freeze_panes == "C5"
    assert traces.print_title_rows == "$4:$4"
    assert traces.page_setup.orientation == "landscape"
    assert traces.page_setup.paperSize == 1  # US Letter
    assert traces.column_dimensions["E"].width > 20
    table = traces.tables["Traces"]
    # 8 sample rows (3 template + 5 illustrative) below the header; the illustrative rows' provenance extra adds
    # one column after the eighteen (A..R)
    assert table.ref == "A4:S12"
    assert table.autoFilter is not None
    headers = [c.value for c in traces[4]]
    assert headers[:4] == ["Trace id", "Import id", "Route", "Provider"]
    assert "Latency p95 (ms)" in headers and "Cost (USD per request)" in headers
    p95 = traces.cell(5, headers.index("Latency p95 (ms)") + 1)
    assert p95.number_format == '#,##0" ms"'
    assert traces.cell(5, headers.index("Cache hit rate") + 1).number_format == "0.0%"
    assert traces.cell(5, headers.index("Cost (USD per request)") + 1).number_format == '"$"#,##0.0000'
    metrics = book["Metrics"]
    assert metrics.freeze_panes == "A5"
    assert metrics["AB5"].number_format == '"$"#,##0.00'
    summary = book["Summary"]
    rate = _summary_value(summary, "Reviewer rate (USD per hour)")
    assert rate.value == 60 and rate.number_format == '"$"#,##0.00'
    assert book.defined_names["ReviewerRateUsdPerHour"].attr_text == f"Summary!$B${rate.row}"


def test_native_bar_chart_of_cost_per_accepted_output_by_route(sample_path, tmp_path):
    out = _export(sample_path, tmp_path / "out.xlsx")
    with zipfile.ZipFile(out) as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 1
        chart = archive.read(charts[0]).decode()
        rels = archive.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
    assert "<c:barChart>" in chart and "Metrics!$A$5:$A$8" in chart
    assert "Metrics!$C$5:$C$8" in chart and "Metrics!$E$5:$E$8" in chart
    assert "drawing" in rels  # on the Summary sheet


def test_user_and_imported_text_is_never_a_formula(tmp_path):
    path = new_sample(tmp_path / "hostile.ipwb")
    long_note = "L" * 40_000
    assert main(["context", str(path), "--title", HOSTILE_TEXTS[0], "--organisation", "@SUM(1,1)",
                 "--workload", "@evil()=10"]) == 0
    set_gate(path, "demand-shape", "--note=-2+3\x07bell", "--status", "passed", "--justification", "+1+1")
    set_gate(path, "demand-shape", "--item", "1", "--note", long_note, "--owner", "=owner()")
    set_gate(path, "utilization-proof", "--item", "2", "--evidence-id", "=HYPERLINK(\"http://x\")")
    rows = [base_row(provider=text, model=f"m{i}", workload=text, **{"=cmd|' /C calc'!A0": text})
            for i, text in enumerate(HOSTILE_TEXTS)]
    add_rows(path, rows, source="=import()")
    out = _export(path, tmp_path / "hostile.xlsx")

    book = openpyxl.load_workbook(out)
    strings = set()
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    # Only the Metrics and Plan sheets have formulas, and only ours: they name no user text.
                    assert ws.title.startswith(("Metrics", "Plan")), cell.coordinate
                    assert not any(t in str(cell.value) for t in ("evil", "calc", "HYPERLINK", "SUM(1,1)", "owner"))
                elif cell.data_type == "s" and cell.value is not None and ws.title != CONTENT_SHEET:
                    strings.add(unescape_cell_text(cell.value))
                    assert cell.quotePrefix or str(cell.value)[:1] not in "=+-@\t\r", cell.coordinate
                assert cell.data_type != "e", f"{ws.title}!{cell.coordinate} became an error cell"
    for text in HOSTILE_TEXTS:
        assert clean_text(text) in strings, text
    assert "-2+3" + CONTROL_MARK + "bell" in strings
    assert "@evil()" in strings
    truncated = [s for s in strings if s.startswith("LLLL")]
    assert truncated and all("[truncated:" in s and len(s) <= EXCEL_CELL_LIMIT for s in truncated)
    # The raw XML has no <f> element holding user text.
    with zipfile.ZipFile(out) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/sheet"):
                xml = archive.read(name).decode("utf-8")
                for formula in re.findall(r"<f>(.*?)</f>", xml):
                    assert "evil" not in formula and "HYPERLINK" not in formula and "calc" not in formula


def test_quote_prefix_on_text_cells(tmp_path):
    path = new_sample(tmp_path / "q.ipwb")
    assert main(["context", str(path), "--title", "=1+1"]) == 0
    book = openpyxl.load_workbook(_export(path, tmp_path / "q.xlsx"))
    cell = _summary_value(book["Summary"], "Decision title")
    assert cell.value == "=1+1" and cell.data_type == "s" and cell.quotePrefix


# ---------------------------------------------------------------------------------------------- formulas

def test_per_row_metrics_are_values_and_the_aggregates_formulas_over_them(sample_path, tmp_path):
    book = openpyxl.load_workbook(_export(sample_path, tmp_path / "out.xlsx"))
    rate_ref = "Summary!$B$" + str(_summary_value(book["Summary"], "Reviewer rate (USD per hour)").row)
    target_ref = "Summary!$B$" + str(_summary_value(book["Summary"], "Target p95 latency (ms)").row)
    metrics = book["Metrics"]
    for r in range(5, 13):  # the sample's 8 rows: no formula on a trace row
        assert all(metrics.cell(r, c).data_type != "f" for c in range(21, 36)), r
    assert isinstance(metrics["AB5"].value, float)
    lowest = metrics["K5"].value  # best at target p95 for the first (workload, route): an array formula
    assert isinstance(lowest, openpyxl.worksheet.formula.ArrayFormula) and lowest.ref == "K5"
    for part in ("Metrics!$AH$5:$AH$12", "Metrics!$AI$5:$AI$12", "Metrics!$AF$5:$AF$12", "Traces!$N$5:$N$12",
                 rate_ref, target_ref, "MIN("):
        assert part in lowest.text, part
    assert "_xlfn" not in lowest.text
    count = metrics["J5"].value
    assert count.startswith("=IF(ISNUMBER(" + target_ref) and "COUNTIFS(Metrics!$AH$5:$AH$12" in count


def test_per_row_values_equal_compute_metrics_at_any_reviewer_rate(rich_path, tmp_path):
    """Each row's base + review hours x rate is exactly the reference cost per accepted output at that rate
    (the sheet shows them as xlsxwriter writes numbers: 16 significant digits)."""
    from desktop.economics.metrics import compute_metrics
    from desktop.exports.excel_rows import aggregate_keys, measured_columns, metric_frame

    data = export_data(rich_path)
    book = openpyxl.load_workbook(_export(rich_path, tmp_path / "out.xlsx"))
    ws = book["Metrics"]
    rows = list(data.rows)
    frame = metric_frame(data.frame, measured_columns(data.metrics, data.frame, data.decision.modelled),
                         aggregate_keys(data.metrics, data.playbook))
    bases, hours = frame["base"].to_list(), frame["reviewHours"].to_list()
    target = data.metrics.target_p95_ms
    modelled = {i: m.cost_usd for i, m in data.decision.modelled.items()}
    for rate in (data.metrics.reviewer_rate_usd_per_hour, 0.0, 137.5, None):
        reference = compute_metrics(rows, rate, target, modelled_costs=modelled)
        for index, t in enumerate(reference.traces):
            r = 5 + index
            assert ws[f"U{r}"].value == t.id
            for cell, value in ((f"AH{r}", bases[index]), (f"AI{r}", hours[index])):
                assert ws[cell].value == (None if value is None else pytest.approx(value, rel=1e-15)), cell
            if t.cost_per_accepted_output is None:
                assert bases[index] is None or (rate is None and hours[index] > 0), (t.id, rate)
            else:
                assert bases[index] + hours[index] * (rate or 0.0) == t.cost_per_accepted_output, (t.id, rate)
    assert frame["costPerAcceptedOutput"].to_list() == [t.cost_per_accepted_output for t in data.metrics.traces]
    groups = {(g.workload, g.route, g.provider, g.model): i + 1 for i, g in enumerate(data.metrics.groups)}
    for index, row in enumerate(rows):
        r = 5 + index
        assert (ws[f"V{r}"].value, ws[f"W{r}"].value, ws[f"X{r}"].value, ws[f"Y{r}"].value) == \
            (row["workload"], row["route"], row["provider"], row["model"])
        assert ws[f"AG{r}"].value == groups[(row["workload"], row["route"], row["provider"], row["model"])]
        observed = row["costUsd"]
        used = observed if observed is not None else modelled.get(row["id"])
        assert ws[f"Z{r}"].value == (None if used is None else pytest.approx(used, rel=1e-15))
        assert ws[f"AA{r}"].value == ("observed" if observed is not None else "modelled" if used is not None else None)


def test_one_sheet_per_million_rows_split(sample_path, tmp_path):
    data = export_data(sample_path)
    out = tmp_path / "split.xlsx"
    export_xlsx(out, data, rows_per_sheet=6)  # the sample's 8 rows: 6 on the first sheet, 2 on the second
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[5:9] == ["Traces", "Metrics", "Traces (2)", "Metrics (2)"]
    assert book["Traces"].tables["Traces"].ref.endswith("10")
    assert book["Traces (2)"].tables["Traces2"].ref.startswith("A4:")
    assert book["Traces (2)"]["A5"].value == 7
    assert "'Metrics (2)'!$AH$5:$AH$6" in book["Metrics"]["C5"].value.text
    assert "'Traces (2)'!$N$5:$N$6" in book["Metrics"]["E5"].value.text
    assert book["Metrics (2)"]["U5"].value == 7 and book["Metrics (2)"]["U6"].value == 8


def test_empty_workbook_exports(tmp_path):
    path = tmp_path / "empty.ipwb"
    assert main(["new", str(path)]) == 0
    book = openpyxl.load_workbook(_export(path, tmp_path / "empty.xlsx"))
    assert book["Traces"]["A5"].value == "No trace rows are imported."
    assert not book["Traces"].tables


# ---------------------------------------------------------------------------------------------- atomic

def test_a_failed_export_leaves_no_file_and_keeps_the_previous_one(sample_path, tmp_path, monkeypatch):
    data = export_data(sample_path)
    out = tmp_path / "out.xlsx"

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(excel, "_write_content_sheet", broken)
    with pytest.raises(OSError):
        export_xlsx(out, data)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sample.ipwb"]
    out.write_bytes(b"previous version")
    with pytest.raises(OSError):
        export_xlsx(out, data)
    assert out.read_bytes() == b"previous version"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx", "sample.ipwb"]


# ---------------------------------------------------------------------------------------------- LibreOffice




def _set_cell_number(xlsx: Path, sheet_xml: str, ref: str, value: float) -> None:
    """Change one number cell in the file's XML (what finance does when they type a new rate)."""
    with zipfile.ZipFile(xlsx) as archive:
        items = {n: archive.read(n) for n in archive.namelist()}
    xml = items[sheet_xml].decode("utf-8")
    xml, count = re.subn(rf'(<c r="{ref}"[^>]*>)<v>[^<]*</v>', rf"\g<1><v>{value!r}</v>", xml)
    assert count == 1, ref
    items[sheet_xml] = xml.encode("utf-8")
    with zipfile.ZipFile(xlsx, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in items.items():
            archive.writestr(name, data)


@pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) is not installed; packaging/debian-packages."
                                               "txt lists libreoffice-calc-nogui so CI has it")
@pytest.mark.parametrize("rows_per_sheet", [excel.TRACE_ROWS_PER_SHEET, 4])
def test_libreoffice_recalculates_the_metrics_formulas_to_ipw_metrics(rich_path, tmp_path, capsys, rows_per_sheet):
    """LibreOffice recalculates the Metrics sheet's aggregates after finance changes the reviewer rate and the
    target: each equals `ipw metrics` run with the same rate and target; the per-row values stay those at the
    workbook's own rate (`ipw metrics` without options)."""
    data = export_data(rich_path)
    out = tmp_path / "metrics.xlsx"
    export_xlsx(out, data, rows_per_sheet=rows_per_sheet)
    summary = openpyxl.load_workbook(out)["Summary"]
    rate_ref = _summary_value(summary, "Reviewer rate (USD per hour)").coordinate
    target_ref = _summary_value(summary, "Target p95 latency (ms)").coordinate
    _set_cell_number(out, "xl/worksheets/sheet1.xml", rate_ref, 90.0)
    _set_cell_number(out, "xl/worksheets/sheet1.xml", target_ref, 12_500.0)
    converted = recalculate(out, tmp_path / "recalculated", tmp_path / "lo-profile")

    assert main(["metrics", str(rich_path), "--json"]) == 0
    at_workbook_rate = json.loads(capsys.readouterr().out)
    assert main(["metrics", str(rich_path), "--json", "--reviewer-rate", "90", "--target-p95-ms", "12500"]) == 0
    expected = json.loads(capsys.readouterr().out)
    book = openpyxl.load_workbook(converted, data_only=True)
    per_row = []
    for name in [n for n in book.sheetnames if n.startswith("Metrics")]:
        ws = book[name]
        for r in range(5, ws.max_row + 1):
            if isinstance(ws[f"U{r}"].value, (int, float)):
                per_row.append((ws[f"U{r}"].value, ws[f"AB{r}"].value, ws[f"AC{r}"].value, ws[f"AD{r}"].value))
    assert len(per_row) == len(at_workbook_rate["traces"])
    by_id = {t["id"]: t for t in at_workbook_rate["traces"]}
    for row_id, cost, burden, headroom in per_row:
        want = by_id[row_id]
        for got, key in ((cost, "costPerAcceptedOutput"), (burden, "cacheAdjustedInputBurden"),
                         (headroom, "throughputHeadroom")):
            if want[key] is None:
                assert got in (None, ""), (row_id, key, got)
            else:
                assert got == pytest.approx(want[key], rel=1e-9), (row_id, key)
    ws = book["Metrics"]
    groups = {}
    for r in range(5, ws.max_row + 1):
        if ws[f"M{r}"].value is not None:
            groups[(ws[f"M{r}"].value, ws[f"N{r}"].value, ws[f"O{r}"].value, ws[f"P{r}"].value)] = ws[f"S{r}"].value
    assert len(groups) == len(expected["groups"])
    for g in expected["groups"]:
        got = groups[(g["workload"], g["route"], g["provider"], g["model"])]
        want = g["bestCostPerAcceptedOutputAtTarget"]
        assert (got in (None, "") if want is None else got == pytest.approx(want, rel=1e-9)), g
    # The route block (the chart's data): lowest cost per accepted output at the target, per trace route.
    lowest = {}
    for t in expected["traces"]:
        if t["costPerAcceptedOutput"] is not None and t["latencyP95Ms"] is not None and t["latencyP95Ms"] <= 12500:
            lowest[t["route"]] = min(lowest.get(t["route"], float("inf")), t["costPerAcceptedOutput"])
    for r in range(5, 9):
        route, value = ws[f"A{r}"].value, ws[f"E{r}"].value
        if route in lowest:
            assert value == pytest.approx(lowest[route], rel=1e-9), route
        else:
            assert value in ("#N/A", None), route


@pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) is not installed; packaging/debian-packages."
                                               "txt lists libreoffice-calc-nogui so CI has it")
def test_the_export_opens_in_libreoffice_without_errors(sample_path, tmp_path):
    out = _export(sample_path, tmp_path / "open.xlsx")
    profile = tmp_path / "lo-open"
    result = subprocess.run([soffice(), f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                             "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), str(out)],
                            capture_output=True, text=True, timeout=180, env={**os.environ})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "pdf" / "open.pdf").stat().st_size > 10_000
    assert "Error" not in result.stderr.replace("javaldx", "")
