"""The decision fingerprint from cached economics parts equals the one computed from scratch."""

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
