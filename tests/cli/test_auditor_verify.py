"""Verification an auditor can trust (issue 12): each test is one of the issue's reproducers, run as an
auditor would, through `ipw`. The outside verifier is poppler's `pdfsig` (Debian's poppler-utils)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, TextStringObject

SIGN = ("--name", "Dana Lee", "--role", "CFO")


@pytest.fixture
def officer(ipw):
    """The officer's keys (Ed25519 for the sign-off, RSA-3072 certificate for the memo) in the user folder."""
    return ipw("keygen", "--json").json


@pytest.fixture
def signed_memo(ipw, sample, tmp_path, officer):
    """A rejected, signed-off sample workbook and its memo, signed as a PDF with the officer's certificate."""
    assert ipw("sign", sample, *SIGN, "--decision", "reject").code == 0
    memo = tmp_path / "memo.pdf"
    assert ipw("export", sample, "--pdf", memo).code == 0
    return memo


def _pdfsig(path: Path) -> str:
    """pdfsig's report (its exit code means nothing for validity: read the lines, pdf-signing.md 3)."""
    assert shutil.which("pdfsig"), "poppler-utils (pdfsig) is in packaging/debian-packages.txt"
    done = subprocess.run(["pdfsig", "-nocert", str(path)], capture_output=True, text=True, timeout=60)
    return done.stdout + done.stderr


def _flip_byte_in_first_page_stream(pdf: bytes) -> bytes:
    """One byte changed inside the first content stream's compressed data (the signed byte range)."""
    start = pdf.index(b"stream\n", pdf.index(b"/FlateDecode")) + len(b"stream\n")
    data = bytearray(pdf)
    data[start + 40] ^= 0x20
    return bytes(data)


# ---------------------------------------------------------------------------------------------- page text

