import math

import pytest

from desktop.domain.errors import FieldError
from desktop.domain.trace import FIELD_NAMES, TRACE_FIELDS, make_trace_row
from desktop.resources import playbook

ALIASES = playbook().trace_route_aliases()


def valid(**changes):
    row = dict(playbook().template_rows[0])
    row.update(changes)
    return row


def test_playbook_and_trace_definition_agree():
    specs = {f.name: f for f in playbook().trace_fields}
    assert tuple(specs) == FIELD_NAMES
    for field in TRACE_FIELDS:
        assert specs[field.name].type == field.kind.value
        assert specs[field.name].unit == field.unit
        assert specs[field.name].required == field.required


def test_template_row_validates_with_types():
    row = make_trace_row(valid(), ALIASES)
    assert row["route"] == "Managed frontier API"
    assert row["inputTokens"] == 6200.0
    assert row["batchEligible"] is False
    assert row["cacheHitRate"] == 0.35
    assert row.defaulted == frozenset()


def test_matrix_route_names_are_aliases():
    assert make_trace_row(valid(route="Dedicated hosted endpoint"), ALIASES)["route"] == "Dedicated endpoint"
    assert make_trace_row(valid(route="managed-api-only"), ALIASES)["route"] == "Managed frontier API"


@pytest.mark.parametrize("field, value, reason", [
    ("route", "Owned hardware", "is not a trace route"),
    ("route", "", "is required"),
    ("provider", None, "is required"),
    ("model", "  ", "is required"),
    ("workload", None, "is required"),
    ("inputTokens", -1, "must not be negative"),
    ("inputTokens", "many", "must be a number"),
    ("outputTokens", math.nan, "must be a finite number"),
    ("outputTokens", "inf", "must be a finite number"),
    ("concurrency", 0, "must be at least 1"),
    ("concurrency", 2.5, "must be a whole number"),
    ("concurrency", None, "is required"),
    ("cacheHitRate", 1.2, "must be between 0 and 1"),
    ("acceptedOutputRate", -0.1, "must be between 0 and 1"),
    ("batchEligible", "maybe", "must be true/false"),
    ("ttftMs", -5, "must not be negative"),
    ("latencyP50Ms", "fast", "must be a number"),
    ("latencyP95Ms", math.inf, "must be a finite number"),
    ("outputTokensPerSecond", -1, "must not be negative"),
    ("costUsd", -0.01, "must not be negative"),
    ("reviewMinutes", "x", "must be a number"),
    ("retryRate", 2, "must be between 0 and 1"),
])
def test_each_field_rule_names_field_and_value(field, value, reason):
    with pytest.raises(FieldError) as info:
        make_trace_row(valid(**{field: value}), ALIASES)
    assert info.value.field == field
    assert reason in str(info.value)
    assert repr(value) in str(info.value)


@pytest.mark.parametrize("field", ["ttftMs", "latencyP50Ms", "latencyP95Ms", "outputTokensPerSecond",
                                   "acceptedOutputRate", "costUsd", "reviewMinutes"])
def test_nullable_fields_may_be_unobserved(field):
    assert make_trace_row(valid(**{field: None}), ALIASES)[field] is None


def test_defaults_are_marked():
    row = make_trace_row(valid(cacheHitRate="", batchEligible=None), ALIASES)
    assert row["cacheHitRate"] is None  # not observed: never a measured-looking 0
    assert row["batchEligible"] is False
    assert row.defaulted == {"batchEligible"}


@pytest.mark.parametrize("text, expected", [("yes", True), ("No", False), ("1", True), ("0", False),
                                            ("TRUE", True), (1, True)])
def test_boolean_spellings(text, expected):
    assert make_trace_row(valid(batchEligible=text), ALIASES)["batchEligible"] is expected


def test_extras_kept_by_name():
    row = make_trace_row(valid(latencyP99Ms="31000", retryRate=0.02, teamNote="rerun"), ALIASES)
    assert row.extras == {"latencyP99Ms": 31000.0, "retryRate": 0.02, "teamNote": "rerun"}
    assert row.as_dict()["teamNote"] == "rerun"
