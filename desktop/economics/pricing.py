"""Modelled cost of a trace row from the token-price catalog, for rows whose costUsd was not observed.

A modelled cost is an estimate, so it is carried apart from observed cost (its own record, marked
modelled) and never written into the row's costUsd. A price the catalog lacks makes the cost unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

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


class ModelledCosts(Mapping[Any, ModelledCost]):
    """Modelled costs of a trace frame's rows without an observed costUsd, by row id, each `ModelledCost`
    built when it is looked up. `cost_usd` is the whole column (aligned with the frame, null where no modelled
    cost applies) for the metrics and the plan; `price_entries_used` names the catalog rows that priced rows."""

    def __init__(self, table: pl.DataFrame, cost_usd: pl.Series, entries: Mapping[str, TokenPrice],
                 ids: Sequence[Any] | None) -> None:
        self._table = table  # rows without observed cost: __index, id, provider, model, key, cost, reason kind
        self.cost_usd = cost_usd
        self._entries = entries
        self._ids = ids
        self._positions: dict[Any, int] | None = None

    def _id_list(self) -> list[Any]:
        if self._ids is not None:
            return [self._ids[i] for i in self._table["__index"].to_list()]
        return self._table["id"].to_list()

    def _where(self) -> Mapping[Any, int]:
        """Row id -> position in the table: a binary search over the frame's ids when they ascend (a store's
        rows, read in id order), else a dict (row dicts given in any order)."""
        if self._positions is None:
            ids = self._table["id"] if self._ids is None else None
            if ids is not None and ids.dtype.is_integer() and not ids.null_count() and (
                    ids.len() < 2 or bool((ids.diff().drop_nulls() > 0).all())):
                self._positions = _SortedIds(ids.to_numpy())
            else:
                self._positions = {row_id: at for at, row_id in enumerate(self._id_list())}
        return self._positions

    def __len__(self) -> int:
        return len(self._where())

    def __iter__(self) -> Iterator[Any]:
        return iter(self._where())

    def __contains__(self, row_id: object) -> bool:
        return row_id in self._where()

    def __getitem__(self, row_id: Any) -> ModelledCost:
        at = self._where()[row_id]
        return self._build(row_id, *self._table.row(at)[2:6])

    def items(self) -> Iterator[tuple[Any, ModelledCost]]:  # type: ignore[override]
        """Every (row id, cost), built in one pass over the table rather than looked up one by one."""
        ids = iter(self._id_list())
        for provider, model, key, cost in self._table.select("provider", "model", "key", "cost").iter_rows():
            row_id = next(ids)
            yield row_id, self._build(row_id, provider, model, key, cost)

    def values(self) -> Iterator[ModelledCost]:  # type: ignore[override]
        return (cost for _, cost in self.items())

    def _build(self, row_id: Any, provider: str, model: str, key: str | None, cost: float | None) -> ModelledCost:
        entry = self._entries.get(key) if key is not None else None
        if entry is None:
            return ModelledCost(row_id, None, None, False, (), f"no token price for {provider} {model} in the catalog",
                                None)
        if cost is None:
            return ModelledCost(row_id, None, entry.key, entry.override, ("cache read price",),
                                f"{entry.key} publishes no cache read price", entry.provenance())
        return ModelledCost(row_id, cost, entry.key, entry.override, (), None, entry.provenance())

    def price_entries_used(self) -> list[TokenPrice]:
        """The catalog's token-price rows that priced at least one row (whether or not a cache price was
        missing), each once, by key."""
        keys = self._table["key"].drop_nulls().unique().sort().to_list()
        return [self._entries[key] for key in keys]


class _SortedIds(Mapping[Any, int]):
    """Ascending integer row ids -> their positions, by binary search (no dict of a million entries)."""

    def __init__(self, ids: Any) -> None:
        self._ids = ids

    def __len__(self) -> int:
        return len(self._ids)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._ids.tolist())

    def __getitem__(self, row_id: Any) -> int:
        if not isinstance(row_id, (int, float, np.number)):  # what a dict keyed by int ids would find, too
            raise KeyError(row_id)
        at = int(np.searchsorted(self._ids, row_id))
        if at < len(self._ids) and self._ids[at] == row_id:
            return at
        raise KeyError(row_id)


def modelled_costs_frame(frame: pl.DataFrame, catalog: Catalog | None = None,
                         ids: Sequence[Any] | None = None) -> ModelledCosts:
    """`modelled_costs` over a trace frame: one catalog look-up per distinct (provider, model), the cost
    formula as one expression. `ids`, when the frame was made from row dicts, are those rows' own ids."""
    from desktop.economics.metrics_frame import constant_column, number_column, or_zero, text_column

    catalog = catalog or bundled_catalog()
    work = frame.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("__index"),
        (pl.col("id") if "id" in frame.columns else pl.lit(None)).alias("id"),
        text_column(frame, "provider").alias("provider"), text_column(frame, "model").alias("model"),
        number_column(frame, "costUsd").alias("__observed"), or_zero(number_column(frame, "cacheHitRate")).alias("__hit"),
        or_zero(number_column(frame, "inputTokens")).alias("__in"),
        or_zero(number_column(frame, "outputTokens")).alias("__out"),
        constant_column(1e6, frame.height).alias("__million"),
    ).filter(pl.col("__observed").is_null())
    pairs = work.select("provider", "model").unique().rows()
    found = {pair: catalog.find_token_price(*pair) for pair in pairs}
    entries = {entry.key: entry for entry in found.values() if entry is not None}
    prices = pl.DataFrame(
        {"provider": [p for p, _ in pairs], "model": [m for _, m in pairs],
         "key": [e.key if e else None for e in found.values()],
         "__input": [float(e.input_usd_per_million) if e else None for e in found.values()],
         "__output": [float(e.output_usd_per_million) if e else None for e in found.values()],
         "__cache": [None if e is None or e.cache_read_usd_per_million is None else float(e.cache_read_usd_per_million)
                     for e in found.values()]},
        schema={"provider": pl.String, "model": pl.String, "key": pl.String, "__input": pl.Float64,
                "__output": pl.Float64, "__cache": pl.Float64})
    tokens_in, hit, tokens_out = pl.col("__in"), pl.col("__hit"), pl.col("__out")
    cost = (tokens_in * (1 - hit) * pl.col("__input") + tokens_in * hit * pl.col("__cache").fill_null(0.0)
            + tokens_out * pl.col("__output")) / pl.col("__million")
    table = work.join(prices, on=["provider", "model"], how="left", maintain_order="left").select(
        "__index", "id", "provider", "model", "key",
        pl.when(pl.col("key").is_not_null() & ~((hit > 0) & pl.col("__cache").is_null())).then(cost).alias("cost"))
    column = pl.repeat(None, frame.height, dtype=pl.Float64, eager=True).alias("modelledCostUsd")
    if table.height:
        column = column.scatter(table["__index"], table["cost"])
    return ModelledCosts(table, column, entries, ids)
