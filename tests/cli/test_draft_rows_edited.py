"""A draft whose trace rows were edited with another tool, its trace hash record left as it was, is described
from its own rows, and never leaves decision parts that a file with the same record (the genuine draft) would
then be described with.

The edit: every row of the sample costs three times as much, so the recommendation inside the decision
content (its costs per accepted output) differs from the genuine draft's.
"""

import shutil
import sqlite3

from desktop.exports import content
from desktop.resources import playbook
from desktop.storage.workbook_file import open_store


def _computed(path):
    store = open_store(path, writable=False)
    try:
        return content.build_decision(store, store.load(playbook()), playbook()).fingerprint
    finally:
        store.close()


def _edited_copy(path, tmp_path):
    copy = tmp_path / "edited.ipwb"
    shutil.copyfile(path, copy)
    conn = sqlite3.connect(copy)
    conn.execute("UPDATE traces SET costUsd = costUsd * 3")
    conn.commit()
    conn.close()
    return copy


def test_an_edited_draft_never_stands_in_for_the_genuine_one(sample, ipw, tmp_path):
    genuine = ipw("info", sample, "--json").json["fingerprint"]
    edited = _edited_copy(sample, tmp_path)
    described = ipw("info", edited, "--json").json["fingerprint"]
    assert described == _computed(edited) != genuine
    assert ipw("info", sample, "--json").json["fingerprint"] == genuine == _computed(sample)
    assert ipw("info", edited, "--json").json["fingerprint"] == described  # and again, the same
