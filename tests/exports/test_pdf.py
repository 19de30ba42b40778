"""The PDF memo read back: text, pages, PDF/A-3 metadata, attachments, fonts, and no reads outside the app."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from export_helpers import HTML_NOTE, export_data, new_sample, set_gate
from pypdf import PdfReader

from desktop.cli import main
from desktop.exports import pdf as pdf_module
from desktop.exports.matrix import CONTENT_FILE_NAME, DRAFT_MARK, MANIFEST_FILE_NAME
from desktop.exports.pdf import (ChartImage, export_pdf, make_fetcher, memo_assets, memo_context, render_memo_html,
                                 write_memo)


@pytest.fixture
def sample_path(tmp_path):
    return new_sample(tmp_path / "sample.ipwb")


def _png(width=8, height=4) -> bytes:
    """A tiny valid PNG, standing in for a rendered chart."""
    import struct
    import zlib

    raw = b"".join(b"\x00" + b"\x80\x90\xa0" * width for _ in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


CHART = ChartImage("cost-by-route", "Cost per accepted output by workload and route", "Test chart.", _png(), "image/png")


def _text(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(str(path)).pages]


def test_memo_text_has_decision_route_fingerprint_and_numbers(sample_path, tmp_path):
    data = export_data(sample_path)
    out = export_pdf(tmp_path / "memo.pdf", data, charts=[CHART])
    assert out.read_bytes().startswith(b"%PDF")
    pages = _text(out)
    text = "\n".join(pages)
    flat = re.sub(r"\s+", " ", text)
    assert "MEMORANDUM" in text
    assert "Decision requested." in flat
    assert "We recommend buying inference per workload as the plan above shows" in flat  # the plan leads (issue 11)
    assert "The rules' route for the workbook as a whole is Managed API only" in flat
    assert data.fingerprint in re.sub(r"\s+", "", text).lower()
    for number in ("300,000 requests", "20,000 ms", "$60.00", "$5.06", "$2.84"):
        assert number in flat, number
    for dim in data.playbook.readiness:
        assert dim.name in flat
    for gate in data.playbook.gates:
        assert gate.failure_if_skipped.split(" ")[0] in flat
    assert "To Executive sponsor" in flat and "From Procurement office, Example Corp" in flat
    # The plan (issue 11: a route for every workload) opens the first page; the decision paragraph follows it.
    first = re.sub(r"\s+", " ", pages[0])
    assert first.index("The plan: a route for every workload") < first.index("Decision requested.")


def test_every_page_of_a_draft_says_so_and_is_numbered(sample_path, tmp_path):
    out = export_pdf(tmp_path / "memo.pdf", export_data(sample_path))
    pages = _text(out)
    for number, page in enumerate(pages, start=1):
        assert DRAFT_MARK in page, number
        assert f"Page {number} of {len(pages)}" in page


def test_main_memo_is_two_to_four_pages_then_appendices(sample_path, tmp_path):
    pages = _text(export_pdf(tmp_path / "memo.pdf", export_data(sample_path), charts=[CHART, CHART]))
    appendix = next(i for i, p in enumerate(pages) if "Appendix A. Procurement matrix" in p)
    assert 2 <= appendix <= 5  # the plan's table (page 1) and its waterfall and tornado add about a page
    for title in ("Appendix B. Trace summary", "Appendix C. Assumptions and sources", "Appendix D. Audit log"):
        assert any(title in p for p in pages)


@pytest.mark.parametrize("paper, width", [("a4", 595.28), ("letter", 612.0)])
def test_paper_sizes(sample_path, tmp_path, paper, width):
    reader = PdfReader(str(export_pdf(tmp_path / f"{paper}.pdf", export_data(sample_path), paper=paper)))
    assert float(reader.pages[0].mediabox.width) == pytest.approx(width, abs=0.5)


def test_pdfa3_metadata_tags_and_attached_content(sample_path, tmp_path):
    data = export_data(sample_path)
    out = export_pdf(tmp_path / "memo.pdf", data)
    reader = PdfReader(str(out))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r'pdfaid:part(="|>)3', xmp)
    assert re.search(r'pdfaid:conformance(="|>)U', xmp)
    assert "/StructTreeRoot" in reader.trailer["/Root"]  # tagged
    info = reader.metadata
    assert info.title.startswith("Sample: how should we buy LLM inference?")
    assert info.author == "Procurement office, Example Corp"
    assert info.subject.endswith("(plan: $1,081,805.11 a month)")  # the sample plan total, as ipw plan prints it
    attachments = reader.attachments
    assert set(attachments) == {CONTENT_FILE_NAME, MANIFEST_FILE_NAME}
    content = attachments[CONTENT_FILE_NAME][0]
    assert content == data.canonical_bytes
    assert hashlib.sha256(content).hexdigest() == data.fingerprint
    assert b'"fingerprint": "' + data.fingerprint.encode() in attachments[MANIFEST_FILE_NAME][0]
    assert "/AF" in reader.trailer["/Root"]


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="pdffonts (poppler-utils) is not installed; "
                                                              "packaging/debian-packages.txt lists it for CI")
def test_every_font_is_embedded(sample_path, tmp_path):
    out = export_pdf(tmp_path / "memo.pdf", export_data(sample_path), charts=[CHART])
    listing = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout
    rows = listing.splitlines()[2:]
    assert rows, listing
    for row in rows:
        assert re.search(r"\s(yes)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+$", row), row  # emb column
        assert "IPW-" in row, row  # only the bundled fonts


def test_html_in_user_text_is_shown_as_text_and_fetches_nothing(tmp_path):
    path = new_sample(tmp_path / "html.ipwb")
    set_gate(path, "demand-shape", "--note", HTML_NOTE, "--status", "passed", "--justification", HTML_NOTE)
    assert main(["context", str(path), "--title", "<script>alert(1)</script> memo",
                 "--sponsor", '<img src="file:///etc/hostname">']) == 0
    data = export_data(path)
    html = render_memo_html(memo_context(data))
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert '<link rel="attachment"' not in html and "&lt;link rel=&#34;attachment&#34;" in html
    out = tmp_path / "html.pdf"
    fetcher = make_fetcher(memo_assets())
    write_memo(out, html, data, fetcher=fetcher)
    assert fetcher.requested and all(url.startswith("app:") for url in fetcher.requested), fetcher.requested
    assert not fetcher.blocked
    reader = PdfReader(str(out))
    assert set(reader.attachments) == {CONTENT_FILE_NAME, MANIFEST_FILE_NAME}
    for page in reader.pages:
        assert not page.images
    flat = re.sub(r"\s+", " ", "\n".join(p.extract_text() or "" for p in reader.pages))
    assert '<link rel="attachment" href="file:///etc/passwd">' in flat
    assert "<script>alert" in flat
    raw = out.read_bytes()
    assert b"root:x:0:0" not in raw


def test_the_fetcher_refuses_everything_but_bundled_assets(sample_path, tmp_path):
    """Even markup that reached the renderer could not read a local file or a URL."""
    data = export_data(sample_path)
    html = render_memo_html(memo_context(data)).replace(
        "</body>", '<img src="file:///etc/hostname"><link rel="attachment" href="file:///etc/passwd">'
                   '<img src="http://127.0.0.1:9/x.png"><img src="data:image/png;base64,iVBORw0KGgo="></body>')
    fetcher = make_fetcher(memo_assets())
    out = tmp_path / "hostile.pdf"
    write_memo(out, html, data, fetcher=fetcher)
    assert set(fetcher.blocked) >= {"file:///etc/hostname", "file:///etc/passwd", "http://127.0.0.1:9/x.png"}
    reader = PdfReader(str(out))
    assert set(reader.attachments) == {CONTENT_FILE_NAME, MANIFEST_FILE_NAME}
    assert not any(page.images for page in reader.pages)


def test_signed_memo_has_no_draft_mark_and_shows_the_signature(tmp_path):
    path = new_sample(tmp_path / "signed.ipwb")
    key = tmp_path / "key.pem"
    assert main(["keygen", "--key", str(key)]) == 0
    assert main(["sign", str(path), "--name", "Dana Sponsor", "--role", "CFO", "--decision", "approve",
                 "--date", "2026-11-28", "--key", str(key)]) == 0
    data = export_data(path)
    assert data.status == "signed"
    pages = _text(export_pdf(tmp_path / "signed.pdf", data))
    flat = re.sub(r"\s+", " ", "\n".join(pages))
    assert DRAFT_MARK not in flat
    assert "SIGNED OFF: Approved by Dana Sponsor (CFO) on 2026-11-28" in flat
    assert "Decision: Approved." in flat
    assert "Ed25519 signature attached" in flat


def test_long_notes_are_capped_with_a_marker(tmp_path):
    path = new_sample(tmp_path / "long.ipwb")
    set_gate(path, "demand-shape", "--note", "N" * 5000)
    html = render_memo_html(memo_context(export_data(path)))
    assert "N" * 1500 in html and "N" * 1501 not in html
    assert "truncated in the memo" in html


def test_a_failed_memo_leaves_no_file(sample_path, tmp_path, monkeypatch):
    data = export_data(sample_path)

    def broken(target, *args, **kwargs):
        Path(target).write_bytes(b"%PDF-1.7 half")
        raise RuntimeError("layout failed")

    monkeypatch.setattr(pdf_module, "write_memo", broken)
    with pytest.raises(RuntimeError):
        export_pdf(tmp_path / "memo.pdf", data)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sample.ipwb"]
