"""Dedicated, owned, API-bill and fallback calculators against independently worked values.

Sources cited per test are the worked examples quoted in shared/reference/economics.md.
"""

from __future__ import annotations

import json

import pytest

from desktop.domain.errors import FieldError
from desktop.economics.calculators import (
    ApiBillInputs, DedicatedInputs, FallbackInputs, OwnedInputs, api_bill, dedicated, fallback, owned)
from desktop.economics.params import to_json


def test_dedicated_issue_example():
    """`ipw calc dedicated --gpu-hour-usd 2.69 --gpus 1 --tokens-per-second 14539.5 --utilization 0.5
    --api-usd-per-million 0.20` (RunPod H100 $2.69/h and silybench Qwen3-8B 14,539.5 output tok/s, both
    2026-09-25 in economics.md). By hand: 14,539.5 x 3600 = 52,342,200 tokens/h; 2.69 / 52.3422 = $0.051393 per
    1M at full load; at 50% $0.102785; break-even 0.051393 / 0.20 = 25.70%; monthly 2.69 x 730 = $1,963.70;
    break-even volume 1,963.70 / 0.20 x 1e6 = 9.8185e9 tokens a month."""
    r = dedicated(DedicatedInputs(gpu_hour_usd=2.69, gpus=1, tokens_per_second=14539.5, utilization=0.5,
                                  api_usd_per_million=0.20))
    assert r.usd_per_million_at_full_utilization == pytest.approx(0.0513925, rel=1e-5)
    assert r.usd_per_million == pytest.approx(0.102785, rel=1e-5)
    assert r.break_even_utilization == pytest.approx(0.256963, rel=1e-5)
    assert r.monthly_cost_usd == pytest.approx(1963.70)
    assert r.break_even_monthly_tokens == pytest.approx(9.8185e9)
    assert r.cheaper_than_api is True
    assert r.sources and r.assumptions


def test_dedicated_matches_published_examples():
    """dreaming.press: "$2.50 / (700 x 3,600) x 1,000,000 = $0.99 per million output tokens", "$9.92" at 10% busy;
    kshirol-dev learnAI: 4 x H100 at $2.50 = $10/h, 3,400 tok/s -> $0.82/M (economics.md section 1.2)."""
    full = dedicated(DedicatedInputs(gpu_hour_usd=2.50, tokens_per_second=700, utilization=1.0))
    assert full.usd_per_million == pytest.approx(0.992, abs=0.001)
    tenth = dedicated(DedicatedInputs(gpu_hour_usd=2.50, tokens_per_second=700, utilization=0.1))
    assert tenth.usd_per_million == pytest.approx(9.92, abs=0.005)
    four = dedicated(DedicatedInputs(gpu_hour_usd=2.50, gpus=4, tokens_per_second=3400, utilization=1.0))
    assert four.replica_usd_per_hour == 10.0
    assert four.usd_per_million == pytest.approx(0.82, abs=0.005)


def test_dedicated_zero_utilization_has_no_cost_per_token_but_a_break_even():
    r = dedicated(DedicatedInputs(gpu_hour_usd=2.69, tokens_per_second=14539.5, utilization=0.0,
                                  api_usd_per_million=0.20))
    assert r.usd_per_million is None
    assert r.monthly_tokens == 0 and r.api_monthly_cost_usd == 0
    assert r.break_even_utilization == pytest.approx(0.256963, rel=1e-5)
    assert r.cheaper_than_api is False
    assert any("Utilization 0" in n for n in r.notes)
    json.dumps(to_json(r), allow_nan=False)


def test_dedicated_break_even_above_one_is_explained():
    r = dedicated(DedicatedInputs(gpu_hour_usd=10, tokens_per_second=100, utilization=1, api_usd_per_million=1))
    assert r.break_even_utilization > 1 and any("above 100%" in n for n in r.notes)


def test_dedicated_without_api_price_and_zero_throughput():
    r = dedicated(DedicatedInputs(gpu_hour_usd=2.0, tokens_per_second=0, utilization=0.5))
    assert r.usd_per_million is None and r.break_even_utilization is None and r.break_even_monthly_tokens is None


def test_dedicated_refuses_bad_inputs():
    with pytest.raises(FieldError, match="--utilization"):
        DedicatedInputs(gpu_hour_usd=2.0, tokens_per_second=10, utilization=1.5)
    with pytest.raises(FieldError, match="--gpu-hour-usd: is required"):
        DedicatedInputs(tokens_per_second=10, utilization=0.5)
    with pytest.raises(FieldError, match="--gpus"):
        DedicatedInputs(gpu_hour_usd=2.0, gpus=1.5, tokens_per_second=10, utilization=0.5)
    with pytest.raises(FieldError, match="finite"):
        DedicatedInputs(gpu_hour_usd=float("nan"), tokens_per_second=10, utilization=0.5)


