import sqlite3

import pytest

from desktop.domain.workbook import SignOff
from desktop.resources import playbook
from desktop.storage.codec import signoff_to_dict
from desktop.storage.lock import WorkbookLock

INFO_KEYS = {"schemaVersion", "title", "organisation", "currency", "reviewerRateUsdPerHour", "targetP95Ms",
             "workloads", "gates", "scores", "traceCount", "signed", "fingerprint"}


def test_version_names_app_and_playbook(ipw_process):
    result = ipw_process("--version")
    assert result.code == 0
    assert "ipw 0.1.0" in result.out and "playbook 0.1.0" in result.out


def test_new_sample_and_info_json(sample, ipw):
    result = ipw("info", sample, "--json")
    assert result.code == 0
    info = result.json
    assert INFO_KEYS <= set(info)
    assert info["traceCount"] == 3 + 5  # the playbook's three template rows and five illustrative rows
    assert info["reviewerRateUsdPerHour"] == 60
    assert info["targetP95Ms"] == 20000
    assert info["signed"] is False and info["signedFingerprint"] is None
    assert len(info["fingerprint"]) == 64 and int(info["fingerprint"], 16) >= 0
    assert [g["slug"] for g in info["gates"]] == [g.slug for g in playbook().gates]
    assert [g["itemsTotal"] for g in info["gates"]] == [5, 5, 6, 5, 5]
    assert {g["status"] for g in info["gates"]} == {"not-assessed"}
    assert [(s["slug"], s["score"], s["referenceScore"]) for s in info["scores"]] == [
        (d.slug, d.reference_score, d.reference_score) for d in playbook().readiness]
    assert {w["name"] for w in info["workloads"]} == {"coding-agent-maintenance", "invoice-review",
                                                      "support-policy"}


def test_new_empty_workbook_is_unscored(tmp_path, ipw):
    path = tmp_path / "empty.ipwb"
    assert ipw("new", path).code == 0
    info = ipw("info", path, "--json").json
    assert {s["score"] for s in info["scores"]} == {None}
    assert info["traceCount"] == 0


def test_new_refuses_existing(sample, ipw):
    result = ipw("new", sample)
    assert result.code == 1
    assert result.err.startswith("ipw: error: ") and "already exists" in result.err
    assert result.err.count("\n") == 1


def test_info_human_readable(sample, ipw):
    result = ipw("info", sample)
    assert result.code == 0
    assert "Memory and context fit" in result.out and "0/6 items" in result.out


@pytest.mark.parametrize("args, message", [
    (("info", "missing.ipwb"), "no such file"),
    (("context", "missing.ipwb", "--title", "x"), "no such file"),
])
def test_missing_file_is_exit_1(tmp_path, ipw, args, message):
    result = ipw(args[0], tmp_path / args[1], *args[2:])
    assert result.code == 1 and message in result.err


def test_not_a_workbook_is_exit_1(tmp_path, ipw):
    path = tmp_path / "notes.ipwb"
    path.write_text("hello")
    result = ipw("info", path)
    assert result.code == 1 and "not a workbook" in result.err


def test_context_sets_every_field(sample, ipw):
    result = ipw("context", sample, "--organisation", "Acme", "--title", "Buy inference", "--prepared-by", "Ana",
                 "--sponsor", "CFO", "--currency", "eur", "--fx-to-usd", "1.08", "--fx-date", "2026-11-01",
                 "--reviewer-rate", "75", "--target-p95-ms", "15000", "--readiness-threshold", "65",
                 "--workload", "chat=250000", "--workload", "invoice-review=5000",
                 "--remove-workload", "support-policy")
    assert result.code == 0, result.err
    info = ipw("info", sample, "--json").json
    assert (info["organisation"], info["title"], info["currency"]) == ("Acme", "Buy inference", "EUR")
    assert info["fxToUsd"] == 1.08 and info["fxDate"] == "2026-11-01"
    assert info["reviewerRateUsdPerHour"] == 75 and info["targetP95Ms"] == 15000
    assert info["readinessThreshold"] == 65
    assert info["workloads"] == [{"name": "coding-agent-maintenance", "monthlyRequests": 100000.0},
                                 {"name": "invoice-review", "monthlyRequests": 5000.0},
                                 {"name": "chat", "monthlyRequests": 250000.0}]


