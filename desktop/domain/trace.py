"""The one definition of a trace row: the trace kit's sixteen fields, their kinds, units and rules.

Importers produce `TraceRow`s (or rows validated by the same rules), storage persists them, metrics read
them and exports print them. Field names are the trace kit's camelCase names everywhere, SQL columns too.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from desktop.domain.errors import FieldError

# A request of more than a billion tokens is not a measurement; neither is any value beyond 1e15 (past the
# integers a float holds exactly). A mantissa with a non-zero digit that parses to 0 underflowed (1e-400).
MAX_TOKENS = 1e9
MAX_MAGNITUDE = 1e15
NONZERO_MANTISSA_PATTERN = r"^[+-]?[0-9]*\.?[0-9]*[1-9]"
_NONZERO_MANTISSA = re.compile(NONZERO_MANTISSA_PATTERN)


class Kind(str, Enum):
    ROUTE = "route"
    TEXT = "string"
    NUMBER = "number"
    RATE = "rate"
    BOOLEAN = "boolean"


@dataclass(frozen=True)
class TraceField:
    name: str
    kind: Kind
    unit: str | None
    required: bool
    minimum: float | None = None
    default: Any = None
    whole: bool = False  # whole numbers only (configured concurrency)
    maximum: float | None = None  # above this the value is not a measurement (1e300 tokens)

    @property
    def nullable(self) -> bool:
        """May be null meaning 'not observed' (fields with a default are filled instead)."""
        return not self.required and self.default is None


TRACE_FIELDS: tuple[TraceField, ...] = (
    TraceField("route", Kind.ROUTE, None, required=True),
    TraceField("provider", Kind.TEXT, None, required=True),
    TraceField("model", Kind.TEXT, None, required=True),
    TraceField("workload", Kind.TEXT, None, required=True),
    TraceField("inputTokens", Kind.NUMBER, "tokens", required=True, minimum=0, maximum=MAX_TOKENS),
    TraceField("outputTokens", Kind.NUMBER, "tokens", required=True, minimum=0, maximum=MAX_TOKENS),
    # No default: a source that does not record cache hits leaves the rate not observed (null), never a
    # measured-looking 0; formulas that need a number read a missing rate as 0 and say so (economics).
    TraceField("cacheHitRate", Kind.RATE, "share 0-1", required=False),
    TraceField("batchEligible", Kind.BOOLEAN, None, required=False, default=False),
    TraceField("concurrency", Kind.NUMBER, "concurrent requests", required=True, minimum=1, whole=True),
    TraceField("ttftMs", Kind.NUMBER, "ms", required=False, minimum=0),
    TraceField("latencyP50Ms", Kind.NUMBER, "ms", required=False, minimum=0),
    TraceField("latencyP95Ms", Kind.NUMBER, "ms", required=False, minimum=0),
    TraceField("outputTokensPerSecond", Kind.NUMBER, "tokens/s per stream", required=False, minimum=0),
    TraceField("acceptedOutputRate", Kind.RATE, "share 0-1", required=False),
    TraceField("costUsd", Kind.NUMBER, "USD per request", required=False, minimum=0),
    TraceField("reviewMinutes", Kind.NUMBER, "minutes per output", required=False, minimum=0),
)
FIELDS_BY_NAME: dict[str, TraceField] = {f.name: f for f in TRACE_FIELDS}
# What an officer reads in a table header, in the playbook's words; the field name stays in the tooltip.
FIELD_LABELS: dict[str, str] = {
    "route": "Route", "provider": "Provider", "model": "Model", "workload": "Workload",
    "inputTokens": "Input tokens", "outputTokens": "Output tokens", "cacheHitRate": "Cache hit rate",
    "batchEligible": "Batch eligible", "concurrency": "Concurrency", "ttftMs": "Time to first token (ms)",
    "latencyP50Ms": "p50 latency (ms)", "latencyP95Ms": "p95 latency (ms)",
    "outputTokensPerSecond": "Output tokens/s per stream", "acceptedOutputRate": "Accepted output rate",
    "costUsd": "Cost (USD)", "reviewMinutes": "Review minutes", "latencyP99Ms": "p99 latency (ms)",
    "outputTokensPerSecondAggregate": "Output tokens/s, all streams",
    "concurrencyMeasured": "Concurrency (measured mean)",
}
FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in TRACE_FIELDS)

# Extra fields with a known meaning; any other extra is kept by name as text or number.
KNOWN_EXTRA_FIELDS: dict[str, TraceField] = {f.name: f for f in (
    TraceField("latencyP99Ms", Kind.NUMBER, "ms", required=False, minimum=0),
    TraceField("retryRate", Kind.RATE, "share 0-1", required=False),
    TraceField("gpuUtilization", Kind.RATE, "share 0-1", required=False),
    TraceField("timeoutRate", Kind.RATE, "share 0-1", required=False),
    TraceField("concurrencyMeasured", Kind.NUMBER, "concurrent requests", required=False, minimum=0),
    TraceField("outputTokensPerSecondAggregate", Kind.NUMBER, "tokens/s", required=False, minimum=0),
)}

_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


def parse_boolean(field_name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().casefold() in _TRUE:
        return True
    if isinstance(value, str) and value.strip().casefold() in _FALSE:
        return False
    raise FieldError(field_name, value, "must be true/false, yes/no or 1/0")


def parse_number(field_name: str, value: Any) -> float:
    """A finite number from a number or plain numeric text; NaN, inf and other text are errors."""
    if isinstance(value, bool):
        raise FieldError(field_name, value, "must be a number")
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise FieldError(field_name, value, "must be a number") from None
    else:
        raise FieldError(field_name, value, "must be a number")
    if not math.isfinite(number):
        raise FieldError(field_name, value, "must be a finite number")
    if number == 0 and isinstance(value, str) and _NONZERO_MANTISSA.match(value.strip()):
        raise FieldError(field_name, value, "is too small to represent (it would become 0)")
    if abs(number) > MAX_MAGNITUDE:
        raise FieldError(field_name, value, f"is larger than {MAX_MAGNITUDE:g}, not a measurement")
    return number


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check_value(spec: TraceField, value: Any, route_aliases: Mapping[str, str] | None = None) -> Any:
    """The validated value of one field (None for a blank nullable field); raises FieldError."""
    if is_blank(value):
        if spec.required:
            raise FieldError(spec.name, value, "is required")
        return spec.default
    if spec.kind is Kind.ROUTE:
        text = str(value).strip()
        canonical = (route_aliases or {}).get(text.casefold())
        if canonical is None:
            choices = ", ".join(sorted(set((route_aliases or {}).values())))
            raise FieldError(spec.name, value, f"is not a trace route (use one of: {choices})")
        return canonical
    if spec.kind is Kind.TEXT:
        return str(value).strip()
    if spec.kind is Kind.BOOLEAN:
        return parse_boolean(spec.name, value)
    number = parse_number(spec.name, value)
    if spec.kind is Kind.RATE and not 0.0 <= number <= 1.0:
        raise FieldError(spec.name, value, "must be between 0 and 1")
    if spec.minimum is not None and number < spec.minimum:
        reason = "must not be negative" if spec.minimum == 0 else f"must be at least {spec.minimum:g}"
        raise FieldError(spec.name, value, reason)
    if spec.whole and not number.is_integer():
        raise FieldError(spec.name, value, "must be a whole number")
    if spec.maximum is not None and number > spec.maximum:
        raise FieldError(spec.name, value, f"must be at most {spec.maximum:,.0f}")
    return number


@dataclass(frozen=True)
class TraceRow:
    """One validated measurement row; `values` maps each trace-kit field name to its value."""

    values: Mapping[str, Any]
    extras: Mapping[str, Any] = field(default_factory=dict)
    defaulted: frozenset[str] = frozenset()

    def __getitem__(self, name: str) -> Any:
        if name in FIELDS_BY_NAME:
            return self.values[name]
        return self.extras.get(name)

    def as_dict(self) -> dict[str, Any]:
        return {**{name: self.values[name] for name in FIELD_NAMES}, **dict(self.extras)}


def make_trace_row(raw: Mapping[str, Any], route_aliases: Mapping[str, str]) -> TraceRow:
    """Validate one row keyed by field name; unknown keys become extras. Raises FieldError on the first bad field."""
    values: dict[str, Any] = {}
    defaulted = set()
    for spec in TRACE_FIELDS:
        value = raw.get(spec.name)
        if is_blank(value) and spec.default is not None:
            defaulted.add(spec.name)
        values[spec.name] = check_value(spec, value, route_aliases)
    extras = {}
    for name, value in raw.items():
        if name in FIELDS_BY_NAME:
            continue
        extras[name] = check_extra(name, value)
    return TraceRow(values=values, extras=extras, defaulted=frozenset(defaulted))


def check_extra(name: str, value: Any) -> Any:
    """Known extras follow their rule; others are kept as given (numbers stay numbers, text stays text)."""
    spec = KNOWN_EXTRA_FIELDS.get(name)
    if spec is not None:
        return check_value(spec, value)
    if isinstance(value, float) and not math.isfinite(value):
        raise FieldError(name, value, "must be a finite number")
    return value
