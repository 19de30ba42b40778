"""The columnar metrics (`compute_metrics_frame`) and modelled costs (`modelled_costs_frame`) give exactly what
the per-row reference (`compute_metrics`, `modelled_costs`) gives, on 200 seeded random workbooks full of the
awkward cases: nulls, numbers as text, zeros, ties in cost and p95, rows over and under the target, rows
without p95, modelled costs, truthy and falsy batch flags."""

from __future__ import annotations

import json
import random

import polars as pl
import pytest

from desktop.domain.trace import FIELD_NAMES, FIELDS_BY_NAME, Kind
from desktop.economics import metrics_frame
from desktop.economics.catalog import bundled_catalog
from desktop.economics.metrics import compute_metrics
from desktop.economics.metrics_frame import METRIC_COLUMNS, compute_metrics_frame, rows_to_frame
from desktop.economics.pricing import modelled_costs, modelled_costs_frame

WORKBOOKS = 200
PRICED = [("OpenAI", "gpt-5"), ("Together AI", "meta-llama/Llama-3.3-70B-Instruct-Turbo"), ("Nobody", "no-model")]


def _number(rng: random.Random, pool: list[float]) -> object:
    roll = rng.random()
    if roll < 0.15:
        return None
    if roll < 0.22:
        return 0 if rng.random() < 0.5 else 0.0
    if roll < 0.30:
        return rng.choice([f"{rng.choice(pool)}", f" {rng.choice(pool)} ", "abc", "", "nan", "inf", True])
    if roll < 0.60:
        return rng.choice(pool)  # repeats make ties
    return round(rng.uniform(0, max(pool) * 1.5), rng.choice([0, 2, 6]))


def random_rows(rng: random.Random) -> list[dict]:
    pools = {name: [round(rng.uniform(0.01, 50), 2) for _ in range(3)] for name in FIELD_NAMES}
    pools["acceptedOutputRate"] = [0.5, 0.8, 1.0]
    pools["cacheHitRate"] = [0.0, 0.3, 0.9]
    pools["latencyP95Ms"] = [900.0, 2000.0, 5000.0]
    workloads = rng.sample(["alpha", "beta", "gamma", "δelta"], rng.randint(1, 3))
    routes = rng.sample(["Managed API", "Dedicated endpoint", "Self-hosted GPU stack"], rng.randint(1, 3))
    rows = []
    for row_id in range(1, rng.randint(0, 60) + 1):
        provider, model = rng.choice(PRICED)
        row: dict = {"id": row_id, "importId": 1, "route": rng.choice(routes), "provider": provider,
                     "model": model, "workload": rng.choice(workloads)}
        for name in FIELD_NAMES[4:]:
            if FIELDS_BY_NAME[name].kind is Kind.BOOLEAN:
                row[name] = rng.choice([True, False, None, "yes", "no", 1, 0])
            else:
                row[name] = _number(rng, pools[name])
        for extra in ("retryRate", "gpuUtilization"):
            if rng.random() < 0.6:
                row[extra] = rng.choice([0.1, 0.5, "0.25", None, round(rng.random(), 3)])
        rows.append(row)
    return rows


def stored_frame(rows: list[dict]) -> pl.DataFrame:
    """The rows as a stored frame reads them: typed columns where a column holds only numbers, text where it
    holds text too (a hostile file), extras as JSON text."""
    columns: dict[str, pl.Series] = {"id": pl.Series([r["id"] for r in rows], dtype=pl.Int64),
                                     "importId": pl.Series([r["importId"] for r in rows], dtype=pl.Int64)}
    for name in FIELD_NAMES:
        values = [r.get(name) for r in rows]
        kind = FIELDS_BY_NAME[name].kind
        if kind in (Kind.ROUTE, Kind.TEXT):
            columns[name] = pl.Series(values, dtype=pl.String)
        elif kind is Kind.BOOLEAN:
            columns[name] = pl.Series([None if v is None else str(v) for v in values], dtype=pl.String)
        elif any(isinstance(v, (str, bool)) for v in values):
            columns[name] = pl.Series([None if v is None or isinstance(v, bool) else str(v) for v in values],
                                      dtype=pl.String)
        else:
            columns[name] = pl.Series(values, dtype=pl.Float64)
    extras = []
    for r in rows:
        found = {k: r[k] for k in ("retryRate", "gpuUtilization") if k in r}
        extras.append(json.dumps(found) if found else None)
    columns["extras"] = pl.Series(extras, dtype=pl.String)
    return pl.DataFrame(columns)


def summary(report) -> tuple:
    return report.groups, report.workloads, report.best, report.routes


def per_row(report) -> list[tuple]:
    return [(t.id, t.cost_per_accepted_output, t.cost_reason, t.cost_basis, t.cache_adjusted_input_burden,
             t.throughput_headroom) for t in report.traces]


