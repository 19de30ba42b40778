"""The trace kit's artifacts for engineering teams: CSV and XLSX templates, the JSON Schema, the runbook.

Everything is derived from the trace-row definition (desktop.domain.trace) and the playbook's field
descriptions and example rows, so a template cannot disagree with the importer: a filled-in template
imports without any mapping (tests/importers/test_templates.py holds that).
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

from desktop.domain.trace import FIELD_NAMES, KNOWN_EXTRA_FIELDS, TRACE_FIELDS, Kind, TraceField, check_value

# ---- Constants

TEMPLATE_SHEET = "Traces"
HELP_SHEET = "Help"
VALIDATED_ROWS = 5000  # rows below the header that carry data validation in the XLSX template
RUNBOOK_RESOURCE = "trace_runbook.md"


# ---- Public API

def write_csv_template(path: Path | str) -> Path:
    """The sixteen headers and the playbook's example rows (UTF-8, comma-separated)."""
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(FIELD_NAMES)
        for row in _example_rows():
            writer.writerow([_csv_text(row[name]) for name in FIELD_NAMES])
    return path


def write_xlsx_template(path: Path | str) -> Path:
    """A 'Traces' sheet with the example rows and data validation, and a 'Help' sheet per field."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    path = Path(path)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = TEMPLATE_SHEET
    sheet.append(list(FIELD_NAMES))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in _example_rows():
        sheet.append([row[name] for name in FIELD_NAMES])
    sheet.freeze_panes = "A2"
    for index, name in enumerate(FIELD_NAMES, start=1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = max(14, len(name) + 4)
    _add_validation(sheet)
    help_sheet = workbook.create_sheet(HELP_SHEET)
    help_sheet.append(["Field", "Required", "Type", "Unit", "Rule", "Default", "Description"])
    for cell in help_sheet[1]:
        cell.font = Font(bold=True)
    for row in help_rows():
        help_sheet.append(row)
    for letter, width in zip("ABCDEFG", (26, 10, 10, 22, 34, 10, 80), strict=True):
        help_sheet.column_dimensions[letter].width = width
    for row in help_sheet.iter_rows(min_row=2):
        row[6].alignment = Alignment(wrap_text=True, vertical="top")
    workbook.save(path)
    return path


def trace_row_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of one trace row; extra fields are allowed and the known ones typed."""
    from desktop.resources import playbook
    book = playbook()
    descriptions = {f.name: f.description for f in book.trace_fields}
    properties = {spec.name: _schema_property(spec, descriptions.get(spec.name), book.trace_route_names())
                  for spec in (*TRACE_FIELDS, *KNOWN_EXTRA_FIELDS.values())}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:inference-procurement-workbook:trace-row",
        "title": "Trace row",
        "description": book.trace_kit_purpose,
        "type": "object",
        "properties": properties,
        "required": [spec.name for spec in TRACE_FIELDS if spec.required],
        "additionalProperties": True,
    }


