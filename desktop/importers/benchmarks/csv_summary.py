"""AIPerf's `profile_export_aiperf.csv` and GenAI-Perf's `*_genai_perf.csv`: the same statistics as their
JSON, as a table ("Metric,avg,min,max,...,p50,...,p99,..." with the unit in the metric's name, e.g.
"Request Latency (ms)"), then a blank line and a "Metric,Value" block of run totals.

The table is turned back into the JSON's shape (`request_latency: {unit: "ms", avg:..., p50:...}`), so one
reader serves both files and the CSV gives exactly the JSON's values (to the two decimals the CSV keeps).
Neither CSV records the model or the concurrency; they are taken from the JSON beside it when it is there.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

# ---- Constants

_NAME = re.compile(r"^(?P<name>.+?)\s*\((?P<unit>[^()]*)\)\s*$")
# GenAI-Perf writes run totals with a thousands separator ("1,303.21", quoted).
_GROUPED = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$")
_STATS = {"avg", "min", "max", "sum", "std", "p1", "p5", "p10", "p25", "p50", "p75", "p90", "p95", "p99"}


# ---- Public API

def is_csv_summary(sample: str) -> str | None:
    """'aiperf' or 'genai-perf' when the text starts with their statistics table, else None."""
    first = sample.lstrip("\ufeff").split("\n", 1)[0].strip().casefold().replace(" ", "")
    cells = first.split(",")
    if len(cells) < 5 or cells[0] != "metric" or not {"avg", "p50", "p95"} <= set(cells):
        return None
    return "aiperf" if "sum" in cells or "p1" in cells and cells.index("p1") < cells.index("p99") else "genai-perf"


def summary_document(text: str) -> dict[str, Any]:
    """The CSV's statistics in the JSON's shape: {metric_name: {unit, avg, p50, ...}}."""
    document: dict[str, Any] = {}
    header: list[str] | None = None
    for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))):
        if not row or not any(cell.strip() for cell in row):
            header = None
            continue
        if row[0].strip().casefold() == "metric":
            header = [cell.strip().casefold() for cell in row]
            continue
        if header is None:
            continue  # telemetry blocks and anything else without a Metric header
        name, unit = _split(row[0])
        if header[1:2] == ["value"]:  # the totals block: one value, kept as the JSON keeps system metrics
            document.setdefault(name, {"unit": unit, "avg": _number(row[1]) if len(row) > 1 else None})
            continue
        stats = {key: _number(cell) for key, cell in zip(header[1:], row[1:]) if key in _STATS and cell.strip()}
        document.setdefault(name, {"unit": unit, **stats})
    return document


# ---- Private API

def _split(label: str) -> tuple[str, str]:
    match = _NAME.match(label.strip())
    name, unit = (match.group("name"), match.group("unit")) if match else (label.strip(), "")
    return re.sub(r"[^a-z0-9]+", "_", name.casefold()).strip("_"), unit


def _number(cell: str) -> float | str:
    text = cell.strip()
    if _GROUPED.match(text):
        text = text.replace(",", "")
    try:
        return float(text)
    except ValueError:
        return cell
