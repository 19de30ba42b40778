"""What every route-economics figure is made of: the inputs (`ChartData`), the prepared figure (`FigureData`:
bars, curves, scatters, reference lines, axis titles and units, all plain numbers, strings and numpy arrays),
hover spots, the palette, value formatting and nice axis ticks.

No Qt here: the Economics page prepares figures on its worker thread and only draws them on the GUI thread,
and the memo draws the same figures as SVG without Qt.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import MISSING, dataclass, field, fields
from types import MappingProxyType
from typing import Any

import numpy as np
import polars as pl

from desktop.domain.formatting import format_count, format_money
from desktop.domain.playbook import Playbook
from desktop.domain.workbook import Workbook
from desktop.economics.catalog import Catalog
from desktop.economics.metrics import MetricsReport, as_number
from desktop.economics.recommend import default_playbook
from desktop.economics.scenarios import Scenario

# ---- Constants
FIGURES: dict[str, str] = {
    "cost-by-route": "Cost per accepted output by workload and route",
    "latency": "p95 latency against concurrency",
    "cost-volume": "Monthly cost against monthly volume",
    "pareto": "Cost per accepted output against p95 latency",
    "readiness": "Readiness scores against the threshold",
}
ROUTE_COLORS = ("#1f77b4", "#e07b00", "#2ca02c", "#9467bd", "#8c564b", "#d62728", "#17becf", "#7f7f7f")
TARGET_HEX = "#c62828"
FORECAST_HEX = "#5a5a5a"
MET_HEX = "#2e7d32"
BELOW_HEX = "#e69138"
PALE_HEX = "#c8c8c8"
REFERENCE_HEX = "#3c3c3c"
FRONTIER_HEX = "#333333"
BREAK_EVEN_HEX = "#ffd400"
MAX_BREAK_EVENS = 6
MAX_STEPS = 400
MAX_SCATTER = 20_000  # points drawn in the Pareto view; more are unreadable and slow to draw


# ---- Value formatting (figures only; labels and hover texts), through the one formatter
def usd(value: float | None, digits: int = 2) -> str:
    """An amount in USD for a figure: '$5.06', '$0.001235', whole dollars from $1,000 ('$12,345'); `digits`
    other than 2 fixes the decimals ('$5.0639'). A missing amount reads 'not known'."""
    if value is not None and abs(value) >= 1000:
        return format_money(value, decimals=0)
    return format_money(value, decimals=None if digits == 2 else digits)


def count(value: float) -> str:
    """A count for a figure: '300,000', '1.5 million', '2.25 billion'."""
    return format_count(value, compact=True)


def wrap(text: str, width: int = 16) -> str:
    """`text` broken into lines of about `width` characters, on spaces and after hyphens."""
    lines: list[str] = []
    for word in text.replace("-", "- ").split():
        if lines and len(lines[-1]) + len(word) + (0 if lines[-1].endswith("-") else 1) <= width:
            lines[-1] += word if lines[-1].endswith("-") else " " + word
        else:
            lines.append(word)
    return "\n".join(lines)


def nice_step(span: float, max_ticks: int = 6) -> float:
    """The smallest step of 1, 2 or 5 x 10^n that cuts `span` into at most `max_ticks` intervals."""
    if not math.isfinite(span) or span <= 0:
        return 1.0
    raw = span / max(max_ticks, 1)
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw * (1 - 1e-9):
            return factor * power
    return 10 * power


def nice_ticks(low: float, high: float, max_ticks: int = 6) -> list[float]:
    """Tick values on a 1/2/5 x 10^n grid covering low..high (the first at or below low, the last at or above
    high)."""
    if high < low:
        low, high = high, low
    if high == low:
        high = low + (abs(low) or 1.0)
    step = nice_step(high - low, max_ticks)
    first = math.floor(low / step + 1e-9) * step
    ticks = []
    value = first
    while value < high + step * (1 - 1e-9):
        ticks.append(round(value / step) * step)  # no 0.30000000000000004
        value += step
    return ticks


def log_ticks(low: float, high: float) -> list[float]:
    """Powers of ten covering low..high (both > 0)."""
    first = math.floor(math.log10(low) + 1e-9)
    last = math.ceil(math.log10(high) - 1e-9)
    return [10.0 ** k for k in range(first, max(last, first + 1) + 1)]


def tick_label(value: float, unit: str | None, step: float, *, log: bool = False) -> str:
    """A tick label: thousands separators, as many decimals as the step needs, '$' for USD, 'million' and
    'billion' written out on log axes."""
    if log:
        text = count(value) if value >= 1 else f"{value:g}"
        if unit and unit.startswith("money:"):
            return f"{unit[6:]} {text}"
        return ("$" + text) if unit == "usd" else text
    decimals = 0 if step >= 1 else min(6, max(0, -math.floor(math.log10(step) + 1e-9)))
    if unit == "usd" and 0 < decimals < 2:
        decimals = 2  # cents, not "$0.5"
    if value == 0:
        decimals = 0
    text = f"{abs(value):,.{decimals}f}"
    sign = "-" if value < 0 and float(text.replace(",", "")) != 0 else ""
    return in_unit(text, unit, sign)


def in_unit(text: str, unit: str | None, sign: str = "") -> str:
    """An amount's text (without its sign) written in `unit`: '$1,000', 'EUR 1,000' (a display currency),
    '35%', or as it is."""
    if unit == "usd":
        return f"{sign}${text}"
    if unit and unit.startswith("money:"):
        return f"{sign}{unit[6:]} {text}"
    if unit == "percent":
        return f"{sign}{text}%"
    return sign + text


# ---- Inputs
_NUMBERS = ("costUsd", "acceptedOutputRate", "reviewMinutes", "outputTokensPerSecond", "concurrency", "outputTokens")


@dataclass(frozen=True)
class ChartData:
    """What the figures draw from: the metrics report and the workbook it was computed for."""

    report: MetricsReport
    workbook: Workbook
    playbook: Playbook | None = None
    scenarios: Sequence[Scenario] = ()
    catalog: Catalog | None = None
    workload: str | None = None  # the workload filter; None = all

    @property
    def book(self) -> Playbook:
        return self.playbook or default_playbook()

    def traces(self) -> list[Any]:
        """Every row's metrics in the workload filter, as objects: for small reports; figures read `trace_frame`."""
        return [t for t in self.report.traces if self.workload is None or str(t.row.get("workload")) == self.workload]

    def trace_frame(self) -> pl.DataFrame:
        """The rows in the workload filter as columns: `index` (the row's position in `report.traces`, where its
        id and row dict are built on demand), `workload`, `route`, `p95`, `cost` (per accepted output),
        `reason` (why that cost is null), `basis` (observed or modelled) and the numbers in `_NUMBERS`. Read
        from the report's frame; a report of row objects (the per-row reference, a test's stand-in) is turned
        into the same columns."""
        frame = getattr(self.report, "frame", None)
        if frame is not None:
            from desktop.economics.metrics_frame import COST, COST_BASIS, COST_REASON, number_column, text_column

            table = frame.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("index"),
                                 text_column(frame, "workload").alias("workload"),
                                 text_column(frame, "route").alias("route"),
                                 number_column(frame, "latencyP95Ms").alias("p95"), pl.col(COST).alias("cost"),
                                 pl.col(COST_REASON).alias("reason"), pl.col(COST_BASIS).alias("basis"),
                                 *(number_column(frame, name).alias(name) for name in _NUMBERS))
        else:
            traces = self.report.traces
            table = pl.DataFrame({
                "index": range(len(traces)), "workload": [str(t.row.get("workload")) for t in traces],
                "route": [str(t.row.get("route")) for t in traces],
                "p95": [as_number(t.row.get("latencyP95Ms")) for t in traces],
                "cost": [t.cost_per_accepted_output for t in traces],
                "reason": [getattr(t, "cost_reason", None) for t in traces],
                "basis": [getattr(t, "cost_basis", None) for t in traces],
                **{name: [as_number(t.row.get(name)) for t in traces] for name in _NUMBERS}},
                schema={"index": pl.Int64, "workload": pl.String, "route": pl.String, "p95": pl.Float64,
                        "cost": pl.Float64, "reason": pl.String, "basis": pl.String,
                        **{name: pl.Float64 for name in _NUMBERS}})
        return table if self.workload is None else table.filter(pl.col("workload") == self.workload)


