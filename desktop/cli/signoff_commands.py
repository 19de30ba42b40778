"""`ipw keygen`, `ipw sign`, `ipw revoke`, `ipw audit` and `ipw verify`: sign-off and tamper evidence."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from desktop.cli.common import EXIT_MISMATCH, CliError, locked_store, print_json
from desktop.domain.audit import chain_problems
from desktop.resources import playbook
from desktop.services.signoff import DECISIONS, group_fingerprint, run_revoke, run_sign
from desktop.storage.workbook_file import check_is_workbook, open_store


def register(subparsers: Any) -> None:
    keygen = subparsers.add_parser(
        "keygen", help="create your Ed25519 signing key",
        description="Create an Ed25519 signing key kept on this machine (readable by you only). Without "
                    "--key it goes to your data folder, where 'ipw sign' finds it.")
    keygen.add_argument("--key", type=Path, metavar="PATH", help="where to create the key (never overwritten)")
    keygen.add_argument("--public-out", type=Path, metavar="PATH",
                        help="also write the public key as PEM to PATH (with an existing key: only this)")
    keygen.add_argument("--json", action="store_true", help="print one JSON object")
    keygen.set_defaults(func=cmd_keygen)

    sign = subparsers.add_parser(
        "sign", help="sign a workbook off (it becomes read-only)",
        description="Record the approver's sign-off: the content's fingerprint is stored and, with a signing "
                    "key (--key, or your key from 'ipw keygen'), an Ed25519 signature. The workbook is then "
                    "read-only until 'ipw revoke'.")
    sign.add_argument("file", type=Path, metavar="FILE")
    sign.add_argument("--name", required=True, help="approver's name")
    sign.add_argument("--role", required=True, help="approver's role")
    sign.add_argument("--decision", required=True, choices=list(DECISIONS))
    sign.add_argument("--conditions", default="", metavar="TEXT", help="required with approve-with-conditions")
    sign.add_argument("--date", metavar="YYYY-MM-DD", help="date of the decision (default today)")
    sign.add_argument("--draft-fingerprint", metavar="HEX",
                      help="fingerprint printed on the draft the approver read (a difference is warned about "
                           "and recorded)")
    keys = sign.add_mutually_exclusive_group()
    keys.add_argument("--key", type=Path, metavar="PATH", help="sign with this private key")
    keys.add_argument("--no-key", action="store_true", help="record the fingerprint only, without a signature")
    sign.add_argument("--json", action="store_true", help="print one JSON object")
    sign.set_defaults(func=cmd_sign)

    revoke = subparsers.add_parser(
        "revoke", help="revoke a sign-off (recorded in the audit log)",
        description="Revoke the sign-off so the workbook can be edited again; who and why are recorded in "
                    "the append-only audit log.")
    revoke.add_argument("file", type=Path, metavar="FILE")
    revoke.add_argument("--by", required=True, metavar="NAME", help="who revokes")
    revoke.add_argument("--reason", required=True, metavar="TEXT", help="why")
    revoke.set_defaults(func=cmd_revoke)

    audit = subparsers.add_parser("audit", help="show the sign-off audit log and its chain status",
                                  description="Show the audit log (sign-offs and revocations) and whether its "
                                              "hash chain is intact (exit 3 when it is not).")
    audit.add_argument("file", type=Path, metavar="FILE")
    audit.add_argument("--json", action="store_true", help="print one JSON object")
    audit.set_defaults(func=cmd_audit)

    verify = subparsers.add_parser(
        "verify", help="check a workbook or an export against its fingerprint and signature",
        description="Verify a workbook (.ipwb), an exported .xlsx or an exported .pdf. Exit 0: intact; "
                    "3: changed (what differs is listed, the headline names the failing check); 4: nothing "
                    "to verify (a draft: nothing was signed, or not our file).")
    verify.add_argument("file", type=Path, metavar="FILE")
    verify.add_argument("--workbook", type=Path, metavar="WB",
                        help="the workbook an export came from: its export record and whether the sign-off "
                             "is still current (not revoked or superseded)")
    verify.add_argument("--trusted-key", action="append", default=[], metavar="FINGERPRINT",
                        help="a key fingerprint you trust (repeatable; also read from trusted-keys.txt in your "
                             "config folder); a signature by any other key, or none, is a mismatch")
    verify.add_argument("--json", action="store_true", help="print one JSON object")
    verify.set_defaults(func=cmd_verify)


def cmd_keygen(args: argparse.Namespace) -> int:
    from desktop.exports import pdf_signature, signing

    path = args.key
    if args.public_out is not None and signing.key_exists(path):
        info = signing.key_info(path)
        created = False
    elif signing.key_exists(path) and pdf_signature.own_credentials(path) is None:
        info, created = signing.key_info(path), False  # a key from before PDF signing: add its certificate
    else:
        info = signing.generate_key(path)
        created = True
    pdf = pdf_signature.ensure_own_credentials(path)
    if args.public_out is not None:
        signing.write_public_key(args.public_out, info.public_key)
    if args.json:
        print_json({"path": str(info.path), "created": created, "publicKey": info.public_key,
                    "keyFingerprint": info.fingerprint, "algorithm": signing.ALGORITHM,
                    "publicKeyFile": str(args.public_out) if args.public_out else None,
                    "pdfCertificate": str(pdf[0]), "pdfKeyFingerprint": pdf[1], "pdfCertificateCreated": pdf[2]})
        return 0
    print(f"{'created' if created else 'existing'} signing key {info.path}")
    print(f"  public key       {info.public_key}")
    print(f"  key fingerprint  {info.fingerprint}   (what an auditor pins: ipw verify --trusted-key)")
    print(f"  {'created' if pdf[2] else 'existing'} PDF signing certificate {pdf[0]} (RSA-{pdf_signature.RSA_BITS}, "
          f"key {pdf[1]}, vouched for by the key above)")
    if args.public_out is not None:
        print(f"  public key (PEM) written to {args.public_out}")
    if created:
        print("  keep the key file private; share the public key or its fingerprint with whoever verifies")
    return 0


def cmd_sign(args: argparse.Namespace) -> int:
    from desktop.exports import signing

    if args.decision == "approve-with-conditions" and not args.conditions.strip():
        raise CliError("--decision approve-with-conditions needs --conditions TEXT")
    key = None
    key_note = "no signing key: the fingerprint is recorded without a signature (create one with 'ipw keygen')"
    if args.key is not None:
        key = signing.load_private_key(args.key)
    elif not args.no_key and signing.key_exists():
        key = signing.load_private_key()
    if args.no_key:
        key_note = "fingerprint recorded without a signature (--no-key)"
    with locked_store(args.file) as store:
        workbook = store.load(playbook())
        result = run_sign(store, workbook, playbook(), approver=args.name, role=args.role,
                          decision=args.decision, conditions=args.conditions, date=args.date,
                          draft_fingerprint=args.draft_fingerprint, private_key=key)
    signoff = result.signoff
    if result.draft_matches is False:
        sys.stderr.write(
            f"ipw: warning: the content changed since the draft the approver read (draft {args.draft_fingerprint}, "
            f"content now {result.draft_fingerprint}); signed anyway and recorded\n")
    if args.json:
        print_json({"file": str(args.file), "fingerprint": signoff.fingerprint,
                    "draftFingerprint": result.draft_fingerprint, "draftMatches": result.draft_matches,
                    "signature": signoff.signature, "publicKey": signoff.public_key,
                    "keyFingerprint": signing.key_fingerprint(signoff.public_key) if signoff.public_key else None,
                    "decision": signoff.decision, "approver": signoff.approver, "role": signoff.role,
                    "date": signoff.date, "auditEntry": result.entry.sequence})
        return 0
    print(f"signed off {args.file}: {DECISIONS[signoff.decision]} by {signoff.approver} ({signoff.role}), "
          f"{signoff.date}")
    print(f"  fingerprint  {group_fingerprint(signoff.fingerprint)}")
    if signoff.signature:
        print(f"  signed with key {signing.key_fingerprint(signoff.public_key)}")
    else:
        print(f"  {key_note}")
    print("  the workbook is now read-only; 'ipw revoke' reopens it for changes")
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    with locked_store(args.file) as store:
        workbook = store.load(playbook())
        entry = run_revoke(store, workbook, by=args.by, reason=args.reason)
    print(f"revoked the sign-off of {args.file} (audit entry {entry.sequence}); the workbook can be edited again")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    check_is_workbook(args.file)
    store = open_store(args.file, writable=False)
    try:
        workbook = store.load(playbook())
    finally:
        store.close()
    problems = chain_problems(workbook.audit)
    entries = [{"sequence": e.sequence, "action": e.action, "actor": e.actor, "at": e.at, "detail": e.detail,
                "previousHash": e.previous_hash, "entryHash": e.entry_hash} for e in workbook.audit]
    if args.json:
        print_json({"file": str(args.file), "chainIntact": not problems, "problems": problems,
                    "signed": workbook.signed, "entries": entries})
    else:
        print(f"{args.file}: audit log of {len(entries)} entr{'y' if len(entries) == 1 else 'ies'}, "
              + ("hash chain intact" if not problems else "HASH CHAIN BROKEN"))
        for e in workbook.audit:
            what = e.detail.get("reason") if e.action == "revoke" else e.detail.get("decision")
            print(f"  {e.sequence:>3}  {e.at}  {e.action:<7} {e.actor}: {what or ''}")
            if e.detail.get("fingerprint"):
                print(f"       fingerprint {e.detail['fingerprint']}")
        for problem in problems:
            print(f"  problem: {problem}")
    return EXIT_MISMATCH if problems else 0


def cmd_verify(args: argparse.Namespace) -> int:
    from desktop.exports.verify import verify_path

    from desktop.exports.verify_trust import TrustedKeyError, load_trusted_keys

    try:
        trusted = load_trusted_keys(args.trusted_key)
    except TrustedKeyError as exc:
        raise CliError(str(exc)) from None
    try:
        report = verify_path(args.file, args.workbook, trusted_keys=trusted)
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print_json(report.to_json())
    else:
        print("\n".join(report.lines()))
    return report.exit_code
