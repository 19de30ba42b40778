"""The procurement matrix with this workbook's statuses, as JSON and Markdown."""

from __future__ import annotations

import json

import pytest
from export_helpers import export_data, new_sample, set_gate

from desktop.cli import main
from desktop.exports.matrix import (DRAFT_MARK, MATRIX_FORMAT, matrix_json, matrix_markdown, md, write_matrix_json,
                                    write_matrix_markdown)


@pytest.fixture
def sample_path(tmp_path):
    return new_sample(tmp_path / "sample.ipwb")


def test_json_follows_the_playbook_matrix_with_this_workbooks_statuses(sample_path):
    data = export_data(sample_path)
    doc = matrix_json(data)
    assert doc["format"] == MATRIX_FORMAT
    assert doc["purpose"] == data.playbook.matrix_purpose
    assert [r["slug"] for r in doc["routes"]] == [r.slug for r in data.playbook.procurement_routes]
    statuses = {s.slug: s for s in data.recommendation.statuses}
    for route in doc["routes"]:
        assert route["status"] == statuses[route["slug"]].status
        assert route["reasons"] == [r.text for r in statuses[route["slug"]].reasons]
        assert route["recommended"] == (route["slug"] == data.recommendation.route)
        for key in ("stage", "useWhen", "minimumEvidence", "avoidWhen", "owner"):
            assert route[key]
    assert doc["workbook"]["fingerprint"] == data.fingerprint
    assert doc["workbook"]["statusMark"] == DRAFT_MARK
    assert doc["workbook"]["recommendedRoute"] == "Managed API only"
    assert [g["slug"] for g in doc["decisionGates"]] == [g.slug for g in data.playbook.gates]
    assert [s["score"] for s in doc["readinessScores"]] == [d.reference_score for d in data.playbook.readiness]


def test_gate_verdicts_and_exceptions_appear(sample_path):
    set_gate(sample_path, "demand-shape", "--status", "passed", "--justification", "histogram due next week")
    doc = matrix_json(export_data(sample_path))
    gate = doc["decisionGates"][0]
    assert gate["verdict"] == "passed" and gate["itemsDone"] == 0 and gate["openItems"] == [1, 2, 3, 4, 5]
    assert gate["exception"] == "histogram due next week"


def test_markdown_lists_routes_statuses_and_reasons(sample_path):
    data = export_data(sample_path)
    text = matrix_markdown(data)
    assert text.startswith("# Hardware procurement matrix: Sample: how should we buy LLM inference?")
    assert f"`{data.fingerprint}`" in text
    assert f"**{DRAFT_MARK}**" in text
    assert "| Managed API only | Baseline |" in text
    assert "Supported (recommended) |" in text
    # dedicated, cloud GPU and owned hardware wait on gates; hosted serverless is supported since the sample's
    # illustrative rows give it a cost at target for every workload
    assert text.count("| Not yet |") == 3
    for status in data.recommendation.statuses:
        assert md(status.reasons[0].text) in text


def test_markdown_escapes_user_text(tmp_path):
    path = new_sample(tmp_path / "esc.ipwb")
    assert main(["context", str(path), "--title", "a | b <script>x</script> *bold* [link](http://x)"]) == 0
    text = matrix_markdown(export_data(path))
    title = text.splitlines()[0]
    assert "\\|" in title and "&lt;script&gt;" in title and "\\*bold\\*" in title and "\\[link\\]" in title
    assert "<script>" not in text


def test_written_atomically(sample_path, tmp_path):
    data = export_data(sample_path)
    write_matrix_json(tmp_path / "m.json", data)
    write_matrix_markdown(tmp_path / "m.md", data)
    assert json.loads((tmp_path / "m.json").read_text(encoding="utf-8")) == matrix_json(data)
    assert (tmp_path / "m.md").read_text(encoding="utf-8") == matrix_markdown(data)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "m.md", "sample.ipwb"]


def test_markdown_of_a_rejected_decision_contains_reject_and_the_approver(sample_path, tmp_path):
    key = tmp_path / "key.pem"
    assert main(["keygen", "--key", str(key)]) == 0
    assert main(["sign", str(sample_path), "--name", "Dana Lee", "--role", "CFO", "--decision", "reject",
                 "--date", "2026-11-30", "--key", str(key)]) == 0
    data = export_data(sample_path)
    text = matrix_markdown(data)
    decision = text[text.index("## Decision\n"):text.index("## Routes")]
    assert "- Decision: **Rejected**" in decision and "Reject" in decision
    assert "- Approver: Dana Lee, CFO" in decision and "- Date: 2026-11-30" in decision
    assert "- Conditions: none" in decision
    from desktop.exports.signing import key_info
    assert f"- Signing key: {key_info(key).fingerprint}" in decision
    doc = matrix_json(data)
    assert doc["decision"]["decision"] == "reject" and doc["decision"]["approver"] == "Dana Lee"
    assert doc["decision"]["role"] == "CFO" and doc["decision"]["keyFingerprint"] == key_info(key).fingerprint


def test_matrices_state_revocations_and_every_gate_justification(sample_path):
    set_gate(sample_path, "demand-shape", "--status", "passed", "--justification", "histogram due next week")
    set_gate(sample_path, "utilization-proof", "--status", "at-risk", "--justification", "occupancy unmeasured")
    assert main(["sign", str(sample_path), "--name", "Ana", "--role", "COO", "--decision",
                 "approve-with-conditions", "--conditions", "re-measure in Q3", "--no-key"]) == 0
    assert main(["revoke", str(sample_path), "--by", "Ana", "--reason", "wrong volumes"]) == 0
    data = export_data(sample_path)
    doc = matrix_json(data)
    assert doc["decision"]["decision"] is None  # revoked: a draft again
    [revocation] = doc["decision"]["revocations"]
    assert revocation["by"] == "Ana" and revocation["reason"] == "wrong volumes"
    assert revocation["decision"] == "approve-with-conditions"
    gates = {g["slug"]: g for g in doc["decisionGates"]}
    assert gates["demand-shape"]["justificationAndOpenItems"] == \
        "Passed with open item(s) 1, 2, 3, 4, 5: histogram due next week"
    assert gates["utilization-proof"]["justificationAndOpenItems"] == \
        "occupancy unmeasured; open item(s) 1, 2, 3, 4, 5"
    text = matrix_markdown(data)
    assert "- Revoked " in text and "by Ana: wrong volumes" in text
    assert "| At risk | 0 of 5 | occupancy unmeasured; open item(s) 1, 2, 3, 4, 5 |" in text
