"""The Excel procurement workbook (.xlsx) finance works with, written with xlsxwriter.

Sheets: Summary, Procurement matrix, Gates, Readiness, Traces (an Excel table with filters, one sheet per
1,000,000 rows), Metrics (each trace row's metrics as values, and per route, workload and group live
formulas over them and the Summary's reviewer-rate and target cells), Assumptions, Audit, and a very hidden,
protected sheet holding the canonical decision content and the export manifest (fingerprint, status,
signature, public key) so `ipw verify` can recompute it.

Why xlsxwriter and not openpyxl: in constant-memory mode it streams each row to disk, so a million-row
Traces sheet needs no more memory than ten rows, and it writes about 1.8x faster than openpyxl's
write-only mode (shared/reference/stack-check.md); `write_string` never turns text into a formula, and it
writes native charts, tables, print set-up and very hidden sheets. Tables are not offered in constant-memory
mode; `_add_streaming_table` works around that (see there).

Safety of every user or imported string (reliability.md 2.3): written with `write_string` (never a
formula, whatever it starts with) in a format with Excel's quote prefix (so it stays text after an edit),
control characters replaced by a visible U+FFFD, and text over Excel's 32,767-character cell limit
truncated with a visible marker.

The decision sheets (Summary, Procurement matrix, Gates, Readiness) are rendered by `decision_layouts`
from the canonical content alone (plus the bundled playbook's texts and the manifest), so the verifier
renders them again from the embedded content and compares cell by cell.

This module writes the file. What the cells hold comes from its siblings: `excel_text` (text safety),
`excel_layout` (the decision, assumptions and audit sheets as plain data), `excel_formulas` (the Metrics
sheets' live formulas and the Traces columns), `excel_rows` (the per-row cells, from the trace frame's
columns) and `excel_plan` (the decision plan's sheet).
"""

from __future__ import annotations

import gc
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from desktop.domain.trace import FIELDS_BY_NAME, Kind
from desktop.exports.atomic import ExportError, atomic_path
from desktop.exports.excel_plan import write_plan_sheet
from desktop.domain.progress import NO_PROGRESS, Progress, check_cancelled
from desktop.exports.excel_formulas import PER_ROW_HEADERS, Columns, MetricsFormulas, trace_columns
from desktop.exports.excel_rows import (AggregateValues, Cleaned, Keys, aggregate_keys, aggregate_values,
                                       measured_columns, metric_batches, progress_ticker, write_metric_rows,
                                       write_trace_rows)
from desktop.exports.excel_layout import (FIRST_DATA_ROW, HEADER_ROW, Layout, assumptions_layout, audit_layout,
                                          cell_ref, decision_layouts)
from desktop.exports.excel_text import clean_text
from desktop.exports.matrix import ExportData, status_mark

EXCEL_MAX_ROWS = 1_048_576
TRACE_ROWS_PER_SHEET = 1_000_000
CONTENT_SHEET = "ipw-content"
CONTENT_FORMAT = "ipw-export-content/1"
CONTENT_CHUNK = 30_000  # characters of ASCII JSON per cell
PAPER = {"a4": 9, "letter": 1}


