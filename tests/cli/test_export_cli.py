"""`ipw export`: every format, records in the workbook, no display needed, atomic on failure."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from pypdf import PdfReader


def _records(path):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT path, kind, sha256, fingerprint FROM exports ORDER BY id").fetchall()
    finally:
        conn.close()


def test_export_writes_and_records_every_format(sample, tmp_path, ipw):
    out = {kind: tmp_path / f"matrix{suffix}" for kind, suffix in
           (("xlsx", ".xlsx"), ("pdf", ".pdf"), ("markdown", ".md"), ("json", ".json"))}
    result = ipw("export", sample, "--xlsx", out["xlsx"], "--pdf", out["pdf"], "--markdown", out["markdown"],
                 "--json", out["json"], "--paper", "letter")
    assert result.code == 0, result.err
    assert all(p.exists() for p in out.values())
    assert result.out.count("DRAFT - not signed off") == 4
    fingerprint = result.out.strip().splitlines()[-1].split()[-1]
    assert json.loads(out["json"].read_text(encoding="utf-8"))["workbook"]["fingerprint"] == fingerprint
    records = _records(sample)
    assert sorted(r[1] for r in records) == ["json", "markdown", "pdf", "xlsx"]
    for path, kind, sha, fp in records:
        assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == sha
        assert fp == fingerprint
    assert float(PdfReader(str(out["pdf"])).pages[0].mediabox.width) == 612.0


def test_report_json(sample, tmp_path, ipw):
    result = ipw("export", sample, "--json", tmp_path / "m.json", "--report")
    assert result.code == 0
    report = result.json
    assert report["status"] == "draft" and report["recorded"] is True
    assert report["written"][0]["kind"] == "json"


def test_nothing_to_export_is_a_usage_error(sample, ipw):
    result = ipw("export", sample)
    assert result.code == 2
    assert result.err.startswith("ipw: error: nothing to export")


def test_same_file_twice_is_a_usage_error(sample, tmp_path, ipw):
    assert ipw("export", sample, "--json", tmp_path / "x", "--markdown", tmp_path / "x").code == 2
    assert ipw("export", sample, "--json", sample).code == 2


def test_not_a_workbook(tmp_path, ipw):
    other = tmp_path / "other.txt"
    other.write_text("hello")
    result = ipw("export", other, "--json", tmp_path / "m.json")
    assert result.code == 1 and "not a workbook" in result.err


def test_a_failed_export_leaves_no_half_written_file(sample, tmp_path, ipw):
    (tmp_path / "memo.pdf").write_bytes(b"the previous memo")
    result = ipw("export", sample, "--xlsx", tmp_path / "book.xlsx", "--pdf", tmp_path / "missing" / "memo.pdf")
    assert result.code == 1
    assert "could not write the PDF memo" in result.err and "folder" in result.err
    assert (tmp_path / "book.xlsx").exists()  # finished before the failure, complete
    assert not (tmp_path / "missing").exists()
    assert (tmp_path / "memo.pdf").read_bytes() == b"the previous memo"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp.pdf") or ".tmp" in p.name]
    assert [r[1] for r in _records(sample)] == ["xlsx"]


def test_export_of_a_workbook_open_elsewhere_still_writes_but_warns(sample, tmp_path, ipw):
    from desktop.storage.lock import WorkbookLock

    lock = WorkbookLock(sample)
    assert lock.acquire()
    try:
        result = ipw("export", sample, "--json", tmp_path / "m.json")
    finally:
        lock.release()
    assert result.code == 0
    assert (tmp_path / "m.json").exists()
    assert "not recorded" in result.err
    assert _records(sample) == []


def test_export_runs_without_a_display(sample, tmp_path):
    """No DISPLAY, no WAYLAND_DISPLAY and no QT_QPA_PLATFORM: the charts are still drawn (vector SVG, no Qt)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    pdf = tmp_path / "memo.pdf"
    completed = subprocess.run([sys.executable, "-m", "desktop", "export", str(sample), "--pdf", str(pdf)],
                               capture_output=True, text=True, env=env, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert "warning" not in completed.stderr
    reader = PdfReader(str(pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Figure 1. Cost per accepted output by workload and route" in text
    assert "USD per accepted output" in text and "target p95 20,000 ms" in text  # chart text, not pixels
    assert not any(page.images for page in reader.pages)  # vectors: no raster image in the memo


def test_signed_workbook_exports_and_records(sample, tmp_path, ipw):
    key = tmp_path / "key.pem"
    assert ipw("keygen", "--key", key).code == 0
    assert ipw("sign", sample, "--name", "Dana", "--role", "CFO", "--decision", "approve", "--key", key).code == 0
    result = ipw("export", sample, "--xlsx", tmp_path / "s.xlsx")
    assert result.code == 0 and "signed off" in result.out
    assert [r[1] for r in _records(sample)] == ["xlsx"]
    assert ipw("verify", tmp_path / "s.xlsx", "--workbook", sample).code == 0


def test_a_memo_alone_does_not_read_the_rows_for_the_traces_sheets(tmp_path, ipw, monkeypatch):
    """`ipw export --pdf` never checks every stored row against the trace hash: only the Traces sheets of the
    Excel workbook show them (1.3 s at a million rows); with --xlsx it does, and the export verifies."""
    from desktop.exports import shown_traces

    path = tmp_path / "s.ipwb"
    assert ipw("new", path, "--sample").code == 0
    shown = []
    real = shown_traces.shown_trace_frame
    monkeypatch.setattr(shown_traces, "shown_trace_frame", lambda *a: shown.append(1) or real(*a))
    assert ipw("export", path, "--pdf", tmp_path / "m.pdf", "--markdown", tmp_path / "m.md").code == 0
    assert shown == []
    assert ipw("export", path, "--xlsx", tmp_path / "m.xlsx").code == 0
    assert shown == [1]
    assert ipw("verify", tmp_path / "m.xlsx", "--workbook", path).code == 4  # a consistent draft
