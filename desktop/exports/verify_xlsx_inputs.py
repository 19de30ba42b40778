"""The input cells of an exported Excel workbook against its embedded decision content.

The decision sheets (Summary, matrix, gates, readiness) are compared cell by cell elsewhere
(`verify_export.verify_xlsx`); the Metrics sheet's formulas, though, read the trace values on the Traces
sheet(s), and the Assumptions sheet repeats the rates and volumes. A changed trace value changes what the
formulas show without touching a decision cell, so:

- the trace rows are read back from every Traces sheet, in order, and hashed exactly as the workbook hashes
  its trace rows (`desktop.exports.content.traces_content_hash`); the hash and the row count must equal the
  `traces` block of the embedded content;
- the Assumptions sheet's reviewer rate, target p95 and each workload's monthly volume must equal the
  content's buyer context.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from desktop.exports.verify import Check

_TRACES_SHEET = re.compile(r"^Traces( \((\d+)\))?$")
_MISSING_FINITE = "not a finite number"
CALAMINE_MAX_XML_BYTES = 1024 ** 3


def _traces_sheets(book: Any) -> list[str]:
    names = book.sheetnames if hasattr(book, "sheetnames") else book.sheet_names  # openpyxl or calamine
    found = [(int(m.group(2) or 1), name) for name in names if (m := _TRACES_SHEET.match(name))]
    return [name for _, name in sorted(found)]


def _cell_value(value: Any) -> Any:
    from desktop.exports.excel_text import unescape_cell_text

    if isinstance(value, str):
        return math.nan if value == _MISSING_FINITE else unescape_cell_text(value)
    return value


def read_trace_rows(book: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """The trace rows as the Traces sheets show them (field names as the store uses them), and problems."""
    from desktop.exports.excel_layout import HEADER_ROW

    problems: list[str] = []
    sheets = ((name, book[name].iter_rows(min_row=HEADER_ROW + 1, values_only=True)) for name in _traces_sheets(book))
    rows = list(_sheet_rows(sheets, None, _cell_value, lambda name: problems.append(
        f"{name}: the column headers are not the trace fields the export writes")))
    return rows, problems


def _sheet_rows(sheets: Iterable[tuple[str, Iterator[Sequence[Any]]]], blank: Any, text: Callable[[str], Any],
                bad_header: Callable[[str], None], seen: dict[str, Any] | None = None,
                null_extras: tuple[str, ...] = ()) -> Iterator[dict[str, Any]]:
    """The trace rows of each (sheet name, its rows from the header row on), as the store names the fields:
    a cell equal to `blank` is empty, text goes through `text`; a sheet whose header is not the export's goes
    to `bad_header` and is skipped. `seen` counts the rows and collects the extras that hold a value."""
    from desktop.domain.trace import FIELD_NAMES
    from desktop.exports.excel_formulas import trace_columns

    _, fixed_labels = trace_columns(())
    fixed = 2 + len(FIELD_NAMES)
    for name, sheet_rows in sheets:
        labels = ["" if v is None or v == blank else str(v) for v in next(sheet_rows, ())]
        if labels[:len(fixed_labels)] != fixed_labels:
            bad_header(name)
            continue
        extras = [label for label in labels[len(fixed_labels):] if label]
        names = ["id", "importId", *FIELD_NAMES, *extras]
        for values in sheet_rows:
            cells = [None if v == blank else v for v in values[:len(names)]]
            cells += [None] * (len(names) - len(cells))
            if all(v is None for v in cells) or cells[0] == "No trace rows are imported.":
                continue
            row = dict.fromkeys(null_extras)
            row.update((n, text(v) if v.__class__ is str else v) for n, v in zip(names[:fixed], cells))
            for extra, v in zip(extras, cells[fixed:]):
                if v is not None:
                    row[extra] = text(v) if v.__class__ is str else v
                    if seen is not None:
                        seen["extras"].add(extra)
            if seen is not None:
                seen["rows"] += 1
            yield row


def quick_trace_match(path: Path, sha256: Any, count: Any) -> int | None:
    """The number of trace rows when the Traces sheets, read by calamine, hash to `sha256` and number `count`;
    None otherwise. Calamine (Rust) reads a million rows in seconds, against a minute or more for openpyxl's
    XML parse, and the rows are hashed as they stream (no list of them). Each way of writing line ends and of
    absent extras that `_hashes` tries is a pass of its own, made only when the rows hold such text or extras.
    Calamine gives every number as a float and an empty cell as "", so only a match is taken from it; anything
    else (or calamine missing or refusing the file) is read again with openpyxl, which says what differs."""
    from desktop.exports.content import traces_content_hash

    try:
        if not _calamine_can_hold(path):
            return None
        seen: dict[str, Any] = {"rows": 0, "newline": False, "extras": set()}
        if traces_content_hash(_calamine_rows(path, seen)) == sha256:
            return seen["rows"] if str(seen["rows"]) == str(count) else None
        if str(seen["rows"]) != str(count):
            return None
        for line_end in ("\n", "\r\n", "\r") if seen["newline"] else ("\n",):
            for extras in ((), tuple(sorted(seen["extras"]))) if seen["extras"] else ((),):
                if (line_end, extras) != ("\n", ()) and traces_content_hash(
                        _calamine_rows(path, {"rows": 0, "newline": False, "extras": set()}, line_end,
                                       extras)) == sha256:
                    return seen["rows"]
    except (KeyboardInterrupt, SystemExit):
        raise
    # Missing, refused, or a Rust panic on a crafted file (pyo3's PanicException is a BaseException):
    # openpyxl reads the file instead and says what is wrong with it.
    except BaseException:  # noqa: BLE001
        return None
    return None


def _calamine_can_hold(path: Path) -> bool:
    """Calamine holds a whole sheet (and the shared strings) in memory, about 1.8 times its XML: take it only
    while the largest sheet and the shared strings stay under CALAMINE_MAX_XML_BYTES uncompressed (a million
    trace rows: 824 MB, 1.5 GB peak), so a file that inflates to more (a zip bomb) is streamed by openpyxl."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        sizes = [(info.filename, info.file_size) for info in archive.infolist()]
    largest_sheet = max((size for name, size in sizes if name.startswith("xl/worksheets/")), default=0)
    strings = sum(size for name, size in sizes if name == "xl/sharedStrings.xml")
    return largest_sheet + strings <= CALAMINE_MAX_XML_BYTES