_BASE = {"font_name": "Calibri", "font_size": 10, "valign": "top"}
_STYLES: dict[str, dict[str, Any]] = {
    "title": {"bold": True, "font_size": 15, "font_color": "#1F3864"},
    "banner": {"bold": True, "font_color": "#FFFFFF", "bg_color": "#C00000", "font_size": 11},
    "banner_ok": {"bold": True, "font_color": "#FFFFFF", "bg_color": "#2E7D32", "font_size": 11},
    "section": {"bold": True, "font_size": 12, "font_color": "#1F3864", "bottom": 1, "bottom_color": "#1F3864"},
    "header": {"bold": True, "bg_color": "#D9E1F2", "border": 1, "border_color": "#8EA9DB", "text_wrap": True},
    "label": {"bold": True, "text_wrap": True},
    "strong": {"bold": True, "text_wrap": True},
    "text": {"text_wrap": True},
    "plain": {},
    "note": {"italic": True, "font_color": "#595959"},
    "mono": {"font_name": "Consolas"},
    "verdict": {"bold": True},
    "int": {"num_format": "#,##0"},
    "num": {"num_format": "#,##0.00"},
    "num4": {"num_format": "0.0000"},
    "usd": {"num_format": '"$"#,##0.00'},
    "usd4": {"num_format": '"$"#,##0.0000'},
    "pct": {"num_format": "0.0%"},
    "ms": {"num_format": '#,##0" ms"'},
    "tokens": {"num_format": "#,##0"},
    "tps": {"num_format": "#,##0.0"},
    "bool": {"align": "center"},
    "input_usd": {"num_format": '"$"#,##0.00', "bg_color": "#FFF2CC", "border": 1, "border_color": "#BF9000"},
    "input_ms": {"num_format": '#,##0" ms"', "bg_color": "#FFF2CC", "border": 1, "border_color": "#BF9000"},
}
_TEXT_STYLES = {"title", "banner", "banner_ok", "section", "header", "label", "strong", "text", "plain", "note",
                "mono", "verdict"}


class _Formats:
    def __init__(self, book: Any) -> None:
        self.book = book
        self.cache: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        fmt = self.cache.get(name)
        if fmt is None:
            base = name[:-2] if name.endswith("_l") else name  # "_l": the same, aligned left
            props = {**_BASE, **_STYLES[base]}
            if base != name:
                props["align"] = "left"
            if base in _TEXT_STYLES:
                props["quote_prefix"] = True  # a string stays text even after someone edits the cell
            fmt = self.cache[name] = self.book.add_format(props)
        return fmt


def _write_value(ws: Any, row: int, col: int, value: Any, fmt: Any, text_fmt: Any = None) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        ws.write_boolean(row, col, value, fmt)
    elif isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            ws.write_string(row, col, "not a finite number", text_fmt or fmt)
        else:
            ws.write_number(row, col, value, fmt)
    else:
        ws.write_string(row, col, clean_text(value), text_fmt or fmt)


def _setup_sheet(ws: Any, layout: Layout | None, *, paper: int, mark: str | None, landscape: bool = True,
                 widths: Mapping[int, float] | None = None, freeze: tuple[int, int] | None = None,
                 title_rows: tuple[int, int] | None = None, fit_width: bool = True) -> None:
    if layout is not None:
        landscape, widths, freeze, title_rows = layout.landscape, layout.widths, layout.freeze, layout.title_rows
    for col, width in (widths or {}).items():
        ws.set_column(col, col, width)
    if freeze:
        ws.freeze_panes(*freeze)
    if title_rows:
        ws.repeat_rows(*title_rows)
    if landscape:
        ws.set_landscape()
    ws.set_paper(paper)
    ws.set_margins(left=0.5, right=0.5, top=0.75, bottom=0.75)
    if fit_width:
        ws.fit_to_pages(1, 0)
    left = "&L&\"Calibri,Bold\"&KC00000" + mark.replace("&", "&&") if mark else "&L&A"
    ws.set_header(left + "&R&A")
    ws.set_footer("&LInference Procurement Workbook&RPage &P of &N")


_WRAPPED = {"text", "label", "strong", "header"}
LINE_HEIGHT = 13.0  # points per line of 10-point Calibri


def _row_heights(layout: Layout) -> dict[int, float]:
    """Heights for rows whose wrapped text needs more than one line (Excel and LibreOffice do not grow rows
    written without a height on their own)."""
    lines: dict[int, int] = {}
    for (row, col), cell in layout.cells.items():
        if cell.style not in _WRAPPED or not isinstance(cell.value, str):
            continue
        width = max(4.0, layout.widths.get(col, 8.43) * 1.15)  # characters per line, roughly
        count = sum(max(1, math.ceil(len(part) / width)) for part in cell.value.split("\n"))
        lines[row] = max(lines.get(row, 1), min(count, 30))
    return {row: n * LINE_HEIGHT + 2 for row, n in lines.items() if n > 1}


