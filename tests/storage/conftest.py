"""Fixtures shared by the storage tests."""

import pytest

from desktop.domain.sample import sample_traces, sample_workbook
from desktop.resources import playbook
from desktop.storage.workbook_file import create_workbook_file, open_store


@pytest.fixture
def sample_store(tmp_path):
    """The sample workbook (its 8 trace rows, ids 1 to 8) as a file, open for writing."""
    book = playbook()
    path = tmp_path / "w.ipwb"
    create_workbook_file(path, book, sample_workbook(book), sample_traces(book))
    store = open_store(path, writable=True)
    yield store
    store.close()