def _calamine_rows(path: Path, seen: dict[str, Any], line_end: str = "\n",
                   null_extras: tuple[str, ...] = ()) -> Iterator[dict[str, Any]]:
    from python_calamine import CalamineWorkbook

    from desktop.exports.excel_layout import HEADER_ROW
    from desktop.exports.excel_text import unescape_cell_text

    def text_value(text: str) -> Any:
        if text == _MISSING_FINITE:
            return math.nan
        text = unescape_cell_text(text)
        if "\n" in text:
            seen["newline"] = True
            return text if line_end == "\n" else text.replace("\n", line_end)
        return text

    def bad_header(name: str) -> None:
        raise ValueError(f"{name}: not the export's trace columns")

    def sheets() -> Iterator[tuple[str, Iterator[Sequence[Any]]]]:
        book = CalamineWorkbook.from_path(str(path))
        for name in _traces_sheets(book):
            rows = book.get_sheet_by_name(name).iter_rows()
            for _ in range(HEADER_ROW):
                next(rows, None)
            yield name, rows

    return _sheet_rows(sheets(), "", text_value, bad_header, seen, null_extras)


def trace_input_check(book: Any, content: Mapping[str, Any], path: Path | None = None) -> tuple[Check, list[str]]:
    traces = content.get("traces") or {}
    quick = quick_trace_match(path, traces.get("contentSha256"), traces.get("count")) if path is not None else None
    if quick is not None:
        return Check("trace input cells", True, f"the {quick} trace row(s) the Metrics formulas read are the "
                     "ones the content records"), []
    rows, problems = read_trace_rows(book)
    differences = list(problems)
    if not problems:
        if str(len(rows)) != str(traces.get("count")):
            differences.append(f"Traces: {len(rows)} trace row(s) shown, the content records {traces.get('count')}")
        elif traces.get("contentSha256") not in _hashes(rows):
            lossy = _lossy_cells(rows)
            if lossy:
                return Check("trace input cells", None, f"not compared exactly: {lossy} trace text cell(s) show text "
                             "the export had to change for Excel (control characters or a cut at the cell limit), "
                             f"so the {len(rows)} row(s) cannot be hashed back"), []
            differences.append("Traces: the trace values shown do not hash to the content's trace hash "
                               f"{traces.get('contentSha256')}: a value the Metrics formulas read was changed")
    ok = not differences
    return Check("trace input cells", ok, f"the {len(rows)} trace row(s) the Metrics formulas read are the ones the "
                 "content records" if ok else differences[0]), differences


