"""The decision content assembled from a workbook store, and its fingerprint."""

import hashlib
import json
import sqlite3

import pytest

from desktop.cli import main as ipw
from desktop.domain.canonical import canonical_bytes, rows_hash
from desktop.economics.scenarios import make_scenario
from desktop.exports.content import (audit_anchor, build_decision, content_fingerprint, decision_content_for,
                                     draft_fingerprint, row_content, traces_content_hash)
from desktop.resources import playbook
from desktop.services.signoff import run_revoke, run_sign
from desktop.storage.workbook_file import open_store


@pytest.fixture
def sample(tmp_path):
    path = tmp_path / "sample.ipwb"
    assert ipw(["new", str(path), "--sample"]) == 0
    return path


def _fingerprint(path, recompute=False):
    store = open_store(path, writable=False)
    try:
        if recompute:  # the auditor's reading: the trace rows hashed now, not the hash kept at write time
            return build_decision(store, store.load(playbook()), playbook(), recompute_traces_hash=True).fingerprint
        return content_fingerprint(store, store.load(playbook()), playbook())
    finally:
        store.close()


def _content(path, recompute=False):
    store = open_store(path, writable=False)
    try:
        if recompute:
            return build_decision(store, store.load(playbook()), playbook(), recompute_traces_hash=True).content
        return decision_content_for(store, store.load(playbook()), playbook())
    finally:
        store.close()


def test_traces_hash_fast_path_equals_the_canonical_definition():
    base = {"route": "Managed frontier API", "provider": "OpenAI", "model": "m", "workload": "w",
            "inputTokens": 6200.0, "outputTokens": 1200.0, "cacheHitRate": 0.35, "batchEligible": False,
            "concurrency": 4.0, "ttftMs": 1900.0, "latencyP50Ms": None, "latencyP95Ms": 28200.0,
            "outputTokensPerSecond": 48.0, "acceptedOutputRate": 0.84, "costUsd": 0.215, "reviewMinutes": 3.5}
    rows = [{"id": i, "importId": 1, **base} for i in range(10)]
    rows[1]["costUsd"] = 1e-07
    rows[2]["costUsd"] = -0.0
    rows[3]["model"] = 'Cafe\u0301 "quoted" 100% \\ \n'
    rows[4]["gpuUtilization"] = 0.5  # an extra field: the general path
    rows[5]["inputTokens"] = 1e22
    rows[6]["batchEligible"] = True
    rows[7]["provider"] = 7  # not a string: the general path for that column
    assert traces_content_hash(rows) == rows_hash(row_content(r) for r in rows)
    assert traces_content_hash(rows[:1]) != traces_content_hash([{**rows[0], "costUsd": 0.216}])
    # the file's row ids are not content
    assert traces_content_hash([{**rows[0], "id": 99, "importId": 5}]) == traces_content_hash(rows[:1])


def test_fingerprint_is_sha256_of_the_canonical_content_and_stable(sample):
    content = _content(sample)
    assert _fingerprint(sample) == hashlib.sha256(canonical_bytes(content)).hexdigest()
    assert _fingerprint(sample) == _fingerprint(sample)  # a reopened file gives the same content
    assert content["signoff"] is None and content["schemaVersion"] >= 2
    assert content["traces"]["count"] == 3 + 5 and len(content["traces"]["contentSha256"]) == 64
    assert content["traces"]["imports"][0]["sha256"]
    assert content["recommendation"]["route"] == "managed-api-only"
    assert [s["slug"] for s in content["recommendation"]["statuses"]] == \
        [r.slug for r in playbook().procurement_routes]
    assert content["audit"] == {"entries": 0, "headHash": "0" * 64}
    assert [g["slug"] for g in content["gates"]] == [g.slug for g in playbook().gates]
    assert [d["slug"] for d in content["readiness"]] == [d.slug for d in playbook().readiness]
    # no floats anywhere in what is hashed
    assert all(not isinstance(v, float) for v in _values(json.loads(canonical_bytes(content))))


