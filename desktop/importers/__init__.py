"""Trace import: spreadsheets, benchmark result files and request logs, parsed and validated, never written.

Public API (names load on first use, so importing the package stays cheap for the GUI's start-up):
    parse_source(path, *, format, sheet, set_values, decimal_comma, progress, route_aliases, limits)
    list_sheets(path, *, limits)
    ParsedSource, Problem, ImportFailed, Limits, FORMATS, OUTPUT_COLUMNS
    write_csv_template(path), write_xlsx_template(path), write_schema(path), write_runbook(path)
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "parse_source": "desktop.importers.api",
    "list_sheets": "desktop.importers.api",
    "FORMATS": "desktop.importers.api",
    "ParsedSource": "desktop.importers.result",
    "Problem": "desktop.importers.result",
    "ImportFailed": "desktop.importers.result",
    "OUTPUT_COLUMNS": "desktop.importers.result",
    "Limits": "desktop.importers.preflight",
    "write_csv_template": "desktop.importers.templates",
    "write_xlsx_template": "desktop.importers.templates",
    "write_schema": "desktop.importers.templates",
    "write_runbook": "desktop.importers.templates",
    "trace_row_schema": "desktop.importers.templates",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'desktop.importers' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
