"""Synthetic inputs for the import benchmarks, generated once and cached under the temp folder."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

from desktop.domain.trace import FIELD_NAMES

CACHE = Path(os.environ.get("IPW_PERF_CACHE", Path(tempfile.gettempdir()) / "ipw-perf"))
ROUTES = np.array(["Managed frontier API", "Hosted open-weight serverless", "Dedicated endpoint",
                   "Self-hosted GPU stack"])


def trace_frame(rows: int, seed: int = 1) -> pl.DataFrame:
    """Trace-kit rows: 4 strings, 3 whole numbers, 8 decimals and a true/false column (stack-check.md)."""
    rng = np.random.default_rng(seed)
    return pl.DataFrame({
        "route": ROUTES[rng.integers(0, 4, rows)],
        "provider": np.array(["OpenAI", "Together AI", "Fireworks"])[rng.integers(0, 3, rows)],
        "model": np.array([f"model-{i}" for i in range(50)])[rng.integers(0, 50, rows)],
        "workload": np.array([f"workload-{i}" for i in range(7)])[rng.integers(0, 7, rows)],
        "inputTokens": rng.integers(100, 9000, rows),
        "outputTokens": rng.integers(10, 3000, rows),
        "cacheHitRate": np.round(rng.random(rows), 3),
        "batchEligible": np.where(rng.random(rows) < 0.5, "true", "false"),
        "concurrency": rng.choice([1, 2, 4, 8, 16, 32], rows),
        "ttftMs": np.round(rng.uniform(100, 3000, rows), 1),
        "latencyP50Ms": np.round(rng.uniform(1000, 20000, rows), 1),
        "latencyP95Ms": np.round(rng.uniform(2000, 40000, rows), 1),
        "outputTokensPerSecond": np.round(rng.uniform(10, 200, rows), 2),
        "acceptedOutputRate": np.round(rng.random(rows), 3),
        "costUsd": np.round(rng.uniform(0.001, 0.5, rows), 4),
        "reviewMinutes": np.round(rng.uniform(0, 10, rows), 2),
    }).select(FIELD_NAMES)


def trace_csv(rows: int) -> Path:
    path = CACHE / f"trace_{rows}.csv"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        trace_frame(rows).write_csv(path)
    return path


def trace_xlsx(rows: int) -> Path:
    """Typed cells, as Excel writes them; xlsxwriter when installed (polars uses it), else openpyxl."""
    path = CACHE / f"trace_{rows}.xlsx"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    frame = trace_frame(rows).with_columns(pl.col("batchEligible") == "true")
    try:
        import xlsxwriter  # noqa: F401
        frame.write_excel(path, worksheet="Traces", autofit=False)
    except ImportError:
        from openpyxl import Workbook
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Traces")
        sheet.append(list(FIELD_NAMES))
        for values in frame.iter_rows():
            sheet.append(list(values))
        workbook.save(path)
    return path


def request_log_csv(rows: int, seed: int = 2) -> Path:
    """One row per request; about 2% failed, a few hundred (route, provider, model, workload, concurrency)."""
    path = CACHE / f"requests_{rows}.csv"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    pl.DataFrame({
        "request_id": np.arange(rows),
        "route": ROUTES[rng.integers(0, 4, rows)],
        "provider": np.array(["OpenAI", "Together AI", "Fireworks"])[rng.integers(0, 3, rows)],
        "model": np.array([f"model-{i}" for i in range(5)])[rng.integers(0, 5, rows)],
        "workload": np.array(["support", "invoice", "coding"])[rng.integers(0, 3, rows)],
        "concurrency": rng.choice([1, 4, 16, 32], rows),
        "latency_ms": np.round(rng.gamma(2, 3000, rows), 1),
        "ttft_ms": np.round(rng.gamma(2, 300, rows), 1),
        "input_tokens": rng.integers(100, 8000, rows),
        "output_tokens": rng.integers(10, 2000, rows),
        "cached_tokens": rng.integers(0, 100, rows),
        "cost_usd": np.round(rng.random(rows) * 0.1, 5),
        "accepted": np.where(rng.random(rows) < 0.8, "true", "false"),
        "error": np.where(rng.random(rows) < 0.02, "timeout", ""),
    }).write_csv(path)
    return path
