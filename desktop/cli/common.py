"""The CLI contract shared by every `ipw` subcommand: exit codes, one-line errors, JSON output, editing."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:  # loaded by the commands that open a workbook, so `ipw --version` stays light
    from desktop.domain.workbook import Workbook
    from desktop.storage.workbook_file import WorkbookStore

EXIT_OK = 0
EXIT_INVALID = 1  # invalid input or refused operation
EXIT_USAGE = 2
EXIT_MISMATCH = 3  # verification found a mismatch
EXIT_NOTHING_TO_VERIFY = 4
EXIT_INTERNAL = 70


class CliError(Exception):
    """A failure reported as one line `ipw: error: ...` with an exit code."""

    def __init__(self, message: str, code: int = EXIT_INVALID) -> None:
        super().__init__(message)
        self.code = code


class Parser(argparse.ArgumentParser):
    """argparse with the CLI contract's usage errors: one line on stderr, exit 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"ipw: error: {message} (see '{self.prog} --help')\n")
        sys.exit(EXIT_USAGE)


def finite_number(text: str) -> float:
    """argparse type for a finite number (NaN and infinities are refused as usage errors)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"'{text}' is not a finite number")
    return value


def print_json(data: Any) -> None:
    """One UTF-8 JSON object on stdout; NaN and infinities become null."""
    text = json.dumps(_no_nan(data), ensure_ascii=False, allow_nan=False, indent=2)
    sys.stdout.buffer.write(text.encode("utf-8") + b"\n")
    sys.stdout.flush()


def _no_nan(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_no_nan(v) for v in value]
    return value


JSON_ROWS_PER_WRITE = 2_000


def print_json_with_rows(data: dict[str, Any], key: str, rows: Iterable[dict[str, Any]]) -> None:
    """`print_json` of `{key: [rows...], **data}`, byte for byte, with the rows encoded and written a batch at
    a time instead of held as one list (a million rows' dicts would be gigabytes)."""
    def batches() -> Iterator[str]:
        remaining = iter(rows)
        while batch := list(islice(remaining, JSON_ROWS_PER_WRITE)):
            yield ",\n".join(map(row_json, batch))
    print_json_with_row_texts(data, key, batches())


def print_json_with_row_texts(data: dict[str, Any], key: str, batches: Iterable[str]) -> None:
    """`print_json_with_rows` for rows already encoded: each batch is one or more rows as `row_json` writes
    them, joined with ",\n" (empty batches are skipped). Nothing is written before the first batch is there,
    so a failure reading the first rows leaves stdout empty."""
    write = sys.stdout.buffer.write
    opening = "{\n  " + json.dumps(key) + ": ["
    written = False
    for batch in batches:
        if batch:
            write(((",\n" if written else opening + "\n") + batch).encode("utf-8"))
            written = True
    if not written:
        write(opening.encode("utf-8"))
    if not data:
        write(b"\n  ]\n}\n" if written else b"]\n}\n")
        sys.stdout.flush()
        return
    write(b"\n  ],\n" if written else b"],\n")
    # The rest as it comes from the encoder too: a million rows' p95 pairs are millions of small strings.
    pending: list[str] = []
    size, skip = 0, len("{\n")  # the object's opening is written above
    for chunk in json.JSONEncoder(ensure_ascii=False, allow_nan=False, indent=2).iterencode(_no_nan(data)):
        if skip:
            chunk, skip = chunk[skip:], max(0, skip - len(chunk))
        pending.append(chunk)
        size += len(chunk)
        if size >= 1 << 20:
            write("".join(pending).encode("utf-8"))
            pending, size = [], 0
    write("".join(pending).encode("utf-8") + b"\n")
    sys.stdout.flush()


# A flat row (scalars only) in the indented layout, through the C encoder: with `indent` set, json encodes in
# Python, several times slower; the separators give the same text for a dict two levels deep.
_FLAT_ROW = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",\n      ", ": "))
_SCALARS = (str, int, float, bool, type(None))


def row_json(row: dict[str, Any]) -> str:
    """One row as `print_json` writes it inside an array under the object's first key: four spaces in, its
    keys six."""
    if row and all(isinstance(value, _SCALARS) for value in row.values()):
        try:
            return "    {\n      " + _FLAT_ROW.encode(row)[1:-1] + "\n    }"
        except ValueError:  # NaN or an infinity: print_json writes null
            pass
    text = json.dumps(_no_nan(row), ensure_ascii=False, allow_nan=False, indent=2)
    return "    " + text.replace("\n", "\n    ")


def quiet_broken_pipe() -> None:
    """After the reader of stdout went away (`ipw traces FILE | head`): what is still buffered goes nowhere,
    so the interpreter's own flush at exit neither fails nor prints "Exception ignored"."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real file behind stdout (a test's capture): nothing to do
        pass


@contextmanager
def reading(path: Path) -> Iterator[tuple[WorkbookStore, Workbook]]:
    """The workbook read-only; nothing is written, and a file being edited elsewhere can still be read."""
    from desktop.resources import playbook
    from desktop.storage.workbook_file import newer_note, open_store

    store = open_store(Path(path), writable=False)
    note = newer_note(store)
    if note:
        sys.stderr.write(f"ipw: warning: {note}\n")
    try:
        yield store, store.load(playbook())
    finally:
        store.close()


@contextmanager
def locked_store(path: Path) -> Iterator[WorkbookStore]:
    """The workbook file open for writing under its lock; refuses one another process is editing."""
    from desktop.storage.lock import WorkbookLock
    from desktop.storage.workbook_file import check_is_workbook, open_store, remove_orphan_temps

    path = Path(path)
    check_is_workbook(path)
    lock = WorkbookLock(path)
    if not lock.acquire():  # a hostile lock path raises LockRefused: one line, exit 1
        if lock.read_only_place:
            raise CliError(f"cannot change {path}: {lock.refusal}; it can only be read (copy it to a writable "
                           "folder to edit it; nothing was changed)")
        raise CliError(f"{path} is being edited by {lock.describe_holder()}; close it there and try again")
    try:
        remove_orphan_temps(path)  # under the lock no save of this workbook is running: leftovers are a crash's
        store = open_store(path, writable=True)
        try:
            yield store
        finally:
            store.close()
    finally:
        lock.release()


@contextmanager
def editing(path: Path) -> Iterator[tuple[WorkbookStore, Workbook]]:
    """The workbook for one command's edits, committed as one transaction at the end.

    Refuses a workbook another process is editing and a signed-off workbook (exit 1, file unchanged).
    """
    from desktop.resources import playbook

    with locked_store(path) as store:
        workbook = store.load(playbook())
        workbook.ensure_editable()
        with store.transaction():
            yield store, workbook
            store.write_document(workbook)
        # Kept up to date at write time, so describing the workbook never rehashes its rows.
        from desktop.storage.trace_hash import refresh_traces_hash
        refresh_traces_hash(store)
