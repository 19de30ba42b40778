"""Issue 15, failure 3: evidence paths from a received workbook are confined to the workbook's folder.

Before, `../../../etc/passwd`, absolute paths, a link to a file outside and `/proc/self/environ` were read
and hashed, and "unchanged"/"CHANGED" told the sender whether a file of their choosing existed here.
"""

import hashlib
import os
from pathlib import Path

import pytest

from desktop.domain.evidence import EvidenceCheck, describe_check
from desktop.domain.workbook import EvidenceRef
from desktop.storage import evidence, evidence_places


@pytest.fixture(autouse=True)
def fresh_session():
    evidence_places.forget_session()
    yield
    evidence_places.forget_session()


@pytest.fixture
def secret(tmp_path):
    """A file outside the workbook's folder whose content the sender guesses (its hash is in the workbook)."""
    path = tmp_path / "home" / "secret.txt"
    path.parent.mkdir()
    path.write_bytes(b"api_key=abc\n")
    return path


@pytest.fixture
def workbook(tmp_path):
    folder = tmp_path / "received" / "case"
    folder.mkdir(parents=True)
    return folder / "decision.ipwb"


def ref_to(recorded, content=b"api_key=abc\n"):
    return EvidenceRef(kind="file", path=recorded, sha256=hashlib.sha256(content).hexdigest(), size=len(content),
                       attached_at="2026-12-01T10:00:00+00:00")


def never_opened(monkeypatch):
    opened = []
    real_open = open

    def spy(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)
    monkeypatch.setattr("builtins.open", spy)
    return opened


@pytest.mark.parametrize("recorded", [
    "../../home/secret.txt",            # ..-escape from the workbook's folder
    "ABSOLUTE",                          # the absolute path of the same file
    "/proc/self/environ",                # a device/proc file
    "/etc/passwd",
    "\\\\attacker.example\\share\\x.pdf",  # a UNC path (Windows would authenticate to the host)
    "//attacker.example/share/x.pdf",
    "file:///etc/passwd",
    "https://attacker.example/x.pdf",
])
def test_paths_outside_the_workbooks_folder_are_not_read(recorded, secret, workbook, monkeypatch):
    recorded = str(secret) if recorded == "ABSOLUTE" else recorded
    opened = never_opened(monkeypatch)
    state = evidence.check(ref_to(recorded), workbook)
    assert state is EvidenceCheck.OUTSIDE
    assert describe_check(ref_to(recorded), state).startswith("Outside the workbook's folder: not checked")
    assert opened == []


def test_symlink_in_the_folder_pointing_outside_is_not_followed(secret, workbook, monkeypatch):
    (workbook.parent / "quote.pdf").symlink_to(secret)
    opened = never_opened(monkeypatch)
    assert evidence.check(ref_to("quote.pdf"), workbook) is EvidenceCheck.OUTSIDE
    assert opened == []


def test_fifo_in_the_folder_is_not_opened(workbook):
    os.mkfifo(workbook.parent / "pipe.csv")
    assert evidence.check(ref_to("pipe.csv"), workbook) is EvidenceCheck.OUTSIDE  # would block forever


def test_files_in_the_workbooks_folder_are_checked(workbook):
    (workbook.parent / "evidence").mkdir()
    (workbook.parent / "evidence" / "quote.pdf").write_bytes(b"api_key=abc\n")
    assert evidence.check(ref_to("evidence/quote.pdf"), workbook) is EvidenceCheck.UNCHANGED
    assert evidence.check(ref_to("evidence/quote.pdf", b"other"), workbook) is EvidenceCheck.CHANGED
    assert evidence.check(ref_to("evidence/gone.pdf"), workbook) is EvidenceCheck.MISSING


def test_confirming_a_path_once_lets_it_be_checked(secret, workbook):
    ref = ref_to(str(secret))
    assert evidence.check(ref, workbook) is EvidenceCheck.OUTSIDE
    assert evidence_places.confirm(secret)
    assert evidence.check(ref, workbook) is EvidenceCheck.UNCHANGED
    assert not evidence_places.confirm(Path("/proc/self/environ"))


def test_a_folder_the_officer_attached_from_is_trusted_this_session(secret, workbook):
    other = secret.parent / "other.txt"
    other.write_bytes(b"api_key=abc\n")
    assert evidence.check(ref_to(str(other)), workbook) is EvidenceCheck.OUTSIDE
    evidence.attach_file(secret, workbook)  # the officer picks a file in that folder
    assert evidence.check(ref_to(str(other)), workbook) is EvidenceCheck.UNCHANGED


def test_embedding_an_outside_path_is_refused_without_reading(secret, workbook, monkeypatch):
    from desktop.domain.workbook import Workbook
    from desktop.resources import playbook
    from desktop.storage.workbook_file import new_memory_store
    store = new_memory_store(playbook(), Workbook.empty(playbook()))
    opened = never_opened(monkeypatch)
    with pytest.raises(evidence.EvidenceError, match="outside the workbook's folder"):
        evidence.embed(ref_to("../../home/secret.txt"), workbook, store)
    assert opened == []
    store.close()

