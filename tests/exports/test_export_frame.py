"""The export data path keeps the trace frame: rows as a lazy view, per-row metrics computed column-wise."""

from __future__ import annotations

import math

import openpyxl
import polars as pl
import pytest
from export_helpers import HOSTILE_TEXTS, add_rows, base_row, export_data, rich_sample

from desktop.cli.common import reading
from desktop.economics.metrics import as_number
from desktop.exports.excel import export_xlsx
from desktop.exports.excel_rows import _numbers, aggregate_keys, aggregate_values, measured_columns, metric_frame
from desktop.exports.shown_traces import rows_frame
from desktop.storage.trace_frame import frame_rows


@pytest.fixture
def rich_path(tmp_path):
    path = rich_sample(tmp_path / "rich.ipwb")
    rows = [base_row(provider=text, model=f"m{i}", **{"=cmd|' /C calc'!A0": text, **({"region": "eu"} if i else {})})
            for i, text in enumerate(HOSTILE_TEXTS)]
    add_rows(path, rows, source="hostile extras")
    return path


def test_decision_rows_are_the_stores_rows_built_on_access(rich_path):
    data = export_data(rich_path)
    with reading(rich_path) as (store, _):
        expected = list(store.iter_traces())
    rows = data.decision.rows
    assert len(rows) == data.decision.trace_count == data.frame.height == len(expected) == 26
    assert list(rows) == expected
    assert rows[0] == expected[0] and rows[-1] == expected[-1] and rows[3:5] == expected[3:5]
    assert any(len(r) > 18 for r in expected)  # extras came back as keys
    with pytest.raises(IndexError):
        rows[len(expected)]


def test_rows_frame_keeps_mixed_values_of_a_hostile_column():
    rows = [{"id": 1, "importId": 1, "costUsd": 0.5, "route": "r", "batchEligible": True},
            {"id": 2, "importId": 1, "costUsd": "n/a", "route": 7, "batchEligible": False, "note": "x"}]
    from desktop.domain.trace import FIELD_NAMES

    expected = [{"id": r["id"], "importId": 1, **{n: r.get(n) for n in FIELD_NAMES},
                 **({"note": "x"} if r["id"] == 2 else {})} for r in rows]
    frame = rows_frame(rows)
    assert frame["costUsd"].dtype == pl.Object and frame["inputTokens"].dtype == pl.Float64
    assert list(frame_rows(frame)) == expected


def test_numbers_follow_as_number_for_every_column_kind():
    texts = ["1.5", " 2 ", "", "abc", "inf", "-0.25", None, "1e3"]
    assert _numbers(pl.Series(texts)).to_list() == [as_number(t) for t in texts]
    mixed = [1, 2.5, "3", None, True, "x"]
    assert _numbers(pl.Series(mixed, dtype=pl.Object)).to_list() == [as_number(v) for v in mixed]
    assert _numbers(pl.Series([1, None, 3])).to_list() == [1.0, None, 3.0]


