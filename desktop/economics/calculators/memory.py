"""Memory and context fit: does the model plus the KV cache for the planned sessions fit the GPUs?

A model that loads for a demo can still fail production: the KV cache for long contexts and many
concurrent sessions is what runs out. GB means 1e9 bytes throughout; token and sequence counts are floored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from desktop.economics import sources
from desktop.economics.catalog import Catalog, GpuSpec, ModelSpec, bundled_catalog
from desktop.economics.params import Source, inp, out, validate_inputs

GB = 1e9
BYTES_PER_PARAM = {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5}
KV_BYTES = {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0}


@dataclass(frozen=True)
class MemoryInputs:
    model: str | None = inp(None, "catalog key", "Model from the model catalog (e.g. llama-3.1-70b)",
                            required=True, text=True)
    weights: str = inp("bf16", "", "Weight precision", choices=tuple(BYTES_PER_PARAM))
    kv_dtype: str = inp("bf16", "", "KV-cache precision", choices=tuple(KV_BYTES))
    gpu: str | None = inp(None, "catalog key", "GPU from the GPU catalog (e.g. h100-sxm)", required=True,
                          text=True)
    gpus: int = inp(1, "GPUs", "GPUs serving one replica (tensor parallel)", minimum=1, whole=True)
    context: int | None = inp(None, "tokens", "Context length of one sequence (prompt + output)", required=True,
                              minimum=1, whole=True)
    concurrency: int = inp(1, "sequences", "Concurrent sequences that must fit at that context", minimum=1,
                           whole=True)
    memory_utilization: float = inp(0.90, "share 0-1", "Share of each GPU's memory the engine may use",
                                    above=0, maximum=1)
    reserve_gb: float = inp(4.0, "GB per GPU",
                            "Reserve per GPU for activations, CUDA graphs and runtime (typically 2-5 GB)", minimum=0)

    def __post_init__(self) -> None:
        validate_inputs(self)


@dataclass(frozen=True)
class MemoryResult:
    model_name: str = out("", "Model")
    gpu_name: str = out("", "GPU")
    weights_gb: float = out("GB", "Weights")
    kv_bytes_per_token: int = out("bytes/token", "KV cache per token (all layers)")
    kv_bytes_per_sequence: int = out("bytes", "KV cache of one sequence at the context")
    usable_gb: float = out("GB", "Usable memory (GPUs x (memory x utilization - reserve))")
    kv_budget_gb: float = out("GB", "KV-cache budget (usable - weights)")
    tokens_that_fit: int = out("tokens", "Tokens of KV cache that fit")
    concurrent_sequences: int = out("sequences", "Concurrent sequences at the context")
    fits: bool = out("", "Fits")
    verdict: str = out("", "Verdict")
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()


def kv_layout(model: ModelSpec, kv_bytes: float) -> tuple[float, float, int]:
    """(bytes/token of full-attention layers, bytes/token of sliding layers, cached heads per layer)."""
    if model.attention == "mla":
        per_layer = (model.kv_lora_rank + model.qk_rope_head_dim) * kv_bytes
        heads = 1
    else:
        per_layer = 2 * model.kv_heads * model.head_dim * kv_bytes
        heads = model.kv_heads
    sliding = (model.layers if model.sliding_layers is None else model.sliding_layers) if model.sliding_window else 0
    return per_layer * (model.layers - sliding), per_layer * sliding, heads


def check_model(model: ModelSpec) -> None:
    needed = ("kv_lora_rank", "qk_rope_head_dim") if model.attention == "mla" else ("kv_heads", "head_dim")
    missing = [n for n in needed if getattr(model, n) is None]
    if missing:
        raise ValueError(f"model '{model.key}' lacks {', '.join(missing)} in the catalog")


def memory(inputs: MemoryInputs, catalog: Catalog | None = None) -> MemoryResult:
    catalog = catalog or bundled_catalog()
    model: ModelSpec = catalog.model(inputs.model)
    gpu: GpuSpec = catalog.gpu(inputs.gpu)
    check_model(model)
    kv_bytes = KV_BYTES[inputs.kv_dtype]
    weight_bytes = model.params_total * BYTES_PER_PARAM[inputs.weights]
    full, sliding, heads = kv_layout(model, kv_bytes)
    replication = max(1.0, inputs.gpus / heads)
    full, sliding = full * replication, sliding * replication
    per_token = full + sliding
    held_sliding = min(inputs.context, model.sliding_window) if model.sliding_window else inputs.context
    per_sequence = full * inputs.context + sliding * held_sliding
    usable = inputs.gpus * (gpu.memory_gb * GB * inputs.memory_utilization - inputs.reserve_gb * GB)
    budget = usable - weight_bytes
    tokens = math.floor(budget / per_token) if budget > 0 else 0
    sequences = math.floor(budget / per_sequence) if budget > 0 else 0

    reasons = []
    if usable <= 0:
        reasons.append(f"The reserve of {inputs.reserve_gb:g} GB per GPU leaves no usable memory.")
    elif budget <= 0:
        reasons.append(f"The weights ({weight_bytes / GB:,.1f} GB) do not fit in {usable / GB:,.1f} GB usable "
                       f"on {inputs.gpus} x {gpu.name}.")
    elif sequences < inputs.concurrency:
        reasons.append(f"The KV budget of {budget / GB:,.1f} GB holds {sequences} sequence(s) of "
                       f"{inputs.context:,} tokens; {inputs.concurrency} are needed.")
    if model.max_context is not None and inputs.context > model.max_context:
        reasons.append(f"A context of {inputs.context:,} tokens exceeds {model.name}'s maximum of "
                       f"{model.max_context:,}.")
    fits = not reasons
    verdict = (f"Fits: {sequences:,} concurrent sequence(s) of {inputs.context:,} tokens "
               f"({inputs.concurrency} needed)" if fits else "Does not fit: " + reasons[0])

    notes = []
    if replication > 1:
        notes.append(f"{inputs.gpus} GPUs exceed the {heads} cached KV head(s) per layer, so the KV cache is "
                     f"replicated {replication:g}x across tensor-parallel GPUs.")
    if model.sliding_window:
        count = model.layers if model.sliding_layers is None else model.sliding_layers
        notes.append(f"{count} of {model.layers} layers keep at most {model.sliding_window:,} "
                     "tokens per sequence (sliding window); tokens that fit counts every layer.")
    if model.params_active:
        notes.append("Mixture of experts: every expert stays resident, so weights use the total parameters "
                     f"({model.params_total / 1e9:,.1f}B), not the active ones.")
    for entry in (model, gpu):
        if entry.override:
            notes.append(f"{entry.name} uses an officer override: {entry.override_reason}")
    assumptions = (
        f"GB = 1e9 bytes; {gpu.name} has {gpu.memory_gb:g} GB (vendor capacity).",
        f"Weights {inputs.weights} at {BYTES_PER_PARAM[inputs.weights]:g} bytes per parameter, no quantization "
        "scales counted; KV cache " + f"{inputs.kv_dtype} at {kv_bytes:g} bytes per value.",
        f"The engine may use {inputs.memory_utilization:.0%} of each GPU's memory and {inputs.reserve_gb:g} GB per "
        "GPU is reserved for activations and runtime.",
        "Weights and KV cache split evenly across tensor-parallel GPUs.",
        f"Model: {model.source} ({model.date}); GPU: {gpu.source} ({gpu.date}).",
    )
    return MemoryResult(
        model_name=model.name, gpu_name=gpu.name, weights_gb=weight_bytes / GB, kv_bytes_per_token=round(per_token),
        kv_bytes_per_sequence=round(per_sequence), usable_gb=usable / GB, kv_budget_gb=budget / GB,
        tokens_that_fit=tokens, concurrent_sequences=sequences, fits=fits, verdict=verdict, reasons=tuple(reasons),
        notes=tuple(notes), assumptions=assumptions,
        sources=(sources.MEMORY_FORMULA, sources.VLLM_MEMORY, sources.TP_KV_REPLICATION))
