"""The outbox table: paged, asking the store for the next page (``list_messages`` with
limit and offset) when the view scrolls near the end, so a 100,000-message outbox costs one
page and two counts to open."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor

from journey_desktop.domain import engine
from journey_desktop.domain.journey import CHANNEL_LABELS
from journey_desktop.store.outbox import (
    OutboxFilter,
    OutboxMessage,
    count_messages,
    last_message_id,
    list_messages,
)

PAGE_SIZE = 200

(
    COL_CUSTOMER,
    COL_JOURNEY,
    COL_NODE,
    COL_CHANNEL,
    COL_TITLE,
    COL_BODY,
    COL_URL,
    COL_DUE,
    COL_SEND,
    COL_STATUS,
    COL_EXPORTED,
    COL_DELIVERY,
) = range(12)
HEADERS = {
    COL_CUSTOMER: "Customer",
    COL_JOURNEY: "Journey",
    COL_NODE: "Node",
    COL_CHANNEL: "Channel",
    COL_TITLE: "Title / subject",
    COL_BODY: "Body",
    COL_URL: "URL",
    COL_DUE: "Due at",
    COL_SEND: "Send at",
    COL_STATUS: "Status",
    COL_EXPORTED: "Exported at",
    COL_DELIVERY: "Delivery",
}
# Every column fits a 1200-pixel window (with its vertical scroll bar), the long texts
# (title, body, URL) shortened to a glance with the full text as tooltip; the status and
# delivery columns are widened to what they show (``STATUS_MAX_WIDTH`` and
# ``DELIVERY_MAX_WIDTH`` at most, the tooltip has the rest) and the delivery column, last,
# takes what is left.
COLUMN_WIDTHS = {
    COL_CUSTOMER: 72, COL_JOURNEY: 86, COL_NODE: 66, COL_CHANNEL: 60,
    COL_TITLE: 86, COL_BODY: 86, COL_URL: 52, COL_DUE: 116, COL_SEND: 116,
    COL_STATUS: 70, COL_EXPORTED: 116, COL_DELIVERY: 110,
}
STATUS_MAX_WIDTH = 160  # "suppressed (quiet hours)" in full
DELIVERY_MAX_WIDTH = 145
SORT_ROLE = Qt.ItemDataRole.UserRole + 1  # native values: ints for times, str otherwise
MESSAGE_ID_ROLE = Qt.ItemDataRole.UserRole + 2
BODY_PREVIEW = 120
EXPORTED_COLOR = QColor("#1f7a45")


def _one_line(text: str, limit: int = BODY_PREVIEW) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class OutboxTableModel(QAbstractTableModel):
    """The messages of one filter, fetched a page at a time as the view scrolls."""

    def __init__(self, parent: QObject | None = None, *, page_size: int = PAGE_SIZE,
                 tz: dt.tzinfo | None = None) -> None:
        super().__init__(parent)
        self._page_size = max(1, int(page_size))
        self._tz = tz
        self._filter = OutboxFilter()
        self._newest_first = True
        self._rows: list[OutboxMessage] = []
        self._total = 0

    # --- what the window needs -----------------------------------------------------------

    @property
    def total(self) -> int:
        """How many messages match the filter (loaded or not)."""
        return self._total

    @property
    def newest_first(self) -> bool:
        return self._newest_first

    def message_filter(self) -> OutboxFilter:
        return OutboxFilter(**vars(self._filter))

    def set_filter(self, flt: OutboxFilter) -> None:
        """Show the first page of another filter."""
        self._filter = OutboxFilter(**vars(flt))
        self.reload(keep_loaded=False)

    def reload(self, *, keep_loaded: bool = True) -> None:
        """Read the count and the rows again; keeps as many rows loaded as before if asked.

        Pages are read from a snapshot (messages written up to now), so that messages the
        evaluator writes meanwhile do not shift the pages; the next reload shows them.
        """
        wanted = max(self._page_size, len(self._rows)) if keep_loaded else self._page_size
        self.beginResetModel()
        self._filter.up_to_id = last_message_id()
        self._total = count_messages(self._filter)
        self._rows = list_messages(self._filter, offset=0, limit=wanted,
                                   newest_first=self._newest_first)
        self.endResetModel()

    def message_at(self, row: int) -> OutboxMessage:
        return self._rows[row]

    # --- Qt overrides --------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(HEADERS)

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:
        return not parent.isValid() and len(self._rows) < self._total

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:
        if parent.isValid():
            return
        page = list_messages(self._filter, offset=len(self._rows), limit=self._page_size,
                             newest_first=self._newest_first)
        if not page:
            self._total = len(self._rows)  # rows went away since the count
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
        self._rows.extend(page)
        self.endInsertRows()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Only the due time sorts (the store pages in that order), both ways."""
        if column != COL_DUE:
            return
        newest_first = order == Qt.SortOrder.DescendingOrder
        if newest_first != self._newest_first:
            self._newest_first = newest_first
            self.reload(keep_loaded=False)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS.get(section)
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        message = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(message, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column in (COL_TITLE, COL_BODY, COL_URL):
                return self._text(message, column) or None
            if column == COL_DUE:
                return "When the step fell due (local time)"
            if column == COL_SEND:
                return ("When it may go out (local time): when it fell due, moved by quiet "
                        "hours and the rate limit")
            if column == COL_STATUS and message.reason:
                return f"Not sent: {message.reason}"
            if column == COL_DELIVERY:
                said = (f"The report's detail: {message.delivery_detail}\n\n"
                        if message.delivery_detail else "")
                return (f"{said}What the delivery reports said: the furthest of sent, "
                        "delivered, opened, clicked, then bounced, failed or unsubscribed")
            return None
        if role == SORT_ROLE:
            return self._native(message, column)
        if role == MESSAGE_ID_ROLE:
            return message.id
        if role == Qt.ItemDataRole.ForegroundRole and column == COL_STATUS:
            return EXPORTED_COLOR if message.exported_at is not None else None
        return None

    def _text(self, message: OutboxMessage, column: int) -> str:
        return {
            COL_CUSTOMER: message.external_id,
            COL_JOURNEY: message.journey_name,
            COL_NODE: message.node,
            COL_CHANNEL: CHANNEL_LABELS.get(message.channel, message.channel),
            COL_TITLE: message.title,
            COL_BODY: message.body,
            COL_URL: message.url,
            COL_STATUS: (f"{message.status} ({message.reason})" if message.reason
                         else message.status),
            COL_DELIVERY: (f"{message.delivery_status} ({message.delivery_detail})"
                           if message.delivery_detail else message.delivery_status),
        }.get(column, "")

    def _display(self, message: OutboxMessage, column: int) -> str:
        if column == COL_DUE:
            return engine.local_time_text(message.due_at, self._tz)
        if column == COL_SEND:
            return engine.local_time_text(message.send_at, self._tz)
        if column == COL_EXPORTED:
            return engine.local_time_text(message.exported_at, self._tz)
        if column in (COL_TITLE, COL_BODY):
            return _one_line(self._text(message, column))
        return self._text(message, column)

    def _native(self, message: OutboxMessage, column: int) -> Any:
        if column == COL_DUE:
            return message.due_at
        if column == COL_SEND:
            return message.send_at or 0
        if column == COL_EXPORTED:
            return message.exported_at if message.exported_at is not None else 0
        return self._text(message, column)
