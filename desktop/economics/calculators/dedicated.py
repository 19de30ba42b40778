"""Dedicated capacity (rented GPUs, per GPU-hour) against a per-token price.

The officer's question is not "what does a GPU cost" but "how busy must it be to beat the API", so the
result leads with break-even utilization and break-even monthly volume.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop.economics import sources
from desktop.economics.params import Source, inp, out, validate_inputs

DEFAULT_HOURS_PER_MONTH = 730.0


@dataclass(frozen=True)
class DedicatedInputs:
    gpu_hour_usd: float | None = inp(None, "USD per GPU-hour", "Rental price of one GPU for one hour",
                                     required=True, minimum=0)
    gpus: int = inp(1, "GPUs", "GPUs in one replica", minimum=1, whole=True)
    tokens_per_second: float | None = inp(
        None, "tokens/s", "Sustained throughput of one replica at the latency target, counting the same tokens "
        "the API price counts", required=True, minimum=0)
    utilization: float | None = inp(None, "share 0-1", "Share of paid hours the replica produces tokens",
                                    required=True, minimum=0, maximum=1)
    api_usd_per_million: float | None = inp(None, "USD per 1M tokens",
                                            "Per-token price to compare against (same token kind)", minimum=0)
    hours_per_month: float = inp(DEFAULT_HOURS_PER_MONTH, "hours", "Paid hours a month (always-on)", above=0,
                                 maximum=744)

    def __post_init__(self) -> None:
        validate_inputs(self)


@dataclass(frozen=True)
class DedicatedResult:
    replica_usd_per_hour: float = out("USD/hour", "Replica price per hour")
    monthly_cost_usd: float = out("USD/month", "Monthly cost (always-on)")
    usd_per_million_at_full_utilization: float | None = out("USD per 1M tokens", "Cost per 1M tokens at 100% busy")
    usd_per_million: float | None = out("USD per 1M tokens", "Cost per 1M tokens at the given utilization")
    monthly_tokens: float = out("tokens/month", "Tokens produced a month at the given utilization")
    api_monthly_cost_usd: float | None = out("USD/month", "API cost of the same tokens")
    break_even_utilization: float | None = out("share 0-1", "Break-even utilization against the API price")
    break_even_monthly_tokens: float | None = out("tokens/month", "Break-even monthly volume")
    cheaper_than_api: bool | None = out("", "Cheaper than the API at the given utilization")
    notes: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()


def dedicated(inputs: DedicatedInputs) -> DedicatedResult:
    hourly = inputs.gpu_hour_usd * inputs.gpus
    monthly = hourly * inputs.hours_per_month
    tps = inputs.tokens_per_second
    u = inputs.utilization
    notes = []
    full = hourly / (tps * 3600) * 1e6 if tps > 0 else None
    if full is None:
        notes.append("Throughput 0 tokens/s: no cost per token can be computed.")
    at_u = full / u if full is not None and u > 0 else None
    if u == 0:
        notes.append("Utilization 0: the replica is paid for but produces no tokens, so cost per token has no value.")
    monthly_tokens = tps * 3600 * inputs.hours_per_month * u
    api = inputs.api_usd_per_million
    api_monthly = monthly_tokens / 1e6 * api if api is not None else None
    break_even_u = full / api if full is not None and api else None
    break_even_tokens = monthly / api * 1e6 if api else None
    cheaper = (u > break_even_u) if break_even_u is not None else None
    if api == 0:
        notes.append("API price 0: a dedicated replica can never break even against a free API.")
    if break_even_u is not None and break_even_u > 1:
        notes.append(f"Break-even utilization {break_even_u:.0%} is above 100%: even fully busy the replica "
                     "costs more per token than the API.")
    assumptions = (
        f"Always-on replica billed {inputs.hours_per_month:g} hours a month whether busy or idle.",
        "Throughput and the API price count the same kind of tokens.",
        "No operations overhead (staff, monitoring, idle head-room) is included.",
    )
    return DedicatedResult(
        replica_usd_per_hour=hourly, monthly_cost_usd=monthly, usd_per_million_at_full_utilization=full,
        usd_per_million=at_u, monthly_tokens=monthly_tokens, api_monthly_cost_usd=api_monthly,
        break_even_utilization=break_even_u, break_even_monthly_tokens=break_even_tokens, cheaper_than_api=cheaper,
        notes=tuple(notes), assumptions=assumptions,
        sources=(sources.DEDICATED_FORMULA, sources.BREAK_EVEN, sources.HOURS_PER_MONTH))
