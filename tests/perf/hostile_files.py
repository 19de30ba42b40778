"""Small files that would cost huge memory once parsed (issue 15, failure 4), written by this script.

Used by tests/importers/test_import_amplification.py (the refusals) and tests/perf/bench_amplification.py
(the peak memory of each refusal).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

TRACE_HEADER = ("route,provider,model,workload,inputTokens,outputTokens,cacheHitRate,batchEligible,concurrency,"
                "ttftMs,latencyP50Ms,latencyP95Ms,outputTokensPerSecond,acceptedOutputRate,costUsd,reviewMinutes")
TRACE_ROW = "Managed frontier API,OpenAI,gpt-4o,chat,1200,300,0.1,false,4,210,850,1900,62.5,0.9,0.012,0.5"


def wide_csv(path: Path, columns: int) -> Path:
    """A trace header followed by `columns` extra columns, and one data row (100,000 columns: 1.3 MB)."""
    extra = ",".join(f"col{i:06d}" for i in range(columns))
    path.write_text(f"{TRACE_HEADER},{extra}\n{TRACE_ROW}" + ",1" * columns + "\n")
    return path


def one_line_csv(path: Path, size_bytes: int) -> Path:
    """A trace header, then one data line of `size_bytes` with no line break (a 'CSV' on one line)."""
    block = b"x" * (1024 * 1024)
    with open(path, "wb") as handle:
        handle.write(f"{TRACE_HEADER}\n{TRACE_ROW},".encode())
        for _ in range(size_bytes // len(block)):
            handle.write(block)
    return path


def ods_repeated_rows(path: Path, repeat: int = 1_048_575) -> Path:
    """A 1 KB ODS whose one data row says table:number-rows-repeated (expanded by a reader, not here)."""
    cells = "".join(f'<table:table-cell office:value-type="string"><text:p>{c}</text:p></table:table-cell>'
                    for c in TRACE_HEADER.split(","))
    values = "".join(f'<table:table-cell office:value-type="string"><text:p>{c}</text:p></table:table-cell>'
                     for c in TRACE_ROW.split(","))
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Traces">'
        f'<table:table-row>{cells}</table:table-row>'
        f'<table:table-row table:number-rows-repeated="{repeat}">{values}</table:table-row>'
        '</table:table></office:spreadsheet></office:body></office:document-content>')
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                '</manifest:manifest>')
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return path


def ods_repeated_columns(path: Path, repeat: int = 16_384) -> Path:
    """One value cell repeated across `repeat` columns."""
    ods_repeated_rows(path, repeat=1)
    with zipfile.ZipFile(path) as archive:
        content = archive.read("content.xml").decode()
        manifest = archive.read("META-INF/manifest.xml")
    content = content.replace('<table:table-cell office:value-type="string"><text:p>0.5</text:p>',
                              f'<table:table-cell table:number-columns-repeated="{repeat}" '
                              f'office:value-type="string"><text:p>0.5</text:p>')
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return path


def xlsx_far_cell(path: Path) -> Path:
    """A trace sheet with one more cell at XFD1048576: a dense reader allocates 16,384 x 1,048,576 cells."""
    import openpyxl
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(TRACE_HEADER.split(","))
    sheet.append(TRACE_ROW.split(","))
    sheet["XFD1048576"] = "x"
    book.save(path)
    return path
