"""Pieces of the Sign-off page: its read-only tables, and text fields that look read-only once signed."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import (QAbstractItemView, QFrame, QHeaderView, QLineEdit, QPlainTextEdit, QTableWidget,
                               QTableWidgetItem)


def look_read_only(widget: QLineEdit | QPlainTextEdit, read_only: bool) -> None:
    """Read-only text on the window's own background without a frame: it no longer looks like a field to type
    in (a disabled field would grey the recorded sign-off out; a read-only one keeps it selectable)."""
    widget.setReadOnly(read_only)
    palette = widget.palette()
    base = QGuiApplication.palette().color(QPalette.ColorRole.Window if read_only else QPalette.ColorRole.Base)
    palette.setColor(QPalette.ColorRole.Base, base)
    widget.setPalette(palette)
    if isinstance(widget, QLineEdit):
        widget.setFrame(not read_only)
    else:
        widget.setFrameShape(QFrame.Shape.NoFrame if read_only else QFrame.Shape.StyledPanel)


def table(columns: list[str], accessible: str) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setAccessibleName(accessible)
    table.setHorizontalHeaderLabels(columns)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setTabKeyNavigation(False)
    table.setWordWrap(True)
    table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    header = table.horizontalHeader()
    for section in range(len(columns) - 1):
        header.setSectionResizeMode(section, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(len(columns) - 1, QHeaderView.ResizeMode.Stretch)
    return table


def fill_table(table: QTableWidget, rows: list[list[str]], colours: dict[tuple[int, int], str] | None = None) -> None:
    table.setRowCount(len(rows))
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            colour = (colours or {}).get((r, c))
            if colour:
                item.setForeground(QColor(colour))
            table.setItem(r, c, item)
    table.resizeRowsToContents()
    height = sum(table.rowHeight(r) for r in range(table.rowCount()))
    table.setFixedHeight(height + table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth() + 2)
