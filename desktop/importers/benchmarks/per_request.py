"""Per-request files of benchmark tools, turned into request-log columns and aggregated by the request-log path.

AIPerf's `profile_export.jsonl` (one object per request: `metadata`, `metrics.<name>.{value, unit}`) and
inference-perf's `per_request_lifecycle_metrics.json` (a list: `computed_metrics` in seconds, `info` with the
client's and the server's token counts; 0.6 writes no `computed_metrics`, only the request's `start_time`,
`end_time` and output token times) hold one request per row but under the tool's own names, several of
which mean the same thing (three input-token counts in inference-perf). Each is mapped here to exactly one
column per request field, so the request-log aggregation (one SQL-like pass: p50/p95 by linear
interpolation) computes the trace row the same way as for any request log.

Neither file records the model or the configured concurrency per request. Both tools write them beside the
per-request file (AIPerf `profile_export_aiperf.json`, inference-perf `stage_0_lifecycle_metrics.json` and
`config.yaml`); when that file is there, the values are taken from it and the notes say so; otherwise they
are asked for, as for any request log.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import polars as pl

from desktop.importers.benchmarks.keys import Keyed
from desktop.importers.request_log import flatten_structs

# ---- Constants

PER_REQUEST_TOOLS = {"aiperf": "AIPerf profile_export.jsonl", "inference-perf": "inference-perf per-request file"}
_SIBLING_BYTES = 16 * 1024 * 1024
_TIME_TO_MS = {"ms": 1.0, "s": 1000.0, "sec": 1000.0, "us": 1e-3, "ns": 1e-6}


# ---- Public API

def detect_per_request(document: Any) -> str | None:
    """'aiperf' or 'inference-perf' when the (first) record is one of their per-request records."""
    sample = document[0] if isinstance(document, list) and document else document
    if not isinstance(sample, dict):
        return None
    metrics = sample.get("metrics")
    if isinstance(sample.get("metadata"), dict) and isinstance(metrics, dict) and any(
            isinstance(v, dict) and "value" in v for v in metrics.values()):
        return "aiperf"
    info = sample.get("info")
    if isinstance(info, dict) and (isinstance(sample.get("computed_metrics"), dict) or (
            isinstance(info.get("response_metrics"), dict) and "start_time" in sample and "end_time" in sample)):
        return "inference-perf"
    return None


def why_not_per_request(document: Any) -> str | None:
    """Why a per-request file the app recognises cannot be imported, or None. perf_analyzer's raw export
    (GenAI-Perf's profile_export.json) holds request and response timestamps but no token counts: GenAI-Perf
    counts tokens with the tokenizer when it writes its summary, and guessing them from the streamed chunks
    would be a different measurement."""
    experiments = document.get("experiments") if isinstance(document, dict) else None
    if isinstance(experiments, list) and experiments and isinstance(experiments[0], dict) \
            and isinstance(experiments[0].get("requests"), list):
        return ("perf_analyzer's raw export (GenAI-Perf's profile_export.json): it records request and response "
                "times but no token counts, which GenAI-Perf works out with the tokenizer for its summary; import "
                "the profile_export_genai_perf.json (or .csv) written beside it instead")
    return None


def request_columns(tool: str, frame: pl.DataFrame, source_path: Path | None,
                    notes: list[str]) -> tuple[pl.DataFrame, dict[str, Any]]:
    """(the records as request-log columns, values read from the tool's files beside this one)."""
    if tool == "aiperf":
        columns = _aiperf(frame, notes)
        found = _aiperf_beside(source_path)
    else:
        columns = _inference_perf(frame, notes)
        found = _inference_perf_beside(source_path)
    for name, (value, where) in found.items():
        notes.append(f"{name} = {value!r}, read from {where} beside the per-request file (the per-request "
                     f"records do not hold it)")
    return columns, {name: value for name, (value, _) in found.items()}


# ---- Private API

def _column(frame: pl.DataFrame, name: str) -> pl.Expr | None:
    return pl.col(name) if name in frame.columns else None


def _aiperf(frame: pl.DataFrame, notes: list[str]) -> pl.DataFrame:
    flat = flatten_structs(frame)
    selected: dict[str, pl.Expr] = {}
    for target, metric in (("latency_ms", "request_latency"), ("ttft_ms", "time_to_first_token"),
                           ("input_tokens", "input_sequence_length"),
                           ("output_tokens", "output_sequence_length")):
        value = _column(flat, f"metrics.{metric}.value")
        if value is None:
            continue
        if target.endswith("_ms"):
            unit = flat.get_column(f"metrics.{metric}.unit").drop_nulls().unique().to_list() \
                if f"metrics.{metric}.unit" in flat.columns else ["ms"]
            factor = _TIME_TO_MS.get(str(unit[0]).casefold(), 1.0) if len(unit) == 1 else 1.0
            value = value * factor
        selected[target] = value.cast(pl.Float64)
    errors = [c for c in flat.columns if c == "error" or c.startswith("error.")]
    if errors:
        selected["error"] = pl.concat_str([pl.col(c).cast(pl.String) for c in errors], separator=" ",
                                          ignore_nulls=True)
    if "metadata.was_cancelled" in flat.columns:
        selected["success"] = ~pl.col("metadata.was_cancelled").cast(pl.Boolean).fill_null(False)
    notes.append("AIPerf per-request records: request_latency, time_to_first_token, input_sequence_length "
                 "and output_sequence_length (client token counts) read as latency, TTFT, input and output "
                 "tokens; cancelled requests count as failed")
    return flat.select([expr.alias(name) for name, expr in selected.items()])


def _inference_perf(frame: pl.DataFrame, notes: list[str]) -> pl.DataFrame:
    flat = flatten_structs(frame)

    def first(*names: str) -> pl.Expr | None:
        present = [pl.col(n).cast(pl.Float64) for n in names if n in flat.columns]
        return pl.coalesce(present) if present else None

    started = first("start_time")
    # 0.6 writes no computed_metrics: latency and TTFT as inference-perf itself computes them from the times
    # it records (end - start; first output token - start), in seconds like computed_metrics.
    elapsed = first("end_time") - started if started is not None and "end_time" in flat.columns else None
    token_times = "info.response_metrics.output_token_times"
    to_first = (pl.col(token_times).list.first().cast(pl.Float64) - started
                if started is not None and token_times in flat.columns else None)
    selected = {
        "latency_ms": _coalesce(first("computed_metrics.request_latency"), elapsed),
        "ttft_ms": _coalesce(first("computed_metrics.time_to_first_token"), to_first),
        # The server's usage counts are what is billed; the client's counts fill in where the server gave none.
        "input_tokens": first("info.response_metrics.server_usage.prompt_tokens", "info.input_tokens",
                              "computed_metrics.input_tokens"),
        "output_tokens": first("info.response_metrics.server_usage.completion_tokens",
                               "info.response_metrics.output_tokens", "computed_metrics.output_tokens"),
    }
    for name in ("latency_ms", "ttft_ms"):
        if selected[name] is not None:
            selected[name] = selected[name] * 1000.0
    if "info.response_metrics.server_usage.prompt_tokens_details.cached_tokens" in flat.columns:
        selected["cached_tokens"] = first("info.response_metrics.server_usage.prompt_tokens_details.cached_tokens")
    errors = [c for c in flat.columns if c == "error" or c.startswith("error.")]
    if errors:
        selected["error"] = pl.concat_str([pl.col(c).cast(pl.String) for c in errors], separator=" ",
                                          ignore_nulls=True)
    if "computed_metrics.request_latency" in flat.columns:
        notes.append("inference-perf per-request records: computed_metrics.request_latency and "
                     "time_to_first_token (seconds) read as latency and TTFT; input and output tokens are the "
                     "server's usage counts, the client's counts where the server gave none")
    else:
        notes.append("inference-perf per-request records without computed_metrics (0.6 layout): latency = "
                     "end_time - start_time and TTFT = first output token time - start_time, as inference-perf "
                     "computes them; input and output tokens are the server's usage counts, the client's "
                     "counts where the server gave none")
    return flat.select([expr.alias(name) for name, expr in selected.items() if expr is not None])


def _coalesce(*exprs: pl.Expr | None) -> pl.Expr | None:
    present = [expr for expr in exprs if expr is not None]
    return pl.coalesce(present) if present else None


def _read_json_beside(path: Path | None, name: str) -> Any:
    if path is None:
        return None
    sibling = path.with_name(name)
    try:
        if not sibling.is_file() or sibling.stat().st_size > _SIBLING_BYTES:
            return None
        return json.loads(sibling.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def aiperf_settings_beside(path: Path | None) -> dict[str, tuple[Any, str]]:
    """Model and concurrency, each with the file it was read from: the JSON summary beside `path` (a CSV
    export's own JSON, e.g. profile_export_genai_perf.json beside profile_export_genai_perf.csv, else AIPerf's
    profile_export_aiperf.json), where it is there."""
    if path is not None and path.suffix.casefold() == ".csv":
        found = _aiperf_beside(path, path.with_suffix(".json").name)
        if found:
            return found
    return _aiperf_beside(path)


def _aiperf_beside(path: Path | None, name: str = "profile_export_aiperf.json") -> dict[str, tuple[Any, str]]:
    from desktop.importers.benchmarks.summaries import aiperf_run_settings
    document = _read_json_beside(path, name)
    if not isinstance(document, dict):
        return {}
    return {setting: (value, name) for setting, value in aiperf_run_settings(document).items()}


def _inference_perf_beside(path: Path | None) -> dict[str, tuple[Any, str]]:
    found: dict[str, tuple[Any, str]] = {}
    stage = _read_json_beside(path, "stage_0_lifecycle_metrics.json")
    stage_1 = path.with_name("stage_1_lifecycle_metrics.json") if path is not None else None
    if isinstance(stage, dict) and not (stage_1 and stage_1.exists()):  # one stage: its concurrency is the run's
        concurrency = Keyed(stage).at("load_summary", "concurrency")
        if concurrency is not None and isinstance(concurrency.value, (int, float)):
            found["concurrency"] = (concurrency.value, "stage_0_lifecycle_metrics.json")
    model = _yaml_value(path, "config.yaml", "server", "model_name")
    if model:
        found["model"] = (model, "config.yaml")
    return found


def _yaml_value(path: Path | None, name: str, section: str, key: str) -> str | None:
    """One scalar from a top-level section of the YAML inference-perf writes (`server:` / `  model_name: x`);
    no YAML library is needed for that one line."""
    if path is None:
        return None
    sibling = path.with_name(name)
    try:
        if not sibling.is_file() or sibling.stat().st_size > _SIBLING_BYTES:
            return None
        text = sibling.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    inside = False
    for line in text.splitlines():
        if re.match(r"^\S", line):
            inside = line.rstrip() == f"{section}:"
            continue
        match = re.match(rf"^\s+{re.escape(key)}:\s*(.+?)\s*$", line) if inside else None
        if match and match.group(1) not in ("null", "~", "''", '""'):
            return match.group(1).strip("'\"")
    return None
