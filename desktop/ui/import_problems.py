"""The import dialog's table of problems: every bad value of every source, located the way the officer
finds it in the file. The Column cell names the field in the playbook's words ("Input tokens"); its tooltip
gives the header as written in the file and the field's name as files and `--set` spell it."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from desktop.domain.trace import FIELDS_BY_NAME, KNOWN_EXTRA_FIELDS
from desktop.ui.trace_model import field_label, field_tooltip

# The importers word a missing field for the command line ("(--set costUsd=VALUE)"); the dialog gives such
# values in its own box, so for the fields that box holds the reason says where to tick instead.
_SET_HINT = re.compile(r"\(--set (?P<name>\w+)=(?P<value>VALUE)?\)")


def dialog_reason(reason: str, settable: Sequence[str]) -> str:
    """`reason` with its `--set FIELD=...` hints, for the fields in `settable`, said as the dialog's own step."""
    def hint(match: re.Match[str]) -> str:
        name = match.group("name")
        if name not in settable:
            return match.group(0)
        where = f"tick '{field_label(name)}' under Values for fields the files do not record"
        return f"({where})" if match.group("value") else f"({where} and leave its value empty)"
    return _SET_HINT.sub(hint, reason)


class ProblemModel(QAbstractTableModel):
    """Every problem of every source: file, row, column, value, reason (up to the importers' cap each).

    `settable`: the fields the dialog can give one value for; reasons say to tick them instead of `--set`."""

    HEADERS = ("File", "Row", "Column", "Value", "Reason")

    def __init__(self, problems: Sequence[Any] = (), parent=None, *, settable: Sequence[str] = ()) -> None:
        super().__init__(parent)
        self.problems = list(problems)
        self.settable = tuple(settable)
        self._mappings: Mapping[str, Mapping[str, str]] = {}

    def set_problems(self, problems: Sequence[Any], mappings: Mapping[str, Mapping[str, str]] | None = None) -> None:
        """`mappings`: source -> {header or key path as written: field name}, to name the field of a column
        the file spells its own way."""
        self.beginResetModel()
        self.problems = list(problems)
        self._mappings = mappings or {}
        self.endResetModel()

    def field_of(self, problem: Any) -> str | None:
        """The trace field a problem's column holds, or None for a column the app does not read."""
        mapped = self._mappings.get(problem.source, {}).get(problem.column)
        name = mapped if mapped is not None else problem.column
        return name if name in FIELDS_BY_NAME or name in KNOWN_EXTRA_FIELDS else None

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
        column = index.column()
        if column == 2:
            return self._column(problem, tooltip=role == Qt.ItemDataRole.ToolTipRole)
        if role == Qt.ItemDataRole.ToolTipRole:  # the whole line, for a reason wider than its cell
            return str(problem).replace(problem.reason, dialog_reason(problem.reason, self.settable))
        if column == 0:
            return problem.source
        if column == 1:
            return "(file)" if problem.row == 0 else str(problem.row)
        if column == 3:
            return "" if problem.value is None else str(problem.value)
        return dialog_reason(problem.reason, self.settable)

    def _column(self, problem: Any, *, tooltip: bool) -> str:
        field = self.field_of(problem)
        if not tooltip:
            return problem.column if field is None else field_label(field)
        if field is None:
            return f"{problem.column}, as written in the file"
        written = "" if problem.column == field else f"'{problem.column}' in the file; "
        return written + field_tooltip(field)
