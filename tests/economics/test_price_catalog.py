"""The bundled catalogs, officer overrides, the LiteLLM import and modelled trace costs."""

from __future__ import annotations

import json

import pytest

from desktop import paths
from desktop.economics.catalog import ENTRY_TYPES, FILES, CatalogError, bundled_catalog, entry_from_json
from desktop.economics.litellm import LiteLLMImportError, parse_litellm
from desktop.economics.pricing import modelled_cost, modelled_costs


@pytest.mark.parametrize("kind", list(FILES))
def test_every_bundled_entry_has_a_source_and_a_date(kind):
    entries = getattr(bundled_catalog(), kind.replace("-", "_"))
    assert entries
    for entry in entries:
        assert entry.source.strip() and entry.date.strip(), entry.key
        assert not entry.override


def test_catalog_files_are_plain_json_with_entries():
    for name in FILES.values():
        data = json.loads(paths.resource(f"catalog/{name}").read_text(encoding="utf-8"))
        assert isinstance(data["entries"], list) and data["version"] == 1


def test_unpublished_prices_are_null_not_zero():
    catalog = bundled_catalog()
    together = catalog.token_price("together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo")
    assert together.cache_read_usd_per_million is None and together.batch_input_usd_per_million is None
    # economics.md section 5.1: deepseek-chat publishes a cache-write price of 0 - a real zero, kept
    assert catalog.token_price("deepseek/deepseek-chat").cache_write_usd_per_million == 0.0
    sonnet = catalog.token_price("claude-sonnet-4-5")
    assert (sonnet.input_usd_per_million, sonnet.cache_read_usd_per_million, sonnet.cache_write_usd_per_million,
            sonnet.cache_write1h_usd_per_million) == (3.0, 0.3, 3.75, 6.0)


def test_lookup_by_trace_provider_and_model():
    catalog = bundled_catalog()
    assert catalog.find_token_price("OpenAI", "gpt-5").key == "gpt-5"
    assert catalog.find_token_price("Together AI", "meta-llama/Llama-3.3-70B-Instruct-Turbo").provider == "Together AI"
    assert catalog.find_token_price("Fireworks", "gpt-oss-120b").key.startswith("fireworks_ai/")
    assert catalog.find_token_price("OpenAI", "frontier-reasoning-model-id") is None
    assert catalog.gpu_hour_price("runpod-community-cloud-h100-sxm").usd_per_gpu_hour == 2.69


def test_override_is_marked_and_needs_a_reason():
    catalog = bundled_catalog()
    edited = catalog.with_override("token-prices", {
        "key": "gpt-5", "provider": "OpenAI", "model": "gpt-5", "inputUsdPerMillion": 1.0,
        "outputUsdPerMillion": 8.0, "source": "negotiated contract", "date": "2026-11-01"}, "enterprise discount")
    entry = edited.token_price("gpt-5")
    assert entry.override and entry.override_reason == "enterprise discount"
    assert "officer override: enterprise discount" in entry.provenance()
    assert [e.key for _, e in edited.overrides()] == ["gpt-5"]
    assert not catalog.token_price("gpt-5").override  # the bundled catalog is untouched
    with pytest.raises(CatalogError, match="reason"):
        catalog.with_override("token-prices", {}, " ")


@pytest.mark.parametrize("data, message", [
    ({"key": "x"}, "is missing"),
    ({"key": "x", "name": "X", "memoryGb": -1, "source": "s", "date": "d"}, "non-negative"),
    ({"key": "x", "name": "X", "memoryGb": float("nan"), "source": "s", "date": "d"}, "finite"),
    ({"key": "x", "name": "X", "memoryGb": 80, "source": "s", "date": "d", "colour": "red"}, "not a field"),
])
def test_bad_entries_are_refused_naming_the_field(data, message):
    with pytest.raises(CatalogError, match=message):
        entry_from_json("gpus", data)
    assert set(ENTRY_TYPES) == set(FILES)


