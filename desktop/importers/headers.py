"""Reading column headers the way people write them: camelCase, snake_case, words, units in brackets.

A header is reduced to a key (lower-case words joined) plus an optional unit. The key is looked up in a
vocabulary built from the trace fields themselves (`latencyP95Ms` also answers to `latency p95`, because
its unit is in its name) and a short list of common synonyms; the unit becomes a factor to the field's
canonical unit, so "TTFT (s)" arrives in milliseconds and "Cache hit (%)" as a share.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from desktop.domain.trace import FIELDS_BY_NAME, KNOWN_EXTRA_FIELDS, TRACE_FIELDS, Kind, TraceField

# ---- Constants

PERCENT = 0.01

# Unit words (normalised: lower case, no spaces) -> factor to the family's canonical unit.
UNIT_FAMILIES: dict[str, dict[str, float]] = {
    "ms": {"ms": 1.0, "msec": 1.0, "millis": 1.0, "millisecond": 1.0, "milliseconds": 1.0,
           "s": 1000.0, "sec": 1000.0, "secs": 1000.0, "second": 1000.0, "seconds": 1000.0,
           "us": 0.001, "µs": 0.001, "microseconds": 0.001, "min": 60_000.0, "mins": 60_000.0,
           "minutes": 60_000.0},
    "minutes": {"min": 1.0, "mins": 1.0, "minute": 1.0, "minutes": 1.0, "m": 1.0,
                "s": 1 / 60, "sec": 1 / 60, "secs": 1 / 60, "seconds": 1 / 60,
                "h": 60.0, "hr": 60.0, "hrs": 60.0, "hour": 60.0, "hours": 60.0},
    "share": {"%": PERCENT, "pct": PERCENT, "percent": PERCENT, "share": 1.0, "0-1": 1.0, "ratio": 1.0,
              "fraction": 1.0},
    "tokens": {"tokens": 1.0, "token": 1.0, "tok": 1.0, "toks": 1.0, "#": 1.0, "count": 1.0, "mean": 1.0,
               "avg": 1.0},
    "tokens/s": {"tok/s": 1.0, "toks/s": 1.0, "tokens/s": 1.0, "tokens/sec": 1.0, "tokens/second": 1.0,
                 "tps": 1.0, "tok/sec": 1.0},
    "usd": {"usd": 1.0, "$": 1.0, "us$": 1.0, "usd/request": 1.0, "$/request": 1.0, "usd/req": 1.0},
    "count": {"requests": 1.0, "streams": 1.0, "users": 1.0, "#": 1.0, "n": 1.0},
    "number": {},
}

# Unit words that may end a header without brackets ("ttft_s", "Cache hit %").
TRAILING_UNITS = frozenset({"ms", "s", "sec", "secs", "seconds", "min", "mins", "minutes", "%", "pct",
                            "percent", "usd", "tok/s", "tokens/s", "tps", "h", "hours"})

# Common ways people name a trace-kit column besides its own name. Keys are the field's name; values are
# header keys (words lower-cased and joined). Checked against the trace definition when this module loads.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "route": ("trace route", "inference route", "buying route"),
    "provider": ("vendor", "host", "provider name", "deployment owner", "stack"),
    "model": ("model id", "model name", "model identifier", "endpoint alias"),
    "workload": ("task", "task family", "use case", "workload name"),
    "inputTokens": ("input", "prompt tokens", "isl", "mean input tokens", "avg input tokens",
                    "input tokens mean", "tokens in"),
    "outputTokens": ("output", "completion tokens", "osl", "mean output tokens", "avg output tokens",
                     "output tokens mean", "generated tokens", "tokens out"),
    "cacheHitRate": ("cache hit", "cache hits", "cache hit ratio", "cache rate", "prefix cache hit rate",
                     "cache hit share"),
    "batchEligible": ("batch", "batchable", "batch ok", "batch lane", "batch eligibility"),
    "concurrency": ("concurrent requests", "max concurrency", "configured concurrency", "streams",
                    "parallel requests"),
    "ttftMs": ("time to first token", "median ttft", "ttft median", "ttft p50", "p50 ttft", "first token"),
    "latencyP50Ms": ("p50 latency", "median latency", "latency median", "p50", "e2e latency p50",
                     "p50 e2e latency", "median e2e latency"),
    "latencyP95Ms": ("p95 latency", "latency 95", "p95", "e2e latency p95", "p95 e2e latency"),
    "outputTokensPerSecond": ("tokens per second", "output tokens per sec", "output tok/s", "output tokens/s",
                              "tokens/s", "tok/s", "tps", "output tps", "tokens per second per stream",
                              "per stream tokens per second"),
    "acceptedOutputRate": ("accepted rate", "acceptance rate", "accept rate", "accepted share",
                           "accepted outputs", "accepted"),
    "costUsd": ("cost", "cost per request", "cost usd per request", "price per request", "usd per request"),
    "reviewMinutes": ("review", "review time", "review minutes per output", "human review minutes"),
    "latencyP99Ms": ("p99 latency", "p99", "e2e latency p99"),
    "retryRate": ("retries", "retry share"),
    "gpuUtilization": ("gpu util", "gpu utilisation", "gpu occupancy", "utilization", "utilisation"),
    "timeoutRate": ("timeouts", "timeout share"),
    "concurrencyMeasured": ("measured concurrency", "mean concurrency", "concurrency mean"),
    "outputTokensPerSecondAggregate": ("aggregate output tokens per second", "aggregate tokens per second",
                                       "output throughput", "aggregate output tok/s", "total output tok/s"),
}

_BRACKET_UNIT = re.compile(r"[\(\[\{]\s*([^\)\]\}]*?)\s*[\)\]\}]\s*$")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORD = re.compile(r"[a-z0-9µ]+(?:/[a-z0-9µ]+)*|%|\$|#")


# ---- Public API

@dataclass(frozen=True)
class HeaderMatch:
    """How one header was understood.

    Attributes:
        header: the header as written.
        name: the field it maps to, or None when not recognised (then it is an extra column).
        factor: multiply numeric values by this to reach the field's canonical unit.
        percent: the header declares percentages ("%"), which makes bare numbers at most 1 ambiguous.
        unit: the unit text found in the header, if any.
        problem: why the header cannot be used as is (a unit that does not fit the field).
    """

    header: str
    name: str | None
    factor: float = 1.0
    percent: bool = False
    unit: str | None = None
    problem: str | None = None


def header_key(text: str) -> str:
    """Lower-case words of a header joined without separators: 'Input tokens' -> 'inputtokens'."""
    return "".join(_words(text))


def unit_family(spec: TraceField) -> str | None:
    """The unit family of a trace field (None for text and booleans, which take no unit)."""
    if spec.kind is Kind.RATE:
        return "share"
    if spec.kind is not Kind.NUMBER:
        return None
    unit = spec.unit or ""
    for prefix, family in (("ms", "ms"), ("minutes", "minutes"), ("tokens/s", "tokens/s"),
                           ("tokens", "tokens"), ("USD", "usd"), ("concurrent", "count")):
        if unit.startswith(prefix):
            return family
    return "number"


class Vocabulary:
    """Header keys -> (name, unit family); matches headers written in any common style.

    Args:
        names: name -> unit family (None for fields that take no unit).
        synonyms: name -> extra header spellings.
        canonical_units: name -> the unit text of its definition (accepted with factor 1).
    """

    def __init__(self, names: Mapping[str, str | None], synonyms: Mapping[str, Iterable[str]] = (),
                 canonical_units: Mapping[str, str | None] | None = None) -> None:
        self.families = dict(names)
        self.canonical_units = dict(canonical_units or {})
        self._keys: dict[str, str] = {}
        for name in names:
            self._add(name.casefold(), name)
            words = _words(name)
            if len(words) > 1 and words[-1] in TRAILING_UNITS:
                self._add("".join(words[:-1]), name)
        for name, spellings in dict(synonyms).items():
            if name not in self.families:
                raise KeyError(f"synonym for unknown name {name!r}")
            for spelling in spellings:
                self._add(header_key(spelling), name)

    def match(self, header: str) -> HeaderMatch:
        text = unicodedata.normalize("NFKC", str(header)).strip()
        bracket = _BRACKET_UNIT.search(text)
        unit = bracket.group(1).strip() if bracket else None
        words = _words(text[:bracket.start()] if bracket else text)
        name = self._keys.get("".join(words))
        if name is None and unit is None and len(words) > 1 and words[-1] in TRAILING_UNITS:
            name = self._keys.get("".join(words[:-1]))
            unit = words[-1] if name else None
        if name is None:
            return HeaderMatch(header=str(header), name=None)
        return self._with_unit(str(header), name, unit)

    def _with_unit(self, header: str, name: str, unit: str | None) -> HeaderMatch:
        family = self.families[name]
        if unit is None or not unit.strip():
            return HeaderMatch(header=header, name=name)
        if family is None:  # text and booleans: a bracket is a comment ("Route (see list)")
            return HeaderMatch(header=header, name=name)
        normal = re.sub(r"\s+", "", unit.casefold())
        canonical = re.sub(r"\s+", "", (self.canonical_units.get(name) or "").casefold())
        factors = UNIT_FAMILIES[family]
        if normal == canonical or (family == "number" and not normal):
            return HeaderMatch(header=header, name=name, unit=unit)
        if normal not in factors:
            wanted = self.canonical_units.get(name) or family
            return HeaderMatch(header=header, name=name, unit=unit,
                               problem=f"unit '{unit}' does not fit {name} ({wanted})")
        factor = factors[normal]
        return HeaderMatch(header=header, name=name, factor=factor, percent=factor == PERCENT, unit=unit)

    def _add(self, key: str, name: str) -> None:
        if self._keys.setdefault(key, name) != name:
            raise ValueError(f"header key {key!r} would mean both {self._keys[key]} and {name}")


def trace_vocabulary() -> Vocabulary:
    """The trace kit's sixteen fields and the known extra fields."""
    specs = (*TRACE_FIELDS, *KNOWN_EXTRA_FIELDS.values())
    return Vocabulary({s.name: unit_family(s) for s in specs}, SYNONYMS, {s.name: s.unit for s in specs})


def trace_spec(name: str) -> TraceField | None:
    return FIELDS_BY_NAME.get(name) or KNOWN_EXTRA_FIELDS.get(name)


# ---- Private API

def _words(text: str) -> list[str]:
    text = _CAMEL.sub(" ", unicodedata.normalize("NFKC", text))
    return _WORD.findall(text.casefold())