@pytest.mark.parametrize("seed", range(WORKBOOKS))
def test_columnar_metrics_equal_the_reference(seed):
    rng = random.Random(seed)
    rows = random_rows(rng)
    rate = rng.choice([None, 0.0, 60.0, round(rng.uniform(1, 200), 2)])
    target = rng.choice([None, 900.0, 2000.0, round(rng.uniform(500, 6000), 1)])
    modelled = {r["id"]: rng.choice([None, 0.0, 0.002, round(rng.random(), 4)]) for r in rows if rng.random() < 0.5}
    column = pl.Series([modelled.get(r["id"]) for r in rows], dtype=pl.Float64)
    expected = compute_metrics(rows, rate, target, "Fallback", modelled)

    from_rows = compute_metrics_frame(rows_to_frame(rows), rate, target, "Fallback", column, rows=rows)
    assert summary(from_rows) == summary(expected)
    assert list(from_rows.traces) == list(expected.traces)  # row dicts too: the very same ones
    assert from_rows.to_json(detail=True) == expected.to_json(detail=True)

    stored = compute_metrics_frame(stored_frame(rows), rate, target, "Fallback", column)
    assert summary(stored) == summary(expected)
    assert per_row(stored) == per_row(expected)
    assert stored.frame.columns[-len(METRIC_COLUMNS):] == list(METRIC_COLUMNS)
    assert stored.frame["costPerAcceptedOutput"].to_list() == [t.cost_per_accepted_output for t in expected.traces]


@pytest.mark.parametrize("seed", range(0, WORKBOOKS, 20))
def test_metrics_computed_in_slices_of_rows_equal_the_reference(seed, monkeypatch):
    """A million rows are computed a slice at a time; slices of 7 rows give the same report."""
    monkeypatch.setattr(metrics_frame, "SLICE_ROWS", 7)
    rows = random_rows(random.Random(seed))
    expected = compute_metrics(rows, 60.0, 2000.0)
    sliced = compute_metrics_frame(stored_frame(rows), 60.0, 2000.0)
    assert summary(sliced) == summary(expected)
    assert per_row(sliced) == per_row(expected)


@pytest.mark.parametrize("seed", range(0, WORKBOOKS, 10))
def test_columnar_modelled_costs_equal_the_reference(seed):
    rows = random_rows(random.Random(seed))
    catalog = bundled_catalog()
    expected = modelled_costs(rows, catalog)
    for frame, ids in ((rows_to_frame(rows), [r["id"] for r in rows]), (stored_frame(rows), None)):
        found = modelled_costs_frame(frame, catalog, ids)
        assert dict(found) == expected == dict(found.items())
        assert found.cost_usd.to_list() == [expected[r["id"]].cost_usd if r["id"] in expected else None
                                             for r in rows]
        assert [e.key for e in found.price_entries_used()] == sorted(
            {m.price_entry for m in expected.values() if m.price_entry})


def test_traces_view_indexes_slices_and_iterates_like_a_tuple():
    rows = random_rows(random.Random(7))
    expected = compute_metrics(rows, 60.0, 2000.0)
    view = compute_metrics_frame(stored_frame(rows), 60.0, 2000.0).traces
    assert len(view) == len(expected.traces)
    assert [t.id for t in view[:5]] == [t.id for t in expected.traces[:5]]
    assert view[-1].id == expected.traces[-1].id and view[3].row["id"] == 4
    assert [t.id for t in view[::7]] == [t.id for t in expected.traces[::7]]
    with pytest.raises(IndexError):
        view[len(view)]


def test_a_stored_row_reads_back_with_its_extras():
    rows = [{"id": 3, "importId": 1, "route": "R", "provider": "P", "model": "M", "workload": "W",
             **{name: 1.0 for name in FIELD_NAMES[4:]}, "batchEligible": True, "gpuUtilization": 0.5}]
    [trace] = compute_metrics_frame(stored_frame(rows).with_columns(pl.col("batchEligible") == "True"),
                                    None, None).traces
    assert trace.row == rows[0]
    assert list(trace.row) == list(rows[0])  # same key order as iter_traces


ROUTES = ("Managed frontier API", "Hosted open-weight serverless", "Dedicated endpoint", "Self-hosted GPU stack")


@pytest.mark.parametrize("seed", range(0, WORKBOOKS, 8))
def test_figures_from_the_report_frame_equal_figures_from_row_objects(seed):
    """The figure models read the report frame's columns; a per-row reference report (row objects, no frame)
    goes through the same models as columns made from its objects. Both must draw the same figures."""
    from desktop.domain.sample import sample_workbook
    from desktop.economics.figures import (ChartData, cost_by_route_model, cost_volume_model, latency_model,
                                           pareto_data)
    from desktop.resources import playbook

    rng = random.Random(seed)
    rows = random_rows(rng)
    for row in rows:
        row["route"] = rng.choice(ROUTES)
    modelled = {r["id"]: rng.choice([None, 0.002, round(rng.random(), 4)]) for r in rows if rng.random() < 0.5}
    column = pl.Series([modelled.get(r["id"]) for r in rows], dtype=pl.Float64)
    book = playbook()
    workbook = sample_workbook(book)
    reference = compute_metrics(rows, 60.0, 2000.0, modelled_costs=modelled)
    columnar = compute_metrics_frame(stored_frame(rows), 60.0, 2000.0, modelled_cost=column)
    for workload in (None, rows[0]["workload"] if rows else None):
        ours, theirs = (ChartData(report, workbook, book, workload=workload) for report in (columnar, reference))
        assert cost_by_route_model(ours) == cost_by_route_model(theirs)
        assert latency_model(ours) == latency_model(theirs)
        assert cost_volume_model(ours) == cost_volume_model(theirs)
        mine, other = pareto_data(ours), pareto_data(theirs)
        assert mine.series == other.series and mine.notes == other.notes
        if mine.hover_points is not None:
            assert [mine.hover_points.describe(k) for k in range(len(mine.hover_points))] == \
                   [other.hover_points.describe(k) for k in range(len(other.hover_points))]