LITELLM = {
    "sample_spec": {"input_cost_per_token": 0, "output_cost_per_token": 0, "mode": "chat"},
    "gpt-5": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1.25e-06,
              "output_cost_per_token": 1e-05, "cache_read_input_token_cost": 1.25e-07,
              "input_cost_per_token_batches": 6.25e-07, "output_cost_per_token_batches": 5e-06,
              "max_input_tokens": 272000, "source": "https://openai.com/api/pricing"},
    "text-embedding-3-small": {"litellm_provider": "openai", "mode": "embedding", "input_cost_per_token": 2e-08},
    "evil": {"mode": "chat", "input_cost_per_token": "__import__('os').system('true')", "output_cost_per_token": 1},
    "negative": {"mode": "chat", "input_cost_per_token": -1, "output_cost_per_token": 1},
    "list": [1, 2],
}


def test_litellm_import_converts_to_per_million_and_marks_overrides():
    result = parse_litellm(json.dumps(LITELLM), "prices.json", imported_on="2026-11-28")
    [entry] = result.entries
    assert (entry.input_usd_per_million, entry.output_usd_per_million, entry.cache_read_usd_per_million,
            entry.batch_input_usd_per_million) == (1.25, 10.0, 0.125, 0.625)
    assert entry.cache_write_usd_per_million is None  # absent in the file: missing, not zero
    assert entry.override and "prices.json" in entry.override_reason and entry.date == "imported 2026-11-28"
    assert "https://openai.com/api/pricing" in entry.source
    skipped = dict(result.skipped)
    assert set(skipped) == {"text-embedding-3-small", "evil", "negative", "list"}
    catalog = result.apply(bundled_catalog())
    assert catalog.token_price("gpt-5").override
    assert len(catalog.token_prices) == len(bundled_catalog().token_prices)


@pytest.mark.parametrize("raw, message", [
    ('{"a": {"input_cost_per_token": NaN}}', "not a number"),
    ("[1, 2]", "top level"),
    ("not json", "not a LiteLLM price file"),
    ("[" * 100_000 + "]" * 100_000, "not a LiteLLM price file"),
])
def test_litellm_bad_files_are_refused(raw, message):
    with pytest.raises(LiteLLMImportError, match=message):
        parse_litellm(raw, "bad.json")


def test_litellm_size_is_bounded_before_parsing():
    with pytest.raises(LiteLLMImportError, match="limit"):
        parse_litellm(b"{" + b" " * 2000 + b"}", "big.json", max_bytes=1000)


def test_modelled_cost_of_a_trace_row():
    """gpt-5: (6,200 x 0.65 x 1.25 + 6,200 x 0.35 x 0.125 + 1,200 x 10) / 1e6 = (5,037.5 + 271.25 + 12,000) / 1e6
    = $0.01730875 per request."""
    row = {"id": 7, "provider": "OpenAI", "model": "gpt-5", "inputTokens": 6200, "outputTokens": 1200,
           "cacheHitRate": 0.35, "costUsd": None}
    cost = modelled_cost(row)
    assert cost.cost_usd == pytest.approx(0.01730875)
    assert cost.modelled and cost.price_entry == "gpt-5" and not cost.override
    assert cost.to_json()["modelled"] is True


def test_modelled_cost_reports_missing_prices_and_unknown_models(rows):
    no_cache_price = {"id": 1, "provider": "Together AI", "model": "meta-llama/Llama-3.3-70B-Instruct-Turbo",
                      "inputTokens": 1000, "outputTokens": 100, "cacheHitRate": 0.5}
    cost = modelled_cost(no_cache_price)
    assert cost.cost_usd is None and cost.missing == ("cache read price",)
    rows[0]["costUsd"] = None
    costs = modelled_costs(rows)
    assert list(costs) == [1]  # only the row without an observed cost
    assert costs[1].cost_usd is None and "no token price" in costs[1].reason
