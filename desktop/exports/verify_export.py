"""Verifying an exported Excel workbook or PDF memo against the decision content embedded in it.

`verify_export(path, workbook_path=None, trusted_keys=None) -> VerifyReport` (`desktop.exports.verify`):

- .xlsx: the very hidden content sheet holds the canonical content and the export manifest. The content's
  SHA-256 must equal the manifest's fingerprint; a signature (if any) must verify over the canonical bytes
  with the embedded public key; every visible decision cell (Summary, Procurement matrix, Gates,
  Readiness, the sign-off block) must equal what the embedded content renders to, each differing cell
  named as Sheet!A1; and the cells the Metrics formulas read (`desktop.exports.verify_xlsx_inputs`) must
  be the content's.
- .pdf: the PAdES signature (`desktop.exports.pdf_signature`), the attached decision-content.json against
  the attached manifest's fingerprint and signature, the printed fingerprint, the decision values printed
  on the pages (`desktop.exports.memo_text_check`), and every stream decodable; pypdf's and pyHanko's
  complaints are collected, never printed, and a damaged file is a mismatch.
- With `workbook_path`: the file's SHA-256 must be one the workbook recorded when it exported the file,
  and the sign-off it shows still current (`desktop.exports.verify_trust`); always: whose keys signed.

Exit codes: 0 intact and signed off, 3 mismatch (the headline names the failing checks), 4 nothing to
verify (a draft: nothing was signed; not a file this app exported, or no embedded content).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import math
import re
import warnings
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from desktop.domain.canonical import canonical_bytes
from desktop.exports.atomic import sha256_file
from desktop.exports.matrix import CONTENT_FILE_NAME, MANIFEST_FILE_NAME, MANIFEST_FORMAT, NOT_VALID_MARK
from desktop.exports.verify import INTACT, MISMATCH, NOTHING_TO_VERIFY, Check, VerifyReport, failed_headline

MAX_CELL_DIFFERENCES = 200


def _signer(content: Mapping[str, Any]) -> dict[str, Any] | None:
    signoff = content.get("signoff")
    if not isinstance(signoff, Mapping):
        return None
    return {k: signoff.get(k) for k in ("approver", "role", "decision", "date", "conditions")}


def _check_content(raw: bytes, manifest: Mapping[str, Any], checks: list[Check], differences: list[str]
                   ) -> tuple[dict[str, Any] | None, str | None]:
    """Parse the embedded content, hash it and check the manifest's fingerprint, status and signature."""
    try:
        content = json.loads(raw.decode("utf-8"))
        if not isinstance(content, dict):
            raise ValueError("not a JSON object")
        canonical = canonical_bytes(content)
    except (UnicodeDecodeError, ValueError, TypeError) as exc:
        checks.append(Check("embedded content", False, f"the embedded decision content is damaged ({exc})"))
        differences.append("embedded decision content: not readable")
        return None, None
    recomputed = hashlib.sha256(canonical).hexdigest()
    claimed = str(manifest.get("fingerprint") or "")
    same = recomputed == claimed
    checks.append(Check("fingerprint", same, "the embedded decision content matches the fingerprint the file "
                        "carries" if same else "the embedded decision content does not match the fingerprint "
                        "the file carries: it was changed"))
    if not same:
        differences.append(f"embedded decision content: hashes to {recomputed}, the file says {claimed}")

    status = manifest.get("status")
    signed_content = content.get("signoff") is not None
    if status == "not-valid":
        checks.append(Check("sign-off", False, "the export itself is marked " + NOT_VALID_MARK))
        differences.append("sign-off: " + NOT_VALID_MARK)
    elif status == "signed":
        ok = signed_content and manifest.get("signedFingerprint") == claimed
        checks.append(Check("sign-off", ok, "the content carries the sign-off it claims" if ok else
                            "the file claims a sign-off its content does not record"))
        if not ok:
            differences.append("sign-off: the file claims a sign-off its content does not record")
    else:
        ok = not signed_content
        checks.append(Check("sign-off", None if ok else False, "a draft: not signed off" if ok else
                            "a draft whose content records a sign-off"))
        if not ok:
            differences.append("sign-off: marked draft but the content records a sign-off")

    signature, public = manifest.get("signature"), manifest.get("publicKey")
    if signature:
        from desktop.exports.signing import key_fingerprint, verify_signature

        if not public:
            checks.append(Check("signature", False, "a signature without a public key cannot be checked"))
            differences.append("signature: no public key")
        else:
            valid = verify_signature(str(public), str(signature), canonical)
            try:
                key = key_fingerprint(str(public))
            except ValueError:
                key = "unreadable key"
            checks.append(Check("signature", valid, f"Ed25519 signature valid (key {key})" if valid else
                                f"the Ed25519 signature does not verify with the embedded public key ({key})"))
            if not valid:
                differences.append("signature: does not verify over the embedded decision content")
    else:
        checks.append(Check("signature", None, "no signature (fingerprint only)"))
    return content, recomputed


