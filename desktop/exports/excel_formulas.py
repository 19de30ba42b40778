"""The Metrics sheets' live formulas and the Traces sheets' columns.

The per-row metrics are values (computed by ipw, column-wise); the per-route, per-workload-and-route and
per-group aggregates are live formulas over all Metrics and Traces sheets, reading the Summary's
reviewer-rate and target cells, so finance can change an input and see the effect. Each row's cost per
accepted output at any rate is its `base` plus its `review hours` times the rate, so the lowest one is an
array formula MIN(IF(...)) over those two columns, and counts are COUNTIFS. Only functions that need no
`_xlfn.` prefix are used.
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
    per_row: int = 20  # U..AI

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

    @property
    def base(self) -> int:
        return self.per_row + 13

    @property
    def review_hours(self) -> int:
        return self.per_row + 14


PER_ROW_HEADERS = ("Trace id", "Workload", "Route", "Provider", "Model", "Cost per request used (USD)",
                   "Cost basis", "Cost per accepted output at the workbook's reviewer rate (USD)",
                   "Cache-adjusted input burden (tokens)", "Throughput headroom (accepted tokens/s)", "Key: route",
                   "Key: workload and route", "Key: group", "Cost per accepted output before review (USD)",
                   "Review time per request (hours)")


class MetricsFormulas:
    """The aggregate blocks' formulas over every (Traces, Metrics) sheet pair.

    A row has a cost per accepted output at rate R when its `base` is a number and R is a number or it has
    no review time; the cost is then base + review hours x R (exactly the reference formula's operations)."""

    def __init__(self, columns: Columns, rate_ref: str, target_ref: str,
                 sheets: Sequence[tuple[str, str, int]]) -> None:
        self.c = columns
        self.rate = rate_ref
        self.target = target_ref
        self.sheets = sheets  # (traces sheet, metrics sheet, rows on it)

    def _ranges(self, traces: str, metrics: str, rows: int) -> dict[str, str]:
        last = FIRST_DATA_ROW + max(rows, 1) - 1

        def rng(sheet: str, col: int) -> str:
            return f"{sheet_ref(sheet)}!{cell_ref(FIRST_DATA_ROW, col, True)}:{cell_ref(last, col, True)}"
        c = self.c
        return {"base": rng(metrics, c.base), "hours": rng(metrics, c.review_hours),
                "keys": (rng(metrics, c.route_key), rng(metrics, c.wr_key), rng(metrics, c.group_key)),
                "p95": rng(traces, c.trace["latencyP95Ms"])}

    def count(self, key_index: int, key: int) -> str:
        return "=" + "+".join(f"COUNTIFS({self._ranges(*sheet)['keys'][key_index]},{key})" for sheet in self.sheets)

    def _costed(self, key_index: int, key: int, at_target: bool, rate_known: bool) -> str:
        parts = []
        for sheet in self.sheets:
            r = self._ranges(*sheet)
            criteria = f'{r["base"]},"<>",{r["keys"][key_index]},{key}'
            if not rate_known:
                criteria += f',{r["hours"]},0'
            if at_target:
                criteria += f',{r["p95"]},"<="&{self.target}'
            parts.append(f"COUNTIFS({criteria})")
        return "+".join(parts)

    def counted(self, key_index: int, key: int, at_target: bool) -> str:
        """Rows with a cost per accepted output (at the target p95 when `at_target`)."""
        body = (f"IF(ISNUMBER({self.rate}),{self._costed(key_index, key, at_target, True)},"
                f"{self._costed(key_index, key, at_target, False)})")
        if at_target:
            return f"=IF(ISNUMBER({self.target}),{body},0)"
        return "=" + body

    def lowest(self, key_index: int, key: int, at_target: bool, count_cell: str | None, empty: str) -> str:
        """The lowest cost per accepted output (an array formula: enter with Ctrl+Shift+Enter if edited)."""
        terms = []
        for sheet in self.sheets:
            r = self._ranges(*sheet)
            base, hours, p95 = r["base"], r["hours"], r["p95"]
            condition = f"({r['keys'][key_index]}={key})*ISNUMBER({base})*(({hours}=0)+ISNUMBER({self.rate}))"
            if at_target:
                condition += f"*ISNUMBER({p95})*({p95}<={self.target})"
            # A large number, not FALSE, where a row does not count: LibreOffice's MIN over several arrays
            # takes FALSE as 0. The count guards the case where no row counts.
            terms.append(f"IF({condition},{base}+{hours}*N({self.rate}),1E+307)")
        count = count_cell or self.counted(key_index, key, at_target)[1:]
        formula = f"IF({count}=0,{empty},MIN({','.join(terms)}))"
        if at_target:
            formula = f"IF(NOT(ISNUMBER({self.target})),{empty},{formula})"
        return "=" + formula


def trace_columns(extra_fields: Sequence[str]) -> tuple[dict[str, int], list[str]]:
    names = ["id", "importId", *FIELD_NAMES, *extra_fields]
    labels = ["Trace id", "Import id", *(field_label(n) for n in FIELD_NAMES), *extra_fields]
    return {name: i for i, name in enumerate(names)}, unique_names(labels)
