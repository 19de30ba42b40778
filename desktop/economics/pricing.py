"""Modelled cost of a trace row from the token-price catalog, for rows whose costUsd was not observed.

A modelled cost is an estimate, so it is carried apart from observed cost (its own record, marked
modelled) and never written into the row's costUsd. A price the catalog lacks makes the cost unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from desktop.economics.catalog import Catalog, TokenPrice, bundled_catalog
from desktop.economics.metrics import as_number


@dataclass(frozen=True)
class ModelledCost:
    row_id: Any
    cost_usd: float | None  # USD per request
    price_entry: str | None
    override: bool
    missing: tuple[str, ...]
    reason: str | None
    provenance: str | None
    modelled: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"id": self.row_id, "costUsd": self.cost_usd, "modelled": True, "priceEntry": self.price_entry,
                "override": self.override, "missing": list(self.missing), "reason": self.reason,
                "provenance": self.provenance}


def request_cost(entry: TokenPrice, tokens_in: float, tokens_out: float, hit: float) -> float | None:
    """USD per request at standard prices, cached input at the cache-read price; None when part of the input
    is cached and the entry publishes no cache-read price (missing is not free)."""
    if hit > 0 and entry.cache_read_usd_per_million is None:
        return None
    return (tokens_in * (1 - hit) * entry.input_usd_per_million
            + tokens_in * hit * (entry.cache_read_usd_per_million or 0.0)
            + tokens_out * entry.output_usd_per_million) / 1e6


def modelled_cost(row: Mapping[str, Any], catalog: Catalog | None = None) -> ModelledCost:
    """Standard (non-batch) token prices; cached input at the cache-read price; cache writes not counted."""
    catalog = catalog or bundled_catalog()
    row_id = row.get("id")
    entry = catalog.find_token_price(str(row.get("provider", "")), str(row.get("model", "")))
    if entry is None:
        return ModelledCost(row_id, None, None, False, (), f"no token price for {row.get('provider')} "
                            f"{row.get('model')} in the catalog", None)
    hit = as_number(row.get("cacheHitRate")) or 0.0
    tokens_in = as_number(row.get("inputTokens")) or 0.0
    tokens_out = as_number(row.get("outputTokens")) or 0.0
    cost = request_cost(entry, tokens_in, tokens_out, hit)
    if cost is None:
        return ModelledCost(row_id, None, entry.key, entry.override, ("cache read price",),
                            f"{entry.key} publishes no cache read price", entry.provenance())
    return ModelledCost(row_id, cost, entry.key, entry.override, (), None, entry.provenance())


def modelled_costs(rows: Iterable[Mapping[str, Any]], catalog: Catalog | None = None) -> dict[Any, ModelledCost]:
    """Modelled costs for the rows without an observed costUsd, by row id."""
    catalog = catalog or bundled_catalog()
    return {row.get("id"): modelled_cost(row, catalog) for row in rows if as_number(row.get("costUsd")) is None}
