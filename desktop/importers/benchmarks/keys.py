"""Tolerant lookups in benchmark JSON: key names drift between tool versions ('p95-e2el-ms', 'P95_E2EL_MS'),
values move one level down, and a run may leave a key null. Every value found keeps its key path so a
problem can point at it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from desktop.importers.cells import scaled
from desktop.importers.records import Cell

# ---- Public API


def norm(key: Any) -> str:
    return re.sub(r"[^a-z0-9]", "", str(key).casefold())


@dataclass(frozen=True)
class Found:
    value: Any
    path: str

    def cell(self, factor: float = 1.0, column: str | None = None) -> Cell:
        """A Cell in the field's unit; non-numbers pass through so validation names them."""
        return Cell(value=scale(self.value, factor), column=column or self.path, raw=self.value)


class Keyed:
    """A JSON object whose keys are matched ignoring case, '-', '_' and spaces."""

    def __init__(self, data: Mapping[str, Any], path: str = "") -> None:
        self.data = data
        self.path = path
        self._index: dict[str, str] = {}
        for key in data:
            self._index.setdefault(norm(key), key)

    @classmethod
    def of(cls, data: Any, path: str = "") -> Keyed | None:
        return cls(data, path) if isinstance(data, Mapping) else None

    def keys(self) -> set[str]:
        return set(self._index)

    def get(self, *names: str) -> Found | None:
        """The first of `names` present with a non-null value."""
        for name in names:
            key = self._index.get(norm(name))
            if key is not None and self.data[key] is not None:
                return Found(self.data[key], self._path(key))
        return None

    def obj(self, *names: str) -> Keyed | None:
        found = self.get(*names)
        return Keyed.of(found.value, found.path) if found else None

    def at(self, *steps: str) -> Found | None:
        """Follow a path of keys: at('input_config', 'loadgen', 'concurrency')."""
        node: Keyed | None = self
        for step in steps[:-1]:
            node = node.obj(step) if node else None
        return node.get(steps[-1]) if node else None

    def find(self, *names: str, depth: int = 4) -> Found | None:
        """Breadth-first search of nested objects for the first of `names` (a key nested elsewhere)."""
        level: list[Keyed] = [self]
        for _ in range(depth + 1):
            for node in level:
                found = node.get(*names)
                if found is not None and not isinstance(found.value, (Mapping, list)):
                    return found
            level = [child for node in level for child in node._children()]
        return None

    def _children(self) -> Iterator[Keyed]:
        for key, value in self.data.items():
            if isinstance(value, Mapping):
                yield Keyed(value, self._path(key))

    def _path(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else str(key)


def flatten(data: Mapping[str, Any], path: str = "") -> dict[str, Found]:
    """llmperf writes 'results_ttft_s_quantiles_p50' flat or nested; both read the same once flattened."""
    flat: dict[str, Found] = {}
    for key, value in data.items():
        key_path = f"{path}.{key}" if path else str(key)
        if isinstance(value, Mapping):
            for sub_key, found in flatten(value, key_path).items():
                flat.setdefault(norm(key) + sub_key, found)
        else:
            flat.setdefault(norm(key), Found(value, key_path))
    return flat


def scale(value: Any, factor: float) -> Any:
    if factor == 1.0 or isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    return scaled(value, factor)


def number(found: Found | None) -> float | None:
    """A plain number from a Found, or None (for arithmetic like totals / completed)."""
    if found is None or isinstance(found.value, bool):
        return None
    value = found.value
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    return float(value) if isinstance(value, (int, float)) else None


def ratio(numerator: Found | None, denominator: Found | None) -> Cell | None:
    """A mean from a total and a count ('total_input_tokens / completed')."""
    top, bottom = number(numerator), number(denominator)
    if numerator is None or denominator is None:
        return None
    column = f"{numerator.path} / {denominator.path}"
    if top is None or bottom is None or bottom <= 0:
        return Cell(value=None if bottom == 0 else numerator.value, column=column, raw=numerator.value)
    return Cell(value=top / bottom, column=column, raw=top / bottom)


PER_STREAM_NOTE = ("outputTokensPerSecond (per stream) = 1000 / mean time per output token after the first "
                   "(decode time per token), the same definition for every tool; taken from {path}")


def per_stream_rate(found: Found | None, notes: list[str], *, to_ms: float = 1.0) -> Cell | None:
    """Per-stream output tokens/s, one definition for every tool: 1000 / mean time per output token after
    the first (vLLM's and SGLang's TPOT, GuideLLM's, AIPerf's and GenAI-Perf's inter-token latency,
    inference-perf's time_per_output_token, llmperf's inter_token_latency_s). `to_ms` converts the
    source's unit to milliseconds. A tool's own per-user throughput is a mean of per-request ratios (or
    counts the first token), so it is kept only as an extra, never used for this field."""
    if found is None:
        return None
    ms = number(found)
    if ms is None:
        value = found.value  # not a number: validation names the cell
    else:
        value = 1000.0 / (ms * to_ms) if ms > 0 else None
    note = PER_STREAM_NOTE.format(path=found.path)
    if note not in notes:
        notes.append(note)
    return Cell(value, f"1000 / {found.path}", found.value)


def linear_percentile(values: list[float], q: float) -> float:
    """numpy's default ('linear') percentile, for per-request lists in result files."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