def _codes_for(font) -> dict[str, str]:
    """Character -> the 4-hex-digit code that draws it, from the font's ToUnicode map (bfchar/bfrange)."""
    cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    codes: dict[str, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, uni in re.findall(r"^\s*<([0-9a-fA-F]+)>[ \t]*<([0-9a-fA-F]+)>", block, re.M):
            if len(uni) == 4:  # one character (ligatures map to several)
                codes.setdefault(chr(int(uni, 16)), code.lower())
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for lo, hi, uni in re.findall(r"^\s*<([0-9a-fA-F]+)>[ \t]*<([0-9a-fA-F]+)>[ \t]*<([0-9a-fA-F]{4})>", block,
                                      re.M):
            for offset in range(int(hi, 16) - int(lo, 16) + 1):
                codes.setdefault(chr(int(uni, 16) + offset), f"{int(lo, 16) + offset:04x}")
    return codes


def _change_glyph(pdf: Path, page_index: int, old: str, new: str, within: str | None = None,
                  whole_run: bool = False) -> None:
    """Redraw the first `old` (two characters of one text run; with `within`, of the run that draws that
    text, or exactly that text with `whole_run`) on a page as `new`: what a forger with a PDF editor does.
    The attachments and the printed fingerprint stay as they were."""
    reader = PdfReader(str(pdf))
    page = reader.pages[page_index]
    stream = page.get_contents().get_data().decode("latin-1")
    fonts = {name: _codes_for(font.get_object()) for name, font in page["/Resources"]["/Font"].items()}
    selections = list(re.finditer(r"(/\S+) [\d.]+ Tf", stream))  # each run of text drawn in one font
    for here, after in zip(selections, selections[1:] + [None]):
        codes = fonts.get(here.group(1), {})
        if not all(ch in codes for ch in old + new):
            continue
        chars = {code: ch for ch, code in codes.items()}
        end = after.start() if after else len(stream)
        for run in re.finditer(r"\[(.*?)\]\s*TJ", stream[here.end():end], re.S):
            shown = "".join(chars.get(c.lower(), "?") for c in re.findall(r"<([0-9a-fA-F]{4})>", run.group(1)))
            if within is not None and (shown != within if whole_run else within not in shown):
                continue
            start = here.end() + run.start(1)
            pattern = re.compile(rf"<{codes[old[0]]}>(-?[\d.]*)<{codes[old[1]]}>", re.I)
            match = pattern.search(stream, start, here.end() + run.end(1))
            if match:
                replaced = f"<{codes[new[0]]}>{match.group(1)}<{codes[new[1]]}>"
                stream = stream[:match.start()] + replaced + stream[match.end():]
                break
        else:
            continue
        break
    else:
        raise AssertionError(f"no text run draws {old!r} on page {page_index + 1}")
    writer = PdfWriter(clone_from=reader)
    contents = writer.pages[page_index]["/Contents"].get_object()  # one stream per page in WeasyPrint's memos
    contents.set_data(stream.encode("latin-1"))
    buffer = io.BytesIO()
    writer.write(buffer)
    pdf.write_bytes(buffer.getvalue())


def test_glyph_change_in_page_text_is_exit_3_naming_the_changed_value(ipw, sample, tmp_path, officer):
    assert ipw("score", sample, "ops-ownership", "56").code == 0
    assert ipw("sign", sample, *SIGN, "--decision", "approve").code == 0
    memo = tmp_path / "memo.pdf"
    # without the PDF signature, so that the page-text check alone has to catch it
    assert ipw("export", sample, "--pdf", memo, "--no-pdf-signature").code == 0
    assert ipw("verify", memo).code == 0
    pages = [" ".join(page.extract_text().split()) for page in PdfReader(str(memo)).pages]
    index = next(i for i, text in enumerate(pages) if "Ops ownership 56" in text)  # the readiness table
    _change_glyph(memo, index, "56", "96")
    assert "Ops ownership 96" in " ".join(PdfReader(str(memo)).pages[index].extract_text().split())
    result = ipw("verify", memo)
    assert result.code == 3, result.out
    assert "visible text check failed" in result.out.splitlines()[0]
    assert "readiness Ops ownership: score: the content says '56', the page shows '96'" in result.out


def test_the_issues_glyph_change_26_to_96_percent_is_exit_3_naming_the_break_even(ipw, sample, tmp_path, officer):
    assert ipw("calc", "dedicated", "--gpu-hour-usd", "2.69", "--gpus", "1", "--tokens-per-second", "14539.5",
               "--utilization", "0.5", "--api-usd-per-million", "0.20", "--save", "h100-dedicated",
               "--workbook", sample).code == 0
    assert ipw("sign", sample, "--name", "Zoë Ångström", "--role", "Head of Finance", "--decision",
               "approve-with-conditions", "--conditions", "Re-measure GPU occupancy in Q3; cap spend at $40k").code == 0
    memo = tmp_path / "memo.pdf"
    assert ipw("export", sample, "--pdf", memo).code == 0
    untouched = ipw("verify", memo, "--workbook", sample)
    assert untouched.code == 0 and "[ok  ] visible text" in untouched.out, untouched.out
    pages = [" ".join(page.extract_text().split()) for page in PdfReader(str(memo)).pages]
    index = next(i for i, text in enumerate(pages) if "break- even 26% utilization" in text)
    _change_glyph(memo, index, "26", "96", within="26%")
    result = ipw("verify", memo)
    assert result.code == 3, result.out
    assert "memo text: dedicated endpoint break-even: the content says '26%', the page shows '96%'" in result.out
    assert "PDF signature" in result.out.splitlines()[0]  # the re-saved file also breaks the PDF signature


def test_corrupted_stream_byte_is_exit_3_with_no_warnings_on_stderr(ipw_process, signed_memo, tmp_path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(_flip_byte_in_first_page_stream(signed_memo.read_bytes()))
    result = ipw_process("verify", broken)
    assert result.code == 3, result.out + result.err
    assert result.err == ""  # pypdf's and pyHanko's complaints never reach the auditor's screen
    assert "PDF signature" in result.out.splitlines()[0]
    assert "a byte of the file was changed after signing" in result.out
    assert "Digest Mismatch" in _pdfsig(broken)  # the outside verifier agrees


def test_corrupted_stream_byte_of_a_memo_without_pdf_signature_is_exit_3_too(ipw, ipw_process, sample, tmp_path):
    assert ipw("sign", sample, *SIGN, "--decision", "approve", "--no-key").code == 0
    memo = tmp_path / "memo.pdf"
    assert ipw("export", sample, "--pdf", memo).code == 0  # no key at all: only the file's own consistency
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(_flip_byte_in_first_page_stream(memo.read_bytes()))
    result = ipw_process("verify", broken)
    assert result.code == 3, result.out + result.err
    assert result.err == ""
    assert result.out.splitlines()[0].startswith(f"{broken}: MISMATCH: file structure check failed: the file is "
                                                 "damaged")


def test_a_changed_plan_total_is_exit_3_against_the_workbook(ipw, sample, tmp_path, officer):
    from desktop.exports.matrix import gather
    from desktop.exports.plan_text import totals_lines
    from desktop.resources import playbook
    from desktop.storage.workbook_file import open_store

    assert ipw("sign", sample, *SIGN, "--decision", "approve").code == 0
    memo = tmp_path / "memo.pdf"
    assert ipw("export", sample, "--pdf", memo, "--no-pdf-signature").code == 0
    assert ipw("verify", memo, "--workbook", sample).code == 0
    store = open_store(sample, writable=False)
    try:
        plan = gather(store, store.load(playbook()), playbook()).plan
    finally:
        store.close()
    label, amount = totals_lines(plan)[0]  # "Plan, per month", as the first page prints it
    digits = amount.replace(",", "").replace("$", "").replace(".", "")
    old = next(amount[i:i + 2] for i in range(len(amount) - 1) if amount[i:i + 2].isdigit())
    new = old[0] + ("1" if old[1] != "1" else "2")
    before = " ".join(PdfReader(str(memo)).pages[0].extract_text().split())
    _change_glyph(memo, 0, old, new, within=amount, whole_run=True)  # the totals table's cell
    after = " ".join(PdfReader(str(memo)).pages[0].extract_text().split())
    assert digits and f"{label} {amount}" in before and f"{label} {amount}" not in after
    on_its_own = ipw("verify", memo)
    assert on_its_own.code == 0  # the totals are computed from the traces: the embedded content lacks them
    result = ipw("verify", memo, "--workbook", sample)
    assert result.code == 3, result.out
    assert "MISMATCH: export record, plan totals checks failed" in result.out.splitlines()[0]  # a changed copy
    assert f"memo text: plan: {label}: the workbook computes {amount!r}, the page shows" in result.out
    assert "opening sentence" not in result.out  # the lead still shows the true total: only the table changed


# ---------------------------------------------------------------------------------------------- sign-off state

def test_revoked_and_resigned_workbook_with_the_old_memo_is_exit_3_naming_the_revocation(ipw, sample, signed_memo):
    old = ipw("verify", signed_memo, "--workbook", sample)
    assert old.code == 0, old.out
    assert ipw("revoke", sample, "--by", "Ana Ortiz", "--reason", "volumes were wrong").code == 0
    assert ipw("score", sample, "ops-ownership", "80").code == 0
    resigned = ipw("sign", sample, *SIGN, "--decision", "approve", "--json").json
    result = ipw("verify", signed_memo, "--workbook", sample)
    assert result.code == 3, result.out
    headline = result.out.splitlines()[0]
    assert "sign-off state check failed" in headline and "REVOKED" in headline
    assert "by Ana Ortiz: volumes were wrong" in headline
    assert f"the current sign-off has fingerprint {resigned['fingerprint']}" in headline
    report = ipw("verify", signed_memo, "--workbook", sample, "--json").json
    state = next(c for c in report["checks"] if c["name"] == "sign-off state")
    assert state["ok"] is False and "REVOKED on " in state["detail"]


# ---------------------------------------------------------------------------------------------- keys

def test_forged_content_resigned_with_another_key_fails_the_trusted_key(ipw, sample, tmp_path, officer):
    forger_key = tmp_path / "forger.pem"
    forger = ipw("keygen", "--key", forger_key, "--json").json
    assert ipw("score", sample, "ops-ownership", "95").code == 0
    assert ipw("sign", sample, *SIGN, "--decision", "approve", "--key", forger_key).code == 0
    forged = tmp_path / "forged.pdf"
    assert ipw("export", sample, "--pdf", forged, "--pdf-key", forger_key).code == 0
    on_its_own = ipw("verify", forged)
    assert on_its_own.code == 0  # internally consistent, which is why a key has to be pinned ...
    assert "not checked against any trusted key" in on_its_own.out  # ... and the report says it was not
    result = ipw("verify", forged, "--trusted-key", officer["keyFingerprint"])
    assert result.code == 3, result.out
    assert "trusted key check failed" in result.out.splitlines()[0]
    assert f"signed with key {forger['keyFingerprint']}, not a trusted key (expected " \
           f"{officer['keyFingerprint']})" in result.out
    assert f"PDF was signed with key {forger['pdfKeyFingerprint']}" in result.out
    workbook = ipw("verify", sample, "--trusted-key", officer["keyFingerprint"])
    assert workbook.code == 3 and forger["keyFingerprint"] in workbook.out
    real = ipw("verify", sample, "--trusted-key", forger["keyFingerprint"])
    assert real.code == 0, real.out  # the same key, pinned, passes: the check is the key, not the content


def test_trusted_keys_file_in_the_config_folder_pins_the_officer_key(ipw, signed_memo, officer, user_dirs):
    trusted = user_dirs.config / "trusted-keys.txt"
    trusted.parent.mkdir(parents=True, exist_ok=True)
    trusted.write_text(f"# procurement office\n{officer['keyFingerprint'].lower()}  # Dana Lee\n", encoding="utf-8")
    result = ipw("verify", signed_memo, "--json").json
    check = next(c for c in result["checks"] if c["name"] == "trusted key")
    assert result["exitCode"] == 0 and check["ok"] is True
    # the memo's RSA certificate is trusted through its binding to the pinned Ed25519 key
    assert officer["pdfKeyFingerprint"] in check["detail"]
    trusted.write_text("not a fingerprint\n", encoding="utf-8")
    bad = ipw("verify", signed_memo)
    assert bad.code == 1 and "trusted-keys.txt, line 1" in bad.err and len(bad.err.splitlines()) == 1


def test_signature_stripped_is_exit_3_with_a_downgrade_message_when_the_key_is_pinned(ipw, sample, tmp_path, officer):
    assert ipw("sign", sample, *SIGN, "--decision", "approve").code == 0
    assert ipw("revoke", sample, "--by", "Mallory", "--reason", "edit").code == 0
    assert ipw("sign", sample, *SIGN, "--decision", "approve", "--no-key").code == 0
    stripped = tmp_path / "stripped.pdf"
    assert ipw("export", sample, "--pdf", stripped, "--no-pdf-signature").code == 0
    result = ipw("verify", stripped, "--trusted-key", officer["keyFingerprint"])
    assert result.code == 3, result.out
    assert "downgrade: the sign-off carries no signature at all, but a key is pinned" in result.out
    # the workbook's own audit log shows the keyed sign-off before: a downgrade even without a pinned key
    against_workbook = ipw("verify", stripped, "--workbook", sample)
    assert against_workbook.code == 3 and "key downgrade check failed" in against_workbook.out.splitlines()[0]
    workbook = ipw("verify", sample)
    assert workbook.code == 3, workbook.out
    assert "key downgrade check failed" in workbook.out.splitlines()[0]
    assert f"signed with key {officer['keyFingerprint']}" in workbook.out


# ---------------------------------------------------------------------------------------------- drafts

def test_draft_pdf_and_draft_xlsx_are_exit_4(ipw, sample, tmp_path):
    pdf, xlsx = tmp_path / "draft.pdf", tmp_path / "draft.xlsx"
    assert ipw("export", sample, "--pdf", pdf, "--xlsx", xlsx).code == 0
    for path in (pdf, xlsx):
        result = ipw("verify", path)
        assert result.code == 4, result.out
        assert "a draft: nothing was signed" in result.out
    assert PdfReader(str(pdf)).attachments  # a draft carries its content ...
    assert "/ByteRange" not in pdf.read_bytes().decode("latin-1")  # ... but no PDF signature


# ---------------------------------------------------------------------------------------------- pdfsig

def test_pdfsig_says_the_untouched_memo_signature_is_valid_and_total(signed_memo, ipw):
    report = _pdfsig(signed_memo)
    assert "Signature Validation: Signature is Valid." in report
    assert "Total document signed" in report and "Not total document signed" not in report
    assert "Signature Type: ETSI.CAdES.detached" in report
    assert "Signer Certificate Common Name: IPW signing key" in report
    assert ipw("verify", signed_memo).code == 0


def test_pdfsig_trusts_the_officers_certificate_once_it_is_in_an_nss_database(signed_memo, officer, tmp_path):
    """The how-to's steps for an auditor without the app: the self-signed certificate has CA:true, which
    NSS needs to trust it as an anchor (pdf-signing.md 3)."""
    nss = tmp_path / "nssdb"
    nss.mkdir()
    for command in (["certutil", "-N", "--empty-password", "-d", f"sql:{nss}"],
                    ["certutil", "-A", "-a", "-d", f"sql:{nss}", "-n", "officer", "-t", ",C,", "-i",
                     officer["pdfCertificate"]]):
        subprocess.run(command, check=True, capture_output=True, timeout=60)
    done = subprocess.run(["pdfsig", "-nssdir", f"sql:{nss}", str(signed_memo)], capture_output=True, text=True,
                          timeout=60)
    assert "Signature is Valid." in done.stdout and "Certificate is Trusted." in done.stdout, done.stdout


def test_an_update_appended_after_signing_is_exit_3_where_pdfsig_says_only_not_total(ipw, signed_memo, tmp_path):
    edited = tmp_path / "edited.pdf"
    writer = PdfWriter(str(signed_memo), incremental=True)  # appends an update, the signed bytes stay
    writer.add_metadata({NameObject("/Subject"): TextStringObject("Approved (amended)")})
    writer.pages[0].merge_transformed_page(writer.pages[1], (1, 0, 0, 1, 0, 0))  # page 2 drawn over page 1
    with open(edited, "wb") as handle:
        writer.write(handle)
    assert edited.read_bytes().startswith(signed_memo.read_bytes())
    report = _pdfsig(edited)
    assert "Signature is Valid." in report and "Not total document signed" in report
    result = ipw("verify", edited)
    assert result.code == 3, result.out
    assert "the PDF signature does not cover the whole file" in result.out


def test_a_byte_changed_after_signing_fails_pdfsig_and_ipw_verify(ipw, signed_memo, tmp_path):
    data = bytearray(signed_memo.read_bytes())
    at = data.index(b"/Reason")  # inside the signed bytes, after /Contents
    data[at + 12] ^= 0x01
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(bytes(data))
    assert "Digest Mismatch" in _pdfsig(tampered)
    result = ipw("verify", tampered)
    assert result.code == 3 and "PDF signature check failed" in result.out.splitlines()[0]


def test_every_export_shows_each_gate_verdict_with_its_justification_and_notes(ipw, sample, tmp_path):
    assert ipw("gate", sample, "utilization-proof", "--status", "at-risk", "--justification",
               "occupancy unmeasured", "--note", "ask the vendor").code == 0
    assert ipw("score", sample, "ops-ownership", "40", "--note", "no on-call rota").code == 0
    pdf, xlsx = tmp_path / "m.pdf", tmp_path / "m.xlsx"
    assert ipw("export", sample, "--pdf", pdf, "--xlsx", xlsx).code == 0
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(str(pdf)).pages).split())
    assert "At risk 0 of 5" in text
    assert "Justification: occupancy unmeasured; open item(s) 1, 2, 3, 4, 5" in text
    assert "Note: ask the vendor" in text and "no on-call rota" in text
    import openpyxl
    book = openpyxl.load_workbook(xlsx, read_only=True)
    values = [c for row in book["Gates"].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    book.close()
    assert "occupancy unmeasured; open item(s) 1, 2, 3, 4, 5" in values and "ask the vendor" in values


# ---------------------------------------------------------------------------------------------- PKCS#12

@pytest.fixture
def organisation_p12(tmp_path):
    """The organisation's certificate as its PKI hands it out: a PKCS#12 file made by OpenSSL."""
    key, cert, p12 = tmp_path / "org.key", tmp_path / "org.crt", tmp_path / "org.p12"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:3072", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "30", "-subj", "/O=Acme Corp/CN=Acme Procurement Signing",
                    "-addext", "basicConstraints=critical,CA:true",
                    "-addext", "keyUsage=critical,digitalSignature,nonRepudiation,keyCertSign"],
                   check=True, capture_output=True, timeout=120)
    subprocess.run(["openssl", "pkcs12", "-export", "-inkey", str(key), "-in", str(cert), "-out", str(p12),
                    "-passout", "pass:s3cret word"], check=True, capture_output=True, timeout=60)
    return p12


