"""The decision plan in every export: the memo's first page, the Excel Plan sheet (live formulas, recalculated
by LibreOffice), the Markdown and JSON matrices; all read back and compared with `ipw plan --json`."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from export_helpers import new_sample, recalculate, soffice

from desktop.cli import main
from desktop.domain.formatting import DisplayCurrency, format_money
from desktop.exports import excel_plan
from desktop.exports.plan_figures import plan_waterfall
from desktop.exports.plan_text import currency_statement, plan_currency, plan_rows, route_label, totals_lines
from desktop.resources import playbook

# A plan as `ipw plan --json` prints it, written by hand (the numbers are chosen so the expected text can be
# worked out on paper): EUR at 0.92 per USD; one workload of 10,000 requests a month on Dedicated hosted
# endpoint (measured), fallback Managed API only (modelled).
HAND_PLAN = {
    "currency": {"code": "EUR", "perUsd": 0.92, "date": "2026-12-01", "source": "ECB reference rate"},
    "workloads": [{
        "workload": "invoice-review", "volumePerMonth": 10000.0, "route": "Dedicated hosted endpoint",
        "routeSlug": "dedicated-hosted-endpoint", "measuredOn": "Dedicated endpoint", "fallback": "Managed API only",
        "fallbackSlug": "managed-api-only", "monthlyCost": 1840.0, "monthlyCostUsd": 2000.0,
        "monthlyModelCostUsd": 1500.0, "monthlyReviewCostUsd": 500.0, "costShape": "capacity", "measured": True,
        "basis": "measured", "reasons": ["Chosen: cheapest supported route."],
        "candidates": [
            {"route": "Dedicated hosted endpoint", "slug": "dedicated-hosted-endpoint", "traceRoute": "Dedicated endpoint",
             "measured": True, "monthlyCostUsd": 2000.0},
            {"route": "Managed API only", "slug": "managed-api-only", "traceRoute": "Managed frontier API",
             "measured": False, "monthlyCostUsd": 2500.0}]}],
    "totals": {"monthlyCostUsd": 2000.0, "yearlyCostUsd": 24000.0, "baselineMonthlyCostUsd": 2500.0,
               "monthlySavingsUsd": 500.0, "budgetMonthlyCostUsd": None, "budgetBreached": False},
    "levers": [{"lever": "batch", "workload": "invoice-review", "value": 0.5, "monthlySavingUsd": 100.0}],
    "waterfall": [{"label": "Baseline: Managed API only", "kind": "start", "amountUsd": 2500.0},
                  {"label": "Route per workload", "kind": "step", "amountUsd": -400.0},
                  {"label": "Batch eligibility: invoice-review = 0.5", "kind": "step", "amountUsd": -100.0},
                  {"label": "Plan", "kind": "end", "amountUsd": 2000.0}],
}



def _pdftotext() -> str | None:
    return shutil.which("pdftotext")


def _ipw_plan(path: Path, capsys) -> dict:
    capsys.readouterr()
    assert main(["plan", str(path), "--json", "--sensitivity"]) == 0
    return json.loads(capsys.readouterr().out)


# ---------------------------------------------------------------------------------------------- words

def test_every_route_says_which_trace_rows_it_rests_on():
    book = playbook()
    assert (route_label(book, "Dedicated hosted endpoint", True, "Dedicated endpoint")
            == "Dedicated hosted endpoint, measured on Dedicated endpoint rows")
    # Without the candidate's trace route, the playbook's mapping names it (Cloud GPU self-hosting rests on
    # Self-hosted GPU stack rows).
    assert (route_label(book, "cloud-gpu-self-hosting", True)
            == "Cloud GPU self-hosting, measured on Self-hosted GPU stack rows")
    assert route_label(book, "managed-api-only", False) == "Managed API only, modelled (no measured row of this workload)"
    assert route_label(book, None, None) == "no qualifying route"


def test_plan_rows_and_totals_are_in_the_display_currency_with_the_rate_stated_once():
    """USD 2,000 at 0.92 EUR per USD is EUR 1,840.00; the baseline USD 2,500 is EUR 2,300.00; the saving
    USD 500 is EUR 460.00; the year 12 x 2,000 = USD 24,000 is EUR 22,080.00."""
    rows = plan_rows(HAND_PLAN, playbook())
    assert len(rows) == 1
    row = rows[0]
    assert row.route == "Dedicated hosted endpoint, measured on Dedicated endpoint rows"
    assert row.fallback == "Managed API only, modelled (no measured row of this workload)"
    assert (row.monthly, row.model_spend, row.review_cost) == ("EUR 1,840.00", "EUR 1,380.00", "EUR 460.00")
    assert row.volume == "10,000 requests" and row.shape == "Capacity (GPU hours)" and row.basis == "Measured"
    assert dict(totals_lines(HAND_PLAN)) == {
        "Plan, per month": "EUR 1,840.00", "Plan, per year": "EUR 22,080.00",
        "Baseline (every workload on Managed API only), per month": "EUR 2,300.00",
        "Saving against the baseline, per month": "EUR 460.00"}
    statement = currency_statement(plan_currency(HAND_PLAN))
    assert statement == "All amounts in EUR, converted from USD at 1 USD = 0.92 EUR (2026-12-01, ECB reference rate)."


def test_the_waterfall_runs_from_the_baseline_through_each_step_to_the_plan_total():
    """Baseline EUR 2,300 (USD 2,500 x 0.92), steps -368 (route) and -92 (batch lever), end EUR 1,840."""
    fall = plan_waterfall(HAND_PLAN)
    assert fall.start == pytest.approx(2300.0)
    assert [s.delta for s in fall.steps] == pytest.approx([-368.0, -92.0])
    assert fall.end == pytest.approx(1840.0)
    assert fall.currency == "EUR" and fall.unit == "money" and fall.missing == ()
    unknown = json.loads(json.dumps(HAND_PLAN))
    unknown["waterfall"][2]["amountUsd"] = None
    fall = plan_waterfall(unknown)  # a step not known is named, never drawn as zero
    assert fall.missing == ("Batch eligibility: invoice-review = 0.5: not known",)
    assert [s.label for s in fall.steps] == ["Route per workload", "Steps not known"]
    assert fall.end == pytest.approx(1840.0)


# ---------------------------------------------------------------------------------------------- the Plan sheet

def test_plan_sheet_totals_are_formulas_over_input_cells():
    cells = excel_plan.plan_cells(HAND_PLAN, playbook(), reviewer_rate=60.0)
    row, col = cells.anchors["plan_month"]
    kind, formula, _, cached = cells.cells[(row, col)]
    assert kind == "formula" and formula.startswith("=SUM(") and cached == 2000.0
    first_wl, _ = cells.anchors["workloads"]
    assert cells.cells[(first_wl, 1)][:3] == ("number", 10000.0, "in_count")  # volume: an input cell
    assert cells.cells[(4, 1)][:3] == ("number", 0.92, "in_number")  # the rate: an input cell
    display = cells.cells[(row, col + 1)]
    assert display[1] == f"={excel_plan._ref(row, col)}*$B$5" and display[3] == pytest.approx(1840.0)


@pytest.fixture
def sample(tmp_path):
    return new_sample(tmp_path / "sample.ipwb")




def _label_row(ws, label: str) -> int:
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == label)


@pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) is not installed; packaging/debian-packages."
                                               "txt lists libreoffice-calc-nogui so CI has it")
def test_plan_sheet_recalculated_after_a_volume_edit_equals_ipw_plan_with_that_volume(sample, tmp_path, capsys):
    """A finance partner lowers support-policy's volume from 100,000 to 60,000 in the Plan sheet; LibreOffice
    recalculates; the plan, yearly, baseline and saving totals equal `ipw plan --json` run on a copy of the
    workbook whose support-policy volume was set to 60,000 with `ipw context --workload`."""
    before = _ipw_plan(sample, capsys)
    workload = next(w for w in before["workloads"] if w["workload"] == "support-policy")
    assert workload["costShape"] == "per-token"  # a per-token route scales with volume in the sheet and the app
    out = tmp_path / "plan.xlsx"
    assert main(["export", str(sample), "--xlsx", str(out)]) == 0
    book = openpyxl.load_workbook(out)
    ws = book["Plan"]
    row = next(r for r in range(1, ws.max_row + 1)
               if ws.cell(r, 1).value == "support-policy" and isinstance(ws.cell(r, 2).value, (int, float)))
    assert ws.cell(row, 2).value == 100_000
    ws.cell(row, 2).value = 60_000
    edited = tmp_path / "edited.xlsx"
    book.save(edited)
    recalculated = openpyxl.load_workbook(recalculate(edited, tmp_path / "out", tmp_path / "lo"), data_only=True)["Plan"]

    copy = tmp_path / "copy.ipwb"
    shutil.copyfile(sample, copy)
    assert main(["context", str(copy), "--workload", "support-policy=60000"]) == 0
    expected = _ipw_plan(copy, capsys)["totals"]
    for label, key in (("Plan, per month", "monthlyCostUsd"), ("Plan, per year", "yearlyCostUsd"),
                       ("Baseline: every workload on Managed API only, per month", "baselineMonthlyCostUsd"),
                       ("Saving against the baseline, per month", "monthlySavingsUsd")):
        got = recalculated.cell(_label_row(recalculated, label), 2).value
        assert got == pytest.approx(expected[key], rel=1e-9), label
    # The lower volume really changed the total (60% of support-policy's monthly cost less).
    assert expected["monthlyCostUsd"] == pytest.approx(before["totals"]["monthlyCostUsd"]
                                                      - 0.4 * workload["monthlyCostUsd"], rel=1e-9)


# ---------------------------------------------------------------------------------------------- matrices, memo

def test_markdown_and_json_matrices_carry_the_plan(sample, tmp_path, capsys):
    plan = _ipw_plan(sample, capsys)
    assert main(["export", str(sample), "--markdown", str(tmp_path / "m.md"), "--json", str(tmp_path / "m.json")]) == 0
    matrix = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    assert matrix["plan"]["totals"]["monthlyCostUsd"] == pytest.approx(plan["totals"]["monthlyCostUsd"], rel=1e-12)
    assert [(w["workload"], w["route"], w["fallback"]) for w in matrix["plan"]["workloads"]] == \
        [(w["workload"], w["route"], w["fallback"]) for w in plan["workloads"]]
    text = (tmp_path / "m.md").read_text(encoding="utf-8")
    section = text[text.index("## Plan"):text.index("## Routes")]
    currency = DisplayCurrency(plan["currency"]["code"], plan["currency"]["perUsd"])
    assert f"Plan, per month: **{format_money(plan['totals']['monthlyCostUsd'], currency)}**" in section
    for w in plan["workloads"]:
        line = next(line for line in section.splitlines() if line.startswith(f"| {w['workload']} |"))
        assert w["route"] in line and format_money(w["monthlyCostUsd"], currency) in line
    assert math.isclose(sum(w["monthlyCostUsd"] for w in plan["workloads"]), plan["totals"]["monthlyCostUsd"])


@pytest.mark.skipif(_pdftotext() is None, reason="poppler-utils (pdftotext) is not installed")
def test_memo_first_page_holds_the_plan_total_and_each_workloads_route(sample, tmp_path, capsys):
    plan = _ipw_plan(sample, capsys)
    memo = tmp_path / "memo.pdf"
    assert main(["export", str(sample), "--pdf", str(memo)]) == 0
    first = subprocess.run([_pdftotext(), "-f", "1", "-l", "1", str(memo), "-"], capture_output=True, text=True,
                           check=True).stdout
    words = " ".join(first.split()).replace("- ", "-")  # a route broken at its hyphen in a narrow column
    currency = DisplayCurrency(plan["currency"]["code"], plan["currency"]["perUsd"])
    assert format_money(plan["totals"]["monthlyCostUsd"], currency) in words
    assert format_money(plan["totals"]["monthlySavingsUsd"], currency) in words
    assert "All amounts in US dollars (USD)." in words or "converted from USD at" in words
    for w in plan["workloads"]:
        assert w["workload"] in words
        assert " ".join(w["route"].split()) in words, w["route"]
        assert format_money(w["monthlyCostUsd"], currency) in words
    # One page has the waterfall and the tornado, drawn as vector text.
    pages = subprocess.run([_pdftotext(), str(memo), "-"], capture_output=True, text=True, check=True).stdout
    # One route vocabulary: the key figures name the trace rows each procurement route rests on.
    flat = " ".join(pages.split())
    assert "rests on Dedicated endpoint rows" in flat and "rests on Managed frontier API rows" in flat
    assert flat.count("rests on Self-hosted GPU stack rows") == 2  # Cloud GPU self-hosting and Owned hardware
    chart_page = next(p for p in pages.split("\f") if "What the plan saves and what moves it" in p)
    assert "Baseline" in chart_page and "What moves the monthly total most" in chart_page


@pytest.mark.skipif(_pdftotext() is None, reason="poppler-utils (pdftotext) is not installed")
def test_a_euro_workbook_shows_the_plan_in_euros_with_the_rate_date_and_source_once(sample, tmp_path, capsys):
    """`--currency EUR --fx-rate 0.92`: every plan amount on the memo's first page and in the Markdown matrix is
    its USD value x 0.92 with the EUR code, and the rate, date and source are stated once."""
    assert main(["context", str(sample), "--currency", "EUR", "--fx-rate", "0.92", "--fx-date", "2026-12-01",
                 "--fx-source", "ECB reference rate"]) == 0
    plan = _ipw_plan(sample, capsys)
    assert plan["currency"] == {"code": "EUR", "perUsd": 0.92, "date": "2026-12-01", "source": "ECB reference rate"}
    eur = DisplayCurrency("EUR", 0.92)
    statement = "All amounts in EUR, converted from USD at 1 USD = 0.92 EUR (2026-12-01, ECB reference rate)."
    memo, md = tmp_path / "memo.pdf", tmp_path / "m.md"
    assert main(["export", str(sample), "--pdf", str(memo), "--markdown", str(md)]) == 0
    first = " ".join(subprocess.run([_pdftotext(), "-f", "1", "-l", "1", str(memo), "-"], capture_output=True,
                                    text=True, check=True).stdout.split())
    total = format_money(plan["totals"]["monthlyCostUsd"], eur)
    assert total.startswith("EUR ") and total in first
    assert plan["totals"]["monthlyCost"] == pytest.approx(plan["totals"]["monthlyCostUsd"] * 0.92)
    for w in plan["workloads"]:
        assert format_money(w["monthlyCostUsd"], eur) in first
    assert first.count(statement) == 1
    text = md.read_text(encoding="utf-8")
    assert f"Plan, per month: **{total}**" in text and text.count(statement) == 1


@pytest.mark.skipif(_pdftotext() is None, reason="poppler-utils (pdftotext) is not installed")
def test_a_workload_without_a_qualifying_route_is_said_not_hidden(sample, tmp_path, capsys):
    """support-policy allowed only Owned hardware (no owned scenario saved, so not priced): the plan has no route
    for it and no monthly total; the memo, the Markdown matrix and the Plan sheet say so instead of a zero."""
    assert main(["constraint", str(sample), "support-policy", "--allow", "owned-hardware"]) == 0
    plan = _ipw_plan(sample, capsys)
    assert plan["totals"]["monthlyCostUsd"] is None
    memo, md, xlsx = tmp_path / "memo.pdf", tmp_path / "m.md", tmp_path / "p.xlsx"
    assert main(["export", str(sample), "--pdf", str(memo), "--markdown", str(md), "--xlsx", str(xlsx)]) == 0
    first = " ".join(subprocess.run([_pdftotext(), "-f", "1", "-l", "1", str(memo), "-"], capture_output=True,
                                    text=True, check=True).stdout.split())
    assert "support-policy has no qualifying route: Managed API only: not allowed by the workbook's constraints" in first
    assert "the monthly total is not known while a workload has no priced route" in first
    line = next(x for x in md.read_text(encoding="utf-8").splitlines() if x.startswith("| support-policy |"))
    assert "| no qualifying route |" in line and "| not known |" in line and "| Not priced |" in line
    if soffice() is None:  # the sheet's own formulas recalculated: no route, and no total rather than a zero
        return
    ws = openpyxl.load_workbook(recalculate(xlsx, tmp_path / "out", tmp_path / "lo"), data_only=True)["Plan"]
    row = next(r for r in range(1, ws.max_row + 1)
               if ws.cell(r, 1).value == "support-policy" and isinstance(ws.cell(r, 2).value, (int, float)))
    assert ws.cell(row, 5).value == "no qualifying route"
    assert ws.cell(_label_row(ws, "Plan, per month"), 2).value == "#N/A"
