"""The import dialog's table of problems: every bad value of every source, located the way the officer
finds it in the file."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt


class ProblemModel(QAbstractTableModel):
    """Every problem of every source: file, row, column, value, reason (up to the importers' cap each)."""

    HEADERS = ("File", "Row", "Column", "Value", "Reason")

    def __init__(self, problems: Sequence[Any] = (), parent=None) -> None:
        super().__init__(parent)
        self.problems = list(problems)

    def set_problems(self, problems: Sequence[Any]) -> None:
        self.beginResetModel()
        self.problems = list(problems)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.problems)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(self.HEADERS):
            return self.HEADERS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        problem = self.problems[index.row()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return str(problem)
        column = index.column()
        if column == 0:
            return problem.source
        if column == 1:
            return "(file)" if problem.row == 0 else str(problem.row)
        if column == 2:
            return problem.column
        if column == 3:
            return "" if problem.value is None else str(problem.value)
        return problem.reason