def _lossy_cells(rows: list[dict[str, Any]]) -> int:
    from desktop.exports.excel_text import CONTROL_MARK

    return sum(1 for row in rows for v in row.values()
               if isinstance(v, str) and (CONTROL_MARK in v or "more characters not shown]" in v))


def _hashes(rows: list[dict[str, Any]]) -> Iterator[str]:
    """The trace hash of the rows as read, with each way of writing line ends, and with absent extras as null
    (the importers never store a null extra; other writers might)."""
    from desktop.domain.trace import FIELD_NAMES
    from desktop.exports.content import traces_content_hash

    extras = {k for row in rows for k in row} - {"id", "importId", *FIELD_NAMES}
    newline = any(isinstance(v, str) and "\n" in v for row in rows for v in row.values())
    # The export writes "\r\n" and "\r" as "\n" (excel.clean_text): try each for all of a file's line ends.
    for line_end in ("\n", "\r\n", "\r") if newline else ("\n",):
        shown = rows if line_end == "\n" else [{k: v.replace("\n", line_end) if isinstance(v, str) else v
                                                 for k, v in row.items()} for row in rows]
        yield traces_content_hash(shown)
        if extras:
            yield traces_content_hash([{**dict.fromkeys(extras), **row} for row in shown])


def assumption_input_check(book: Any, content: Mapping[str, Any]) -> tuple[Check, list[str]]:
    """Reviewer rate, target p95 and workload volumes on the Assumptions sheet against the buyer context."""
    context = content.get("context") or {}
    expected: dict[str, Any] = {"Reviewer rate (USD per hour)": context.get("reviewerRateUsdPerHour"),
                                "Target p95 latency (ms)": context.get("targetP95Ms")}
    for w in context.get("workloads") or []:
        expected[f"Workload: {w.get('name')}"] = w.get("monthlyRequests")
    if "Assumptions" not in book.sheetnames:
        return Check("assumption input cells", False, "the Assumptions sheet is missing"), \
            ["Assumptions: the sheet is missing"]
    shown: dict[str, tuple[int, Any]] = {}
    for number, values in enumerate(book["Assumptions"].iter_rows(values_only=True), 1):
        if values and isinstance(values[0], str) and values[0] in expected and values[0] not in shown:
            shown[values[0]] = (number, values[1] if len(values) > 1 else None)
    differences = []
    for label, want in expected.items():
        if label not in shown:
            differences.append(f"Assumptions: the row '{label}' is missing")
            continue
        number, value = shown[label]
        if not _same_number(want, value):
            differences.append(f"Assumptions!B{number} ({label}): shows {value!r}, the content records {want!r}")
    ok = not differences
    return Check("assumption input cells", ok, "the rates and volumes on the Assumptions sheet are the content's"
                 if ok else differences[0]), differences


def _same_number(want: Any, value: Any) -> bool:
    if want is None:
        return value is None or value == ""
    try:
        a, b = float(want), float(value)
    except (TypeError, ValueError):
        return False
    return a == b or abs(a - b) <= 1e-12 * max(abs(a), abs(b))
