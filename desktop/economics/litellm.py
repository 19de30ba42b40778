"""Import of a LiteLLM `model_prices_and_context_window.json` the officer has, into token-price entries.

The file is untrusted input: its size is bounded before parsing, it is read with the JSON parser only
(never evaluated), NaN/Infinity literals and non-numeric or negative prices are refused per entry, and one
bad entry is skipped with a reason instead of failing the whole import.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from typing import Any

from desktop.domain.errors import DomainError
from desktop.domain.economics_records import LiteLLMImport
from desktop.economics.catalog import TokenPrice

MAX_BYTES = 32 * 1024 * 1024
MAX_ENTRIES = 50_000
MAX_KEY = 300
CHAT_MODES = ("chat", "completion", "responses")
_PRICE_FIELDS = {
    "cache_read_usd_per_million": "cache_read_input_token_cost",
    "cache_write_usd_per_million": "cache_creation_input_token_cost",
    "cache_write1h_usd_per_million": "cache_creation_input_token_cost_above_1hr",
    "batch_input_usd_per_million": "input_cost_per_token_batches",
    "batch_output_usd_per_million": "output_cost_per_token_batches",
}


class LiteLLMImportError(DomainError):
    """The file as a whole cannot be imported."""


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number")


def _per_million(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValueError(f"price {value!r} is not a non-negative number")
    return float(f"{value * 1e6:.12g}")


def parse_litellm(raw: bytes | str, source_name: str, imported_on: str | None = None,
                  modes: tuple[str, ...] = CHAT_MODES, max_bytes: int = MAX_BYTES) -> LiteLLMImport:
    """Token-price entries (marked as officer overrides, source = the file) for chat/completion models."""
    data_bytes = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    if len(data_bytes) > max_bytes:
        raise LiteLLMImportError(f"{source_name} is {len(data_bytes):,} bytes; the limit is {max_bytes:,}")
    digest = hashlib.sha256(data_bytes).hexdigest()
    try:
        data = json.loads(data_bytes.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise LiteLLMImportError(f"{source_name} is not a LiteLLM price file: {exc}") from None
    if not isinstance(data, dict):
        raise LiteLLMImportError(f"{source_name} is not a LiteLLM price file: the top level must be an object")
    if len(data) > MAX_ENTRIES:
        raise LiteLLMImportError(f"{source_name} has {len(data):,} entries; the limit is {MAX_ENTRIES:,}")
    day = imported_on or dt.date.today().isoformat()
    reason = f"imported from LiteLLM file {source_name} (sha256 {digest[:12]}) on {day}"
    entries, skipped = [], []
    for key, row in data.items():
        if key == "sample_spec":
            continue
        if len(key) > MAX_KEY or not key.strip():
            skipped.append((key[:MAX_KEY], "key is empty or too long"))
            continue
        if not isinstance(row, dict):
            skipped.append((key, "entry is not an object"))
            continue
        mode = row.get("mode")
        if mode is not None and mode not in modes:
            skipped.append((key, f"mode '{str(mode)[:40]}' is not a text-generation mode"))
            continue
        try:
            entries.append(_entry(key, row, source_name, day, reason))
        except ValueError as exc:
            skipped.append((key, str(exc)))
    return LiteLLMImport(tuple(entries), tuple(skipped), digest, source_name)


def _text(row: dict, name: str, limit: int = 500) -> str:
    value = row.get(name)
    return value[:limit] if isinstance(value, str) else ""


def _entry(key: str, row: dict, source_name: str, day: str, reason: str) -> TokenPrice:
    price_in = _per_million(row.get("input_cost_per_token"))
    price_out = _per_million(row.get("output_cost_per_token"))
    if price_in is None or price_out is None:
        raise ValueError("no input or output price per token")
    provider = _text(row, "litellm_provider", 100) or key.split("/", 1)[0]
    model = key.split("/", 1)[1] if key.startswith(provider + "/") else key
    max_in = row.get("max_input_tokens")
    if not (isinstance(max_in, int) and not isinstance(max_in, bool) and max_in >= 0):
        max_in = None
    optional = {name: _per_million(row.get(litellm_name)) for name, litellm_name in _PRICE_FIELDS.items()}
    upstream = _text(row, "source")
    source = f"LiteLLM model_prices_and_context_window.json ({source_name})"
    if upstream:
        source += f"; upstream {upstream}"
    return TokenPrice(key=key, provider=provider, model=model, input_usd_per_million=price_in,
                      output_usd_per_million=price_out, source=source, date=f"imported {day}",
                      litellm_provider=provider, max_input_tokens=max_in, override=True, override_reason=reason,
                      **optional)
