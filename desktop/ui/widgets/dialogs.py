"""The few questions the assessment pages ask, as plain functions (tests replace them)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFileDialog, QLabel, QMessageBox, QPlainTextEdit,
                               QVBoxLayout, QWidget)


def ask_open_file(parent: QWidget | None, caption: str, folder: str) -> Path | None:
    path, _ = QFileDialog.getOpenFileName(parent, caption, folder, "All files (*)")
    return Path(path) if path else None


def ask_save_file(parent: QWidget | None, caption: str, suggested: str) -> Path | None:
    path, _ = QFileDialog.getSaveFileName(parent, caption, suggested, "All files (*)")
    return Path(path) if path else None


def ask_text(parent: QWidget | None, title: str, label: str, text: str = "") -> str | None:
    """A short multi-line text, or None when cancelled or left blank."""
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    layout = QVBoxLayout(dialog)
    prompt = QLabel(label)
    prompt.setWordWrap(True)
    editor = QPlainTextEdit(text)
    editor.setTabChangesFocus(True)
    editor.setAccessibleName(title)
    prompt.setBuddy(editor)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(prompt)
    layout.addWidget(editor)
    layout.addWidget(buttons)
    dialog.resize(520, 240)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    value = editor.toPlainText().strip()
    return value or None


def ask_line(parent: QWidget | None, title: str, label: str, text: str = "") -> str | None:
    from PySide6.QtWidgets import QInputDialog

    value, ok = QInputDialog.getText(parent, title, label, text=text)
    return value.strip() if ok and value.strip() else None


def confirm(parent: QWidget | None, title: str, text: str) -> bool:
    answer = QMessageBox.question(parent, title, text,
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def inform(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.information(parent, title, text)
