"""The hash-chained audit log: each entry covers the one before, so edits and removals show."""

from dataclasses import replace

from desktop.domain.audit import GENESIS, chain_problems, entry_hash, next_entry


def _log(n=4):
    log = []
    for i in range(n):
        log.append(next_entry(log, "sign" if i % 2 == 0 else "revoke", f"Person {i}",
                              f"2026-11-2{i}T10:00:00+00:00", {"reason": f"r{i}", "amount": 60.0}))
    return log


def test_chain_links_each_entry_to_the_previous():
    log = _log()
    assert [e.sequence for e in log] == [1, 2, 3, 4]
    assert log[0].previous_hash == GENESIS
    for before, after in zip(log, log[1:]):
        assert after.previous_hash == before.entry_hash
    assert chain_problems(log) == []
    assert log[0].entry_hash == entry_hash(1, "sign", "Person 0", log[0].at, {"reason": "r0", "amount": 60},
                                           GENESIS)  # numbers hash canonically: 60 == 60.0


def test_removed_entry_is_detected():
    log = _log()
    problems = chain_problems(log[:1] + log[2:])
    assert any("entry 2 is missing" in p for p in problems)
    assert any("entry 3 does not follow" in p for p in problems)


def test_edited_entry_is_detected():
    log = _log()
    log[1] = replace(log[1], detail={"reason": "something else", "amount": 60})
    assert chain_problems(log) == ["entry 2 was changed after it was written"]


def test_rehashed_edit_breaks_the_next_link():
    log = _log()
    edited = replace(log[1], actor="Mallory")
    log[1] = replace(edited, entry_hash=entry_hash(2, edited.action, "Mallory", edited.at, edited.detail,
                                                   edited.previous_hash))
    assert chain_problems(log) == ["entry 3 does not follow the entry before it"]


def test_reordered_entries_are_detected():
    log = _log()
    assert chain_problems([log[1], log[0], *log[2:]])


def test_empty_log_is_intact():
    assert chain_problems([]) == []
