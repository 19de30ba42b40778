"""The economics service: everything the economics need, loaded from a store, and the GUI's background
computation over its own connection.

Worked values: sample row 1 (Managed frontier API, coding-agent-maintenance) has costUsd 0.215, accepted
output rate 0.84 and 3.5 review minutes, so at the sample's 60 USD/h its cost per accepted output is
0.215 / 0.84 + 3.5 / 60 x 60 = 3.75595... (the seed's formula: the review cost is not divided by the rate).
"""

from __future__ import annotations

import json

import pytest

from desktop.domain.progress import Cancelled, NoProgress
from desktop.domain.sample import sample_workbook
from desktop.economics.catalog import bundled_catalog
from desktop.economics.recommend import RecommendationOverride
from desktop.economics.scenarios import make_scenario
from desktop.services.economics import compute_economics, load_economics, load_inputs, run_economics
from desktop.storage import economics_store as es
# the storage tests' fixtures: the sample workbook file and a store open on it
from tests.storage.test_economics_store import MEMORY_INPUTS, book, path, store  # noqa: F401

ROW1 = 0.215 / 0.84 + 3.5 / 60 * 60


def test_load_economics_reads_traces_scenarios_and_override(book, store):
    with store.transaction():
        es.save_scenario(store, make_scenario("fit", "memory", MEMORY_INPUTS))
        es.set_override(store, RecommendationOverride(None, "", "hosted-open-weight-serverless"))
    workbook = store.load(book)
    economics = load_economics(store, workbook, book)
    row1 = next(t for t in economics.report.traces if t.id == 1)
    assert row1.cost_per_accepted_output == pytest.approx(ROW1, rel=1e-12)
    assert economics.recommendation.numbers.memory_fits is True  # the saved scenario was used
    assert economics.recommendation.numbers.memory_scenario == "fit"
    assert economics.recommendation.fallback_name == "Hosted open-weight serverless"
    assert all(g.fallback_route == "Hosted open-weight serverless" for g in economics.report.groups)
    inputs = load_inputs(store)
    assert [s.name for s in inputs.scenarios] == ["fit"] and inputs.override.fallback == "hosted-open-weight-serverless"


def test_run_only_options_do_not_touch_the_workbook(book, store):
    workbook = store.load(book)
    economics = load_economics(store, workbook, book, reviewer_rate=0.0, target_p95_ms=30_000.0)
    row1 = next(t for t in economics.report.traces if t.id == 1)
    assert row1.cost_per_accepted_output == pytest.approx(0.215 / 0.84, rel=1e-12)
    coding = next(g for g in economics.report.groups if g.workload == "coding-agent-maintenance"
                  and g.model == "frontier-reasoning-model-id")  # the template row, not an illustrative one
    assert coding.best_cost_per_accepted_output_at_target == pytest.approx(0.215 / 0.84)  # 28,200 ms <= 30,000
    assert store.load(book).context.reviewer_rate_usd_per_hour == 60.0


def test_rows_without_observed_cost_are_modelled_and_marked(book):
    rows = [{"id": 7, "route": "Managed frontier API", "provider": "OpenAI", "model": "gpt-5",
             "workload": "w", "inputTokens": 1_000_000.0, "outputTokens": 100_000.0, "cacheHitRate": 0.0,
             "batchEligible": False, "concurrency": 1.0, "latencyP95Ms": 100.0, "acceptedOutputRate": 0.5,
             "costUsd": None, "reviewMinutes": 0.0}]
    economics = compute_economics(rows, sample_workbook(book), playbook=book)
    price = bundled_catalog().token_price("gpt-5")
    expected = (price.input_usd_per_million + 0.1 * price.output_usd_per_million) / 0.5
    [trace] = economics.report.traces
    assert trace.cost_basis == "modelled"
    assert trace.cost_per_accepted_output == pytest.approx(expected)
    assert trace.row["costUsd"] is None  # never written into the observed field


def test_a_stale_override_route_is_reported_not_raised(book, store):
    with store.transaction():
        store.conn.execute("INSERT OR REPLACE INTO parts VALUES ('recommendation', ?)",
                           (json.dumps({"route": "no-such-route", "reason": "x", "fallback": None}),))
    economics = load_economics(store, store.load(book), book)
    assert economics.override is None
    assert any("override is ignored" in p for p in economics.problems)


class Stages(NoProgress):
    def __init__(self, cancel: bool = False) -> None:
        self.names: list[str] = []
        self.cancel = cancel

    def stage(self, name: str, total: int | None = None) -> None:
        self.names.append(name)

    def cancelled(self) -> bool:
        return self.cancel


def test_run_economics_reads_over_its_own_connection_and_matches_load_economics(book, path, store):
    workbook = store.load(book)
    progress = Stages()
    economics = run_economics(path, workbook, book, progress)
    assert progress.names == ["Computing the economics"]
    expected = load_economics(store, workbook, book)
    assert [t.cost_per_accepted_output for t in economics.report.traces] == \
        [t.cost_per_accepted_output for t in expected.report.traces]
    assert economics.recommendation.route_name == expected.recommendation.route_name


def test_run_economics_stops_when_cancelled_or_when_the_copy_is_gone(book, path, store, tmp_path):
    workbook = store.load(book)
    with pytest.raises(Cancelled):
        run_economics(path, workbook, book, Stages(cancel=True))
    with pytest.raises(Cancelled):
        run_economics(tmp_path / "closed.ipwb", workbook, book, Stages())
