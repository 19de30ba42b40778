"""Checks made before any parser sees an untrusted file: size, kind, zip bombs, encryption, macros.

A zip's declared member sizes bound what a reader inflates (CPython and calamine both stop at the declared
size, see reliability.md 2.1), so checking them here stops a bomb before it costs memory. Every refusal is
an ImportFailed whose message tells the officer what to do instead.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

from desktop.importers.amplification import check_sheet_extents
from desktop.importers.result import ImportFailed

# ---- Constants

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_DTD = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
MiB = 1024 * 1024
CHUNK_BYTES = 4 * MiB
HEAD_BYTES = 1 * MiB
SMALL_FILE_BYTES = 16 * MiB  # kept in memory after hashing; larger files are parsed from disk
MACRO_NOTE = "the workbook carries macros; they were neither run nor kept (cell values only)"


@dataclass(frozen=True)
class Limits:
    """Caps on what an import may cost; the defaults fit a 1,048,576-row sheet and a 5M-row request log.

    Attributes:
        max_file_bytes: any file on disk.
        max_workbook_bytes: an XLSX/ODS file on disk.
        max_unzipped_bytes: all members of a workbook together, as declared.
        max_member_bytes: one member, as declared.
        max_members: members in a workbook.
        max_ratio: uncompressed/compressed size of a member larger than ratio_floor_bytes.
        max_sheet_rows: rows of the chosen sheet.
        max_json_bytes: a benchmark result file read whole into memory.
        max_columns: columns of a header row, a CSV row or a sheet's content (a trace table has ~30).
        max_line_bytes: one line of a text file (long prompt cells fit; a file on one line does not).
    """

    max_file_bytes: int = 4096 * MiB
    max_workbook_bytes: int = 256 * MiB
    max_unzipped_bytes: int = 1024 * MiB
    max_member_bytes: int = 768 * MiB
    max_members: int = 10_000
    max_ratio: float = 100.0
    ratio_floor_bytes: int = 1 * MiB
    max_sheet_rows: int = 1_048_576
    max_json_bytes: int = 1024 * MiB
    max_columns: int = 1_000
    max_line_bytes: int = 16 * MiB


class SourceFile:
    """The facts provenance needs (size, SHA-256, line count) from one streaming pass over the file.

    Small files are read whole at once. A large one is hashed on a background thread while the parser reads
    it from disk (hashlib and polars both release the GIL), so provenance costs no extra wall time; the
    properties wait for the thread. Workbooks and JSON are read whole (`data`), and a file whose bytes
    changed since the hash is refused.
    """

    def __init__(self, path: Path, size: int, head: bytes) -> None:
        self.path = path
        self.name = path.name
        self.size = size
        self.head = head
        self._data: bytes | None = None
        self._digest: tuple[str, int, bool] | None = None
        self._error: OSError | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def abandon(self) -> None:
        """Stop the hashing thread: the import failed or was cancelled and needs no provenance."""
        self._stop.set()

    @property
    def kind(self) -> str:
        """zip, ole, empty, json or text, from the first bytes (never from the file name)."""
        if not self.size:
            return "empty"
        if self.head.startswith(ZIP_MAGIC):
            return "zip"
        if self.head.startswith(OLE_MAGIC):
            return "ole"
        start = self.head.lstrip(b"\xef\xbb\xbf \t\r\n")
        if start[:1] in (b"{", b"["):
            return "json"
        return "text"

    @property
    def sha256(self) -> str:
        return self._facts()[0]

    @property
    def lines(self) -> int:
        _, newlines, ends_with_newline = self._facts()
        return newlines + (0 if ends_with_newline or not self.size else 1)

    @property
    def in_memory(self) -> bool:
        return self._data is not None

    @property
    def data(self) -> bytes:
        if self._data is None:
            data = _read(self.path)
            if hashlib.sha256(data).hexdigest() != self.sha256:
                raise ImportFailed(f"{self.name} changed while it was being read; import it again")
            self._data = data
        return self._data

    def _start(self, whole: bool) -> None:
        if whole:
            self._digest_file(keep=True)
        else:
            self._thread = threading.Thread(target=self._digest_file, name=f"sha256 {self.name}", daemon=True)
            self._thread.start()

    def _digest_file(self, keep: bool = False) -> None:
        digest, newlines, last, chunks = hashlib.sha256(), 0, b"", []
        try:
            with self.path.open("rb") as handle:
                while chunk := handle.read(CHUNK_BYTES):
                    if self._stop.is_set():
                        self._error = OSError("import abandoned")
                        return
                    digest.update(chunk)
                    newlines += chunk.count(b"\n")
                    last = chunk[-1:]
                    if keep:
                        chunks.append(chunk)
        except OSError as error:
            self._error = error
            return
        self._digest = (digest.hexdigest(), newlines, last == b"\n")
        if keep:
            self._data = b"".join(chunks)

    def _facts(self) -> tuple[str, int, bool]:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            raise ImportFailed(f"cannot read {self.name}: {self._error.strerror or self._error}")
        assert self._digest is not None
        return self._digest


# ---- Public API

def read_source(path: Path | str, limits: Limits) -> SourceFile:
    """Stat the file and read its first bytes; hashing and line counting run alongside the parse."""
    path = Path(path)
    size = _stat_size(path)
    if size > limits.max_file_bytes:
        raise ImportFailed(f"{path.name} is {size / MiB:,.0f} MiB; files over "
                           f"{limits.max_file_bytes / MiB:,.0f} MiB are not imported")
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError as error:
        raise ImportFailed(f"cannot read {path.name}: {error.strerror or error}") from None
    source = SourceFile(path, size, head)
    source._start(whole=size <= SMALL_FILE_BYTES)
    if size <= SMALL_FILE_BYTES:
        source.sha256  # surface a read error now  # noqa: B018
    return source


def refuse_ole(source: SourceFile) -> None:
    """OLE files are either password-protected workbooks or legacy .xls; neither is read."""
    if _ENCRYPTED_PACKAGE in source.data:
        raise ImportFailed(f"{source.name} is password-protected (encrypted). Open it in Excel or LibreOffice, "
                           f"save a copy without a password as .xlsx, and import that copy")
    raise ImportFailed(f"{source.name} is an old binary Excel file (.xls, which may carry macros). Save it as "
                       f".xlsx (Excel Workbook) and import that copy")


def check_workbook(source: SourceFile, limits: Limits) -> tuple[str, list[str]]:
    """Refuse bombs, encrypted and macro-only workbooks; return 'xlsx' or 'ods' (what the zip really is).

    Also returns provenance notes (a workbook with macros is read for its cell values only).
    """
    if source.size > limits.max_workbook_bytes:
        raise ImportFailed(f"{source.name} is {source.size / MiB:,.0f} MiB; workbooks over "
                           f"{limits.max_workbook_bytes / MiB:,.0f} MiB are not imported (save as CSV instead)")
    try:
        archive = zipfile.ZipFile(io.BytesIO(source.data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise ImportFailed(f"{source.name} is damaged or truncated (not a readable XLSX/ODS file)") from None
    with archive:
        _check_sizes(source.name, members, limits)
        names = {m.filename for m in members}
        if any(m.flag_bits & 0x1 for m in members):
            raise ImportFailed(f"{source.name} is password-protected (encrypted); save a copy without a "
                               f"password and import that")
        _check_xml_prologues(source.name, archive, members)
        kind = "ods" if "mimetype" in names and _read_small(archive, "mimetype").strip() == ODS_MIMETYPE else "xlsx"
        check_sheet_extents(source.name, archive, kind, limits.max_sheet_rows, limits.max_columns)
        if "mimetype" in names and _read_small(archive, "mimetype").strip() == ODS_MIMETYPE:
            _check_ods(source.name, archive, names)
            return "ods", []
        if "xl/workbook.bin" in names:
            raise ImportFailed(f"{source.name} is a binary workbook (.xlsb); save it as .xlsx and import that")
        if "xl/workbook.xml" in names:
            _check_xlsx_sheets(source.name, names)
            macros = "xl/vbaProject.bin" in names or any(n.startswith("xl/macrosheets/") for n in names)
            return "xlsx", [MACRO_NOTE] if macros else []
    raise ImportFailed(f"{source.name} is a zip file but not an XLSX or ODS workbook")


# ---- Private API

def _stat_size(path: Path) -> int:
    try:
        if path.is_dir():
            raise ImportFailed(f"{path.name} is a folder, not a file")
        return path.stat().st_size
    except FileNotFoundError:
        raise ImportFailed(f"{path} does not exist") from None
    except OSError as error:
        raise ImportFailed(f"cannot read {path.name}: {error.strerror or error}") from None


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise ImportFailed(f"cannot read {path.name}: {error.strerror or error}") from None


def _check_sizes(name: str, members: list[zipfile.ZipInfo], limits: Limits) -> None:
    if len(members) > limits.max_members:
        raise ImportFailed(f"{name} holds {len(members):,} parts (more than {limits.max_members:,}); it is not a "
                           f"normal workbook and was not opened")
    total = 0
    for member in members:
        total += member.file_size
        if member.file_size > limits.max_member_bytes or total > limits.max_unzipped_bytes:
            raise ImportFailed(f"{name} would unpack to more than {limits.max_unzipped_bytes / MiB:,.0f} MiB "
                               f"(a 'zip bomb' or an oversized workbook); it was not opened. Save the sheet "
                               f"as CSV and import that")
        if member.file_size > limits.ratio_floor_bytes and \
                member.file_size > limits.max_ratio * max(member.compress_size, 1):
            raise ImportFailed(f"{name} has a part that unpacks {member.file_size / max(member.compress_size, 1):,.0f} "
                               f"times its stored size (a 'zip bomb'); it was not opened")


def _read_small(archive: zipfile.ZipFile, member: str, limit: int = 4096) -> bytes:
    try:
        with archive.open(member) as handle:
            return handle.read(limit)
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, RuntimeError, NotImplementedError):
        return b""


def _check_xml_prologues(name: str, archive: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> None:
    """DTDs (billion laughs, external entities) have no place in a workbook; refuse before parsing."""
    for member in members:
        if member.filename.endswith((".xml", ".rels")) and _DTD.search(_read_small(archive, member.filename)):
            raise ImportFailed(f"{name} contains XML DTD/entity declarations; it is not a normal workbook and "
                               f"was not opened")


def _check_ods(name: str, archive: zipfile.ZipFile, names: set[str]) -> None:
    if "META-INF/manifest.xml" in names and b"encryption-data" in _read_small(
            archive, "META-INF/manifest.xml", 1 * MiB):
        raise ImportFailed(f"{name} is password-protected (encrypted); save a copy without a password and "
                           f"import that")
    if "content.xml" not in names:
        raise ImportFailed(f"{name} is damaged: it has no sheet content")


def _check_xlsx_sheets(name: str, names: set[str]) -> None:
    worksheets = [n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")]
    if worksheets:
        return
    if any(n.startswith(("xl/macrosheets/", "xl/dialogsheets/")) for n in names) or "xl/vbaProject.bin" in names:
        raise ImportFailed(f"{name} holds only macro sheets and no worksheet; copy the data into a normal "
                           f"worksheet, save as .xlsx without macros and import that")
    raise ImportFailed(f"{name} has no worksheet to read")
