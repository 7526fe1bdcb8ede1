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
    ForecastTotals,
    channels_of,
)
from journey_desktop.domain.goals import GOAL_EXIT_KEY
from journey_desktop.domain.journey import CHANNEL_LABELS
from journey_desktop.ui.common.rows_model import RowsTableModel

EXITED_COLUMN = 2
CONVERSIONS = "Conversions"
CONVERSIONS_TIP = "Runs whose goal event falls on that day (each run converts once)"


def exits_text(exits: dict[str, int]) -> str:
    """The runs the goal and each exit rule ended, one line each (a cell's tooltip)."""
    return "\n".join(
        f"Ended by the goal: {count:,}" if key == GOAL_EXIT_KEY
        else f"Ended by exit rule {key}: {count:,}"
        for key, count in exits.items())


class ForecastDaysTableModel(QAbstractTableModel):
    """One row per local day: entered, exited, in progress, messages in all and per channel;
    with a goal or exit rules, conversions and the exits by rule as Exited's tooltip; held and
    suppressed messages (SPEC §13) last, when the policy held or suppressed any."""

    FIXED = ("Day", "Entered", "Exited", "In progress", "Messages")
    POLICY = ("Held", "Suppressed")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._days: list[ForecastDay] = []
        self._channels: list[str] = []
        self._goal = False
        self._policy: tuple[str, ...] = ()

    def set_days(self, days: list[ForecastDay]) -> None:
        self.beginResetModel()
        self._days = list(days)
        self._channels = channels_of(days)
        self._goal = any(day.exits for day in days)  # keys only with a goal or exit rule
        self._policy = self.POLICY if any(d.held or d.suppressed for d in days) else ()
        self.endResetModel()

    @staticmethod
    def exit_lines(totals: ForecastTotals) -> list[str]:
        """The totals panel's lines under Exited: the runs the goal and each rule ended."""
        return [f"&nbsp;&nbsp;{line}" for line in exits_text(totals.exits).splitlines()]

    @staticmethod
    def conversion_lines(totals: ForecastTotals) -> list[str]:
        """The totals panel's conversions (none without a goal or exit rule)."""
        return [f"Conversions: <b>{totals.conversions:,}</b>"] if totals.exits else []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._days)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        if parent.isValid():
            return 0
        return len(self.FIXED) + len(self._channels) + int(self._goal) + len(self._policy)

    def _is_conversions(self, column: int) -> bool:
        return self._goal and column == len(self.FIXED) + len(self._channels)

    def _policy_index(self, column: int) -> int | None:
        """0 for Held, 1 for Suppressed, None for any other column."""
        index = column - len(self.FIXED) - len(self._channels) - int(self._goal)
        return index if 0 <= index < len(self._policy) else None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.ToolTipRole and self._is_conversions(section):
            return CONVERSIONS_TIP
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if section < len(self.FIXED):
            return self.FIXED[section]
        if self._is_conversions(section):
            return CONVERSIONS
        policy = self._policy_index(section)
        if policy is not None:
            return self._policy[policy]
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
        if role == Qt.ItemDataRole.ToolTipRole and day.exits and column == EXITED_COLUMN:
            return exits_text(day.exits)
        return None

    def _value(self, day: ForecastDay, column: int) -> int:
        if self._is_conversions(column):
            return day.conversions
        if column == 1:
            return day.entered
        if column == 2:
            return day.exited
        if column == 3:
            return day.in_progress
        if column == 4:
            return day.message_total
        policy = self._policy_index(column)
        if policy is not None:
            return day.held if policy == 0 else day.suppressed
        return day.messages.get(self._channels[column - len(self.FIXED)], 0)


class ForecastTraceTableModel(RowsTableModel[tuple[str, int, str, str, str, bool]]):
    """One customer's steps: when, which entry, which node, what it is and what it did (a
    wait for an event: matched, timed out or still waiting); rows are (time, entry, node,
    step, outcome, before the forecast)."""

    COLUMNS = ("Time", "Entry", "Node", "Step", "Outcome")

    def cell(self, row: tuple[str, int, str, str, str, bool], column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return str(row[column])
        if role == Qt.ItemDataRole.ForegroundRole and row[5]:
            return QColor("#808080")
        if role == Qt.ItemDataRole.ToolTipRole and row[5]:
            return "Reached before the forecast starts (the run was already in progress)"
        return None


