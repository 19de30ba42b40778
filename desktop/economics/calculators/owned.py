"""Owned hardware: capex spread over its life plus power, colocation and support, per server- and GPU-hour.

Every term is paid per wall-clock hour whether the GPUs are busy or not, so the comparison that matters is
the break-even utilization against renting the same GPU-hours only when needed.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop.economics import sources
from desktop.economics.params import Source, inp, out, validate_inputs

HOURS_PER_YEAR = 8760.0


@dataclass(frozen=True)
class OwnedInputs:
    capex_usd: float | None = inp(None, "USD", "Purchase price of one server", required=True, minimum=0)
    gpus: int = inp(8, "GPUs", "GPUs in the server", minimum=1, whole=True)
    years: float = inp(4.0, "years", "Straight-line depreciation period", above=0, maximum=20)
    infra_overhead: float = inp(0.0, "share of capex", "Extra capex for network, racks and installation",
                                minimum=0)
    power_kw: float | None = inp(None, "kW", "Server power at full load (DGX H100: 10.2)", required=True, minimum=0)
    load_factor: float = inp(0.75, "share 0-1", "Average power as a share of full load", minimum=0, maximum=1)
    pue: float = inp(1.25, "ratio", "Power usage effectiveness of the data centre", minimum=1)
    usd_per_kwh: float = inp(0.083, "USD/kWh", "Electricity price", minimum=0)
    colo_usd_per_kw_month: float = inp(184.06, "USD per kW-month", "Colocation price per contracted kW", minimum=0)
    contracted_kw: float | None = inp(None, "kW", "Contracted colocation capacity (default: the power kW)",
                                      minimum=0)
    support_usd_per_year: float = inp(0.0, "USD/year", "Support contract per server", minimum=0)
    staff_usd_per_year: float = inp(0.0, "USD/year", "Operations staff cost attributed to this server", minimum=0)
    rental_gpu_hour_usd: float | None = inp(None, "USD per GPU-hour", "Rental price to compare against",
                                            minimum=0)

    def __post_init__(self) -> None:
        validate_inputs(self)


@dataclass(frozen=True)
class OwnedResult:
    capex_usd_per_hour: float = out("USD/hour", "Depreciation per server-hour")
    power_usd_per_hour: float = out("USD/hour", "Power per server-hour")
    colo_usd_per_hour: float = out("USD/hour", "Colocation per server-hour")
    support_usd_per_hour: float = out("USD/hour", "Support per server-hour")
    staff_usd_per_hour: float = out("USD/hour", "Staff per server-hour")
    server_usd_per_hour: float = out("USD/hour", "Cost per server-hour")
    usd_per_gpu_hour: float = out("USD per GPU-hour", "Cost per GPU-hour")
    annual_cost_usd: float = out("USD/year", "Cost per year")
    break_even_utilization: float | None = out("share 0-1", "Break-even utilization against renting")
    notes: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()


def owned(inputs: OwnedInputs) -> OwnedResult:
    contracted = inputs.power_kw if inputs.contracted_kw is None else inputs.contracted_kw
    capex_h = inputs.capex_usd * (1 + inputs.infra_overhead) / (inputs.years * HOURS_PER_YEAR)
    power_h = inputs.power_kw * inputs.load_factor * inputs.pue * inputs.usd_per_kwh
    colo_h = inputs.colo_usd_per_kw_month * contracted * 12 / HOURS_PER_YEAR
    support_h = inputs.support_usd_per_year / HOURS_PER_YEAR
    staff_h = inputs.staff_usd_per_year / HOURS_PER_YEAR
    server_h = capex_h + power_h + colo_h + support_h + staff_h
    per_gpu = server_h / inputs.gpus
    rent = inputs.rental_gpu_hour_usd
    notes = []
    break_even = per_gpu / rent if rent else None
    if rent == 0:
        notes.append("Rental price 0: owning can never break even against free GPU-hours.")
    if break_even is not None and break_even > 1:
        notes.append(f"Break-even utilization {break_even:.0%} is above 100%: renting around the clock is "
                     "still cheaper than owning.")
    assumptions = (
        f"Straight-line depreciation over {inputs.years:g} years of 8,760 hours, no resale value.",
        f"Colocation on {contracted:g} kW contracted"
        + (" (the power kW)." if inputs.contracted_kw is None else "."),
        "Owned cost is paid every hour; break-even compares it with renting only the busy hours.",
    )
    return OwnedResult(
        capex_usd_per_hour=capex_h, power_usd_per_hour=power_h, colo_usd_per_hour=colo_h,
        support_usd_per_hour=support_h, staff_usd_per_hour=staff_h, server_usd_per_hour=server_h,
        usd_per_gpu_hour=per_gpu, annual_cost_usd=server_h * HOURS_PER_YEAR, break_even_utilization=break_even,
        notes=tuple(notes), assumptions=assumptions,
        sources=(sources.OWNED_FORMULA, sources.EPOCH_POWER, sources.CBRE_COLO, sources.DGX_H100))
