"""`ipw gate FILE GATE`: show one decision gate with its numbered checklist, or change it.

Without options it prints the gate and changes nothing. The options follow the GUI's rules exactly
(`desktop.domain.gates`): passing with open items needs a justification, item numbers are 1-based, and an
evidence file must exist. Every refusal exits 1 with one line and leaves the file as it was.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from desktop.cli.common import EXIT_USAGE, CliError, editing, print_json, reading
from desktop.domain import evidence as evidence_rules
from desktop.domain import gates as rules
from desktop.domain.playbook import Gate
from desktop.domain.workbook import EvidenceRef, GateAssessment, GateStatus, ItemState
from desktop.resources import playbook
from desktop.storage import evidence as evidence_files

STATUSES = [s.value for s in GateStatus]
ITEM_OPTIONS = (("done", "--done"), ("not_done", "--not-done"), ("owner", "--owner"), ("evidence", "--evidence"),
                ("evidence_id", "--evidence-id"), ("embed", "--embed"))


def register(subparsers: Any) -> None:
    gate = subparsers.add_parser(
        "gate", help="show a decision gate, or set its verdict, note and checklist items",
        description="Show a decision gate with its checklist items numbered (changes nothing), or change it. "
                    "Gate-level options act on the gate; with --item N, --done/--not-done/--note/--owner/"
                    "--evidence/--evidence-id/--embed act on checklist item N.")
    gate.add_argument("file", type=Path, metavar="FILE")
    gate.add_argument("gate", metavar="GATE", help="gate slug or name, e.g. demand-shape")
    gate.add_argument("--status", choices=STATUSES, help="the verdict")
    gate.add_argument("--justification", metavar="TEXT",
                      help="why the gate may pass with open items (kept, shown in exports as an exception)")
    gate.add_argument("--note", metavar="TEXT", help="the gate's note, or item N's note with --item")
    gate.add_argument("--item", metavar="N", help="checklist item number (see the listing)")
    done = gate.add_mutually_exclusive_group()
    done.add_argument("--done", action="store_true", help="mark item N done")
    done.add_argument("--not-done", action="store_true", help="mark item N open")
    gate.add_argument("--owner", metavar="NAME", help="who collects item N's evidence")
    source = gate.add_mutually_exclusive_group()
    source.add_argument("--evidence", type=Path, metavar="PATH", help="attach a file as item N's evidence")
    source.add_argument("--evidence-id", metavar="TEXT", help="a document id or URL as item N's evidence")
    gate.add_argument("--embed", action="store_true",
                      help="embed the evidence file's bytes in the workbook "
                           f"(up to {evidence_rules.format_size(evidence_rules.DEFAULT_EMBED_CAP_BYTES)})")
    gate.add_argument("--json", action="store_true", help="print the gate as one JSON object")
    gate.set_defaults(func=cmd_gate)


def cmd_gate(args: argparse.Namespace) -> int:
    if args.item is None:
        stray = [flag for attr, flag in ITEM_OPTIONS if getattr(args, attr) not in (None, False)]
        if stray:
            verb = "needs" if len(stray) == 1 else "need"
            raise CliError(f"{' and '.join(stray)} {verb} --item N: they act on a checklist item "
                           "(see 'ipw gate --help')", EXIT_USAGE)
    definition = playbook().gate(args.gate)
    changes = args.status is not None or args.justification is not None or args.note is not None or args.item
    if not changes:
        with reading(args.file) as (_store, workbook):
            assessment = workbook.gates[definition.slug]
        _show(args, definition, assessment)
        return 0
    number = _item_number(args.item) if args.item is not None else None
    evidence_path = None
    if args.evidence is not None:
        evidence_path = _evidence_file(args.evidence)
    with editing(args.file) as (store, workbook):
        gate = workbook.gates[definition.slug]
        if number is not None:
            rules.check_item_number(gate, number)
            item = gate.items[number - 1]
            evidence = item.evidence
            if evidence_path is not None:
                evidence = evidence_files.attach_file(evidence_path, args.file, store=store, embed=args.embed)
            elif args.evidence_id is not None:
                evidence = evidence_files.text_reference(args.evidence_id)
            elif args.embed:
                if evidence is None or evidence.kind != "file":
                    raise CliError(f"item {number} of gate '{definition.slug}' has no evidence file to embed")
                evidence = evidence_files.embed(evidence, args.file, store)
            done = True if args.done else False if args.not_done else item.done
            item = ItemState(done=done, note=item.note if args.note is None else args.note.strip(),
                             owner=item.owner if args.owner is None else args.owner.strip(), evidence=evidence)
            gate = rules.set_item(gate, number, item)
        elif args.note is not None:
            gate = rules.set_note(gate, args.note)
        if args.status is not None:
            gate = rules.set_verdict(gate, GateStatus(args.status), args.justification)
        elif args.justification is not None:
            gate = rules.set_justification(gate, args.justification)
        workbook.set_gate(gate)
    if args.json:
        print_json(gate_json(definition, gate, args.file))
    else:
        progress = rules.gate_progress(gate)
        print(f"updated {args.file}: {definition.name} is {gate.status.label.lower()}, "
              f"{progress.done} of {progress.total} items done")
    return 0


def _item_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise CliError(f"--item needs an item number, not '{text}'") from None


def _evidence_file(path: Path) -> Path:
    if not path.exists():
        raise CliError(f"evidence file {path} does not exist (nothing was changed)")
    if not path.is_file():
        raise CliError(f"evidence {path} is not a file (nothing was changed)")
    return path


# -- output ------------------------------------------------------------------------------------------

def evidence_json(ref: EvidenceRef | None, workbook_path: Path) -> dict[str, Any] | None:
    if ref is None:
        return None
    return {"kind": ref.kind, "text": ref.text, "path": ref.path, "sha256": ref.sha256, "size": ref.size,
            "attachedAt": ref.attached_at, "embedded": ref.embedded,
            "check": evidence_files.check(ref, workbook_path).value}


def gate_json(definition: Gate, gate: GateAssessment, workbook_path: Path) -> dict[str, Any]:
    progress = rules.gate_progress(gate)
    return {
        "slug": definition.slug,
        "name": definition.name,
        "number": [g.slug for g in playbook().gates].index(definition.slug) + 1,
        "buyerQuestion": definition.buyer_question,
        "evidenceNeeded": definition.evidence_needed,
        "status": gate.status.value,
        "justification": gate.justification,
        "exception": gate.is_exception,
        "note": gate.note,
        "failureIfSkipped": definition.failure_if_skipped,
        "warning": definition.failure_if_skipped if rules.shows_skip_warning(gate) else None,
        "itemsDone": progress.done,
        "itemsTotal": progress.total,
        "items": [{"number": spec.number, "text": spec.text, "done": item.done, "note": item.note,
                   "owner": item.owner, "evidence": evidence_json(item.evidence, workbook_path)}
                  for spec, item in zip(definition.checklist, gate.items)],
    }


def _show(args: argparse.Namespace, definition: Gate, gate: GateAssessment) -> None:
    data = gate_json(definition, gate, args.file)
    if args.json:
        print_json(data)
        return
    lines = [f"{definition.name} ({definition.slug}), gate {data['number']} of {len(playbook().gates)}",
             f"  buyer question:  {definition.buyer_question}",
             f"  evidence needed: {definition.evidence_needed}",
             f"  verdict:         {gate.status.label.lower()}"]
    if gate.justification:
        marker = " (exception: passed with open items)" if gate.is_exception else ""
        lines.append(f"  justification:   {gate.justification}{marker}")
    lines.append(f"  note:            {gate.note or '-'}")
    lines.append(f"  checklist:       {data['itemsDone']} of {data['itemsTotal']} done")
    for entry in data["items"]:
        lines.append(f"    {entry['number']}. [{'x' if entry['done'] else ' '}] {entry['text']}")
        if entry["owner"]:
            lines.append(f"         owner:    {entry['owner']}")
        if entry["note"]:
            lines.append(f"         note:     {entry['note']}")
        ref = entry["evidence"]
        if ref is not None:
            lines.append(f"         evidence: {_evidence_line(ref)}")
    if data["warning"]:
        lines.append(f"  warning (not passed): if skipped, {data['warning']}")
    print("\n".join(lines))


def _evidence_line(ref: dict[str, Any]) -> str:
    if ref["kind"] == "text":
        return f"{ref['text']} (document id or URL)"
    parts = [f"sha256 {evidence_rules.short_hash(ref['sha256'])}", evidence_rules.format_size(ref["size"]),
             f"attached {ref['attachedAt']}"]
    if ref["embedded"]:
        parts.append("embedded")
    state = {"unchanged": "unchanged", "changed": "CHANGED since attached",
             "missing": "MISSING"}.get(ref["check"], ref["check"])
    return f"{ref['path']} ({', '.join(parts)}) - {state}"
