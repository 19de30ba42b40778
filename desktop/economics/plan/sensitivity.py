"""Sensitivity of the plan: which inputs move the total or change a chosen route the most (tornado rows),
and for each workload the monthly volumes between which its chosen route stays the cheapest qualifying one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from desktop.domain.progress import Progress, check_cancelled
from desktop.domain.workbook import PlanLever, PlanSettings, merge_levers
from desktop.economics.plan.evidence import PlanEvidence
from desktop.economics.plan.model import choose_for, price_plan
from desktop.economics.plan.pricing import Knobs
from desktop.economics.plan.types import Plan, Sensitivity, SensitivityRow, VolumeRange

# (input, low label, high label, low knobs, high knobs): the ranges
INPUTS: tuple[tuple[str, str, str, Knobs, Knobs], ...] = (
    ("Monthly volume", "x0.5", "x2", Knobs(volume_factor=0.5), Knobs(volume_factor=2.0)),
    ("Token prices", "-20%", "+20%", Knobs(token_price_factor=0.8), Knobs(token_price_factor=1.2)),
    ("GPU-hour prices", "-20%", "+20%", Knobs(gpu_price_factor=0.8), Knobs(gpu_price_factor=1.2)),
    ("Acceptance rate", "-10 points", "+10 points", Knobs(acceptance_delta=-0.1), Knobs(acceptance_delta=0.1)),
    ("Reviewer hourly rate", "-20%", "+20%", Knobs(reviewer_rate_factor=0.8), Knobs(reviewer_rate_factor=1.2)),
    ("Utilization of capacity routes", "50%", "90%", Knobs(utilization=0.5), Knobs(utilization=0.9)),
)
SCAN_DECADES = 2  # volumes from 1/100 to 100 x the forecast
SCAN_STEPS_PER_DECADE = 8
BISECTIONS = 24


def _changes(plan: Plan, other) -> tuple[str, ...]:
    routes = {w.workload: w.route for w in plan.workloads}
    return tuple(w.workload for w in other.workloads if w.route != routes.get(w.workload))


def _route_at(evidence: PlanEvidence, settings: PlanSettings, levers: Sequence[PlanLever], name: str,
              volume: float) -> str | None:
    return choose_for(evidence, settings, levers, name, volume).route


def _edge(evidence, settings, levers, name, route, inside: float, outside: float) -> float:
    """Bisect (geometrically) between a volume where `route` is chosen and one where it is not."""
    for _ in range(BISECTIONS):
        middle = math.sqrt(inside * outside)
        if _route_at(evidence, settings, levers, name, middle) == route:
            inside = middle
        else:
            outside = middle
    return inside


def volume_range(evidence: PlanEvidence, settings: PlanSettings, levers: Sequence[PlanLever], name: str,
                 forecast: float) -> VolumeRange:
    centre = forecast if forecast > 0 else 1000.0
    low_end, high_end = centre / 10 ** SCAN_DECADES, centre * 10 ** SCAN_DECADES
    route = _route_at(evidence, settings, levers, name, centre)
    if route is None:
        return VolumeRange(name, None, None, None, low_end, high_end)
    steps = SCAN_DECADES * SCAN_STEPS_PER_DECADE
    grid = [centre * 10 ** (k / SCAN_STEPS_PER_DECADE) for k in range(-steps, steps + 1)]
    routes = [_route_at(evidence, settings, levers, name, v) for v in grid]
    middle = steps
    low = high = None
    for k in range(middle - 1, -1, -1):
        if routes[k] != route:
            low = _edge(evidence, settings, levers, name, route, grid[k + 1], grid[k])
            break
    for k in range(middle + 1, len(grid)):
        if routes[k] != route:
            high = _edge(evidence, settings, levers, name, route, grid[k - 1], grid[k])
            break
    return VolumeRange(name, route, low, high, low_end, high_end)


def sensitivity_of(evidence: PlanEvidence, settings: PlanSettings, plan: Plan, extra_levers: Sequence[PlanLever] = (),
                   progress: Progress | None = None) -> Sensitivity:
    levers = merge_levers(settings.levers, extra_levers)
    if progress is not None:
        progress.stage("Sensitivity", len(INPUTS) + len(evidence.workloads))
    rows = []
    for label, low_label, high_label, low_knobs, high_knobs in INPUTS:
        check_cancelled(progress)
        low = price_plan(evidence, settings, levers, low_knobs)
        high = price_plan(evidence, settings, levers, high_knobs)
        rows.append(SensitivityRow(label, low_label, high_label, low.total_usd, high.total_usd,
                                   _changes(plan, low), _changes(plan, high)))
        if progress is not None:
            progress.advance()
    rows.sort(key=lambda r: (-r.swing_usd, -(len(r.low_route_changes) + len(r.high_route_changes))))
    ranges = []
    for name, forecast in evidence.workloads:
        check_cancelled(progress)
        ranges.append(volume_range(evidence, settings, levers, name, forecast))
        if progress is not None:
            progress.advance()
    return Sensitivity(plan.totals.monthly_cost_usd, tuple(rows), tuple(ranges))
