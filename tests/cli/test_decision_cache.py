"""The decision fingerprint from cached economics parts equals the one computed from scratch; signing, exports
and `ipw verify` leave the parts they computed for the next description of the workbook."""

import json
import sqlite3

import pytest

from desktop.exports import content, decision_cache
from desktop.resources import playbook
from desktop.storage import derived_cache
from desktop.storage.workbook_file import open_store


@pytest.fixture
def sample_store(tmp_path, ipw):
    path = tmp_path / "s.ipwb"
    assert ipw("new", str(path), "--sample").code == 0
    return path


def _fingerprints(path):
    store = open_store(path, writable=False)
    try:
        workbook = store.load(playbook())
        return (decision_cache.decision_fingerprint(store, workbook, playbook()),
                content.build_decision(store, workbook, playbook(), recompute_traces_hash=True).fingerprint)
    finally:
        store.close()


def test_cached_parts_give_the_computed_fingerprint_and_spare_the_economics(sample_store, monkeypatch):
    cold, computed = _fingerprints(sample_store)
    assert cold == computed
    calls = []
    real = content.build_decision
    monkeypatch.setattr(content, "build_decision", lambda *a, **k: calls.append(1) or real(*a, **k))
    warm, _ = _fingerprints(sample_store)
    assert warm == computed
    assert len(calls) == 1  # only the test's own recomputation: the cached parts served the fingerprint


def test_every_input_of_the_economics_is_in_the_key(sample_store, ipw):
    before, _ = _fingerprints(sample_store)
    for change in (["context", "--reviewer-rate", "75"], ["context", "--target-p95-ms", "9000"],
                   ["context", "--title", "Renamed"]):
        assert ipw(change[0], str(sample_store), *change[1:]).code == 0
        after, computed = _fingerprints(sample_store)
        assert after == computed and after != before
        before = after


def test_signed_workbook_reuses_the_drafts_parts_and_still_matches(sample_store, ipw):
    draft, _ = _fingerprints(sample_store)
    result = ipw("sign", str(sample_store), "--name", "Dana", "--role", "CFO", "--decision", "approve", "--no-key",
                 "--json")
    assert result.code == 0
    signed, computed = _fingerprints(sample_store)
    assert signed == computed == result.json["fingerprint"]
    assert ipw("info", str(sample_store), "--json").json["fingerprint"] == signed


@pytest.mark.parametrize("damage", [b"not json", b"{}", b'{"scenarios": 1}'])
def test_a_damaged_cache_entry_is_recomputed(sample_store, damage):
    _fingerprints(sample_store)
    folder = derived_cache._folder(decision_cache.KIND)
    for entry in folder.glob("*.json"):
        entry.write_bytes(damage)
    fingerprint, computed = _fingerprints(sample_store)
    assert fingerprint == computed


# ---- every build of the decision as the workbook stands leaves its parts --------------------------------------

@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """A cache folder nothing was kept in yet (`ipw new` kept the sample's parts in the test's own)."""
    monkeypatch.setenv("IPW_USER_CACHE_DIR", str(tmp_path / "fresh-cache"))


def _rows_hashed_here(path):
    """This machine hashed the file's rows (as it has for a file it wrote): a draft's parts may be kept."""
    from desktop.storage import trace_hash

    store = open_store(path, writable=False)
    try:
        trace_hash.rows_hash(store)
    finally:
        store.close()


def _cached(path):
    store = open_store(path, writable=False)
    try:
        return decision_cache.cached_decision_fingerprint(store, store.load(playbook()), playbook())
    finally:
        store.close()


def _warm_fingerprint(path, monkeypatch):
    """`decision_fingerprint` with every computation it could fall back on refused, then the fingerprint
    `build_decision` computes from scratch."""
    from desktop.economics import analysis
    from desktop.storage import trace_hash

    def refused(*args, **kwargs):
        raise AssertionError("computed although the parts were kept")

    with monkeypatch.context() as patched:
        for module, name in ((content, "build_decision"), (analysis, "compute_economics"),
                             (trace_hash, "compute_traces_hash")):
            patched.setattr(module, name, refused)
        store = open_store(path, writable=False)
        try:
            warm = decision_cache.decision_fingerprint(store, store.load(playbook()), playbook())
        finally:
            store.close()
    store = open_store(path, writable=False)
    try:
        return warm, content.build_decision(store, store.load(playbook()), playbook()).fingerprint
    finally:
        store.close()


