"""The CLI keeps the trace hash record at write time; `ipw verify` recomputes instead of trusting it."""

import sqlite3

from desktop.exports.content import traces_content_hash
from desktop.storage import trace_hash
from desktop.storage.workbook_file import open_store


def test_cli_edits_keep_the_record_and_verify_does_not_trust_it(ipw, sample):
    assert ipw("context", sample, "--title", "Hash kept").code == 0
    store = open_store(sample, writable=False)
    try:
        assert trace_hash.stored_traces_hash(store) == (traces_content_hash(store.iter_traces()), 8)
    finally:
        store.close()
    assert ipw("sign", sample, "--name", "Dana", "--role", "CFO", "--decision", "approve", "--no-key").code == 0
    conn = sqlite3.connect(sample)
    conn.execute('UPDATE traces SET "costUsd" = 0.01 WHERE id = 1')  # outside the app: the record is not touched
    conn.commit()
    conn.close()
    result = ipw("verify", sample, "--json")
    assert result.code == 3
    assert any(d.startswith("traces.contentSha256") for d in result.json["differences"])
