"""LiteLLM proxy spend logs (rows of its `LiteLLM_SpendLogs` table, exported as JSON or JSON lines) as a
request log: one row per request, mapped to request-log columns and aggregated like any request log.

What a spend-log row holds, as LiteLLM 1.108 writes it (`proxy/spend_tracking/spend_tracking_utils.py`):
`startTime`, `endTime` and `completionStartTime` are timestamps, so latency is endTime - startTime and TTFT is
completionStartTime - startTime. LiteLLM sets completionStartTime to endTime when no first token was seen
(a request that was not streamed), so TTFT is not observed there, never the whole latency. `spend` is the
request's cost in USD as LiteLLM priced it; null when LiteLLM had no price for the model (not observed, not
free). `prompt_tokens` / `completion_tokens` are the provider's usage counts. Cached prompt tokens sit in the
`metadata` JSON (`usage_object.prompt_tokens_details.cached_tokens`); a null there is not observed.
`cache_hit` ('True'/'False'/'None') is LiteLLM's own response cache (a reply served without calling the
model), not the provider's prompt cache the trace's cacheHitRate measures, so it is not read as one.
`status` is 'success' or 'failure'. The rows name the model but not the route, provider, workload or
concurrency: those are asked for, as for any request log that lacks them.
"""

from __future__ import annotations

from typing import Any

import polars as pl

# ---- Constants

LABEL = "LiteLLM spend logs"
_IDENTIFYING_KEYS = ("request_id", "call_type", "startTime", "endTime", "spend", "prompt_tokens")
_CACHED_TOKENS_PATH = "$.usage_object.prompt_tokens_details.cached_tokens"


# ---- Public API

def is_spend_log_row(sample: Any) -> bool:
    """Whether a JSON object is a row of LiteLLM's LiteLLM_SpendLogs table."""
    return isinstance(sample, dict) and all(key in sample for key in _IDENTIFYING_KEYS)


def spend_log_columns(frame: pl.DataFrame, notes: list[str]) -> pl.DataFrame:
    """The spend-log rows as request-log columns (latency_ms, ttft_ms, input/output tokens, cost_usd, model,
    status and, where the provider reported them, cached_tokens); a timestamp that cannot be read leaves the
    value empty, which the request-log checks report for that row."""
    started, ended = _timestamp(frame, "startTime"), _timestamp(frame, "endTime")
    first_token = _timestamp(frame, "completionStartTime")
    selected: dict[str, pl.Expr] = {
        "latency_ms": _milliseconds(ended - started),
        # completionStartTime == endTime: LiteLLM saw no first token, so there is no TTFT to read
        "ttft_ms": pl.when(first_token < ended).then(_milliseconds(first_token - started)),
        "input_tokens": pl.col("prompt_tokens").cast(pl.Float64, strict=False),
        "output_tokens": pl.col("completion_tokens").cast(pl.Float64, strict=False),
        "cost_usd": pl.col("spend").cast(pl.Float64, strict=False),
    }
    for name in ("model", "status"):
        if name in frame.columns:
            selected[name] = pl.col(name).cast(pl.String)
    cached = _cached_tokens(frame)
    if cached is not None:
        selected["cached_tokens"] = cached
    notes.append(f"{LABEL}: latency = endTime - startTime, TTFT = completionStartTime - startTime (not observed "
                 f"where completionStartTime equals endTime: no first token was seen), prompt_tokens and "
                 f"completion_tokens as input and output tokens, spend as cost in USD (null: LiteLLM had no "
                 f"price, not observed); cache_hit is LiteLLM's response cache, not the prompt-cache hit rate, "
                 f"and is not read")
    if cached is None:
        notes.append(f"{LABEL}: no row reports cached prompt tokens (metadata usage_object."
                     f"prompt_tokens_details.cached_tokens), so the cache hit rate is not observed")
    return frame.select([expr.alias(name) for name, expr in selected.items()])


# ---- Private API

def _timestamp(frame: pl.DataFrame, name: str) -> pl.Expr:
    if name not in frame.columns:
        return pl.lit(None, dtype=pl.Datetime("us", "UTC"))
    if isinstance(frame.schema[name], pl.Datetime):
        return pl.col(name).dt.convert_time_zone("UTC") if frame.schema[name].time_zone else \
            pl.col(name).dt.replace_time_zone("UTC")
    # '2026-12-06 18:59:22.336472+00:00' as LiteLLM writes it; 'T' and 'Z' as databases export it
    text = pl.col(name).cast(pl.String).str.replace(r"Z$", "+00:00").str.replace("T", " ", literal=True)
    return pl.coalesce(
        text.str.to_datetime("%Y-%m-%d %H:%M:%S%.f%:z", time_zone="UTC", strict=False),
        text.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False).dt.replace_time_zone("UTC"))


def _milliseconds(duration: pl.Expr) -> pl.Expr:
    return duration.dt.total_microseconds().cast(pl.Float64) / 1000.0


def _cached_tokens(frame: pl.DataFrame) -> pl.Expr | None:
    """Cached prompt tokens from the metadata JSON, or None when no row reports them."""
    if "metadata" not in frame.columns:
        return None
    if isinstance(frame.schema["metadata"], pl.Struct):  # a JSON export with metadata as an object
        metadata = pl.col("metadata").struct.json_encode()
    elif frame.schema["metadata"] == pl.String:
        metadata = pl.col("metadata")
    else:
        return None
    cached = metadata.str.json_path_match(_CACHED_TOKENS_PATH).cast(pl.Float64, strict=False)
    if frame.select(cached.is_not_null().any()).item():
        return cached
    return None