def test_owned_issue_example():
    """`ipw calc owned --capex-usd 270000 --gpus 8 --years 4 --power-kw 10.2 --load-factor 0.75 --pue 1.25
    --usd-per-kwh 0.083 --colo-usd-per-kw-month 184.06 --support-usd-per-year 27000 --rental-gpu-hour-usd 2.69`
    (DGX H100 $270,000 and 10.2 kW, Epoch's 0.75 / 1.25 / $0.083, CBRE $184.06 per kW-month). By hand:
    capex 270,000 / (4 x 8,760) = 7.705479; power 10.2 x 0.75 x 1.25 x 0.083 = 0.793688;
    colo 184.06 x 10.2 x 12 / 8,760 = 2.571797; support 27,000 / 8,760 = 3.082192;
    server-hour 14.153156; GPU-hour 1.769144; break-even 1.769144 / 2.69 = 65.77%."""
    r = owned(OwnedInputs(capex_usd=270000, gpus=8, years=4, power_kw=10.2, load_factor=0.75, pue=1.25,
                          usd_per_kwh=0.083, colo_usd_per_kw_month=184.06, support_usd_per_year=27000,
                          rental_gpu_hour_usd=2.69))
    assert r.capex_usd_per_hour == pytest.approx(7.705479, rel=1e-6)
    assert r.power_usd_per_hour == pytest.approx(0.7936875)
    assert r.colo_usd_per_hour == pytest.approx(2.571797, rel=1e-6)
    assert r.support_usd_per_hour == pytest.approx(3.082192, rel=1e-6)
    assert r.server_usd_per_hour == pytest.approx(14.153156, rel=1e-6)
    assert r.usd_per_gpu_hour == pytest.approx(1.769144, rel=1e-6)
    assert r.break_even_utilization == pytest.approx(0.657674, rel=1e-5)
    assert r.annual_cost_usd == pytest.approx(14.153156 * 8760, rel=1e-6)


def test_owned_contracted_kw_and_overhead():
    # colo on 20 kW instead of 10.2: 184.06 x 20 x 12 / 8760 = 5.042740; capex with 19% overhead: 7.705479 x 1.19
    r = owned(OwnedInputs(capex_usd=270000, power_kw=10.2, contracted_kw=20, infra_overhead=0.19))
    assert r.colo_usd_per_hour == pytest.approx(5.042740, rel=1e-6)
    assert r.capex_usd_per_hour == pytest.approx(7.705479 * 1.19, rel=1e-6)
    assert r.break_even_utilization is None


def test_api_bill_from_catalog_prices_with_batch():
    """gpt-5 ($1.25 in, $0.125 cache read, $10 out, batch $0.625 in -> 50% off; economics.md section 5.1):
    10M uncached input = $12.50, 5M cache reads = $0.625, 2M output = $20.00 -> $33.125 standard;
    half the traffic at 50% off saves 33.125 x 0.5 x 0.5 = $8.28125 -> $24.84375."""
    r = api_bill(ApiBillInputs(input_tokens=10e6, cache_read_tokens=5e6, output_tokens=2e6, price="gpt-5",
                               batch_share=0.5))
    assert (r.input_cost_usd, r.cache_read_cost_usd, r.output_cost_usd) == pytest.approx((12.5, 0.625, 20.0))
    assert r.standard_cost_usd == pytest.approx(33.125)
    assert r.batch_saving_usd == pytest.approx(8.28125)
    assert r.monthly_bill_usd == pytest.approx(24.84375)
    assert r.usd_per_million_blended == pytest.approx(24.84375 / 17)
    assert r.missing == () and r.price_entry == "gpt-5"
    assert any("gpt-5" in a for a in r.assumptions)


def test_api_bill_missing_prices_are_missing_not_zero():
    # Together publishes no cache-read or batch price for this model (economics.md section 5.1: '-').
    key = "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo"
    r = api_bill(ApiBillInputs(input_tokens=1e6, cache_read_tokens=1e6, output_tokens=1e6, price=key,
                               batch_share=0.2))
    assert r.missing == ("cache read price", "batch discount")
    assert r.cache_read_cost_usd is None and r.monthly_bill_usd is None and r.standard_cost_usd is None
    assert r.input_cost_usd == pytest.approx(1.04)
    # no cache-read tokens and no batch: nothing is missing
    ok = api_bill(ApiBillInputs(input_tokens=1e6, output_tokens=1e6, price=key))
    assert ok.missing == () and ok.monthly_bill_usd == pytest.approx(2.08)


def test_api_bill_explicit_prices_win_over_the_catalog():
    r = api_bill(ApiBillInputs(input_tokens=1e6, output_tokens=1e6, price="gpt-5", input_usd_per_million=1.0,
                               batch_share=1.0, batch_discount=0.5))
    assert r.monthly_bill_usd == pytest.approx((1.0 + 10.0) * 0.5)


def test_fallback_blend():
    """20% of traffic to the fallback: 0.8 x 2.84 + 0.2 x 3.76 = 2.272 + 0.752 = 3.024."""
    r = fallback(FallbackInputs(fallback_share=0.2, primary_cost_usd=2.84, fallback_cost_usd=3.76))
    assert r.blended_cost_usd == pytest.approx(3.024)
    assert r.saving_vs_fallback_only_usd == pytest.approx(0.736)
    assert r.premium_vs_primary_usd == pytest.approx(0.184)
    edge = fallback(FallbackInputs(fallback_share=1.0, primary_cost_usd=1.0, fallback_cost_usd=3.0))
    assert edge.blended_cost_usd == 3.0
