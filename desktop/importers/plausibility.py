"""Plausibility checks on the rows an import would store: warnings for the officer, never refusals.

A row can be valid field by field and still impossible as a measurement: a p50 latency above the p95, a time
to first token above the median latency, one stream producing more tokens per second than any serving stack
does, or token counts and costs orders of magnitude away from the rest of the file (a unit slip: tokens in
thousands, cost in cents). Each check is one polars expression over the valid rows; a warning names the row
(its place among the valid rows of the source, as the preview lists them), the field and the value.
"""

from __future__ import annotations

import polars as pl

from desktop.importers.result import Problem

# ---- Constants

# Fastest single streams published for dedicated inference hardware are in the low thousands of tokens/s;
# ten thousand per stream is beyond any route, so such a figure is an aggregate mislabelled as per-stream.
MAX_TOKENS_PER_SECOND_PER_STREAM = 10_000.0
# No model takes a prompt or writes an answer of ten million tokens in one request.
MAX_TOKENS_PER_REQUEST = 10_000_000.0
# A value a thousand times the file's median (or a thousandth of it) is a unit slip, not a workload mix.
ORDERS_OFF = 1000.0
MAX_WARNINGS = 200
_WHERE = "__where"


# ---- Public API

def plausibility_warnings(valid: pl.DataFrame, source: str) -> tuple[list[Problem], int]:
    """Warnings for implausible values among `valid` (the output schema), in row order, at most MAX_WARNINGS
    of them; and how many there are in all (one per flagged value)."""
    if valid.height == 0:
        return [], 0
    frame = valid.with_row_index(_WHERE, offset=1)
    checks: list[tuple[str, pl.Expr, str]] = [
        ("latencyP50Ms", pl.col("latencyP50Ms") > pl.col("latencyP95Ms"),
         "p50 latency is above the p95 latency ({other:g} ms): percentiles out of order"),
        ("ttftMs", pl.col("ttftMs") > pl.col("latencyP50Ms"),
         "time to first token is above the p50 latency ({other:g} ms)"),
        ("outputTokensPerSecond", pl.col("outputTokensPerSecond") > MAX_TOKENS_PER_SECOND_PER_STREAM,
         f"above {MAX_TOKENS_PER_SECOND_PER_STREAM:,.0f} output tokens per second for one stream, more than any "
         f"route serves: an aggregate figure taken for a per-stream one?"),
    ]
    for name in ("inputTokens", "outputTokens"):
        checks.append((name, pl.col(name) > MAX_TOKENS_PER_REQUEST,
                       f"more than {MAX_TOKENS_PER_REQUEST:,.0f} tokens in one request"))
    if valid.height >= 3:
        for name in ("inputTokens", "outputTokens", "costUsd"):
            median = pl.col(name).filter(pl.col(name) > 0).median()
            off = (pl.col(name) > median * ORDERS_OFF) | ((pl.col(name) > 0) & (pl.col(name) < median / ORDERS_OFF))
            checks.append((name, off.fill_null(False),
                           "orders of magnitude away from the file's median ({median:g}): a unit slip?"))
    others = {"latencyP50Ms": "latencyP95Ms", "ttftMs": "latencyP50Ms"}
    flagged = frame.select(
        _WHERE, *sorted({name for name, _, _ in checks} | set(others.values())),
        *[pl.col(name).filter(pl.col(name) > 0).median().alias(f"median:{name}")
          for name in ("inputTokens", "outputTokens", "costUsd")],
        *[check.fill_null(False).alias(f"flag:{index}") for index, (_, check, _) in enumerate(checks)])
    warnings: list[Problem] = []
    for index, (name, _, reason) in enumerate(checks):
        hits = flagged.filter(pl.col(f"flag:{index}"))
        for row in hits.head(MAX_WARNINGS).iter_rows(named=True):
            other = row.get(others.get(name, name))
            text = reason.format(other=other or 0.0, median=row.get(f"median:{name}") or 0.0)
            warnings.append(Problem(source, row[_WHERE], name, row[name], text))
    warnings.sort(key=lambda p: (p.row, p.column))
    total = sum(int(flagged.get_column(f"flag:{index}").sum()) for index in range(len(checks)))
    return warnings[:MAX_WARNINGS], total
