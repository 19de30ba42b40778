"""`ipw keygen`, `sign`, `revoke`, `audit` and `verify`: the headless sign-off path and tamper evidence."""

import hashlib
import json
import os
import sqlite3
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

SIGN = ["--name", "Dana Søren", "--role", "CFO", "--decision", "approve"]


def _sql(path, *statements):
    conn = sqlite3.connect(path)
    try:
        for statement in statements:
            if isinstance(statement, tuple):
                conn.execute(*statement)
            else:
                conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


def _part(path, name):
    conn = sqlite3.connect(path)
    try:
        return json.loads(conn.execute("SELECT json FROM parts WHERE name = ?", (name,)).fetchone()[0])
    finally:
        conn.close()


def test_keygen_creates_a_private_key_once(ipw, user_dirs, tmp_path):
    result = ipw("keygen", "--json")
    assert result.code == 0, result.err
    info = result.json
    key = user_dirs.data / "keys" / "signing-key.pem"
    assert info["path"] == str(key) and info["created"] is True and len(info["publicKey"]) == 64
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    again = ipw("keygen")
    assert again.code == 1 and "already exists" in again.err
    # export the existing key's public half
    pem = tmp_path / "me.pub.pem"
    shown = ipw("keygen", "--public-out", pem, "--json")
    assert shown.code == 0 and shown.json["created"] is False
    assert shown.json["publicKey"] == info["publicKey"] and pem.read_text().startswith("-----BEGIN PUBLIC KEY")
    other = ipw("keygen", "--key", tmp_path / "other.pem")
    assert other.code == 0 and (tmp_path / "other.pem").exists()


def test_sign_verify_audit_round_trip(ipw, sample, user_dirs):
    key = ipw("keygen", "--json").json
    draft = ipw("info", sample, "--json").json
    assert draft["signed"] is False and len(draft["fingerprint"]) == 64 and draft["signedFingerprint"] is None
    unsigned = ipw("verify", sample)
    assert unsigned.code == 4 and "a draft: nothing was signed" in unsigned.out

    result = ipw("sign", sample, *SIGN, "--date", "2026-11-28", "--draft-fingerprint",
                 draft["fingerprint"].upper(), "--json")
    assert result.code == 0, result.err
    signed = result.json
    assert signed["draftMatches"] is True and signed["draftFingerprint"] == draft["fingerprint"]
    assert signed["publicKey"] == key["publicKey"] and len(signed["signature"]) == 128
    assert signed["fingerprint"] != draft["fingerprint"]  # the sign-off block is part of the signed content
    assert "warning" not in result.err

    info = ipw("info", sample, "--json").json
    assert info["signed"] is True
    assert info["fingerprint"] == info["signedFingerprint"] == signed["fingerprint"]

    verified = ipw("verify", sample, "--json")
    assert verified.code == 0, verified.out
    report = verified.json
    assert report["status"] == "intact" and report["fingerprint"] == signed["fingerprint"]
    assert {c["name"]: c["ok"] for c in report["checks"]} == {
        "fingerprint": True, "signed content": True, "signature": True, "audit log": True,
        "trusted key": None}  # no key pinned: said plainly, not passed
    assert report["signer"]["approver"] == "Dana Søren" and report["keyFingerprint"] == key["keyFingerprint"]

    # the signature verifies with the public key alone, over the canonical bytes the workbook kept
    conn = sqlite3.connect(sample)
    try:
        raw = conn.execute("SELECT json FROM parts WHERE name = 'signedContent'").fetchone()[0].encode("utf-8")
    finally:
        conn.close()
    assert hashlib.sha256(raw).hexdigest() == signed["fingerprint"]
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(key["publicKey"])).verify(bytes.fromhex(signed["signature"]),
                                                                               raw)
    assert json.loads(raw)["signoff"]["approver"] == "Dana Søren"

    audit = ipw("audit", sample, "--json")
    assert audit.code == 0
    log = audit.json
    assert log["chainIntact"] is True and log["signed"] is True
    assert [(e["sequence"], e["action"], e["actor"]) for e in log["entries"]] == [(1, "sign", "Dana Søren")]
    assert log["entries"][0]["detail"]["fingerprint"] == signed["fingerprint"]
    assert log["entries"][0]["previousHash"] == "0" * 64


