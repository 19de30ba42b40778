"""The decision plan: a route, a fallback and a monthly cost per workload, levers and sensitivity (pure).

Entry point `build_plan` (model); result types in `types`; the JSON form in `json_form`.
"""

from desktop.economics.plan.json_form import plan_json
from desktop.economics.plan.levers import LEVER_HELP, parse_lever, parse_routes
from desktop.economics.plan.model import (build_plan, choose_for, currency_of, plan_from_evidence, plan_of,
                                         price_plan, total_is_sum)
from desktop.economics.plan.pricing import DEFAULT_PEAK_FACTOR, HOURS_PER_MONTH, Knobs
from desktop.economics.plan.types import (CAPACITY, MEASURED, MODELLED, NOT_PRICED, PER_TOKEN, Assumption, Candidate,
                                          LeverEffect, Plan, PlanTotals, Pooling, Sensitivity,
                                          SensitivityRow, VolumeRange, WaterfallStep, WorkloadPlan)

__all__ = [
    "build_plan", "plan_of", "choose_for", "plan_json", "parse_lever", "parse_routes", "LEVER_HELP", "currency_of",
    "plan_from_evidence", "price_plan", "total_is_sum",
    "DEFAULT_PEAK_FACTOR", "HOURS_PER_MONTH", "Knobs", "CAPACITY", "MEASURED", "MODELLED", "NOT_PRICED",
    "PER_TOKEN", "Assumption", "Candidate", "LeverEffect", "Plan", "PlanTotals", "Pooling",
    "Sensitivity", "SensitivityRow", "VolumeRange", "WaterfallStep", "WorkloadPlan",
]