def test_memo_signed_with_the_organisations_pkcs12_certificate(ipw, sample, tmp_path, organisation_p12, monkeypatch):
    assert ipw("sign", sample, *SIGN, "--decision", "approve", "--no-key").code == 0
    memo = tmp_path / "memo.pdf"
    monkeypatch.setenv("IPW_P12_PASSWORD", "wrong")
    refused = ipw("export", sample, "--pdf", memo, "--p12", organisation_p12)
    assert refused.code == 1 and len(refused.err.strip().splitlines()) == 1
    assert "wrong password" in refused.err and not memo.exists()  # no unsigned memo left behind
    monkeypatch.setenv("IPW_P12_PASSWORD", "s3cret word")
    assert ipw("export", sample, "--pdf", memo, "--p12", organisation_p12).code == 0
    report = _pdfsig(memo)
    assert "Signer Certificate Common Name: Acme Procurement Signing" in report
    assert "Signature is Valid." in report and "Total document signed" in report
    verified = ipw("verify", memo, "--json").json
    check = next(c for c in verified["checks"] if c["name"] == "PDF signature")
    assert verified["exitCode"] == 0 and check["ok"] is True and "Acme Procurement Signing" in check["detail"]
    pdf_key = re.search(r"key ([0-9A-F ]{39})\)", check["detail"]).group(1)
    pinned = ipw("verify", memo, "--trusted-key", pdf_key)  # the PDF signature covers the attached content too
    assert pinned.code == 0 and f"signed with trusted key(s) {pdf_key}" in pinned.out
    assert ipw("verify", memo, "--trusted-key", "00" * 16).code == 3


