"""Fixtures shared by the GUI tests."""

from __future__ import annotations

import pytest

from desktop.resources import playbook
from desktop.ui.document import Document


@pytest.fixture
def document(qapp):
    """The sample workbook as an untitled document; its working copy is removed afterwards.
    A Document owns Qt timers, which need the application's event dispatcher."""
    document = Document.new(playbook(), sample=True)
    yield document
    document.close()
