"""The workbook's MIME type is recognised by content as well as by extension (issue 14): a shared-mime-info
magic rule for the SQLite header and the application_id that desktop/storage/schema.py writes."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

from desktop.cli import main as ipw
from desktop.storage.schema import APPLICATION_ID

MIME_XML = Path(__file__).resolve().parents[2] / "packaging" / "linux" / "io.ipw.ProcurementWorkbook.mime.xml"
NS = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
MIME_TYPE = "application/x-ipw-workbook"


def _matches(match: ET.Element, data: bytes) -> bool:
    """Evaluate one shared-mime-info <match> (types string and big32, the two the rule uses) and its children:
    a match holds when its own test holds and, if it has children, any child holds."""
    offset = int(match.get("offset"))
    kind, value = match.get("type"), match.get("value")
    if kind == "string":
        expected = value.encode("ascii")
        own = data[offset:offset + len(expected)] == expected
    elif kind == "big32":
        own = int.from_bytes(data[offset:offset + 4], "big") == int(value, 0)
    else:
        raise AssertionError(f"unexpected match type {kind}")
    children = match.findall("m:match", NS)
    return own and (not children or any(_matches(child, data) for child in children))


def _rule_matches(data: bytes) -> bool:
    magic = ET.parse(MIME_XML).getroot().find("m:mime-type/m:magic", NS)
    return any(_matches(match, data) for match in magic.findall("m:match", NS))


def test_the_rule_names_the_sqlite_header_and_the_application_id():
    mime = ET.parse(MIME_XML).getroot().find("m:mime-type", NS)
    magic = mime.find("m:magic", NS)
    outer = magic.find("m:match", NS)
    inner = outer.find("m:match", NS)
    assert (outer.get("type"), outer.get("offset"), outer.get("value")) == ("string", "0", "SQLite format 3")
    assert (inner.get("type"), inner.get("offset")) == ("big32", "68")
    assert int(inner.get("value"), 0) == APPLICATION_ID == int.from_bytes(b"IPWB", "big")


def test_a_workbook_without_its_extension_matches_and_a_plain_sqlite_file_does_not(tmp_path):
    workbook = tmp_path / "decision.ipwb"
    assert ipw(["new", str(workbook)]) == 0
    renamed = workbook.rename(tmp_path / "decision-from-mail")
    header = renamed.read_bytes()[:100]
    assert header[68:72] == b"IPWB"  # the SQLite header's application_id field, big-endian
    assert _rule_matches(header)
    plain = tmp_path / "other.sqlite"
    with sqlite3.connect(plain) as conn:
        conn.execute("CREATE TABLE t (x)")
    assert not _rule_matches(plain.read_bytes()[:100])


def test_update_mime_database_compiles_the_rule(tmp_path):
    """The rule is valid shared-mime-info: the system's compiler accepts it and writes it into its magic
    database (update-mime-database comes with shared-mime-info, a dependency of the desktop packages)."""
    tool = shutil.which("update-mime-database")
    assert tool is not None, "update-mime-database (shared-mime-info) is needed for this check"
    packages = tmp_path / "mime" / "packages"
    packages.mkdir(parents=True)
    shutil.copy(MIME_XML, packages / MIME_XML.name)
    subprocess.run([tool, str(tmp_path / "mime")], check=True, capture_output=True, timeout=60)
    magic = (tmp_path / "mime" / "magic").read_bytes()
    section = magic[magic.index(f"[60:{MIME_TYPE}]".encode()):]
    assert b"SQLite format 3" in section and b"IPWB" in section
