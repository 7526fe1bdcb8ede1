"""The statistics window's delivery figures (SPEC §15): per message node and channel what
the reports said, with the open rate and CTR; and the plan held against the actual days."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor

from journey_desktop.domain.delivery import (
    CLICKED,
    DELIVERED,
    OPENED,
    STATUS_LABELS,
    STATUSES,
    rate,
    rate_text,
)
from journey_desktop.domain.journey import CHANNEL_LABELS
from journey_desktop.store.delivery import NodeDelivery
from journey_desktop.store.plan import PlanDay
from journey_desktop.ui.common.colours import WARNING_COLOR

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
DELIVERY_HEADERS = ("Node", "Channel", "Written", *(STATUS_LABELS[s] for s in STATUSES),
                    "Open rate", "CTR")
COL_OPEN_RATE = len(DELIVERY_HEADERS) - 2
COL_CTR = len(DELIVERY_HEADERS) - 1
RATE_TIPS = {COL_OPEN_RATE: "Opened ÷ delivered", COL_CTR: "Clicked ÷ delivered"}
CHART_STATUSES = (  # the per-day chart: label, colour
    ("sent", "#90a4ae"),
    ("opened", "#1f77b4"),
    ("clicked", "#2ca02c"),
)


class DeliveryTableModel(QAbstractTableModel):
    """One row per message node and channel: written, each status reached (cumulative, a
    click is also an open), open rate and CTR (a dash before anything was delivered)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[NodeDelivery] = []

    def set_rows(self, rows: list[NodeDelivery], order: list[str] | None = None) -> None:
        """``order``: the node ids in flow order (rows of other nodes come after)."""
        rank = {node: index for index, node in enumerate(order or [])}
        self.beginResetModel()
        self._rows = sorted(rows, key=lambda r: (rank.get(r.node, len(rank)), r.node,
                                                 r.channel))
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(DELIVERY_HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(DELIVERY_HEADERS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return DELIVERY_HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return RATE_TIPS.get(section)
        return None

    def _native(self, row: NodeDelivery, column: int) -> Any:
        reached = row.reached
        values: list[Any] = [row.node, CHANNEL_LABELS.get(row.channel, row.channel),
                             row.written, *(reached[s] for s in STATUSES),
                             rate(reached[OPENED], reached[DELIVERED]),
                             rate(reached[CLICKED], reached[DELIVERED])]
        return values[column]

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        value = self._native(self._rows[index.row()], index.column())
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column in (COL_OPEN_RATE, COL_CTR):
                return rate_text(value)
            return f"{value:,}" if isinstance(value, int) else value
        if role == SORT_ROLE:
            return -1.0 if value is None else value
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class SortProxy(QSortFilterProxyModel):
    """Sorts on native values (numbers as numbers, no rate below every rate)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)


def delivery_day_sets(days: list[dt.date], per_day: dict[dt.date, dict[str, int]]
                      ) -> list[tuple[str, str, list[int]]]:
    """The chart's sets: messages sent, opened and clicked on each day."""
    return [(STATUS_LABELS[status], color,
             [per_day.get(day, {}).get(status, 0) for day in days])
            for status, color in CHART_STATUSES]


PLAN_HEADERS = ("Day", "Entries forecast", "Entries", "Messages forecast", "Messages")


class PlanTableModel(QAbstractTableModel):
    """Per day, forecast and actual entries and messages side by side; the days they
    differ are marked from the first one on."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._days: list[PlanDay] = []

    def set_days(self, days: list[PlanDay]) -> None:
        self.beginResetModel()
        self._days = list(days)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._days)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(PLAN_HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(PLAN_HEADERS)):
            return PLAN_HEADERS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._days):
            return None
        day = self._days[index.row()]
        values = (day.day.isoformat(), day.forecast_entered, day.entered,
                  day.forecast_messages, day.messages)
        if role == Qt.ItemDataRole.DisplayRole:
            value = values[index.column()]
            return f"{value:,}" if isinstance(value, int) else value
        if role == Qt.ItemDataRole.ForegroundRole and day.parts and index.column() > 0:
            return QColor(WARNING_COLOR)
        if role == Qt.ItemDataRole.ToolTipRole and day.parts:
            return "The journey did not do what its forecast said on this day"
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
