"""GuideLLM benchmarks.json, one trace row per benchmark, in all three layouts it has written.

v0.3 has no `metadata` and keeps each benchmark's strategy under `args`; `metadata.version: 1` (0.5/0.6)
adds a top-level `args`; `metadata.version: 2` (0.7 on) a top-level `config` and `benchmarks[].config`.
Distributions are StatusDistributionSummary objects; only the `successful` part is used. request_latency
is in seconds, the *_ms metrics in milliseconds.
"""

from __future__ import annotations

from typing import Any

from desktop.importers.benchmarks.keys import Found, Keyed, number, per_stream_rate
from desktop.importers.records import Cell, Record

# ---- Public API


def layout(data: dict[str, Any]) -> str:
    version = Keyed(data).at("metadata", "version")
    return f"metadata.version {version.value}" if version else "v0.3 (no metadata)"


def read_guidellm(data: dict[str, Any], notes: list[str]) -> list[Record]:
    doc = Keyed(data)
    benchmarks = doc.get("benchmarks")
    records = []
    for index, item in enumerate(benchmarks.value if benchmarks and isinstance(benchmarks.value, list) else []):
        bench = Keyed.of(item, f"benchmarks[{index}]")
        if bench is None:
            continue
        records.append(_benchmark(doc, bench, index + 1, notes))
    notes.append(f"GuideLLM layout: {layout(data)}; {len(records)} benchmarks, one trace row each")
    return records


# ---- Private API

def _benchmark(doc: Keyed, bench: Keyed, row: int, notes: list[str]) -> Record:
    record = Record(row=row)
    cells = record.cells
    metrics = bench.obj("metrics") or Keyed({}, f"{bench.path}.metrics")
    for field, metric, stat, factor in (
            ("inputTokens", "prompt_token_count", ("mean",), 1.0),
            ("outputTokens", "output_token_count", ("mean",), 1.0),
            ("ttftMs", "time_to_first_token_ms", ("median",), 1.0),
            ("latencyP50Ms", "request_latency", ("median",), 1000.0),
            ("latencyP95Ms", "request_latency", ("percentiles", "p95"), 1000.0),
            ("latencyP99Ms", "request_latency", ("percentiles", "p99"), 1000.0),
            ("concurrencyMeasured", "request_concurrency", ("mean",), 1.0),
            ("outputTokensPerSecondAggregate", "output_tokens_per_second", ("mean",), 1.0)):
        found = metrics.at(metric, "successful", *stat)
        if found:
            cells[field] = found.cell(factor)
        elif field in ("ttftMs", "latencyP50Ms", "latencyP95Ms"):
            cells[field] = Cell(None, f"{metric}.successful.{'.'.join(stat)}")
            _once(notes, f"{field} not measured in some GuideLLM benchmark ({metric}.successful."
                         f"{'.'.join(stat)} missing); left empty")
    requests = _successful_requests(bench)
    _per_stream(cells, metrics, notes)
    _cache_hit(cells, requests, notes)
    _concurrency(cells, bench, notes)
    model = _model(doc, bench)
    if model:
        cells["model"] = model.cell()
    totals = metrics.obj("request_totals") or bench.obj("request_totals")
    if totals:
        for key, name in (("successful", "completedRequests"), ("errored", "failedRequests"),
                          ("incomplete", "incompleteRequests")):
            found = totals.get(key)
            if found is not None:
                record.extras[name] = found.value
    rps = metrics.at("requests_per_second", "successful", "mean")
    if rps:
        record.extras["requestsPerSecond"] = rps.value
    return record


def _successful_requests(bench: Keyed) -> Found | None:
    requests = bench.obj("requests")
    found = requests.get("successful") if requests else None
    if found and isinstance(found.value, list) and found.value:
        return found
    return None


def _per_stream(cells: dict[str, Cell], metrics: Keyed, notes: list[str]) -> None:
    """GuideLLM's time_per_output_token_ms counts the wait for the first token in some versions (0.3: the
    whole request over its tokens) and its per-request output_tokens_per_second does too; its
    inter_token_latency_ms is the decode time per token after the first, which the one definition uses."""
    per_stream = per_stream_rate(metrics.at("inter_token_latency_ms", "successful", "mean"), notes)
    if per_stream is not None:
        cells["outputTokensPerSecond"] = per_stream
    else:
        cells["outputTokensPerSecond"] = Cell(None, "inter_token_latency_ms.successful.mean")
        _once(notes, "outputTokensPerSecond not measured in some GuideLLM benchmark (inter_token_latency_ms "
                     "missing); left empty")


def _cache_hit(cells: dict[str, Cell], requests: Found | None, notes: list[str]) -> None:
    if not requests:
        return
    cached = prompt = 0.0
    seen = False
    for item in requests.value:
        request = Keyed.of(item)
        if request is None:
            continue
        hit = number(request.get("cached_tokens") or request.find("cached_tokens", depth=2))
        tokens = number(request.get("prompt_tokens") or request.find("prompt_tokens", depth=2))
        if hit is not None and tokens is not None:
            cached, prompt, seen = cached + hit, prompt + tokens, True
    if seen and prompt > 0:
        cells["cacheHitRate"] = Cell(cached / prompt, f"{requests.path}[].cached_tokens / prompt_tokens",
                                     cached / prompt)
        _once(notes, "cacheHitRate computed as the sum of per-request cached_tokens / sum of prompt_tokens")


def _concurrency(cells: dict[str, Cell], bench: Keyed, notes: list[str]) -> None:
    strategy = bench.at("config", "strategy") or bench.at("args", "strategy") or bench.find("strategy", depth=2)
    if strategy is None or not isinstance(strategy.value, dict):
        return
    kind = Keyed(strategy.value, strategy.path)
    type_ = kind.get("type_", "type")
    name = str(type_.value).casefold() if type_ else ""
    streams = kind.get("streams", "max_concurrency")
    if name == "synchronous":
        cells["concurrency"] = Cell(1.0, f"{strategy.path}.type_ (synchronous)", "synchronous")
    elif streams is not None:
        cells["concurrency"] = streams.cell()
    else:
        _once(notes, f"GuideLLM '{name or 'unknown'}' benchmarks are rate-based and record no configured "
                     f"concurrency; give it with --set concurrency=N")


def _model(doc: Keyed, bench: Keyed) -> Found | None:
    for node in (bench.obj("config"), bench.obj("worker"), bench.obj("args"), doc.obj("args"), doc.obj("config")):
        if node is None:
            continue
        found = node.find("model", "backend_model", depth=3)
        if found is not None and isinstance(found.value, str) and found.value.strip():
            return found
    return None


def _once(notes: list[str], text: str) -> None:
    if text not in notes:
        notes.append(text)