def _sign(ipw, path):
    result = ipw("sign", path, "--name", "Dana", "--role", "CFO", "--decision", "approve", "--no-key", "--json")
    assert result.code == 0, result.err
    return result.json["fingerprint"]


def test_signing_keeps_the_parts(sample_store, ipw, fresh_cache, monkeypatch):
    assert _cached(sample_store) is None
    signed = _sign(ipw, sample_store)  # a version whose rows this cache never saw hashed: signing hashes them
    warm, computed = _warm_fingerprint(sample_store, monkeypatch)
    assert warm == computed == signed


def test_an_export_keeps_the_parts(sample_store, ipw, fresh_cache, monkeypatch, tmp_path):
    _rows_hashed_here(sample_store)
    assert _cached(sample_store) is None
    result = ipw("export", sample_store, "--json", tmp_path / "matrix.json")
    assert result.code == 0, result.err
    warm, computed = _warm_fingerprint(sample_store, monkeypatch)
    assert warm == computed
    assert json.loads((tmp_path / "matrix.json").read_text(encoding="utf-8"))["workbook"]["fingerprint"] == warm


def test_verifying_an_intact_signed_workbook_keeps_the_parts(sample_store, ipw, monkeypatch, tmp_path):
    signed = _sign(ipw, sample_store)
    monkeypatch.setenv("IPW_USER_CACHE_DIR", str(tmp_path / "fresh-cache"))
    assert _cached(sample_store) is None
    result = ipw("verify", sample_store)
    assert result.code == 0, result.err
    warm, computed = _warm_fingerprint(sample_store, monkeypatch)
    assert warm == computed == signed


def test_verifying_a_draft_keeps_the_parts(sample_store, ipw, fresh_cache, monkeypatch):
    _rows_hashed_here(sample_store)
    assert _cached(sample_store) is None
    assert ipw("verify", sample_store).code == 4  # a draft: nothing to verify
    warm, computed = _warm_fingerprint(sample_store, monkeypatch)
    assert warm == computed


@pytest.mark.parametrize("command", [("export", "--json", "matrix.json"), ("verify",)])
def test_a_draft_whose_rows_were_never_hashed_here_keeps_nothing(sample_store, ipw, fresh_cache, tmp_path,
                                                                 command):
    """A received draft: its record may not name its rows, so an export or a verify keeps no parts for it (the
    first `ipw info` hashes its rows once, and keeps them then if the record names them)."""
    args = [str(tmp_path / a) if a.endswith(".json") else a for a in command[1:]]
    assert ipw(command[0], sample_store, *args).code in (0, 4)
    assert not list((tmp_path / "fresh-cache").glob(f"{decision_cache.KIND}/*.json"))


def test_verifying_rows_changed_behind_the_record_keeps_nothing(sample_store, ipw, monkeypatch, tmp_path):
    """A signed file whose trace cell was changed in place (the kept traces hash still names the old rows): the
    auditor's recomputation is over rows the file's record does not describe, so nothing is kept for them."""
    _sign(ipw, sample_store)
    connection = sqlite3.connect(sample_store)
    connection.execute("UPDATE traces SET costUsd = costUsd * 10 WHERE id = 1")
    connection.commit()
    connection.close()
    cache = tmp_path / "fresh-cache"
    monkeypatch.setenv("IPW_USER_CACHE_DIR", str(cache))
    result = ipw("verify", sample_store)
    assert result.code == 3, result.out  # a mismatch
    assert not list(cache.glob(f"{decision_cache.KIND}/*.json"))
    assert _cached(sample_store) is None


def test_verifying_a_memo_against_its_workbook_keeps_nothing_from_the_workbook(sample_store, ipw, tmp_path,
                                                                              monkeypatch):
    """`ipw verify MEMO --workbook W` checks the printed plan totals against W's plan; W is the file under audit
    (its rows may differ from what its trace hash record names), so that computation leaves no parts behind."""
    from desktop.exports import decision_cache as cache

    assert ipw("sign", str(sample_store), "--name", "Dana", "--role", "CFO", "--decision", "approve",
               "--no-key").code == 0
    memo = tmp_path / "m.pdf"
    assert ipw("export", str(sample_store), "--pdf", str(memo), "--no-pdf-signature").code == 0
    kept = []
    monkeypatch.setattr(cache, "keep_parts", lambda *a, **k: kept.append(1))
    monkeypatch.setattr(cache, "keep_recomputed_parts", lambda *a, **k: kept.append(2))
    result = ipw("verify", str(memo), "--workbook", str(sample_store))
    assert "plan totals" in result.out and kept == []
