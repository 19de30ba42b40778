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
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from desktop.exports.verify import Check

_TRACES_SHEET = re.compile(r"^Traces( \((\d+)\))?$")
_MISSING_FINITE = "not a finite number"


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
    from desktop.domain.trace import FIELD_NAMES
    from desktop.exports.excel_formulas import trace_columns
    from desktop.exports.excel_layout import HEADER_ROW

    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    _, fixed_labels = trace_columns(())
    for name in _traces_sheets(book):
        sheet_rows = book[name].iter_rows(min_row=HEADER_ROW + 1, values_only=True)
        header = next(sheet_rows, ())
        labels = [str(v) if v is not None else "" for v in header]
        if labels[:len(fixed_labels)] != fixed_labels:
            problems.append(f"{name}: the column headers are not the trace fields the export writes")
            continue
        extras = [label for label in labels[len(fixed_labels):] if label]
        names = ["id", "importId", *FIELD_NAMES, *extras]
        for values in sheet_rows:
            cells = list(values[:len(names)]) + [None] * max(0, len(names) - len(values))
            if all(v is None for v in cells):
                continue
            if isinstance(cells[0], str) and cells[0] == "No trace rows are imported.":
                continue
            row = {n: _cell_value(v) for n, v in zip(names[:2 + len(FIELD_NAMES)], cells)}
            for extra, value in zip(extras, cells[2 + len(FIELD_NAMES):]):
                if value is not None:
                    row[extra] = _cell_value(value)
            rows.append(row)
    return rows, problems


def read_trace_rows_quickly(path: Path) -> list[dict[str, Any]] | None:
    """The trace rows as `read_trace_rows` gives them, read by calamine (Rust: a million rows in seconds, against
    a minute or more for openpyxl's XML parse); None when calamine is missing, cannot read the file or the
    sheets are not as the export writes them. Calamine gives every number as a float and an empty cell as "",
    so only a match with the content's hash is taken from it: anything else is read again with openpyxl."""
    from desktop.domain.trace import FIELD_NAMES
    from desktop.exports.excel_formulas import trace_columns
    from desktop.exports.excel_layout import HEADER_ROW

    from desktop.exports.excel_text import unescape_cell_text

    def text_value(text: str) -> Any:
        return math.nan if text == _MISSING_FINITE else unescape_cell_text(text)

    try:
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_path(str(path))
        rows: list[dict[str, Any]] = []
        _, fixed_labels = trace_columns(())
        for name in _traces_sheets(book):
            sheet_rows = iter(book.get_sheet_by_name(name).to_python(skip_empty_area=False)[HEADER_ROW:])
            labels = [str(v) for v in next(sheet_rows, ())]
            if labels[:len(fixed_labels)] != fixed_labels:
                return None
            extras = [label for label in labels[len(fixed_labels):] if label]
            names = ["id", "importId", *FIELD_NAMES, *extras]
            fixed = 2 + len(FIELD_NAMES)
            for values in sheet_rows:
                cells = [None if v == "" else v for v in values[:len(names)]]
                cells += [None] * (len(names) - len(cells))
                if all(v is None for v in cells) or cells[0] == "No trace rows are imported.":
                    continue
                row = {n: (text_value(v) if v.__class__ is str else v) for n, v in zip(names[:fixed], cells)}
                row.update((extra, text_value(v) if v.__class__ is str else v)
                           for extra, v in zip(extras, cells[fixed:]) if v is not None)
                rows.append(row)
        return rows
    except Exception:  # noqa: BLE001 - missing, or a file calamine refuses: openpyxl reads it (and says why)
        return None


def trace_input_check(book: Any, content: Mapping[str, Any], path: Path | None = None) -> tuple[Check, list[str]]:
    traces = content.get("traces") or {}
    quick = read_trace_rows_quickly(path) if path is not None else None
    if quick is not None and str(len(quick)) == str(traces.get("count")) and \
            traces.get("contentSha256") in _hashes(quick):
        return Check("trace input cells", True, f"the {len(quick)} trace row(s) the Metrics formulas read are the "
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