def _write_layout(ws: Any, layout: Layout, formats: _Formats) -> None:
    heights = _row_heights(layout)
    current = -1
    for (row, col), cell in sorted(layout.cells.items()):
        if row != current:
            current = row
            if row in heights:
                ws.set_row(row, heights[row])
        fmt = formats[cell.style]
        _write_value(ws, row, col, cell.value, fmt, fmt if cell.style in _TEXT_STYLES else formats["text"])


def _add_streaming_table(ws: Any, first_row: int, first_col: int, last_row: int, last_col: int,
                         options: dict[str, Any]) -> None:
    """An Excel table on a constant-memory worksheet, before its rows are written.

    xlsxwriter refuses add_table() in constant-memory mode only because the table's header cells are written
    as shared strings; the table itself is just a range and column names. So: call it with the mode off
    while no row after `first_row` has been written, then write the header row again as inline strings
    (the caller does that next, with exactly the column names given here).

    add_table() also records every cell of the range for its overlap check (a million-row table: 19 million
    dictionary entries, some 2 GB and 20 s), so it is given the header and one row, and the table's ranges
    are then set to the whole of it."""
    from xlsxwriter.utility import xl_range

    ws.constant_memory = False
    try:
        result = ws.add_table(first_row, first_col, min(last_row, first_row + 1), last_col, options)
    finally:
        ws.constant_memory = True
    if result != 0:
        raise ExportError(f"cannot add the trace table to sheet {ws.name} (xlsxwriter code {result})")
    table = ws.tables[-1]
    table["range"] = table["a_range"] = xl_range(first_row, first_col, last_row, last_col)
    if table.get("autofilter"):
        table["autofilter"] = table["a_range"]


_TRACE_STYLES = {Kind.NUMBER: "num", Kind.RATE: "pct", Kind.BOOLEAN: "bool", Kind.TEXT: "plain", Kind.ROUTE: "plain"}
_FIELD_STYLE_OVERRIDES = {"costUsd": "usd4", "ttftMs": "ms", "latencyP50Ms": "ms", "latencyP95Ms": "ms",
                          "inputTokens": "tokens", "outputTokens": "tokens", "concurrency": "int",
                          "outputTokensPerSecond": "tps", "reviewMinutes": "num", "latencyP99Ms": "ms"}


def export_xlsx(path: Path | str, data: ExportData, *, paper: str = "a4", progress: Progress | None = None,
                rows_per_sheet: int = TRACE_ROWS_PER_SHEET) -> Path:
    """Write the Excel workbook atomically to `path`; returns the path. Raises ExportError, Cancelled."""
    if paper not in PAPER:
        raise ExportError(f"paper must be one of {', '.join(PAPER)}, not {paper!r}")
    if not 1 <= rows_per_sheet <= EXCEL_MAX_ROWS - FIRST_DATA_ROW:
        raise ExportError("rows per sheet out of range")
    path = Path(path)
    mark = status_mark(data.manifest)
    paper_code = PAPER[paper]
    layouts = decision_layouts(data.canonical, data.manifest, data.playbook)
    summary = layouts[0]
    # What was computed before (the economics can hold an object per trace row) does not change while the
    # file is written: keep the garbage collector from walking it again and again as the writer allocates.
    gc.freeze()
    try:
        _export(path, data, layouts, summary, mark, paper, paper_code, rows_per_sheet, progress or NO_PROGRESS)
    finally:
        gc.unfreeze()
    return path


