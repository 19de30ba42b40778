"""`ipw metrics --json` writes its per-row array in batches, byte for byte what one `json.dumps` of the whole
object by the per-row reference (`compute_metrics` over `iter_traces` row dicts) prints; `--summary` leaves
out the arrays with an entry per row (traces, each group's p95 by concurrency)."""

from __future__ import annotations

import json

import pytest

from desktop.cli import common
from desktop.cli.common import _no_nan, reading
from desktop.economics.metrics import compute_metrics
from desktop.economics.pricing import modelled_costs
from desktop.economics.recommend import recommend
from desktop.resources import playbook
from desktop.services.economics import load_inputs


def reference_json(path, detail: bool, with_traces: bool = True) -> str:  # with_traces=False: --summary
    """The whole object as the per-row reference computes it, dumped at once the way `print_json` does."""
    with reading(path) as (store, workbook):
        rows = list(store.iter_traces())
        inputs = load_inputs(store)
    context = workbook.context
    modelled = modelled_costs(rows, inputs.catalog)
    report = compute_metrics(rows, context.reviewer_rate_usd_per_hour, context.target_p95_ms,
                             modelled_costs={row_id: m.cost_usd for row_id, m in modelled.items()})
    recommendation = recommend(workbook, report, inputs.scenarios, inputs.override, playbook=playbook(),
                               catalog=inputs.catalog)
    data = report.to_json(detail)
    if not with_traces:
        del data["traces"]
        for group in data["groups"]:
            del group["p95LatencyMsByConcurrency"]
    data["recommendation"] = recommendation.to_json(detail)
    data["reviewerRateUsdPerHour"] = context.reviewer_rate_usd_per_hour
    data["targetP95Ms"] = context.target_p95_ms
    return json.dumps(_no_nan(data), ensure_ascii=False, allow_nan=False, indent=2) + "\n"


@pytest.mark.parametrize("batch", [1, 3, 2_000])
@pytest.mark.parametrize("detail", [False, True])
def test_streamed_json_is_byte_identical_to_one_dump(ipw, sample, monkeypatch, batch, detail):
    monkeypatch.setattr(common, "JSON_ROWS_PER_WRITE", batch)
    result = ipw("metrics", sample, "--json", *(["--detail"] if detail else []))
    assert result.code == 0, result.err
    assert result.out == reference_json(sample, detail)
    assert len(result.json["traces"]) == 8


def test_streamed_json_of_a_workbook_without_rows(ipw, tmp_path):
    path = tmp_path / "empty.ipwb"
    assert ipw("new", path).code == 0
    result = ipw("metrics", path, "--json")
    assert result.code == 0, result.err
    assert result.out == reference_json(path, False)
    assert result.json["traces"] == []


def test_summary_leaves_the_per_row_array_out(ipw, sample):
    result = ipw("metrics", sample, "--json", "--summary")
    assert result.code == 0, result.err
    assert result.out == reference_json(sample, False, with_traces=False)
    assert "traces" not in result.json and len(result.json["groups"]) == 8  # eight rows, no two in one group
    assert all("p95LatencyMsByConcurrency" not in group for group in result.json["groups"])

    text = ipw("metrics", sample, "--summary").out
    assert "#1 " not in text and "per-row metrics left out: --summary; 8 rows" in text
    assert "p95 by concurrency" not in text and "fallback Managed API only" in text
    assert "Recommended route: Managed API only" in text


def test_rows_of_any_shape_are_written_as_print_json_writes_them(capsys, monkeypatch):
    """Flat rows go through the fast encoder; nested values, NaN, infinities, empty rows, text with quotes,
    newlines and non-ASCII through the indented one; both give print_json's bytes."""
    from desktop.cli.common import print_json

    rows = [{"id": 1, "a": 0.1, "b": None, "c": True, "d": "x\n\"y\" é"}, {"id": 2, "nested": {"k": [1, {}]}},
            {"id": 3, "nan": float("nan"), "inf": float("-inf")}, {}, {"id": 5, "list": []}, {"id": 6, "big": 1e300}]
    data = {"groups": [{"g": 1}], "empty": {}, "n": None}
    monkeypatch.setattr(common, "JSON_ROWS_PER_WRITE", 4)
    for extra in (data, {}):  # `ipw traces --json` streams an object with nothing beside its rows
        for listed in (rows, []):
            common.print_json_with_rows(extra, "traces", listed)
            streamed = capsys.readouterr().out
            print_json({"traces": listed, **extra})
            assert streamed == capsys.readouterr().out
