"""`ipw score`: setting, clearing and reading readiness scores, and every bad input."""

import json
import sqlite3

import pytest

from desktop.domain.workbook import SignOff
from desktop.resources import playbook
from desktop.storage.codec import signoff_to_dict


def scores(ipw, path):
    return {s["slug"]: (s["score"], s["note"]) for s in ipw("info", path, "--json").json["scores"]}


def _sign(path):
    conn = sqlite3.connect(path)
    signoff = SignOff("Dana", "CFO", "approve", "", "2026-11-28", "ab" * 32, "2026-11-28T10:00:00+00:00")
    conn.execute("INSERT OR REPLACE INTO parts VALUES ('signoff', ?)", (json.dumps(signoff_to_dict(signoff)),))
    conn.commit()
    conn.close()


def test_set_score_by_slug(sample, ipw):
    result = ipw("score", sample, "demand-forecast", "75")
    assert result.code == 0, result.err
    assert "Demand forecast 82 -> 75" in result.out
    assert scores(ipw, sample)["demand-forecast"] == (75, "")
    assert scores(ipw, sample)["ops-ownership"] == (56, "")  # the others are untouched


@pytest.mark.parametrize("name", ["Ops ownership", "OPS OWNERSHIP", "  ops ownership ", "Ops-Ownership"])
def test_dimension_by_exact_name_or_slug_ignoring_case(sample, ipw, name):
    assert ipw("score", sample, name, "90").code == 0
    assert scores(ipw, sample)["ops-ownership"][0] == 90


@pytest.mark.parametrize("value, expected", [("0", 0), ("100", 100), ("+40", 40), (" 7 ", 7)])
def test_boundaries_and_spellings(sample, ipw, value, expected):
    assert ipw("score", sample, "fallback-design", value).code == 0
    assert scores(ipw, sample)["fallback-design"][0] == expected


@pytest.mark.parametrize("value", ["none", "None", "NONE"])
def test_none_marks_not_yet_scored(sample, ipw, value):
    ipw("score", sample, "utilization-model", "50", "--note", "from GPU traces")
    result = ipw("score", sample, "utilization-model", value)
    assert result.code == 0
    assert "50 -> not scored" in result.out
    assert scores(ipw, sample)["utilization-model"] == (None, "from GPU traces")  # the note stays


def test_note_with_score_and_note_alone(sample, ipw):
    assert ipw("score", sample, "procurement-clarity", "65", "--note", "  security review booked  ").code == 0
    assert scores(ipw, sample)["procurement-clarity"] == (65, "security review booked")
    assert ipw("score", sample, "procurement-clarity", "--note", "residency confirmed").code == 0
    assert scores(ipw, sample)["procurement-clarity"] == (65, "residency confirmed")
    assert ipw("score", sample, "procurement-clarity", "--note", "").code == 0
    assert scores(ipw, sample)["procurement-clarity"] == (65, "")


def test_json_output(sample, ipw):
    result = ipw("score", sample, "demand-forecast", "60", "--note", "n", "--json")
    assert result.code == 0
    assert result.json == {"file": str(sample), "previousScore": 82, "slug": "demand-forecast",
                           "dimension": "Demand forecast", "score": 60, "referenceScore": 82, "note": "n",
                           "threshold": 70, "meetsThreshold": False}
    unscored = ipw("score", sample, "demand-forecast", "none", "--json").json
    assert unscored["score"] is None and unscored["meetsThreshold"] is None


def test_reading_changes_nothing(sample, ipw):
    before = sample.read_bytes()
    everything = ipw("score", sample)
    assert everything.code == 0
    assert [line.split("  ")[0] for line in everything.out.splitlines()] == [d.name for d in playbook().readiness]
    one = ipw("score", sample, "ops-ownership", "--json")
    assert one.code == 0 and one.json["score"] == 56 and one.json["referenceScore"] == 56
    listing = ipw("score", sample, "--json").json
    assert [s["slug"] for s in listing["scores"]] == [d.slug for d in playbook().readiness]
    assert sample.read_bytes() == before


@pytest.mark.parametrize("value, message", [
    ("101", "from 0 to 100 (got 101)"),
    ("-1", "from 0 to 100 (got -1)"),
    ("7.5", "whole number"),
    ("75%", "whole number"),
    ("abc", "whole number"),
    ("", "whole number"),
    ("1e2", "whole number"),
])
def test_bad_scores_exit_1_and_change_nothing(sample, ipw, value, message):
    before = sample.read_bytes()
    result = ipw("score", sample, "demand-forecast", value)
    assert result.code == 1
    assert result.err.startswith("ipw: error: ") and message in result.err
    assert result.err.count("\n") == 1
    assert result.out == ""
    assert sample.read_bytes() == before


def test_unknown_dimension(sample, ipw):
    before = sample.read_bytes()
    result = ipw("score", sample, "vibes", "50")
    assert result.code == 1
    assert "unknown readiness dimension 'vibes'" in result.err and "demand-forecast" in result.err
    assert result.err.count("\n") == 1
    assert sample.read_bytes() == before


def test_signed_workbook_is_refused(sample, ipw):
    _sign(sample)
    before = sample.read_bytes()
    result = ipw("score", sample, "demand-forecast", "10")
    assert result.code == 1 and "signed off" in result.err
    assert result.err.count("\n") == 1
    assert sample.read_bytes() == before
    assert ipw("score", sample, "demand-forecast").code == 0  # reading a signed workbook is fine


def test_missing_file(tmp_path, ipw):
    result = ipw("score", tmp_path / "nope.ipwb", "demand-forecast", "10")
    assert result.code == 1 and "no such file" in result.err


def test_usage_errors_exit_2(sample, ipw):
    before = sample.read_bytes()
    assert ipw("score", sample, "--note", "orphan").code == 2
    assert ipw("score", sample, "demand-forecast", "10", "extra").code == 2
    assert ipw("score").code == 2
    assert sample.read_bytes() == before
