"""`ipw gate FILE GATE`: listing, every option, and every refusal (exit code, one line, file unchanged)."""

import hashlib

import pytest

from desktop.resources import playbook
from desktop.storage.lock import WorkbookLock
from desktop.storage.workbook_file import open_store


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()




def gate_of(path, slug="demand-shape"):
    store = open_store(path, writable=False)
    try:
        return store.load(playbook()).gates[slug]
    finally:
        store.close()


def blob_of(path, sha256):
    store = open_store(path, writable=False)
    try:
        return store.get_blob(sha256)
    finally:
        store.close()


@pytest.fixture
def evidence_file(sample):
    path = sample.parent / "evidence" / "histogram.csv"
    path.parent.mkdir()
    path.write_bytes(b"hour,requests\n0,12\n")
    return path


# ---- showing ----------------------------------------------------------------------------------------

def test_without_options_prints_the_gate_with_numbered_items_and_changes_nothing(sample, ipw):
    before = digest(sample)
    result = ipw("gate", sample, "demand-shape")
    assert result.code == 0, result.err
    gate = playbook().gate("demand-shape")
    assert gate.name in result.out and gate.buyer_question in result.out
    for spec in gate.checklist:
        assert f"{spec.number}. [ ] {spec.text}" in result.out
    assert "if skipped" in result.out and gate.failure_if_skipped in result.out
    assert digest(sample) == before


def test_gate_by_name_and_json(sample, ipw):
    result = ipw("gate", sample, "Memory and context fit", "--json")
    assert result.code == 0
    data = result.json
    assert data["slug"] == "memory-and-context-fit" and data["number"] == 3
    assert data["status"] == "not-assessed" and data["itemsTotal"] == 6 and data["itemsDone"] == 0
    assert [i["number"] for i in data["items"]] == [1, 2, 3, 4, 5, 6]
    assert data["warning"] == data["failureIfSkipped"]


# ---- acting on the gate ------------------------------------------------------------------------------

def test_status_note_and_justification(sample, ipw):
    assert ipw("gate", sample, "utilization-proof", "--status", "failed", "--note", "no benchmark").code == 0
    gate = gate_of(sample, "utilization-proof")
    assert gate.status.value == "failed" and gate.note == "no benchmark"
    result = ipw("gate", sample, "demand-shape", "--status", "passed", "--justification", "pilot only", "--json")
    assert result.code == 0
    assert result.json["status"] == "passed" and result.json["exception"] is True
    assert result.json["justification"] == "pilot only" and result.json["warning"] is None
    shown = ipw("gate", sample, "demand-shape").out
    assert "pilot only (exception: passed with open items)" in shown


def test_passing_after_every_item_is_done_needs_no_justification(sample, ipw):
    for n in range(1, 6):
        assert ipw("gate", sample, "fallback-economics", "--item", n, "--done").code == 0
    result = ipw("gate", sample, "fallback-economics", "--status", "passed")
    assert result.code == 0
    assert "passed, 5 of 5 items done" in result.out


def test_ticking_the_last_item_and_passing_in_one_call(sample, ipw):
    for n in range(1, 5):
        ipw("gate", sample, "fallback-economics", "--item", n, "--done")
    assert ipw("gate", sample, "fallback-economics", "--item", 5, "--done", "--status", "passed").code == 0
    assert gate_of(sample, "fallback-economics").status.value == "passed"


def test_justification_alone_is_recorded(sample, ipw):
    assert ipw("gate", sample, "demand-shape", "--justification", "reason").code == 0
    assert gate_of(sample).justification == "reason"
    assert ipw("gate", sample, "demand-shape", "--status", "passed").code == 0  # the recorded one counts


# ---- acting on an item -------------------------------------------------------------------------------

def test_item_done_note_owner(sample, ipw):
    assert ipw("gate", sample, "demand-shape", "--item", 2, "--done", "--note", "from SLO doc",
               "--owner", "Ana").code == 0
    item = gate_of(sample).items[1]
    assert item.done and item.note == "from SLO doc" and item.owner == "Ana"
    assert gate_of(sample).note == ""  # --note with --item is the item's note
    assert ipw("gate", sample, "demand-shape", "--item", 2, "--not-done").code == 0
    item = gate_of(sample).items[1]
    assert not item.done and item.owner == "Ana"  # other fields kept
    assert "[ ] p95 latency target" in ipw("gate", sample, "demand-shape").out


def test_item_evidence_file_beside_the_workbook_is_relative(sample, ipw, evidence_file):
    result = ipw("gate", sample, "demand-shape", "--item", 1, "--evidence", evidence_file, "--json")
    assert result.code == 0, result.err
    ref = result.json["items"][0]["evidence"]
    assert ref["path"] == "evidence/histogram.csv"
    assert ref["sha256"] == hashlib.sha256(evidence_file.read_bytes()).hexdigest()
    assert ref["size"] == evidence_file.stat().st_size and ref["attachedAt"]
    assert ref["embedded"] is False and ref["check"] == "unchanged"
    evidence_file.write_bytes(b"edited")
    assert "CHANGED since attached" in ipw("gate", sample, "demand-shape").out
    assert ipw("gate", sample, "demand-shape", "--json").json["items"][0]["evidence"]["check"] == "changed"


