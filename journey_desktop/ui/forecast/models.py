"""The forecast's tables: its days and one customer's trace."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import (
    QColor,
)

from journey_desktop.domain.forecast import (
    ForecastDay,
    channels_of,
)
from journey_desktop.domain.journey import CHANNEL_LABELS


class ForecastDaysTableModel(QAbstractTableModel):
    """One row per local day: entered, exited, in progress, messages in all and per channel;
    held and suppressed ones (SPEC §13) last, when the policy held or suppressed any."""

    FIXED = ("Day", "Entered", "Exited", "In progress", "Messages")
    POLICY = ("Held", "Suppressed")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._days: list[ForecastDay] = []
        self._channels: list[str] = []
        self._policy: tuple[str, ...] = ()

    def set_days(self, days: list[ForecastDay]) -> None:
        self.beginResetModel()
        self._days = list(days)
        self._channels = channels_of(days)
        self._policy = self.POLICY if any(d.held or d.suppressed for d in days) else ()
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._days)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else (len(self.FIXED) + len(self._channels)
                                           + len(self._policy))

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        if section < len(self.FIXED):
            return self.FIXED[section]
        if section >= len(self.FIXED) + len(self._channels):
            return self._policy[section - len(self.FIXED) - len(self._channels)]
        channel = self._channels[section - len(self.FIXED)]
        return CHANNEL_LABELS.get(channel, channel)

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._days):
            return None
        day = self._days[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return day.date.strftime("%a %Y-%m-%d")
            return f"{self._value(day, column):,}"
        if role == Qt.ItemDataRole.TextAlignmentRole and column > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _value(self, day: ForecastDay, column: int) -> int:
        if column == 1:
            return day.entered
        if column == 2:
            return day.exited
        if column == 3:
            return day.in_progress
        if column == 4:
            return day.message_total
        if column >= len(self.FIXED) + len(self._channels):
            policy = column - len(self.FIXED) - len(self._channels)
            return day.held if policy == 0 else day.suppressed
        return day.messages.get(self._channels[column - len(self.FIXED)], 0)


class ForecastTraceTableModel(QAbstractTableModel):
    """One customer's steps: when, which entry, which node and what it did."""

    COLUMNS = ("Time", "Entry", "Node", "Step")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[tuple[str, int, str, str, bool]] = []

    def set_rows(self, rows: list[tuple[str, int, str, str, bool]]) -> None:
        """(time, entry, node, step, before the forecast) rows."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return str(row[index.column()])
        if role == Qt.ItemDataRole.ForegroundRole and row[4]:
            return QColor("#808080")
        if role == Qt.ItemDataRole.ToolTipRole and row[4]:
            return "Reached before the forecast starts (the run was already in progress)"
        return None


