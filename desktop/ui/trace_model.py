"""The trace table's model: a window onto the workbook's trace rows that stays light with a million of them.

The model holds the visible row ids in display order as one numpy array (8 bytes a row) and a small LRU
cache of fetched blocks of rows (`block_size` rows each, at most `max_blocks` blocks); it never builds a
Python object per row. Sorting and filtering re-query the id order (`trace_store.ordered_ids`); with
`background=True` that query runs on a worker thread over its own read-only connection, so a sort of a
million rows never freezes the window, and the model keeps showing the previous order until the new one
arrives (`loading` says when a query is running).

Editing validates through `trace_store.validate_cell` and pushes an undoable `EditCellCommand`; a value
the field's rules refuse is not written and `editRejected` says why. Edited cells are marked (background,
italics) and their tooltip gives the imported value.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QFont

from desktop.domain.errors import DomainError, FieldError
from desktop.domain.formatting import NOT_OBSERVED
from desktop.domain.progress import check_cancelled
from desktop.domain.trace import FIELD_LABELS, FIELD_NAMES, FIELDS_BY_NAME, KNOWN_EXTRA_FIELDS, Kind
from desktop.services.workers import gc_paused
from desktop.storage import trace_store
from desktop.storage.workbook_file import WorkbookStore, connect_for_reading
from desktop.ui import commands, theme
from desktop.ui.tasks import TaskRunner

# ---- Constants

IMPORT_COLUMN = "import_id"
EDITED_ROLE = Qt.ItemDataRole.UserRole + 1  # bool: the cell was edited after import
ROW_ID_ROLE = Qt.ItemDataRole.UserRole + 2  # int: the trace row's id
FIELD_ROLE = Qt.ItemDataRole.UserRole + 3  # str: the column's field name
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_ITALIC = QFont()
_ITALIC.setItalic(True)

# Layout of a fetched row (trace_store.fetch_rows): id, import_id, sixteen fields, extras, defaulted, edited.
_FIELD_OFFSET = 2
_EXTRAS, _DEFAULTED, _EDITED = _FIELD_OFFSET + len(FIELD_NAMES), _FIELD_OFFSET + len(FIELD_NAMES) + 1, \
    _FIELD_OFFSET + len(FIELD_NAMES) + 2


def format_value(value: Any) -> str:
    """A stored value as the table shows it: whole numbers without '.0', booleans as yes/no, null empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(value, ".10g")
    return str(value)


def field_label(key: str) -> str:
    """A field as the playbook names it ("Input tokens"); an extra field the app does not know keeps its
    name from the file."""
    return FIELD_LABELS.get(key, key)


def field_tooltip(key: str) -> str:
    """The field's name as files and `--set` spell it, with its unit and rule: the tooltip wherever
    `field_label` is shown."""
    spec = FIELDS_BY_NAME.get(key) or KNOWN_EXTRA_FIELDS.get(key)
    if spec is None:
        return f"{key}: extra field kept from the source"
    unit = f" ({spec.unit})" if spec.unit else ""
    rule = "required" if spec.required else ("default " + format_value(spec.default)
                                             if spec.default is not None else "may be not observed")
    extra = "" if key in FIELDS_BY_NAME else " - extra field"
    return f"{key}{unit}, {rule}{extra}"


def query_order(store: WorkbookStore, sort_field: str | None, descending: bool,
                filters: dict[str, str]) -> tuple[np.ndarray, list[str]]:
    """The visible ids in display order and the extra fields' names (the slow part of a reload)."""
    ids = trace_store.ordered_ids(store, sort_field=sort_field, descending=descending, filters=filters)
    return ids, trace_store.extra_field_names(store)


def _query_in_worker(database: Path, sort_field: str | None, descending: bool, filters: dict[str, str],
                     control: Any) -> tuple[np.ndarray, list[str]]:
    conn = connect_for_reading(Path(database))
    try:
        store = WorkbookStore(conn, Path(database), writable=False)
        check_cancelled(control)  # superseded by a newer query
        with gc_paused():
            return query_order(store, sort_field, descending, filters)
    finally:
        conn.close()


