"""Monthly bill on a per-token route: uncached input, cache writes, cache reads and output, with batch.

A price the provider does not publish is missing, not zero: a bill that silently prices cache reads at 0
would flatter the route, so such a bill is not given and the missing prices are named instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop.economics import sources
from desktop.economics.catalog import Catalog, TokenPrice, bundled_catalog
from desktop.economics.params import Source, inp, out, validate_inputs


@dataclass(frozen=True)
class ApiBillInputs:
    input_tokens: float = inp(0.0, "tokens/month", "Uncached input tokens a month", minimum=0)
    cache_write_tokens: float = inp(0.0, "tokens/month", "Input tokens written to the prompt cache a month",
                                    minimum=0)
    cache_read_tokens: float = inp(0.0, "tokens/month", "Input tokens read from the prompt cache a month",
                                   minimum=0)
    output_tokens: float = inp(0.0, "tokens/month", "Output tokens a month", minimum=0)
    price: str | None = inp(None, "catalog key", "Token price entry to take prices from (e.g. gpt-5); "
                            "prices given below win", text=True)
    input_usd_per_million: float | None = inp(None, "USD per 1M tokens", "Uncached input price", minimum=0)
    cache_write_usd_per_million: float | None = inp(None, "USD per 1M tokens", "Cache-write price", minimum=0)
    cache_read_usd_per_million: float | None = inp(None, "USD per 1M tokens", "Cache-read price", minimum=0)
    output_usd_per_million: float | None = inp(None, "USD per 1M tokens", "Output price", minimum=0)
    batch_share: float = inp(0.0, "share 0-1", "Share of the traffic sent through the batch API", minimum=0,
                             maximum=1)
    batch_discount: float | None = inp(None, "share 0-1", "Discount of the batch API on every token kind "
                                       "(0.5 = half price); none: the price entry's, else missing",
                                       minimum=0, maximum=1)

    def __post_init__(self) -> None:
        validate_inputs(self)


@dataclass(frozen=True)
class ApiBillResult:
    input_cost_usd: float | None = out("USD/month", "Uncached input")
    cache_write_cost_usd: float | None = out("USD/month", "Cache writes")
    cache_read_cost_usd: float | None = out("USD/month", "Cache reads")
    output_cost_usd: float | None = out("USD/month", "Output")
    standard_cost_usd: float | None = out("USD/month", "Bill before batch discount")
    batch_saving_usd: float | None = out("USD/month", "Batch saving")
    monthly_bill_usd: float | None = out("USD/month", "Monthly bill")
    usd_per_million_blended: float | None = out("USD per 1M tokens", "Blended price per 1M tokens")
    missing: tuple[str, ...] = ()
    price_entry: str | None = None
    price_override: bool = False
    notes: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()


def batch_discount_of(entry: TokenPrice) -> float | None:
    """The published batch discount of a price entry, from its batch input price; None if unpublished."""
    if entry.batch_input_usd_per_million is None or not entry.input_usd_per_million:
        return None
    return 1 - entry.batch_input_usd_per_million / entry.input_usd_per_million


def api_bill(inputs: ApiBillInputs, catalog: Catalog | None = None) -> ApiBillResult:
    entry = (catalog or bundled_catalog()).token_price(inputs.price) if inputs.price else None
    prices = {
        "input": inputs.input_usd_per_million,
        "cache write": inputs.cache_write_usd_per_million,
        "cache read": inputs.cache_read_usd_per_million,
        "output": inputs.output_usd_per_million,
    }
    discount = inputs.batch_discount
    assumptions = []
    source_list = [sources.API_BILL_FORMULA]
    if entry is not None:
        published = {"input": entry.input_usd_per_million, "cache write": entry.cache_write_usd_per_million,
                     "cache read": entry.cache_read_usd_per_million, "output": entry.output_usd_per_million}
        for kind, value in published.items():
            if prices[kind] is None:
                prices[kind] = value
        if discount is None:
            discount = batch_discount_of(entry)
        assumptions.append("Prices from " + entry.provenance() + "; prices given as inputs win.")
    tokens = {"input": inputs.input_tokens, "cache write": inputs.cache_write_tokens,
              "cache read": inputs.cache_read_tokens, "output": inputs.output_tokens}
    costs: dict[str, float | None] = {}
    missing = []
    for kind, count in tokens.items():
        price = prices[kind]
        if price is None:
            costs[kind] = None if count > 0 else 0.0
            if count > 0:
                missing.append(f"{kind} price")
        else:
            costs[kind] = count * price / 1e6
    if inputs.batch_share > 0 and discount is None:
        missing.append("batch discount")
    if inputs.batch_share > 0 and discount is not None:
        assumptions.append(f"Batch discount {discount:.0%} applied to every token kind on {inputs.batch_share:.0%} "
                           "of the traffic.")
        if inputs.batch_discount is not None:
            source_list.append(sources.BATCH_HALF)
    standard = None if any(v is None for v in costs.values()) else sum(costs.values())
    saving = None
    bill = None
    if standard is not None and not missing:
        saving = standard * inputs.batch_share * (discount or 0.0)
        bill = standard - saving
    total_tokens = sum(tokens.values())
    blended = bill / total_tokens * 1e6 if bill is not None and total_tokens > 0 else None
    notes = tuple(f"Missing: {m} (not published; give it as an input or override the catalog entry)."
                  for m in missing)
    return ApiBillResult(
        input_cost_usd=costs["input"], cache_write_cost_usd=costs["cache write"],
        cache_read_cost_usd=costs["cache read"], output_cost_usd=costs["output"], standard_cost_usd=standard,
        batch_saving_usd=saving, monthly_bill_usd=bill, usd_per_million_blended=blended, missing=tuple(missing),
        price_entry=entry.key if entry else None, price_override=bool(entry and entry.override), notes=notes,
        assumptions=tuple(assumptions) + ("Token counts are monthly totals; long-context price tiers are not "
                                          "applied.",), sources=tuple(source_list))