def write_schema(path: Path | str) -> Path:
    path = Path(path)
    path.write_text(json.dumps(trace_row_schema(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def write_runbook(path: Path | str) -> Path:
    """The Markdown runbook telling an engineering team how to collect each field."""
    from desktop import paths
    path = Path(path)
    shutil.copyfile(paths.resource(RUNBOOK_RESOURCE), path)
    return path


def help_rows() -> list[list[Any]]:
    """One row per trace field for the XLSX Help sheet: field, required, type, unit, rule, default, text."""
    from desktop.resources import playbook
    descriptions = {f.name: f.description for f in playbook().trace_fields}
    rows = []
    for spec in TRACE_FIELDS:
        default = "" if spec.default is None else _csv_text(spec.default)
        rows.append([spec.name, "yes" if spec.required else "no", spec.kind.value, spec.unit or "",
                     _rule(spec), default, descriptions.get(spec.name, "")])
    return rows


# ---- Private API

def _example_rows() -> list[dict[str, Any]]:
    """The playbook's template rows as typed values (numbers as numbers, booleans as booleans)."""
    from desktop.resources import playbook
    book = playbook()
    aliases = book.trace_route_aliases()
    rows = []
    for raw in book.template_rows:
        rows.append({spec.name: check_value(spec, raw.get(spec.name), aliases) for spec in TRACE_FIELDS})
    for row in rows:
        for spec in TRACE_FIELDS:
            value = row[spec.name]
            if spec.kind is Kind.NUMBER and isinstance(value, float) and value.is_integer():
                row[spec.name] = int(value)
    return rows


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _rule(spec: TraceField) -> str:
    if spec.kind is Kind.ROUTE:
        return "one of the four trace routes (list)"
    if spec.kind is Kind.BOOLEAN:
        return "true/false (also yes/no, 1/0)"
    if spec.kind is Kind.RATE:
        return "share from 0 to 1 (35% is read as 0.35)"
    if spec.kind is Kind.TEXT:
        return "text"
    if spec.whole:
        return f"whole number, at least {spec.minimum:g}"
    return "number, not negative" if spec.minimum == 0 else "number"


def _schema_property(spec: TraceField, description: str | None, routes: tuple[str, ...]) -> dict[str, Any]:
    if spec.kind is Kind.ROUTE:
        prop: dict[str, Any] = {"type": "string", "enum": list(routes)}
    elif spec.kind is Kind.TEXT:
        prop = {"type": "string", "minLength": 1}
    elif spec.kind is Kind.BOOLEAN:
        prop = {"type": "boolean"}
    else:
        prop = {"type": "integer" if spec.whole else "number"}
        if spec.kind is Kind.RATE:
            prop.update(minimum=0, maximum=1)
        elif spec.minimum is not None:
            prop["minimum"] = int(spec.minimum) if float(spec.minimum).is_integer() else spec.minimum
    if spec.nullable:
        prop["type"] = [prop["type"], "null"]
        if "enum" in prop:
            prop["enum"] = [*prop["enum"], None]
    if spec.default is not None:
        prop["default"] = spec.default
    text = description or ("Extra field: " + spec.name)
    prop["description"] = f"{text} Unit: {spec.unit}." if spec.unit else text
    if spec.unit:
        prop["x-unit"] = spec.unit
    return prop


def _add_validation(sheet: Any) -> None:
    from desktop.resources import playbook
    last = VALIDATED_ROWS + 1
    routes = ",".join(playbook().trace_route_names())
    for index, spec in enumerate(TRACE_FIELDS, start=1):
        letter = sheet.cell(1, index).column_letter
        rule = _validation(spec, routes)
        if rule is None:
            continue
        rule.add(f"{letter}2:{letter}{last}")
        sheet.add_data_validation(rule)


def _validation(spec: TraceField, routes: str):
    from openpyxl.worksheet.datavalidation import DataValidation

    common = dict(allow_blank=not spec.required, showErrorMessage=True, errorTitle=spec.name)
    if spec.kind is Kind.ROUTE:
        return DataValidation(type="list", formula1=f'"{routes}"', error="Pick one of the four trace routes.",
                              **common)
    if spec.kind is Kind.BOOLEAN:
        return DataValidation(type="list", formula1='"TRUE,FALSE"', error="TRUE or FALSE.", **common)
    if spec.kind is Kind.RATE:
        return DataValidation(type="decimal", operator="between", formula1="0", formula2="1",
                              error="A share from 0 to 1 (format the cell as % to type 35%).", **common)
    if spec.kind is Kind.NUMBER and spec.whole:
        return DataValidation(type="whole", operator="greaterThanOrEqual", formula1=f"{spec.minimum:g}",
                              error=f"A whole number of at least {spec.minimum:g}.", **common)
    if spec.kind is Kind.NUMBER:
        return DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0",
                              error=f"A number, not negative ({spec.unit}).", **common)
    return None