class _Row:
    """One fetched row with its JSON columns decoded (only ever built for rows in the cache)."""

    __slots__ = ("values", "extras", "defaulted", "edited")

    def __init__(self, record: tuple[Any, ...]) -> None:
        self.values = record
        self.extras = json.loads(record[_EXTRAS]) if record[_EXTRAS] else {}
        self.defaulted = frozenset(record[_DEFAULTED].split(",")) if record[_DEFAULTED] else frozenset()
        self.edited = json.loads(record[_EDITED]) if record[_EDITED] else {}

    def value(self, key: str) -> Any:
        if key == IMPORT_COLUMN:
            return self.values[1]
        if key in FIELDS_BY_NAME:
            value = self.values[_FIELD_OFFSET + FIELD_NAMES.index(key)]
            if value is not None and FIELDS_BY_NAME[key].kind is Kind.BOOLEAN:
                return bool(value)
            return value
        return self.extras.get(key)


class TraceTableModel(QAbstractTableModel):
    """The workbook's visible trace rows, with filters, sorting and validated, undoable editing.

    Signals:
        editRejected(str): an edit was refused; the message says which field, which value and why.
        loadingChanged(bool): a background query started or finished.
        reloaded(): the rows shown were re-read (new order, filter or data).
    """

    editRejected = Signal(str)
    loadingChanged = Signal(bool)
    reloaded = Signal()

    def __init__(self, parent: QObject | None = None, *, background: bool = True, block_size: int = 500,
                 max_blocks: int = 40) -> None:
        super().__init__(parent)
        self.document = None
        self.background = background
        self.block_size = block_size
        self.max_blocks = max_blocks
        self._ids = np.zeros(0, dtype=np.int64)
        self._columns: list[str] = [IMPORT_COLUMN, *FIELD_NAMES]
        self._cache: OrderedDict[int, list[_Row | None]] = OrderedDict()
        self._sort: tuple[str | None, bool] = (None, False)
        self._filters: dict[str, str] = {}
        self._aliases: dict[str, str] = {}
        self._pending: tuple[str, Any] | None = None
        self._generation = 0
        self._query_generation = 0  # the generation the background query under way was started for
        self._runner = TaskRunner(self, on_done=self._on_query_done, on_failed=self._on_query_failed,
                                  on_finished=self._on_query_finished)
        commands.events.changing.connect(self._on_changing)

    # ---- Public API ---------------------------------------------------------------------------------
    def set_document(self, document) -> None:
        """Show `document`'s traces (reads them again)."""
        if self.document is not None:
            try:
                self.document.changed.disconnect(self._on_document_changed)
            except (RuntimeError, TypeError):
                pass
        self.document = document
        self._aliases = document.playbook.trace_route_aliases() if document is not None else {}
        if document is not None:
            document.changed.connect(self._on_document_changed)
        self.reload()

    @property
    def loading(self) -> bool:
        return self._runner.busy

    @property
    def filters(self) -> dict[str, str]:
        return dict(self._filters)

    def set_filters(self, filters: dict[str, str]) -> None:
        """Show only rows whose route/provider/model/workload equal the given values ("import": an id)."""
        cleaned = {k: str(v) for k, v in filters.items() if v not in (None, "")}
        if cleaned != self._filters:
            self._filters = cleaned
            self.reload()

    @property
    def sort_key(self) -> tuple[str | None, bool]:
        return self._sort

    def reload(self) -> None:
        """Re-read the id order (in the background when `background` is set)."""
        self._generation += 1
        self._pending = None
        if self.document is None:
            self._apply(self._generation, np.zeros(0, dtype=np.int64), [])
            return
        sort_field, descending = self._sort
        if not self.background:
            ids, extras = query_order(self.document.store, sort_field, descending, self._filters)
            self._apply(self._generation, ids, extras)
            return
        self._query_generation = self._generation
        self._runner.start(_query_in_worker, self.document.copy.database, sort_field, descending,
                           dict(self._filters))
        self.loadingChanged.emit(True)

    def wait_loaded(self, ms: int = 60_000) -> None:
        """Block until a background query has finished and been applied (for tests and scripts)."""
        from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QEventLoop

        deadline = QDeadlineTimer(ms)
        while self._runner.busy and not deadline.hasExpired():
            self._runner.wait(50)
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)

    def row_id(self, row: int) -> int:
        return int(self._ids[row])

    def row_ids(self, rows: list[int]) -> list[int]:
        return [int(i) for i in self._ids[np.asarray(rows, dtype=np.int64)]] if rows else []

    def row_of(self, row_id: int) -> int | None:
        found = np.flatnonzero(self._ids == row_id)
        return int(found[0]) if len(found) else None

    def field(self, column: int) -> str:
        """The field shown in `column` ('import_id' for the import column)."""
        return self._columns[column]

    def column_of(self, field: str) -> int:
        return self._columns.index(field)

    def fields(self) -> list[str]:
        return list(self._columns)

    def text(self, row: int, column: int) -> str:
        """The cell's text as shown (for copying)."""
        fetched = self._row(row)
        return format_value(fetched.value(self._columns[column])) if fetched is not None else ""

    def cache_rows(self) -> int:
        """Rows held in the block cache right now (bounded by block_size * max_blocks)."""
        return sum(len(block) for block in self._cache.values())

    # ---- Qt model API ----------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            if not 0 <= section < len(self._columns):
                return None
            key = self._columns[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return "Import" if key == IMPORT_COLUMN else field_label(key)
            if role == Qt.ItemDataRole.ToolTipRole:
                if key == IMPORT_COLUMN:
                    return "The import this row came from (see Imports below)"
                return field_tooltip(key) + ("" if key in FIELDS_BY_NAME else " (not sortable)")
            return None
        if role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(self._ids):
            return str(int(self._ids[section]))
        if role == Qt.ItemDataRole.ToolTipRole and 0 <= section < len(self._ids):
            return f"Trace row {int(self._ids[section])}"
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
        if self.document is not None and not self.document.read_only and \
                self._columns[index.column()] != IMPORT_COLUMN:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._ids) or index.column() >= len(self._columns):
            return None
        key = self._columns[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            spec = FIELDS_BY_NAME.get(key) or KNOWN_EXTRA_FIELDS.get(key)
            numeric = key == IMPORT_COLUMN or (spec is not None and spec.kind in (Kind.NUMBER, Kind.RATE))
            return _RIGHT if numeric else _LEFT
        if role == ROW_ID_ROLE:
            return int(self._ids[index.row()])
        if role == FIELD_ROLE:
            return key
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole, Qt.ItemDataRole.ToolTipRole,
                        Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.FontRole,
                        Qt.ItemDataRole.ForegroundRole, EDITED_ROLE):
            return None
        row = self._row(index.row())
        if row is None:
            return None
        value = row.value(key)
        edit = row.edited.get(key)
        if role == Qt.ItemDataRole.DisplayRole and value is None and key in FIELDS_BY_NAME:
            return NOT_OBSERVED  # a field the source does not record: said, never an empty cell or a 0
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return format_value(value)
        if role == EDITED_ROLE:
            return edit is not None
        if role == Qt.ItemDataRole.BackgroundRole:
            return QColor(theme.highlight_colours()[0]) if edit is not None else None
        if role == Qt.ItemDataRole.FontRole:
            return _ITALIC if edit is not None else None
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor(theme.colour("muted")) if key in row.defaulted and edit is None else None
        if role == Qt.ItemDataRole.ToolTipRole:
            if edit is not None:
                imported = format_value(edit.get("imported"))
                return (f"Edited {edit.get('editedAt', '')}; imported value: "
                        f"{imported if imported else '(not observed)'}")
            if key in row.defaulted:
                return "Not in the source: filled with the field's default"
            if value is None:
                return "Not observed"
            return None
        return None

    def setData(self, index: QModelIndex | QPersistentModelIndex, value: Any,  # noqa: N802
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or self.document is None:
            return False
        if not self.flags(index) & Qt.ItemFlag.ItemIsEditable:
            return False
        key = self._columns[index.column()]
        row_id = int(self._ids[index.row()])
        text = value if isinstance(value, str) else format_value(value)
        try:
            new = trace_store.validate_cell(key, text, self._aliases)
            if key in FIELDS_BY_NAME and FIELDS_BY_NAME[key].kind is Kind.BOOLEAN:
                new = bool(new)
            command = commands.edit_cell(self.document, row_id, key, new)
            if command is None:
                return True
            self.document.push(command)
        except FieldError as error:
            self.editRejected.emit(f"Row {row_id}, {key}: {error.reason} (value '{text}'). The cell keeps its "
                                   f"value.")
            return False
        except DomainError as error:
            self.editRejected.emit(f"Row {row_id}, {key}: {error}")
            return False
        return True

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if column < 0 or column >= len(self._columns):
            key = None
        else:
            key = self._columns[column]
            if key not in FIELDS_BY_NAME and key != IMPORT_COLUMN:
                return  # extra fields are stored as JSON; they keep the current order
        new = (key, order == Qt.SortOrder.DescendingOrder)
        if new != self._sort:
            self._sort = new
            self.reload()

    # ---- Private API --------------------------------------------------------------------------------
    def _row(self, row: int) -> _Row | None:
        block_index = row // self.block_size
        block = self._cache.get(block_index)
        if block is None:
            block = self._fetch_block(block_index)
        else:
            self._cache.move_to_end(block_index)
        return block[row - block_index * self.block_size]

    def _fetch_block(self, block_index: int) -> list[_Row | None]:
        start = block_index * self.block_size
        ids = self._ids[start:start + self.block_size]
        records = trace_store.fetch_rows(self.document.store, ids) if self.document is not None else {}
        block = [(_Row(records[i]) if i in records else None) for i in ids.tolist()]
        self._cache[block_index] = block
        while len(self._cache) > self.max_blocks:
            self._cache.popitem(last=False)
        return block

    def _apply(self, generation: int, ids: np.ndarray, extras: list[str]) -> None:
        if generation != self._generation:
            return  # a newer query is on its way
        self.beginResetModel()
        self._ids = np.ascontiguousarray(ids, dtype=np.int64)
        self._columns = [IMPORT_COLUMN, *FIELD_NAMES, *[e for e in extras if e not in FIELDS_BY_NAME]]
        self._cache.clear()
        self.endResetModel()
        self.reloaded.emit()

    def _on_query_done(self, result: tuple[np.ndarray, list[str]]) -> None:
        self._apply(self._query_generation, *result)

    def _on_query_failed(self, message: str) -> None:
        if self._query_generation == self._generation:
            self.editRejected.emit(f"The trace table could not be read: {message}")

    def _on_query_finished(self) -> None:
        if not self._runner.busy:
            self.loadingChanged.emit(False)

    def _on_changing(self, document, kind: str, row_ids: Any) -> None:
        if document is self.document:
            self._pending = (kind, row_ids)

    def _on_document_changed(self, part: str) -> None:
        if part not in ("traces", "all"):
            return
        pending, self._pending = self._pending, None
        if part == "traces" and pending is not None and pending[0] == commands.CELLS:
            self._refresh_rows(pending[1])
        else:
            self.reload()

    def _refresh_rows(self, row_ids: list[int]) -> None:
        """Values of these rows changed (a cell edit): drop their cached blocks and repaint them."""
        for row_id in row_ids:
            row = self.row_of(row_id)
            if row is None:
                continue
            self._cache.pop(row // self.block_size, None)
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self._columns) - 1))

    def shutdown(self) -> None:
        """Stop listening and wait for a running query (before the document's working copy goes away)."""
        self._generation += 1
        self._runner.shutdown(30_000)
        try:
            commands.events.changing.disconnect(self._on_changing)
        except (RuntimeError, TypeError):
            pass
