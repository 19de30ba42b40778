"""The published sources behind the calculators' formulas and defaults (see shared/reference/economics.md).

Kept in one place so a panel, the Assumptions sheet and the memo cite the same words for the same figure.
"""

from __future__ import annotations

from desktop.economics.params import Source

DEDICATED_FORMULA = Source(
    "Cost per 1M tokens = GPU $/hour / (tokens/s x 3600 x utilization) x 1e6",
    "deploycue.com/blog/self-hosting-llms-vs-api; tgarg01/silybench-data:derived/cost.json@045df3bf",
    "date not shown; silybench prices checked 2026-09-25")
BREAK_EVEN = Source(
    "Break-even utilization u* = cost at full utilization / API price; break-even volume = monthly cost / price",
    "llmtco.com/guides/api-vs-self-hosting-break-even; kickllm.com self-host-vs-api calculator",
    "date not shown")
HOURS_PER_MONTH = Source("730 hours a month (8760 / 12), always-on", "economics.md section 1; silybench cost.json",
                         "2026-09-25")
OWNED_FORMULA = Source(
    "Owned cost per server-hour = capex/(years x 8760) + power + colocation + support; per GPU-hour = / GPUs",
    "economics.md section 1.5; ai-infrastructure.net/build-vs-rent-gpu-cost-model", "date not shown")
EPOCH_POWER = Source(
    "Average/peak server power 0.75, PUE 1.25 (non-hyperscaler), $0.083/kWh (EIA US industrial, Jan 2023)",
    "epoch-research/training-cost-trends:parameters.py / cost_analysis_standalone.py@263c40a", "2026-04-01")
DGX_H100 = Source("DGX H100 8-GPU around $270,000; 10.2 kW max",
                  "epoch-research/training-cost-trends:data/Hardware prices.csv (SemiAnalysis); parameters.py",
                  "2023-05-29")
CBRE_COLO = Source("Colocation $184.06 per kW per month (North America, 250-500 kW)",
                   "CBRE North America Data Center Trends H2 2024", "2025-02-26")
API_BILL_FORMULA = Source(
    "Bill = (uncached input x p_in + cache writes x p_cw + cache reads x p_cr + output x p_out) / 1e6; "
    "batch multiplies by the provider's batch factor", "economics.md sections 1.6 and 5.2", "2026-11-28")
BATCH_HALF = Source("Batch APIs bill 50% of standard (OpenAI, Anthropic, Fireworks)",
                    "economics.md section 5.2 (apidog.com, docs.fireworks.ai/serverless/pricing, litellm *_batches)",
                    "date not shown")
MEMORY_FORMULA = Source(
    "weights = params x bytes; KV/token = 2 x layers x KV heads x head dim x bytes; MLA = layers x "
    "(kv_lora_rank + qk_rope_head_dim) x bytes; sliding layers hold min(context, window)",
    "frankdenneman.nl/2026/01/12/the-dynamic-world-of-llm-runtime-memory; "
    "deepseek-ai/DeepSeek-V3:inference/model.py@b15f0db", "2026-01-12")
VLLM_MEMORY = Source("gpu_memory_utilization is a fraction of total GPU memory (default 0.9; 0.92 in newer vLLM)",
                     "vllm-project/vllm PR #2162 and PR #5158; vllm/config/cache.py@002f10e0",
                     "2023-12-17 / 2024-05-31")
TP_KV_REPLICATION = Source("Tensor parallel: KV heads split across GPUs, replicated when GPUs exceed KV heads",
                           "economics.md section 2.1", "2026-11-28")
ERLANG_C = Source(
    "Erlang C: C = B/(1 - rho + rho B), P(Wq > t) = C exp(-(c mu - lambda) t), "
    "t_p = ln(C/(1-p))/(c mu - lambda)",
    "octave.sourceforge.io/queueing erlangc; economics.md section 7", "date not shown")
FALLBACK_BLEND = Source("Blended cost = (1 - fallback share) x primary + fallback share x fallback cost",
                        "playbook readiness note 'Fallback design' (route hard cases back to a managed model and "
                        "report blended cost per accepted output)", "playbook")
