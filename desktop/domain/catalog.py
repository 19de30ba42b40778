"""The catalog's entries: model architectures, GPUs, token prices and GPU-hour prices, and the Catalog.

Each entry carries its source and date, because a price without provenance cannot be defended in a memo.
The officer may edit entries; an edited or added entry is an override and says so (with the reason)
wherever it is used. These are the records a workbook stores (its catalog overrides), so they live in the
domain layer where both the storage and the economics layers can use them; loading the bundled catalog
files is `desktop.economics.catalog`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import MISSING, dataclass, fields, replace
from typing import Any

from desktop.domain.camel_json import camel, to_json
from desktop.domain.errors import DomainError, UnknownNameError


class CatalogError(DomainError):
    """A catalog file or entry that is missing a field or has a wrong one."""


@dataclass(frozen=True)
class ModelSpec:
    key: str
    name: str
    layers: int
    params_total: float
    source: str
    date: str
    attention: str = "gqa"  # gqa (also MHA/MQA) | mla
    hidden_size: int | None = None
    attention_heads: int | None = None
    kv_heads: int | None = None
    head_dim: int | None = None
    kv_lora_rank: int | None = None
    qk_rope_head_dim: int | None = None
    sliding_window: int | None = None
    sliding_layers: int | None = None
    params_active: float | None = None
    max_context: int | None = None
    notes: str = ""
    override: bool = False
    override_reason: str = ""


@dataclass(frozen=True)
class GpuSpec:
    key: str
    name: str
    memory_gb: float
    source: str
    date: str
    bandwidth_tb_per_s: float | None = None
    bf16_dense_tflops: float | None = None
    fp8_dense_tflops: float | None = None
    tdp_w: float | None = None
    notes: str = ""
    override: bool = False
    override_reason: str = ""


@dataclass(frozen=True)
class TokenPrice:
    """USD per million tokens; None means the provider publishes no such price (missing, not free)."""

    key: str
    provider: str
    model: str
    input_usd_per_million: float
    output_usd_per_million: float
    source: str
    date: str
    litellm_provider: str = ""
    cache_read_usd_per_million: float | None = None
    cache_write_usd_per_million: float | None = None
    cache_write1h_usd_per_million: float | None = None
    batch_input_usd_per_million: float | None = None
    batch_output_usd_per_million: float | None = None
    max_input_tokens: int | None = None
    notes: str = ""
    override: bool = False
    override_reason: str = ""

    def provenance(self) -> str:
        text = f"{self.provider} {self.model}: {self.source} ({self.date})"
        return text + (f" [officer override: {self.override_reason}]" if self.override else "")


@dataclass(frozen=True)
class GpuHourPrice:
    key: str
    provider: str
    product: str
    gpu: str
    usd_per_gpu_hour: float
    source: str
    date: str
    notes: str = ""
    override: bool = False
    override_reason: str = ""

    def provenance(self) -> str:
        text = f"{self.provider} {self.product} {self.gpu}: {self.source} ({self.date})"
        return text + (f" [officer override: {self.override_reason}]" if self.override else "")


ENTRY_TYPES: dict[str, type] = {
    "models": ModelSpec, "gpus": GpuSpec, "token-prices": TokenPrice, "gpu-hour-prices": GpuHourPrice}
MAX_TEXT = 2000


def entry_from_json(kind: str, data: Any, where: str = "entry") -> Any:
    """Validate one catalog entry given by its camelCase JSON keys; raises CatalogError naming the field."""
    cls = ENTRY_TYPES.get(kind)
    if cls is None:
        raise CatalogError(f"unknown catalog '{kind}' (choose one of: {', '.join(ENTRY_TYPES)})")
    if not isinstance(data, Mapping):
        raise CatalogError(f"{where}: must be an object")
    by_key = {camel(f.name): f for f in fields(cls)}
    unknown = sorted(set(data) - set(by_key))
    if unknown:
        raise CatalogError(f"{where}.{unknown[0]}: is not a field of a {kind} entry")
    kwargs = {}
    for key, f in by_key.items():
        if key not in data or data[key] is None:
            if f.default is MISSING:
                raise CatalogError(f"{where}.{key}: is missing")
            continue
        kwargs[f.name] = _check(f.type, data[key], f"{where}.{key}")
    return cls(**kwargs)


def _check(annotation: str, value: Any, where: str) -> Any:
    kind = annotation.split("|")[0].strip()
    if kind == "str":
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            raise CatalogError(f"{where}: must be text of at most {MAX_TEXT} characters")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise CatalogError(f"{where}: must be true or false")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise CatalogError(f"{where}: must be a non-negative finite number")
    if kind == "int":
        if not float(value).is_integer():
            raise CatalogError(f"{where}: must be a whole number")
        return int(value)
    return float(value)


def entry_to_json(entry: Any) -> dict[str, Any]:
    return to_json(entry)


def _resolve(items: Iterable[Any], query: str, kind: str, names: tuple[str, ...] = ("key", "name")) -> Any:
    wanted = query.strip().casefold()
    items = list(items)
    for item in items:
        if any(str(getattr(item, n)).casefold() == wanted for n in names):
            return item
    raise UnknownNameError(f"unknown {kind} '{query}' (choose one of: {', '.join(i.key for i in items)})")


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.casefold())


def _provider_ids(text: str) -> set[str]:
    """'Together AI', 'together_ai' and 'together' all name one provider."""
    norm = _norm(text)
    return {norm, norm.removesuffix("ai")} - {""}


@dataclass(frozen=True)
class Catalog:
    models: tuple[ModelSpec, ...] = ()
    gpus: tuple[GpuSpec, ...] = ()
    token_prices: tuple[TokenPrice, ...] = ()
    gpu_hour_prices: tuple[GpuHourPrice, ...] = ()

    def model(self, query: str) -> ModelSpec:
        return _resolve(self.models, query, "model")

    def gpu(self, query: str) -> GpuSpec:
        return _resolve(self.gpus, query, "GPU")

    def token_price(self, query: str) -> TokenPrice:
        return _resolve(self.token_prices, query, "token price", ("key",))

    def gpu_hour_price(self, query: str) -> GpuHourPrice:
        return _resolve(self.gpu_hour_prices, query, "GPU-hour price", ("key",))

    def find_token_price(self, provider: str, model: str) -> TokenPrice | None:
        """The price row for a trace's provider and model (case and punctuation ignored), overrides first."""
        ids = _provider_ids(provider)
        wanted = model.strip().casefold()
        tail = wanted.rsplit("/", 1)[-1]
        matches = []
        for entry in self.token_prices:
            if not ids & (_provider_ids(entry.provider) | _provider_ids(entry.litellm_provider or entry.provider)):
                continue
            names = {entry.model.casefold(), entry.key.casefold()}
            if wanted in names or tail == entry.model.casefold().rsplit("/", 1)[-1]:
                matches.append(entry)
        matches.sort(key=lambda e: not e.override)
        return matches[0] if matches else None

    def with_entry(self, kind: str, entry: Any) -> Catalog:
        """The catalog with `entry` replacing the one with its key, or added."""
        attr = kind.replace("-", "_")
        if kind not in ENTRY_TYPES or not isinstance(entry, ENTRY_TYPES[kind]):
            raise CatalogError(f"a {kind} entry is needed")
        kept = tuple(e for e in getattr(self, attr) if e.key != entry.key)
        return replace(self, **{attr: kept + (entry,)})

    def with_override(self, kind: str, data: Mapping[str, Any], reason: str) -> Catalog:
        """The officer's edit of an entry (or a new one), marked as an override with its reason."""
        if not reason.strip():
            raise CatalogError("an override needs a reason")
        entry = entry_from_json(kind, {**dict(data), "override": True, "overrideReason": reason.strip()},
                                f"{kind} override")
        return self.with_entry(kind, entry)

    def overrides(self) -> list[tuple[str, Any]]:
        return [(kind, e) for kind in ENTRY_TYPES for e in getattr(self, kind.replace("-", "_")) if e.override]