def route_hex(playbook: Playbook, route: str) -> str:
    names = list(playbook.trace_route_names())
    index = names.index(route) if route in names else len(names) + sum(map(ord, route)) % 4
    return ROUTE_COLORS[index % len(ROUTE_COLORS)]


# ---- Hovering
@dataclass
class HoverSpot:
    """Where hovering shows `text`: near (x, y), or anywhere inside `rect` (x0, y0, x1, y1); view coordinates.

    `describe` is the text or a function making it, so a figure of many rows only words the one hovered.
    """

    x: float
    y: float
    describe: str | Callable[[], str]
    rect: tuple[float, float, float, float] | None = None

    @property
    def text(self) -> str:
        return self.describe() if callable(self.describe) else self.describe


@dataclass
class HoverPoints:
    """Many hover spots as arrays (view coordinates); `describe(i)` words point i only when it is hovered."""

    xs: np.ndarray
    ys: np.ndarray
    describe: Callable[[int], str]

    def __len__(self) -> int:
        return len(self.xs)

    def nearest(self, x: float, y: float, tolerance: tuple[float, float]) -> tuple[int, float] | None:
        """(index, distance in tolerances) of the nearest point within `tolerance`, else None."""
        if not len(self.xs):
            return None
        tx, ty = tolerance

        def distance(values: np.ndarray, at: float, tol: float) -> np.ndarray:
            if tol:
                return np.abs(values - at) / tol
            return np.where(values == at, 0.0, np.inf)

        with np.errstate(invalid="ignore"):
            d = np.maximum(distance(self.xs, x, tx), distance(self.ys, y, ty))
        i = int(np.argmin(d))
        return (i, float(d[i])) if d[i] <= 1.0 else None


