"""The live formulas of the Metrics sheets and the Traces sheets' columns.

The Metrics sheet recomputes every trace row's cost per accepted output from the Traces sheet and the
Summary's reviewer-rate and target cells, then the per-route, per-workload-and-route and per-group
aggregates over all Traces sheets (COUNTIFS and MINIFS), so finance can change an input and see the
effect. Only functions that need no `_xlfn.` prefix are used, except MINIFS, written prefixed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from desktop.domain.trace import FIELDS_BY_NAME, FIELD_NAMES
from desktop.exports.excel_layout import FIRST_DATA_ROW, cell_ref, sheet_ref
from desktop.exports.excel_text import clean_text


def field_label(name: str) -> str:
    """A trace field's column header: 'latencyP95Ms' -> 'Latency p95 (ms)', 'costUsd' -> 'Cost (USD per request)'."""
    spec = FIELDS_BY_NAME.get(name)
    if spec is None:
        return name
    words = [w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", name)]
    if words and words[-1] in ("ms", "usd"):
        words = words[:-1]
    text = " ".join(words)
    text = re.sub(r"\b(p|ttft) ?(\d+)?\b", lambda m: (m.group(1) + (m.group(2) or "")) if m.group(1) == "p"
                  else "TTFT", text).capitalize().replace("Ttft", "TTFT")
    if name == "costUsd":
        return "Cost (USD per request)"
    if name == "outputTokensPerSecond":
        return "Output tokens/s per stream"
    if spec.unit == "ms":
        text += " (ms)"
    return text


def unique_names(names: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    result = []
    for name in names:
        base = " ".join(clean_text(name, 250).split()) or "Column"
        candidate, n = base, 2
        while candidate.casefold() in seen:
            candidate, n = f"{base} ({n})", n + 1
        seen.add(candidate.casefold())
        result.append(candidate)
    return result


@dataclass(frozen=True)
class Columns:
    """Column positions of the Traces sheet and the Metrics sheet's blocks (0-based)."""

    trace: dict[str, int]  # Traces sheet: "id", "importId", every field, extras
    # Metrics sheet blocks
    route: int = 0  # A..E
    wr: int = 6  # G..K
    group: int = 12  # M..S
    per_row: int = 20  # U..AG

    @property
    def cost_used(self) -> int:
        return self.per_row + 5

    @property
    def cost_per_accepted(self) -> int:
        return self.per_row + 7

    @property
    def route_key(self) -> int:
        return self.per_row + 10

    @property
    def wr_key(self) -> int:
        return self.per_row + 11

    @property
    def group_key(self) -> int:
        return self.per_row + 12


PER_ROW_HEADERS = ("Trace id", "Workload", "Route", "Provider", "Model", "Cost per request used (USD)",
                   "Cost basis", "Cost per accepted output (USD)", "Cache-adjusted input burden (tokens)",
                   "Throughput headroom (accepted tokens/s)", "Key: route", "Key: workload and route",
                   "Key: group")


class MetricsFormulas:
    """Builds the Metrics sheet's formulas: per row over one Traces sheet, aggregates over all of them."""

    def __init__(self, columns: Columns, rate_ref: str, target_ref: str,
                 sheets: Sequence[tuple[str, str, int]]) -> None:
        self.c = columns
        self.rate = rate_ref
        self.target = target_ref
        self.sheets = sheets  # (traces sheet, metrics sheet, rows on it)

    def _tcol(self, name: str, row: int, traces: str) -> str:
        return f"{traces}!{cell_ref(row, self.c.trace[name])}"

    def per_row(self, row: int, traces: str, modelled: float | None) -> tuple[str, str, str, str, str]:
        t = lambda name: self._tcol(name, row, sheet_ref(traces))  # noqa: E731
        used = cell_ref(row, self.c.cost_used)
        fallback = repr(float(modelled)) if modelled is not None else '""'
        cost_used = f"=IF(ISNUMBER({t('costUsd')}),{t('costUsd')},{fallback})"
        basis = f'=IF(ISNUMBER({t("costUsd")}),"observed",IF(ISNUMBER({used}),"modelled",""))'
        acc, rev = t("acceptedOutputRate"), t("reviewMinutes")
        cpa = (f'=IF(OR(NOT(ISNUMBER({used})),NOT(ISNUMBER({acc})),NOT(ISNUMBER({rev}))),"",'
               f'IF({acc}=0,"",IF(AND({rev}>0,NOT(ISNUMBER({self.rate}))),"",'
               f'{used}/{acc}+IF({rev}>0,{rev}/60*{self.rate},0))))')
        burden = f"={t('inputTokens')}*(1-N({t('cacheHitRate')}))"
        tps = t("outputTokensPerSecond")
        headroom = f'=IF(AND(ISNUMBER({tps}),ISNUMBER({acc})),{tps}*N({t("concurrency")})*{acc},"")'
        return cost_used, basis, cpa, burden, headroom

    def _ranges(self, traces: str, metrics: str, rows: int) -> tuple[str, str, str, str, str]:
        last = FIRST_DATA_ROW + max(rows, 1) - 1

        def rng(sheet: str, col: int) -> str:
            return f"{sheet_ref(sheet)}!{cell_ref(FIRST_DATA_ROW, col, True)}:{cell_ref(last, col, True)}"
        return (rng(metrics, self.c.cost_per_accepted), rng(metrics, self.c.route_key), rng(metrics, self.c.wr_key),
                rng(metrics, self.c.group_key), rng(traces, self.c.trace["latencyP95Ms"]))

    def _terms(self, key_index: int, key: int, at_target: bool) -> list[tuple[str, str]]:
        """(count, min) formula terms per sheet for rows with a cost and the key (and p95 at target)."""
        terms = []
        for traces, metrics, rows in self.sheets:
            cost, *keys, p95 = self._ranges(traces, metrics, rows)
            criteria = f"{keys[key_index]},{key}"
            if at_target:
                criteria += f',{p95},"<="&{self.target}'
            terms.append((f'COUNTIFS({cost},">=0",{criteria})', f"_xlfn.MINIFS({cost},{criteria})"))
        return terms

    def count(self, key_index: int, key: int) -> str:
        parts = []
        for traces, metrics, rows in self.sheets:
            keys = self._ranges(traces, metrics, rows)[1:4]
            parts.append(f"COUNTIFS({keys[key_index]},{key})")
        return "=" + "+".join(parts)

    def counted(self, key_index: int, key: int, at_target: bool) -> str:
        body = "+".join(c for c, _ in self._terms(key_index, key, at_target))
        if at_target:
            return f"=IF(ISNUMBER({self.target}),{body},0)"
        return "=" + body

    def lowest(self, key_index: int, key: int, at_target: bool, count_cell: str | None, empty: str) -> str:
        terms = self._terms(key_index, key, at_target)
        count = count_cell or "+".join(c for c, _ in terms)
        if len(terms) == 1:
            value = terms[0][1]
        else:
            value = "MIN(" + ",".join(f"IF({c}>0,{m},1E+307)" for c, m in terms) + ")"
        formula = f"IF({count}=0,{empty},{value})"
        if at_target:
            formula = f"IF(NOT(ISNUMBER({self.target})),{empty},{formula})"
        return "=" + formula


def trace_columns(extra_fields: Sequence[str]) -> tuple[dict[str, int], list[str]]:
    names = ["id", "importId", *FIELD_NAMES, *extra_fields]
    labels = ["Trace id", "Import id", *(field_label(n) for n in FIELD_NAMES), *extra_fields]
    return {name: i for i, name in enumerate(names)}, unique_names(labels)
