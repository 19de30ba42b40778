"""Verifying exported workbooks and memos: intact, one cell or byte changed, not ours."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from export_helpers import export_data, new_sample
from pypdf import PdfReader, PdfWriter

from desktop.cli import main
from desktop.exports.excel import CONTENT_SHEET, export_xlsx
from desktop.exports.matrix import CONTENT_FILE_NAME, MANIFEST_FILE_NAME
from desktop.exports.pdf import export_pdf
from desktop.exports.verify_export import verify_export


@pytest.fixture
def sample_path(tmp_path):
    return new_sample(tmp_path / "sample.ipwb")


@pytest.fixture
def signed_path(tmp_path):
    path = new_sample(tmp_path / "signed.ipwb")
    key = tmp_path / "key.pem"
    assert main(["keygen", "--key", str(key)]) == 0
    assert main(["sign", str(path), "--name", "Dana Sponsor", "--role", "CFO", "--decision", "approve-with-conditions",
                 "--conditions", "review in Q3", "--date", "2026-11-28", "--key", str(key)]) == 0
    return path


def _export_both(path: Path, folder: Path) -> tuple[Path, Path]:
    assert main(["export", str(path), "--xlsx", str(folder / "out.xlsx"), "--pdf", str(folder / "out.pdf")]) == 0
    return folder / "out.xlsx", folder / "out.pdf"


def _rewrite_zip_member(xlsx: Path, member_match, edit) -> None:
    with zipfile.ZipFile(xlsx) as archive:
        items = {n: archive.read(n) for n in archive.namelist()}
    names = [n for n in items if member_match(n, items[n])]
    assert len(names) == 1, names
    items[names[0]] = edit(items[names[0]].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(xlsx, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in items.items():
            archive.writestr(name, data)


def _content_sheet_xml(name: str, data: bytes) -> bool:
    return name.startswith("xl/worksheets/sheet") and b"ipw-export-content/1" in data


# ---------------------------------------------------------------------------------------------- fresh exports

def test_fresh_draft_exports_verify_as_drafts_never_as_intact(sample_path, tmp_path):
    xlsx, pdf = _export_both(sample_path, tmp_path)
    fingerprint = export_data(sample_path).fingerprint
    for path in (xlsx, pdf):
        report = verify_export(path)
        assert report.exit_code == 4, report.lines()  # `ipw verify draft && accept` must not accept
        assert report.summary.startswith("a draft: nothing was signed")
        assert report.differences == []
        assert report.fingerprint == fingerprint
        assert report.kind == path.suffix[1:]
        report = verify_export(path, sample_path)
        assert report.exit_code == 4, report.lines()
        assert any(c.name == "export record" and c.ok for c in report.checks)


def test_fresh_signed_exports_verify_with_their_signature(signed_path, tmp_path):
    xlsx, pdf = _export_both(signed_path, tmp_path)
    for path in (xlsx, pdf):
        report = verify_export(path, signed_path)
        assert report.exit_code == 0, report.lines()
        assert any(c.name == "signature" and c.ok for c in report.checks)
        assert report.signer["approver"] == "Dana Sponsor"
        assert report.key_fingerprint


# ---------------------------------------------------------------------------------------------- xlsx tampering

def test_one_changed_visible_cell_is_named(sample_path, tmp_path):
    xlsx, _ = _export_both(sample_path, tmp_path)
    book = openpyxl.load_workbook(xlsx)
    summary = book["Summary"]
    cell = next(row[1] for row in summary.iter_rows(min_col=1, max_col=2) if row[0].value == "Recommended route")
    cell.value = "Owned hardware"
    book.save(xlsx)
    report = verify_export(xlsx)
    assert report.exit_code == 3
    assert report.differences == [f'Summary!{cell.coordinate}: shows "Owned hardware", the content renders '
                                  '"Managed API only"']


@pytest.mark.parametrize("sheet, ref, value", [("Gates", "C5", "Passed"), ("Readiness", "B6", 95),
                                               ("Procurement matrix", "G6", "Avoid"), ("Summary", "F2", "extra")])
def test_changes_on_each_decision_sheet_are_found(sample_path, tmp_path, sheet, ref, value):
    xlsx, _ = _export_both(sample_path, tmp_path)
    book = openpyxl.load_workbook(xlsx)
    book[sheet][ref] = value
    book.save(xlsx)
    report = verify_export(xlsx)
    assert report.exit_code == 3
    assert [d.split(":")[0] for d in report.differences] == [f"{sheet}!{ref}"]


def test_one_changed_byte_of_embedded_content_is_found(sample_path, tmp_path):
    xlsx, _ = _export_both(sample_path, tmp_path)

    def edit(xml: str) -> str:
        changed, n = re.subn(r'"reviewerRateUsdPerHour":"60"', '"reviewerRateUsdPerHour":"61"', xml)
        assert n == 1
        return changed
    _rewrite_zip_member(xlsx, _content_sheet_xml, edit)
    report = verify_export(xlsx)
    assert report.exit_code == 3
    assert any(c.name == "fingerprint" and c.ok is False for c in report.checks)
    assert report.differences[0].startswith("embedded decision content: hashes to")


def test_content_changed_together_with_its_fingerprint_is_found_by_the_cells(sample_path, tmp_path):
    """Rewriting the embedded content and its fingerprint consistently still leaves the visible cells."""
    xlsx, _ = _export_both(sample_path, tmp_path)
    book = openpyxl.load_workbook(xlsx, read_only=True)
    rows = list(book[CONTENT_SHEET].iter_rows(values_only=True))
    book.close()
    content = json.loads("".join(r[1] for r in rows if r[0] == "content"))
    content["context"]["title"] = "A different decision"
    from desktop.domain.canonical import fingerprint as fp
    new_fp = fp(content)
    old_fp = json.loads(rows[1][1])["fingerprint"]

    def edit(xml: str) -> str:
        xml = xml.replace("Sample: how should we buy LLM inference?", "A different decision")
        return xml.replace(old_fp, new_fp)
    _rewrite_zip_member(xlsx, _content_sheet_xml, edit)
    report = verify_export(xlsx)
    assert report.exit_code == 3
    assert any(d.startswith("Summary!B6: shows \"Sample") for d in report.differences), report.differences


def test_xlsx_without_embedded_content_is_nothing_to_verify(tmp_path):
    path = tmp_path / "plain.xlsx"
    book = openpyxl.Workbook()
    book.active["A1"] = "hello"
    book.save(path)
    assert verify_export(path).exit_code == 4


def test_not_an_export_is_nothing_to_verify(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    assert verify_export(path).exit_code == 4
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    assert verify_export(broken).exit_code == 4


# ---------------------------------------------------------------------------------------------- pdf tampering

def _rewrite_attachment(pdf: Path, name: str, edit) -> None:
    reader = PdfReader(str(pdf))
    writer = PdfWriter(clone_from=reader)
    data = reader.attachments[name][0]
    # Drop the embedded files and add them again, one of them changed.
    root = writer._root_object
    del root["/Names"]["/EmbeddedFiles"]
    if "/AF" in root:
        del root["/AF"]
    for other, content in reader.attachments.items():
        writer.add_attachment(other, edit(data) if other == name else content[0])
    buffer = io.BytesIO()
    writer.write(buffer)
    pdf.write_bytes(buffer.getvalue())


def test_one_changed_byte_of_the_memos_content_is_found(sample_path, tmp_path):
    _, pdf = _export_both(sample_path, tmp_path)
    _rewrite_attachment(pdf, CONTENT_FILE_NAME, lambda data: data.replace(b'"60"', b'"61"', 1))
    report = verify_export(pdf)
    assert report.exit_code == 3
    assert any(c.name == "fingerprint" and c.ok is False for c in report.checks)


def test_forged_manifest_is_caught_by_the_printed_fingerprint_and_the_record(sample_path, tmp_path):
    _, pdf = _export_both(sample_path, tmp_path)
    reader = PdfReader(str(pdf))
    content = json.loads(reader.attachments[CONTENT_FILE_NAME][0])
    content["context"]["title"] = "Forged"
    from desktop.domain.canonical import canonical_bytes, fingerprint as fp
    forged = canonical_bytes(content)
    _rewrite_attachment(pdf, CONTENT_FILE_NAME, lambda data: forged)
    manifest = json.loads(PdfReader(str(pdf)).attachments[MANIFEST_FILE_NAME][0])
    manifest["fingerprint"] = fp(content)
    _rewrite_attachment(pdf, MANIFEST_FILE_NAME, lambda data: json.dumps(manifest).encode())
    report = verify_export(pdf)
    assert report.exit_code == 3
    assert any(c.name == "printed fingerprint" and c.ok is False for c in report.checks)
    assert verify_export(pdf, sample_path).exit_code == 3


def test_a_changed_memo_file_does_not_match_the_workbooks_export_record(sample_path, tmp_path):
    _, pdf = _export_both(sample_path, tmp_path)
    pdf.write_bytes(pdf.read_bytes() + b"\n% appended\n")
    assert verify_export(pdf).exit_code == 4  # still a consistent draft on its own
    report = verify_export(pdf, sample_path)
    assert report.exit_code == 3
    assert any(d.startswith("file hash:") for d in report.differences)


def test_memo_without_attachments_is_nothing_to_verify(sample_path, tmp_path):
    _, pdf = _export_both(sample_path, tmp_path)
    writer = PdfWriter(clone_from=PdfReader(str(pdf)))
    del writer._root_object["/Names"]["/EmbeddedFiles"]
    buffer = io.BytesIO()
    writer.write(buffer)
    pdf.write_bytes(buffer.getvalue())
    assert verify_export(pdf).exit_code == 4


def test_a_tampered_signature_is_found(signed_path, tmp_path):
    data = export_data(signed_path)
    data.manifest["signature"] = "00" * 64
    xlsx, pdf = tmp_path / "t.xlsx", tmp_path / "t.pdf"
    export_xlsx(xlsx, data)
    export_pdf(pdf, data)
    for path in (xlsx, pdf):
        report = verify_export(path)
        assert report.exit_code == 3
        assert any(c.name == "signature" and c.ok is False for c in report.checks)


def test_ipw_verify_reports_exit_codes(sample_path, tmp_path, capsys):
    xlsx, pdf = _export_both(sample_path, tmp_path)
    assert main(["verify", str(pdf), "--workbook", str(sample_path)]) == 4  # drafts: nothing was signed
    assert main(["verify", str(xlsx)]) == 4
    book = openpyxl.load_workbook(xlsx)
    book["Readiness"]["B5"] = 1
    book.save(xlsx)
    capsys.readouterr()
    assert main(["verify", str(xlsx)]) == 3
    assert "Readiness!B5" in capsys.readouterr().out


def test_a_workbook_changed_behind_its_sign_off_exports_as_not_valid(signed_path, tmp_path):
    import sqlite3

    from desktop.exports.matrix import NOT_VALID_MARK
    from desktop.exports.verify_export import pdf_text

    conn = sqlite3.connect(signed_path)
    context = json.loads(conn.execute("SELECT json FROM parts WHERE name = 'context'").fetchone()[0])
    context["title"] = "Quietly changed"
    conn.execute("UPDATE parts SET json = ? WHERE name = 'context'", (json.dumps(context),))
    conn.commit()
    conn.close()
    data = export_data(signed_path)
    assert data.status == "not-valid"
    xlsx, pdf = tmp_path / "nv.xlsx", tmp_path / "nv.pdf"
    export_xlsx(xlsx, data)
    export_pdf(pdf, data)
    assert openpyxl.load_workbook(xlsx)["Summary"]["A2"].value == NOT_VALID_MARK
    assert NOT_VALID_MARK in re.sub(r"\s+", " ", pdf_text(pdf))
    for path in (xlsx, pdf):
        report = verify_export(path)
        assert report.exit_code == 3
        assert any(d.startswith("sign-off: NOT VALID") for d in report.differences)
