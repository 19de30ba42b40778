"""Importing trace sources into a workbook: parse and validate everything first, then store it all in one
transaction, or nothing. Shared by `ipw import` and the GUI's import dialog, which runs `run_parse` and
`run_stage` off the GUI thread and lets the officer look at the preview in between; the staged import is
then switched on by an undoable command.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop.domain.errors import DomainError
from desktop.domain.formatting import format_count
from desktop.domain.progress import NO_PROGRESS, Progress
from desktop.importers.preflight import MACRO_NOTE
from desktop.resources import playbook
from desktop.services.workers import gc_paused
from desktop.storage.trace_store import find_imports_by_sha, open_worker_connection, stage_import
from desktop.storage.workbook_file import WorkbookStore

DEFAULT_KEEP_ORIGINAL_BYTES = 50 * 1000 * 1000


class ImportRefused(DomainError):
    """The import cannot go ahead as asked (problems, duplicates, nothing valid)."""


@dataclass
class ImportOptions:
    format: str = "auto"
    sheet: str | None = None
    set_values: dict[str, str] = field(default_factory=dict)
    decimal_comma: bool | None = None
    skip_invalid: bool = False
    allow_duplicate: bool = False
    keep_original_max_bytes: int = DEFAULT_KEEP_ORIGINAL_BYTES
    accept_warnings_reason: str | None = None  # why implausible rows were imported anyway (recorded)


def run_parse(paths: Sequence[Path], options: ImportOptions, progress: Progress | None = None) -> list[Any]:
    """Parse and validate every source; nothing is written. Unreadable sources raise ImportRefused;
    Cancelled when `progress` asks to stop."""
    with gc_paused():
        return _parse_all(paths, options, progress)


def _parse_all(paths: Sequence[Path], options: ImportOptions, progress: Progress | None) -> list[Any]:
    from desktop.importers import ImportFailed, parse_source

    parsed = []
    aliases = playbook().trace_route_aliases()
    for path in paths:
        try:
            parsed.append(parse_source(Path(path), format=options.format, sheet=options.sheet,
                                       set_values=options.set_values or None,
                                       decimal_comma=options.decimal_comma, progress=progress,
                                       route_aliases=aliases))
        except ImportFailed as exc:
            name = Path(path).name
            # most importer messages already open with the file's name: say it once
            message = exc.message if exc.message.startswith(f"{name}:") else f"{name}: {exc.message}"
            raise ImportRefused(message) from None
    return parsed


def warnings_not_listed(source: Any, listed: int, *, imported: bool, where: str = "the import's provenance") -> str:
    """The line that ends a list of `listed` of a source's plausibility warnings: how many more there are and
    where they are kept. The provenance keeps the warnings the importer lists (at most
    plausibility.MAX_WARNINGS) and the count of all; past that cap the others are counted, not kept."""
    more = f"{_plural(source.warning_count - listed, 'more plausibility warning')} not listed"
    total = format_count(source.warning_count)
    if not imported:
        return f"{source.source}: {more} ({total} in all); nothing was imported"
    if not source.warnings_omitted:
        return f"{source.source}: {more}; all {total} are kept in {where}"
    return (f"{source.source}: {more} ({total} in all); {where} keeps the first "
            f"{format_count(len(source.warnings))} and the count of all {total}")


def is_request_log(source: Any) -> bool:
    """A source of one row per request (a request log, a benchmark's per-request file), aggregated into a
    few trace rows: its rows read are requests, its valid rows are trace rows."""
    return source.format == "requests"


def _plural(count: int, word: str) -> str:
    return f"{format_count(count)} {word}{'' if count == 1 else 's'}"


def source_counts(source: Any) -> str:
    """What reading one source found, before anything is stored: '3 rows read, 2 valid, 1 rejected', or for a
    request log '5,000,000 requests read, 12 rejected, summarised into 864 trace rows'."""
    if is_request_log(source):
        return (f"{_plural(source.rows_read, 'request')} read, {format_count(source.rows_rejected)} rejected, "
                f"summarised into {_plural(source.rows_valid, 'trace row')}")
    return (f"{_plural(source.rows_read, 'row')} read, {format_count(source.rows_valid)} valid, "
            f"{format_count(source.rows_rejected)} rejected")


def import_outcome(source: Any) -> str:
    """What storing one source brought in, as `ipw import` and the import dialog say it: 'imported 3 of 3
    rows'; a request log 'summarised 5,000,000 requests into 864 trace rows' (never 'imported 864 of
    5000000 rows', which reads as if rows were dropped); requests rejected show as '4,990 of 5,000 requests'."""
    if is_request_log(source):
        used = source.rows_read - source.rows_rejected
        requests = _plural(used, "request") if not source.rows_rejected \
            else f"{format_count(used)} of {_plural(source.rows_read, 'request')}"
        return f"summarised {requests} into {_plural(source.rows_valid, 'trace row')}"
    return f"imported {format_count(source.rows_valid)} of {_plural(source.rows_read, 'row')}"


def duplicates(store: WorkbookStore, parsed: Sequence[Any]) -> list[tuple[Any, dict[str, Any]]]:
    """Sources whose bytes were imported before (same SHA-256), with the earlier import."""
    found = []
    for source in parsed:
        earlier = find_imports_by_sha(store, source.sha256)
        if earlier:
            found.append((source, earlier[0]))
    return found


def check_importable(store: WorkbookStore, parsed: Sequence[Any], options: ImportOptions) -> None:
    """Refuse unless every row is valid or the officer chose to import only the valid rows."""
    repeated = duplicates(store, parsed)
    if repeated and not options.allow_duplicate:
        names = ", ".join(f"{s.source} (import {e['importId']}, {e['importedAt']})" for s, e in repeated)
        raise ImportRefused(f"already imported: {names}; import again only on purpose (--allow-duplicate)")
    problems = sum(len(p.problems) + p.problems_omitted for p in parsed)
    if problems and not options.skip_invalid:
        raise ImportRefused(f"{problems} problem(s) found; nothing was imported")
    if sum(p.rows_valid for p in parsed) == 0:
        raise ImportRefused("no valid rows to import; nothing was imported")


def run_store(store: WorkbookStore, parsed: Sequence[Any], options: ImportOptions,
                 progress: Progress | None = None,
                 *, active: bool = True) -> list[int]:
    """Write every parsed source inside the caller's transaction, so several sources are one import
    that lands whole or not at all; returns the new import ids, one per source."""
    check_importable(store, parsed, options)
    progress = progress or NO_PROGRESS
    ids = []
    for source in parsed:
        original = None
        macros = MACRO_NOTE in source.notes  # the stored original would carry the macros: not kept
        if source.size <= options.keep_original_max_bytes and not macros:
            original = Path(source.path).read_bytes()
        details = {
            "mapping": source.mapping, "droppedColumns": source.dropped_columns, "notes": source.notes,
            "setValues": options.set_values, "sheet": source.sheet, "headerRow": source.header_row,
            "importedValidRowsOnly": bool(source.problems) and options.skip_invalid,
            "problems": [p.as_dict() for p in source.problems[:1000]],
            "problemCount": len(source.problems) + source.problems_omitted,
            "warnings": [w.as_dict() for w in source.warnings],
            "warningCount": source.warning_count,
            "warningsAcceptedBecause": options.accept_warnings_reason if source.warning_count else None,
            "originalKept": original is not None,
            "originalNotKeptReason": "the file carries macros (vbaProject.bin); only its cell values were "
                                     "imported" if macros else None,
            "keepOriginalLimitBytes": options.keep_original_max_bytes,
        }
        progress.stage(f"Storing {source.source}", source.rows_valid)
        ids.append(stage_import(
            store, source=source.source, format=source.format, sha256=source.sha256, size=source.size,
            rows_read=source.rows_read, rows_rejected=source.rows_rejected, rows=source.rows(),
            rows_expected=source.rows_valid, details=details, original=original, active=active,
            progress=progress))
    return ids


def run_stage(database: Path, parsed: Sequence[Any], options: ImportOptions,
              progress: Progress | None = None) -> list[int]:
    """Write every parsed source switched off, over a connection of its own to the working copy `database`
    (a worker thread's), in one transaction; returns the new import ids."""
    with gc_paused():
        worker = open_worker_connection(Path(database))
        try:
            with worker.transaction():
                return run_store(worker, parsed, options, progress, active=False)
        finally:
            worker.close()
