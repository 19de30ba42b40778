"""Shared helpers for importer tests: fixture paths, file writers and trace-kit rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.domain.trace import FIELD_NAMES

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "importers"

# The playbook's first example row, as text, in the trace kit's column order.
BASE_ROW = {
    "route": "Managed frontier API", "provider": "OpenAI", "model": "frontier-reasoning-model-id",
    "workload": "coding-agent-maintenance", "inputTokens": "6200", "outputTokens": "1200", "cacheHitRate": "0.35",
    "batchEligible": "false", "concurrency": "4", "ttftMs": "1900", "latencyP50Ms": "14800",
    "latencyP95Ms": "28200", "outputTokensPerSecond": "48", "acceptedOutputRate": "0.84", "costUsd": "0.215",
    "reviewMinutes": "3.5",
}
BASE_TUPLE = ("Managed frontier API", "OpenAI", "frontier-reasoning-model-id", "coding-agent-maintenance",
              6200.0, 1200.0, 0.35, False, 4.0, 1900.0, 14800.0, 28200.0, 48.0, 0.84, 0.215, 3.5)


def kit_csv(rows: list[dict[str, str]], *, columns: list[str] | None = None, sep: str = ",",
            above: str = "") -> str:
    """A trace-kit CSV: `columns` (default the sixteen) and rows given as {column: text}."""
    columns = columns or list(FIELD_NAMES)
    lines = [sep.join(columns)]
    for row in rows:
        lines.append(sep.join(row.get(c, "") for c in columns))
    return above + "\n".join(lines) + "\n"


def row(**changes: str) -> dict[str, str]:
    return {**BASE_ROW, **changes}


@pytest.fixture
def fixture() -> callable:
    return lambda name: FIXTURES / name


@pytest.fixture
def write(tmp_path: Path):
    def _write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path
    return _write
