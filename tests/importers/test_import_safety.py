"""Untrusted files (reliability.md 2.1, 2.2, 6 item 4): bombs, encryption, macros, malformed bytes.

Every hostile or broken file must end in one ImportFailed with a message for the officer, never another
exception and never a parser running over the bomb. Fixtures are built here, at test time.
"""

from __future__ import annotations

import random
import struct
import zipfile

import pytest

from desktop.domain.trace import FIELD_NAMES
from desktop.importers import ImportFailed, Limits, parse_source
from desktop.importers.preflight import OLE_MAGIC
from tests.importers.conftest import BASE_ROW
from tests.importers.workbooks import rezip, write_ods, write_xlsx, zip_bytes

TYPED_ROW = [BASE_ROW[name] for name in FIELD_NAMES]


@pytest.fixture
def workbook(tmp_path):
    return write_xlsx(tmp_path / "good.xlsx", {"Traces": [list(FIELD_NAMES), TYPED_ROW]})


def refused(path, match, **options):
    with pytest.raises(ImportFailed, match=match) as caught:
        parse_source(path, **options)
    assert type(caught.value) is ImportFailed
    return caught.value


def test_zip_bomb_by_compression_ratio_is_refused_before_parsing(tmp_path, workbook):
    bomb = rezip(workbook, tmp_path / "bomb.xlsx", add={"xl/worksheets/sheet2.xml": b" " * (8 * 1024 * 1024)})
    refused(bomb, "zip bomb")


def test_total_unpacked_size_and_member_count_caps(tmp_path, workbook):
    noise = random.Random(1).randbytes(600 * 1024)
    big = rezip(workbook, tmp_path / "big.xlsx", add={"xl/media/a.bin": noise, "xl/media/b.bin": noise})
    refused(big, "would unpack to more than 1 MiB", limits=Limits(max_unzipped_bytes=1024 * 1024))
    refused(workbook, "holds .* parts", limits=Limits(max_members=3))


def test_declared_sizes_that_lie_still_fail_cleanly(tmp_path, workbook):
    data = bytearray(workbook.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    for signature, size_offset, name_offset in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            name_length = struct.unpack_from("<H", data, start + (26 if signature == b"PK\x03\x04" else 28))[0]
            if data[start + name_offset:start + name_offset + name_length] == name:
                struct.pack_into("<I", data, start + size_offset, 100)
            start += 4
    liar = tmp_path / "liar.xlsx"
    liar.write_bytes(bytes(data))
    refused(liar, "damaged|cannot be read|could not be read")


def test_workbook_file_size_cap(workbook):
    refused(workbook, "workbooks over", limits=Limits(max_workbook_bytes=1024))


def test_any_file_size_cap(write):
    refused(write("t.csv", "x" * 100), "files over", limits=Limits(max_file_bytes=10))


def test_row_cap_refuses_instead_of_cutting(workbook):
    refused(workbook, "more than 1", limits=Limits(max_sheet_rows=1))


@pytest.mark.parametrize("doctype", [
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;">]>',
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
])
def test_xml_entities_are_refused(tmp_path, workbook, doctype):
    with zipfile.ZipFile(workbook) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    hostile = sheet.replace(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>', b"", 1)
    hostile = rezip(workbook, tmp_path / "dtd.xlsx", replace={"xl/worksheets/sheet1.xml": doctype + hostile})
    refused(hostile, "DTD/entity")


def test_encrypted_ooxml_is_refused(write):
    data = OLE_MAGIC + b"\x00" * 512 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 512
    error = refused(write("secret.xlsx", data), "password-protected")
    assert "save a copy without a password" in error.message


def test_legacy_xls_is_refused_with_advice(write):
    refused(write("old.xls", OLE_MAGIC + b"\x00" * 1024), r"old binary Excel file \(.xls")


def test_encrypted_zip_members_are_refused(tmp_path, workbook):
    data = bytearray(workbook.read_bytes())
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            data[start + flag_offset] |= 0x1
            start += 4
    path = tmp_path / "enc.xlsx"
    path.write_bytes(bytes(data))
    refused(path, "password-protected")


def test_encrypted_ods_is_refused(tmp_path):
    path = write_ods(tmp_path / "t.ods", {"S": [list(FIELD_NAMES), TYPED_ROW]}, encrypted=True)
    refused(path, "password-protected")


def test_macro_only_workbook_is_refused(write):
    members = {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
               "xl/macrosheets/sheet1.xml": b"<xm:macrosheet/>", "xl/vbaProject.bin": b"vba"}
    refused(write("macros.xlsm", zip_bytes(members)), "only macro sheets")


def test_binary_workbook_is_refused(write):
    refused(write("t.xlsb", zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\x00"})),
            r"binary workbook \(.xlsb\)")


def test_zip_that_is_no_workbook(write):
    refused(write("t.xlsx", zip_bytes({"readme.txt": b"hello"})), "not an XLSX or ODS workbook")


def test_zip_without_workbook_parts(tmp_path, workbook):
    broken = rezip(workbook, tmp_path / "parts.xlsx", drop=("xl/worksheets/sheet1.xml",))
    refused(broken, "no worksheet|damaged")


def test_truncated_and_empty_files(tmp_path, workbook, write):
    data = workbook.read_bytes()
    refused(write("cut.xlsx", data[: len(data) // 2]), "damaged or truncated")
    refused(write("empty.xlsx", b""), "is empty")


def test_truncated_sheet_xml(tmp_path, workbook):
    with zipfile.ZipFile(workbook) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    broken = rezip(workbook, tmp_path / "half.xlsx", replace={"xl/worksheets/sheet1.xml": sheet[: len(sheet) // 2]})
    refused(broken, "damaged|cannot be read")


def test_missing_file_and_folder(tmp_path):
    refused(tmp_path / "nope.csv", "does not exist")
    refused(tmp_path, "is a folder")


def test_malformed_json_and_deep_nesting(write):
    refused(write("t.json", '{"benchmarks": [1, 2'), "not valid JSON")
    refused(write("deep.json", "[" * 100_000 + "]" * 100_000), "nests too deeply|not recognised")
    refused(write("odd.json", '{"hello": "world"}'), "not recognised")


def test_random_and_mutated_bytes_only_ever_raise_import_failed(tmp_path, workbook):
    rng = random.Random(7)
    seeds = [workbook.read_bytes(), (",".join(FIELD_NAMES) + "\n" + ",".join(TYPED_ROW) + "\n").encode()]
    for index in range(60):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 20)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        path = tmp_path / f"fuzz{index}.{rng.choice(['xlsx', 'csv', 'json', 'ods'])}"
        path.write_bytes(bytes(data[: rng.randint(0, len(data))]))
        try:
            parse_source(path)
        except ImportFailed:
            pass
