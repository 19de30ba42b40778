"""The columns of a request log: what each header means, with units, and which columns are left out.

Per-request columns reuse the trace fields where the meaning is the same for one request (inputTokens,
ttftMs, costUsd...); the few that exist only per request (latency, cached tokens, accepted, error) are
defined here with the same TraceField shape, so one validator serves both.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from desktop.domain.trace import FIELDS_BY_NAME, Kind, TraceField
from desktop.importers.headers import Vocabulary, header_key, unit_family
from desktop.importers.tabular import TEXT_PAYLOAD_KEYS

# ---- Constants

REQUEST_ONLY: dict[str, TraceField] = {f.name: f for f in (
    TraceField("latencyMs", Kind.NUMBER, "ms", required=False, minimum=0),
    TraceField("cachedTokens", Kind.NUMBER, "tokens", required=False, minimum=0),
    TraceField("accepted", Kind.BOOLEAN, None, required=False),
    TraceField("success", Kind.BOOLEAN, None, required=False),
    TraceField("status", Kind.TEXT, None, required=False),
    TraceField("error", Kind.TEXT, None, required=False),
)}
# Trace fields a request row may carry, with the same meaning for one request.
PER_REQUEST_FIELDS = ("route", "provider", "model", "workload", "concurrency", "batchEligible", "inputTokens",
                      "outputTokens", "ttftMs", "costUsd", "outputTokensPerSecond", "reviewMinutes")
GROUP_KEYS = ("route", "provider", "model", "workload", "concurrency")
REQUIRED_COLUMNS = ("latencyMs", "inputTokens", "outputTokens")

SYNONYMS = {
    "latencyMs": ("latency", "e2e latency", "e2el", "end to end latency", "request latency", "duration",
                  "total time", "response time", "elapsed", "latency total"),
    "ttftMs": ("ttft", "time to first token", "first token latency", "first token"),
    "inputTokens": ("input tokens", "prompt tokens", "number input tokens", "num tokens input", "tokens in",
                    "isl", "usage prompt tokens", "prompt len", "input len"),
    "outputTokens": ("output tokens", "completion tokens", "number output tokens", "num tokens output",
                     "tokens out", "generated tokens", "usage completion tokens", "output len"),
    "cachedTokens": ("cached tokens", "cache read tokens", "cached input tokens", "num tokens input cached",
                     "cache read input tokens", "prompt cached tokens", "cache hit tokens"),
    "costUsd": ("cost", "cost usd", "price", "cost per request", "request cost"),
    "outputTokensPerSecond": ("tokens per second", "output tokens per second", "tps",
                              "request output throughput token per s", "output tok/s"),
    "accepted": ("is accepted", "accept", "acceptance", "accepted output", "passed", "approved"),
    "success": ("succeeded", "ok", "is success", "successful"),
    "status": ("status code", "http status", "outcome", "result"),
    "error": ("error code", "error msg", "error message", "errors", "failure reason", "failed reason"),
    "concurrency": ("concurrent requests", "max concurrency", "num concurrent requests"),
    "batchEligible": ("batch", "batchable"),
    "reviewMinutes": ("review", "review time"),
}

# ---- Public API


# One request's token counts are whole numbers (a trace row's are means over requests, so they may not be).
_PER_REQUEST_WHOLE = {name: replace(FIELDS_BY_NAME[name], whole=True) for name in ("inputTokens", "outputTokens")}


def spec_of(name: str) -> TraceField:
    return REQUEST_ONLY.get(name) or _PER_REQUEST_WHOLE.get(name) or FIELDS_BY_NAME[name]


def request_vocabulary() -> Vocabulary:
    names = (*PER_REQUEST_FIELDS, *REQUEST_ONLY)
    families = {n: unit_family(spec_of(n)) for n in names}
    return Vocabulary(families, SYNONYMS, {n: spec_of(n).unit for n in names})


def count_request_columns(cells_in_row: list[Any]) -> tuple[int, bool]:
    """(distinct request-log columns named, whether one is a per-request latency)."""
    vocabulary = _vocabulary()
    names = {vocabulary.match(str(c)).name for c in cells_in_row if isinstance(c, str) and c.strip()}
    names.discard(None)
    return len(names), "latencyMs" in names


@dataclass
class Plan:
    """The request-log columns found in a header."""

    columns: dict[int, tuple[str, float]]     # column index -> (name, unit factor)
    names: dict[str, int]                     # name -> column index
    header_problems: list[tuple[int, str]]
    dropped: list[str]
    unused: list[str]
    more_errors: list[int] = field(default_factory=list)  # further error columns (error_code + error_msg)


def plan_columns(headers: list[str]) -> Plan:
    """Which column is which request field, and which columns are dropped (text) or unused."""
    vocabulary = _vocabulary()
    plan = Plan({}, {}, [], [], [])
    for index, header in enumerate(headers):
        if not str(header).strip():
            continue
        match = vocabulary.match(header)
        last = str(header).rsplit(".", 1)[-1]
        if match.name is None and last != header:  # nested JSON keys: usage.prompt_tokens
            match = vocabulary.match(last)
        if match.name is None:
            (plan.dropped if header_key(last) in TEXT_PAYLOAD_KEYS else plan.unused).append(str(header))
            continue
        if match.problem:
            plan.header_problems.append((index, match.problem))
        if match.name == "error" and "error" in plan.names:
            plan.more_errors.append(index)
            continue
        if match.name in plan.names:
            plan.header_problems.append((index, f"a second column for {match.name} "
                                                f"(first: '{headers[plan.names[match.name]]}'); keep one"))
            continue
        plan.columns[index] = (match.name, match.factor)
        plan.names[match.name] = index
    return plan


def is_numeric(spec: TraceField) -> bool:
    return spec.kind in (Kind.NUMBER, Kind.RATE)


# ---- Private API

_VOCABULARY: Vocabulary | None = None


def _vocabulary() -> Vocabulary:
    global _VOCABULARY
    if _VOCABULARY is None:
        _VOCABULARY = request_vocabulary()
    return _VOCABULARY
