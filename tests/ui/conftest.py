"""Fixtures shared by the GUI tests."""

from __future__ import annotations

import pytest

from desktop.resources import playbook
from desktop.ui.document import Document


@pytest.fixture(autouse=True)
def _every_test_here_uses_the_application(qapp):
    """The tests in tests/ui drive Qt objects (a Document alone owns timers, which need the application's
    event dispatcher), so each one runs with the application and is marked gui."""


@pytest.fixture
def document(qapp):
    """The sample workbook as an untitled document; its working copy is removed afterwards.
    A Document owns Qt timers, which need the application's event dispatcher."""
    document = Document.new(playbook(), sample=True)
    yield document
    document.close()