def test_aggregate_cached_values_equal_the_reference(rich_path, tmp_path):
    """The aggregate blocks' cached values (what a reader shows before recalculating) against values
    worked out row by row from the reference report."""
    data = export_data(rich_path)
    report = data.metrics
    target = report.target_p95_ms
    keys = aggregate_keys(report, data.playbook)
    measured = measured_columns(report, data.frame, data.decision.modelled)
    values = aggregate_values(data.frame, measured, target)
    whole = metric_frame(data.frame, measured, keys)
    batched = [metric_frame(data.frame, measured, keys, start, 5) for start in range(0, data.frame.height, 5)]
    assert pl.concat(batched).equals(whole)  # the writer's batches are slices of the whole
    lowest: dict = {}
    lowest_at_target: dict = {}
    at_target: dict = {}
    for t in report.traces:
        cost, p95 = t.cost_per_accepted_output, as_number(t.row.get("latencyP95Ms"))
        if cost is None:
            continue
        route = str(t.row["route"])
        lowest[route] = min(lowest.get(route, math.inf), cost)
        if p95 is not None and p95 <= target:
            lowest_at_target[route] = min(lowest_at_target.get(route, math.inf), cost)
            for key in ((str(t.row["workload"]), route),
                        (str(t.row["workload"]), route, str(t.row["provider"]), str(t.row["model"]))):
                at_target[key] = at_target.get(key, 0) + 1
    assert values.route_lowest == lowest and values.route_lowest_at_target == lowest_at_target
    assert values.at_target == at_target

    out = tmp_path / "cached.xlsx"
    export_xlsx(out, data)
    ws = openpyxl.load_workbook(out, data_only=True)["Metrics"]
    for offset, route in enumerate(keys.routes):
        r = 5 + offset
        assert ws[f"A{r}"].value == route
        assert ws[f"C{r}"].value == (pytest.approx(lowest[route], rel=1e-15) if route in lowest else "#N/A")
        assert ws[f"D{r}"].value == sum(v for k, v in at_target.items() if len(k) == 2 and k[1] == route)
    for offset, group in enumerate(report.groups):
        r = 5 + offset
        assert ws[f"Q{r}"].value == group.rows
        assert ws[f"R{r}"].value == at_target.get((group.workload, group.route, group.provider, group.model), 0)
        best = group.best_cost_per_accepted_output_at_target
        assert ws[f"S{r}"].value == (None if best is None else pytest.approx(best, rel=1e-15))


def test_cleaned_texts_are_kept_up_to_a_limit():
    from desktop.exports.excel_rows import Cleaned
    from desktop.exports.excel_text import CONTROL_MARK

    cleaned = Cleaned()
    assert [cleaned[f"request-{i}\x07"] for i in range(Cleaned.LIMIT + 10)][-1] == \
        f"request-{Cleaned.LIMIT + 9}{CONTROL_MARK}"
    assert len(cleaned) == Cleaned.LIMIT  # a column of texts that never repeat does not grow it further
    assert cleaned["route\r\n"] == "route\n"


def test_a_file_with_odd_cells_shows_them_and_still_verifies(tmp_path):
    """Cells another tool wrote with another type than their column's (text in a number column) are shown as
    stored, so the Traces sheets still hash back to the content; the metrics read them as not observed."""
    import sqlite3

    from export_helpers import new_sample

    from desktop.exports.verify_export import verify_export
    from desktop.storage.trace_frame import read_exact_frame
    from desktop.storage.workbook_file import TRACES_HASH_KEY, open_store

    path = new_sample(tmp_path / "odd.ipwb")
    conn = sqlite3.connect(path)
    conn.execute("""UPDATE traces SET "costUsd" = 'n/a', "concurrency" = 4 WHERE id = 2""")
    conn.execute("DELETE FROM meta WHERE key = ?", (TRACES_HASH_KEY,))  # as the app does on every trace write
    conn.commit()
    conn.close()
    store = open_store(path, writable=False)
    try:
        assert read_exact_frame(store) is None  # the row path
    finally:
        store.close()
    data = export_data(path)
    assert data.trace_frame["costUsd"].to_list()[1] == "n/a"
    out = tmp_path / "odd.xlsx"
    export_xlsx(out, data)
    book = openpyxl.load_workbook(out)
    header = [c.value for c in book["Traces"][4]]
    row = [c.value for c in book["Traces"][6]]
    assert row[header.index("Cost (USD per request)")] == "n/a"
    assert row[header.index("Concurrency")] == 4
    assert book["Metrics"]["U6"].value == 2 and book["Metrics"]["AA6"].value != "observed"
    report = verify_export(out)
    assert {c.name: c.ok for c in report.checks}["trace input cells"] is True


def test_the_shown_frame_is_the_economics_frame_when_it_hashes_to_the_content(rich_path):
    from desktop.exports.content import build_decision
    from desktop.exports.shown_traces import shown_trace_frame
    from desktop.resources import playbook
    from desktop.storage.trace_frame import read_exact_frame

    with reading(rich_path) as (store, workbook):
        decision = build_decision(store, workbook, playbook())
        assert shown_trace_frame(store, decision) is decision.frame
        assert read_exact_frame(store).equals(decision.frame)  # the stored values, exactly
