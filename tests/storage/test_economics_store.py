"""Saved scenarios, the recommendation override and catalog overrides in a workbook file (the service that
loads everything the economics need from a store is tested in tests/services/test_economics_service.py)."""

from __future__ import annotations

import json

import pytest

from desktop.domain.errors import DomainError, FieldError
from desktop.domain.sample import sample_traces, sample_workbook
from desktop.economics.catalog import bundled_catalog
from desktop.economics.litellm import parse_litellm
from desktop.economics.recommend import RecommendationOverride
from desktop.economics.scenarios import make_scenario, usable
from desktop.resources import playbook as load_playbook
from desktop.storage import economics_store as es
from desktop.storage.workbook_file import create_workbook_file, open_store

MEMORY_INPUTS = {"model": "llama-3.1-70b", "weights": "fp8", "kvDtype": "bf16", "gpu": "h100-sxm", "gpus": 2,
                 "context": 8192, "memoryUtilization": 0.9, "reserveGb": 4}


@pytest.fixture
def book():
    return load_playbook()


@pytest.fixture
def path(tmp_path, book):
    target = tmp_path / "w.ipwb"
    create_workbook_file(target, book, sample_workbook(book), sample_traces(book))
    return target


@pytest.fixture
def store(path):
    s = open_store(path, writable=True)
    yield s
    s.close()


def test_scenario_saved_listed_replaced_and_deleted_survives_reopen(path, store):
    first = make_scenario("70B fit", "memory", MEMORY_INPUTS, "2026-01-01T00:00:00Z")
    with store.transaction():
        assert es.save_scenario(store, first) is None
    changed = make_scenario("70B fit", "memory", {**MEMORY_INPUTS, "concurrency": 40}, "2026-01-02T00:00:00Z")
    with store.transaction():
        previous = es.save_scenario(store, changed)
    assert previous == first  # returned for undo
    store.close()

    reopened = open_store(path, writable=False)
    try:
        listed = es.list_scenarios(reopened)
        assert [(s.name, s.kind, s.inputs["concurrency"], s.saved_at) for s in listed] == [
            ("70B fit", "memory", 40, "2026-01-02T00:00:00Z")]
        assert es.get_scenario(reopened, " 70B fit ") == listed[0]
    finally:
        reopened.close()
    writable = open_store(path, writable=True)
    try:
        with writable.transaction():
            assert es.delete_scenario(writable, "70B fit").name == "70B fit"
            assert es.delete_scenario(writable, "70B fit") is None
        assert es.list_scenarios(writable) == []
    finally:
        writable.close()


def test_a_damaged_scenario_row_is_skipped_and_named(store):
    with store.transaction():
        es.save_scenario(store, make_scenario("ok", "fallback", {"fallbackShare": 0.1, "primaryCostUsd": 1,
                                                                 "fallbackCostUsd": 2}))
        store.conn.execute("INSERT INTO scenarios VALUES ('bad', 'fallback', ?, '2026-01-01T00:00:00Z')",
                           (json.dumps({"inputs": {"fallbackShare": 7}}),))
        store.conn.execute("INSERT INTO scenarios VALUES ('junk', 'memory', 'not json', '2026-01-01T00:00:00Z')")
    problems = []
    stored = es.list_scenarios(store, problems)  # storage: the damaged row is skipped, the shapes kept
    assert [s.name for s in stored] == ["bad", "ok"] and [name for name, _ in problems] == ["junk"]
    assert [s.name for s in usable(stored, problems)] == ["ok"]  # economics: the calculators check the inputs
    assert sorted(name for name, _ in problems) == ["bad", "junk"]
    assert "at most 1" in dict(problems)["bad"]


def test_override_is_recorded_in_the_recommendation_part_and_cleared(store):
    assert es.get_override(store) is None
    with store.transaction():
        es.set_override(store, RecommendationOverride("dedicated-hosted-endpoint", "contract signed",
                                                      "hosted-open-weight-serverless"))
    raw = store.conn.execute("SELECT json FROM parts WHERE name = 'recommendation'").fetchone()[0]
    assert json.loads(raw) == {"route": "dedicated-hosted-endpoint", "reason": "contract signed",
                               "fallback": "hosted-open-weight-serverless"}
    assert es.get_override(store) == RecommendationOverride("dedicated-hosted-endpoint", "contract signed",
                                                            "hosted-open-weight-serverless")
    with store.transaction():
        es.set_override(store, None)
    assert es.get_override(store) is None
    assert store.conn.execute("SELECT count(*) FROM parts WHERE name = 'recommendation'").fetchone()[0] == 0


def test_catalog_override_needs_a_reason_is_marked_and_can_be_removed(store):
    with pytest.raises(FieldError):
        with store.transaction():
            es.set_catalog_override(store, "gpu-hour-prices", {}, "  ")
    base = bundled_catalog().gpu_hour_price("runpod-community-cloud-h100-sxm")
    data = {"key": base.key, "provider": base.provider, "product": base.product, "gpu": base.gpu,
            "usdPerGpuHour": 1.99, "source": "quote Q-17", "date": "2026-11-01"}
    with store.transaction():
        entry = es.set_catalog_override(store, "gpu-hour-prices", data, "negotiated quote")
    assert entry.override and entry.override_reason == "negotiated quote"
    catalog = es.workbook_catalog(store, bundled_catalog())
    used = catalog.gpu_hour_price(base.key)
    assert (used.usd_per_gpu_hour, used.override) == (1.99, True)
    assert len(catalog.gpu_hour_prices) == len(bundled_catalog().gpu_hour_prices)  # replaced, not added
    assert bundled_catalog().gpu_hour_price(base.key).usd_per_gpu_hour == base.usd_per_gpu_hour  # untouched
    with store.transaction():
        assert es.remove_catalog_override(store, "gpu-hour-prices", base.key)
        assert not es.remove_catalog_override(store, "gpu-hour-prices", base.key)
    assert es.workbook_catalog(store, bundled_catalog()).gpu_hour_price(base.key).override is False


def test_litellm_import_is_recorded_with_provenance(store):
    raw = json.dumps({
        "acme/fast-1": {"litellm_provider": "acme", "mode": "chat", "input_cost_per_token": 1e-7,
                        "output_cost_per_token": 4e-7},
        "acme/embed": {"litellm_provider": "acme", "mode": "embedding", "input_cost_per_token": 1e-8,
                       "output_cost_per_token": 0}})
    imported = parse_litellm(raw, "prices.json", imported_on="2026-11-28")
    with store.transaction():
        assert es.import_litellm(store, imported) == 1
    price = es.workbook_catalog(store, bundled_catalog()).token_price("acme/fast-1")
    assert (price.input_usd_per_million, price.output_usd_per_million, price.override) == (0.1, 0.4, True)
    assert price.cache_read_usd_per_million is None  # missing stays missing
    [record] = es.catalog_imports(store)
    assert (record["source"], record["entries"], record["skipped"], record["sha256"]) == (
        "prices.json", 1, 1, imported.sha256)


def test_unknown_catalog_kind_is_refused(store):
    with pytest.raises(DomainError):
        es.set_catalog_override(store, "spaceships", {"key": "x"}, "reason")