def _values(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _values(v)
    elif isinstance(value, list):
        for v in value:
            yield from _values(v)
    else:
        yield value


def test_any_decision_change_changes_the_fingerprint(sample):
    before = _fingerprint(sample)
    assert ipw(["context", str(sample), "--reviewer-rate", "60.0"]) == 0  # same value: same content
    assert _fingerprint(sample) == before
    assert ipw(["context", str(sample), "--title", "Another title"]) == 0
    after_title = _fingerprint(sample)
    assert after_title != before
    conn = sqlite3.connect(sample)
    conn.execute('UPDATE traces SET "costUsd" = "costUsd" + 0.001 WHERE id = 1')
    conn.commit()
    conn.close()
    # A row changed outside the app: the hash kept at write time does not know, the recomputed one does.
    changed = _content(sample, recompute=True)
    assert _fingerprint(sample, recompute=True) != after_title
    conn = sqlite3.connect(sample)
    conn.execute("UPDATE imports SET sha256 = ? WHERE id = 1", ("f" * 64,))
    conn.commit()
    conn.close()
    assert _content(sample)["traces"]["imports"][0]["sha256"] == "f" * 64
    assert _content(sample, recompute=True)["traces"]["contentSha256"] == changed["traces"]["contentSha256"]


def test_saved_scenarios_and_the_catalog_entries_they_use(sample):
    scenario = make_scenario("70B on two H100", "memory",
                             {"model": "llama-3.1-70b", "gpu": "h100-sxm", "gpus": 2, "context": 8192},
                             "2026-11-28T10:00:00Z")
    conn = sqlite3.connect(sample)
    conn.execute("INSERT INTO scenarios (name, kind, json, saved_at) VALUES (?, ?, ?, ?)",
                 (scenario.name, scenario.kind, json.dumps(scenario.to_json()), scenario.saved_at))
    conn.commit()
    conn.close()
    content = _content(sample)
    assert [s["name"] for s in content["scenarios"]] == ["70B on two H100"]
    used = {(e["catalog"], e["key"]) for e in content["catalogEntries"]}
    assert {("models", "llama-3.1-70b"), ("gpus", "h100-sxm")} <= used
    assert all(e["source"] and e["date"] for e in content["catalogEntries"])
    assert content["recommendation"]["numbers"]["memoryScenario"] == "70B on two H100"


def test_draft_and_signed_fingerprints(sample):
    book = playbook()
    store = open_store(sample, writable=True)
    try:
        workbook = store.load(book)
        draft = content_fingerprint(store, workbook, book)
        assert draft_fingerprint(store, workbook, book) == draft
        result = run_sign(store, workbook, book, approver="Dana", role="CFO", decision="approve",
                          draft_fingerprint=draft, at="2026-11-28T10:00:00+00:00")
        assert result.draft_matches is True and result.draft_fingerprint == draft
        reloaded = store.load(book)
        assert content_fingerprint(store, reloaded, book) == result.fingerprint == reloaded.signoff.fingerprint
        assert result.fingerprint != draft
        assert draft_fingerprint(store, reloaded, book) == draft  # the draft it was signed from
        assert build_decision(store, reloaded, book).content["audit"] == {"entries": 0, "headHash": "0" * 64}
        run_revoke(store, reloaded, by="Lee", reason="new traces")
        again = store.load(book)
        anchor = audit_anchor(again.audit, again.signed)
        assert anchor == {"entries": 2, "headHash": again.audit[-1].entry_hash}
        assert content_fingerprint(store, again, book) != draft  # the history is part of the content now
    finally:
        store.close()


def test_recommendation_override_is_part_of_the_content(sample):
    before = _fingerprint(sample)
    assert ipw(["recommend", str(sample), "--override", "hosted-open-weight-serverless", "--reason",
                "Data residency"]) == 0
    content = _content(sample)
    assert content["override"] == {"route": "hosted-open-weight-serverless", "reason": "Data residency",
                                   "fallback": None}
    assert content["recommendation"]["route"] == "hosted-open-weight-serverless"
    assert content["recommendation"]["computedRoute"] == "managed-api-only"
    assert _fingerprint(sample) != before
