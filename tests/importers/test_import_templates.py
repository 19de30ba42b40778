"""The trace kit's templates, schema and runbook, and their round trip through the importer."""

from __future__ import annotations

import csv
import json

import jsonschema
import pytest
from openpyxl import load_workbook

from desktop.domain.trace import FIELD_NAMES, TRACE_FIELDS
from desktop.importers import (
    parse_source, trace_row_schema, write_csv_template, write_runbook, write_schema, write_xlsx_template,
)
from desktop.resources import playbook
from tests.importers.conftest import BASE_TUPLE


def test_csv_template_has_the_sixteen_headers_and_the_playbook_rows(tmp_path):
    path = write_csv_template(tmp_path / "trace-template.csv")
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    assert rows[0] == list(FIELD_NAMES)
    assert len(rows) == 1 + len(playbook().template_rows)
    assert rows[1][:3] == ["Managed frontier API", "OpenAI", "frontier-reasoning-model-id"]


@pytest.mark.parametrize("writer", [write_csv_template, write_xlsx_template])
def test_templates_round_trip_without_mapping(tmp_path, writer):
    suffix = ".csv" if writer is write_csv_template else ".xlsx"
    parsed = parse_source(writer(tmp_path / f"template{suffix}"))
    assert parsed.ok and parsed.rows_valid == len(playbook().template_rows)
    assert parsed.mapping == {name: name for name in FIELD_NAMES}
    assert next(parsed.rows()) == (*BASE_TUPLE, None, None)


def test_filled_in_xlsx_template_imports(tmp_path):
    path = write_xlsx_template(tmp_path / "t.xlsx")
    workbook = load_workbook(path)
    workbook["Traces"].append(["Self-hosted GPU stack", "own", "qwen-72b", "rag", 3000, 400, 0.6, True, 8,
                               300, 2500, 6100, 55, 0.9, 0.01, 1])
    workbook.save(path)
    parsed = parse_source(path)
    assert parsed.ok and parsed.rows_valid == 4 and parsed.sheet == "Traces"
    assert parsed.preview(4)[3]["model"] == "qwen-72b"


def test_xlsx_template_validates_routes_rates_and_numbers(tmp_path):
    workbook = load_workbook(write_xlsx_template(tmp_path / "t.xlsx"))
    sheet = workbook["Traces"]
    rules = {str(rule.sqref).split(":")[0][:-1]: rule for rule in sheet.data_validations.dataValidation}
    column = {name: sheet.cell(1, index + 1).column_letter for index, name in enumerate(FIELD_NAMES)}
    route = rules[column["route"]]
    assert route.type == "list" and all(name in route.formula1 for name in playbook().trace_route_names())
    for rate in ("cacheHitRate", "acceptedOutputRate"):
        rule = rules[column[rate]]
        assert (rule.type, rule.operator, rule.formula1, rule.formula2) == ("decimal", "between", "0", "1")
    for number in ("inputTokens", "ttftMs", "costUsd", "reviewMinutes"):
        rule = rules[column[number]]
        assert (rule.type, rule.operator, rule.formula1) == ("decimal", "greaterThanOrEqual", "0")
    assert (rules[column["concurrency"]].type, rules[column["concurrency"]].formula1) == ("whole", "1")
    assert sheet.freeze_panes == "A2"


def test_xlsx_help_sheet_describes_every_field_and_unit(tmp_path):
    workbook = load_workbook(write_xlsx_template(tmp_path / "t.xlsx"))
    rows = list(workbook["Help"].iter_rows(values_only=True))
    assert rows[0] == ("Field", "Required", "Type", "Unit", "Rule", "Default", "Description")
    by_field = {row[0]: row for row in rows[1:]}
    assert list(by_field) == list(FIELD_NAMES)
    descriptions = {f.name: f.description for f in playbook().trace_fields}
    for spec in TRACE_FIELDS:
        assert by_field[spec.name][6] == descriptions[spec.name]
        assert (by_field[spec.name][3] or None) == spec.unit
    assert by_field["ttftMs"][3] == "ms" and by_field["cacheHitRate"][4].startswith("share from 0 to 1")


def test_schema_is_valid_and_matches_the_importer(tmp_path):
    schema = json.loads(write_schema(tmp_path / "trace-schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema == trace_row_schema()
    assert schema["required"] == [s.name for s in TRACE_FIELDS if s.required]
    validator = jsonschema.Draft202012Validator(schema)
    for row in parse_source(write_csv_template(tmp_path / "t.csv")).preview():
        validator.validate(row)
    good = parse_source(write_csv_template(tmp_path / "u.csv")).preview()[0]
    for field, bad in (("cacheHitRate", 1.5), ("route", "Owned hardware"), ("concurrency", 2.5),
                       ("inputTokens", -1), ("batchEligible", "yes")):
        assert not validator.is_valid({**good, field: bad}), field
    assert validator.is_valid({**good, "latencyP95Ms": None, "notes": "extra fields are allowed"})
    assert schema["properties"]["ttftMs"]["x-unit"] == "ms"


def test_runbook_explains_every_field(tmp_path):
    text = write_runbook(tmp_path / "runbook.md").read_text(encoding="utf-8")
    assert text.startswith("# ")
    for name in FIELD_NAMES:
        assert f"`{name}`" in text