def test_signed_workbook_refuses_every_edit(ipw, sample):
    assert ipw("sign", sample, *SIGN, "--no-key").code == 0
    before = sample.read_bytes()
    for args in (["context", sample, "--title", "changed"],
                 ["gate", sample, "demand-shape", "--status", "failed"],
                 ["gate", sample, "demand-shape", "--item", "1", "--done"],
                 ["score", sample, "demand-forecast", "10"],
                 ["recommend", sample, "--override", "owned-hardware", "--reason", "x"],
                 ["sign", sample, *SIGN]):
        result = ipw(*args)
        assert result.code == 1, (args, result.out, result.err)
        assert "signed off" in result.err, (args, result.err)
    assert sample.read_bytes() == before
    assert ipw("verify", sample).code == 0


def test_one_changed_value_in_the_file_is_a_mismatch_named_by_path(ipw, sample):
    assert ipw("sign", sample, *SIGN, "--no-key").code == 0
    context = _part(sample, "context")
    context["title"] = context["title"] + "!"
    _sql(sample, ("UPDATE parts SET json = ? WHERE name = 'context'", (json.dumps(context),)))
    result = ipw("verify", sample)
    assert result.code == 3, result.out
    assert "MISMATCH" in result.out and "context.title" in result.out
    info = ipw("info", sample, "--json").json
    assert info["fingerprint"] != info["signedFingerprint"]


def test_changed_trace_row_and_forged_signature_are_mismatches(ipw, sample, tmp_path):
    ipw("keygen")
    assert ipw("sign", sample, *SIGN).code == 0
    copy = tmp_path / "copy.ipwb"
    copy.write_bytes(sample.read_bytes())
    _sql(sample, 'UPDATE traces SET "costUsd" = 0.01 WHERE id = 1')
    result = ipw("verify", sample, "--json")
    assert result.code == 3
    assert any(d.startswith("traces.contentSha256") for d in result.json["differences"])
    # a forged signature on an untouched copy
    signoff = _part(copy, "signoff")
    signoff["signature"] = "00" * 64
    _sql(copy, ("UPDATE parts SET json = ? WHERE name = 'signoff'", (json.dumps(signoff),)))
    forged = ipw("verify", copy, "--json")
    assert forged.code == 3
    assert {c["name"]: c["ok"] for c in forged.json["checks"]}["signature"] is False


def test_revoke_records_who_when_why_and_reopens(ipw, sample):
    assert ipw("revoke", sample, "--by", "Lee", "--reason", "nothing").code == 1  # not signed
    assert ipw("sign", sample, *SIGN, "--no-key").code == 0
    result = ipw("revoke", sample, "--by", "Lee Chen", "--reason", "New traces arrived")
    assert result.code == 0, result.err
    assert ipw("context", sample, "--title", "Reworked").code == 0
    log = ipw("audit", sample, "--json").json
    assert log["signed"] is False and log["chainIntact"] is True
    revoke = log["entries"][1]
    assert (revoke["action"], revoke["actor"]) == ("revoke", "Lee Chen")
    assert revoke["detail"]["reason"] == "New traces arrived" and revoke["at"]
    assert revoke["detail"]["fingerprint"] == log["entries"][0]["detail"]["fingerprint"]
    assert ipw("verify", sample).code == 4  # a draft again
    assert ipw("sign", sample, "--name", "Dana", "--role", "CFO", "--decision", "reject", "--no-key").code == 0
    assert ipw("verify", sample).code == 0
    assert [e["action"] for e in ipw("audit", sample, "--json").json["entries"]] == ["sign", "revoke", "sign"]