def _export_record_check(path: Path, workbook_path: Path, kind: str, fingerprint: str | None,
                         checks: list[Check], differences: list[str]) -> None:
    from desktop.domain.errors import DomainError
    from desktop.storage.signoff_store import export_records
    from desktop.storage.workbook_file import open_store

    try:
        store = open_store(Path(workbook_path), writable=False)
    except DomainError as exc:
        checks.append(Check("export record", False, f"cannot read the workbook: {exc}"))
        differences.append(f"--workbook: cannot read {workbook_path}")
        return
    try:
        records = export_records(store)
    finally:
        store.close()
    digest = sha256_file(path)
    match = [r for r in records if r["sha256"] == digest]
    if match:
        r = match[-1]
        checks.append(Check("export record", True, f"the file is byte for byte the {r['kind']} the workbook "
                            f"exported at {r['exportedAt']}"))
        if fingerprint and r["fingerprint"] != fingerprint:
            checks.append(Check("export record fingerprint", False, "the record's fingerprint differs from the "
                                "file's"))
            differences.append(f"export record: fingerprint {r['fingerprint']}, the file carries {fingerprint}")
        return
    same_fp = [r for r in records if fingerprint and r["fingerprint"] == fingerprint and r["kind"] == kind]
    detail = (f"the workbook recorded no export with this file's SHA-256 ({digest[:16]}...)"
              + (f"; it exported {len(same_fp)} {kind} file(s) with the same fingerprint, so this copy was "
                 "changed after export" if same_fp else ""))
    checks.append(Check("export record", False, detail))
    differences.append(f"file hash: {digest} is not among the workbook's {len(records)} export record(s)")


# ---------------------------------------------------------------------------------------------- xlsx

def _normal(value: Any) -> Any:
    if isinstance(value, str):
        from desktop.exports.excel_text import unescape_cell_text
        value = unescape_cell_text(value)
        return value if value != "" else None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    return value


def _same(expected: Any, actual: Any) -> bool:
    a, b = _normal(expected), _normal(actual)
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isfinite(a) and math.isfinite(b) and abs(a - b) <= 1e-12 * max(abs(a), abs(b)))
    return a == b


def _show(value: Any) -> str:
    value = _normal(value)
    if value is None:
        return "(empty)"
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)
    return text if len(text) <= 90 else text[:87] + '..."'


def _read_xlsx(path: Path) -> tuple[Any, str | None]:
    import openpyxl

    try:
        with zipfile.ZipFile(path) as archive:
            if "xl/workbook.xml" not in archive.namelist():
                return None, "not an Excel workbook"
        return openpyxl.load_workbook(path, read_only=True, data_only=False), None
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        return None, f"not a readable Excel workbook ({exc})"