def _export(path: Path, data: ExportData, layouts: list[Layout], summary: Layout, mark: str | None, paper: str,
            paper_code: int, rows_per_sheet: int, progress: Progress) -> None:
    import xlsxwriter

    with atomic_path(path) as temp:
        book = xlsxwriter.Workbook(str(temp), {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False, "use_zip64": True, "in_memory": False})
        try:
            formats = _Formats(book)
            context = data.canonical.get("context") or {}
            book.set_properties({
                "title": clean_text(context.get("title") or "Inference procurement decision", 250),
                "subject": "Procurement matrix and route economics",
                "author": clean_text(context.get("preparedBy") or "", 250),
                "company": clean_text(context.get("organisation") or "", 250),
                "comments": f"{mark or 'Signed off'}. Fingerprint {data.fingerprint}",
                "keywords": "inference procurement, " + data.fingerprint,
            })
            book.set_custom_property("IPW fingerprint", data.fingerprint)
            book.set_custom_property("IPW status", data.status)
            sheets: dict[str, Any] = {}
            for layout in layouts:
                ws = book.add_worksheet(layout.name)
                sheets[layout.name] = ws
                _setup_sheet(ws, layout, paper=paper_code, mark=mark)
                _write_layout(ws, layout, formats)
                if layout.name == "Summary":  # print the summary itself; the chart beside it is for the screen
                    ws.print_area(0, 0, max(r for r, _ in layout.cells), 1)
            sheets["Summary"].set_tab_color("#1F3864")
            write_plan_sheet(book, data.plan, playbook=data.playbook, paper=paper_code, mark=mark,
                             reviewer_rate=data.workbook.context.reviewer_rate_usd_per_hour,  # after the decision sheets
                             setup=lambda s: _setup_sheet(s, None, paper=paper_code, mark=mark))
            rate_ref = "Summary!" + cell_ref(*summary.anchors["reviewerRate"], True)
            target_ref = "Summary!" + cell_ref(*summary.anchors["targetP95"], True)
            book.define_name("ReviewerRateUsdPerHour", "=" + rate_ref)
            book.define_name("TargetP95Ms", "=" + target_ref)
            chart_rows = _write_traces_and_metrics(book, formats, data, paper_code, mark, rate_ref, target_ref,
                                                   rows_per_sheet, progress)
            if chart_rows:
                _add_chart(book, sheets["Summary"], chart_rows)
            for layout in (assumptions_layout(data), audit_layout(data)):
                ws = book.add_worksheet(layout.name)
                _setup_sheet(ws, layout, paper=paper_code, mark=mark)
                _write_layout(ws, layout, formats)
            _write_content_sheet(book, data)
            progress.stage("Compressing the workbook")
            check_cancelled(progress)
        except BaseException:
            try:
                book.close()
            except Exception:  # noqa: BLE001 - the temp file is removed anyway
                pass
            raise
        book.close()


def _formula_sheet_class() -> type:
    """A worksheet that takes this module's formulas as written.

    xlsxwriter runs some 30 regular expressions over every formula to add `_xlfn.` prefixes to newer
    functions (milliseconds for the long aggregate formulas, thousands of them for a workbook with many
    groups). Every formula this module writes uses only functions that need no prefix, so the Metrics
    sheets skip that step.
    """
    from xlsxwriter.worksheet import Worksheet

    class FormulaSheet(Worksheet):
        def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
            return formula[1:] if formula.startswith("=") else formula

    return FormulaSheet


