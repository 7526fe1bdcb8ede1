"""Table models of the customers window: a page of customers, one customer's fields, the
journeys they belong to and their timeline (events, runs, messages). Rows come from
``store.customers``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from journey_desktop.domain import engine
from journey_desktop.domain.journey import CHANNEL_LABELS
from journey_desktop.store.customers import (
    CustomerRow,
    Membership,
    MessageItem,
    RunItem,
    TimelineItem,
)
from journey_desktop.store.events import StoredEvent

FIELD_COLUMNS = 3  # the customer list shows the ID and this many fields
ID_TITLE = "Customer ID"
RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

Index = QModelIndex | QPersistentModelIndex


class _RowsModel(QAbstractTableModel):
    """Rows replaced as a whole, shown in the store's order; subclasses say what each cell
    shows."""

    HEADERS: dict[int, str] = {}
    RIGHT_ALIGNED: frozenset[int] = frozenset()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._items())

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS.get(section)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        items = self._items()
        if not index.isValid() or not 0 <= index.row() < len(items):
            return None
        item = items[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._text(item, index.column())
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in self.RIGHT_ALIGNED:
            return RIGHT
        return None

    def _items(self) -> list[Any]:
        raise NotImplementedError

    def _text(self, item: Any, column: int) -> str:
        raise NotImplementedError


class CustomerListTableModel(QAbstractTableModel):
    """One page of customers: the ID, then the first fields found on the page."""

    COL_ID = 0

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[CustomerRow] = []
        self._fields: list[str] = []

    def set_rows(self, rows: list[CustomerRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        names: dict[str, None] = {}
        for row in self._rows:
            for name in row.fields:
                names.setdefault(name)
                if len(names) >= FIELD_COLUMNS:
                    break
            if len(names) >= FIELD_COLUMNS:
                break
        self._fields = list(names)
        self.endResetModel()

    def customer_at(self, row: int) -> CustomerRow:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else 1 + len(self._fields)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        if section == self.COL_ID:
            return ID_TITLE
        if 1 <= section <= len(self._fields):
            return self._fields[section - 1]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        customer = self._rows[index.row()]
        column = index.column()
        if column == self.COL_ID:
            return customer.external_id
        if 1 <= column <= len(self._fields):
            return engine.field_text(customer.fields.get(self._fields[column - 1]))
        return None


class FieldsTableModel(_RowsModel):
    """A customer's fields, in the order they were imported."""

    COL_FIELD, COL_VALUE = range(2)
    HEADERS = {COL_FIELD: "Field", COL_VALUE: "Value"}

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[tuple[str, Any]] = []

    def set_fields(self, fields: dict[str, Any]) -> None:
        self.beginResetModel()
        self._rows = list(fields.items())
        self.endResetModel()

    def _items(self) -> list[Any]:
        return self._rows

    def _text(self, item: tuple[str, Any], column: int) -> str:
        return item[0] if column == self.COL_FIELD else engine.field_text(item[1])


class MembershipTableModel(_RowsModel):
    """The journeys whose audience holds the customer."""

    COL_JOURNEY, COL_STATUS, COL_ENTRIES, COL_NEXT_CHECK = range(4)
    HEADERS = {COL_JOURNEY: "Journey", COL_STATUS: "Status", COL_ENTRIES: "Entries",
               COL_NEXT_CHECK: "Next check"}
    RIGHT_ALIGNED = frozenset({COL_ENTRIES})

    def __init__(self, parent: QObject | None = None, *, tz: dt.tzinfo | None = None) -> None:
        super().__init__(parent)
        self._tz = tz
        self._rows: list[Membership] = []

    def set_memberships(self, rows: list[Membership]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def _items(self) -> list[Any]:
        return self._rows

    def _text(self, item: Membership, column: int) -> str:
        if column == self.COL_JOURNEY:
            return item.name
        if column == self.COL_STATUS:
            return item.status.capitalize()
        if column == self.COL_ENTRIES:
            return f"{item.entries:,}"
        if column == self.COL_NEXT_CHECK:
            return (item.first_check or engine.local_time_text(item.next_check_at, self._tz)
                    or "never")
        return ""



class TimelineTableModel(_RowsModel):
    """A customer's events, runs and messages, merged in time order (SPEC §11)."""

    COL_TIME, COL_JOURNEY, COL_ENTRY, COL_EVENT, COL_DETAIL = range(5)
    HEADERS = {COL_TIME: "Time", COL_JOURNEY: "Journey", COL_ENTRY: "Entry",
               COL_EVENT: "What", COL_DETAIL: "Details"}
    RIGHT_ALIGNED = frozenset({COL_ENTRY})

    def __init__(self, parent: QObject | None = None, *, tz: dt.tzinfo | None = None) -> None:
        super().__init__(parent)
        self._tz = tz
        self._rows: list[TimelineItem | StoredEvent] = []

    def set_items(self, items: list[TimelineItem | StoredEvent]) -> None:
        self.beginResetModel()
        self._rows = list(items)
        self.endResetModel()

    def _items(self) -> list[Any]:
        return self._rows

    def _text(self, item: TimelineItem | StoredEvent, column: int) -> str:
        if column == self.COL_TIME:
            return engine.local_time_text(item.at, self._tz)
        if isinstance(item, StoredEvent):  # shared by every journey: no journey, no entry
            if column == self.COL_EVENT:
                return f"Event: {item.name}"
            if column == self.COL_DETAIL:
                return ", ".join(f"{key}: {value}" for key, value in item.properties.items())
            return ""
        if column == self.COL_JOURNEY:
            return item.journey
        if column == self.COL_ENTRY:
            return str(item.entry_number)
        if column == self.COL_EVENT:
            if isinstance(item, RunItem):
                return "Entered"
            return f"{CHANNEL_LABELS.get(item.channel, item.channel)} message"
        if column == self.COL_DETAIL:
            return self._detail(item)
        return ""

    def _detail(self, item: TimelineItem) -> str:
        if isinstance(item, MessageItem):
            return f"{item.node}: {item.title}" if item.title else item.node
        if item.ended_at is None:
            return item.state.replace("_", " ").capitalize()
        reason = (item.end_reason or item.state).replace("_", " ")
        return f"Ended {engine.local_time_text(item.ended_at, self._tz)} ({reason})"