def verify_xlsx(path: Path, workbook_path: Path | None = None, trusted_keys: Any = None) -> VerifyReport:
    from desktop.exports.excel import CONTENT_FORMAT, CONTENT_SHEET
    from desktop.exports.excel_layout import DECISION_SHEETS, cell_ref, decision_layouts
    from desktop.resources import playbook as bundled_playbook

    book, problem = _read_xlsx(path)
    if book is None:
        return VerifyReport(path, "xlsx", NOTHING_TO_VERIFY, f"{problem}: nothing to verify")
    try:
        if CONTENT_SHEET not in book.sheetnames:
            return VerifyReport(path, "xlsx", NOTHING_TO_VERIFY, "no embedded decision content: not a workbook "
                                "exported by this app (or its content sheet was removed)")
        rows = {}
        for row in book[CONTENT_SHEET].iter_rows(values_only=True):
            if row and row[0] is not None:
                rows.setdefault(str(row[0]), []).append(row[1] if len(row) > 1 else None)
        checks: list[Check] = []
        differences: list[str] = []
        if rows.get("format", [None])[0] != CONTENT_FORMAT:
            return VerifyReport(path, "xlsx", NOTHING_TO_VERIFY, "the content sheet is not in a format this "
                                "version reads")
        try:
            manifest = json.loads(_normal(rows["manifest"][0]) or "")
            if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
                raise ValueError("unknown manifest format")
        except (KeyError, ValueError, TypeError) as exc:
            return VerifyReport(path, "xlsx", MISMATCH, "the embedded export manifest is damaged",
                                [Check("manifest", False, str(exc))], ["embedded manifest: not readable"])
        chunks = [_normal(c) or "" for c in rows.get("content", [])]
        declared = rows.get("content chunks", [None])[0]
        if not isinstance(declared, (int, float)) or int(declared) != len(chunks):
            checks.append(Check("embedded content", False, f"{len(chunks)} content part(s) found, "
                                f"{declared} declared"))
            differences.append("embedded decision content: parts missing or added")
        content, recomputed = _check_content("".join(chunks).encode("utf-8"), manifest, checks, differences)
        fingerprint = manifest.get("fingerprint")

        if content is not None:
            playbook = bundled_playbook()
            same_playbook = content.get("playbookVersion") == playbook.version
            if not same_playbook:
                checks.append(Check("playbook", None, f"the content was made with playbook "
                                    f"{content.get('playbookVersion')}, this app has {playbook.version}: texts "
                                    "that come from the playbook are not compared"))
            cell_differences: list[str] = []
            for layout in decision_layouts(content, manifest, playbook):
                if layout.name not in book.sheetnames:
                    cell_differences.append(f"{layout.name}: the sheet is missing")
                    continue
                actual: dict[tuple[int, int], Any] = {}
                for row in book[layout.name].iter_rows():
                    for cell in row:
                        value = getattr(cell, "value", None)
                        if value is not None and value != "":
                            actual[(cell.row - 1, cell.column - 1)] = value
                for position in sorted(set(layout.cells) | set(actual)):
                    expected_cell = layout.cells.get(position)
                    if expected_cell is not None and expected_cell.origin == "playbook" and not same_playbook:
                        continue
                    expected = expected_cell.value if expected_cell else None
                    value = actual.get(position)
                    if not _same(expected, value):
                        ref = f"{layout.name}!{cell_ref(*position)}"
                        if expected_cell is None:
                            cell_differences.append(f"{ref}: shows {_show(value)}, the content renders nothing "
                                                    "there")
                        else:
                            cell_differences.append(f"{ref}: shows {_show(value)}, the content renders "
                                                    f"{_show(expected)}")
            checks.append(Check("visible cells", not cell_differences,
                                f"every decision cell on {', '.join(DECISION_SHEETS)} equals what the embedded "
                                "content renders to" if not cell_differences else
                                f"{len(cell_differences)} decision cell(s) differ from what the embedded content "
                                "renders to"))
            differences += cell_differences[:MAX_CELL_DIFFERENCES]
            if len(cell_differences) > MAX_CELL_DIFFERENCES:
                differences.append(f"... and {len(cell_differences) - MAX_CELL_DIFFERENCES} more cell(s)")
            _input_cell_checks(book, content, checks, differences, path)
    finally:
        book.close()
    if workbook_path is not None:
        _export_record_check(path, workbook_path, "xlsx", fingerprint, checks, differences)
    _trust_and_state(workbook_path, manifest, None, checks, differences, trusted_keys)
    return _finish(path, "xlsx", checks, differences, fingerprint, recomputed, content, manifest)