# ---- The prepared figure
@dataclass(frozen=True)
class BarSpec:
    x: float
    height: float
    color: str  # "#rrggbb"
    solid: bool = True  # False: pale fill and a dashed edge
    label: str | None = None  # written above the bar


@dataclass(frozen=True)
class CurveSpec:
    xs: np.ndarray
    ys: np.ndarray
    color: str
    width: float = 2.0
    legend: str | None = None  # the legend entry, if any
    symbols: bool = False  # circles at the points
    dotted: bool = False  # a dotted line (the Pareto frontier)


@dataclass(frozen=True)
class TargetLine:
    """A dashed reference line: horizontal (angle 0) at y = value, or vertical (angle 90) at x = value."""

    value: float
    angle: int
    label: str
    position: float | None = None  # where along the line its label sits (0..1)


@dataclass(frozen=True)
class FigureData:
    """What one figure draws, as plain numbers and strings (no Qt objects): made by `figure_data`, possibly
    on a worker thread, and drawn by `desktop.ui.economics_charts` (pyqtgraph) or
    `desktop.exports.svg_charts` (SVG).

    Axis values are in data units; with `log` an axis is logarithmic (hover spots are then in log10 units,
    as pyqtgraph's view coordinates are). `units` says how to write (y, x) values: "usd", "ms", "count",
    "score" or None (categories)."""

    kind: str
    title: str
    message: str | None = None  # no data: said on the plot instead
    notes: tuple[str, ...] = ()
    series: MappingProxyType | dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)
    hover: tuple[HoverSpot, ...] = ()
    hover_points: HoverPoints | None = None
    log: tuple[bool, bool] = (False, False)  # (x, y)
    legend_at: tuple[int, int] = (-10, 10)  # the on-screen legend's offset (negative: from the right/bottom)
    bars: tuple[BarSpec, ...] = ()
    bar_width: float = 0.6
    curves: tuple[CurveSpec, ...] = ()
    scatters: tuple[tuple[str, str, np.ndarray, np.ndarray], ...] = ()  # legend, color, xs, ys
    marks: tuple[np.ndarray, np.ndarray] | None = None  # break-even diamonds
    references: tuple[tuple[float, float], ...] = ()  # (x, score): dotted reference marks
    legend_swatches: tuple[tuple[str, str], ...] = ()  # (color, name) for bars
    target: TargetLine | None = None
    forecast: float | None = None  # a vertical dashed line at this volume (log x)
    ticks: tuple[str, ...] | None = None  # category tick labels under x = 0, 1, ...
    left_ticks: tuple[float, ...] | None = None
    labels: tuple[str | None, str | None] = (None, None)  # axis titles: left, bottom
    units: tuple[str | None, str | None] = (None, None)  # value units: left, bottom
    x_range: tuple[float, float, float] | None = None  # low, high, padding (on screen, with legend room)
    y_range: tuple[float, float, float] | None = None

    def __post_init__(self) -> None:
        for name in ("notes", "hover", "bars", "curves", "scatters", "references", "legend_swatches"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        for name in ("ticks", "left_ticks"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.target is not None and not isinstance(self.target, TargetLine):
            object.__setattr__(self, "target", TargetLine(*self.target))
        object.__setattr__(self, "series", MappingProxyType(dict(self.series)))

    @property
    def has_data(self) -> bool:
        return self.message is None and any(len(xs) for xs, _ys in self.series.values())


class FigureDraft:
    """A FigureData being built: the same fields, mutable (lists where FigureData has tuples); `freeze()`."""

    def __init__(self, kind: str, title: str, **values: Any) -> None:
        for f in fields(FigureData):
            if f.name in values:
                value = values[f.name]
            elif f.default_factory is not MISSING:
                value = f.default_factory()
            else:
                value = f.default
            if isinstance(value, tuple) and f.name in {"notes", "hover", "bars", "curves", "scatters",
                                                        "references", "legend_swatches"}:
                value = list(value)
            setattr(self, f.name, value)
        self.kind, self.title = kind, title

    def freeze(self) -> FigureData:
        return FigureData(**{f.name: getattr(self, f.name) for f in fields(FigureData)})


__all__ = ["FIGURES", "ChartData", "FigureData", "FigureDraft", "BarSpec", "CurveSpec", "TargetLine", "HoverSpot",
           "HoverPoints", "route_hex", "usd", "count", "wrap", "nice_step", "nice_ticks", "log_ticks",
           "tick_label"]
