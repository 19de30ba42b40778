"""vLLM `vllm bench serve` and SGLang bench_serving results: flat objects, one per run.

The two share most keys (SGLang started from vLLM's script) but not the end-to-end latency names, the
token totals or what 'concurrency' means: SGLang's `concurrency` is the measured mean, vLLM's
`max_concurrent_requests` the observed peak; only `max_concurrency` is the configured value in both.
Neither tool records per-stream tokens/s, so it is derived from the mean time per output token.
"""

from __future__ import annotations

from typing import Any

from desktop.importers.benchmarks.keys import Found, Keyed, linear_percentile, per_stream_rate, ratio
from desktop.importers.records import Cell, Record

# ---- Public API


def read_vllm(objects: list[tuple[int, dict[str, Any]]], notes: list[str]) -> list[Record]:
    records = []
    for row, data in objects:
        doc = Keyed(data)
        record = Record(row=row)
        _common(doc, record, notes, tool="vLLM")
        _latency(doc, record, notes, names=("e2el",), per_request="latencies",
                 hint="vLLM writes it only with --percentile-metrics ttft,tpot,itl,e2el "
                      "--metric-percentiles 50,95,99")
        peak = doc.get("max_concurrent_requests")
        if peak:
            record.extras["concurrencyPeak"] = peak.value
        records.append(record)
    return records


def read_sglang(objects: list[tuple[int, dict[str, Any]]], notes: list[str]) -> list[Record]:
    records = []
    for row, data in objects:
        doc = Keyed(data)
        record = Record(row=row)
        _common(doc, record, notes, tool="SGLang")
        _latency(doc, record, notes, names=("e2e_latency", "e2el"), per_request=None,
                 hint="SGLang bench_serving records no p95 end-to-end latency and no per-request latencies")
        measured = doc.get("concurrency")
        if measured:
            record.cells["concurrencyMeasured"] = measured.cell()
        for key, name in (("dataset_name", "dataset"), ("accept_length", "acceptLength")):
            found = doc.get(key)
            if found:
                record.extras[name] = found.value
        records.append(record)
    return records


# ---- Private API

def _common(doc: Keyed, record: Record, notes: list[str], *, tool: str) -> None:
    cells = record.cells
    model = doc.get("model_id", "model", "served_model_name", "model_name")
    if model:
        cells["model"] = model.cell()
    completed = doc.get("completed")
    for field, keys in (("inputTokens", ("total_input_tokens", "total_input")),
                        ("outputTokens", ("total_output_tokens", "total_output"))):
        cell = ratio(doc.get(*keys), completed)
        if cell:
            cells[field] = cell
    configured = doc.get("max_concurrency")
    if configured:
        cells["concurrency"] = configured.cell()
    else:
        _once(notes, f"{tool}: a run without --max-concurrency (rate-based) records no configured "
                     f"concurrency; give it with --set concurrency=N")
    ttft = doc.get("median_ttft_ms", "p50_ttft_ms")
    if ttft:
        cells["ttftMs"] = ttft.cell()
    per_stream = per_stream_rate(doc.get("mean_tpot_ms"), notes)
    if per_stream is not None:
        cells["outputTokensPerSecond"] = per_stream
    aggregate = doc.get("output_throughput")
    if aggregate:
        cells["outputTokensPerSecondAggregate"] = aggregate.cell()
    for key, name in (("request_rate", "requestRate"), ("completed", "completedRequests"),
                      ("failed", "failedRequests"), ("duration", "durationSeconds"), ("backend", "backend"),
                      ("request_throughput", "requestsPerSecond"), ("burstiness", "burstiness")):
        found = doc.get(key)
        if found is not None:
            record.extras[name] = found.value


def _latency(doc: Keyed, record: Record, notes: list[str], *, names: tuple[str, ...], per_request: str | None,
             hint: str) -> None:
    """Percentiles as recorded; computed from per-request latencies only when the file has them."""
    latencies = _successful_latencies(doc, per_request) if per_request else None
    for field, prefixes in (("latencyP50Ms", ("median", "p50")), ("latencyP95Ms", ("p95",)),
                            ("latencyP99Ms", ("p99",))):
        found = doc.get(*(f"{p}_{n}_ms" for n in names for p in prefixes))
        if found:
            record.cells[field] = found.cell()
        elif latencies:
            q = {"latencyP50Ms": 0.5, "latencyP95Ms": 0.95, "latencyP99Ms": 0.99}[field]
            value = linear_percentile([v * 1000.0 for v in latencies.value], q)
            record.cells[field] = Cell(value, f"{latencies.path} (p{round(q * 100)} computed)", value)
            _once(notes, f"{field} computed from the per-request '{per_request}' list "
                         f"(seconds, linear interpolation)")
        elif field != "latencyP99Ms":
            record.cells[field] = Cell(None, field)
            _once(notes, f"{field} not measured: the file has no such percentile ({hint}); left empty")


def _successful_latencies(doc: Keyed, key: str) -> Found | None:
    found = doc.get(key)
    if not found or not isinstance(found.value, list):
        return None
    values = found.value
    errors = doc.get("errors")
    if errors and isinstance(errors.value, list) and len(errors.value) == len(values):
        values = [v for v, e in zip(values, errors.value, strict=True) if not e]
    numbers = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return Found(numbers, found.path) if numbers else None


def _once(notes: list[str], text: str) -> None:
    if text not in notes:
        notes.append(text)