def _input_cell_checks(book: Any, content: Mapping[str, Any], checks: list[Check], differences: list[str],
                       path: Path) -> None:
    """The hook into desktop.exports.verify_xlsx_inputs: the cells the formulas read (traces, rates, volumes)."""
    from desktop.exports.verify_xlsx_inputs import assumption_input_check, trace_input_check

    for check, found in (trace_input_check(book, content, path), assumption_input_check(book, content)):
        checks.append(check)
        differences += found[:MAX_CELL_DIFFERENCES]


def _finish(path: Path, kind: str, checks: list[Check], differences: list[str], fingerprint: Any,
            recomputed: str | None, content: Mapping[str, Any] | None, manifest: Mapping[str, Any]
            ) -> VerifyReport:
    key = None
    if manifest.get("publicKey"):
        from desktop.exports.signing import key_fingerprint
        try:
            key = key_fingerprint(str(manifest["publicKey"]))
        except ValueError:
            key = None
    signer = _signer(content) if content else None
    failed = [c.name for c in checks if c.ok is False]
    if failed or differences:
        summary = failed_headline(checks) if failed else "does not match its embedded decision content"
        return VerifyReport(path, kind, MISMATCH, summary, checks, differences, fingerprint, recomputed, signer, key)
    if manifest.get("status") != "signed":
        return VerifyReport(path, kind, NOTHING_TO_VERIFY, "a draft: nothing was signed (it shows exactly the "
                            "draft content it embeds, but no one approved it)", checks, [], fingerprint,
                            recomputed, signer, key)
    return VerifyReport(path, kind, INTACT, "intact: shows exactly the signed-off decision content it embeds",
                        checks, [], fingerprint, recomputed, signer, key)


def _trust_and_state(workbook_path: Path | None, manifest: Mapping[str, Any], pdf_signature: Any,
                     checks: list[Check], differences: list[str], trusted_keys: Any,
                     page_text: str | None = None) -> None:
    """The hooks into desktop.exports.verify_trust: the sign-off still current (with --workbook), and whose
    keys signed the file."""
    from desktop.exports.signing import key_fingerprint
    from desktop.exports.verify_trust import SigningKeys, TrustedKeys, key_checks, signoff_state_checks

    if workbook_path is not None and manifest.get("status") == "signed":
        found, lost = signoff_state_checks(workbook_path, manifest.get("signedFingerprint"), page_text)
        checks += found
        differences += lost
    if manifest.get("status") != "signed":
        return
    content_key = None
    if manifest.get("signature") and manifest.get("publicKey"):
        try:
            content_key = key_fingerprint(str(manifest["publicKey"]))
        except ValueError:
            content_key = "unreadable key"
    keys = SigningKeys(content_key=content_key, expects_pdf=pdf_signature is not None)
    if pdf_signature is not None and pdf_signature.present:
        keys.pdf_key, keys.pdf_key_vouched_by = pdf_signature.key_fingerprint, pdf_signature.vouched_by
    found, lost = key_checks(keys, trusted_keys or TrustedKeys())
    checks += found
    differences += lost


# ---------------------------------------------------------------------------------------------- pdf

