"""Importing trace sources into a workbook: parse and validate everything first, then store it all in one
transaction, or nothing. Shared by `ipw import` and the GUI's import dialog (which runs both steps off the
GUI thread and lets the officer look at the preview in between).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop.domain.errors import DomainError
from desktop.resources import playbook
from desktop.storage.trace_store import find_imports_by_sha, stage_import
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


class _Progress:
    """Maps one step's 0..1 progress into its share of the whole run."""

    def __init__(self, control: Any, start: float, span: float, text: str) -> None:
        self.control, self.start, self.span, self.text = control, start, span, text

    def __call__(self, fraction: float) -> None:
        if self.control is not None:
            self.control.progress(self.start + self.span * fraction, self.text)

    def cancelled(self) -> bool:
        return self.control is not None and self.control.cancelled()


def parse_sources(paths: Sequence[Path], options: ImportOptions, control: Any = None) -> list[Any]:
    """Parse and validate every source; nothing is written. Unreadable sources raise ImportRefused."""
    from desktop.importers import ImportCancelled, ImportFailed, parse_source

    parsed = []
    aliases = playbook().trace_route_aliases()
    for index, path in enumerate(paths):
        step = _Progress(control, 0.6 * index / len(paths), 0.6 / len(paths), f"Reading {Path(path).name}")
        try:
            parsed.append(parse_source(Path(path), format=options.format, sheet=options.sheet,
                                       set_values=options.set_values or None,
                                       decimal_comma=options.decimal_comma, progress=step,
                                       cancel=step.cancelled, route_aliases=aliases))
        except ImportCancelled:
            raise InterruptedError("import cancelled") from None
        except ImportFailed as exc:
            raise ImportRefused(f"{Path(path).name}: {exc.message}") from None
    return parsed


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


def store_parsed(store: WorkbookStore, parsed: Sequence[Any], options: ImportOptions, control: Any = None,
                 *, active: bool = True) -> list[int]:
    """Write every parsed source inside the caller's transaction, so several sources are one import
    that lands whole or not at all; returns the new import ids, one per source."""
    check_importable(store, parsed, options)
    total = max(1, sum(p.rows_valid for p in parsed))
    done = 0
    ids = []
    for source in parsed:
        original = None
        if source.size <= options.keep_original_max_bytes:
            original = Path(source.path).read_bytes()
        details = {
            "mapping": source.mapping, "droppedColumns": source.dropped_columns, "notes": source.notes,
            "setValues": options.set_values, "sheet": source.sheet, "headerRow": source.header_row,
            "importedValidRowsOnly": bool(source.problems) and options.skip_invalid,
            "problems": [p.as_dict() for p in source.problems[:1000]],
            "problemCount": len(source.problems) + source.problems_omitted,
            "warnings": [w.as_dict() for w in source.warnings],
            "warningsAcceptedBecause": options.accept_warnings_reason if source.warnings else None,
            "originalKept": original is not None,
            "keepOriginalLimitBytes": options.keep_original_max_bytes,
        }
        base = done

        def progress(written: int, base: int = base) -> None:
            if control is not None:
                control.progress(0.6 + 0.4 * (base + written) / total, f"Storing {source.source}")

        ids.append(stage_import(
            store, source=source.source, format=source.format, sha256=source.sha256, size=source.size,
            rows_read=source.rows_read, rows_rejected=source.rows_rejected, rows=source.rows(),
            rows_expected=source.rows_valid, details=details, original=original, active=active,
            progress=progress, cancelled=(control.cancelled if control is not None else None)))
        done += source.rows_valid
    return ids