@pytest.mark.parametrize("args, code, message", [
    (("--reviewer-rate", "-5"), 1, "reviewerRateUsdPerHour"),
    (("--target-p95-ms", "0"), 1, "targetP95Ms"),
    (("--readiness-threshold", "120"), 1, "readinessThreshold"),
    (("--currency", "EUR"), 1, "--fx-to-usd"),
    (("--currency", "EURO", "--fx-to-usd", "1"), 1, "currency"),
    (("--fx-date", "yesterday"), 1, "fxDate"),
    (("--workload", "chat"), 1, "NAME=MONTHLY_REQUESTS"),
    (("--workload", "chat=lots"), 1, "not a number"),
    (("--workload", "chat=-4"), 1, "monthlyRequests"),
    (("--remove-workload", "nothing"), 1, "not in scope"),
    (("--reviewer-rate", "abc"), 2, "not a number"),
    (("--reviewer-rate", "nan"), 2, "not a finite number"),
    ((), 2, "nothing to change"),
])
def test_context_bad_input_changes_nothing(sample, ipw, args, code, message):
    before = sample.read_bytes()
    result = ipw("context", sample, *args)
    assert result.code == code
    assert result.err.startswith("ipw: error: ") and message in result.err
    assert sample.read_bytes() == before


def test_usage_errors_exit_2(ipw):
    assert ipw("frobnicate").code == 2
    assert ipw("new").code == 2
    result = ipw("info", "a", "b")
    assert result.code == 2 and result.err.startswith("ipw: error: ")


def test_locked_workbook_refuses_edits(sample, ipw):
    lock = WorkbookLock(sample)
    assert lock.acquire()
    try:
        before = sample.read_bytes()
        result = ipw("context", sample, "--title", "x")
        assert result.code == 1 and "being edited by" in result.err
        assert sample.read_bytes() == before
        assert ipw("info", sample).code == 0  # reading is fine
    finally:
        lock.release()


def _sign(path):
    import json
    conn = sqlite3.connect(path)
    signoff = SignOff("Dana", "CFO", "approve", "", "2026-11-28", "ab" * 32, "2026-11-28T10:00:00+00:00")
    conn.execute("INSERT OR REPLACE INTO parts VALUES ('signoff', ?)", (json.dumps(signoff_to_dict(signoff)),))
    conn.commit()
    conn.close()


def test_signed_workbook_refuses_edits(sample, ipw):
    _sign(sample)
    before = sample.read_bytes()
    result = ipw("context", sample, "--title", "changed")
    assert result.code == 1 and "signed off" in result.err
    assert sample.read_bytes() == before
    info = ipw("info", sample, "--json").json
    assert info["signed"] is True and info["signedFingerprint"] == "ab" * 32


def test_internal_error_is_exit_70_without_traceback(sample, ipw, monkeypatch):
    from desktop.cli import workbook_commands
    monkeypatch.setattr(workbook_commands, "workbook_summary", lambda *a: 1 / 0)
    result = ipw("info", sample)
    assert result.code == 70
    assert "Traceback" not in result.err and "internal error" in result.err
    result = ipw("--debug", "info", sample)
    assert result.code == 70 and "Traceback" in result.err


def test_json_output_never_contains_nan(sample, ipw):
    result = ipw("info", sample, "--json")
    assert "NaN" not in result.out and "Infinity" not in result.out


def test_gui_without_display_exits_1(ipw_process):
    env = {"QT_QPA_PLATFORM": "", "DISPLAY": "", "WAYLAND_DISPLAY": ""}
    for args in ((), ("open", "x.ipwb")):
        result = ipw_process(*args, env=env)
        assert result.code == 1, result.err
        assert "no display" in result.err and "Traceback" not in result.err


def test_python_m_desktop_works(ipw_process, tmp_path):
    result = ipw_process("new", tmp_path / "m.ipwb")
    assert result.code == 0 and (tmp_path / "m.ipwb").exists()
