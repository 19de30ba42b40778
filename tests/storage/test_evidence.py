"""Evidence files: fingerprints, recorded paths, embedding with a size cap, change detection, extraction."""

import hashlib
import os

import pytest

from desktop.domain.errors import FieldError
from desktop.domain.evidence import DEFAULT_EMBED_CAP_BYTES, EvidenceCheck
from desktop.domain.workbook import Workbook
from desktop.resources import playbook
from desktop.storage import evidence
from desktop.storage.evidence import EvidenceError
from desktop.storage.workbook_file import new_memory_store

CONTENT = b"hour,requests\n0,12\n1,7\n"


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "evidence").mkdir()
    return tmp_path


@pytest.fixture
def workbook_path(folder):
    return folder / "decision.ipwb"  # only its folder matters here


@pytest.fixture
def store():
    store = new_memory_store(playbook(), Workbook.empty(playbook()))
    yield store
    store.close()


def write(path, data=CONTENT):
    path.write_bytes(data)
    return path


def test_attach_records_hash_size_time_and_a_relative_path(folder, workbook_path):
    file = write(folder / "evidence" / "hist.csv")
    ref = evidence.attach_file(file, workbook_path)
    assert ref.kind == "file"
    assert ref.path == "evidence/hist.csv"
    assert ref.sha256 == hashlib.sha256(CONTENT).hexdigest()
    assert ref.size == len(CONTENT)
    assert ref.attached_at[:4].isdigit() and "T" in ref.attached_at
    assert not ref.embedded


def test_a_file_elsewhere_is_recorded_by_absolute_path(tmp_path_factory, workbook_path):
    elsewhere = write(tmp_path_factory.mktemp("elsewhere") / "hist.csv")
    ref = evidence.attach_file(elsewhere, workbook_path)
    assert ref.path == str(elsewhere.resolve())


def test_an_untitled_workbook_records_absolute_paths(folder):
    file = write(folder / "hist.csv")
    assert evidence.attach_file(file, None).path == str(file.resolve())


def test_missing_file_and_folder_are_refused(folder, workbook_path):
    with pytest.raises(EvidenceError, match="does not exist"):
        evidence.attach_file(folder / "nope.csv", workbook_path)
    with pytest.raises(EvidenceError, match="not a file"):
        evidence.attach_file(folder / "evidence", workbook_path)


def test_embedding_puts_the_bytes_in_the_workbook(folder, workbook_path, store):
    file = write(folder / "hist.csv")
    with store.transaction():
        ref = evidence.attach_file(file, workbook_path, store=store, embed=True)
    assert ref.embedded
    assert store.get_blob(ref.sha256) == CONTENT
    assert evidence.embedded_bytes(ref, store) == CONTENT


def test_embedding_over_the_cap_is_refused_and_stores_nothing(folder, workbook_path, store):
    file = write(folder / "big.bin", b"x" * 101)
    with pytest.raises(EvidenceError, match="can be embedded"):
        with store.transaction():
            evidence.attach_file(file, workbook_path, store=store, embed=True, cap=100)
    assert store.conn.execute("SELECT count(*) FROM blobs").fetchone()[0] == 0


def test_the_default_cap_is_20_mb():
    assert DEFAULT_EMBED_CAP_BYTES == 20 * 1024 * 1024


def test_embed_an_attached_file_later(folder, workbook_path, store):
    file = write(folder / "hist.csv")
    ref = evidence.attach_file(file, workbook_path)
    with store.transaction():
        embedded = evidence.embed(ref, workbook_path, store)
    assert embedded.embedded and embedded.sha256 == ref.sha256
    assert store.get_blob(ref.sha256) == CONTENT


def test_embedding_a_changed_file_is_refused(folder, workbook_path, store):
    file = write(folder / "hist.csv")
    ref = evidence.attach_file(file, workbook_path)
    write(file, b"different")
    with pytest.raises(EvidenceError, match="changed since it was attached"):
        with store.transaction():
            evidence.embed(ref, workbook_path, store)


def test_check_flags_changed_and_missing_files(folder, workbook_path):
    file = write(folder / "hist.csv")
    ref = evidence.attach_file(file, workbook_path)
    assert evidence.check(ref, workbook_path) is EvidenceCheck.UNCHANGED
    write(file, CONTENT + b"2,9\n")
    os.utime(file, ns=(1, 1))  # a different mtime, so no cached hash is reused
    assert evidence.check(ref, workbook_path) is EvidenceCheck.CHANGED
    file.unlink()
    assert evidence.check(ref, workbook_path) is EvidenceCheck.MISSING


def test_relative_references_follow_the_workbook_folder(tmp_path_factory):
    first = tmp_path_factory.mktemp("first")
    write(first / "hist.csv")
    ref = evidence.attach_file(first / "hist.csv", first / "w.ipwb")
    moved = tmp_path_factory.mktemp("moved")
    write(moved / "hist.csv")  # workbook and evidence moved together
    assert evidence.check(ref, moved / "w.ipwb") is EvidenceCheck.UNCHANGED
    assert evidence.locate(ref, moved / "w.ipwb") == moved / "hist.csv"
    assert evidence.check(ref, None) is EvidenceCheck.MISSING  # relative path without a workbook folder


def test_text_references(folder, workbook_path):
    ref = evidence.text_reference("  https://intranet/doc/4411  ")
    assert ref.kind == "text" and ref.text == "https://intranet/doc/4411"
    assert evidence.check(ref, workbook_path) is EvidenceCheck.TEXT
    assert evidence.locate(ref, workbook_path) is None
    with pytest.raises(FieldError):
        evidence.text_reference("   ")


def test_extract_writes_the_embedded_copy_and_never_overwrites_unasked(folder, workbook_path, store):
    file = write(folder / "hist.csv")
    with store.transaction():
        ref = evidence.attach_file(file, workbook_path, store=store, embed=True)
    file.unlink()
    target = evidence.extract(ref, store, folder / "copy.csv")
    assert target.read_bytes() == CONTENT
    with pytest.raises(EvidenceError, match="already exists"):
        evidence.extract(ref, store, folder / "copy.csv")
    write(folder / "copy.csv", b"old")
    evidence.extract(ref, store, folder / "copy.csv", overwrite=True)
    assert (folder / "copy.csv").read_bytes() == CONTENT


def test_extract_without_embedded_copy_is_refused(folder, workbook_path, store):
    ref = evidence.attach_file(write(folder / "hist.csv"), workbook_path)
    with pytest.raises(EvidenceError, match="no embedded copy"):
        evidence.extract(ref, store, folder / "copy.csv")


def test_file_sha256_reads_large_files_in_chunks(folder):
    data = os.urandom(3 * 1024 * 1024 + 17)
    file = write(folder / "big.bin", data)
    assert evidence.file_sha256(file) == hashlib.sha256(data).hexdigest()
