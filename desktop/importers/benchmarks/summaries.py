"""Result files that already hold distributions: llmperf summaries, GenAI-Perf / AIPerf and inference-perf.

Each field takes exactly the statistic the mapping in landscape-and-formats.md 2.9 names; when that
statistic is absent the field stays empty and is reported as not measured, never filled from a
neighbouring percentile or the mean.
"""

from __future__ import annotations

from typing import Any

from desktop.importers.benchmarks.keys import Found, Keyed, flatten, norm, number, per_stream_rate
from desktop.importers.records import Cell, Record

# ---- Constants

_TIME_UNITS = {"ms": 1.0, "millisecond": 1.0, "milliseconds": 1.0, "s": 1000.0, "sec": 1000.0,
               "second": 1000.0, "seconds": 1000.0, "us": 0.001, "µs": 0.001, "ns": 1e-6}


# ---- Public API

def read_llmperf(data: dict[str, Any], notes: list[str]) -> list[Record]:
    flat = flatten(data)

    def get(*keys: str) -> Found | None:
        for key in keys:
            found = flat.get(norm(key))
            if found is not None and found.value is not None:
                return found
        return None

    record = Record(row=1)
    cells = record.cells
    for field, keys, factor in (
            ("model", ("model",), 1.0),
            ("inputTokens", ("results_number_input_tokens_mean",), 1.0),
            ("outputTokens", ("results_number_output_tokens_mean",), 1.0),
            ("concurrency", ("num_concurrent_requests",), 1.0),
            ("ttftMs", ("results_ttft_s_quantiles_p50",), 1000.0),
            ("latencyP50Ms", ("results_end_to_end_latency_s_quantiles_p50",), 1000.0),
            ("latencyP95Ms", ("results_end_to_end_latency_s_quantiles_p95",), 1000.0),
            ("latencyP99Ms", ("results_end_to_end_latency_s_quantiles_p99",), 1000.0),
            ("outputTokensPerSecondAggregate", ("results_mean_output_throughput_token_per_s",), 1.0)):
        found = get(*keys)
        if found:
            cells[field] = found.cell(factor)
        elif field not in ("model", "concurrency", "latencyP99Ms"):
            cells[field] = Cell(None, keys[0])
            _once(notes, f"{field} not measured: the llmperf summary has no '{keys[0]}'; left empty")
    per_stream = per_stream_rate(get("results_inter_token_latency_s_mean"), notes, to_ms=1000.0)
    cells["outputTokensPerSecond"] = per_stream or Cell(None, "results_inter_token_latency_s_mean")
    if per_stream is None:
        _once(notes, "outputTokensPerSecond not measured: the llmperf summary has no "
                     "'results_inter_token_latency_s_mean'; left empty")
    for key, name in (("results_num_completed_requests", "completedRequests"),
                      ("results_number_errors", "failedRequests"), ("results_error_rate", "errorRate"),
                      ("name", "run"), ("version", "toolVersion")):
        found = get(key)
        if found is not None and not isinstance(found.value, (dict, list)):
            record.extras[name] = found.value
    return [record]


def read_genai_perf(data: dict[str, Any], notes: list[str], tool: str) -> list[Record]:
    """GenAI-Perf *_genai_perf.json and AIPerf profile_export_aiperf.json (AIPerf mirrors GenAI-Perf)."""
    doc = Keyed(data)
    metrics = doc.obj("records") or doc.obj("metrics") or doc
    if metrics is not doc and metrics.obj("request_latency") is None:
        metrics = doc
    record = Record(row=1)
    cells = record.cells
    for field, metric, stat in (
            ("inputTokens", "input_sequence_length", "avg"), ("outputTokens", "output_sequence_length", "avg"),
            ("ttftMs", "time_to_first_token", "p50"), ("latencyP50Ms", "request_latency", "p50"),
            ("latencyP95Ms", "request_latency", "p95"), ("latencyP99Ms", "request_latency", "p99"),
            ("outputTokensPerSecondAggregate", "output_token_throughput", "avg")):
        found = _metric(metrics, metric, stat)
        if found:
            cells[field] = found
        elif field != "latencyP99Ms":
            cells[field] = Cell(None, f"{metric}.{stat}")
            _once(notes, f"{field} not measured: {tool} file has no {metric}.{stat}; left empty")
    itl = metrics.obj("inter_token_latency")
    per_stream = per_stream_rate(itl.get("avg") if itl else None, notes,
                                 to_ms=_TIME_UNITS.get(str(itl.get("unit").value if itl and itl.get("unit")
                                                           else "ms").strip().casefold(), 1.0))
    cells["outputTokensPerSecond"] = per_stream or Cell(None, "inter_token_latency.avg")
    if per_stream is None:
        _once(notes, f"outputTokensPerSecond not measured: {tool} file has no inter_token_latency.avg; left empty")
    config = doc.obj("input_config")
    concurrency = None
    if config:
        concurrency = (config.at("perf_analyzer", "stimulus", "concurrency") or config.at("loadgen", "concurrency")
                       or _profiling_phase(config, "concurrency") or config.find("concurrency"))
    if concurrency:
        cells["concurrency"] = concurrency.cell()
    model = _model(config)
    if model:
        cells["model"] = model
    for metric, name in (("request_throughput", "requestsPerSecond"), ("request_count", "requestCount"),
                         ("error_request_count", "failedRequests")):
        found = _metric(metrics, metric, "avg")
        if found:
            record.extras[name] = found.raw
    return [record]


