"""Benchmark result files: which tool wrote a JSON document (from its keys, not its name) and its rows."""

from __future__ import annotations

import json
from typing import Any

from desktop.importers.benchmarks.guidellm import read_guidellm
from desktop.importers.benchmarks.keys import Keyed, flatten
from desktop.importers.benchmarks.serving import read_sglang, read_vllm
from desktop.importers.benchmarks.summaries import read_genai_perf, read_inference_perf, read_llmperf
from desktop.importers.records import Record
from desktop.importers.result import ImportFailed, Problem

# ---- Constants

BENCHMARK_FORMATS = ("vllm", "llmperf", "sglang", "genai-perf", "aiperf", "guidellm", "inference-perf")
TOOL_NAMES = {"vllm": "vLLM bench serve", "llmperf": "llmperf", "sglang": "SGLang bench_serving",
              "genai-perf": "GenAI-Perf", "aiperf": "AIPerf", "guidellm": "GuideLLM",
              "inference-perf": "inference-perf"}
_GENAI_METRICS = ("request_latency", "time_to_first_token", "output_sequence_length", "input_sequence_length")


# ---- Public API

def load_json(text: str, source: str) -> tuple[list[tuple[int, Any]], list[Problem], bool]:
    """(row, parsed) pairs, problems for unreadable lines, and whether the file is JSON Lines.

    A single document is row 1. JSON Lines (SGLang, vLLM --append-result, request logs) are numbered by
    line; a broken line is a problem for that line, not the end of the import. NaN and a bare Infinity are
    accepted here (SGLang writes them) and judged later by the field rules.
    """
    try:
        return [(1, json.loads(text))], [], False
    except json.JSONDecodeError as error:
        first_error = error
    objects, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            objects.append((number, json.loads(line)))
        except json.JSONDecodeError as error:
            problems.append(Problem(source, number, "(line)", line[:80], f"not valid JSON: {error.msg}"))
    if not objects:
        raise ImportFailed(f"{source} is not valid JSON: {first_error.msg} at line {first_error.lineno}")
    return objects, problems, True


def detect(document: Any) -> str | None:
    """The benchmark tool that wrote this object, or None."""
    if not isinstance(document, dict):
        return None
    doc = Keyed(document)
    keys = doc.keys()
    benchmarks = doc.get("benchmarks")
    if benchmarks and isinstance(benchmarks.value, list):
        return "guidellm"
    if "loadsummary" in keys or {"successes", "failures"} <= keys:
        return "inference-perf"
    if _genai_like(doc) or _genai_like(doc.obj("records")):
        return "aiperf" if _aiperf_like(doc) else "genai-perf"
    flat = set(flatten(document))
    if "numconcurrentrequests" in flat or any(k.startswith("results") and "ttfts" in k for k in flat):
        return "llmperf"
    if keys & {"mediane2elatencyms", "meane2elatencyms", "totalinput", "acceptlength",
               "outputthroughputretokenized", "totaloutputretokenized"}:
        return "sglang"
    if keys & {"medianttftms", "meanttftms"} and keys & {"modelid", "tokenizerid", "endpointtype",
                                                          "mediane2elms", "totalinputtokens"}:
        return "vllm"
    return None


def read(fmt: str, objects: list[tuple[int, Any]], notes: list[str], source: str) -> list[Record]:
    dicts = [(row, obj) for row, obj in objects if isinstance(obj, dict)]
    if not dicts:
        raise ImportFailed(f"{source} holds no JSON object to read as a {TOOL_NAMES[fmt]} result")
    if fmt == "vllm":
        return read_vllm(dicts, notes)
    if fmt == "sglang":
        return read_sglang(dicts, notes)
    records = []
    for row, data in dicts:
        if fmt == "llmperf":
            found = read_llmperf(data, notes)
        elif fmt in ("genai-perf", "aiperf"):
            found = read_genai_perf(data, notes, TOOL_NAMES[fmt])
        elif fmt == "guidellm":
            found = read_guidellm(data, notes)
        else:
            found = read_inference_perf(data, notes)
        if len(dicts) > 1:  # several documents as JSON Lines: number rows by line
            for record in found:
                record.row = row
        records += found
    return records


# ---- Private API

def _genai_like(doc: Keyed | None) -> bool:
    if doc is None:
        return False
    for name in _GENAI_METRICS:
        block = doc.obj(name)
        if block is not None and ({"avg", "unit"} & block.keys()):
            return True
    return False


def _aiperf_like(doc: Keyed) -> bool:
    keys = doc.keys()
    if keys & {"wascancelled", "errorsummary", "benchmarkduration", "records"}:
        return True
    config = doc.obj("input_config")
    return bool(config and "loadgen" in config.keys())