def test_item_evidence_embedded(sample, ipw, evidence_file):
    data = evidence_file.read_bytes()
    assert ipw("gate", sample, "demand-shape", "--item", 1, "--evidence", evidence_file, "--embed").code == 0
    ref = gate_of(sample).items[0].evidence
    assert ref.embedded and blob_of(sample, ref.sha256) == data
    evidence_file.unlink()
    out = ipw("gate", sample, "demand-shape").out
    assert "embedded" in out and "MISSING" in out


def test_embed_an_already_attached_file(sample, ipw, evidence_file):
    ipw("gate", sample, "demand-shape", "--item", 3, "--evidence", evidence_file)
    assert ipw("gate", sample, "demand-shape", "--item", 3, "--embed").code == 0
    assert gate_of(sample).items[2].evidence.embedded


def test_item_evidence_id(sample, ipw):
    assert ipw("gate", sample, "demand-shape", "--item", 4, "--evidence-id", "DOC-4411").code == 0
    ref = gate_of(sample).items[3].evidence
    assert ref.kind == "text" and ref.text == "DOC-4411"


# ---- refusals: usage errors (exit 2) -------------------------------------------------------------------

@pytest.mark.parametrize("option", [["--owner", "Ana"], ["--evidence", "x.csv"], ["--evidence-id", "D-1"],
                                    ["--done"], ["--not-done"], ["--embed"]])
def test_item_options_without_item_are_usage_errors(sample, ipw, option):
    before = digest(sample)
    result = ipw("gate", sample, "demand-shape", *option)
    assert result.code == 2
    assert "--item" in result.err and result.err.count("\n") == 1
    assert digest(sample) == before


@pytest.mark.parametrize("args", [["--item", "1", "--done", "--not-done"],
                                  ["--item", "1", "--evidence", "a.csv", "--evidence-id", "D-1"],
                                  ["--status", "maybe"]])
def test_conflicting_or_invalid_choices_are_usage_errors(sample, ipw, args):
    before = digest(sample)
    assert ipw("gate", sample, "demand-shape", *args).code == 2
    assert digest(sample) == before


# ---- refusals: invalid input (exit 1, one line, file unchanged) -------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["nope"], "unknown gate 'nope'"),
    (["nope", "--status", "failed"], "unknown gate 'nope'"),
    (["demand-shape", "--item", "0", "--done"], "has no item 0"),
    (["demand-shape", "--item", "6", "--done"], "has no item 6"),
    (["demand-shape", "--item", "two", "--done"], "item number, not 'two'"),
    (["demand-shape", "--item", "1", "--evidence", "missing.csv"], "missing.csv does not exist"),
    (["demand-shape", "--status", "passed"], "cannot pass while checklist item(s) 1, 2, 3, 4, 5 are open"),
    (["demand-shape", "--status", "passed", "--justification", "  "], "unless a justification is recorded"),
    (["demand-shape", "--item", "1", "--evidence-id", " "], "needs a document id or URL"),
    (["demand-shape", "--item", "1", "--embed"], "has no evidence file to embed"),
])
def test_bad_input_exits_1_with_one_line_and_leaves_the_file_unchanged(sample, ipw, args, message):
    before = digest(sample)
    result = ipw("gate", sample, *args)
    assert result.code == 1
    assert message in result.err
    assert result.err.startswith("ipw: error: ") and result.err.count("\n") == 1
    assert result.out == ""
    assert digest(sample) == before


def test_a_refused_pass_keeps_item_changes_of_the_same_call_out(sample, ipw):
    before = digest(sample)
    assert ipw("gate", sample, "demand-shape", "--item", 1, "--done", "--status", "passed").code == 1
    assert digest(sample) == before
    assert not gate_of(sample).items[0].done


def test_reopening_an_item_of_a_passed_gate_without_justification_is_refused(sample, ipw):
    for n in range(1, 6):
        ipw("gate", sample, "demand-shape", "--item", n, "--done")
    ipw("gate", sample, "demand-shape", "--status", "passed")
    before = digest(sample)
    result = ipw("gate", sample, "demand-shape", "--item", 2, "--not-done")
    assert result.code == 1 and "cannot be reopened" in result.err
    assert digest(sample) == before


def test_embedding_over_the_cap_is_refused(sample, ipw, monkeypatch):
    from desktop.domain import evidence as rules
    from desktop.storage import evidence

    big = sample.parent / "big.bin"
    big.write_bytes(b"x" * 2048)
    monkeypatch.setattr(evidence, "DEFAULT_EMBED_CAP_BYTES", 1024)
    before = digest(sample)
    result = ipw("gate", sample, "demand-shape", "--item", 1, "--evidence", big, "--embed")
    assert result.code == 1 and "can be embedded" in result.err and rules.format_size(1024) in result.err
    assert digest(sample) == before


def test_a_workbook_being_edited_elsewhere_is_refused(sample, ipw):
    lock = WorkbookLock(sample)
    assert lock.acquire()
    try:
        before = digest(sample)
        result = ipw("gate", sample, "demand-shape", "--status", "failed")
        assert result.code == 1 and "being edited" in result.err
        assert digest(sample) == before
        assert ipw("gate", sample, "demand-shape").code == 0  # reading still works
    finally:
        lock.release()


def test_missing_workbook(tmp_path, ipw):
    result = ipw("gate", tmp_path / "none.ipwb", "demand-shape")
    assert result.code == 1 and "no such file" in result.err