def read_inference_perf(data: dict[str, Any], notes: list[str]) -> list[Record]:
    """inference-perf summary_lifecycle_metrics.json; times are in seconds."""
    doc = Keyed(data)
    successes = doc.obj("successes") or doc
    latency = successes.obj("latency") or successes
    record = Record(row=1)
    cells = record.cells
    for field, metric, stat, factor in (
            ("ttftMs", "time_to_first_token", "median", 1000.0),
            ("latencyP50Ms", "request_latency", "median", 1000.0),
            ("latencyP95Ms", "request_latency", "p95", 1000.0),
            ("latencyP99Ms", "request_latency", "p99", 1000.0)):
        found = latency.at(metric, stat)
        if found:
            cells[field] = found.cell(factor)
        elif field != "latencyP99Ms":
            cells[field] = Cell(None, f"{metric}.{stat}")
            _once(notes, f"{field} not measured: the inference-perf summary has no {metric}.{stat}")
    # 0.7 writes the server's counts (prompt_tokens, output_tokens) beside the client's re-count of the
    # response text (output_len); the server's count is what is billed, so it wins where present.
    for field, paths in (("inputTokens", (("prompt_tokens", "mean"), ("prompt_len", "mean"))),
                         ("outputTokens", (("output_tokens", "mean"), ("output_len", "mean")))):
        found = next((f for f in (successes.at(*path) for path in paths) if f is not None), None)
        if found:
            cells[field] = found.cell()
            if found.path.endswith("output_len.mean"):
                _once(notes, "outputTokens is the client's re-count of the response text (output_len): this "
                             "inference-perf version records no server count")
    per_stream = per_stream_rate(latency.at("time_per_output_token", "mean"), notes, to_ms=1000.0)
    if per_stream is not None:
        cells["outputTokensPerSecond"] = per_stream
    aggregate = successes.at("throughput", "output_tokens_per_sec")
    if aggregate:
        cells["outputTokensPerSecondAggregate"] = aggregate.cell()
    cached, total = successes.at("prompt_tokens", "cached"), successes.at("prompt_tokens", "total")
    if number(cached) and number(total):
        cells["cacheHitRate"] = Cell(number(cached) / number(total), f"{cached.path} / {total.path}")
    elif cached is not None:
        # inference-perf writes 0 when the server's usage has no cached-token count: 0 is not a measurement.
        _once(notes, "cacheHitRate not observed: inference-perf records 0 cached tokens, which it also writes "
                     "when the server reports no cache counts")
    load = doc.obj("load_summary")
    concurrency = (load.get("concurrency", "concurrency_level", "num_workers") if load else None)
    if concurrency:
        cells["concurrency"] = concurrency.cell()
    else:
        _once(notes, "inference-perf: a rate-based run records no concurrency; give it with "
                     "--set concurrency=N")
    model = doc.find("model", "model_name")
    if model:
        cells["model"] = model.cell()
    for path, name in ((("load_summary", "requested_rate"), "requestRate"),
                       (("load_summary", "achieved_rate"), "achievedRate"),
                       (("successes", "count"), "completedRequests"), (("failures", "count"), "failedRequests")):
        found = doc.at(*path)
        if found is not None:
            record.extras[name] = found.value
    return [record]


def aiperf_run_settings(data: dict[str, Any]) -> dict[str, Any]:
    """Model and configured concurrency from an AIPerf/GenAI-Perf summary's input_config (where recorded)."""
    config = Keyed(data).obj("input_config")
    if config is None:
        return {}
    settings: dict[str, Any] = {}
    concurrency = (config.at("perf_analyzer", "stimulus", "concurrency") or config.at("loadgen", "concurrency")
                   or _profiling_phase(config, "concurrency") or config.find("concurrency"))
    if concurrency is not None and number(concurrency) is not None:
        settings["concurrency"] = number(concurrency)
    model = _model(config)
    if model is not None and isinstance(model.value, str) and model.value:
        settings["model"] = model.value
    return settings


# ---- Private API

def _metric(metrics: Keyed, name: str, stat: str) -> Cell | None:
    block = metrics.obj(name)
    if block is None:
        return None
    found = block.get(stat)
    if found is None:
        return None
    unit = block.get("unit")
    factor = 1.0
    if unit and isinstance(unit.value, str):
        factor = _TIME_UNITS.get(unit.value.strip().casefold(), 1.0)
    return found.cell(factor)


def _profiling_phase(config: Keyed, name: str) -> Found | None:
    """AIPerf 0.13 keeps the load in input_config.phases[] (warm-up and profiling phases); the profiling
    phase's value is the run's."""
    phases = config.get("phases")
    if phases is None or not isinstance(phases.value, list):
        return None
    for index, phase in enumerate(phases.value):
        keyed = Keyed.of(phase, f"{phases.path}[{index}]")
        if keyed is None:
            continue
        kind = keyed.get("kind", "name")
        if kind is None or str(kind.value).casefold() == "profiling":
            found = keyed.get(name)
            if found is not None:
                return found
    return None


def _model(config: Keyed | None) -> Cell | None:
    if config is None:
        return None
    found = (config.at("endpoint", "model_names") or config.get("model", "model_names")
             or _model_items(config) or config.find("model_names", "model", "model_name"))
    if found is None:
        return None
    value = found.value
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value) if value else None
    return Cell(value, found.path, found.value)


def _model_items(config: Keyed) -> Found | None:
    """AIPerf 0.13: input_config.models.items[].name."""
    items = config.at("models", "items")
    if items is None or not isinstance(items.value, list):
        return None
    names = [item.get("name") for item in items.value if isinstance(item, dict) and item.get("name")]
    return Found(names, f"{items.path}[].name") if names else None


def _once(notes: list[str], text: str) -> None:
    if text not in notes:
        notes.append(text)
