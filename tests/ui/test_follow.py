"""A window or page that follows a document's background state stops hearing from it once it is deleted: the
document and its states outlive it, and a late result (a sign-off check landing after the window closed) must
not call into a deleted widget ("Internal C++ object already deleted")."""

import shiboken6
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel

from desktop.ui.document import follow


class _State(QObject):
    updated = Signal(object)


def test_a_deleted_receiver_is_no_longer_called(qtbot):
    state = _State()
    label = QLabel()
    heard = []
    follow(label, state.updated, lambda value: (heard.append(value), label.setText(str(value))))
    state.updated.emit(1)
    assert heard == [1] and label.text() == "1"
    shiboken6.delete(label)
    state.updated.emit(2)  # no RuntimeError from the deleted label: the connection went with it
    assert heard == [1]


def test_the_state_deleted_first_leaves_nothing_to_drop(qtbot):
    state = _State()
    label = QLabel()
    qtbot.addWidget(label)
    follow(label, state.updated, lambda value: label.setText(str(value)))
    shiboken6.delete(state)
    shiboken6.delete(label)  # dropping the connection of a sender already gone is harmless