def test_the_headline_names_the_failing_check_when_only_the_export_record_fails(ipw, sample, tmp_path, officer):
    assert ipw("sign", sample, *SIGN, "--decision", "reject").code == 0
    other = tmp_path / "copy-before-export.ipwb"
    other.write_bytes(sample.read_bytes())  # the same signed workbook, without the memo's export record
    memo = tmp_path / "memo.pdf"
    assert ipw("export", sample, "--pdf", memo).code == 0
    result = ipw("verify", memo, "--workbook", other, "--json")
    assert result.code == 3
    report = result.json
    failed = [c["name"] for c in report["checks"] if c["ok"] is False]
    assert failed == ["export record"]
    assert report["summary"].startswith("export record check failed: the workbook recorded no export with this "
                                        "file's SHA-256")
    assert "does not match its embedded" not in report["summary"]
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    assert statuses["PDF signature"] == statuses["visible text"] == statuses["sign-off state"] == "passed"
    assert statuses["trusted key"] == "not checked" and statuses["export record"] == "failed"


def test_the_signed_memo_stays_pdf_a_3u_with_agreeing_metadata_and_its_attachments(signed_memo, tmp_path):
    reader = PdfReader(str(signed_memo))
    xmp = reader.xmp_metadata
    assert xmp.pdf_producer == reader.metadata["/Producer"]  # pyHanko rewrites both; PDF/A wants them equal
    raw = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    # pyHanko re-serialises the packet with RDF attributes instead of elements: both forms are XMP
    assert re.search(r"pdfaid:part(=\"|>)3", raw) and re.search(r"pdfaid:conformance(=\"|>)U", raw)
    assert signed_memo.read_bytes().startswith(b"%PDF-1.7")  # RSA keeps PDF 1.7 (ECDSA would make it 2.0)
    assert "/Version" not in reader.trailer["/Root"]
    assert set(reader.attachments) == {"decision-content.json", "export-manifest.json"}
    widget = reader.pages[0]["/Annots"][0].get_object()
    assert [float(x) for x in widget["/Rect"]] == [0, 0, 0, 0]  # invisible: no stamp, no unembedded font


def test_a_second_signature_added_after_signing_is_exit_3(ipw, signed_memo, tmp_path):
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    from desktop.exports.pdf_signature import credential_paths, generate_credentials

    generate_credentials(tmp_path / "other.pem", common_name="Someone else")
    key, cert = credential_paths(tmp_path / "other.pem")
    cosigned = tmp_path / "cosigned.pdf"
    with open(signed_memo, "rb") as source, open(cosigned, "wb") as target:  # a co-signature, as pyHanko adds it
        signers.sign_pdf(IncrementalPdfFileWriter(source),
                         signers.PdfSignatureMetadata(field_name="Signature2", subfilter=fields.SigSeedSubFilter.PADES),
                         signer=signers.SimpleSigner.load(str(key), str(cert)), output=target)
    report = _pdfsig(cosigned)
    assert report.count("Signature is Valid.") == 2 and "Not total document signed" in report
    result = ipw("verify", cosigned)
    assert result.code == 3 and "the memo carries 2 PDF signatures" in result.out
