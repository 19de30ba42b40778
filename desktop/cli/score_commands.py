"""`ipw score`: read or set a readiness score (0-100 or not yet scored) and its note."""

from __future__ import annotations

import argparse
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from desktop.cli.common import CliError, editing, print_json, reading
from desktop.domain.playbook import ReadinessDimension
from desktop.domain.workbook import ReadinessScore, Workbook
from desktop.resources import playbook

NOT_SCORED = "none"
_INTEGER = re.compile(r"^[+-]?\d+$")


def register(subparsers: Any) -> None:
    score = subparsers.add_parser(
        "score", help="show or set a readiness score",
        description="Set a readiness dimension's score (0 to 100, or 'none' for not yet scored) and its "
                    "note. Without VALUE, prints the score (or every score without DIMENSION) and changes "
                    "nothing; with only --note, changes the note.")
    score.add_argument("file", type=Path, metavar="FILE")
    score.add_argument("dimension", nargs="?", metavar="DIMENSION",
                       help="slug or name, e.g. demand-forecast or 'Demand forecast'")
    score.add_argument("value", nargs="?", metavar="VALUE", help="a whole number 0 to 100, or 'none'")
    score.add_argument("--note", metavar="TEXT", help="the officer's note ('' clears it)")
    score.add_argument("--json", action="store_true", help="print one JSON object")
    score.set_defaults(func=cmd_score)


def parse_score(text: str) -> int | None:
    """VALUE as a score: a whole number 0 to 100, or None for 'none'; anything else is a CliError."""
    cleaned = text.strip()
    if cleaned.casefold() == NOT_SCORED:
        return None
    if not _INTEGER.match(cleaned):
        raise CliError(f"score must be a whole number from 0 to 100 or '{NOT_SCORED}' (got '{text}')")
    value = int(cleaned)
    if not 0 <= value <= 100:
        raise CliError(f"score must be from 0 to 100 (got {value})")
    return value


def score_record(dimension: ReadinessDimension, score: ReadinessScore, threshold: int) -> dict[str, Any]:
    return {"slug": dimension.slug, "dimension": dimension.name, "score": score.score,
            "referenceScore": dimension.reference_score, "note": score.note, "threshold": threshold,
            "meetsThreshold": None if score.score is None else score.score >= threshold}


def cmd_score(args: argparse.Namespace) -> int:
    book = playbook()
    if args.dimension is None:
        if args.note is not None:
            raise CliError("--note needs a DIMENSION (see 'ipw score --help')", 2)
        return _show(args, book.readiness)
    dimension = book.dimension(args.dimension)
    if args.value is None and args.note is None:
        return _show(args, (dimension,))
    changes: dict[str, Any] = {}
    if args.value is not None:
        changes["score"] = parse_score(args.value)
    if args.note is not None:
        changes["note"] = args.note.strip()
    with editing(args.file) as (_store, workbook):
        before = workbook.scores[dimension.slug]
        workbook.set_score(replace(before, **changes))
        after = workbook.scores[dimension.slug]
        threshold = workbook.context.readiness_threshold
    if args.json:
        print_json({"file": str(args.file), "previousScore": before.score,
                    **score_record(dimension, after, threshold)})
    else:
        print(f"updated {args.file}: {dimension.name} {_text(before.score)} -> {_text(after.score)} "
              f"(reference {dimension.reference_score}, threshold {threshold})")
    return 0


def _show(args: argparse.Namespace, dimensions: tuple[ReadinessDimension, ...]) -> int:
    with reading(args.file) as (_store, workbook):
        records = _records(workbook, dimensions)
    if args.json:
        print_json(records[0] if len(records) == 1 else {"file": str(args.file), "scores": records})
        return 0
    for record in records:
        line = (f"{record['dimension']:<22} {_text(record['score']):<11} "
                f"(reference {record['referenceScore']}, threshold {record['threshold']})")
        print(line + (f"  note: {record['note']}" if record["note"] else ""))
    return 0


def _records(workbook: Workbook, dimensions: tuple[ReadinessDimension, ...]) -> list[dict[str, Any]]:
    threshold = workbook.context.readiness_threshold
    return [score_record(d, workbook.scores[d.slug], threshold) for d in dimensions]


def _text(score: int | None) -> str:
    return "not scored" if score is None else str(score)
