"""The working copy's trace hash record is kept in the background (ui/trace_hash_keeper.py), so Save does not
hash every row on the GUI thread; a result computed while something wrote to the copy is never stored."""

import sqlite3
import threading

import pytest
from PySide6.QtWidgets import QMessageBox

from desktop.exports.content import traces_content_hash
from desktop.resources import playbook
from desktop.services import trace_hash as service
from desktop.services.traces import change_marker
from desktop.storage import trace_hash
from desktop.ui.commands import edit_cell
from desktop.ui.document import Document
from desktop.ui.economics_state import economics_state
from desktop.ui.main_window import MainWindow
from desktop.ui.trace_hash_keeper import trace_hash_keeper


@pytest.fixture
def window(qtbot, sample_path):
    conn = sqlite3.connect(sample_path)
    conn.execute("DELETE FROM meta WHERE key = 'tracesContentHash'")  # as a file from an older version
    conn.commit()
    conn.close()
    win = MainWindow(playbook(), Document.open(playbook(), sample_path))
    win.ask_save_changes = lambda: QMessageBox.StandardButton.Discard
    qtbot.addWidget(win)
    win.show()
    return win


def _reference(store):
    return traces_content_hash(store.iter_traces()), store.trace_count()


def test_the_record_is_kept_in_the_background_and_save_does_not_hash(qtbot, window, monkeypatch):
    store = window.document.store
    qtbot.waitUntil(lambda: trace_hash.stored_traces_hash(store) is not None, timeout=30_000)
    assert trace_hash.stored_traces_hash(store) == _reference(store)
    assert not economics_state(window.document).busy  # it waited for the figures

    def no_hashing(_store):
        raise AssertionError("Save hashed the rows on the GUI thread")

    monkeypatch.setattr(trace_hash, "compute_traces_hash", no_hashing)
    window.document.save()


def test_a_cell_edit_drops_the_record_and_the_keeper_brings_it_back(qtbot, window):
    document = window.document
    keeper = trace_hash_keeper(document)
    qtbot.waitUntil(lambda: trace_hash.stored_traces_hash(document.store) is not None, timeout=30_000)
    before = trace_hash.stored_traces_hash(document.store)
    row_id = next(document.store.iter_traces())["id"]
    document.push(edit_cell(document, row_id, "costUsd", 0.4321))
    assert trace_hash.stored_traces_hash(document.store) is None
    runs = keeper.computations
    qtbot.waitUntil(lambda: trace_hash.stored_traces_hash(document.store) is not None, timeout=30_000)
    assert trace_hash.stored_traces_hash(document.store) == _reference(document.store) != before
    assert keeper.computations == runs + 1


def test_a_result_computed_while_the_copy_changed_is_not_stored(qtbot, window, monkeypatch):
    document = window.document
    keeper = trace_hash_keeper(document)
    qtbot.waitUntil(lambda: not keeper.busy and not economics_state(document).busy, timeout=30_000)
    hashing, release = threading.Event(), threading.Event()
    real = service.compute_traces_hash

    def slow(store):
        hashing.set()
        release.wait(30)
        return real(store)

    monkeypatch.setattr(service, "compute_traces_hash", slow)
    with document.store.transaction():
        document.store.set_meta(trace_hash.RECORD_KEY, "gone")  # the record missing again
    document.changed.emit("traces")
    qtbot.waitUntil(hashing.is_set, timeout=30_000)
    row_id = next(document.store.iter_traces())["id"]
    document.push(edit_cell(document, row_id, "reviewMinutes", 7.5))  # written while the worker hashes
    release.set()
    qtbot.waitUntil(lambda: trace_hash.stored_traces_hash(document.store) is not None, timeout=30_000)
    assert trace_hash.stored_traces_hash(document.store) == _reference(document.store)  # the edited rows'


def test_keep_refuses_a_result_once_anything_wrote_to_the_copy(window):
    store = window.document.store
    trace_hash_keeper(window.document)._runner.cancel()
    with store.transaction():
        store.set_meta(trace_hash.RECORD_KEY, "gone")
    marker = change_marker(store)
    result = service.refresh_working_copy_hash(window.document.copy.database, None)
    with store.transaction():
        store.set_meta("someone", "wrote")  # not a trace: count and highest id stay, the marker moves
    assert not service.keep_traces_hash(store, result, marker)
    assert trace_hash.stored_traces_hash(store) is None
    assert service.keep_traces_hash(store, result, change_marker(store))
    assert trace_hash.stored_traces_hash(store) == _reference(store)
