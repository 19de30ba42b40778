"""Memory fit and Erlang C replica sizing against independently worked values (economics.md sections 2 and 7)."""

from __future__ import annotations

import json
import math

import pytest

from desktop.domain.errors import UnknownNameError
from desktop.economics.calculators import MemoryInputs, ReplicasInputs, memory, replicas
from desktop.economics.calculators.replicas import erlang_c
from desktop.economics.catalog import bundled_catalog
from desktop.economics.params import to_json


def test_memory_issue_example():
    """`ipw calc memory --model llama-3.1-70b --weights fp8 --kv-dtype bf16 --gpu h100-sxm --gpus 2 --context 8192
    --memory-utilization 0.90 --reserve-gb 4`. By hand: weights 70.55e9 x 1 byte = 70.55 GB; usable
    2 x (80 x 0.90 - 4) = 136 GB; KV budget 65.45 GB; KV per token 2 x 80 x 8 x 128 x 2 = 327,680 bytes
    (frankdenneman.nl 2026-01-12); tokens floor(65.45e9 / 327,680) = 199,737; per sequence 327,680 x 8,192 =
    2,684,354,560 bytes; sequences floor(65.45e9 / 2,684,354,560) = floor(24.38) = 24."""
    r = memory(MemoryInputs(model="llama-3.1-70b", weights="fp8", kv_dtype="bf16", gpu="h100-sxm", gpus=2,
                            context=8192, memory_utilization=0.90, reserve_gb=4))
    assert r.weights_gb == pytest.approx(70.55)
    assert r.usable_gb == pytest.approx(136.0)
    assert r.kv_budget_gb == pytest.approx(65.45)
    assert r.kv_bytes_per_token == 327_680
    assert r.kv_bytes_per_sequence == 2_684_354_560
    assert r.tokens_that_fit == 199_737
    assert r.concurrent_sequences == 24
    assert r.fits is True and r.verdict.startswith("Fits")


def test_kv_at_128k_matches_the_published_figure():
    """frankdenneman.nl: 327,680 bytes x 131,072 tokens = 42.95 GB for Llama 3.1 70B at 128K (FP16 cache)."""
    r = memory(MemoryInputs(model="llama-3.1-70b", weights="fp8", gpu="h200-sxm", gpus=4, context=131072))
    assert r.kv_bytes_per_sequence / 1e9 == pytest.approx(42.95, abs=0.01)


def test_model_that_does_not_fit():
    # 405.85e9 params x 2 bytes = 811.7 GB against 80 x 0.9 - 4 = 68 GB usable on one H100
    r = memory(MemoryInputs(model="llama-3.1-405b", gpu="h100-sxm", gpus=1, context=8192))
    assert r.fits is False and r.concurrent_sequences == 0 and r.tokens_that_fit == 0
    assert r.weights_gb == pytest.approx(811.7)
    assert r.verdict.startswith("Does not fit") and "811.7 GB" in r.verdict
    json.dumps(to_json(r), allow_nan=False)


def test_weights_fit_but_not_the_concurrency():
    r = memory(MemoryInputs(model="llama-3.1-70b", weights="fp8", gpu="h100-sxm", gpus=2, context=8192,
                            concurrency=25))
    assert r.fits is False and r.concurrent_sequences == 24 and "25 are needed" in r.reasons[0]


def test_context_beyond_the_model_maximum_does_not_fit():
    r = memory(MemoryInputs(model="mixtral-8x7b", gpu="h200-sxm", gpus=2, context=65536))
    assert r.fits is False and any("maximum of 32,768" in reason for reason in r.reasons)


def test_mla_cache():
    """DeepSeek-V3 MLA: 61 x (512 + 64) x 2 = 70,272 bytes per token (economics.md table 2.3); with 8 GPUs of
    tensor parallel the single latent 'head' is replicated on each GPU: 8 x 70,272 = 562,176."""
    one = memory(MemoryInputs(model="deepseek-v3", weights="fp8", gpu="h200-sxm", gpus=1, context=8192))
    assert one.kv_bytes_per_token == 70_272
    assert one.fits is False  # 671 GB of weights on one 141 GB GPU
    eight = memory(MemoryInputs(model="deepseek-v3", weights="fp8", gpu="h200-sxm", gpus=8, context=8192))
    assert eight.kv_bytes_per_token == 562_176
    # usable 8 x (141 x 0.9 - 4) = 983.2 GB; budget 312.2 GB; per sequence 562,176 x 8,192 -> floor = 67
    assert eight.kv_budget_gb == pytest.approx(312.2)
    assert eight.concurrent_sequences == math.floor(312.2e9 / (562_176 * 8192)) == 67
    assert eight.fits and any("replicated" in n for n in eight.notes)


