"""An economics command on a workbook as it is stored (`ipw metrics`, `ipw recommend`, `ipw plan`) leaves the
decision parts it computed in the user's cache, so the `ipw info` that follows computes nothing; with a one-off
option (`--reviewer-rate`) its economics are not the stored workbook's, and nothing is left."""

import pytest

from desktop.exports import content
from desktop.resources import playbook
from desktop.storage.workbook_file import open_store


def _computed_fingerprint(path):
    store = open_store(path, writable=False)
    try:
        return content.build_decision(store, store.load(playbook()), playbook(),
                                      recompute_traces_hash=True).fingerprint
    finally:
        store.close()


def _counting_builds(monkeypatch):
    calls = []
    real = content.build_decision
    monkeypatch.setattr(content, "build_decision", lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


@pytest.mark.parametrize("command", [("metrics",), ("metrics", "--summary", "--json"), ("recommend",),
                                     ("recommend", "--json"), ("plan",)])
def test_info_after_an_economics_command_computes_nothing(sample, ipw, monkeypatch, command):
    assert ipw("context", sample, "--reviewer-rate", "75").code == 0  # a state whose decision nobody computed
    assert ipw(command[0], sample, *command[1:]).code == 0
    builds = _counting_builds(monkeypatch)
    info = ipw("info", sample, "--json")
    assert info.code == 0 and builds == []
    monkeypatch.undo()
    assert info.json["fingerprint"] == _computed_fingerprint(sample)


def test_a_one_off_rate_leaves_no_decision(sample, ipw, monkeypatch):
    assert ipw("context", sample, "--reviewer-rate", "75").code == 0
    assert ipw("metrics", sample, "--reviewer-rate", "5").code == 0
    builds = _counting_builds(monkeypatch)
    info = ipw("info", sample, "--json")
    assert info.code == 0 and builds == [1]  # computed by info itself, at the stored rate
    monkeypatch.undo()
    assert info.json["fingerprint"] == _computed_fingerprint(sample)


def test_text_info_of_a_draft_computes_no_decision(sample, ipw, monkeypatch):
    """The text lines never print a draft's fingerprint, so describing a draft nobody computed costs no
    economics (a million rows: 3 s and 400 MB before, the first time for a version of the file); --json, which
    prints it, still computes it."""
    assert ipw("context", sample, "--reviewer-rate", "75").code == 0  # a state whose decision nobody computed
    builds = _counting_builds(monkeypatch)
    info = ipw("info", sample)
    assert info.code == 0 and builds == []
    assert "signed off:     no" in info.out and "reviewer rate:  75 USD/h" in info.out
    info = ipw("info", sample, "--json")
    assert info.code == 0 and builds == [1]
    monkeypatch.undo()
    assert info.json["fingerprint"] == _computed_fingerprint(sample)