def _write_content_sheet(book: Any, data: ExportData) -> None:
    """The canonical content (ASCII JSON, in chunks under the cell limit) and the manifest, very hidden."""
    ws = book.add_worksheet(CONTENT_SHEET)
    text = json.dumps(data.canonical, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    chunks = [text[i:i + CONTENT_CHUNK] for i in range(0, len(text), CONTENT_CHUNK)] or [""]
    ws.write_string(0, 0, "format")
    ws.write_string(0, 1, CONTENT_FORMAT)
    ws.write_string(1, 0, "manifest")
    ws.write_string(1, 1, json.dumps(data.manifest, ensure_ascii=True, sort_keys=True, separators=(",", ":")))
    ws.write_string(2, 0, "content chunks")
    ws.write_number(2, 1, len(chunks))
    for i, chunk in enumerate(chunks):
        ws.write_string(3 + i, 0, "content")
        ws.write_string(3 + i, 1, chunk)
    ws.protect()
    ws.very_hidden()


def _add_chart(book: Any, summary: Any, chart: tuple[int, int]) -> None:
    first, last = chart
    chart_obj = book.add_chart({"type": "bar"})
    cats = f"=Metrics!{cell_ref(first, 0, True)}:{cell_ref(last, 0, True)}"
    for col, name, color in ((2, "Lowest cost per accepted output, any latency", "#8EA9DB"),
                             (4, "Lowest cost per accepted output at target p95", "#1F3864")):
        chart_obj.add_series({
            "name": name, "categories": cats,
            "values": f"=Metrics!{cell_ref(first, col, True)}:{cell_ref(last, col, True)}",
            "fill": {"color": color}, "data_labels": {"value": True, "num_format": '"$"#,##0.00'},
        })
    chart_obj.set_title({"name": "Cost per accepted output by route (USD)", "name_font": {"size": 12}})
    chart_obj.set_x_axis({"num_format": '"$"#,##0.00', "major_gridlines": {"visible": True,
                                                                          "line": {"color": "#D9D9D9"}}})
    chart_obj.set_y_axis({"reverse": True})
    chart_obj.set_legend({"position": "bottom"})
    chart_obj.show_na_as_empty_cell()
    chart_obj.set_size({"width": 640, "height": 340})
    summary.insert_chart(4, 3, chart_obj, {"x_offset": 10, "y_offset": 4})


def _write_traces_and_metrics(book: Any, formats: _Formats, data: ExportData, paper: int, mark: str | None,
                              rate_ref: str, target_ref: str, rows_per_sheet: int, progress: Progress
                              ) -> tuple[int, int] | None:
    """Traces sheets and Metrics sheets from the trace frames' columns; returns the chart's data rows."""
    shown = data.trace_frame
    if shown is None:
        raise ValueError("the export data was gathered without the trace rows the Traces sheets show")
    report = data.metrics
    total = shown.height
    progress.stage("Writing the trace rows", 2 * total)
    tick = progress_ticker(progress)
    positions, labels = trace_columns(data.extra_fields)
    columns = Columns(trace=positions)
    sheet_count = max(1, math.ceil(total / rows_per_sheet))
    names = [("Traces", "Metrics") if k == 0 else (f"Traces ({k + 1})", f"Metrics ({k + 1})")
             for k in range(sheet_count)]
    sizes = [min(rows_per_sheet, total - k * rows_per_sheet) for k in range(sheet_count)]
    formulas = MetricsFormulas(columns, rate_ref, target_ref,
                                [(t, m, n) for (t, m), n in zip(names, sizes)])
    keys = aggregate_keys(report, data.playbook)
    measured = measured_columns(report, data.frame, data.decision.modelled or {})
    cached = aggregate_values(data.frame, measured, report.target_p95_ms)

    trace_styles = []
    for name in positions:
        if name in ("id", "importId"):
            trace_styles.append(formats["int"])
        elif name in FIELDS_BY_NAME or name in _FIELD_STYLE_OVERRIDES:
            spec = FIELDS_BY_NAME.get(name)
            style = _FIELD_STYLE_OVERRIDES.get(name) or (_TRACE_STYLES[spec.kind] if spec else "num")
            trace_styles.append(formats[style])
        else:
            trace_styles.append(formats["num"])
    metric_styles = [formats[name] for name in ("int", "plain", "plain", "plain", "plain", "usd4", "plain", "usd",
                                                 "tokens", "tps", "int", "int", "int", "usd4", "num4")]
    text_fmt = formats["plain"]
    cleaned = Cleaned()
    metrics_header = formats["header"]
    for k, ((traces_name, metrics_name), size) in enumerate(zip(names, sizes)):
        tws = book.add_worksheet(traces_name)
        mws = book.add_worksheet(metrics_name, worksheet_class=_formula_sheet_class())
        widths = {i: 14 for i in range(len(positions))}
        widths.update({0: 9, 1: 8, 2: 26, 3: 16, 4: 26, 5: 22})
        _setup_sheet(tws, None, paper=paper, mark=mark, widths=widths, freeze=(FIRST_DATA_ROW, 2),
                     title_rows=(HEADER_ROW, HEADER_ROW))
        mwidths = {i: 14 for i in range(columns.review_hours + 1)}
        mwidths.update({0: 26, 5: 1.5, 6: 22, 7: 26, 11: 1.5, 12: 22, 13: 26, 14: 16, 15: 24, 19: 1.5,
                        21: 22, 22: 26, 23: 16, 24: 24})
        _setup_sheet(mws, None, paper=paper, mark=mark, widths=mwidths, freeze=(FIRST_DATA_ROW, 0),
                     title_rows=(HEADER_ROW, HEADER_ROW))
        part = f" (part {k + 1} of {sheet_count})" if sheet_count > 1 else ""
        for ws, title in ((tws, f"Trace rows{part}"), (mws, f"Metrics{part}")):
            ws.write_string(0, 0, title, formats["title"])
            if mark:
                ws.write_string(1, 0, mark, formats["banner"])
            else:
                ws.write_string(1, 0, "Signed off", formats["banner_ok"])
        tws.write_string(2, 0, "Every active trace row as imported (amounts in USD). The Metrics sheet's formulas "
                               "read the p95 latencies here.", formats["note"])
        per_row_note = ("Per trace row, computed by ipw (values): cost per accepted output = cost per request / "
                        "acceptance + review minutes / 60 x reviewer rate; the blocks on the left recompute it "
                        "from the last two columns at the Summary's rate and target")
        if k:
            mws.write_string(2, 0, per_row_note, formats["section"])
        else:
            mws.write_string(2, columns.route, "By trace route (live formulas)", formats["section"])
            mws.write_string(2, columns.wr, "Best at target p95, by workload and route", formats["section"])
            mws.write_string(2, columns.group, "Best at target p95, by group", formats["section"])
            mws.write_string(2, columns.per_row, per_row_note, formats["section"])
        if size > 0:
            _add_streaming_table(tws, HEADER_ROW, 0, HEADER_ROW + size, len(labels) - 1, {
                "name": "Traces" if k == 0 else f"Traces{k + 1}", "style": "Table Style Light 9",
                "columns": [{"header": label} for label in labels]})
        # Wrapped headers need the height of their lines: readers do not grow a row written without one.
        tws.set_row(HEADER_ROW, 3 * LINE_HEIGHT + 2)
        mws.set_row(HEADER_ROW, 4 * LINE_HEIGHT + 2)
        for col, label in enumerate(labels):
            tws.write_string(HEADER_ROW, col, label, metrics_header)
        if not k:
            _write_aggregate_headers(mws, columns, metrics_header)
        for col, label in enumerate(PER_ROW_HEADERS):
            mws.write_string(HEADER_ROW, columns.per_row + col, label, metrics_header)
        if size == 0:
            tws.write_string(FIRST_DATA_ROW, 0, "No trace rows are imported.", formats["note"])

        start = k * rows_per_sheet
        write_trace_rows(tws, shown.slice(start, size), data.extra_fields, FIRST_DATA_ROW, trace_styles, text_fmt,
                         cleaned, tick)
        aggregate_rows = 0 if k else max(len(keys.routes), len(keys.workload_routes), len(keys.groups))

        def aggregates(r: int) -> None:
            _write_aggregates(mws, formats, formulas, columns, r - FIRST_DATA_ROW, r, keys, report, cached)

        write_metric_rows(mws, metric_batches(data.frame, measured, keys, start, size), FIRST_DATA_ROW,
                          columns.per_row, metric_styles, text_fmt,
                          cleaned, aggregates, aggregate_rows, tick)
        for offset in range(size, aggregate_rows):
            aggregates(FIRST_DATA_ROW + offset)
    return (FIRST_DATA_ROW, FIRST_DATA_ROW + len(keys.routes) - 1) if total and keys.routes else None


def _write_aggregate_headers(mws: Any, columns: Columns, header: Any) -> None:
    for col, label in enumerate(("Route", "Rows", "Lowest cost per accepted output (USD)",
                                 "Rows at target p95 with a cost", "Lowest cost per accepted output at "
                                                                   "target p95 (USD)")):
        mws.write_string(HEADER_ROW, columns.route + col, label, header)
    for col, label in enumerate(("Workload", "Route", "Rows", "Rows at target p95 with a cost",
                                 "Best cost per accepted output at target p95 (USD)")):
        mws.write_string(HEADER_ROW, columns.wr + col, label, header)
    for col, label in enumerate(("Workload", "Route", "Provider", "Model", "Rows", "Rows at target p95 with a cost",
                                 "Best cost per accepted output at target p95 (USD)")):
        mws.write_string(HEADER_ROW, columns.group + col, label, header)


def _write_aggregates(mws: Any, formats: _Formats, formulas: MetricsFormulas, columns: Columns, offset: int,
                      r: int, keys: Keys, report: Any, cached: AggregateValues) -> None:
    """Row `offset` of the three aggregate blocks: counts as formulas, lowest costs as array formulas, each with
    the value it has at the workbook's rate and target (what a reader shows before recalculating)."""
    text_fmt, fmt_int, usd = formats["plain"], formats["int"], formats["usd"]
    array, formula = mws._write_array_formula, mws._write_formula
    if offset < len(keys.routes):
        name = keys.routes[offset]
        key = offset + 1
        c = columns.route
        measures = report.route(name)
        mws._write_string(r, c, clean_text(name), formats["strong"])
        formula(r, c + 1, formulas.count(0, key), fmt_int, measures.rows if measures else 0)
        lowest = cached.route_lowest.get(name)
        array(r, c + 2, r, c + 2, formulas.lowest(0, key, False, None, "NA()"), usd,
              lowest if lowest is not None else "#N/A")
        formula(r, c + 3, formulas.counted(0, key, True), fmt_int, cached.route_costed_at_target.get(name, 0))
        lowest = cached.route_lowest_at_target.get(name)
        array(r, c + 4, r, c + 4, formulas.lowest(0, key, True, cell_ref(r, c + 3), "NA()"), usd,
              lowest if lowest is not None else "#N/A")
    if offset < len(keys.workload_routes):
        workload, route = keys.workload_routes[offset]
        key = offset + 1
        best = report.best_at_target(workload, route)
        c = columns.wr
        mws._write_string(r, c, clean_text(workload), text_fmt)
        mws._write_string(r, c + 1, clean_text(route), text_fmt)
        rows = sum(g.rows for g in report.groups if (g.workload, g.route) == (workload, route))
        formula(r, c + 2, formulas.count(1, key), fmt_int, rows)
        formula(r, c + 3, formulas.counted(1, key, True), fmt_int,
                          cached.at_target.get((workload, route), 0))
        value = best.cost_per_accepted_output if best else None
        array(r, c + 4, r, c + 4, formulas.lowest(1, key, True, cell_ref(r, c + 3), '""'), usd,
              value if value is not None else "")
    if offset < len(keys.groups):
        group = report.groups[offset]
        key = offset + 1
        c = columns.group
        for i, value in enumerate(keys.groups[offset]):
            mws._write_string(r, c + i, clean_text(value), text_fmt)
        formula(r, c + 4, formulas.count(2, key), fmt_int, group.rows)
        formula(r, c + 5, formulas.counted(2, key, True), fmt_int, cached.at_target.get(keys.groups[offset], 0))
        value = group.best_cost_per_accepted_output_at_target
        array(r, c + 6, r, c + 6, formulas.lowest(2, key, True, cell_ref(r, c + 5), '""'), usd,
              value if value is not None else "")
