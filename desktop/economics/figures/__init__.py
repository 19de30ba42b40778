"""Figure models: what each chart draws, as plain frozen data (titles, axis titles, units, bars, series,
labels), so that any renderer can draw it: pyqtgraph in `desktop.ui` and vector SVG in `desktop.exports`.

No Qt and no drawing here (numpy is allowed). `figure_data(kind, ChartData)` prepares one of the route-economics
figures (FIGURES); `Waterfall` and `Tornado` are the decision plan's generic figures, filled by the plan.

Names are loaded from their submodule on first use (PEP 562): the plan's figures and the memo's text check
(`ipw verify`) need only `figures.plan`, which imports no numpy, while the route-economics figures load it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from desktop.economics.figures.base import (FIGURES, BarSpec, ChartData, CurveSpec, FigureData, FigureDraft,
                                                HoverPoints, HoverSpot, TargetLine, count, log_ticks, nice_step,
                                                nice_ticks, route_hex, usd, wrap)
    from desktop.economics.figures.cost_volume import (BreakEven, CostVolumeModel, PerTokenLine, ReplicaSteps,
                                                       cost_volume_data, cost_volume_model)
    from desktop.economics.figures.plan import (WATERFALL_COLORS, Tornado, TornadoRow, Waterfall, WaterfallBar,
                                                WaterfallStep)
    from desktop.economics.figures.traces import (CostBar, LatencySeries, ParetoPoint, cost_by_route_data,
                                                  cost_by_route_model, latency_data, latency_model, pareto_data,
                                                  pareto_model, readiness_data)

_SOURCES: dict[str, tuple[str, ...]] = {
    "base": ("FIGURES", "BarSpec", "ChartData", "CurveSpec", "FigureData", "FigureDraft", "HoverPoints", "HoverSpot",
             "TargetLine", "count", "log_ticks", "nice_step", "nice_ticks", "route_hex", "usd", "wrap"),
    "cost_volume": ("BreakEven", "CostVolumeModel", "PerTokenLine", "ReplicaSteps", "cost_volume_data",
                    "cost_volume_model"),
    "plan": ("WATERFALL_COLORS", "Tornado", "TornadoRow", "Waterfall", "WaterfallBar", "WaterfallStep"),
    "traces": ("CostBar", "LatencySeries", "ParetoPoint", "cost_by_route_data", "cost_by_route_model", "latency_data",
               "latency_model", "pareto_data", "pareto_model", "readiness_data"),
}
_MODULE_OF = {name: module for module, names in _SOURCES.items() for name in names}


def __getattr__(name: str) -> Any:
    if name == "DATA":
        value: Any = _data()
    elif name in _MODULE_OF:
        value = getattr(importlib.import_module(f"{__name__}.{_MODULE_OF[name]}"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # looked up once
    return value


@cache
def _data() -> dict[str, Callable[[ChartData], FigureData]]:
    from desktop.economics.figures.cost_volume import cost_volume_data
    from desktop.economics.figures.traces import cost_by_route_data, latency_data, pareto_data, readiness_data

    return {"cost-by-route": cost_by_route_data, "latency": latency_data, "cost-volume": cost_volume_data,
            "pareto": pareto_data, "readiness": readiness_data}


def figure_data(kind: str, data: ChartData) -> FigureData:
    """The numbers figure `kind` draws (plain Python and numpy; safe to call on a worker thread)."""
    figures = _data()
    if kind not in figures:
        raise ValueError(f"unknown figure '{kind}' (choose one of: {', '.join(figures)})")
    return figures[kind](data)


def figure_kinds() -> list[str]:
    from desktop.economics.figures.base import FIGURES

    return list(FIGURES)


__all__ = [
    "FIGURES", "DATA", "figure_data", "figure_kinds", "ChartData", "FigureData", "FigureDraft", "BarSpec",
    "CurveSpec", "TargetLine", "HoverSpot", "HoverPoints", "route_hex", "usd", "count", "wrap", "nice_step",
    "nice_ticks", "log_ticks",
    "CostBar", "LatencySeries", "ParetoPoint", "cost_by_route_model", "latency_model", "pareto_model",
    "cost_by_route_data", "latency_data", "pareto_data", "readiness_data",
    "PerTokenLine", "ReplicaSteps", "BreakEven", "CostVolumeModel", "cost_volume_model", "cost_volume_data",
    "Waterfall", "WaterfallStep", "WaterfallBar", "Tornado", "TornadoRow", "WATERFALL_COLORS",
]