def test_sliding_window_caches():
    """gpt-oss-120b: 18 full layers x 2,048 bytes = 36,864 bytes per token plus 18 sliding layers holding at most
    128 tokens: at 131,072 tokens 36,864 x 131,072 + 36,864 x 128 = 4,836,556,800 bytes (economics.md: 4.84 GB
    + 4.7 MB per sequence). Mistral 7B v0.1 holds at most 4,096 tokens: 131,072 x 4,096 = 536,870,912 bytes."""
    gpt = memory(MemoryInputs(model="gpt-oss-120b", weights="int4", gpu="h100-sxm", context=131072))
    assert gpt.kv_bytes_per_sequence == 4_836_556_800
    assert gpt.kv_bytes_per_token == 73_728
    mistral = memory(MemoryInputs(model="mistral-7b-v0.1", gpu="l4", context=32768))
    assert mistral.kv_bytes_per_sequence == 536_870_912
    # usable 24 x 0.9 - 4 = 17.6 GB; weights 14.48 GB; budget 3.12 GB -> floor(3.12e9 / 536,870,912) = 5
    assert mistral.concurrent_sequences == 5


def test_reserve_larger_than_memory():
    r = memory(MemoryInputs(model="llama-3.1-8b", gpu="l4", context=1024, reserve_gb=30))
    assert r.fits is False and r.usable_gb < 0 and "no usable memory" in r.reasons[0]


def test_unknown_model_names_the_choices():
    with pytest.raises(UnknownNameError, match="llama-3.1-70b"):
        memory(MemoryInputs(model="no-such-model", gpu="h100-sxm", context=10))


def test_override_of_a_gpu_is_reported():
    catalog = bundled_catalog().with_override(
        "gpus", {"key": "h100-sxm", "name": "H100 as measured", "memoryGb": 85.5, "source": "nvidia-smi",
                 "date": "2026-11-28"}, "nvidia-smi reports 81,559 MiB")
    r = memory(MemoryInputs(model="llama-3.1-70b", weights="fp8", gpu="h100-sxm", gpus=2, context=8192), catalog)
    assert r.usable_gb == pytest.approx(2 * (85.5 * 0.9 - 4))
    assert any("officer override" in n for n in r.notes)


def test_erlang_c_against_corrected_table():
    """economics.md section 7: for A = 2.5 the correct values are c=3: 0.702, c=4: 0.320, c=5: 0.130, c=6: 0.047;
    M/M/1 check: C(1, A) = rho."""
    assert [round(erlang_c(c, 2.5), 3) for c in (3, 4, 5, 6)] == [0.702, 0.320, 0.130, 0.047]
    assert erlang_c(1, 0.5) == pytest.approx(0.5)


def _closed_form_erlang_c(c: int, a: float) -> float:
    """An independent computation from the closed form, in log space."""
    log_top = c * math.log(a) - math.lgamma(c + 1) + math.log(c / (c - a))
    terms = [k * math.log(a) - math.lgamma(k + 1) for k in range(c)]
    peak = max(terms + [log_top])
    total = sum(math.exp(t - peak) for t in terms) + math.exp(log_top - peak)
    return math.exp(log_top - peak) / total


def _p95_wait(c: int, lam: float, s: float) -> float:
    wait = _closed_form_erlang_c(c, lam * s)
    return 0.0 if wait <= 0.05 else math.log(wait / 0.05) / (c / s - lam)


def test_replicas_issue_example():
    """`ipw calc replicas --arrival-rate 10 --service-time-s 15.5 --slots-per-replica 64 --p95-wait-s 1.0`:
    A = 10 x 15.5 = 155 Erlangs; the fewest slots whose p95 queue wait is <= 1 s, checked with the closed form
    (not the recursion the code uses), then replicas = ceil(slots / 64)."""
    r = replicas(ReplicasInputs(arrival_rate=10, service_time_s=15.5, slots_per_replica=64, p95_wait_s=1.0))
    assert r.offered_load_erlangs == pytest.approx(155)
    c = r.slots_needed
    assert _p95_wait(c, 10, 15.5) <= 1.0 < _p95_wait(c - 1, 10, 15.5)
    assert r.replicas == math.ceil(c / 64) == 3
    assert r.slots == 192 and r.utilization == pytest.approx(155 / 192)
    assert r.stable and r.meets_target
    assert r.wait_probability == pytest.approx(_closed_form_erlang_c(192, 155), rel=1e-9)


def test_unstable_fleet_is_reported_not_raised():
    r = replicas(ReplicasInputs(arrival_rate=10, service_time_s=15.5, slots_per_replica=64, replicas=2))
    assert r.stable is False and r.utilization == pytest.approx(155 / 128)
    assert r.wait_probability is None and r.percentile_wait_s is None and r.meets_target is False
    assert any("rho" in n for n in r.notes)
    exact = replicas(ReplicasInputs(arrival_rate=1, service_time_s=64, slots_per_replica=64, replicas=1))
    assert exact.stable is False and exact.utilization == 1.0  # rho = 1 exactly: no division by zero
    assert erlang_c(4, 4.0) is None and erlang_c(4, 5.0) is None
    json.dumps(to_json(r), allow_nan=False)


def test_no_traffic_needs_one_replica():
    r = replicas(ReplicasInputs(arrival_rate=0, service_time_s=2, slots_per_replica=8))
    assert (r.replicas, r.stable, r.wait_probability, r.utilization) == (1, True, 0.0, 0.0)


def test_huge_load_is_refused_clearly():
    from desktop.domain.errors import FieldError
    with pytest.raises(FieldError, match="Erlangs"):
        replicas(ReplicasInputs(arrival_rate=1e6, service_time_s=10, slots_per_replica=8))