def test_removed_audit_entry_is_detected(ipw, sample, tmp_path):
    assert ipw("sign", sample, *SIGN, "--no-key").code == 0
    assert ipw("revoke", sample, "--by", "Lee", "--reason", "rework").code == 0
    assert ipw("sign", sample, *SIGN, "--no-key").code == 0
    last_removed = tmp_path / "last.ipwb"
    last_removed.write_bytes(sample.read_bytes())
    # the log is append-only: a plain DELETE is refused
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        _sql(sample, "DELETE FROM audit WHERE seq = 2")
    _sql(sample, "DROP TRIGGER audit_append_only_delete", "DELETE FROM audit WHERE seq = 2")
    audit = ipw("audit", sample)
    assert audit.code == 3 and "entry 2 is missing" in audit.out
    result = ipw("verify", sample)
    assert result.code == 3 and "entry 2 is missing" in result.out
    # removing the last entry keeps the chain intact, but the log no longer ends with this sign-off
    _sql(last_removed, "DROP TRIGGER audit_append_only_delete", "DELETE FROM audit WHERE seq = 3")
    result = ipw("verify", last_removed)
    assert result.code == 3 and "is not the sign-off this workbook holds" in result.out


def test_removed_revocation_of_a_draft_is_detected(ipw, sample):
    assert ipw("sign", sample, *SIGN, "--no-key").code == 0
    assert ipw("revoke", sample, "--by", "Lee", "--reason", "rework").code == 0
    _sql(sample, "DROP TRIGGER audit_append_only_delete", "DELETE FROM audit WHERE seq = 2")
    result = ipw("verify", sample)
    assert result.code == 3 and "ends with a sign-off" in result.out


def test_sign_options(ipw, sample):
    missing = ipw("sign", sample, "--name", "D", "--role", "CFO", "--decision", "approve-with-conditions")
    assert missing.code == 1 and "--conditions" in missing.err
    assert ipw("sign", sample, *SIGN, "--date", "28/11/2026").code == 1
    assert ipw("sign", sample, *SIGN, "--draft-fingerprint", "1234").code == 1
    assert ipw("sign", sample, "--name", "D", "--role", "CFO", "--decision", "maybe").code == 2
    assert ipw("sign", sample, "--name", " ", "--role", "CFO", "--decision", "approve").code == 1
    assert ipw("info", sample, "--json").json["signed"] is False  # nothing was written
    # a draft fingerprint that differs: warned on stderr, signed anyway, recorded
    result = ipw("sign", sample, "--name", "D", "--role", "CFO", "--decision", "approve-with-conditions",
                 "--conditions", "Review in Q3", "--draft-fingerprint", "ab" * 32, "--no-key")
    assert result.code == 0 and "warning" in result.err and "changed since the draft" in result.err
    entry = ipw("audit", sample, "--json").json["entries"][0]
    assert entry["detail"]["draftMatches"] is False and entry["detail"]["draftFingerprint"] == "ab" * 32
    assert entry["detail"]["conditions"] == "Review in Q3" and entry["detail"]["signature"] is False
    assert ipw("verify", sample).code == 0


def test_sign_with_a_named_key_and_without_one(ipw, sample, tmp_path):
    key = tmp_path / "officer.pem"
    public = ipw("keygen", "--key", key, "--json").json["publicKey"]
    result = ipw("sign", sample, *SIGN, "--key", key, "--json")
    assert result.code == 0 and result.json["publicKey"] == public
    missing = ipw("sign", tmp_path / "nope.ipwb", *SIGN, "--key", tmp_path / "missing.pem")
    assert missing.code == 1


def test_verify_nothing_to_verify_and_unknown_files(ipw, sample, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert ipw("verify", text).code == 4
    fake = tmp_path / "fake.ipwb"
    fake.write_text("not a database")
    assert ipw("verify", fake).code == 4
    assert ipw("verify", tmp_path / "missing.ipwb").code == 1
    xlsx = tmp_path / "book.xlsx"
    xlsx.write_bytes(b"PK\x03\x04")  # a zip signature and nothing else: not an export this app wrote
    result = ipw("verify", xlsx)
    assert result.code == 4 and "Traceback" not in result.out + result.err
