"""Editors that commit one edit per editing session, not per keystroke.

A line edit commits when editing finishes (Return or focus leaving it); a text box when focus leaves it.
A keyboard shortcut the editor does not use itself (Ctrl+S, Ctrl+Q, ...) commits the pending text first,
so saving or quitting from the keyboard never loses what was just typed.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QPlainTextEdit, QSpinBox, QWidget

_SHORTCUT_MODIFIERS = (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
                       | Qt.KeyboardModifier.MetaModifier)


def _is_foreign_shortcut(event: QEvent) -> bool:
    """A key combination the focused editor left unhandled, so a window action will run it."""
    return (event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent)
            and not event.isAccepted() and bool(event.modifiers() & _SHORTCUT_MODIFIERS))


def commit_pending_edit() -> None:
    """Commit whatever the focused editor holds (before saving, closing or switching documents)."""
    widget: QWidget | None = QApplication.focusWidget()
    while widget is not None:
        commit = getattr(widget, "commit", None)
        if callable(commit) and isinstance(widget, (CommitLineEdit, CommitTextEdit, CommitSpinBox)):
            commit()
            return
        widget = widget.parentWidget()


class CommitLineEdit(QLineEdit):
    """A one-line editor that reports its text once per editing session.

    Signals:
        sig_committed(str): the text after an editing session that changed it.
    """

    sig_committed = Signal(str)
    """The officer finished editing and the text differs from the last committed one."""

    def __init__(self, accessible_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(accessible_name)
        self._committed = ""
        self.editingFinished.connect(self.commit)

    def set_committed_text(self, text: str) -> None:
        """Show the document's value, unless the officer is typing a different one right now."""
        pending = self.hasFocus() and self.text() != self._committed
        self._committed = text
        if not pending and self.text() != text:
            self.setText(text)
            if not self.hasFocus():
                self.setCursorPosition(0)

    def commit(self) -> None:
        if self.text() != self._committed and not self.isReadOnly():
            self._committed = self.text()
            self.sig_committed.emit(self.text())

    def event(self, event: QEvent) -> bool:  # noqa: D102 (Qt override)
        handled = super().event(event)
        if _is_foreign_shortcut(event):
            self.commit()
        return handled


class CommitTextEdit(QPlainTextEdit):
    """A multi-line note editor that commits when focus leaves it; Tab moves on instead of typing a tab.

    Signals:
        sig_committed(str): the text after an editing session that changed it.
    """

    sig_committed = Signal(str)
    """The officer left the note and its text differs from the last committed one."""

    def __init__(self, accessible_name: str, parent: QWidget | None = None, *, lines: int = 3) -> None:
        super().__init__(parent)
        self.setAccessibleName(accessible_name)
        self.setTabChangesFocus(True)
        self._committed = ""
        height = self.fontMetrics().lineSpacing() * lines + 2 * self.frameWidth() + 10
        self.setMinimumHeight(height)
        self.setMaximumHeight(height * 2)

    def set_committed_text(self, text: str) -> None:
        pending = self.hasFocus() and self.toPlainText() != self._committed
        self._committed = text
        if not pending and self.toPlainText() != text:
            self.setPlainText(text)

    def commit(self) -> None:
        if self.toPlainText() != self._committed and not self.isReadOnly():
            self._committed = self.toPlainText()
            self.sig_committed.emit(self.toPlainText())

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 (Qt override)
        super().focusOutEvent(event)
        if event.reason() != Qt.FocusReason.PopupFocusReason or QApplication.activePopupWidget() is None \
                or QApplication.activePopupWidget().parentWidget() is not self:
            self.commit()

    def event(self, event: QEvent) -> bool:  # noqa: D102 (Qt override)
        handled = super().event(event)
        if _is_foreign_shortcut(event):
            self.commit()
        return handled


class CommitSpinBox(QSpinBox):
    """A spin box that reports a value per finished edit or arrow step, not per typed digit.

    Signals:
        sig_committed(int): the new value.
    """

    sig_committed = Signal(int)
    """The officer changed the value (Return, focus out, or one arrow step)."""

    def __init__(self, accessible_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(accessible_name)
        self.setKeyboardTracking(False)
        self._committed = 0
        self._filling = False
        self.valueChanged.connect(self._on_value_changed)

    def set_committed_value(self, value: int) -> None:
        self._committed = value
        self._filling = True
        try:
            self.setValue(value)
        finally:
            self._filling = False

    def commit(self) -> None:
        self.interpretText()

    def _on_value_changed(self, value: int) -> None:
        if not self._filling and value != self._committed and not self.isReadOnly():
            self._committed = value
            self.sig_committed.emit(value)

    def event(self, event: QEvent) -> bool:  # noqa: D102 (Qt override)
        handled = super().event(event)
        if _is_foreign_shortcut(event):
            self.commit()
        return handled