@contextlib.contextmanager
def pdf_reader_problems() -> Iterator[list[str]]:
    """Collect what pypdf logs while it reads a file (repairs, bad streams) instead of printing it: a memo
    this app wrote reads without a single complaint, so any is a sign of damage."""
    collected: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                collected.append(record.getMessage()[:200])

    logger = logging.getLogger("pypdf")
    handler, propagate = Collect(), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield collected
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def pdf_attachments(path: Path | io.BytesIO) -> dict[str, bytes]:
    """The PDF's embedded files by name (empty when it has none); raises ValueError for a non-PDF."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(path if isinstance(path, io.BytesIO) else str(path))
        files = reader.attachments
        return {name: data[0] for name, data in files.items() if data}
    except Exception as exc:  # noqa: BLE001 - a hostile file: pypdf raises many kinds of errors
        raise ValueError(f"not a readable PDF ({type(exc).__name__})") from None


def pdf_text(path: Path | io.BytesIO) -> str:
    """The text of every page, in order (what a reader sees, as pypdf extracts it)."""
    from pypdf import PdfReader
    return "\n".join(page.extract_text() or "" for page in PdfReader(path if isinstance(path, io.BytesIO)
                                                                        else str(path)).pages)


def undecodable_streams(raw_file: bytes) -> list[str]:
    """Decode every stream of the file (pages, fonts, images, metadata): a changed byte in compressed data
    breaks its decoding even where nothing reads that stream to show the page text. One line per stream
    that fails; pypdf's own complaints are collected by the caller's `pdf_reader_problems`."""
    from pypdf import PdfReader
    from pypdf.generic import StreamObject

    problems = []
    try:
        reader = PdfReader(io.BytesIO(raw_file))
        numbers = sorted({n for table in reader.xref.values() for n in table})
    except Exception as exc:  # noqa: BLE001 - a hostile file
        return [f"the cross-reference table cannot be read ({type(exc).__name__})"]
    for number in numbers:
        try:
            obj = reader.get_object(number)
            if isinstance(obj, StreamObject):
                obj.get_data()
        except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds of errors for damaged data
            problems.append(f"object {number} cannot be decoded ({type(exc).__name__})")
    return problems


def verify_pdf(path: Path, workbook_path: Path | None = None, trusted_keys: Any = None) -> VerifyReport:
    try:
        raw_file = path.read_bytes()
    except OSError as exc:
        return VerifyReport(path, "pdf", NOTHING_TO_VERIFY, f"cannot read the file ({exc.strerror})")
    with pdf_reader_problems() as problems:
        try:
            files = pdf_attachments(io.BytesIO(raw_file))
        except ValueError as exc:
            return VerifyReport(path, "pdf", MISMATCH if problems else NOTHING_TO_VERIFY,
                                f"the file is damaged: {exc}", [Check("file structure", False, str(exc))],
                                [f"file structure: {exc}"])
    if CONTENT_FILE_NAME not in files or MANIFEST_FILE_NAME not in files:
        if problems:
            return VerifyReport(path, "pdf", MISMATCH, "the file is damaged: its embedded decision content cannot "
                                "be read", [Check("file structure", False, problems[0])], list(problems[:5]))
        return VerifyReport(path, "pdf", NOTHING_TO_VERIFY, "no embedded decision content: not a memo exported "
                            "by this app (or its attachments were removed)")
    checks: list[Check] = []
    differences: list[str] = []
    try:
        manifest = json.loads(files[MANIFEST_FILE_NAME].decode("utf-8"))
        if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
            raise ValueError("unknown manifest format")
    except (UnicodeDecodeError, ValueError) as exc:
        return VerifyReport(path, "pdf", MISMATCH, "the embedded export manifest is damaged",
                            [Check("manifest", False, str(exc))], ["embedded manifest: not readable"])
    signature = _pdf_signature_check(raw_file, manifest, checks, differences)
    raw = files[CONTENT_FILE_NAME]
    content, recomputed = _check_content(raw, manifest, checks, differences)
    fingerprint = manifest.get("fingerprint")
    if content is not None and hashlib.sha256(raw).hexdigest() != recomputed:
        checks.append(Check("canonical form", False, "the attached content is not in its canonical form"))
        differences.append("embedded decision content: not the canonical bytes the fingerprint was made from")
    with pdf_reader_problems() as text_problems:
        try:
            text = pdf_text(io.BytesIO(raw_file))
        except Exception as exc:  # noqa: BLE001 - a damaged page stream
            text_problems.append(f"the page text cannot be read ({type(exc).__name__})")
            text = ""
        text_problems += undecodable_streams(raw_file)
    damage = problems + text_problems
    checks.append(Check("file structure", not damage, "the file reads without a repair" if not damage else
                        f"the file is damaged: the PDF reader reported {len(damage)} problem(s), first: "
                        f"{damage[0]}"))
    if damage:
        differences.append(f"file structure: {damage[0]}")
    if fingerprint:
        squeezed = re.sub(r"\s+", "", text).lower()
        shown = str(fingerprint).lower() in squeezed
        checks.append(Check("printed fingerprint", shown, "the memo shows the fingerprint of its embedded "
                            "content" if shown else "the memo's text does not show the fingerprint of its "
                            "embedded content"))
        if not shown:
            differences.append(f"memo text: the fingerprint {fingerprint} is not printed on it")
    if content is not None:
        _visible_text_check(text, content, checks, differences)
    if workbook_path is not None:
        _export_record_check(path, workbook_path, "pdf", fingerprint, checks, differences)
    _trust_and_state(workbook_path, manifest, signature, checks, differences, trusted_keys, text)
    return _finish(path, "pdf", checks, differences, fingerprint, recomputed, content, manifest)


def _pdf_signature_check(raw_file: bytes, manifest: Mapping[str, Any], checks: list[Check],
                         differences: list[str]) -> Any:
    """The hook into desktop.exports.pdf_signature: the PAdES signature, when the memo carries one."""
    from desktop.exports.pdf_signature import check_pdf_signature

    result = check_pdf_signature(raw_file)
    if result.present:
        checks.append(Check("PDF signature", result.ok, result.detail))
        if not result.ok:
            differences.append(f"PDF signature: {result.detail}")
    elif manifest.get("status") == "signed":
        checks.append(Check("PDF signature", None, "not signed as a PDF (the memo was exported without a PDF "
                            "signing certificate): only the fingerprint and the content signature vouch for it"))
    return result


def _visible_text_check(text: str, content: Mapping[str, Any], checks: list[Check], differences: list[str]) -> None:
    """The hook into desktop.exports.memo_text_check: the decision values on the page against the content."""
    from desktop.exports.memo_text_check import text_differences
    from desktop.resources import playbook

    if content.get("playbookVersion") != playbook().version:
        checks.append(Check("visible text", None, f"the memo was made with playbook {content.get('playbookVersion')}"
                            f", this app has {playbook().version}: its printed values are not compared"))
        return
    found = text_differences(text, content, playbook())
    checks.append(Check("visible text", not found, "the decision values printed on the pages are those of the "
                        "embedded content" if not found else f"{len(found)} decision value(s) printed on the "
                        f"pages differ from the embedded content, first: {found[0]}"))
    differences += found


def verify_export(path: Path | str, workbook_path: Path | str | None = None, *,
                  trusted_keys: Any = None) -> VerifyReport:
    """Verify an exported .xlsx or .pdf (see the module docstring); `report.exit_code` is 0, 3 or 4."""
    path = Path(path)
    workbook = Path(workbook_path) if workbook_path else None
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        return VerifyReport(path, "unknown", NOTHING_TO_VERIFY, f"cannot read the file ({exc.strerror})")
    if head.startswith(b"%PDF"):
        return verify_pdf(path, workbook, trusted_keys)
    if head.startswith(b"PK\x03\x04"):
        return verify_xlsx(path, workbook, trusted_keys)
    return VerifyReport(path, "unknown", NOTHING_TO_VERIFY, "not an exported .xlsx or .pdf")
